#include "ilrs/perception/elevation_map.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace ilrs::perception {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// World cells of a window origin stay within +-2^30, so differences of origins and cell
// indices within a window never overflow an int.
constexpr int kMaxOriginCells = 1 << 30;

void CheckOrigin(Cell origin, const char* who) {
  auto within = [](int v) { return v >= -kMaxOriginCells && v <= kMaxOriginCells; };
  ILRS_THROW_IF_NOT(within(origin.row) && within(origin.col),
                    std::string(who) + ": origin (" + std::to_string(origin.row) + ", " +
                        std::to_string(origin.col) + ") is beyond +-2^30 cells");
}

}  // namespace

void FusionParams::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(noise_floor_m) && noise_floor_m > 0.0,
                    "FusionParams.noise_floor_m must be > 0, got " + std::to_string(noise_floor_m));
  ILRS_THROW_IF_NOT(std::isfinite(noise_per_range2) && noise_per_range2 >= 0.0,
                    "FusionParams.noise_per_range2 must be >= 0, got " +
                        std::to_string(noise_per_range2));
  ILRS_THROW_IF_NOT(std::isfinite(min_variance_m2) && min_variance_m2 > 0.0,
                    "FusionParams.min_variance_m2 must be > 0, got " +
                        std::to_string(min_variance_m2));
}

void PinholeIntrinsics::Validate() const {
  ILRS_THROW_IF_NOT(width_px > 0 && height_px > 0,
                    "PinholeIntrinsics: image size must be positive, got " +
                        std::to_string(width_px) + " x " + std::to_string(height_px));
  ILRS_THROW_IF_NOT(std::isfinite(fx) && fx > 0.0 && std::isfinite(fy) && fy > 0.0,
                    "PinholeIntrinsics: focal lengths must be > 0, got fx=" + std::to_string(fx) +
                        " fy=" + std::to_string(fy));
  ILRS_THROW_IF_NOT(std::isfinite(cx) && std::isfinite(cy),
                    "PinholeIntrinsics: principal point must be finite");
}

ElevationMap::ElevationMap(int rows, int cols, double resolution_m, Cell origin)
    : rows_(rows), cols_(cols), resolution_m_(resolution_m), origin_(origin) {
  ILRS_THROW_IF_NOT(rows > 0 && cols > 0, "ElevationMap: shape must be positive, got (" +
                                              std::to_string(rows) + ", " +
                                              std::to_string(cols) + ")");
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "ElevationMap: resolution_m must be > 0, got " + std::to_string(resolution_m));
  CheckOrigin(origin, "ElevationMap");
  const std::size_t n = static_cast<std::size_t>(rows) * cols;
  height_m_.assign(n, kNaN);
  variance_m2_.assign(n, kInf);
  max_height_m_.assign(n, kNaN);
  frame_max_.assign(n, kNaN);
  frame_range_m_.assign(n, 0.0f);
}

void ElevationMap::SetPrior(GridView<const float> heights_m, double variance_m2) {
  ILRS_THROW_IF_NOT(heights_m.rows() == rows_ && heights_m.cols() == cols_,
                    "ElevationMap.SetPrior: heights shape (" + std::to_string(heights_m.rows()) +
                        ", " + std::to_string(heights_m.cols()) + ") differs from map shape (" +
                        std::to_string(rows_) + ", " + std::to_string(cols_) + ")");
  ILRS_THROW_IF_NOT(std::isfinite(variance_m2) && variance_m2 > 0.0,
                    "ElevationMap.SetPrior: variance_m2 must be > 0, got " +
                        std::to_string(variance_m2));
  for (std::size_t i = 0; i < height_m_.size(); ++i) {
    const float h = heights_m.data()[i];
    const bool known = std::isfinite(h);
    height_m_[i] = known ? h : kNaN;
    variance_m2_[i] = known ? static_cast<float>(variance_m2) : kInf;
    max_height_m_[i] = known ? h : kNaN;
  }
}

