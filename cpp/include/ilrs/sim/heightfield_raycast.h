// Depth rendering by exact ray casting against a heightfield (terrain plus rocks).
//
// The surface model. The heightfield is in the map frame of core/grid.h: height h[r][c] sits at
// the centre of cell (r, c), map point ((c + 1/2) * res, (r + 1/2) * res). In cell-centre
// coordinates u = x / res - 1/2, v = y / res - 1/2 the "patch" (r, c) is the unit square
// [c, c + 1] x [r, r + 1] between four centres, and the surface over it is their bilinear
// interpolation (exactly what SampleHeight returns):
//   h(u, v) = h00 (1 - a)(1 - b) + h01 a (1 - b) + h10 (1 - a) b + h11 a b,  a = u - c, b = v - r.
// The surface is defined on 0 <= u < cols - 1, 0 <= v < rows - 1 (the centres' hull) except on
// patches with an unknown (NaN) corner.
//
// The ray model. A ray o + t d (d a unit vector, t in metres) is cast from t_min to t_max. Its
// hit is the smallest t in that interval with z(t) <= h(u(t), v(t)); the ray ends with no hit
// where it first leaves the surface's domain (so a ray that starts outside it has no hit). Along
// a ray, z - h is a quadratic in t inside each patch, solved in closed form, so the hit is exact
// to double rounding: rays grazing a peak, running along an axis or falling straight down are
// not special cases.
//
// Cost: the rays walk the patches cell by cell (2D DDA) through a maximum-height pyramid (the
// highest corner of every 2^k x 2^k block of patches, k = 0, 1, ...): a ray that stays above a
// block's maximum crosses the whole block in one step, so a ray costs O(log n) steps per stretch
// of open sky plus O(1) per patch near the surface. The rays of a frame, which all leave the
// camera's centre, first skip the open space around the camera through a polar table of
// maximum heights (ViewpointCaster), so most start their walk next to what they hit.
#pragma once

#include <cstddef>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/perception/elevation_map.h"

namespace ilrs::sim {

struct RaycastParams {
  double resolution_m = 1.0;
  double min_range_m = 0.3;   // rays start this far from the camera centre
  double max_range_m = 15.0;  // and end here (a hit at exactly max_range_m counts)

  void Validate() const;  // throws std::invalid_argument naming the field
};

// The maximum-height pyramid of a heightfield over a window of patches, and the exact ray cast
// against the bilinear surface (the model above) inside that window.
//
// The pyramid keeps a view of the heights (not a copy): they must outlive it and not change
// while it is used (Build again after a change). Build reuses the storage, so a pyramid that is
// rebuilt for every frame allocates only when the window grows.
class HeightfieldPyramid {
 public:
  // Covers the patches whose lower-left centre (row, col) lies in `patches`, clipped to the
  // grid's (rows - 1) x (cols - 1) patches. Cost O(patches in the window).
  void Build(GridView<const float> heights_m, double resolution_m, Region patches);
  // The window of patches that holds every map point within `radius_m` of (x_m, y_m).
  static Region PatchesAround(GridView<const float> heights_m, double resolution_m, double x_m,
                              double y_m, double radius_m);

  // The first t in [t_min, t_max] where origin_m + t * direction meets the surface (on or under
  // it), or NaN. `direction` must be a unit vector. Leaving the window counts as leaving the
  // surface's domain: the result equals that of the whole grid when the window holds every
  // point within t_max of the origin.
  double CastRay(const double origin_m[3], const double direction[3], double t_min,
                 double t_max) const;

