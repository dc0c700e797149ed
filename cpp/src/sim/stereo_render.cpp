#include "ilrs/sim/stereo_render.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ilrs::sim {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr int kBlock = 8;  // cells per side of a shadow-skipping block

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

// Highest height a bilinear sample can take in each kBlock x kBlock block of cell-centre
// space over a window of the grid, so a shadow ray above a block can jump across it.
class BlockMax {
 public:
  BlockMax(GridView<const float> h, double res, double x_lo, double y_lo, double x_hi,
           double y_hi)
      : res_(res) {
    // Window in cell-centre index space, aligned to blocks and clipped to the grid.
    const int c_lo = std::max(0, static_cast<int>(std::floor(x_lo / res - 0.5)));
    const int r_lo = std::max(0, static_cast<int>(std::floor(y_lo / res - 0.5)));
    const int c_hi = std::min(h.cols() - 1, static_cast<int>(std::ceil(x_hi / res - 0.5)));
    const int r_hi = std::min(h.rows() - 1, static_cast<int>(std::ceil(y_hi / res - 0.5)));
    bc0_ = c_lo / kBlock;
    br0_ = r_lo / kBlock;
    ncols_ = c_hi >= c_lo ? c_hi / kBlock - bc0_ + 1 : 0;
    nrows_ = r_hi >= r_lo ? r_hi / kBlock - br0_ + 1 : 0;
    max_.assign(static_cast<std::size_t>(nrows_) * ncols_, -std::numeric_limits<float>::infinity());
    overall_ = -std::numeric_limits<double>::infinity();
    for (int br = 0; br < nrows_; ++br) {
      for (int bc = 0; bc < ncols_; ++bc) {
        // A sample in block (br, bc) reads cells up to one past its last index.
        const int r_first = (br0_ + br) * kBlock, c_first = (bc0_ + bc) * kBlock;
        const int r_last = std::min(h.rows() - 1, r_first + kBlock);
        const int c_last = std::min(h.cols() - 1, c_first + kBlock);
        float m = -std::numeric_limits<float>::infinity();
        bool unknown = false;
        for (int r = r_first; r <= r_last; ++r) {
          for (int c = c_first; c <= c_last; ++c) {
            const float z = h(r, c);
            if (std::isnan(z)) unknown = true; else m = std::max(m, z);
          }
        }
        // A block with unknown cells stops rays (SampleHeight gives NaN there): never skip it.
        if (unknown) m = std::numeric_limits<float>::infinity();
        max_[static_cast<std::size_t>(br) * ncols_ + bc] = m;
        overall_ = std::max(overall_, static_cast<double>(m));
      }
    }
  }

  double overall() const { return overall_; }

  // Max of the block holding cell-centre coordinates (u, v); +inf outside the window.
  double At(double u, double v, int* bu, int* bv) const {
    *bu = static_cast<int>(u) / kBlock;
    *bv = static_cast<int>(v) / kBlock;
    const int i = *bv - br0_, j = *bu - bc0_;
    if (i < 0 || j < 0 || i >= nrows_ || j >= ncols_) return std::numeric_limits<double>::infinity();
    return max_[static_cast<std::size_t>(i) * ncols_ + j];
  }

  double res() const { return res_; }

 private:
  double res_;
  int br0_ = 0, bc0_ = 0, nrows_ = 0, ncols_ = 0;
  std::vector<float> max_;
  double overall_;
};

