#include "ilrs/sim/heightfield_raycast.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace ilrs::sim {
namespace {

using perception::CameraPose;
using perception::PinholeIntrinsics;

// A camera at (x, y, z) looking along +x (map), tilted down by `pitch_rad`.
CameraPose LookingEast(double x, double y, double z, double pitch_rad) {
  CameraPose pose;
  pose.position_m[0] = x;
  pose.position_m[1] = y;
  pose.position_m[2] = z;
  const double c = std::cos(pitch_rad), s = std::sin(pitch_rad);
  // Columns: camera x (right) = -y_map; camera y (down); camera z (forward).
  const double fwd[3] = {c, 0, -s}, right[3] = {0, -1, 0};
  const double down[3] = {-s, 0, -c};
  for (int i = 0; i < 3; ++i) {
    pose.rotation[3 * i + 0] = right[i];
    pose.rotation[3 * i + 1] = down[i];
    pose.rotation[3 * i + 2] = fwd[i];
  }
  return pose;
}

TEST(RenderDepth, FlatGroundDepthMatchesGeometry) {
  const int n = 200;
  std::vector<float> ground(n * n, 0.0f);
  PinholeIntrinsics k{5, 5, 5.0, 5.0, 2.0, 2.0};
  RaycastParams params;
  params.resolution_m = 0.1;
  params.max_range_m = 15.0;
  const double h = 1.5, pitch = 0.4;
  std::vector<float> depth(25);
  RenderDepth({ground.data(), n, n}, k, LookingEast(2.0, 10.0, h, pitch), params,
              {depth.data(), 5, 5});
  // The optical axis meets the ground at range h / sin(pitch).
  EXPECT_NEAR(depth[2 * 5 + 2], h / std::sin(pitch), 1e-3);
}

TEST(RenderDepth, RockIsSeenCloserThanTheGround) {
  const int n = 200;
  std::vector<float> world(n * n, 0.0f);
  for (int r = 95; r < 105; ++r)
    for (int c = 60; c < 70; ++c) world[r * n + c] = 1.0f;  // 1 m block 4-5 m ahead
  PinholeIntrinsics k{1, 1, 1.0, 1.0, 0.0, 0.0};
  RaycastParams params;
  params.resolution_m = 0.1;
  std::vector<float> ground(n * n, 0.0f);
  float d_rock = 0, d_ground = 0;
  const CameraPose pose = LookingEast(2.0, 10.0, 1.5, 0.2);
  RenderDepth({world.data(), n, n}, k, pose, params, {&d_rock, 1, 1});
  RenderDepth({ground.data(), n, n}, k, pose, params, {&d_ground, 1, 1});
  EXPECT_LT(d_rock, d_ground - 1.0f);
}

TEST(RenderDepth, RayLeavingTheMapHasNoReturn) {
  std::vector<float> ground(100, 0.0f);
  PinholeIntrinsics k{1, 1, 1.0, 1.0, 0.0, 0.0};
  RaycastParams params;
  params.resolution_m = 0.1;
  float depth = 0;
  RenderDepth({ground.data(), 10, 10}, k, LookingEast(0.5, 0.5, 1.0, 0.01), params,
              {&depth, 1, 1});
  EXPECT_TRUE(std::isnan(depth));
}

TEST(SampleHeight, InterpolatesBilinearlyBetweenCentres) {
  const float h[4] = {0.0f, 1.0f, 2.0f, 3.0f};  // rows: y=0.5 -> {0,1}, y=1.5 -> {2,3}
  EXPECT_FLOAT_EQ(SampleHeight({h, 2, 2}, 1.0, 1.0, 1.0), 1.5f);
  EXPECT_FLOAT_EQ(SampleHeight({h, 2, 2}, 1.0, 0.5, 0.5), 0.0f);
  EXPECT_TRUE(std::isnan(SampleHeight({h, 2, 2}, 1.0, 0.2, 0.5)));
}


// ---- Exactness against a brute-force caster -------------------------------------------------

constexpr double kNaNd = std::numeric_limits<double>::quiet_NaN();

struct Field {
  int rows, cols;
  double res;
  std::vector<float> h;
  GridView<const float> view() const { return {h.data(), rows, cols}; }
};

// The surface model written out independently: bilinear between centres, in double, defined on
// [0, cols - 1) x [0, rows - 1) of cell-centre coordinates; false outside it or on unknown data.
bool Surface(const Field& f, double x, double y, double* z) {
  const double u = x / f.res - 0.5, v = y / f.res - 0.5;
  if (!(u >= 0.0 && v >= 0.0 && u < f.cols - 1 && v < f.rows - 1)) return false;
  const int c = static_cast<int>(u), r = static_cast<int>(v);
  const double a = u - c, b = v - r;
  const double h00 = f.h[r * f.cols + c], h01 = f.h[r * f.cols + c + 1];
  const double h10 = f.h[(r + 1) * f.cols + c], h11 = f.h[(r + 1) * f.cols + c + 1];
  *z = h00 * (1 - a) * (1 - b) + h01 * a * (1 - b) + h10 * (1 - a) * b + h11 * a * b;
  return std::isfinite(*z);
}

double Whole(const Field& f, const double* o, const double* d, double t_min, double t_max) {
  HeightfieldPyramid pyramid;
  pyramid.Build(f.view(), f.res, Region::Whole(f.rows, f.cols));
  return pyramid.CastRay(o, d, t_min, t_max);
}

// Marches z - h along the ray in steps of res / 2000 and checks the exact cast `t_cast`
// against it: no sample before the cast's hit lies under the surface (beyond a micrometre),
// the hit is on the surface, no later than the march's first crossing, and a miss means no
// sample under the surface before the ray leaves the map or reaches t_max.
void ExpectAgreesWithFineMarch(const Field& f, const double* o, const double* d, double t_min,
                               double t_max, double t_cast, const std::string& what) {
  constexpr double kTol = 1e-6;
  const double step = f.res / 2000.0;
  double first_under = kNaNd;
  double t_last_inside = kNaNd;
  for (long k = 0;; ++k) {
    const double t = std::min(t_min + k * step, t_max);
    double z = 0.0;
    if (!Surface(f, o[0] + d[0] * t, o[1] + d[1] * t, &z)) break;
    t_last_inside = t;
    const double g = o[2] + d[2] * t - z;
    if (!std::isnan(t_cast) && t < t_cast - 1e-9) {
      ASSERT_GT(g, -kTol) << what << ": under the surface at t=" << t << " before the hit "
                          << t_cast;
    }
    if (g <= 0.0 && std::isnan(first_under)) first_under = t;
    if (std::isnan(t_cast) && g < -kTol) {
      FAIL() << what << ": missed, but under the surface by " << -g << " at t=" << t;
    }
    if (t >= t_max || !std::isnan(first_under)) break;
  }
  if (std::isnan(t_cast)) return;
  ASSERT_GE(t_cast, t_min) << what;
  ASSERT_LE(t_cast, t_max) << what;
  double z = 0.0;
  ASSERT_TRUE(Surface(f, o[0] + d[0] * t_cast, o[1] + d[1] * t_cast, &z))
      << what << ": hit off the map at t=" << t_cast;
  const double g = o[2] + d[2] * t_cast - z;
  if (t_cast > t_min) {
    EXPECT_NEAR(g, 0.0, kTol) << what << ": the hit is not on the surface";
  } else {
    EXPECT_LE(g, kTol) << what;
  }
  if (!std::isnan(first_under)) {
    EXPECT_LE(t_cast, first_under + kTol) << what << ": the march crossed earlier";
  } else {
    // The march saw no crossing: only a dip between its samples (a graze) may be hit.
    EXPECT_LE(t_cast, t_last_inside + step) << what;
  }
}

// Rolling ground with rocks, spikes (single high centres) and a steep wall, and a few
// non-power-of-two sizes.
Field RandomField(std::mt19937& rng, int rows, int cols, double res) {
  Field f{rows, cols, res, std::vector<float>(static_cast<std::size_t>(rows) * cols)};
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double fx = 0.1 + unit(rng), fy = 0.1 + unit(rng);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      f.h[r * cols + c] = static_cast<float>(0.8 * std::sin(fx * c) * std::cos(fy * r) +
                                             0.2 * unit(rng));
  for (int k = 0; k < rows * cols / 40; ++k) {
    f.h[static_cast<std::size_t>(unit(rng) * rows * cols)] += static_cast<float>(3.0 * unit(rng));
  }
  const int wall = static_cast<int>(unit(rng) * cols);
  for (int r = rows / 3; r < rows; ++r) f.h[r * cols + wall] = 5.0f;
  return f;
}

TEST(HeightfieldPyramid, RandomRaysAreExactAgainstAFineMarch) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  int hits = 0, misses = 0;
  for (int field = 0; field < 6; ++field) {
    const int rows = 9 + static_cast<int>(unit(rng) * 40), cols = 5 + static_cast<int>(unit(rng) * 60);
    const Field f = RandomField(rng, rows, cols, field % 2 ? 0.5 : 0.13);
    HeightfieldPyramid pyramid;
    pyramid.Build(f.view(), f.res, Region::Whole(rows, cols));
    for (int i = 0; i < 300; ++i) {
      // Origins over (and a little beyond) the map, from under the ground to well above it.
      double o[3] = {(unit(rng) * 1.2 - 0.1) * cols * f.res, (unit(rng) * 1.2 - 0.1) * rows * f.res,
                     -1.0 + 7.0 * unit(rng)};
      double d[3] = {normal(rng), normal(rng), normal(rng) - 0.5};
      const int kind = i % 6;
      if (kind == 1) d[0] = 0.0;                    // parallel to the y axis
      if (kind == 2) d[1] = 0.0;                    // parallel to the x axis
      if (kind == 3) d[0] = d[1] = 0.0;             // straight up or down
      if (kind == 4) d[2] = -0.02 * unit(rng);      // nearly level: long grazing runs
      if (kind == 5) {                              // along a line of centres
        d[1] = 0.0;
        o[1] = (std::floor(unit(rng) * (rows - 1)) + 0.5) * f.res;
      }
      const double n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      if (n == 0.0) continue;
      for (double& x : d) x /= n;
      const double t_min = unit(rng) < 0.5 ? 0.0 : unit(rng);
      const double t_max = t_min + 0.05 + 30.0 * unit(rng);
      const double t = pyramid.CastRay(o, d, t_min, t_max);
      std::isnan(t) ? ++misses : ++hits;
      ExpectAgreesWithFineMarch(f, o, d, t_min, t_max, t,
                                "field " + std::to_string(field) + " ray " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
  // Both outcomes were exercised plenty.
  EXPECT_GT(hits, 300);
  EXPECT_GT(misses, 300);
}

// Narrow maps (a few patches, not a power of two): blocks reach past the map's side, and a ray
// that leaves the map there has ended, however long it stays inside such a block.
TEST(HeightfieldPyramid, RaysLeavingANarrowMapThroughAClippedBlockEndThere) {
  std::mt19937 rng(19);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  int misses = 0;
  for (int field = 0; field < 12; ++field) {
    const int rows = 20 + static_cast<int>(unit(rng) * 30), cols = 3 + field % 5;
    const Field f = RandomField(rng, rows, cols, 0.13);
    HeightfieldPyramid pyramid;
    pyramid.Build(f.view(), f.res, Region::Whole(rows, cols));
    for (int i = 0; i < 300; ++i) {
      const double o[3] = {(0.5 + unit(rng) * (cols - 1)) * f.res,
                           (0.5 + unit(rng) * (rows - 1)) * f.res, 0.5 + 3.0 * unit(rng)};
      double d[3] = {unit(rng) < 0.5 ? 0.3 : -0.3, normal(rng), -0.3 - unit(rng)};
      const double n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      for (double& x : d) x /= n;
      const double t = pyramid.CastRay(o, d, 0.0, 10.0);
      if (std::isnan(t)) ++misses;
      ExpectAgreesWithFineMarch(f, o, d, 0.0, 10.0, t,
                                "field " + std::to_string(field) + " ray " + std::to_string(i));
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(misses, 500);
}

TEST(HeightfieldPyramid, GrazingOverAPeakHitsJustBelowItsTopAndMissesJustAbove) {
  Field f{11, 11, 1.0, std::vector<float>(121, 0.0f)};
  f.h[5 * 11 + 5] = 1.0f;  // one centre at (5.5, 5.5) raised 1 m
  const double d[3] = {1.0, 0.0, 0.0};
  // Along the row of centres through the peak the surface is a tent: h = 1 - |x - 5.5|.
  const double below[3] = {1.0, 5.5, 1.0 - 1e-4}, above[3] = {1.0, 5.5, 1.0 + 1e-4};
  EXPECT_NEAR(Whole(f, below, d, 0.0, 20.0), 5.5 - 1e-4 - 1.0, 1e-9);
  EXPECT_TRUE(std::isnan(Whole(f, above, d, 0.0, 20.0)));
  // Off the centre line the section is curved (b fixed, a varying): a diagonal graze.
  const double n = std::sqrt(2.0), diag[3] = {1.0 / n, 1.0 / n, 0.0};
  for (const double z : {0.2, 0.5, 0.9, 0.999}) {
    const double o[3] = {1.3, 1.1, z};
    ExpectAgreesWithFineMarch(f, o, diag, 0.0, 20.0, Whole(f, o, diag, 0.0, 20.0), "diagonal");
  }
}

TEST(HeightfieldPyramid, RayFromAboveASteepWallFallsDownItsFace) {
  Field f{20, 20, 0.5, std::vector<float>(400, 0.0f)};
  for (int r = 0; r < 20; ++r)
    for (int c = 10; c < 20; ++c) f.h[r * 20 + c] = 4.0f;  // cliff between centres 9 and 10
  // Straight down just west of the top edge: the face is a ramp from x = 4.75 to 5.25.
  const double down[3] = {0.0, 0.0, -1.0};
  const double o[3] = {5.0, 5.0, 6.0};
  EXPECT_NEAR(Whole(f, o, down, 0.0, 20.0), 6.0 - 2.0, 1e-9);  // half way up the ramp
  // Leaning away from the cliff, over the low ground.
  const double away[3] = {-0.6, 0.0, -0.8};
  const double o2[3] = {5.3, 5.0, 4.5};
  ExpectAgreesWithFineMarch(f, o2, away, 0.0, 20.0, Whole(f, o2, away, 0.0, 20.0), "away");
  EXPECT_NEAR(Whole(f, o2, away, 0.0, 20.0), 4.5 / 0.8 - 0.0, 2.0);
  // A ray that starts under the surface hits where it starts.
  const double inside[3] = {8.0, 5.0, 3.0};
  EXPECT_EQ(Whole(f, inside, down, 0.25, 20.0), 0.25);
}

TEST(HeightfieldPyramid, MaxRangeMapEdgeAndUnknownCellsEndTheRay) {
  Field f{30, 30, 0.5, std::vector<float>(900, 0.0f)};
  const double s = std::sqrt(0.5);
  const double d[3] = {s, 0.0, -s};
  const double o[3] = {3.0, 7.0, 1.0};
  const double t_hit = std::sqrt(2.0);
  EXPECT_NEAR(Whole(f, o, d, 0.0, 10.0), t_hit, 1e-12);
  EXPECT_NEAR(Whole(f, o, d, 0.0, t_hit + 1e-9), t_hit, 1e-12);
  EXPECT_TRUE(std::isnan(Whole(f, o, d, 0.0, t_hit - 1e-6)));
  // Level rays: off the east edge (centres' hull ends at x = 14.75) with no hit.
  const double level[3] = {1.0, 0.0, 0.0};
  EXPECT_TRUE(std::isnan(Whole(f, o, level, 0.0, 100.0)));
  // A ray that starts off the map has no hit even if it would come down on it.
  const double outside[3] = {-1.0, 7.0, 1.0};
  EXPECT_TRUE(std::isnan(Whole(f, outside, d, 0.0, 100.0)));
  // An unknown cell in the way ends the ray before the ground.
  f.h[14 * 30 + 7] = std::numeric_limits<float>::quiet_NaN();  // centre (3.75, 7.25)
  EXPECT_TRUE(std::isnan(Whole(f, o, d, 0.0, 10.0)));
}

TEST(RenderDepth, WindowedFrameEqualsTheWholeGridCast) {
  std::mt19937 rng(3);
  const Field f = RandomField(rng, 120, 140, 0.25);
  const PinholeIntrinsics k{64, 48, 40.0, 40.0, 31.5, 23.5};
  RaycastParams params;
  params.resolution_m = f.res;
  params.max_range_m = 9.0;
  const CameraPose pose = LookingEast(6.0, 15.0, 3.0, 0.3);
  std::vector<float> depth(64 * 48);
  RenderDepth(f.view(), k, pose, params, {depth.data(), 48, 64});
  int hits = 0;
  for (int v = 0; v < 48; ++v) {
    for (int u = 0; u < 64; ++u) {
      double d[3], per_range = 0.0;
      PixelRay(k, pose, u, v, d, &per_range);
      const double t = Whole(f, pose.position_m, d, params.min_range_m, params.max_range_m);
      const float got = depth[v * 64 + u];
      if (std::isnan(t)) {
        EXPECT_TRUE(std::isnan(got)) << u << "," << v;
      } else {
        EXPECT_NEAR(got, t * per_range, 1e-5) << u << "," << v;
        ++hits;
      }
    }
  }
  EXPECT_GT(hits, 1000);
}

// ---- Many rays from one viewpoint ---------------------------------------------------------

// The viewpoint's casts against the pyramid's own and the fine march: rays in every azimuth
// (the sectors wrap at +x), along the axes, straight up and down, nearly level, rising, from
// viewpoints over, beside and under the map, with t ranges inside max_range.
TEST(ViewpointCaster, RandomRaysEqualThePyramidsCastAndTheFineMarch) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  int hits = 0, misses = 0, skipped = 0;
  for (int field = 0; field < 8; ++field) {
    const int rows = 9 + static_cast<int>(unit(rng) * 50), cols = 5 + static_cast<int>(unit(rng) * 60);
    const Field f = RandomField(rng, rows, cols, field % 2 ? 0.5 : 0.13);
    HeightfieldPyramid pyramid;
    pyramid.Build(f.view(), f.res, Region::Whole(rows, cols));
    for (int view = 0; view < 4; ++view) {
      const double o[3] = {(unit(rng) * 1.2 - 0.1) * cols * f.res,
                           (unit(rng) * 1.2 - 0.1) * rows * f.res, -1.0 + 7.0 * unit(rng)};
      const double max_range = 0.5 + 20.0 * unit(rng);
      ViewpointCaster caster;
      caster.Build(pyramid, o, max_range);
      for (int i = 0; i < 150; ++i) {
        double d[3] = {normal(rng), normal(rng), normal(rng) - 0.5};
        const int kind = i % 8;
        if (kind == 1) d[0] = 0.0;                // parallel to the y axis
        if (kind == 2) d[1] = 0.0;                // parallel to the x axis
        if (kind == 3) d[0] = d[1] = 0.0;         // straight up or down
        if (kind == 4) d[2] = -0.02 * unit(rng);  // nearly level
        if (kind == 5) d[2] = std::abs(d[2]);     // rising
        if (kind == 6) d[1] = 1e-9 * normal(rng); // just either side of +-x
        const double n = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (n == 0.0) continue;
        for (double& x : d) x /= n;
        const double t_min = unit(rng) < 0.5 ? 0.0 : unit(rng) * max_range;
        const double t_max = t_min + (max_range - t_min) * unit(rng);
        const double t = caster.CastRay(d, t_min, t_max);
        const double t_pyramid = pyramid.CastRay(o, d, t_min, t_max);
        const std::string what = "field " + std::to_string(field) + " view " +
                                 std::to_string(view) + " ray " + std::to_string(i);
        ASSERT_EQ(std::isnan(t), std::isnan(t_pyramid))
            << what << ": " << t << " vs " << t_pyramid << " o " << o[0] << "," << o[1] << ","
            << o[2] << " d " << d[0] << "," << d[1] << "," << d[2] << " t " << t_min << ".."
            << t_max << " range " << max_range << " start " << caster.WalkStart(d, t_min, t_max);
        if (!std::isnan(t)) {
          ASSERT_NEAR(t, t_pyramid, 1e-9) << what;
          if (caster.WalkStart(d, t_min, t_max) > t_min) ++skipped;
        }
        std::isnan(t) ? ++misses : ++hits;
        ExpectAgreesWithFineMarch(f, o, d, t_min, t_max, t, what);
        if (HasFatalFailure()) return;
      }
    }
  }
  EXPECT_GT(hits, 600);
  EXPECT_GT(misses, 600);
  EXPECT_GT(skipped, 100);  // the table let many rays start their walk late
}

// Isolated spikes on flat ground, seen by rays within a few degrees of the +x axis (where the
// sectors wrap) and of the other axes and diagonals, from viewpoints off the cell centres: every
// ray hits or misses as the pyramid's cast does.
TEST(ViewpointCaster, SpikesAcrossTheSectorsWrapAreSeen) {
  const int n = 60;
  const double res = 0.25;
  Field f{n, n, res, std::vector<float>(n * n, 0.0f)};
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int r = 1; r < n; r += 3)
    for (int c = 2; c < n; c += 4) f.h[r * n + c] = static_cast<float>(0.5 + 2.0 * unit(rng));
  HeightfieldPyramid pyramid;
  pyramid.Build(f.view(), f.res, Region::Whole(n, n));
  int hits = 0;
  for (int view = 0; view < 20; ++view) {
    const double o[3] = {(25.0 + 10.0 * unit(rng)) * res, (25.0 + 10.0 * unit(rng)) * res,
                         0.3 + 2.0 * unit(rng)};
    ViewpointCaster caster;
    caster.Build(pyramid, o, 6.0);
    for (int i = 0; i < 400; ++i) {
      const double azimuth = (i % 8) * M_PI / 4.0 + 0.08 * (unit(rng) - 0.5);
      const double down = 0.4 * unit(rng) - 0.05;
      const double d[3] = {std::cos(azimuth) * std::cos(down),
                           std::sin(azimuth) * std::cos(down), -std::sin(down)};
      const double t = caster.CastRay(d, 0.1, 6.0), t_pyramid = pyramid.CastRay(o, d, 0.1, 6.0);
      ASSERT_EQ(std::isnan(t), std::isnan(t_pyramid)) << "view " << view << " ray " << i;
      if (!std::isnan(t)) {
        ASSERT_NEAR(t, t_pyramid, 1e-9) << "view " << view << " ray " << i;
        ++hits;
      }
    }
  }
  EXPECT_GT(hits, 2000);
}

// A map one patch wide along x, the viewpoint over it off the centre line: each patch reaches
// across the +x axis (where the sectors wrap) and alone covers its cells of the table, so a
// sector range cut short there would let rays pass through the wall ahead.
TEST(ViewpointCaster, AOnePatchStripAcrossTheWrapIsSeen) {
  const int cols = 80;
  const double res = 0.25;
  Field f{2, cols, res, std::vector<float>(2 * cols, 0.0f)};
  // Low ground near the viewpoints (over column 40), a 2 m wall from a metre out on either side.
  for (int i = 0; i < 2 * cols; ++i) {
    f.h[i] = std::abs(i % cols - 40) >= 5 ? 2.0f : static_cast<float>(0.05 * std::sin(0.7 * i));
  }
  HeightfieldPyramid pyramid;
  pyramid.Build(f.view(), f.res, Region::Whole(2, cols));
  int hits = 0;
  for (const double y_offset : {0.1, 0.3, 0.5, 0.7, 0.9}) {
    for (const double x_sign : {1.0, -1.0}) {
      const double o[3] = {40.3 * res, (0.5 + y_offset) * res, 0.6};
      ViewpointCaster caster;
      caster.Build(pyramid, o, 8.0);
      for (int i = 0; i < 600; ++i) {
        // Within 0.15 rad of the axis, falling gently: most meet the wall's face.
        const double azimuth = 0.3 * (i / 599.0 - 0.5), down = 0.05 + 0.003 * ((i * 37) % 100);
        const double d[3] = {x_sign * std::cos(azimuth) * std::cos(down),
                             std::sin(azimuth) * std::cos(down), -std::sin(down)};
        const double t = caster.CastRay(d, 0.1, 8.0), t_pyramid = pyramid.CastRay(o, d, 0.1, 8.0);
        ASSERT_EQ(std::isnan(t), std::isnan(t_pyramid)) << y_offset << " " << x_sign << " " << i;
        if (!std::isnan(t)) {
          ASSERT_NEAR(t, t_pyramid, 1e-9) << y_offset << " " << x_sign << " " << i;
          ++hits;
        }
      }
    }
  }
  EXPECT_GT(hits, 2000);
}

// Over flat ground the table is tight: a falling ray starts its walk within two rings (of
// horizontal distance) of where it hits, and a rising one is dismissed without a walk.
TEST(ViewpointCaster, WalksStartNearTheGroundAndSkyRaysHaveNone) {
  const int n = 120;
  Field f{n, n, 0.25, std::vector<float>(n * n, 0.0f)};
  HeightfieldPyramid pyramid;
  pyramid.Build(f.view(), f.res, Region::Whole(n, n));
  const double o[3] = {15.0, 15.0, 1.5}, max_range = 12.0;
  ViewpointCaster caster;
  caster.Build(pyramid, o, max_range);
  const double ring = max_range / ViewpointCaster::kRings;
  for (int i = 0; i < 64; ++i) {
    const double azimuth = 2.0 * M_PI * i / 64.0, down = 0.15 + 0.02 * (i % 30);
    const double d[3] = {std::cos(azimuth) * std::cos(down), std::sin(azimuth) * std::cos(down),
                         -std::sin(down)};
    const double t_hit = 1.5 / std::sin(down);
    if (t_hit > max_range) continue;
    const double start = caster.WalkStart(d, 0.3, max_range);
    const double horizontal = std::cos(down);
    EXPECT_LE(start, t_hit) << i;
    EXPECT_GE(start * horizontal, t_hit * horizontal - 2.0 * ring) << i;
    EXPECT_NEAR(caster.CastRay(d, 0.3, max_range), t_hit, 1e-9) << i;
    const double up[3] = {d[0], d[1], 0.05};
    EXPECT_TRUE(std::isnan(caster.WalkStart(up, 0.3, max_range))) << i;
  }
}

TEST(ViewpointCaster, BadRangeThrows) {
  Field f{4, 4, 1.0, std::vector<float>(16, 0.0f)};
  HeightfieldPyramid pyramid;
  pyramid.Build(f.view(), f.res, Region::Whole(4, 4));
  ViewpointCaster caster;
  const double o[3] = {1.0, 1.0, 1.0};
  EXPECT_THROW(caster.Build(pyramid, o, 0.0), std::invalid_argument);
  EXPECT_THROW(caster.Build(pyramid, o, std::numeric_limits<double>::infinity()),
               std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::sim
