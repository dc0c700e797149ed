#include "ilrs/sim/tube_render.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>

#include "ilrs/sim/heightfield_raycast.h"

namespace ilrs::sim {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;
// Shadow rays start this far off the wall, into the void, so they do not meet their own point.
constexpr double kShadowLift_m = 1e-6;

bool Finite3(const double* v) {
  return std::isfinite(v[0]) && std::isfinite(v[1]) && std::isfinite(v[2]);
}

std::uint64_t SplitMix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A reproducible value in [0, 1) for lattice point (i, j) of octave `octave`.
double Lattice(std::int64_t i, std::int64_t j, std::uint32_t seed, int octave) {
  std::uint64_t h = SplitMix((static_cast<std::uint64_t>(seed) << 2) ^
                             static_cast<std::uint64_t>(octave));
  h = SplitMix(h ^ static_cast<std::uint64_t>(i));
  h = SplitMix(h ^ static_cast<std::uint64_t>(j));
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// Value noise on a lattice that wraps after `period` cells in the second coordinate.
double WrappedValueNoise(double u, double v, std::int64_t period, std::uint32_t seed,
                         int octave) {
  const double fu = std::floor(u), fv = std::floor(v);
  const auto i = static_cast<std::int64_t>(fu);
  const std::int64_t j0 = ((static_cast<std::int64_t>(fv) % period) + period) % period;
  const std::int64_t j1 = (j0 + 1) % period;
  double a = u - fu, b = v - fv;
  a = a * a * (3 - 2 * a);  // smoothstep: no creases along the lattice lines
  b = b * b * (3 - 2 * b);
  const double v00 = Lattice(i, j0, seed, octave), v10 = Lattice(i + 1, j0, seed, octave);
  const double v01 = Lattice(i, j1, seed, octave), v11 = Lattice(i + 1, j1, seed, octave);
  return (v00 * (1 - a) + v10 * a) * (1 - b) + (v01 * (1 - a) + v11 * a) * b;
}

double Dot(const double* a, const double* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// Whether wall point p lies in the skylight's opening.
bool InOpening(const TubeWall& wall, const Skylight& sky, const double p[3]) {
  if (!(sky.radius_m > 0.0) || !(p[2] > wall.axis_z_m())) return false;
  return std::hypot(p[0] - sky.center_x_m, p[1] - sky.center_y_m) < sky.radius_m;
}

}  // namespace

TubeWall::TubeWall(std::vector<double> knots_x_m, std::vector<double> radii_m, double axis_y_m,
                   double axis_z_m)
    : profile_(std::move(knots_x_m), std::move(radii_m), axis_y_m, axis_z_m),
      axis_y_m_(axis_y_m),
      axis_z_m_(axis_z_m) {
  const auto& r = profile_.radii_m();
  mean_radius_m_ = std::accumulate(r.begin(), r.end(), 0.0) / static_cast<double>(r.size());
}

double TubeWall::RadiusAt(double x_m) const {
  const auto& k = profile_.knots_x_m();
  const auto& r = profile_.radii_m();
  if (!(x_m > k.front())) return r.front();
  if (!(x_m < k.back())) return r.back();
  const std::size_t i = static_cast<std::size_t>(std::upper_bound(k.begin(), k.end(), x_m) -
                                                 k.begin());
  return r[i - 1] + (x_m - k[i - 1]) * (r[i] - r[i - 1]) / (k[i] - k[i - 1]);
}

double TubeWall::SlopeAt(double x_m) const {
  const auto& k = profile_.knots_x_m();
  const auto& r = profile_.radii_m();
  const std::size_t i = static_cast<std::size_t>(std::upper_bound(k.begin(), k.end(), x_m) -
                                                 k.begin());
  if (i == 0 || i == k.size()) return 0.0;
  return (r[i] - r[i - 1]) / (k[i] - k[i - 1]);
}

void TubeWall::Normal(const double point_m[3], double normal_out[3]) const {
  const double ey = point_m[1] - axis_y_m_, ez = point_m[2] - axis_z_m_;
  const double rho = std::hypot(ey, ez);
  ILRS_ASSERT(rho > 0.0);
  const double s = SlopeAt(point_m[0]);
  const double scale = 1.0 / std::sqrt(1.0 + s * s);
  normal_out[0] = s * scale;
  normal_out[1] = -ey / rho * scale;
  normal_out[2] = -ez / rho * scale;
}

float TubeWall::Albedo(const SurfaceParams& surface, double x_m, double angle_rad) const {
  // Three octaves, coarsest first: 4, 2 and 1 times texture_cell_m.
  constexpr double kWeights[3] = {0.45, 0.35, 0.20};
  double noise = 0.0;
  for (int o = 0; o < 3; ++o) {
    const double cell = surface.texture_cell_m * static_cast<double>(4 >> o);
    const auto period = std::max<std::int64_t>(
        3, static_cast<std::int64_t>(std::llround(2.0 * kPi * mean_radius_m_ / cell)));
    const double v = (angle_rad + kPi) / (2.0 * kPi) * static_cast<double>(period);
    noise += kWeights[o] * WrappedValueNoise(x_m / cell, v, period, surface.texture_seed, o);
  }
  return static_cast<float>(surface.base_albedo *
                            (1.0 + surface.texture_contrast * (2.0 * noise - 1.0)));
}

void Skylight::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(center_x_m) && std::isfinite(center_y_m),
                    "Skylight.center_x_m and center_y_m must be finite");
  ILRS_THROW_IF_NOT(std::isfinite(radius_m) && radius_m >= 0.0,
                    "Skylight.radius_m must be >= 0, got " + std::to_string(radius_m));
  ILRS_THROW_IF_NOT(std::isfinite(top_z_m),
                    "Skylight.top_z_m must be finite, got " + std::to_string(top_z_m));
}