// Marches from `p` towards unit direction `s` at t = (k + 1/2) * step; true when a sample
// within `max_distance_m` lies on or under the surface. A rising ray (s_z >= 0) never comes back
// down, so once above every cell of a block it skips the samples in that block, and once above
// every cell of the window it is lit: the answer is that of the plain march.
bool Shadowed(GridView<const float> h, const BlockMax& blocks, double step, double max_distance_m,
              const double* p, const double* s) {
  const double res = blocks.res();
  const double su = s[0] / res, sv = s[1] / res;  // cell-centre index units per metre
  const bool rising = s[2] >= 0.0;
  const long long last = static_cast<long long>(std::floor(max_distance_m / step - 0.5));
  for (long long k = 0; k <= last;) {
    const double t = (static_cast<double>(k) + 0.5) * step;
    const double x = p[0] + s[0] * t, y = p[1] + s[1] * t, z = p[2] + s[2] * t;
    if (rising && z > blocks.overall()) return false;
    const double u = x / res - 0.5, v = y / res - 0.5;
    if (!(u >= 0.0) || !(v >= 0.0) || static_cast<int>(u) + 1 >= h.cols() ||
        static_cast<int>(v) + 1 >= h.rows()) {
      return false;  // left the map
    }
    int bu = 0, bv = 0;
    if (rising && z > blocks.At(u, v, &bu, &bv)) {
      // Above the whole block: go on from the first sample past where the ray leaves it.
      double exit = std::numeric_limits<double>::infinity();
      if (su > 0) exit = std::min(exit, ((bu + 1) * kBlock - u) / su);
      if (su < 0) exit = std::min(exit, (bu * kBlock - u) / su);
      if (sv > 0) exit = std::min(exit, ((bv + 1) * kBlock - v) / sv);
      if (sv < 0) exit = std::min(exit, (bv * kBlock - v) / sv);
      const double next = std::isfinite(exit) ? std::ceil((t + exit) / step - 0.5) : 0.0;
      k = std::max(k + 1, static_cast<long long>(std::min(next, static_cast<double>(last + 1))));
      continue;
    }
    const float ground = SampleHeight(h, res, x, y);
    if (std::isnan(ground)) return false;
    if (z <= ground) return true;
    ++k;
  }
  return false;
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

  const double* R = pose.rotation;
  const double* o = pose.position_m;
  const double res = params.resolution_m;
  const double step = params.step_fraction * res;
  double sun[3];
  Normalise(lighting.sun_direction, sun);
  const bool sun_on = lighting.sun_irradiance > 0.0;
  const bool shadows = sun_on && lighting.cast_shadows;
  const bool lamp_on = lighting.light_intensity > 0.0;
  const double* lamp = lighting.light_position_m;

  // Shadow rays start within max_range of the camera and run shadow_max_distance_m.
  const double reach = params.max_range_m + (shadows ? lighting.shadow_max_distance_m : 0.0) + res;
  const BlockMax blocks(heights_m, res, o[0] - reach, o[1] - reach, o[0] + reach, o[1] + reach);

  for (int v = 0; v < rows; ++v) {
    for (int u = 0; u < cols; ++u) {
      // The primary ray, marched as RenderDepth marches it.
      const double xc = (u - intrinsics.cx) / intrinsics.fx;
      const double yc = (v - intrinsics.cy) / intrinsics.fy;
      const double norm = std::sqrt(xc * xc + yc * yc + 1.0);
      const double dx = (R[0] * xc + R[1] * yc + R[2]) / norm;
      const double dy = (R[3] * xc + R[4] * yc + R[5]) / norm;
      const double dz = (R[6] * xc + R[7] * yc + R[8]) / norm;

      double hit_t = -1.0;
      double t_prev = params.min_range_m;
      for (double t = params.min_range_m; t <= params.max_range_m; t += step) {
        const double x = o[0] + dx * t, y = o[1] + dy * t, z = o[2] + dz * t;
        const float ground = SampleHeight(heights_m, res, x, y);
        if (std::isnan(ground)) break;
        if (z <= ground) {
          double lo = t_prev, hi = t;
          for (int i = 0; i < params.bisection_steps; ++i) {
            const double mid = 0.5 * (lo + hi);
            const float g = SampleHeight(heights_m, res, o[0] + dx * mid, o[1] + dy * mid);
            if (!std::isnan(g) && o[2] + dz * mid <= g) hi = mid; else lo = mid;
          }
          hit_t = hi;
          break;
        }
        t_prev = t;
      }
      if (hit_t < 0.0) {
        out.depth_m(v, u) = kNaN;
        out.irradiance(v, u) = 0.0f;
        if (want_radiance) out.radiance(v, u) = 0.0f;
        continue;
      }
      out.depth_m(v, u) = static_cast<float>(hit_t / norm);

      // Shading at the hit point, from the bilinear surface's normal there.
      const double p[3] = {o[0] + dx * hit_t, o[1] + dy * hit_t, o[2] + dz * hit_t};
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
                !Shadowed(heights_m, blocks, step, lighting.shadow_max_distance_m, start, sun)) {
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
  const BlockMax blocks(heights_m, resolution_m, lo[0] - reach, lo[1] - reach, hi[0] + reach,
                        hi[1] + reach);
  const double step = 0.5 * resolution_m;
  for (int i = 0; i < points_m.rows(); ++i) {
    const double p[3] = {points_m(i, 0), points_m(i, 1), points_m(i, 2)};
    visible_out.data()[i] =
        Shadowed(heights_m, blocks, step, lighting.shadow_max_distance_m, p, sun) ? 0 : 1;
  }
}

}  // namespace ilrs::sim
