#include "ilrs/perception/elevation_map.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "../testing/allocation_counter.h"

namespace ilrs::perception {
namespace {

TEST(ElevationMap, StartsUnknown) {
  ElevationMap map(3, 4, 0.5);
  EXPECT_TRUE(std::isnan(map.height_m()(1, 1)));
  EXPECT_TRUE(std::isinf(map.variance_m2()(1, 1)));
}

TEST(ElevationMap, KalmanFusesAMeasurementIntoThePrior) {
  ElevationMap map(4, 4, 1.0);
  std::vector<float> prior(16, 10.0f);
  map.SetPrior({prior.data(), 4, 4}, 0.04);
  FusionParams params;
  params.noise_floor_m = 0.1;
  params.noise_per_range2 = 0.0;
  // Two points in cell (2, 1): only the higher one is the frame's measurement.
  const float points[] = {1.5f, 2.5f, 11.0f, 1.2f, 2.2f, 9.0f};
  const double sensor[3] = {1.5, 2.5, 13.0};
  const Region changed = map.FusePoints(points, 2, sensor, params);
  EXPECT_EQ(changed.row_begin, 2);
  EXPECT_EQ(changed.col_begin, 1);
  EXPECT_EQ(changed.cell_count(), 1);
  const double p = 0.04, r = 0.01;
  EXPECT_NEAR(map.height_m()(2, 1), (p * 11.0 + r * 10.0) / (p + r), 1e-5);
  EXPECT_NEAR(map.variance_m2()(2, 1), p * r / (p + r), 1e-7);
  EXPECT_FLOAT_EQ(map.max_height_m()(2, 1), 11.0f);
  EXPECT_FLOAT_EQ(map.height_m()(0, 0), 10.0f);
}

TEST(ElevationMap, FarPointsAreTrustedLess) {
  ElevationMap map(1, 40, 1.0);
  std::vector<float> prior(40, 0.0f);
  map.SetPrior({prior.data(), 1, 40}, 0.01);
  const float points[] = {1.5f, 0.5f, 1.0f, 30.5f, 0.5f, 1.0f};
  const double sensor[3] = {0.5, 0.5, 0.0};
  map.FusePoints(points, 2, sensor, FusionParams{});
  EXPECT_GT(map.height_m()(0, 1), map.height_m()(0, 30));
}

TEST(ElevationMap, SkipsPointsOutsideTheMapAndNonFinite) {
  ElevationMap map(2, 2, 1.0);
  const float points[] = {-0.5f, 0.5f, 1.0f, 0.5f, 2.5f, 1.0f, NAN, 0.5f, 1.0f};
  const double sensor[3] = {0, 0, 0};
  EXPECT_TRUE(map.FusePoints(points, 3, sensor, FusionParams{}).empty());
}

TEST(DepthToPoints, BackProjectsThroughThePose) {
  PinholeIntrinsics k{3, 3, 2.0, 2.0, 1.0, 1.0};
  std::vector<float> depth(9, NAN);
  depth[1 * 3 + 1] = 4.0f;  // principal point
  depth[1 * 3 + 2] = 2.0f;  // one pixel right
  CameraPose pose;
  // Camera looking straight down from 10 m: z_cam -> -z_map, x_cam -> x_map, y_cam -> -y_map.
  const double rot[9] = {1, 0, 0, 0, -1, 0, 0, 0, -1};
  std::copy(rot, rot + 9, pose.rotation);
  pose.position_m[2] = 10.0;
  std::vector<float> xyz(27);
  ASSERT_EQ(DepthToPoints({depth.data(), 3, 3}, k, pose, xyz.data()), 2u);
  EXPECT_FLOAT_EQ(xyz[0], 0.0f);
  EXPECT_FLOAT_EQ(xyz[2], 6.0f);
  EXPECT_FLOAT_EQ(xyz[3], 1.0f);  // (2 - 1) / 2 * 2 m
  EXPECT_FLOAT_EQ(xyz[5], 8.0f);
}

TEST(DepthToPoints, RejectsMismatchedImage) {
  PinholeIntrinsics k{4, 3, 2.0, 2.0, 1.5, 1.0};
  std::vector<float> depth(9, 1.0f), xyz(27);
  EXPECT_THROW(DepthToPoints({depth.data(), 3, 3}, k, CameraPose{}, xyz.data()),
               std::invalid_argument);
}

// A depth image of rough ground seen from 1.5 m, pitched down, with holes and bad pixels.
std::vector<float> TestDepth(const PinholeIntrinsics& k) {
  std::vector<float> depth(static_cast<std::size_t>(k.width_px) * k.height_px);
  for (int v = 0; v < k.height_px; ++v) {
    for (int u = 0; u < k.width_px; ++u) {
      float& d = depth[static_cast<std::size_t>(v) * k.width_px + u];
      d = 2.0f + 0.01f * v + 0.3f * std::sin(0.2f * u) * std::cos(0.13f * v);
      if ((u * 7 + v * 3) % 29 == 0) d = std::nanf("");
      if ((u + v) % 31 == 0) d = -1.0f;
    }
  }
  return depth;
}

PinholeIntrinsics TestIntrinsics() {
  PinholeIntrinsics k;
  k.width_px = 64;
  k.height_px = 48;
  k.fx = k.fy = 40.0;
  k.cx = 31.5;
  k.cy = 23.5;
  return k;
}

CameraPose TestPose() {
  CameraPose pose;
  pose.position_m[0] = 2.0;
  pose.position_m[1] = 1.0;
  pose.position_m[2] = 1.5;
  // Looking north (+y), pitched 30 degrees down: camera x = east, z = forward-down.
  const double c = std::cos(0.5236), s = std::sin(0.5236);
  const double r[9] = {1, 0, 0, 0, -s, c, 0, -c, -s};
  std::memcpy(pose.rotation, r, sizeof(r));
  return pose;
}

TEST(ElevationMap, FuseDepthEqualsDepthToPointsThenFusePoints) {
  const PinholeIntrinsics k = TestIntrinsics();
  const CameraPose pose = TestPose();
  const std::vector<float> depth = TestDepth(k);
  const GridView<const float> image{depth.data(), k.height_px, k.width_px};
  ElevationMap direct(80, 60, 0.05), via_points(80, 60, 0.05);
  std::vector<float> xyz(depth.size() * 3);
  for (int frame = 0; frame < 2; ++frame) {
    const Region a = direct.FuseDepth(image, k, pose, FusionParams{});
    const std::size_t n = DepthToPoints(image, k, pose, xyz.data());
    const Region b = via_points.FusePoints(xyz.data(), n, pose.position_m, FusionParams{});
    EXPECT_EQ(a.row_begin, b.row_begin);
    EXPECT_EQ(a.col_end, b.col_end);
    EXPECT_GT(a.cell_count(), 0);
  }
  for (int i = 0; i < 80 * 60; ++i) {
    const float h1 = direct.height_m().data()[i], h2 = via_points.height_m().data()[i];
    EXPECT_TRUE((std::isnan(h1) && std::isnan(h2)) || h1 == h2) << "cell " << i;
    EXPECT_EQ(direct.variance_m2().data()[i], via_points.variance_m2().data()[i]);
  }
}

TEST(ElevationMap, FuseDepthAllocatesNothingAfterTheFirstFrame) {
  const PinholeIntrinsics k = TestIntrinsics();
  const CameraPose pose = TestPose();
  const std::vector<float> depth = TestDepth(k);
  ElevationMap map(80, 60, 0.05);
  map.FuseDepth({depth.data(), k.height_px, k.width_px}, k, pose, FusionParams{});  // warm-up
  const long before = testing::AllocationCount();
  map.FuseDepth({depth.data(), k.height_px, k.width_px}, k, pose, FusionParams{});
  map.FuseDepth({depth.data(), k.height_px, k.width_px}, k, pose, FusionParams{});
  EXPECT_EQ(testing::AllocationCount() - before, 0);
}

TEST(ElevationMap, FuseDepthRejectsAnImageOfTheWrongSize) {
  ElevationMap map(8, 8, 0.5);
  std::vector<float> depth(10 * 10, 1.0f);
  EXPECT_THROW(map.FuseDepth({depth.data(), 10, 10}, TestIntrinsics(), TestPose(), FusionParams{}),
               std::invalid_argument);
}


// --- Rolling window ----------------------------------------------------------------------------

// A map with a distinct known value in every cell (height = 100 * world row + world col).
ElevationMap MarkedMap(int rows, int cols, Cell origin) {
  ElevationMap map(rows, cols, 1.0, origin);
  std::vector<float> prior(static_cast<std::size_t>(rows) * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      prior[r * cols + c] = static_cast<float>(100 * (origin.row + r) + origin.col + c);
  map.SetPrior({prior.data(), rows, cols}, 0.25);
  return map;
}

TEST(ElevationMap, MoveOriginKeepsTheOverlapAndForgetsTheRest) {
  const int rows = 7, cols = 9;
  for (const Cell shift : {Cell{0, 0}, Cell{2, 3}, Cell{-3, 1}, Cell{1, -4}, Cell{-2, -2},
                           Cell{0, 8}, Cell{7, 0}, Cell{-20, 5}}) {
    ElevationMap map = MarkedMap(rows, cols, {10, -4});
    const Cell applied = map.MoveOrigin({10 + shift.row, -4 + shift.col});
    EXPECT_EQ(applied, shift);
    EXPECT_EQ(map.origin(), (Cell{10 + shift.row, -4 + shift.col}));
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        const int old_r = r + shift.row, old_c = c + shift.col;
        const bool kept = old_r >= 0 && old_r < rows && old_c >= 0 && old_c < cols;
        if (kept) {
          // The same world cell, bit for bit.
          EXPECT_EQ(map.height_m()(r, c), 100.0f * (10 + old_r) + (-4 + old_c)) << r << "," << c;
          EXPECT_EQ(map.variance_m2()(r, c), 0.25f);
          EXPECT_EQ(map.max_height_m()(r, c), map.height_m()(r, c));
        } else {
          EXPECT_TRUE(std::isnan(map.height_m()(r, c))) << r << "," << c;
          EXPECT_TRUE(std::isinf(map.variance_m2()(r, c)));
          EXPECT_TRUE(std::isnan(map.max_height_m()(r, c)));
        }
      }
    }
  }
}

TEST(ElevationMap, PointsLandInTheirWorldCellAfterAMove) {
  ElevationMap map(4, 4, 0.5, {-2, 6});  // x in [3, 5), y in [-1, 1)
  const double sensor[3] = {0, 0, 10};
  const float inside[] = {3.2f, -0.8f, 1.0f, 4.9f, 0.9f, 2.0f, 2.9f, 0.0f, 5.0f};
  const Region changed = map.FusePoints(inside, 3, sensor, FusionParams{});
  EXPECT_EQ(changed.row_begin, 0);
  EXPECT_EQ(changed.col_begin, 0);
  EXPECT_EQ(changed.row_end, 4);
  EXPECT_EQ(changed.col_end, 4);
  EXPECT_EQ(map.height_m()(0, 0), 1.0f);
  EXPECT_EQ(map.height_m()(3, 3), 2.0f);
  EXPECT_EQ(map.max_height_m()(3, 3), 2.0f);
  // x = 2.9 is west of the window: skipped.
  int known = 0;
  for (int i = 0; i < 16; ++i) known += !std::isnan(map.height_m().data()[i]);
  EXPECT_EQ(known, 2);
  // Follow the point one cell east: it is now in map column 2.
  map.MoveOrigin({-2, 7});
  EXPECT_EQ(map.height_m()(3, 2), 2.0f);
  EXPECT_TRUE(std::isnan(map.height_m()(0, 0)));
}

// A depth frame fused into a moved window equals the same cells of a big world-fixed map.
TEST(ElevationMap, FuseDepthInAMovedWindowMatchesAWorldFixedMap) {
  const PinholeIntrinsics k = TestIntrinsics();
  const CameraPose pose = TestPose();
  const std::vector<float> depth = TestDepth(k);
  const GridView<const float> image{depth.data(), k.height_px, k.width_px};
  ElevationMap world(120, 120, 0.05);
  ElevationMap window(50, 40, 0.05, {0, 0});
  window.MoveOrigin({30, 25});
  world.FuseDepth(image, k, pose, FusionParams{});
  const Region changed = window.FuseDepth(image, k, pose, FusionParams{});
  EXPECT_GT(changed.cell_count(), 0);
  int known = 0;
  for (int r = 0; r < 50; ++r) {
    for (int c = 0; c < 40; ++c) {
      const float a = window.height_m()(r, c), b = world.height_m()(r + 30, c + 25);
      EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || a == b) << r << "," << c;
      EXPECT_EQ(window.variance_m2()(r, c), world.variance_m2()(r + 30, c + 25));
      known += !std::isnan(a);
    }
  }
  EXPECT_GT(known, 100);
}

