#include "ilrs/sim/stereo_render.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ilrs::sim {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool Finite3(const double* v) {
  return std::isfinite(v[0]) && std::isfinite(v[1]) && std::isfinite(v[2]);
}

// Bilinear height and its gradient at map (x, y); false outside the centres' hull or on
// unknown cells. Same cell convention and arithmetic as SampleHeight.
bool HeightAndGradient(GridView<const float> h, double res, double x, double y, double* z,
                       double* gx, double* gy) {
  const double u = x / res - 0.5, v = y / res - 0.5;
  if (!(u >= 0.0) || !(v >= 0.0)) return false;
  const int c0 = static_cast<int>(u), r0 = static_cast<int>(v);
  if (c0 + 1 >= h.cols() || r0 + 1 >= h.rows()) return false;
  const double fu = u - c0, fv = v - r0;
  const double h00 = h(r0, c0), h01 = h(r0, c0 + 1), h10 = h(r0 + 1, c0), h11 = h(r0 + 1, c0 + 1);
  *z = (h00 * (1 - fu) + h01 * fu) * (1 - fv) + (h10 * (1 - fu) + h11 * fu) * fv;
  *gx = ((h01 - h00) * (1 - fv) + (h11 - h10) * fv) / res;
  *gy = ((h10 - h00) * (1 - fu) + (h11 - h01) * fu) / res;
  return std::isfinite(*z) && std::isfinite(*gx) && std::isfinite(*gy);
}

std::uint32_t Mix(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

// A reproducible value in [0, 1) for lattice point (i, j) of octave `octave`.
double Lattice(std::int64_t i, std::int64_t j, std::uint32_t seed, int octave) {
  std::uint32_t h = Mix(seed ^ (0x9e3779b9U * static_cast<std::uint32_t>(octave + 1)));
  h = Mix(h ^ static_cast<std::uint32_t>(i));
  h = Mix(h ^ static_cast<std::uint32_t>(j));
  return h * (1.0 / 4294967296.0);
}

double ValueNoise(double x, double y, std::uint32_t seed, int octave) {
  const double fx = std::floor(x), fy = std::floor(y);
  const auto i = static_cast<std::int64_t>(fx), j = static_cast<std::int64_t>(fy);
  double a = x - fx, b = y - fy;
  a = a * a * (3 - 2 * a);  // smoothstep, so the texture has no lattice creases
  b = b * b * (3 - 2 * b);
  const double v00 = Lattice(i, j, seed, octave), v10 = Lattice(i + 1, j, seed, octave);
  const double v01 = Lattice(i, j + 1, seed, octave), v11 = Lattice(i + 1, j + 1, seed, octave);
  return (v00 * (1 - a) + v10 * a) * (1 - b) + (v01 * (1 - a) + v11 * a) * b;
}

void Normalise(const double* in, double* out) {
  const double n = std::sqrt(in[0] * in[0] + in[1] * in[1] + in[2] * in[2]);
  for (int i = 0; i < 3; ++i) out[i] = in[i] / n;
}

}  // namespace

void SceneLighting::Validate() const {
  ILRS_THROW_IF_NOT(Finite3(sun_direction) && (sun_direction[0] != 0.0 ||
                                               sun_direction[1] != 0.0 || sun_direction[2] != 0.0),
                    "SceneLighting.sun_direction must be a finite non-zero vector");
  ILRS_THROW_IF_NOT(std::isfinite(sun_irradiance) && sun_irradiance >= 0.0,
                    "SceneLighting.sun_irradiance must be >= 0, got " +
                        std::to_string(sun_irradiance));
  ILRS_THROW_IF_NOT(std::isfinite(shadow_max_distance_m) && shadow_max_distance_m > 0.0,
                    "SceneLighting.shadow_max_distance_m must be > 0, got " +
                        std::to_string(shadow_max_distance_m));
  ILRS_THROW_IF_NOT(Finite3(light_position_m), "SceneLighting.light_position_m must be finite");
  ILRS_THROW_IF_NOT(std::isfinite(light_intensity) && light_intensity >= 0.0,
                    "SceneLighting.light_intensity must be >= 0, got " +
                        std::to_string(light_intensity));
}