inline void ElevationMap::BinPoint(float x, float y, float z, const double sensor_xyz[3],
                                   Region& touched) {
  if (!std::isfinite(x) || !std::isfinite(y) || !std::isfinite(z)) return;
  const double col_f = std::floor(x / resolution_m_) - origin_.col;
  const double row_f = std::floor(y / resolution_m_) - origin_.row;
  if (col_f < 0 || row_f < 0 || col_f >= cols_ || row_f >= rows_) return;
  const int row = static_cast<int>(row_f), col = static_cast<int>(col_f);
  const std::size_t k = static_cast<std::size_t>(row) * cols_ + col;
  if (std::isnan(frame_max_[k]) || z > frame_max_[k]) {
    frame_max_[k] = z;
    frame_range_m_[k] = static_cast<float>(
        std::sqrt((x - sensor_xyz[0]) * (x - sensor_xyz[0]) +
                  (y - sensor_xyz[1]) * (y - sensor_xyz[1]) +
                  (z - sensor_xyz[2]) * (z - sensor_xyz[2])));
  }
  touched = touched.United({row, col, row + 1, col + 1});
}

void ElevationMap::FuseBins(const Region& touched, const FusionParams& params) {
  for (int r = touched.row_begin; r < touched.row_end; ++r) {
    for (int c = touched.col_begin; c < touched.col_end; ++c) {
      const std::size_t k = static_cast<std::size_t>(r) * cols_ + c;
      const float z = frame_max_[k];
      if (std::isnan(z)) continue;
      const double sigma = params.noise_floor_m +
                           params.noise_per_range2 * frame_range_m_[k] * frame_range_m_[k];
      const double meas_var = sigma * sigma;
      const double prior_var = variance_m2_[k];
      if (std::isinf(prior_var) || std::isnan(height_m_[k])) {
        height_m_[k] = z;
        variance_m2_[k] = static_cast<float>(std::max(meas_var, params.min_variance_m2));
      } else {
        height_m_[k] = static_cast<float>((prior_var * z + meas_var * height_m_[k]) /
                                          (prior_var + meas_var));
        variance_m2_[k] = static_cast<float>(
            std::max(prior_var * meas_var / (prior_var + meas_var), params.min_variance_m2));
      }
      max_height_m_[k] = std::isnan(max_height_m_[k]) ? z : std::max(max_height_m_[k], z);
      frame_max_[k] = kNaN;
    }
  }
}

Region ElevationMap::FusePoints(const float* xyz, std::size_t count, const double sensor_xyz[3],
                                const FusionParams& params) {
  params.Validate();
  ILRS_THROW_IF_NOT(xyz != nullptr || count == 0, "ElevationMap.FusePoints: null points");

  // Bin: the highest point of this frame in each cell, and its range.
  Region touched;
  for (std::size_t i = 0; i < count; ++i) {
    BinPoint(xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2], sensor_xyz, touched);
  }
  // Fuse each binned measurement, and clear the scratch bins for the next frame.
  FuseBins(touched, params);
  return touched;
}

void ShiftGrid(GridView<float> grid, Cell shift, float fill) {
  const int rows = grid.rows(), cols = grid.cols();
  if (shift.row == 0 && shift.col == 0) return;
  // Clamped to the grid (in 64 bits: a shift may be anything an int holds).
  const long long dr = std::clamp<long long>(shift.row, -rows, rows);
  const long long dc = std::clamp<long long>(shift.col, -cols, cols);
  // Destination columns that have a source, and where that source starts.
  const int keep_cols = cols - static_cast<int>(dc < 0 ? -dc : dc);
  const int dst_col = dc < 0 ? static_cast<int>(-dc) : 0;
  const int src_col = dc > 0 ? static_cast<int>(dc) : 0;
  // Row r takes row r + dr: going up through the rows when dr >= 0 (each source is read
  // before it is overwritten), down when dr < 0.
  auto move_row = [&](int r) {
    float* dst = &grid(r, 0);
    const long long src_row = r + dr;
    if (src_row < 0 || src_row >= rows || keep_cols <= 0) {
      std::fill(dst, dst + cols, fill);
      return;
    }
    std::memmove(dst + dst_col, &grid(static_cast<int>(src_row), src_col),
                 sizeof(float) * static_cast<std::size_t>(keep_cols));
    std::fill(dst, dst + dst_col, fill);
    std::fill(dst + dst_col + keep_cols, dst + cols, fill);
  };
  if (dr >= 0) {
    for (int r = 0; r < rows; ++r) move_row(r);
  } else {
    for (int r = rows - 1; r >= 0; --r) move_row(r);
  }
}