  double resolution_m() const { return resolution_m_; }
  // The window: its lower-left patch in the grid and its size in patches.
  int row0() const { return row0_; }
  int col0() const { return col0_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  // The highest corner of window patch (r, c) (0 <= r < rows(), 0 <= c < cols()), +inf where a
  // corner is unknown.
  float PatchMax(int r, int c) const { return max_m_[static_cast<std::size_t>(r) * cols_ + c]; }

 private:
  friend class ViewpointCaster;
  static constexpr int kMaxLevels = 32;

  // The cast from t_start (which must lie in the window, else no hit), walking from blocks of
  // 2^level patches; the hit is the first one in [t_start, t_max].
  double CastFrom(const double origin_m[3], const double direction[3], double t_start,
                  double t_max, int level) const;
  // Whether origin_m + t * direction lies in the window's part of the surface's domain.
  bool InWindow(const double origin_m[3], const double direction[3], double t) const;

  GridView<const float> heights_{nullptr, 0, 0};
  double resolution_m_ = 1.0, inv_resolution_m_ = 1.0;
  int row0_ = 0, col0_ = 0;  // grid patch of the window's lower-left patch
  int rows_ = 0, cols_ = 0;  // patches in the window
  int levels_ = 0;
  int level_cols_[kMaxLevels] = {};
  std::size_t level_offset_[kMaxLevels] = {};
  std::vector<float> max_m_;  // level 0 first; +inf where a corner is unknown
};

// Exact casts of many rays from one viewpoint (a camera's centre). Around the viewpoint a polar
// table of kSectors azimuth sectors by kRings rings of horizontal distance (max_range_m /
// kRings wide) holds, per cell, the highest corner of every pyramid patch that reaches into it.
// A ray's horizontal track is a half-line from the viewpoint, so it stays in one sector: it
// skips each ring where its lowest point is above the cell's maximum (nothing there to meet)
// and starts the pyramid walk, at single patches, in the first ring where it might meet the
// surface; a ray that clears every ring has no hit. The table is kept as slope thresholds (a
// ray clears rings 0..k exactly when its slope dz/dr exceeds the k-th), so a ray finds its first
// ring in kGroups + kRingsPerGroup comparisons. The cells are widened by far more than
// rounding, so no hit is ever skipped.
//
// Keeps a reference to the pyramid (it must outlive this and not be rebuilt while it is used).
// Build reuses the storage (two kSectors x kRings float tables): no allocation after the first.
class ViewpointCaster {
 public:
  static constexpr int kSectors = 1024;  // of the full turn
  static constexpr int kRings = 64;      // over max_range_m
  static constexpr int kRingsPerGroup = 8;
  static constexpr int kGroups = kRings / kRingsPerGroup;

  // Cost O(window patches within max_range_m of the viewpoint times the cells each reaches).
  void Build(const HeightfieldPyramid& pyramid, const double viewpoint_m[3], double max_range_m);
  // pyramid.CastRay(viewpoint_m, direction, t_min, t_max), to double rounding (the walk may
  // start later, at the first ring where a hit is possible). Beyond max_range_m, or for a
  // (nearly) vertical ray, the table gives no bound and the walk starts at t_min.
  double CastRay(const double direction[3], double t_min, double t_max) const;
  // CastRay in two halves: where the ray's walk starts (no hit lies in [t_min, the result);
  // NaN when the ray has no hit at all), then the walk from there.
  double WalkStart(const double direction[3], double t_min, double t_max) const;
  double CastFrom(const double direction[3], double t_start, double t_max) const;

 private:
  const HeightfieldPyramid* pyramid_ = nullptr;
  double viewpoint_m_[3] = {0.0, 0.0, 0.0};
  double max_range_m_ = 0.0;
  double ring_m_ = 1.0, inv_ring_m_ = 1.0;
  std::vector<float> max_m_;            // kSectors rows of kRings; -inf where no patch reaches
  std::vector<float> slope_threshold_;  // kSectors rows of kRings (see Build)
  std::vector<float> group_threshold_;  // kSectors rows of kGroups: each group's last ring's
};

// Renders into `depth_out` (intrinsics.height_px x intrinsics.width_px) metres along the optical
// axis (what depth cameras report) from pixel rays cast from min_range_m to max_range_m; NaN
// where a ray has no hit. Builds the pyramid of the patches within max_range_m of the camera in
// a per-thread buffer (no allocation once it has grown), then casts from it through a
// ViewpointCaster.
void RenderDepth(GridView<const float> heights_m, const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 GridView<float> depth_out);

// The same from a pyramid built by the caller (its window must hold the points within
// max_range_m of the camera for the result to be that of the whole grid).
void RenderDepth(const HeightfieldPyramid& pyramid,
                 const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 GridView<float> depth_out);

// The unit map-frame ray of pixel (u, v) and the factor turning range along it into depth along
// the optical axis.
void PixelRay(const perception::PinholeIntrinsics& intrinsics, const perception::CameraPose& pose,
              int u, int v, double direction_out[3], double* depth_per_range);

// Bilinear height at map point (x, y), NaN outside the centres' hull or on unknown cells.
float SampleHeight(GridView<const float> heights_m, double resolution_m, double x_m, double y_m);

}  // namespace ilrs::sim