void SurfaceParams::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(base_albedo) && base_albedo > 0.0 && base_albedo <= 1.0,
                    "SurfaceParams.base_albedo must be in (0, 1], got " +
                        std::to_string(base_albedo));
  ILRS_THROW_IF_NOT(std::isfinite(texture_contrast) && texture_contrast >= 0.0 &&
                        texture_contrast < 1.0,
                    "SurfaceParams.texture_contrast must be in [0, 1), got " +
                        std::to_string(texture_contrast));
  ILRS_THROW_IF_NOT(std::isfinite(texture_cell_m) && texture_cell_m > 0.0,
                    "SurfaceParams.texture_cell_m must be > 0, got " +
                        std::to_string(texture_cell_m));
}

float SurfaceAlbedo(const SurfaceParams& surface, double x_m, double y_m) {
  // Three octaves, coarsest first: 4, 2 and 1 times texture_cell_m.
  constexpr double kWeights[3] = {0.45, 0.35, 0.20};
  double noise = 0.0;
  for (int o = 0; o < 3; ++o) {
    const double cell = surface.texture_cell_m * static_cast<double>(4 >> o);
    noise += kWeights[o] * ValueNoise(x_m / cell, y_m / cell, surface.texture_seed, o);
  }
  return static_cast<float>(surface.base_albedo *
                            (1.0 + surface.texture_contrast * (2.0 * noise - 1.0)));
}

void RenderScene(GridView<const float> heights_m, const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 const SceneLighting& lighting, const SurfaceParams& surface,
                 const SceneImages& out) {
  params.Validate();
  intrinsics.Validate();
  lighting.Validate();
  surface.Validate();
  const int rows = intrinsics.height_px, cols = intrinsics.width_px;
  const auto size_text = [&](const char* name, int r, int c) {
    return std::string("RenderScene: ") + name + " is " + std::to_string(r) + " x " +
           std::to_string(c) + " but the intrinsics say " + std::to_string(rows) + " x " +
           std::to_string(cols);
  };
  ILRS_THROW_IF_NOT(out.depth_m.rows() == rows && out.depth_m.cols() == cols,
                    size_text("depth_m", out.depth_m.rows(), out.depth_m.cols()));
  ILRS_THROW_IF_NOT(out.irradiance.rows() == rows && out.irradiance.cols() == cols,
                    size_text("irradiance", out.irradiance.rows(), out.irradiance.cols()));
  const bool want_radiance = out.radiance.size() != 0;
  ILRS_THROW_IF_NOT(!want_radiance || (out.radiance.rows() == rows && out.radiance.cols() == cols),
                    size_text("radiance", out.radiance.rows(), out.radiance.cols()));

  const double* o = pose.position_m;
  const double res = params.resolution_m;
  double sun[3];
  Normalise(lighting.sun_direction, sun);
  const bool sun_on = lighting.sun_irradiance > 0.0;
  const bool shadows = sun_on && lighting.cast_shadows;
  const bool lamp_on = lighting.light_intensity > 0.0;
  const double* lamp = lighting.light_position_m;

  // Shadow rays start within max_range of the camera and run shadow_max_distance_m.
  const double reach = params.max_range_m + (shadows ? lighting.shadow_max_distance_m : 0.0) + res;
  thread_local HeightfieldPyramid pyramid;
  pyramid.Build(heights_m, res, HeightfieldPyramid::PatchesAround(heights_m, res, o[0], o[1], reach));
  thread_local ViewpointCaster caster;
  caster.Build(pyramid, o, params.max_range_m);

  for (int v = 0; v < rows; ++v) {
    for (int u = 0; u < cols; ++u) {
      // The primary ray, cast as RenderDepth casts it.
      double d[3], depth_per_range = 0.0;
      PixelRay(intrinsics, pose, u, v, d, &depth_per_range);
      const double hit_t = caster.CastRay(d, params.min_range_m, params.max_range_m);
      if (std::isnan(hit_t)) {
        out.depth_m(v, u) = kNaN;
        out.irradiance(v, u) = 0.0f;
        if (want_radiance) out.radiance(v, u) = 0.0f;
        continue;
      }
      out.depth_m(v, u) = static_cast<float>(hit_t * depth_per_range);

      // Shading at the hit point, from the bilinear surface's normal there.
      const double p[3] = {o[0] + d[0] * hit_t, o[1] + d[1] * hit_t, o[2] + d[2] * hit_t};
      double zs = 0.0, gx = 0.0, gy = 0.0;
      double irradiance = 0.0;
      if (HeightAndGradient(heights_m, res, p[0], p[1], &zs, &gx, &gy)) {
        const double gn = std::sqrt(gx * gx + gy * gy + 1.0);
        const double n[3] = {-gx / gn, -gy / gn, 1.0 / gn};
        const double on_surface[3] = {p[0], p[1], zs};
        if (sun_on) {
          const double cos_sun = n[0] * sun[0] + n[1] * sun[1] + n[2] * sun[2];
          if (cos_sun > 0.0) {
            // Start just off the surface so the ray does not meet its own point.
            const double lift = 1e-3 + 1e-3 * res;
            const double start[3] = {on_surface[0] + n[0] * lift, on_surface[1] + n[1] * lift,
                                     on_surface[2] + n[2] * lift};
            if (!shadows ||
                std::isnan(pyramid.CastRay(start, sun, 0.0, lighting.shadow_max_distance_m))) {
              irradiance += lighting.sun_irradiance * cos_sun;
            }
          }
        }
        if (lamp_on) {
          const double l[3] = {lamp[0] - on_surface[0], lamp[1] - on_surface[1],
                               lamp[2] - on_surface[2]};
          const double r2 = l[0] * l[0] + l[1] * l[1] + l[2] * l[2];
          if (r2 > 0.0) {
            const double cos_lamp = (n[0] * l[0] + n[1] * l[1] + n[2] * l[2]) / std::sqrt(r2);
            if (cos_lamp > 0.0) irradiance += lighting.light_intensity * cos_lamp / r2;
          }
        }
      }
      out.irradiance(v, u) = static_cast<float>(irradiance);
      if (want_radiance) {
        out.radiance(v, u) = static_cast<float>(irradiance * SurfaceAlbedo(surface, p[0], p[1]));
      }
    }
  }
}