TEST(ElevationMap, MoveOriginAllocatesNothing) {
  ElevationMap map = MarkedMap(64, 80, {0, 0});
  const long before = testing::AllocationCount();
  for (int i = 0; i < 20; ++i) map.MoveOrigin({(i * 7) % 13 - 6, (i * 5) % 11 - 5});
  EXPECT_EQ(testing::AllocationCount() - before, 0);
}

TEST(ElevationMap, RejectsAnOriginBeyondTheLimit) {
  EXPECT_THROW(ElevationMap(2, 2, 1.0, {1 << 30 | 1, 0}), std::invalid_argument);
  ElevationMap map(2, 2, 1.0);
  EXPECT_THROW(map.MoveOrigin({0, -(1 << 30) - 1}), std::invalid_argument);
  EXPECT_EQ(map.origin(), (Cell{0, 0}));
}

TEST(ShiftGrid, MatchesIndexArithmetic) {
  const int rows = 5, cols = 6;
  for (int dr = -6; dr <= 6; ++dr) {
    for (int dc = -7; dc <= 7; ++dc) {
      std::vector<float> g(rows * cols);
      for (int i = 0; i < rows * cols; ++i) g[i] = static_cast<float>(i);
      ShiftGrid({g.data(), rows, cols}, {dr, dc}, -1.0f);
      for (int r = 0; r < rows; ++r) {
        for (int c = 0; c < cols; ++c) {
          const int sr = r + dr, sc = c + dc;
          const bool has = sr >= 0 && sr < rows && sc >= 0 && sc < cols;
          EXPECT_EQ(g[r * cols + c], has ? static_cast<float>(sr * cols + sc) : -1.0f)
              << dr << "," << dc << " at " << r << "," << c;
        }
      }
    }
  }
}

}  // namespace
}  // namespace ilrs::perception
