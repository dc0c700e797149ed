#include "ilrs/sim/tube_raycast.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace ilrs::sim {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The wall's radius at x: linear between knots, level beyond the ends.
double RadiusAt(const TubeProfile& tube, double x) {
  const auto& k = tube.knots_x_m();
  const auto& r = tube.radii_m();
  if (x <= k.front()) return r.front();
  if (x >= k.back()) return r.back();
  const std::size_t i = std::upper_bound(k.begin(), k.end(), x) - k.begin();
  const double a = (x - k[i - 1]) / (k[i] - k[i - 1]);
  return r[i - 1] + a * (r[i] - r[i - 1]);
}

// rho - R at o + t d: < 0 in the void, > 0 in the rock.
double Side(const TubeProfile& tube, double axis_y, double axis_z, const double o[3],
            const double d[3], double t) {
  const double x = o[0] + t * d[0];
  const double rho = std::hypot(o[1] + t * d[1] - axis_y, o[2] + t * d[2] - axis_z);
  return rho - RadiusAt(tube, x);
}

// The reference: march along the ray in steps of step_m until it first leaves the void, then
// bisect that step to double precision. Independent of the caster's quadratics.
double MarchHit(const TubeProfile& tube, double axis_y, double axis_z, const double o[3],
                const double d[3], double max_range_m, double step_m) {
  double lo = 0.0;
  for (double hi = step_m; lo < max_range_m; lo = hi, hi += step_m) {
    hi = std::min(hi, max_range_m);
    if (Side(tube, axis_y, axis_z, o, d, hi) < 0.0) continue;
    for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
      const double mid = 0.5 * (lo + hi);
      (Side(tube, axis_y, axis_z, o, d, mid) < 0.0 ? lo : hi) = mid;
    }
    return hi;
  }
  return kInf;
}

struct RandomTube {
  TubeProfile profile;
  double axis_y, axis_z;
};

RandomTube MakeRandomTube(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> count(2, 12);
  std::uniform_real_distribution<double> spacing(0.5, 8.0), radius(1.0, 8.0), axis(-5.0, 5.0);
  const int n = count(rng);
  std::vector<double> knots(n), radii(n);
  double x = axis(rng);
  for (int i = 0; i < n; ++i) {
    knots[i] = x;
    radii[i] = radius(rng);
    x += spacing(rng);
  }
  const double ay = axis(rng), az = axis(rng);
  return {TubeProfile(knots, radii, ay, az), ay, az};
}

void RandomUnit(std::mt19937_64& rng, double d[3]) {
  std::normal_distribution<double> normal;
  double n = 0.0;
  do {
    for (int i = 0; i < 3; ++i) d[i] = normal(rng);
    n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  } while (n < 1e-6);
  for (int i = 0; i < 3; ++i) d[i] /= n;
}

TEST(TubeRaycast, RandomProfilesMatchAFineMarch) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int hits = 0, misses = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const RandomTube tube = MakeRandomTube(rng);
    const auto& k = tube.profile.knots_x_m();
    for (int ray = 0; ray < 15; ++ray) {
      const double x = k.front() - 5.0 + unit(rng) * (k.back() - k.front() + 10.0);
      const double rho = 0.95 * unit(rng) * RadiusAt(tube.profile, x), phi = 6.283 * unit(rng);
      const double o[3] = {x, tube.axis_y + rho * std::cos(phi),
                           tube.axis_z + rho * std::sin(phi)};
      double d[3];
      RandomUnit(rng, d);
      const double max_range = 40.0;
      const double got = tube.profile.CastRay(o, d, max_range);
      const double want = MarchHit(tube.profile, tube.axis_y, tube.axis_z, o, d, max_range, 2e-3);
      if (std::isinf(want)) {
        EXPECT_TRUE(std::isinf(got)) << "trial " << trial << " ray " << ray << " got " << got;
        ++misses;
      } else {
        EXPECT_NEAR(got, want, 1e-9) << "trial " << trial << " ray " << ray;
        ++hits;
      }
    }
  }
  EXPECT_GT(hits, 400);  // most rays hit; the misses exercise the open ends and max range
  EXPECT_GT(misses, 5);
}

