#include "ilrs/sim/heightfield_raycast.h"

#include <cmath>
#include <limits>
#include <string>

namespace ilrs::sim {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

}  // namespace

void RaycastParams::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "RaycastParams.resolution_m must be > 0, got " + std::to_string(resolution_m));
  ILRS_THROW_IF_NOT(min_range_m >= 0.0 && max_range_m > min_range_m && std::isfinite(max_range_m),
                    "RaycastParams: need 0 <= min_range_m < max_range_m, got " +
                        std::to_string(min_range_m) + " and " + std::to_string(max_range_m));
  ILRS_THROW_IF_NOT(step_fraction > 0.0 && step_fraction <= 1.0,
                    "RaycastParams.step_fraction must be in (0, 1], got " +
                        std::to_string(step_fraction));
  ILRS_THROW_IF_NOT(bisection_steps >= 0 && bisection_steps <= 64,
                    "RaycastParams.bisection_steps must be in [0, 64], got " +
                        std::to_string(bisection_steps));
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

void RenderDepth(GridView<const float> heights_m, const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 GridView<float> depth_out) {
  params.Validate();
  intrinsics.Validate();
  ILRS_THROW_IF_NOT(depth_out.rows() == intrinsics.height_px &&
                        depth_out.cols() == intrinsics.width_px,
                    "RenderDepth: output is " + std::to_string(depth_out.rows()) + " x " +
                        std::to_string(depth_out.cols()) + " but the intrinsics say " +
                        std::to_string(intrinsics.height_px) + " x " +
                        std::to_string(intrinsics.width_px));
  const double* R = pose.rotation;
  const double* o = pose.position_m;
  const double step = params.step_fraction * params.resolution_m;

  for (int v = 0; v < intrinsics.height_px; ++v) {
    for (int u = 0; u < intrinsics.width_px; ++u) {
      // Unit ray in the map frame, and the cosine that turns range into optical depth.
      const double xc = (u - intrinsics.cx) / intrinsics.fx;
      const double yc = (v - intrinsics.cy) / intrinsics.fy;
      const double norm = std::sqrt(xc * xc + yc * yc + 1.0);
      const double dx = (R[0] * xc + R[1] * yc + R[2]) / norm;
      const double dy = (R[3] * xc + R[4] * yc + R[5]) / norm;
      const double dz = (R[6] * xc + R[7] * yc + R[8]) / norm;
      const double depth_per_range = 1.0 / norm;

      float hit = kNaN;
      double t_prev = params.min_range_m;
      for (double t = params.min_range_m; t <= params.max_range_m; t += step) {
        const double x = o[0] + dx * t, y = o[1] + dy * t, z = o[2] + dz * t;
        const float ground = SampleHeight(heights_m, params.resolution_m, x, y);
        if (std::isnan(ground)) break;
        if (z <= ground) {
          // Bisection between the last point above and this one below the surface.
          double lo = t_prev, hi = t;
          for (int i = 0; i < params.bisection_steps; ++i) {
            const double mid = 0.5 * (lo + hi);
            const float g = SampleHeight(heights_m, params.resolution_m, o[0] + dx * mid,
                                         o[1] + dy * mid);
            if (!std::isnan(g) && o[2] + dz * mid <= g) hi = mid; else lo = mid;
          }
          hit = static_cast<float>(hi * depth_per_range);
          break;
        }
        t_prev = t;
      }
      depth_out(v, u) = hit;
    }
  }
}

}  // namespace ilrs::sim
