#include "ilrs/sim/tube_render.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "ilrs/sim/heightfield_raycast.h"

namespace ilrs::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;

// F = rho - R(x): < 0 in the void.
double Side(const TubeWall& wall, double x, double y, double z) {
  return std::hypot(y - wall.axis_y_m(), z - wall.axis_z_m()) - wall.RadiusAt(x);
}

TEST(TubeWallTest, NormalMatchesAFiniteDifferenceNormalOfTheSurface) {
  const TubeWall wall({0.0, 4.0, 9.0, 15.0}, {3.0, 5.5, 4.0, 6.0}, 1.0, -2.0);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> along(-3.0, 18.0), angle(-kPi, kPi);
  const double h = 1e-6;
  int checked = 0;
  for (int i = 0; i < 500; ++i) {
    const double x = along(rng), a = angle(rng);
    // Stay off the knots, where the surface has a crease.
    bool near_knot = false;
    for (double k : wall.profile().knots_x_m()) near_knot |= std::abs(x - k) < 1e-3;
    if (near_knot) continue;
    const double r = wall.RadiusAt(x);
    const double p[3] = {x, 1.0 + r * std::cos(a), -2.0 + r * std::sin(a)};
    EXPECT_NEAR(Side(wall, p[0], p[1], p[2]), 0.0, 1e-12);
    double g[3] = {
        (Side(wall, x + h, p[1], p[2]) - Side(wall, x - h, p[1], p[2])) / (2 * h),
        (Side(wall, x, p[1] + h, p[2]) - Side(wall, x, p[1] - h, p[2])) / (2 * h),
        (Side(wall, x, p[1], p[2] + h) - Side(wall, x, p[1], p[2] - h)) / (2 * h)};
    const double gn = std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    double n[3];
    wall.Normal(p, n);
    EXPECT_NEAR(n[0] * n[0] + n[1] * n[1] + n[2] * n[2], 1.0, 1e-12);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(n[c], -g[c] / gn, 1e-6) << "x " << x << " a " << a;
    ++checked;
  }
  EXPECT_GT(checked, 450);
}

TEST(TubeWallTest, NormalOfAWideningFrustumHasAnAxialPartFromItsSlope) {
  const TubeWall wall({0.0, 10.0}, {2.0, 7.0}, 0.0, 0.0);  // slope 0.5
  const double p[3] = {4.0, 0.0, -4.0};                   // floor, R(4) = 4
  double n[3];
  wall.Normal(p, n);
  EXPECT_NEAR(n[0], 0.5 / std::sqrt(1.25), 1e-15);
  EXPECT_NEAR(n[1], 0.0, 1e-15);
  EXPECT_NEAR(n[2], 1.0 / std::sqrt(1.25), 1e-15);
  // Beyond the end knots the wall is level: a purely radial normal.
  const double q[3] = {12.0, 7.0, 0.0};
  wall.Normal(q, n);
  EXPECT_DOUBLE_EQ(n[0], 0.0);
  EXPECT_DOUBLE_EQ(n[1], -1.0);
}

TEST(TubeIrradianceTest, LightFallsOffAsInverseSquareAndWithTheCosine) {
  const TubeWall wall({0.0, 50.0}, {5.0, 5.0}, 0.0, 0.0);
  const double p[3] = {25.0, 0.0, -5.0};  // floor, normal +z
  double n[3];
  wall.Normal(p, n);
  TubeLighting lighting;
  lighting.light_intensity = 3.0;
  for (double r : {0.5, 1.0, 2.0, 4.0, 9.0}) {
    for (double deg : {0.0, 20.0, 45.0, 70.0, 85.0}) {
      const double a = deg * kPi / 180.0;
      lighting.light_position_m[0] = p[0] + r * std::sin(a);
      lighting.light_position_m[1] = 0.0;
      lighting.light_position_m[2] = p[2] + r * std::cos(a);
      EXPECT_NEAR(TubeIrradiance(wall, lighting, p, n), 3.0 * std::cos(a) / (r * r),
                  1e-9 * 3.0 / (r * r))
          << "r " << r << " angle " << deg;
    }
  }
  // Behind the surface: nothing.
  lighting.light_position_m[2] = p[2] - 1.0;
  EXPECT_EQ(TubeIrradiance(wall, lighting, p, n), 0.0);
}