TEST(TubeRaycast, RaysAlongTheAxisNeverHitAndParallelRaysMeetTheRadius) {
  const TubeProfile tube({0.0, 10.0, 20.0}, {6.0, 3.0, 5.0}, 1.0, -2.0);
  const double on_axis[3] = {5.0, 1.0, -2.0};
  const double plus_x[3] = {1.0, 0.0, 0.0}, minus_x[3] = {-1.0, 0.0, 0.0};
  EXPECT_TRUE(std::isinf(tube.CastRay(on_axis, plus_x, 1e6)));
  EXPECT_TRUE(std::isinf(tube.CastRay(on_axis, minus_x, 1e6)));
  // 4 m off the axis, along +x: R = 6 - 0.3 x = 4 at x = 20/3; along -x the level end (radius 6)
  // is never met; back along +x from beyond the last knot R = 3 + 0.2 (x - 10) = 4 at x = 15.
  const double off_axis[3] = {1.0, 5.0, -2.0};
  EXPECT_NEAR(tube.CastRay(off_axis, plus_x, 1e6), 20.0 / 3.0 - 1.0, 1e-12);
  EXPECT_TRUE(std::isinf(tube.CastRay(off_axis, minus_x, 1e6)));
  const double far_end[3] = {50.0, 1.0, 2.0};
  EXPECT_NEAR(tube.CastRay(far_end, minus_x, 1e6), 35.0, 1e-12);
}

TEST(TubeRaycast, RaysAimedAtAKnotsCircleHitItExactly) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  int checked = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const RandomTube tube = MakeRandomTube(rng);
    const auto& k = tube.profile.knots_x_m();
    const auto& r = tube.profile.radii_m();
    for (std::size_t i = 0; i < k.size(); ++i) {
      // From the axis inside the neighbouring frustum (convex void, so nothing in between) to a
      // point of the knot's circle, from both sides.
      for (const int side : {-1, 1}) {
        const std::size_t j = side < 0 ? i - 1 : i + 1;
        const double x0 = (j < k.size()) ? 0.5 * (k[i] + k[j]) : k[i] + side * 3.0;
        const double phi = 6.283 * unit(rng);
        const double o[3] = {x0, tube.axis_y, tube.axis_z};
        const double p[3] = {k[i], tube.axis_y + r[i] * std::cos(phi),
                             tube.axis_z + r[i] * std::sin(phi)};
        const double len = std::sqrt((p[0] - o[0]) * (p[0] - o[0]) +
                                     (p[1] - o[1]) * (p[1] - o[1]) +
                                     (p[2] - o[2]) * (p[2] - o[2]));
        const double d[3] = {(p[0] - o[0]) / len, (p[1] - o[1]) / len, (p[2] - o[2]) / len};
        EXPECT_NEAR(tube.profile.CastRay(o, d, 100.0), len, 1e-9)
            << "trial " << trial << " knot " << i << " side " << side;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100);
}

TEST(TubeRaycast, GrazingRaysTouchAWaistOrPassIt) {
  // A waist of radius 3 at x = 10 between cones widening at slope 0.3 on both sides.
  const TubeProfile tube({0.0, 10.0, 20.0}, {6.0, 3.0, 6.0}, 0.0, 0.0);
  // Rays tangent to the waist circle at (10, y, 0), tilted 10 degrees about y: inside the cones
  // everywhere else (their radius grows faster than the ray's distance from the axis).
  const double a = 10.0 * std::acos(-1.0) / 180.0;
  const double d[3] = {std::cos(a), 0.0, std::sin(a)};
  const double back = 5.0 / std::cos(a);
  for (const double y : {3.0, 3.0 - 1e-6, 3.0 + 1e-6, 3.0 - 1e-3, 3.0 + 1e-3}) {
    const double o[3] = {10.0 - back * d[0], y, -back * d[2]};
    const double got = tube.CastRay(o, d, 100.0);
    if (y == 3.0) {
      EXPECT_NEAR(got, back, 1e-9);  // touching counts as a hit
      continue;
    }
    if (y < 3.0) {
      // In the void up to the level end (x > 20); the march sees all of it.
      EXPECT_NEAR(got, MarchHit(tube, 0.0, 0.0, o, d, 100.0, 1e-4), 1e-9) << "y " << y;
      EXPECT_GT(got, back + 20.0) << "y " << y;
    } else {
      // Clips the first cone just before the waist (a sliver of rock a march would step over):
      // in the ray's plane y = y0, (3 - 0.3 u)^2 = y0^2 + (u tan a)^2 for u = x - 10 < 0.
      const double tan_a = std::tan(a), c = 9.0 - y * y;
      const double disc = 1.8 * 1.8 - 4.0 * (0.09 - tan_a * tan_a) * c;
      const double u = 2.0 * c / (1.8 + std::sqrt(disc));
      EXPECT_LT(u, 0.0);
      EXPECT_NEAR(got, (u + 5.0) / std::cos(a), 1e-9) << "y " << y;
    }
  }
}