void TubeLighting::Validate() const {
  ILRS_THROW_IF_NOT(Finite3(light_position_m), "TubeLighting.light_position_m must be finite");
  ILRS_THROW_IF_NOT(std::isfinite(light_intensity) && light_intensity >= 0.0,
                    "TubeLighting.light_intensity must be >= 0, got " +
                        std::to_string(light_intensity));
  ILRS_THROW_IF_NOT(Finite3(sun_direction) && Dot(sun_direction, sun_direction) > 0.0,
                    "TubeLighting.sun_direction must be a finite non-zero vector");
  ILRS_THROW_IF_NOT(std::isfinite(sun_irradiance) && sun_irradiance >= 0.0,
                    "TubeLighting.sun_irradiance must be >= 0, got " +
                        std::to_string(sun_irradiance));
  ILRS_THROW_IF_NOT(std::isfinite(min_irradiance) && min_irradiance >= 0.0,
                    "TubeLighting.min_irradiance must be >= 0, got " +
                        std::to_string(min_irradiance));
  skylight.Validate();
}

double TubeIrradiance(const TubeWall& wall, const TubeLighting& lighting, const double p[3],
                      const double n[3]) {
  const double start[3] = {p[0] + n[0] * kShadowLift_m, p[1] + n[1] * kShadowLift_m,
                           p[2] + n[2] * kShadowLift_m};
  double irradiance = 0.0;
  if (lighting.light_intensity > 0.0) {
    const double* lamp = lighting.light_position_m;
    double l[3] = {lamp[0] - p[0], lamp[1] - p[1], lamp[2] - p[2]};
    const double r2 = Dot(l, l);
    const double r = std::sqrt(r2);
    if (r > kShadowLift_m) {
      for (double& c : l) c /= r;
      const double cos_lamp = Dot(n, l);
      // Lit when the wall does not come between the point and the light.
      if (cos_lamp > 0.0 && std::isinf(wall.profile().CastRay(start, l, r - kShadowLift_m))) {
        irradiance += lighting.light_intensity * cos_lamp / r2;
      }
    }
  }
  const Skylight& sky = lighting.skylight;
  if (lighting.sun_irradiance > 0.0 && sky.radius_m > 0.0) {
    double s[3] = {lighting.sun_direction[0], lighting.sun_direction[1],
                   lighting.sun_direction[2]};
    const double norm = std::sqrt(Dot(s, s));
    for (double& c : s) c /= norm;
    const double cos_sun = Dot(n, s);
    if (cos_sun > 0.0 && s[2] > 0.0) {
      // The ray towards the Sun must leave the tube through the opening and climb the shaft.
      const double t = wall.profile().CastRay(start, s, kInf);
      if (std::isfinite(t)) {
        const double q[3] = {start[0] + t * s[0], start[1] + t * s[1], start[2] + t * s[2]};
        const double t_top = (sky.top_z_m - start[2]) / s[2];
        const double top_x = start[0] + t_top * s[0], top_y = start[1] + t_top * s[1];
        if (InOpening(wall, sky, q) && q[2] <= sky.top_z_m &&
            std::hypot(top_x - sky.center_x_m, top_y - sky.center_y_m) < sky.radius_m) {
          irradiance += lighting.sun_irradiance * cos_sun;
        }
      }
    }
  }
  return irradiance;
}

