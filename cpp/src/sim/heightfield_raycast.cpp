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
  inv_resolution_m_ = 1.0 / resolution_m;
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

bool HeightfieldPyramid::InWindow(const double origin_m[3], const double direction[3],
                                  double t) const {
  // As CastFrom tests its start.
  const double inv_res = inv_resolution_m_;
  const double u = origin_m[0] * inv_res - 0.5 + direction[0] * inv_res * t;
  const double v = origin_m[1] * inv_res - 0.5 + direction[1] * inv_res * t;
  return u >= col0_ && v >= row0_ && u < col0_ + cols_ && v < row0_ + rows_;
}

double HeightfieldPyramid::CastRay(const double origin_m[3], const double direction[3],
                                   double t_min, double t_max) const {
  // Start at blocks of 8 x 8 patches: coarser ones rarely pass under a ray leaving a camera
  // that stands on the ground, finer ones cost more steps in the open.
  return CastFrom(origin_m, direction, t_min, t_max, 3);
}

double HeightfieldPyramid::CastFrom(const double origin_m[3], const double direction[3],
                                    double t_start, double t_max, int start_level) const {
  constexpr double kMiss = std::numeric_limits<double>::quiet_NaN();
  if (rows_ == 0 || cols_ == 0 || !(t_start <= t_max)) return kMiss;
  // The ray in grid patch coordinates (so that a patch's crossings do not depend on the
  // window): u(t) = ou + du t, v(t) = ov + dv t; patch (row0_ + cj, col0_ + ci) is the window's
  // (cj, ci).
  const double inv_res = inv_resolution_m_;
  const double ou = origin_m[0] * inv_res - 0.5, ov = origin_m[1] * inv_res - 0.5;
  const double du = direction[0] * inv_res, dv = direction[1] * inv_res;
  const double oz = origin_m[2], dz = direction[2];
  const double inv_du = du != 0.0 ? 1.0 / du : 0.0, inv_dv = dv != 0.0 ? 1.0 / dv : 0.0;
  // Which side of a block the ray leaves by (1: the high one) and the first patch beyond it.
  const int side_u = du > 0.0 ? 1 : 0, side_v = dv > 0.0 ? 1 : 0;
  const int next_u = du > 0.0 ? 0 : -1, next_v = dv > 0.0 ? 0 : -1;
  const bool moves_u = du != 0.0, moves_v = dv != 0.0, rises = dz > 0.0;

  double t = t_start;
  int ci, cj;
  {
    const double u = ou + du * t, v = ov + dv * t;
    if (!(u >= col0_ && v >= row0_ && u < col0_ + cols_ && v < row0_ + rows_)) return kMiss;
    // The current patch (integers, so every step moves on even where rounding would not).
    ci = std::min(static_cast<int>(u) - col0_, cols_ - 1);
    cj = std::min(static_cast<int>(v) - row0_, rows_ - 1);
  }
  const int top = levels_ - 1;
  int level = std::min(top, start_level);
  const float* const max_m = max_m_.data();

  while (true) {
    // The block holding the current patch at this level, and where the ray leaves it (a block
    // that reaches past the window's high side ends there: beyond it the ray has ended).
    const int bi = ci >> level, bj = cj >> level;
    const int edge_u = std::min((bi + side_u) << level, cols_);
    const int edge_v = std::min((bj + side_v) << level, rows_);
    const double tx = moves_u ? (static_cast<double>(col0_ + edge_u) - ou) * inv_du : kInf;
    const double ty = moves_v ? (static_cast<double>(row0_ + edge_v) - ov) * inv_dv : kInf;
    const double t_exit = std::max(t, std::min(tx, ty));
    const double t_end = std::min(t_exit, t_max);
    const double z_low = oz + dz * (rises ? t : t_end);
    const float block_max =
        max_m[level_offset_[level] + static_cast<std::size_t>(bj) * level_cols_[level] + bi];

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
      const double a0 = ou + du * t - c, b0 = ov + dv * t - r;
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
      ci = edge_u + next_u;
      if (ci < 0 || ci >= cols_) return kMiss;
      // Truncation instead of floor: where they differ (-1 < x < 0) both clamp to lo.
      const int lo = bj << level, hi = std::min(lo + (1 << level) - 1, rows_ - 1);
      cj = std::clamp(static_cast<int>(ov + dv * t) - row0_, lo, hi);
    } else {
      cj = edge_v + next_v;
      if (cj < 0 || cj >= rows_) return kMiss;
      const int lo = bi << level, hi = std::min(lo + (1 << level) - 1, cols_ - 1);
      ci = std::clamp(static_cast<int>(ou + du * t) - col0_, lo, hi);
    }
    // Look at the parent again only where it can now be skipped: the ray entered a new parent,
    // or it rises (so its low end over the same parent is higher now).
    if (level < top && (rises || ((ci >> (level + 1)) != (bi >> 1)) ||
                        ((cj >> (level + 1)) != (bj >> 1)))) {
      ++level;
    }
  }
}