TEST(TubeRaycast, MaxRangeIsInclusiveAndOpenEndsEscape) {
  const TubeProfile tube({0.0, 10.0}, {4.0, 4.0}, 0.0, 0.0);
  const double o[3] = {5.0, 0.0, 0.0};
  const double up[3] = {0.0, 0.0, 1.0};
  EXPECT_EQ(tube.CastRay(o, up, 4.0), 4.0);
  EXPECT_TRUE(std::isinf(tube.CastRay(o, up, std::nextafter(4.0, 0.0))));
  EXPECT_TRUE(std::isinf(tube.CastRay(o, up, -1.0)));
  // Nearly along the axis: the hit is far out in the level continuation, found when in range.
  const double slant[3] = {std::cos(0.01), 0.0, std::sin(0.01)};
  const double far = 4.0 / std::sin(0.01);
  EXPECT_NEAR(tube.CastRay(o, slant, 1e6), far, 1e-9);
  EXPECT_TRUE(std::isinf(tube.CastRay(o, slant, 0.99 * far)));
  const double rev[3] = {-slant[0], 0.0, slant[2]};
  EXPECT_NEAR(tube.CastRay(o, rev, 1e6), far, 1e-9);
}

TEST(TubeRaycast, RaysFromTheRockReturnWhereTheyEnterTheVoid) {
  const TubeProfile tube({0.0, 10.0}, {4.0, 2.0}, 0.0, 0.0);
  const double o[3] = {5.0, 0.0, 9.0};  // R(5) = 3
  const double down[3] = {0.0, 0.0, -1.0};
  EXPECT_NEAR(tube.CastRay(o, down, 100.0), 6.0, 1e-12);
  // Starting on the wall: the origin is skipped and the far side returned.
  const double on_wall[3] = {5.0, 0.0, 3.0};
  EXPECT_NEAR(tube.CastRay(on_wall, down, 100.0), 6.0, 1e-12);
}

TEST(TubeRaycast, CastRaysFillsOneRangePerRow) {
  const TubeProfile tube({0.0, 10.0}, {4.0, 4.0}, 0.0, 0.0);
  const double o[3] = {5.0, 0.0, 0.0};
  const std::vector<double> dirs = {0, 0, 1, 0, -1, 0, 1, 0, 0};
  std::vector<double> ranges(3, -1.0);
  tube.CastRays(o, {dirs.data(), 3, 3}, 10.0, ranges.data());
  EXPECT_EQ(ranges[0], 4.0);
  EXPECT_EQ(ranges[1], 4.0);
  EXPECT_TRUE(std::isinf(ranges[2]));
  EXPECT_THROW(tube.CastRays(o, {dirs.data(), 3, 3}, std::nan(""), ranges.data()),
               std::invalid_argument);
}

TEST(TubeRaycast, BadProfilesThrowNamingTheArgument) {
  auto message = [](std::vector<double> k, std::vector<double> r) -> std::string {
    try {
      TubeProfile(std::move(k), std::move(r), 0.0, 0.0);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message({0.0}, {1.0}).find("knots_x_m and radii_m"), std::string::npos);
  EXPECT_NE(message({0.0, 1.0}, {1.0}).find("same length"), std::string::npos);
  EXPECT_NE(message({0.0, 0.0}, {1.0, 1.0}).find("strictly increasing"), std::string::npos);
  EXPECT_NE(message({0.0, 1.0}, {1.0, 0.0}).find("radii_m"), std::string::npos);
  EXPECT_NE(message({0.0, kInf}, {1.0, 1.0}).find("knots_x_m"), std::string::npos);
  EXPECT_THROW(TubeProfile({0.0, 1.0}, {1.0, 1.0}, std::nan(""), 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::sim