TEST(TubeIrradianceTest, AWaistBetweenTheLightAndTheWallCastsAShadow) {
  // Wide chambers either side of a narrow waist at x = 10.
  const TubeWall wall({0.0, 10.0, 20.0}, {6.0, 2.0, 6.0}, 0.0, 0.0);
  TubeLighting lighting;
  lighting.light_intensity = 1.0;
  const double lamp[3] = {3.0, 0.0, 0.0};
  for (int c = 0; c < 3; ++c) lighting.light_position_m[c] = lamp[c];
  double n[3];
  // A floor point past the waist, hidden behind it; and one on the near side, in view.
  const double hidden[3] = {17.0, 0.0, -wall.RadiusAt(17.0)};
  wall.Normal(hidden, n);
  EXPECT_EQ(TubeIrradiance(wall, lighting, hidden, n), 0.0);
  const double seen[3] = {5.0, 0.0, -wall.RadiusAt(5.0)};
  wall.Normal(seen, n);
  EXPECT_GT(TubeIrradiance(wall, lighting, seen, n), 0.0);
}

TEST(TubeIrradianceTest, SunlightEntersOnlyThroughTheSkylight) {
  const TubeWall wall({0.0, 40.0}, {5.0, 5.0}, 0.0, 0.0);
  TubeLighting lighting;
  lighting.sun_irradiance = 1.0;
  lighting.skylight = {20.0, 0.0, 2.0, 30.0};  // a 2 m shaft up to z = 30
  const double floor_under[3] = {20.0, 0.0, -5.0};
  double n[3];
  wall.Normal(floor_under, n);
  // Sun overhead: the floor under the shaft is lit at normal incidence, the floor beside dark.
  EXPECT_DOUBLE_EQ(TubeIrradiance(wall, lighting, floor_under, n), 1.0);
  const double floor_beside[3] = {24.0, 0.0, -5.0};
  EXPECT_EQ(TubeIrradiance(wall, lighting, floor_beside, n), 0.0);
  // Sun 30 deg from the zenith towards +x: the beam through the opening (ceiling at z = 5)
  // lands on the floor 10 tan 30 = 5.77 m to the -x side of the opening.
  const double a = 30.0 * kPi / 180.0;
  lighting.sun_direction[0] = std::sin(a);
  lighting.sun_direction[2] = std::cos(a);
  // But the shaft's own walls stop it: the top is 25 m above the ceiling, so the beam drifts
  // 25 tan 30 = 14 m sideways in a 4 m wide shaft.
  const double in_beam[3] = {20.0 - 10.0 * std::tan(a), 0.0, -5.0};
  EXPECT_EQ(TubeIrradiance(wall, lighting, in_beam, n), 0.0);
  // A shallow shaft (top 0.5 m above the ceiling's top) lets it through, at cos 30.
  lighting.skylight.top_z_m = 5.5;
  EXPECT_NEAR(TubeIrradiance(wall, lighting, in_beam, n), std::cos(a), 1e-12);
  // No skylight: no Sun.
  lighting.skylight.radius_m = 0.0;
  EXPECT_EQ(TubeIrradiance(wall, lighting, in_beam, n), 0.0);
}

perception::PinholeIntrinsics SmallCamera() {
  perception::PinholeIntrinsics k;
  k.width_px = 40;
  k.height_px = 30;
  k.fx = k.fy = 25.0;
  k.cx = 19.5;
  k.cy = 14.5;
  return k;
}

// Looking along +x from (2, 0.3, -1): camera z = +x, x = -y, y = -z.
perception::CameraPose AlongTheTube() {
  perception::CameraPose pose;
  pose.position_m[0] = 2.0;
  pose.position_m[1] = 0.3;
  pose.position_m[2] = -1.0;
  const double r[9] = {0, 0, 1, -1, 0, 0, 0, -1, 0};
  for (int i = 0; i < 9; ++i) pose.rotation[i] = r[i];
  return pose;
}

struct Images {
  std::vector<float> depth, irradiance, radiance;
  explicit Images(int n) : depth(n), irradiance(n), radiance(n) {}
  TubeImages View(int rows, int cols) {
    return {{depth.data(), rows, cols}, {irradiance.data(), rows, cols},
            {radiance.data(), rows, cols}};
  }
};