namespace {

// A monotone stand-in for the azimuth of (x, y) != 0 in [0, 4] (quadrant + fraction), cheaper
// than atan2: 0 along +x, 1 along +y, 2 along -x, 3 along -y. Turning half a turn adds 2.
double DiamondAngle(double x, double y) {
  if (y >= 0.0) return x >= 0.0 ? y / (x + y) : 1.0 - x / (y - x);
  return x < 0.0 ? 2.0 - y / (-x - y) : 3.0 + x / (x - y);
}

}  // namespace

void ViewpointCaster::Build(const HeightfieldPyramid& pyramid, const double viewpoint_m[3],
                            double max_range_m) {
  ILRS_THROW_IF_NOT(std::isfinite(max_range_m) && max_range_m > 0.0,
                    "ViewpointCaster: max_range_m must be > 0, got " + std::to_string(max_range_m));
  pyramid_ = &pyramid;
  for (int i = 0; i < 3; ++i) viewpoint_m_[i] = viewpoint_m[i];
  max_range_m_ = max_range_m;
  ring_m_ = max_range_m / kRings;
  inv_ring_m_ = 1.0 / ring_m_;
  max_m_.assign(static_cast<std::size_t>(kSectors) * kRings,
                -std::numeric_limits<float>::infinity());

  // Every window patch within reach raises the cells its square may touch: the rings from its
  // nearest to its farthest point, the sectors between its corners' azimuths (all of them for
  // a patch at the viewpoint), both widened by far more than rounding.
  const double res = pyramid.resolution_m();
  const double inv_ring = inv_ring_m_;
  constexpr double kSectorsPerUnit = kSectors / 4.0;
  const double slack_m = 1e-9 * (1.0 + max_range_m), slack_angle = 1e-7;
  const auto ring = [&](double r) {
    return static_cast<int>(std::clamp(std::floor(r * inv_ring), 0.0, kRings - 1.0));
  };
  const auto sector = [&](double a) { return static_cast<int>(std::floor(a * kSectorsPerUnit)); };
  for (int r = 0; r < pyramid.rows(); ++r) {
    const double y0 = (pyramid.row0() + r + 0.5) * res - viewpoint_m[1];
    const double y1 = (pyramid.row0() + r + 1.5) * res - viewpoint_m[1];
    const double ny = std::clamp(0.0, y0, y1), fy = std::max(y0 * y0, y1 * y1);
    if (std::abs(ny) > max_range_m + slack_m) continue;
    for (int c = 0; c < pyramid.cols(); ++c) {
      const double x0 = (pyramid.col0() + c + 0.5) * res - viewpoint_m[0];
      const double x1 = (pyramid.col0() + c + 1.5) * res - viewpoint_m[0];
      const double nx = std::clamp(0.0, x0, x1);
      const double near_m = std::sqrt(nx * nx + ny * ny);
      if (near_m > max_range_m + slack_m) continue;
      const double far_m = std::sqrt(std::max(x0 * x0, x1 * x1) + fy);
      const int k0 = ring(near_m - slack_m), k1 = ring(far_m + slack_m);
      const float m = pyramid.PatchMax(r, c);
      const auto raise = [&](int s0, int s1) {  // sectors s0..s1, no wrap
        for (int s = s0; s <= s1; ++s) {
          float* cell = &max_m_[static_cast<std::size_t>(s) * kRings];
          for (int k = k0; k <= k1; ++k) cell[k] = std::max(cell[k], m);
        }
      };
      if (near_m < 1e-3) {
        raise(0, kSectors - 1);
        continue;
      }
      double a[4] = {DiamondAngle(x0, y0), DiamondAngle(x1, y0), DiamondAngle(x0, y1),
                     DiamondAngle(x1, y1)};
      double lo = std::min(std::min(a[0], a[1]), std::min(a[2], a[3]));
      double hi = std::max(std::max(a[0], a[1]), std::max(a[2], a[3]));
      if (hi - lo > 2.0) {
        // The square lies across the +x axis (it spans less than half a turn): count the
        // corners past the axis a full turn on.
        for (double& corner : a) corner += corner < 2.0 ? 4.0 : 0.0;
        lo = std::min(std::min(a[0], a[1]), std::min(a[2], a[3]));
        hi = std::max(std::max(a[0], a[1]), std::max(a[2], a[3]));
      }
      // Sectors lo..hi, wrapping past the last one.
      const int s0 = sector(lo - slack_angle), s1 = sector(hi + slack_angle);
      if (s0 < 0) raise(s0 + kSectors, kSectors - 1);
      if (s1 >= kSectors) raise(0, std::min(s1 - kSectors, kSectors - 1));
      raise(std::max(s0, 0), std::min(s1, kSectors - 1));
    }
  }
  // A ray of slope dz/dr over ring k (r from k to k + 1 rings) has its lowest point at the far
  // edge when it falls, the near one when it rises; lowered by far more than rounding, that
  // point is above the ring's maximum M exactly when the slope exceeds
  //   (M - z) / (k + 1) rings   if M < z (falling rays may pass),
  //   (M - z) / k rings         if M >= z (only rising rays may pass; none at k = 0).
  // Running maxima over k give the first ring a ray of a given slope might meet.
  const double z_base = viewpoint_m[2] - 1e-7 * (1.0 + std::abs(viewpoint_m[2]));
  slope_threshold_.resize(static_cast<std::size_t>(kSectors) * kRings);
  group_threshold_.resize(static_cast<std::size_t>(kSectors) * kGroups);
  for (int sec = 0; sec < kSectors; ++sec) {
    const float* cell = &max_m_[static_cast<std::size_t>(sec) * kRings];
    float* out = &slope_threshold_[static_cast<std::size_t>(sec) * kRings];
    double running = -kInf;
    for (int k = 0; k < kRings; ++k) {
      const double rise = cell[k] - z_base;
      const double threshold = rise < 0.0 ? rise / ((k + 1) * ring_m_)
                               : k == 0   ? kInf
                                          : rise / (k * ring_m_);
      running = std::max(running, threshold);
      // Rounded up (the slope is rounded down when compared).
      out[k] = running == -kInf ? -std::numeric_limits<float>::infinity()
                                : static_cast<float>(running + 1e-6 * std::abs(running) + 1e-9);
    }
    for (int g = 0; g < kGroups; ++g) {
      group_threshold_[static_cast<std::size_t>(sec) * kGroups + g] =
          out[(g + 1) * kRingsPerGroup - 1];
    }
  }
}