Cell ElevationMap::MoveOrigin(Cell origin) {
  CheckOrigin(origin, "ElevationMap.MoveOrigin");
  const Cell shift{origin.row - origin_.row, origin.col - origin_.col};
  ShiftGrid({height_m_.data(), rows_, cols_}, shift, kNaN);
  ShiftGrid({variance_m2_.data(), rows_, cols_}, shift, kInf);
  ShiftGrid({max_height_m_.data(), rows_, cols_}, shift, kNaN);
  // The scratch bins are empty (all NaN) between frames, so they need no shift.
  origin_ = origin;
  return shift;
}

namespace {

// The site-frame point of pixel (u, v) at depth d (DepthToPoints and FuseDepth share it).
inline void BackProject(int u, int v, float d, const PinholeIntrinsics& intrinsics,
                        const CameraPose& pose, float out[3]) {
  const double* R = pose.rotation;
  const double* t = pose.position_m;
  const double xc = (u - intrinsics.cx) / intrinsics.fx * d;
  const double yc = (v - intrinsics.cy) / intrinsics.fy * d;
  const double zc = d;
  out[0] = static_cast<float>(R[0] * xc + R[1] * yc + R[2] * zc + t[0]);
  out[1] = static_cast<float>(R[3] * xc + R[4] * yc + R[5] * zc + t[1]);
  out[2] = static_cast<float>(R[6] * xc + R[7] * yc + R[8] * zc + t[2]);
}

void CheckDepthSize(GridView<const float> depth_m, const PinholeIntrinsics& intrinsics,
                    const char* who) {
  ILRS_THROW_IF_NOT(depth_m.rows() == intrinsics.height_px && depth_m.cols() == intrinsics.width_px,
                    std::string(who) + ": depth image is " + std::to_string(depth_m.rows()) +
                        " x " + std::to_string(depth_m.cols()) + " but the intrinsics say " +
                        std::to_string(intrinsics.height_px) + " x " +
                        std::to_string(intrinsics.width_px));
}

// The points of the image rows in `depth_m`, whose first row is image row `first_row`.
std::size_t DepthToPoints(GridView<const float> depth_m, int first_row,
                          const PinholeIntrinsics& intrinsics, const CameraPose& pose,
                          float* xyz_out) {
  std::size_t n = 0;
  for (int v = 0; v < depth_m.rows(); ++v) {
    for (int u = 0; u < depth_m.cols(); ++u) {
      const float d = depth_m(v, u);
      if (!(d > 0.0f) || !std::isfinite(d)) continue;
      BackProject(u, first_row + v, d, intrinsics, pose, xyz_out + 3 * n);
      ++n;
    }
  }
  return n;
}

}  // namespace

Region ElevationMap::FuseDepth(GridView<const float> depth_m, const PinholeIntrinsics& intrinsics,
                               const CameraPose& pose, const FusionParams& params) {
  params.Validate();
  intrinsics.Validate();
  CheckDepthSize(depth_m, intrinsics, "ElevationMap.FuseDepth");
  // One image row at a time: back-project its valid pixels into a row buffer (sized once per
  // image width, kept by the map), then bin them.
  const int rows = depth_m.rows(), cols = depth_m.cols();
  if (row_points_.size() < 3 * static_cast<std::size_t>(cols)) row_points_.resize(3 * cols);
  Region touched;
  for (int v = 0; v < rows; ++v) {
    const std::size_t n = DepthToPoints({&depth_m(v, 0), 1, cols}, v, intrinsics, pose,
                                        row_points_.data());
    for (std::size_t i = 0; i < n; ++i) {
      BinPoint(row_points_[3 * i], row_points_[3 * i + 1], row_points_[3 * i + 2],
               pose.position_m, touched);
    }
  }
  FuseBins(touched, params);
  return touched;
}

std::size_t DepthToPoints(GridView<const float> depth_m, const PinholeIntrinsics& intrinsics,
                          const CameraPose& pose, float* xyz_out) {
  intrinsics.Validate();
  CheckDepthSize(depth_m, intrinsics, "DepthToPoints");
  return DepthToPoints(depth_m, 0, intrinsics, pose, xyz_out);
}

}  // namespace ilrs::perception