TEST(RenderTubeSceneTest, LitDepthIsTheCastRangeOnTheOpticalAxisAndDarkHasNone) {
  const TubeWall wall({0.0, 6.0, 12.0, 18.0}, {4.0, 5.0, 3.5, 4.5}, 0.0, 0.0);
  const auto k = SmallCamera();
  const auto pose = AlongTheTube();
  SurfaceParams surface;
  TubeLighting lighting;
  lighting.light_intensity = 2.0;
  for (int c = 0; c < 3; ++c) lighting.light_position_m[c] = pose.position_m[c];
  lighting.min_irradiance = 0.01;
  Images img(k.width_px * k.height_px);
  RenderTubeScene(wall, k, pose, 30.0, lighting, surface, img.View(k.height_px, k.width_px));
  int lit = 0, dark = 0;
  for (int v = 0; v < k.height_px; ++v) {
    for (int u = 0; u < k.width_px; ++u) {
      const int i = v * k.width_px + u;
      double d[3], per_range = 0.0;
      PixelRay(k, pose, u, v, d, &per_range);
      const double t = wall.profile().CastRay(pose.position_m, d, 30.0);
      if (img.irradiance[i] >= 0.01f) {
        ++lit;
        EXPECT_FLOAT_EQ(img.depth[i], static_cast<float>(t * per_range));
        EXPECT_GT(img.radiance[i], 0.0f);
      } else {
        ++dark;
        EXPECT_TRUE(std::isnan(img.depth[i]));
      }
    }
  }
  EXPECT_GT(lit, 300);
  EXPECT_GT(dark, 10);  // far down the tube the light is too weak

  lighting.light_intensity = 0.0;
  RenderTubeScene(wall, k, pose, 30.0, lighting, surface, img.View(k.height_px, k.width_px));
  for (std::size_t i = 0; i < img.depth.size(); ++i) {
    EXPECT_TRUE(std::isnan(img.depth[i]));
    EXPECT_EQ(img.radiance[i], 0.0f);
  }
}

TEST(RenderTubeSceneTest, TextureIsSeamlessAroundTheAxisAndSeeded) {
  const TubeWall wall({0.0, 10.0}, {4.0, 4.0}, 0.0, 0.0);
  SurfaceParams surface;
  EXPECT_FLOAT_EQ(wall.Albedo(surface, 3.0, kPi), wall.Albedo(surface, 3.0, -kPi));
  double sum = 0.0;
  float lo = 1.0f, hi = 0.0f;
  for (int i = 0; i < 2000; ++i) {
    const float a = wall.Albedo(surface, 0.013 * i, -kPi + 0.0031 * i);
    sum += a;
    lo = std::min(lo, a);
    hi = std::max(hi, a);
  }
  EXPECT_NEAR(sum / 2000.0, surface.base_albedo, 0.2 * surface.base_albedo);
  EXPECT_GT(hi - lo, 0.2 * surface.base_albedo);
  SurfaceParams other = surface;
  other.texture_seed = 5;
  EXPECT_NE(wall.Albedo(surface, 1.234, 0.5), wall.Albedo(other, 1.234, 0.5));
}

TEST(RenderTubeSceneTest, BadInputsThrowNamingTheArgument) {
  const TubeWall wall({0.0, 10.0}, {4.0, 4.0}, 0.0, 0.0);
  const auto k = SmallCamera();
  Images img(k.width_px * k.height_px);
  TubeLighting lighting;
  SurfaceParams surface;
  try {
    RenderTubeScene(wall, k, AlongTheTube(), 10.0, lighting, surface, img.View(10, 10));
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("depth_m"), std::string::npos) << e.what();
  }
  lighting.light_intensity = -1.0;
  try {
    RenderTubeScene(wall, k, AlongTheTube(), 10.0, lighting, surface,
                    img.View(k.height_px, k.width_px));
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("light_intensity"), std::string::npos) << e.what();
  }
  lighting.light_intensity = 0.0;
  EXPECT_THROW(RenderTubeScene(wall, k, AlongTheTube(), 0.0, lighting, surface,
                               img.View(k.height_px, k.width_px)),
               std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::sim
