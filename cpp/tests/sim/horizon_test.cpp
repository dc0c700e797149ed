#include "ilrs/sim/horizon.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace ilrs::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kR = 1737400.0;

double Deg(double rad) { return rad * 180.0 / kPi; }

// Elevation (deg) of a point at height h and arc distance d from an eye at height z.
double ElevationDeg(double d, double h, double z) {
  const double t = d / kR, r1 = kR + h;
  return Deg(std::atan2(r1 * std::cos(t) - (kR + z), r1 * std::sin(t)));
}

struct Terrain {
  int rows, cols;
  double resolution_m;
  std::vector<float> heights;
  Terrain(int r, int c, double res, float h = 0.0f)
      : rows(r), cols(c), resolution_m(res), heights(static_cast<std::size_t>(r) * c, h) {}
  HeightGrid Grid() const { return {{heights.data(), rows, cols}, resolution_m, 0.0, 0.0}; }
  float& At(int r, int c) { return heights[static_cast<std::size_t>(r) * cols + c]; }
};

std::vector<float> Horizons(const Terrain& t, const std::vector<double>& observers,
                            const HorizonParams& params) {
  const int n = static_cast<int>(observers.size() / 4);
  std::vector<float> out(static_cast<std::size_t>(n) * params.sectors);
  ComputeHorizons(t.Grid(), {observers.data(), n, 4}, params, {out.data(), n, params.sectors});
  return out;
}

TEST(ComputeHorizons, BareSphereDipsByTheGeometricDip) {
  // 200 km of level ground (height 0) at 500 m, eye 100 m up in the middle: the horizon is
  // the tangent to the sphere, acos(R / (R + z)) below level, 18.6 km away.
  Terrain t(400, 400, 500.0);
  const double z = 100.0;
  HorizonParams params;
  params.sectors = 8;
  params.step_m = 100.0;
  const std::vector<float> h = Horizons(t, {100000.0, 100000.0, z, 0.0}, params);
  const double dip = Deg(std::acos(kR / (kR + z)));
  for (float v : h) EXPECT_NEAR(v, -dip, 2e-3);
}

TEST(ComputeHorizons, WallIsSeenInItsSectorOnly) {
  // A 50 m wall 1 km east of the observer on a 5 m grid.
  Terrain t(200, 400, 5.0);
  for (int r = 0; r < t.rows; ++r) t.At(r, 300) = 50.0f;
  HorizonParams params;
  params.sectors = 4;  // N, E, S, W
  const double x = 300 * 5.0 + 2.5 - 1000.0, y = 100 * 5.0 + 2.5;
  const std::vector<float> h = Horizons(t, {x, y, 0.0, 0.0}, params);
  EXPECT_NEAR(h[1], ElevationDeg(1000.0, 50.0, 0.0), 1e-3);
  // atan(50 / 1000) = 2.8624 deg, less the 1 km / 2R = 0.0165 deg the ground curves away.
  EXPECT_NEAR(h[1], 2.8624 - 0.0165, 2e-4);
  for (int k : {0, 2, 3}) {
    EXPECT_LT(h[k], 0.0f);
    EXPECT_GT(h[k], -0.01f);  // level ground next to the eye, curving away
  }
}

TEST(ComputeHorizons, SectorsAreGeographicThroughTheGridConvergence) {
  // The same wall (map east) seen from an observer whose local north points to map east.
  Terrain t(200, 400, 5.0);
  for (int r = 0; r < t.rows; ++r) t.At(r, 300) = 50.0f;
  HorizonParams params;
  params.sectors = 4;
  const std::vector<float> h = Horizons(t, {502.5, 502.5, 0.0, 90.0}, params);
  EXPECT_GT(h[0], 2.0f);  // geographic north = map east
  EXPECT_LT(h[1], 0.0f);
}

TEST(ComputeHorizons, MinDistanceLeavesNearTerrainOut) {
  Terrain t(200, 400, 5.0);
  for (int r = 0; r < t.rows; ++r) t.At(r, 300) = 50.0f;
  HorizonParams params;
  params.sectors = 4;
  params.min_distance_m = 1200.0;
  const std::vector<float> h = Horizons(t, {502.5, 502.5, 0.0, 0.0}, params);
  EXPECT_LT(h[1], 0.0f);
  params.max_distance_m = 900.0;
  params.min_distance_m = 0.0;
  EXPECT_LT(Horizons(t, {502.5, 502.5, 0.0, 0.0}, params)[1], 0.0f);
}

TEST(ComputeHorizons, NoSampleMeansMinus90AndNanCellsAreSkipped) {
  Terrain t(10, 10, 1.0, std::numeric_limits<float>::quiet_NaN());
  HorizonParams params;
  params.sectors = 4;
  for (float v : Horizons(t, {5.0, 5.0, 0.0, 0.0}, params)) EXPECT_EQ(v, -90.0f);
  // An observer outside the grid looking away from it sees nothing either.
  Terrain flat(10, 10, 1.0);
  const std::vector<float> h = Horizons(flat, {-50.0, 5.0, -10.0, 0.0}, params);
  EXPECT_GT(h[1], 0.0f);  // the grid lies east, above the eye
  EXPECT_EQ(h[3], -90.0f);
}

