// A 2.5D elevation map with per-cell height variance, fused from 3D points.
//
// Frame: the site frame (x east, y north, z up, metres) cut into world cells of resolution_m,
// world cell (R, C) covering x in [C, C+1) and y in [R, R+1) times resolution_m. The map is a
// window of rows x cols of those cells whose cell (0, 0) is the world cell `origin()` (0, 0
// unless moved), so map cell (row, col) is world cell origin + (row, col); with the origin at
// (0, 0) this is the map frame of core/grid.h. Unknown cells have NaN height (and max height)
// and +inf variance, never a flat default.
//
// Rolling window: MoveOrigin shifts the window to follow the rover. Cells inside both the old
// and the new window keep every layer bit for bit; cells newly exposed become unknown. The
// shift is done in place (row by row with memmove, in the order that never overwrites a row
// still to be read): O(rows x cols) bytes moved, no allocation ever.
//
// Fusion of one frame of points: points are binned per cell and the highest point of each cell
// in the frame is the measurement (so a rock top is never averaged with the ground beside it in
// the same frame). Its variance grows with the range from the sensor,
//   sigma_m = noise_floor_m + noise_per_range2 * range_m^2,
// and it is fused into the cell by a scalar Kalman update:
//   h <- (v*z + r*h) / (v + r),  v <- v*r / (v + r).
// `max_height_m` keeps the highest height ever measured in a cell.
#pragma once

#include <cstddef>
#include <vector>

#include "ilrs/core/grid.h"

namespace ilrs::perception {

struct FusionParams {
  double noise_floor_m = 0.005;
  double noise_per_range2 = 0.0004;  // 1/m
  double min_variance_m2 = 1e-6;     // a cell never becomes infinitely certain

  void Validate() const;  // throws std::invalid_argument naming the field
};

struct PinholeIntrinsics;
struct CameraPose;

class ElevationMap {
 public:
  ElevationMap(int rows, int cols, double resolution_m, Cell origin = {});

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  double resolution_m() const { return resolution_m_; }
  // World cell of map cell (0, 0).
  Cell origin() const { return origin_; }

  // Moves the window so that map cell (0, 0) is world cell `origin`. Returns the shift
  // (origin - old origin), in cells: map cell (r, c) now holds what map cell
  // (r + shift.row, c + shift.col) held, or unknown if that was outside the window. A shift
  // of (0, 0) changes nothing. Hazard layers computed over the map can follow with ShiftGrid
  // and recompute only the cells whose windows saw the edges move (see traversability.py).
  Cell MoveOrigin(Cell origin);

  // Starts every cell from a prior (e.g. an orbital DEM): heights (rows x cols, NaN allowed
  // for unknown) with one variance for all known cells.
  void SetPrior(GridView<const float> heights_m, double variance_m2);

  // Fuses `count` points (x, y, z rows of `xyz`, site frame) seen from `sensor_xyz`.
  // Points outside the window or not finite are skipped. Returns the region of map cells
  // changed.
  Region FusePoints(const float* xyz, std::size_t count, const double sensor_xyz[3],
                    const FusionParams& params);

  // Fuses a depth image seen through `intrinsics` from `pose`: the same points as
  // DepthToPoints, fused as by FusePoints (bit-identical), one image row of points at a time; no
  // heap allocation after the first frame of a given width. Throws std::invalid_argument if the
  // image and intrinsics sizes differ.
  Region FuseDepth(GridView<const float> depth_m, const PinholeIntrinsics& intrinsics,
                   const CameraPose& pose, const FusionParams& params);

  // Views of the layers; valid as long as this map lives (the storage never reallocates).
  GridView<const float> height_m() const { return {height_m_.data(), rows_, cols_}; }
  GridView<const float> variance_m2() const { return {variance_m2_.data(), rows_, cols_}; }
  GridView<const float> max_height_m() const { return {max_height_m_.data(), rows_, cols_}; }

 private:
  // Keeps (x, y, z) as its cell's highest point of this frame if it is; grows `touched`.
  void BinPoint(float x, float y, float z, const double sensor_xyz[3], Region& touched);
  // Fuses this frame's highest points over `touched` and clears their bins.
  void FuseBins(const Region& touched, const FusionParams& params);

  int rows_;
  int cols_;
  double resolution_m_;
  Cell origin_;
  std::vector<float> height_m_;
  std::vector<float> variance_m2_;
  std::vector<float> max_height_m_;
  std::vector<float> frame_max_;      // scratch: highest point per cell in this frame
  std::vector<float> frame_range_m_;  // scratch: range of that point
  std::vector<float> row_points_;     // scratch: one depth row's points (FuseDepth)
};

// Shifts a grid in place: afterwards cell (r, c) holds what cell (r + shift.row,
// c + shift.col) held, and cells whose source lies outside the grid hold `fill`. Row-wise
// memmove in a safe order; O(rows x cols), allocates nothing.
void ShiftGrid(GridView<float> grid, Cell shift, float fill);

// Pinhole camera in the OpenCV convention: x right, y down, z forward (optical axis); pixel
// (u, v) has its centre at image coordinates (u, v), so a centred principal point is
// ((width_px - 1) / 2, (height_px - 1) / 2).
struct PinholeIntrinsics {
  int width_px = 0;
  int height_px = 0;
  double fx = 0.0;
  double fy = 0.0;
  double cx = 0.0;
  double cy = 0.0;

  void Validate() const;  // throws std::invalid_argument naming the field
};

// Camera pose in the map frame: position and camera-to-map rotation (row-major 3x3).
struct CameraPose {
  double position_m[3] = {0.0, 0.0, 0.0};
  double rotation[9] = {1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0};
};

// Back-projects a depth image (height_px x width_px, metres along the optical axis; NaN or
// <= 0 means no return) into map-frame points. Returns the number of points written to
// `xyz_out`, which must hold width_px * height_px * 3 floats.
std::size_t DepthToPoints(GridView<const float> depth_m, const PinholeIntrinsics& intrinsics,
                          const CameraPose& pose, float* xyz_out);

}  // namespace ilrs::perception