double ViewpointCaster::WalkStart(const double direction[3], double t_min, double t_max) const {
  constexpr double kMiss = std::numeric_limits<double>::quiet_NaN();
  const double dx = direction[0], dy = direction[1], dz = direction[2];
  if (!(t_min <= t_max) || !pyramid_->InWindow(viewpoint_m_, direction, t_min)) return kMiss;
  // A (nearly) vertical ray stays by the viewpoint: no bound from the table.
  const double s2 = dx * dx + dy * dy;
  if (!(s2 > 1e-12) || !(t_max <= max_range_m_)) return t_min;
  // The ray's track at horizontal distance r (= s t) from the viewpoint is at height
  // oz + slope r, in one sector.
  const double s = std::sqrt(s2), inv_s = 1.0 / s, slope = dz * inv_s;
  const int sec = std::min(static_cast<int>(DiamondAngle(dx, dy) * (kSectors / 4.0)),
                           kSectors - 1);
  // The first ring it might meet: the number of thresholds below its slope (they rise with k),
  // counted in float with the slope rounded down, first over the groups' last rings.
  const float* threshold = &slope_threshold_[static_cast<std::size_t>(sec) * kRings];
  const float* group_threshold = &group_threshold_[static_cast<std::size_t>(sec) * kGroups];
  const float slope_f = static_cast<float>(slope - 1e-6 * std::abs(slope) - 1e-9);
  int g = 0;
  for (int j = 0; j < kGroups; ++j) g += slope_f > group_threshold[j] ? 1 : 0;
  if (g == kGroups) return kMiss;  // above everything around
  int k = g * kRingsPerGroup;
  for (int j = 0; j < kRingsPerGroup; ++j) k += slope_f > threshold[g * kRingsPerGroup + j] ? 1 : 0;
  if (k > std::min(static_cast<int>(s * t_max * inv_ring_m_), kRings - 1)) return kMiss;
  // Backed off by far more than rounding.
  return std::max(t_min, k * ring_m_ * inv_s * (1.0 - 1e-12));
}