// The same horizon by the definition alone: every sample of every ray, no early stop.
std::vector<float> BruteForce(const Terrain& t, double x, double y, double z,
                              const HorizonParams& p) {
  std::vector<float> out(p.sectors);
  const double step = p.step_m > 0 ? p.step_m : 0.5 * t.resolution_m;
  for (int k = 0; k < p.sectors; ++k) {
    double best = -90.0;
    for (int j = 0; j < p.rays_per_sector; ++j) {
      const double az = (k + (j + 0.5) / p.rays_per_sector - 0.5) * 2.0 * kPi / p.sectors;
      for (double d = step; d < 1e6; d += step) {
        const double u = (x + std::sin(az) * d) / t.resolution_m - 0.5;
        const double v = (y + std::cos(az) * d) / t.resolution_m - 0.5;
        if (u < 0 || v < 0 || u > t.cols - 1 || v > t.rows - 1) break;
        const int c0 = std::min(static_cast<int>(u), t.cols - 2);
        const int r0 = std::min(static_cast<int>(v), t.rows - 2);
        const double fu = u - c0, fv = v - r0;
        const Terrain& g = t;
        auto at = [&](int r, int c) { return double{g.heights[r * g.cols + c]}; };
        const double h = (at(r0, c0) * (1 - fu) + at(r0, c0 + 1) * fu) * (1 - fv) +
                         (at(r0 + 1, c0) * (1 - fu) + at(r0 + 1, c0 + 1) * fu) * fv;
        best = std::max(best, ElevationDeg(d, h, z));
      }
    }
    out[k] = static_cast<float>(best);
  }
  return out;
}

TEST(ComputeHorizons, EarlyStopChangesNothingOnRoughTerrain) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> noise(0.0f, 30.0f);
  Terrain t(60, 70, 20.0);
  for (float& h : t.heights) h = noise(rng);
  t.At(5, 60) = 400.0f;  // one high peak far off
  HorizonParams params;
  params.sectors = 24;
  params.rays_per_sector = 3;
  params.step_m = 7.0;
  for (const auto& [x, y, z] : {std::tuple{300.0, 400.0, 20.0}, std::tuple{900.0, 100.0, 60.0},
                                std::tuple{50.0, 1150.0, 0.0}}) {
    const std::vector<float> fast = Horizons(t, {x, y, z, 0.0}, params);
    const std::vector<float> slow = BruteForce(t, x, y, z, params);
    for (int k = 0; k < params.sectors; ++k) EXPECT_NEAR(fast[k], slow[k], 1e-4) << "sector " << k;
  }
}

TEST(ComputeHorizonsAlong, EqualsTheSectorCentredOnTheAzimuth) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> noise(0.0f, 40.0f);
  Terrain t(50, 50, 10.0);
  for (float& h : t.heights) h = noise(rng);
  HorizonParams params;
  params.sectors = 36;
  params.rays_per_sector = 2;
  const std::vector<double> observers = {250.0, 250.0, 30.0, 12.0, 100.0, 380.0, 10.0, -7.0};
  const std::vector<float> all = Horizons(t, observers, params);
  const std::vector<double> azimuths = {50.0, 350.0};
  std::vector<float> along(2);
  ComputeHorizonsAlong(t.Grid(), {observers.data(), 2, 4}, {azimuths.data(), 2, 1}, params,
                       {along.data(), 2, 1});
  EXPECT_FLOAT_EQ(along[0], all[0 * 36 + 5]);
  EXPECT_FLOAT_EQ(along[1], all[1 * 36 + 35]);
}

TEST(ComputeHorizons, RejectsBadInput) {
  Terrain t(10, 10, 1.0);
  std::vector<double> obs = {5.0, 5.0, 0.0, 0.0};
  std::vector<float> out(4);
  HorizonParams params;
  params.sectors = 4;
  const HeightGrid grid = t.Grid();
  HorizonParams bad = params;
  bad.sectors = 0;
  EXPECT_THROW(ComputeHorizons(grid, {obs.data(), 1, 4}, bad, {out.data(), 1, 4}),
               std::invalid_argument);
  bad = params;
  bad.max_distance_m = 5.0;
  bad.min_distance_m = 6.0;
  EXPECT_THROW(ComputeHorizons(grid, {obs.data(), 1, 4}, bad, {out.data(), 1, 4}),
               std::invalid_argument);
  EXPECT_THROW(ComputeHorizons(grid, {obs.data(), 1, 3}, params, {out.data(), 1, 4}),
               std::invalid_argument);
  EXPECT_THROW(ComputeHorizons(grid, {obs.data(), 1, 4}, params, {out.data(), 2, 2}),
               std::invalid_argument);
  obs[2] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(ComputeHorizons(grid, {obs.data(), 1, 4}, params, {out.data(), 1, 4}),
               std::invalid_argument);
  HeightGrid thin = grid;
  thin.heights_m = {t.heights.data(), 1, 10};
  obs[2] = 0.0;
  EXPECT_THROW(ComputeHorizons(thin, {obs.data(), 1, 4}, params, {out.data(), 1, 4}),
               std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::sim
