#include "ilrs/sim/heightfield_raycast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ilrs::sim {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// The first s in [0, length] where g(s) = g0 + g1 s + g2 s^2 <= 0, given g0 > 0; -1 if none.
double FirstRoot(double g0, double g1, double g2, double length) {
  const double g_end = g0 + length * (g1 + length * g2);
  if (g_end > 0.0) {
    // Both ends above: only a convex dip between them can reach zero.
    if (!(g2 > 0.0) || g1 >= 0.0 || -g1 >= 2.0 * g2 * length) return -1.0;
    if (g1 * g1 < 4.0 * g2 * g0) return -1.0;
  }
  // A root lies in (0, length]: the smallest non-negative one (numerically stable form).
  const double disc = std::max(0.0, g1 * g1 - 4.0 * g2 * g0);
  const double q = -0.5 * (g1 + std::copysign(std::sqrt(disc), g1));
  double root = kInf;
  if (q != 0.0) {
    const double r = g0 / q;
    if (r >= 0.0) root = r;
  }
  if (g2 != 0.0) {
    const double r = q / g2;
    if (r >= 0.0) root = std::min(root, r);
  }
  if (!(root <= length)) root = length;  // rounding at the far end
  return root;
}

}  // namespace

void RaycastParams::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "RaycastParams.resolution_m must be > 0, got " + std::to_string(resolution_m));
  ILRS_THROW_IF_NOT(min_range_m >= 0.0 && max_range_m > min_range_m && std::isfinite(max_range_m),
                    "RaycastParams: need 0 <= min_range_m < max_range_m, got " +
                        std::to_string(min_range_m) + " and " + std::to_string(max_range_m));
}

float SampleHeight(GridView<const float> heights_m, double resolution_m, double x_m, double y_m) {
  // Cell centres sit at (index + 0.5) * resolution.
  const double u = x_m / resolution_m - 0.5, v = y_m / resolution_m - 0.5;
  if (!(u >= 0.0) || !(v >= 0.0)) return kNaN;
  const int c0 = static_cast<int>(u), r0 = static_cast<int>(v);
  if (c0 + 1 >= heights_m.cols() || r0 + 1 >= heights_m.rows()) return kNaN;
  const double fu = u - c0, fv = v - r0;
  const double h00 = heights_m(r0, c0), h01 = heights_m(r0, c0 + 1);
  const double h10 = heights_m(r0 + 1, c0), h11 = heights_m(r0 + 1, c0 + 1);
  return static_cast<float>((h00 * (1 - fu) + h01 * fu) * (1 - fv) +
                            (h10 * (1 - fu) + h11 * fu) * fv);
}

Region HeightfieldPyramid::PatchesAround(GridView<const float> heights_m, double resolution_m,
                                         double x_m, double y_m, double radius_m) {
  const auto index = [&](double w) {
    const double i = std::floor(w / resolution_m - 0.5);
    return static_cast<int>(std::clamp(i, -1.0, 1e9));
  };
  const int rows = std::max(0, heights_m.rows() - 1), cols = std::max(0, heights_m.cols() - 1);
  return {std::clamp(index(y_m - radius_m), 0, rows), std::clamp(index(x_m - radius_m), 0, cols),
          std::clamp(index(y_m + radius_m) + 1, 0, rows),
          std::clamp(index(x_m + radius_m) + 1, 0, cols)};
}

