#include "ilrs/planning/hybrid_a_star.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ilrs::planning {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kPi = 3.141592653589793;

// Re-drives every step from the previous pose and checks it lands where the path says,
// staying on finite cells: the path is one the rover can actually drive.
void ExpectFeasible(const std::vector<float>& map, int rows, int cols, const HybridPath& path,
                    const HybridAStarOptions& o) {
  ASSERT_EQ(path.poses.size(), path.motions.size());
  for (std::size_t i = 1; i < path.poses.size(); ++i) {
    const Pose2& a = path.poses[i - 1];
    const Pose2& b = path.poses[i];
    double x = a.x, y = a.y, h = a.heading;
    switch (path.motions[i]) {
      case Motion::kStraight:
        x += o.step_cells * std::cos(h);
        y += o.step_cells * std::sin(h);
        break;
      case Motion::kLeft:
      case Motion::kRight: {
        const double steer = path.motions[i] == Motion::kLeft ? 1.0 : -1.0;
        const double turn = steer * o.step_cells / o.min_turn_radius_cells;
        x += steer * o.min_turn_radius_cells * (std::sin(h + turn) - std::sin(h));
        y -= steer * o.min_turn_radius_cells * (std::cos(h + turn) - std::cos(h));
        h += turn;
        break;
      }
      case Motion::kTurnLeft:
      case Motion::kTurnRight:
        ASSERT_TRUE(o.allow_turn_in_place);
        h += (path.motions[i] == Motion::kTurnLeft ? 1 : -1) * 2 * kPi / o.headings;
        break;
      case Motion::kStart: FAIL() << "a start in the middle of the path";
    }
    EXPECT_NEAR(x, b.x, 1e-9);
    EXPECT_NEAR(y, b.y, 1e-9);
    EXPECT_NEAR(std::remainder(h - b.heading, 2 * kPi), 0.0, 1e-9);
    EXPECT_TRUE(std::isfinite(map[static_cast<int>(b.y) * cols + static_cast<int>(b.x)]));
    (void)rows;
  }
}

TEST(HybridAStar, DrivesAroundAWallWithBoundedCurvature) {
  const int n = 60;
  std::vector<float> map(n * n, 1.0f);
  for (int r = 0; r < 45; ++r) map[r * n + 30] = kInf;
  HybridAStarOptions o;
  const HybridPath path =
      PlanHybridAStar({map.data(), n, n}, {5.5, 5.5, 0.0}, {55.5, 5.5, 0.0}, o);
  ExpectFeasible(map, n, n, path, o);
  EXPECT_LE(std::hypot(path.poses.back().x - 55.5, path.poses.back().y - 5.5),
            o.goal_tolerance_cells);
  double highest = 0;
  for (const Pose2& p : path.poses) highest = std::max(highest, p.y);
  EXPECT_GT(highest, 45.0);  // it went round the end of the wall
}

TEST(HybridAStar, MeetsTheGoalHeadingWhenAsked) {
  const int n = 40;
  std::vector<float> map(n * n, 1.0f);
  HybridAStarOptions o;
  o.goal_heading_tolerance_rad = 0.1;
  const HybridPath path =
      PlanHybridAStar({map.data(), n, n}, {5.5, 20.5, 0.0}, {30.5, 20.5, kPi}, o);
  ExpectFeasible(map, n, n, path, o);
  EXPECT_LE(std::abs(std::remainder(path.poses.back().heading - kPi, 2 * kPi)), 0.1);
}

TEST(HybridAStar, SkidSteerTurnsOnTheSpotWhereArcsCannotFit) {
  // A dead-end corridor one cell wide: only turning in place gets the rover back out.
  const int n = 30;
  std::vector<float> map(n * n, kInf);
  for (int c = 2; c < 28; ++c) map[15 * n + c] = 1.0f;
  HybridAStarOptions o;
  o.goal_heading_tolerance_rad = 0.2;
  EXPECT_THROW(PlanHybridAStar({map.data(), n, n}, {20.5, 15.5, 0.0}, {5.5, 15.5, kPi}, o),
               PlanningFailure);
  o.allow_turn_in_place = true;
  o.turn_in_place_cost = 0.5;
  const HybridPath path =
      PlanHybridAStar({map.data(), n, n}, {20.5, 15.5, 0.0}, {5.5, 15.5, kPi}, o);
  ExpectFeasible(map, n, n, path, o);
  int turns = 0;
  for (Motion m : path.motions) turns += (m == Motion::kTurnLeft || m == Motion::kTurnRight);
  EXPECT_GT(turns, 0);  // the U-turn is made (mostly) on the spot
  EXPECT_LE(std::abs(std::remainder(path.poses.back().heading - kPi, 2 * kPi)), 0.2);
}

TEST(HybridAStar, FailuresAndBadOptions) {
  std::vector<float> map(10 * 10, 1.0f);
  map[5 * 10 + 5] = kInf;
  HybridAStarOptions o;
  auto kind = [&](Pose2 s, Pose2 g) {
    try {
      PlanHybridAStar({map.data(), 10, 10}, s, g, o);
    } catch (const PlanningFailure& f) {
      return f.kind();
    }
    return PlanningFailureKind::kCancelled;
  };
  EXPECT_EQ(kind({-1, 1, 0}, {8, 8, 0}), PlanningFailureKind::kStartOutsideMap);
  EXPECT_EQ(kind({1, 1, 0}, {8, 18, 0}), PlanningFailureKind::kGoalOutsideMap);
  EXPECT_EQ(kind({5.5, 5.5, 0}, {8, 8, 0}), PlanningFailureKind::kStartOccupied);
  EXPECT_EQ(kind({1, 1, 0}, {5.5, 5.5, 0}), PlanningFailureKind::kGoalOccupied);
  o.min_turn_radius_cells = 0;
  EXPECT_THROW(PlanHybridAStar({map.data(), 10, 10}, {1, 1, 0}, {8, 8, 0}, o),
               std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::planning