double ViewpointCaster::CastFrom(const double direction[3], double t_start, double t_max) const {
  if (std::isnan(t_start)) return t_start;
  return pyramid_->CastFrom(viewpoint_m_, direction, t_start, t_max, 0);
}

double ViewpointCaster::CastRay(const double direction[3], double t_min, double t_max) const {
  return CastFrom(direction, WalkStart(direction, t_min, t_max), t_max);
}

namespace {

// PixelRay from the pixel's normalised image coordinates.
inline void RayThrough(const double* R, double xc, double yc, double direction_out[3],
                       double* depth_per_range) {
  const double inv_norm = 1.0 / std::sqrt(xc * xc + yc * yc + 1.0);
  direction_out[0] = (R[0] * xc + R[1] * yc + R[2]) * inv_norm;
  direction_out[1] = (R[3] * xc + R[4] * yc + R[5]) * inv_norm;
  direction_out[2] = (R[6] * xc + R[7] * yc + R[8]) * inv_norm;
  *depth_per_range = inv_norm;
}

}  // namespace

void PixelRay(const perception::PinholeIntrinsics& intrinsics, const perception::CameraPose& pose,
              int u, int v, double direction_out[3], double* depth_per_range) {
  RayThrough(pose.rotation, (u - intrinsics.cx) / intrinsics.fx,
             (v - intrinsics.cy) / intrinsics.fy, direction_out, depth_per_range);
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
  thread_local ViewpointCaster caster;
  caster.Build(pyramid, pose.position_m, params.max_range_m);
  // A row at a time, in two passes (rays and their starts, then the walks), which keeps the
  // processor busy with several rays at once; the buffers are kept between frames.
  const int width = intrinsics.width_px;
  thread_local std::vector<double> row, column_xc;
  row.resize(static_cast<std::size_t>(width) * 5);
  column_xc.resize(static_cast<std::size_t>(width));
  for (int u = 0; u < width; ++u) column_xc[u] = (u - intrinsics.cx) / intrinsics.fx;
  for (int v = 0; v < intrinsics.height_px; ++v) {
    const double yc = (v - intrinsics.cy) / intrinsics.fy;
    for (int u = 0; u < width; ++u) {
      double* ray = &row[static_cast<std::size_t>(u) * 5];
      RayThrough(pose.rotation, column_xc[u], yc, ray, &ray[3]);  // as PixelRay
      ray[4] = caster.WalkStart(ray, params.min_range_m, params.max_range_m);
    }
    for (int u = 0; u < width; ++u) {
      const double* ray = &row[static_cast<std::size_t>(u) * 5];
      const double t = caster.CastFrom(ray, ray[4], params.max_range_m);
      depth_out(v, u) = std::isnan(t) ? kNaN : static_cast<float>(t * ray[3]);
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