void HeightfieldPyramid::Build(GridView<const float> heights_m, double resolution_m,
                               Region patches) {
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "HeightfieldPyramid: resolution_m must be > 0, got " +
                        std::to_string(resolution_m));
  heights_ = heights_m;
  resolution_m_ = resolution_m;
  row0_ = std::max(0, patches.row_begin);
  col0_ = std::max(0, patches.col_begin);
  rows_ = std::max(0, std::min(patches.row_end, heights_m.rows() - 1) - row0_);
  cols_ = std::max(0, std::min(patches.col_end, heights_m.cols() - 1) - col0_);

  // Level sizes: level k has ceil(n / 2^k) blocks per side, up to a single block.
  int level_rows[kMaxLevels] = {};
  std::size_t total = 0;
  levels_ = 0;
  for (int r = rows_, c = cols_;; r = (r + 1) / 2, c = (c + 1) / 2) {
    level_rows[levels_] = r;
    level_cols_[levels_] = c;
    level_offset_[levels_] = total;
    total += static_cast<std::size_t>(r) * c;
    ++levels_;
    if ((r <= 1 && c <= 1) || levels_ == kMaxLevels) break;
  }
  max_m_.resize(total);

  // Level 0: the highest corner of each patch bounds its bilinear surface.
  constexpr float kUnknown = std::numeric_limits<float>::infinity();
  for (int r = 0; r < rows_; ++r) {
    const float* lo = &heights_m(row0_ + r, col0_);
    const float* hi = &heights_m(row0_ + r + 1, col0_);
    float* out = &max_m_[static_cast<std::size_t>(r) * cols_];
    for (int c = 0; c < cols_; ++c) {
      const float m = std::max(std::max(lo[c], lo[c + 1]), std::max(hi[c], hi[c + 1]));
      const bool unknown =
          std::isnan(lo[c]) || std::isnan(lo[c + 1]) || std::isnan(hi[c]) || std::isnan(hi[c + 1]);
      out[c] = unknown ? kUnknown : m;
    }
  }
  // Each coarser block: the maximum of its (up to) 2 x 2 children.
  for (int k = 1; k < levels_; ++k) {
    const int child_rows = level_rows[k - 1], child_cols = level_cols_[k - 1];
    const float* child = &max_m_[level_offset_[k - 1]];
    float* out = max_m_.data() + level_offset_[k];
    for (int r = 0; r < level_rows[k]; ++r) {
      for (int c = 0; c < level_cols_[k]; ++c) {
        const int r2 = std::min(2 * r + 1, child_rows - 1), c2 = std::min(2 * c + 1, child_cols - 1);
        out[static_cast<std::size_t>(r) * level_cols_[k] + c] = std::max(
            std::max(child[static_cast<std::size_t>(2 * r) * child_cols + 2 * c],
                     child[static_cast<std::size_t>(2 * r) * child_cols + c2]),
            std::max(child[static_cast<std::size_t>(r2) * child_cols + 2 * c],
                     child[static_cast<std::size_t>(r2) * child_cols + c2]));
      }
    }
  }
}

double HeightfieldPyramid::CastRay(const double origin_m[3], const double direction[3],
                                   double t_min, double t_max) const {
  constexpr double kMiss = std::numeric_limits<double>::quiet_NaN();
  if (rows_ == 0 || cols_ == 0 || !(t_min <= t_max)) return kMiss;
  // The ray in window patch coordinates: u(t) = ou + du t, v(t) = ov + dv t.
  const double inv_res = 1.0 / resolution_m_;
  const double ou = origin_m[0] * inv_res - 0.5 - col0_, ov = origin_m[1] * inv_res - 0.5 - row0_;
  const double du = direction[0] * inv_res, dv = direction[1] * inv_res;
  const double oz = origin_m[2], dz = direction[2];
  const double inv_du = du != 0.0 ? 1.0 / du : 0.0, inv_dv = dv != 0.0 ? 1.0 / dv : 0.0;

  double t = t_min;
  {
    const double u = ou + du * t, v = ov + dv * t;
    if (!(u >= 0.0 && v >= 0.0 && u < cols_ && v < rows_)) return kMiss;
  }
  // The current patch (integers, so every step moves on even where rounding would not).
  int ci = static_cast<int>(ou + du * t), cj = static_cast<int>(ov + dv * t);
  ci = std::min(ci, cols_ - 1);
  cj = std::min(cj, rows_ - 1);
  // Start at blocks of 8 x 8 patches: coarser ones rarely pass under a ray leaving a camera
  // that stands on the ground, finer ones cost more steps in the open.
  const int top = levels_ - 1;
  int level = std::min(top, 3);

  while (true) {
    // The block holding the current patch at this level, and where the ray leaves it.
    const int bi = ci >> level, bj = cj >> level;
    double tx = kInf, ty = kInf;
    if (du > 0.0) tx = (static_cast<double>((bi + 1) << level) - ou) * inv_du;
    if (du < 0.0) tx = (static_cast<double>(bi << level) - ou) * inv_du;
    if (dv > 0.0) ty = (static_cast<double>((bj + 1) << level) - ov) * inv_dv;
    if (dv < 0.0) ty = (static_cast<double>(bj << level) - ov) * inv_dv;
    const double t_exit = std::max(t, std::min(tx, ty));
    const double t_end = std::min(t_exit, t_max);
    const double z_low = oz + dz * (dz >= 0.0 ? t : t_end);
    const float block_max =
        max_m_[level_offset_[level] + static_cast<std::size_t>(bj) * level_cols_[level] + bi];

    if (!(z_low > block_max)) {
      if (level > 0) {
        --level;  // the ray may meet something in this block: look at its children
        continue;
      }
      // One patch: z - h along the ray is g0 + g1 s + g2 s^2, s = t' - t in [0, t_end - t].
      const int r = row0_ + cj, c = col0_ + ci;
      const double h00 = heights_(r, c), h01 = heights_(r, c + 1);
      const double h10 = heights_(r + 1, c), h11 = heights_(r + 1, c + 1);
      if (std::isnan(h00 + h01 + h10 + h11)) return kMiss;  // an unknown patch ends the ray
      const double a0 = ou + du * t - ci, b0 = ov + dv * t - cj;
      const double ha = h01 - h00, hb = h10 - h00, hab = h11 - h01 - h10 + h00;
      const double g0 = oz + dz * t - (h00 + ha * a0 + hb * b0 + hab * a0 * b0);
      if (g0 <= 0.0) return t;
      const double g1 = dz - (ha * du + hb * dv + hab * (a0 * dv + b0 * du));
      const double g2 = -hab * du * dv;
      const double s = FirstRoot(g0, g1, g2, t_end - t);
      if (s >= 0.0) return t + s;
    }
    // Nothing in this block before t_end: step into the neighbour across the exit side.
    if (t_exit >= t_max) return kMiss;
    t = t_exit;
    if (tx <= ty) {
      ci = du > 0.0 ? (bi + 1) << level : (bi << level) - 1;
      if (ci < 0 || ci >= cols_) return kMiss;
      const int lo = bj << level, hi = std::min(((bj + 1) << level) - 1, rows_ - 1);
      cj = std::clamp(static_cast<int>(std::floor(ov + dv * t)), lo, hi);
    } else {
      cj = dv > 0.0 ? (bj + 1) << level : (bj << level) - 1;
      if (cj < 0 || cj >= rows_) return kMiss;
      const int lo = bi << level, hi = std::min(((bi + 1) << level) - 1, cols_ - 1);
      ci = std::clamp(static_cast<int>(std::floor(ou + du * t)), lo, hi);
    }
    // Look at the parent again only where it can now be skipped: the ray entered a new parent,
    // or it rises (so its low end over the same parent is higher now).
    if (level < top && (dz > 0.0 || (ci >> (level + 1)) != (bi >> 1) ||
                        (cj >> (level + 1)) != (bj >> 1))) {
      ++level;
    }
  }
}

