#include "ilrs/sim/heightfield_raycast.h"

#include <gtest/gtest.h>

#include <cmath>
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

}  // namespace
}  // namespace ilrs::sim
