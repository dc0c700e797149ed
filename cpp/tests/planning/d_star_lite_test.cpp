#include "ilrs/planning/d_star_lite.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ilrs/planning/grid_a_star.h"

namespace ilrs::planning {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

double FreshCost(const std::vector<float>& map, int rows, int cols, Cell s, Cell g,
                 const GridAStarOptions& rules) {
  try {
    return PlanGridAStar({map.data(), rows, cols}, {s, g}, rules).cost;
  } catch (const PlanningFailure&) {
    return std::numeric_limits<double>::infinity();
  }
}

double IncrementalCost(DStarLite& planner, Cell s) {
  try {
    return planner.Plan(s).cost;
  } catch (const PlanningFailure&) {
    return std::numeric_limits<double>::infinity();
  }
}

TEST(DStarLite, MatchesFreshAStarAfterRandomEditsAndMoves) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> cost(1.0f, 10.0f), u(0.0f, 1.0f);
  for (MoveCostModel model :
       {MoveCostModel::kGeometric, MoveCostModel::kEnteredCell, MoveCostModel::kMidpoint}) {
    for (bool corners : {false, true}) {
      GridAStarOptions rules;
      rules.cost_model = model;
      rules.allow_corner_cutting = corners;
      for (int trial = 0; trial < 12; ++trial) {
        const int rows = 10 + trial * 3, cols = 12 + trial * 2;
        std::vector<float> map(rows * cols);
        for (float& c : map) c = u(rng) < 0.2f ? kInf : cost(rng);
        const Cell goal{rows - 1, cols - 1};
        map[goal.row * cols + goal.col] = 1.0f;
        DStarLite planner({map.data(), rows, cols}, goal, rules);
        Cell start{0, 0};
        for (int round = 0; round < 6; ++round) {
          map[start.row * cols + start.col] = cost(rng);
          planner.UpdateCosts({map.data(), rows, cols}, {start.row, start.col, start.row + 1,
                                                         start.col + 1});
          const double expected = FreshCost(map, rows, cols, start, goal, rules);
          const double got = IncrementalCost(planner, start);
          if (std::isinf(expected)) {
            EXPECT_TRUE(std::isinf(got));
          } else {
            EXPECT_NEAR(got, expected, 1e-9 * expected) << "trial " << trial << " round " << round;
          }
          // Edit a random block (some cells lethal, some cheaper or dearer) and move the start.
          const int r0 = rng() % rows, c0 = rng() % cols;
          const Region block{r0, c0, std::min(rows, r0 + 4), std::min(cols, c0 + 4)};
          for (int r = block.row_begin; r < block.row_end; ++r)
            for (int c = block.col_begin; c < block.col_end; ++c)
              if (Cell{r, c} != goal) map[r * cols + c] = u(rng) < 0.3f ? kInf : cost(rng);
          planner.UpdateCosts({map.data(), rows, cols}, block);
          start = {static_cast<int>(rng() % rows), static_cast<int>(rng() % cols)};
        }
      }
    }
  }
}

TEST(DStarLite, RepairNearTheStartExpandsFarLessThanAFreshSearch) {
  const int n = 300;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> cost(1.0f, 10.0f);
  std::vector<float> map(n * n);
  for (float& c : map) c = cost(rng);
  DStarLite planner({map.data(), n, n}, {n - 1, n - 1});
  planner.Plan({0, 0});
  for (int r = 5; r < 15; ++r)
    for (int c = 5; c < 15; ++c) map[r * n + c] = kInf;
  planner.UpdateCosts({map.data(), n, n}, {5, 5, 15, 15});
  const GridPath repaired = planner.Plan({0, 0});
  const GridPath fresh = PlanGridAStar({map.data(), n, n}, {{0, 0}, {n - 1, n - 1}});
  EXPECT_NEAR(repaired.cost, fresh.cost, 1e-9 * fresh.cost);
  EXPECT_LT(repaired.stats.expansions * 5, fresh.stats.expansions);
}

TEST(DStarLite, FailuresHaveTheirKinds) {
  std::vector<float> map(5 * 5, 1.0f);
  map[2 * 5 + 2] = kInf;
  EXPECT_THROW(DStarLite({map.data(), 5, 5}, {5, 0}), PlanningFailure);
  DStarLite planner({map.data(), 5, 5}, {4, 4});
  auto kind_of = [&](Cell s) {
    try {
      planner.Plan(s);
    } catch (const PlanningFailure& f) {
      return f.kind();
    }
    return PlanningFailureKind::kCancelled;  // not expected
  };
  EXPECT_EQ(kind_of({-1, 0}), PlanningFailureKind::kStartOutsideMap);
  EXPECT_EQ(kind_of({2, 2}), PlanningFailureKind::kStartOccupied);
  for (int c = 0; c < 5; ++c) map[3 * 5 + c] = kInf;
  planner.UpdateCosts({map.data(), 5, 5}, {3, 0, 4, 5});
  EXPECT_EQ(kind_of({0, 0}), PlanningFailureKind::kNoPathFound);
  map[4 * 5 + 4] = kInf;
  planner.UpdateCosts({map.data(), 5, 5}, {4, 4, 5, 5});
  EXPECT_EQ(kind_of({0, 0}), PlanningFailureKind::kGoalOccupied);
}

TEST(DStarLite, CheaperCellsThanTheHeuristicAssumesStillGiveTheOptimum) {
  std::vector<float> map(20 * 20, 5.0f);
  DStarLite planner({map.data(), 20, 20}, {19, 19});
  planner.Plan({0, 0});
  for (int i = 0; i < 20; ++i) map[i * 20 + i] = 1.0f;  // a cheap diagonal road
  planner.UpdateCosts({map.data(), 20, 20}, Region::Whole(20, 20));
  EXPECT_NEAR(planner.Plan({0, 0}).cost,
              PlanGridAStar({map.data(), 20, 20}, {{0, 0}, {19, 19}}).cost, 1e-9);
}

TEST(DStarLite, RejectsBadCosts) {
  std::vector<float> map(9, 1.0f);
  map[4] = 0.0f;
  EXPECT_THROW(DStarLite({map.data(), 3, 3}, {0, 0}), std::invalid_argument);
  map[4] = 1.0f;
  DStarLite planner({map.data(), 3, 3}, {0, 0});
  map[4] = -1.0f;
  EXPECT_THROW(planner.UpdateCosts({map.data(), 3, 3}, Region::Whole(3, 3)),
               std::invalid_argument);
  std::vector<float> other(16, 1.0f);
  EXPECT_THROW(planner.UpdateCosts({other.data(), 4, 4}, Region::Whole(4, 4)),
               std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::planning