void RenderTubeScene(const TubeWall& wall, const perception::PinholeIntrinsics& intrinsics,
                     const perception::CameraPose& pose, double max_range_m,
                     const TubeLighting& lighting, const SurfaceParams& surface,
                     const TubeImages& out) {
  intrinsics.Validate();
  lighting.Validate();
  surface.Validate();
  ILRS_THROW_IF_NOT(std::isfinite(max_range_m) && max_range_m > 0.0,
                    "RenderTubeScene: max_range_m must be > 0, got " +
                        std::to_string(max_range_m));
  ILRS_THROW_IF_NOT(Finite3(pose.position_m), "RenderTubeScene: position_m must be finite");
  const int rows = intrinsics.height_px, cols = intrinsics.width_px;
  const auto check_size = [&](const char* name, const GridView<float>& grid) {
    ILRS_THROW_IF_NOT(grid.rows() == rows && grid.cols() == cols,
                      std::string("RenderTubeScene: ") + name + " is " +
                          std::to_string(grid.rows()) + " x " + std::to_string(grid.cols()) +
                          " but the intrinsics say " + std::to_string(rows) + " x " +
                          std::to_string(cols));
  };
  check_size("depth_m", out.depth_m);
  check_size("irradiance", out.irradiance);
  check_size("radiance", out.radiance);

  const double* o = pose.position_m;
  for (int v = 0; v < rows; ++v) {
    for (int u = 0; u < cols; ++u) {
      double d[3], depth_per_range = 0.0;
      PixelRay(intrinsics, pose, u, v, d, &depth_per_range);
      const double t = wall.profile().CastRay(o, d, max_range_m);
      const double p[3] = {o[0] + t * d[0], o[1] + t * d[1], o[2] + t * d[2]};
      if (!std::isfinite(t) || InOpening(wall, lighting.skylight, p)) {
        out.depth_m(v, u) = kNaN;
        out.irradiance(v, u) = 0.0f;
        out.radiance(v, u) = 0.0f;
        continue;
      }
      double n[3];
      wall.Normal(p, n);
      if (Dot(n, d) > 0.0) {
        for (double& c : n) c = -c;  // face the ray (a camera in the rock looks at the back)
      }
      const double irradiance = TubeIrradiance(wall, lighting, p, n);
      const double angle = std::atan2(p[2] - wall.axis_z_m(), p[1] - wall.axis_y_m());
      out.irradiance(v, u) = static_cast<float>(irradiance);
      out.radiance(v, u) =
          static_cast<float>(irradiance * wall.Albedo(surface, p[0], angle));
      out.depth_m(v, u) = irradiance >= lighting.min_irradiance && irradiance > 0.0
                              ? static_cast<float>(t * depth_per_range)
                              : kNaN;
    }
  }
}

}  // namespace ilrs::sim