void SunVisibility(GridView<const float> heights_m, double resolution_m,
                   GridView<const double> points_m, const SceneLighting& lighting,
                   GridView<std::uint8_t> visible_out) {
  lighting.Validate();
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "SunVisibility: resolution_m must be > 0, got " + std::to_string(resolution_m));
  ILRS_THROW_IF_NOT(points_m.cols() == 3, "SunVisibility: points must have 3 columns, got " +
                                              std::to_string(points_m.cols()));
  ILRS_THROW_IF_NOT(visible_out.size() == static_cast<std::size_t>(points_m.rows()),
                    "SunVisibility: output holds " + std::to_string(visible_out.size()) +
                        " values for " + std::to_string(points_m.rows()) + " points");
  if (points_m.rows() == 0) return;
  double sun[3];
  Normalise(lighting.sun_direction, sun);
  double lo[2] = {points_m(0, 0), points_m(0, 1)}, hi[2] = {lo[0], lo[1]};
  for (int i = 0; i < points_m.rows(); ++i) {
    ILRS_THROW_IF_NOT(std::isfinite(points_m(i, 0)) && std::isfinite(points_m(i, 1)) &&
                          std::isfinite(points_m(i, 2)),
                      "SunVisibility: point " + std::to_string(i) + " is not finite");
    for (int k = 0; k < 2; ++k) {
      lo[k] = std::min(lo[k], points_m(i, k));
      hi[k] = std::max(hi[k], points_m(i, k));
    }
  }
  const double reach = lighting.shadow_max_distance_m + resolution_m;
  const double half_w = 0.5 * (hi[0] - lo[0]), half_h = 0.5 * (hi[1] - lo[1]);
  thread_local HeightfieldPyramid pyramid;
  pyramid.Build(heights_m, resolution_m,
                HeightfieldPyramid::PatchesAround(heights_m, resolution_m, lo[0] + half_w,
                                                  lo[1] + half_h,
                                                  std::max(half_w, half_h) + reach));
  for (int i = 0; i < points_m.rows(); ++i) {
    const double p[3] = {points_m(i, 0), points_m(i, 1), points_m(i, 2)};
    visible_out.data()[i] =
        std::isnan(pyramid.CastRay(p, sun, 0.0, lighting.shadow_max_distance_m)) ? 1 : 0;
  }
}

}  // namespace ilrs::sim