void PixelRay(const perception::PinholeIntrinsics& intrinsics, const perception::CameraPose& pose,
              int u, int v, double direction_out[3], double* depth_per_range) {
  const double* R = pose.rotation;
  const double xc = (u - intrinsics.cx) / intrinsics.fx;
  const double yc = (v - intrinsics.cy) / intrinsics.fy;
  const double inv_norm = 1.0 / std::sqrt(xc * xc + yc * yc + 1.0);
  direction_out[0] = (R[0] * xc + R[1] * yc + R[2]) * inv_norm;
  direction_out[1] = (R[3] * xc + R[4] * yc + R[5]) * inv_norm;
  direction_out[2] = (R[6] * xc + R[7] * yc + R[8]) * inv_norm;
  *depth_per_range = inv_norm;
}

void RenderDepth(const HeightfieldPyramid& pyramid,
                 const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 GridView<float> depth_out) {
  params.Validate();
  intrinsics.Validate();
  ILRS_THROW_IF_NOT(params.resolution_m == pyramid.resolution_m(),
                    "RenderDepth: RaycastParams.resolution_m is " +
                        std::to_string(params.resolution_m) + " but the pyramid's is " +
                        std::to_string(pyramid.resolution_m()));
  ILRS_THROW_IF_NOT(depth_out.rows() == intrinsics.height_px &&
                        depth_out.cols() == intrinsics.width_px,
                    "RenderDepth: output is " + std::to_string(depth_out.rows()) + " x " +
                        std::to_string(depth_out.cols()) + " but the intrinsics say " +
                        std::to_string(intrinsics.height_px) + " x " +
                        std::to_string(intrinsics.width_px));
  for (int v = 0; v < intrinsics.height_px; ++v) {
    for (int u = 0; u < intrinsics.width_px; ++u) {
      double d[3], depth_per_range = 0.0;
      PixelRay(intrinsics, pose, u, v, d, &depth_per_range);
      const double t = pyramid.CastRay(pose.position_m, d, params.min_range_m, params.max_range_m);
      depth_out(v, u) = std::isnan(t) ? kNaN : static_cast<float>(t * depth_per_range);
    }
  }
}

void RenderDepth(GridView<const float> heights_m, const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 GridView<float> depth_out) {
  params.Validate();
  // Only the patches the rays can reach; the buffer is kept between frames.
  thread_local HeightfieldPyramid pyramid;
  pyramid.Build(heights_m, params.resolution_m,
                HeightfieldPyramid::PatchesAround(heights_m, params.resolution_m,
                                                  pose.position_m[0], pose.position_m[1],
                                                  params.max_range_m + params.resolution_m));
  RenderDepth(pyramid, intrinsics, pose, params, depth_out);
}

}  // namespace ilrs::sim
