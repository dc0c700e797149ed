#include "ilrs/sim/stereo_render.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "ilrs/sim/heightfield_raycast.h"

namespace ilrs::sim {
namespace {

using perception::CameraPose;
using perception::PinholeIntrinsics;

constexpr double kPi = 3.14159265358979323846;
constexpr double kRes = 0.1;
constexpr int kSide = 300;  // 30 m square

// A camera at (x, y, z) looking along +x (map), tilted down by `pitch_rad`.
CameraPose LookingEast(double x, double y, double z, double pitch_rad) {
  CameraPose pose;
  pose.position_m[0] = x;
  pose.position_m[1] = y;
  pose.position_m[2] = z;
  const double c = std::cos(pitch_rad), s = std::sin(pitch_rad);
  const double fwd[3] = {c, 0, -s}, right[3] = {0, -1, 0}, down[3] = {-s, 0, -c};
  for (int i = 0; i < 3; ++i) {
    pose.rotation[3 * i + 0] = right[i];
    pose.rotation[3 * i + 1] = down[i];
    pose.rotation[3 * i + 2] = fwd[i];
  }
  return pose;
}

void SunAt(SceneLighting* light, double azimuth_from_east_rad, double elevation_rad) {
  light->sun_direction[0] = std::cos(elevation_rad) * std::cos(azimuth_from_east_rad);
  light->sun_direction[1] = std::cos(elevation_rad) * std::sin(azimuth_from_east_rad);
  light->sun_direction[2] = std::sin(elevation_rad);
}

struct Images {
  explicit Images(const PinholeIntrinsics& k)
      : w(k.width_px), h(k.height_px), depth(w * h), irradiance(w * h), radiance(w * h) {}
  SceneImages Views() {
    return {{depth.data(), h, w}, {irradiance.data(), h, w}, {radiance.data(), h, w}};
  }
  int w, h;
  std::vector<float> depth, irradiance, radiance;
};

RaycastParams Params() {
  RaycastParams p;
  p.resolution_m = kRes;
  p.max_range_m = 12.0;
  return p;
}

// Map (x, y) where pixel (u, v) of a camera meets the plane z = 0 (NaN if it does not).
bool GroundPoint(const PinholeIntrinsics& k, const CameraPose& pose, int u, int v, double* x,
                 double* y) {
  const double* R = pose.rotation;
  const double xc = (u - k.cx) / k.fx, yc = (v - k.cy) / k.fy;
  const double d[3] = {R[0] * xc + R[1] * yc + R[2], R[3] * xc + R[4] * yc + R[5],
                       R[6] * xc + R[7] * yc + R[8]};
  if (d[2] >= 0) return false;
  const double t = -pose.position_m[2] / d[2];
  *x = pose.position_m[0] + d[0] * t;
  *y = pose.position_m[1] + d[1] * t;
  return true;
}

TEST(RenderScene, DepthIsExactlyRenderDepths) {
  std::vector<float> world(kSide * kSide, 0.0f);
  for (int r = 140; r < 160; ++r)
    for (int c = 120; c < 126; ++c) world[r * kSide + c] = 0.5f;
  const PinholeIntrinsics k{41, 31, 30.0, 30.0, 20.0, 15.0};
  const CameraPose pose = LookingEast(10.0, 15.0, 1.5, 0.35);
  Images img(k);
  SceneLighting light;
  RenderScene({world.data(), kSide, kSide}, k, pose, Params(), light, SurfaceParams{},
              img.Views());
  std::vector<float> depth(img.depth.size());
  RenderDepth({world.data(), kSide, kSide}, k, pose, Params(), {depth.data(), 31, 41});
  int hits = 0;
  for (std::size_t i = 0; i < depth.size(); ++i) {
    if (std::isnan(depth[i])) {
      EXPECT_TRUE(std::isnan(img.depth[i]));
    } else {
      EXPECT_EQ(depth[i], img.depth[i]);
      ++hits;
    }
  }
  EXPECT_GT(hits, 600);
}

TEST(RenderScene, FlatGroundIsLambertian) {
  std::vector<float> ground(kSide * kSide, 0.0f);
  const PinholeIntrinsics k{21, 15, 15.0, 15.0, 10.0, 7.0};
  Images img(k);
  SceneLighting light;
  SunAt(&light, 0.3, 30.0 * kPi / 180.0);
  light.sun_irradiance = 0.8;
  RenderScene({ground.data(), kSide, kSide}, k, LookingEast(10.0, 15.0, 1.5, 0.5), Params(),
              light, SurfaceParams{}, img.Views());
  int lit = 0;
  for (std::size_t i = 0; i < img.depth.size(); ++i) {
    if (std::isnan(img.depth[i])) {
      EXPECT_EQ(img.irradiance[i], 0.0f);
      EXPECT_EQ(img.radiance[i], 0.0f);
      continue;
    }
    EXPECT_NEAR(img.irradiance[i], 0.8 * 0.5, 1e-6);  // sin(30 deg) of the Sun on the ground
    EXPECT_GT(img.radiance[i], 0.0f);
    ++lit;
  }
  EXPECT_GT(lit, 200);
}

TEST(RenderScene, WallCastsItsShadowAwayFromTheSun) {
  // A 2 m wall across x in [14, 14.4] m; the Sun low in the east (from +x) at 20 deg, so the
  // ground west of the wall is dark for 2 / tan(20 deg) = 5.5 m.
  std::vector<float> world(kSide * kSide, 0.0f);
  for (int r = 0; r < kSide; ++r)
    for (int c = 140; c < 144; ++c) world[r * kSide + c] = 2.0f;
  const PinholeIntrinsics k{61, 45, 30.0, 30.0, 30.0, 22.0};
  const CameraPose pose = LookingEast(5.0, 15.0, 1.5, 0.35);
  Images img(k);
  SceneLighting light;
  const double elevation = 20.0 * kPi / 180.0;
  SunAt(&light, 0.0, elevation);
  RenderScene({world.data(), kSide, kSide}, k, pose, Params(), light, SurfaceParams{},
              img.Views());
  const double shadow_start = 14.0 - 2.0 / std::tan(elevation);
  int dark = 0, bright = 0;
  for (int v = 0; v < k.height_px; ++v) {
    for (int u = 0; u < k.width_px; ++u) {
      double x = 0, y = 0;
      if (!GroundPoint(k, pose, u, v, &x, &y) || x > 13.8) continue;
      const float e = img.irradiance[v * k.width_px + u];
      if (x > shadow_start + 0.3) {
        EXPECT_EQ(e, 0.0f) << "pixel " << u << "," << v << " at x=" << x;
        ++dark;
      } else if (x < shadow_start - 0.3) {
        EXPECT_NEAR(e, std::sin(elevation), 1e-6) << "pixel " << u << "," << v << " at x=" << x;
        ++bright;
      }
    }
  }
  EXPECT_GT(dark, 100);
  EXPECT_GT(bright, 100);

  // Without cast shadows the same ground is lit.
  light.cast_shadows = false;
  RenderScene({world.data(), kSide, kSide}, k, pose, Params(), light, SurfaceParams{},
              img.Views());
  for (int v = 0; v < k.height_px; ++v) {
    for (int u = 0; u < k.width_px; ++u) {
      double x = 0, y = 0;
      if (GroundPoint(k, pose, u, v, &x, &y) && x < 13.8 && x > 4.0) {
        EXPECT_NEAR(img.irradiance[v * k.width_px + u], std::sin(elevation), 1e-6);
      }
    }
  }
}

TEST(RenderScene, RoverLightFallsOffWithTheSquareOfDistance) {
  std::vector<float> ground(kSide * kSide, 0.0f);
  const PinholeIntrinsics k{21, 15, 15.0, 15.0, 10.0, 7.0};
  const CameraPose pose = LookingEast(10.0, 15.0, 1.5, 0.5);
  Images img(k);
  SceneLighting light;
  light.sun_irradiance = 0.0;  // night: only the lamp
  for (int i = 0; i < 3; ++i) light.light_position_m[i] = pose.position_m[i];
  light.light_intensity = 3.0;
  RenderScene({ground.data(), kSide, kSide}, k, pose, Params(), light, SurfaceParams{},
              img.Views());
  int seen = 0;
  for (int v = 0; v < k.height_px; ++v) {
    for (int u = 0; u < k.width_px; ++u) {
      double x = 0, y = 0;
      if (!GroundPoint(k, pose, u, v, &x, &y)) continue;
      const float depth = img.depth[v * k.width_px + u];
      if (std::isnan(depth)) continue;
      const double dx = x - 10.0, dy = y - 15.0, h = 1.5;
      const double r = std::sqrt(dx * dx + dy * dy + h * h);
      EXPECT_NEAR(img.irradiance[v * k.width_px + u], 3.0 * (h / r) / (r * r), 1e-4);
      ++seen;
    }
  }
  EXPECT_GT(seen, 150);
  // And with no lamp and no Sun, everything is black.
  light.light_intensity = 0.0;
  RenderScene({ground.data(), kSide, kSide}, k, pose, Params(), light, SurfaceParams{},
              img.Views());
  for (float e : img.irradiance) EXPECT_EQ(e, 0.0f);
}

TEST(SurfaceAlbedo, TexturedAroundTheMeanAndSeeded) {
  SurfaceParams s;
  s.base_albedo = 0.2;
  s.texture_contrast = 0.3;
  double sum = 0, sum2 = 0;
  int n = 0, same = 0;
  SurfaceParams other = s;
  other.texture_seed = 99;
  for (int i = 0; i < 200; ++i) {
    for (int j = 0; j < 200; ++j) {
      const double x = 0.013 * i, y = 0.017 * j;
      const double a = SurfaceAlbedo(s, x, y);
      ASSERT_GE(a, 0.2 * 0.7 - 1e-6);
      ASSERT_LE(a, 0.2 * 1.3 + 1e-6);
      EXPECT_EQ(a, SurfaceAlbedo(s, x, y));
      same += a == SurfaceAlbedo(other, x, y);
      sum += a;
      sum2 += a * a;
      ++n;
    }
  }
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  EXPECT_NEAR(mean, 0.2, 0.02);
  EXPECT_GT(sd, 0.01);  // there is texture for stereo to match
  EXPECT_LT(same, n / 100);
}

TEST(SunVisibility, BehindAWallIsDarkInTheOpenIsLit) {
  std::vector<float> world(kSide * kSide, 0.0f);
  for (int r = 0; r < kSide; ++r)
    for (int c = 140; c < 144; ++c) world[r * kSide + c] = 2.0f;
  SceneLighting light;
  SunAt(&light, 0.0, 20.0 * kPi / 180.0);
  const std::vector<double> points = {
      12.0, 15.0, 0.01,  // 2 m west of the wall: in its shadow
      5.0,  15.0, 0.01,  // 9 m west: beyond the shadow
      20.0, 15.0, 0.01,  // east of the wall, facing the Sun
      12.0, 15.0, 1.0,   // a mast 2 m from the wall: still under its top
      12.0, 15.0, 2.9,   // high enough to see over it
  };
  std::vector<std::uint8_t> visible(5, 7);
  SunVisibility({world.data(), kSide, kSide}, kRes, {points.data(), 5, 3}, light,
                {visible.data(), 5, 1});
  EXPECT_EQ(visible, (std::vector<std::uint8_t>{0, 1, 1, 0, 1}));

  // Sun below the horizon: flat ground hides it.
  SunAt(&light, 0.0, -2.0 * kPi / 180.0);
  SunVisibility({world.data(), kSide, kSide}, kRes, {points.data(), 5, 3}, light,
                {visible.data(), 5, 1});
  EXPECT_EQ(visible[1], 0);
}

TEST(SunVisibility, LongLowSunRaysAgreeWithAFineMarch) {
  // Rolling terrain and a 3 deg Sun: pyramid skipping must not change the answer.
  const int n = 400;
  std::vector<float> world(n * n);
  for (int r = 0; r < n; ++r)
    for (int c = 0; c < n; ++c)
      world[r * n + c] = static_cast<float>(0.6 * std::sin(c * 0.05) * std::cos(r * 0.031) +
                                            0.3 * std::sin(c * 0.17 + r * 0.11));
  SceneLighting light;
  SunAt(&light, 0.4, 3.0 * kPi / 180.0);
  light.shadow_max_distance_m = 30.0;
  std::vector<double> points;
  for (int i = 0; i < 200; ++i) {
    const double x = 2.0 + 0.05 * i * 1.7, y = 3.0 + 0.05 * i;
    points.insert(points.end(), {x, y, SampleHeight({world.data(), n, n}, kRes, x, y) + 0.01});
  }
  std::vector<std::uint8_t> visible(200);
  SunVisibility({world.data(), n, n}, kRes, {points.data(), 200, 3}, light,
                {visible.data(), 200, 1});
  double s[3];
  for (int k = 0; k < 3; ++k) s[k] = light.sun_direction[k];
  int dark = 0;
  for (int i = 0; i < 200; ++i) {
    bool hit = false;
    // A march 100 times finer than the cells (the cast itself is exact).
    for (int j = 0; j * 0.01 * kRes <= 30.0 && !hit; ++j) {
      const double t = j * 0.01 * kRes;
      const double x = points[3 * i] + s[0] * t, y = points[3 * i + 1] + s[1] * t;
      const float g = SampleHeight({world.data(), n, n}, kRes, x, y);
      if (std::isnan(g)) break;
      hit = points[3 * i + 2] + s[2] * t <= g;
    }
    EXPECT_EQ(visible[i], hit ? 0 : 1) << "point " << i;
    dark += hit;
  }
  EXPECT_GT(dark, 20);
  EXPECT_LT(dark, 180);
}

TEST(RenderScene, BadInputThrowsNamingTheField) {
  std::vector<float> ground(100, 0.0f);
  const PinholeIntrinsics k{4, 3, 3.0, 3.0, 1.5, 1.0};
  Images img(k);
  SceneLighting light;
  light.sun_direction[0] = light.sun_direction[1] = light.sun_direction[2] = 0.0;
  try {
    RenderScene({ground.data(), 10, 10}, k, LookingEast(0.5, 0.5, 1.0, 0.3), Params(), light,
                SurfaceParams{}, img.Views());
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("sun_direction"), std::string::npos);
  }
  SurfaceParams surface;
  surface.texture_contrast = 1.5;
  EXPECT_THROW(RenderScene({ground.data(), 10, 10}, k, LookingEast(0.5, 0.5, 1.0, 0.3), Params(),
                           SceneLighting{}, surface, img.Views()),
               std::invalid_argument);
  std::vector<float> small(4);
  EXPECT_THROW(RenderScene({ground.data(), 10, 10}, k, LookingEast(0.5, 0.5, 1.0, 0.3), Params(),
                           SceneLighting{}, SurfaceParams{},
                           {{small.data(), 2, 2}, {small.data(), 2, 2}, {small.data(), 2, 2}}),
               std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::sim
