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
// of open sky plus O(1) per patch near the surface.
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

 private:
  static constexpr int kMaxLevels = 32;

  GridView<const float> heights_{nullptr, 0, 0};
  double resolution_m_ = 1.0;
  int row0_ = 0, col0_ = 0;  // grid patch of the window's lower-left patch
  int rows_ = 0, cols_ = 0;  // patches in the window
  int levels_ = 0;
  int level_cols_[kMaxLevels] = {};
  std::size_t level_offset_[kMaxLevels] = {};
  std::vector<float> max_m_;  // level 0 first; +inf where a corner is unknown
};

// Renders into `depth_out` (intrinsics.height_px x intrinsics.width_px) metres along the optical
// axis (what depth cameras report) from pixel rays cast from min_range_m to max_range_m; NaN
// where a ray has no hit. Builds the pyramid of the patches within max_range_m of the camera in
// a per-thread buffer (no allocation once it has grown), then casts from it.
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
