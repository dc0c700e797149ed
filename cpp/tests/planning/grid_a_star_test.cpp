#include "ilrs/planning/grid_a_star.h"

#include "../testing/allocation_counter.h"
#include "../testing/reference_dijkstra.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <vector>

namespace ilrs::planning {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kSqrt2 = 1.4142135623730951;

using testing::ReferenceDijkstraCost;

TEST(GridAStar, StraightAndDiagonalCosts) {
  std::vector<float> map(10 * 10, 2.0f);
  const GridView<const float> view(map.data(), 10, 10);
  GridPath p = PlanGridAStar(view, {{0, 0}, {0, 9}});
  EXPECT_DOUBLE_EQ(p.cost, 9 * 2.0);
  EXPECT_EQ(p.cells.size(), 10u);
  p = PlanGridAStar(view, {{0, 0}, {9, 9}});
  EXPECT_NEAR(p.cost, 9 * kSqrt2 * 2.0, 1e-9);
  GridAStarOptions entered;
  entered.cost_model = MoveCostModel::kEnteredCell;
  EXPECT_DOUBLE_EQ(PlanGridAStar(view, {{0, 0}, {9, 9}}, entered).cost, 9 * 2.0);
}

TEST(GridAStar, GoesAroundAWallAndNeverCutsCorners) {
  const int n = 7;
  std::vector<float> map(n * n, 1.0f);
  for (int r = 0; r < n - 1; ++r) map[r * n + 3] = kInf;  // wall with a gap at the top row
  GridPath p = PlanGridAStar({map.data(), n, n}, {{0, 0}, {0, 6}});
  for (std::size_t i = 0; i < p.cells.size(); ++i) {
    EXPECT_TRUE(std::isfinite(map[p.cells[i].row * n + p.cells[i].col]));
    if (i > 0) {
      const int dr = p.cells[i].row - p.cells[i - 1].row, dc = p.cells[i].col - p.cells[i - 1].col;
      ASSERT_LE(std::abs(dr), 1);
      ASSERT_LE(std::abs(dc), 1);
      if (dr != 0 && dc != 0) {
        EXPECT_TRUE(std::isfinite(map[p.cells[i - 1].row * n + p.cells[i].col]));
        EXPECT_TRUE(std::isfinite(map[p.cells[i].row * n + p.cells[i - 1].col]));
      }
    }
  }
  EXPECT_EQ(p.cells.back(), (Cell{0, 6}));
}

TEST(GridAStar, MatchesDijkstraOnRandomMaps) {
  std::mt19937 rng(12345);
  std::uniform_real_distribution<float> cost(1.0f, 10.0f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  int solved = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int rows = 5 + trial % 23, cols = 5 + (trial * 7) % 19;
    std::vector<float> map(rows * cols);
    for (float& c : map) c = u(rng) < 0.25f ? kInf : cost(rng);
    const Cell s{0, 0}, g{rows - 1, cols - 1};
    map[0] = map[rows * cols - 1] = 1.0f;
    for (MoveCostModel model : {MoveCostModel::kGeometric, MoveCostModel::kEnteredCell}) {
      const double expected = ReferenceDijkstraCost(map, rows, cols, s, g, model);
      GridAStarOptions options;
      options.cost_model = model;
      options.search = GridSearch::kAStar;
      if (std::isinf(expected)) {
        EXPECT_THROW(PlanGridAStar({map.data(), rows, cols}, {s, g}, options), PlanningFailure);
      } else {
        EXPECT_NEAR(PlanGridAStar({map.data(), rows, cols}, {s, g}, options).cost, expected,
                    1e-9 * expected);
        ++solved;
      }
    }
  }
  EXPECT_GT(solved, 100);
}

PlanningFailureKind FailureOf(const std::vector<float>& map, int rows, int cols,
                              const PlanRequest& request, const GridAStarOptions& options = {}) {
  try {
    PlanGridAStar({map.data(), rows, cols}, request, options);
  } catch (const PlanningFailure& f) {
    return f.kind();
  }
  ADD_FAILURE() << "planning did not fail";
  return PlanningFailureKind::kNoPathFound;
}

TEST(GridAStar, EveryFailureHasItsKind) {
  std::vector<float> map(5 * 5, 1.0f);
  map[2 * 5 + 2] = kInf;
  EXPECT_EQ(FailureOf(map, 5, 5, {{-1, 0}, {4, 4}}), PlanningFailureKind::kStartOutsideMap);
  EXPECT_EQ(FailureOf(map, 5, 5, {{0, 0}, {4, 5}}), PlanningFailureKind::kGoalOutsideMap);
  EXPECT_EQ(FailureOf(map, 5, 5, {{2, 2}, {4, 4}}), PlanningFailureKind::kStartOccupied);
  EXPECT_EQ(FailureOf(map, 5, 5, {{0, 0}, {2, 2}}), PlanningFailureKind::kGoalOccupied);
  for (int c = 0; c < 5; ++c) map[3 * 5 + c] = kInf;
  EXPECT_EQ(FailureOf(map, 5, 5, {{0, 0}, {4, 4}}), PlanningFailureKind::kNoPathFound);
}

TEST(GridAStar, UnknownCellsFollowTheOption) {
  std::vector<float> map(3 * 3, 1.0f);
  for (int r = 0; r < 3; ++r) map[r * 3 + 1] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(FailureOf(map, 3, 3, {{0, 0}, {0, 2}}), PlanningFailureKind::kNoPathFound);
  GridAStarOptions options;
  options.unknown_cost = 5.0f;
  EXPECT_DOUBLE_EQ(PlanGridAStar({map.data(), 3, 3}, {{0, 0}, {0, 2}}, options).cost, 6.0);
}

TEST(GridAStar, HonoursCancelAndDeadline) {
  const int n = 600;
  std::vector<float> map(n * n, 1.0f);
  CancelToken token;
  token.Cancel();
  PlanRequest request{{0, 0}, {n - 1, n - 1}};
  request.cancel = &token;
  EXPECT_EQ(FailureOf(map, n, n, request), PlanningFailureKind::kCancelled);
  // A 1 ns deadline has passed by the first poll (the first expansion).
  PlanRequest late{{0, 0}, {n - 1, 0}};
  late.timeout_s = 1e-9;
  GridAStarOptions entered;  // equal-f plateaus make the search expand widely
  entered.cost_model = MoveCostModel::kEnteredCell;
  entered.search = GridSearch::kAStar;
  EXPECT_EQ(FailureOf(map, n, n, late, entered), PlanningFailureKind::kTimedOut);
}

TEST(GridAStar, RejectsCostsBelowTheMinimum) {
  std::vector<float> map(4, 1.0f);
  map[3] = 0.0f;
  EXPECT_THROW(PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {0, 1}}), std::invalid_argument);
  map[3] = -2.0f;
  EXPECT_THROW(PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {0, 1}}), std::invalid_argument);
}

// Nothing is allocated per expansion: the searches' containers grow by doubling and keep their
// storage, so a map with several times the cells to expand costs only the doublings its
// longer front needs (A*'s 1024 buckets each a doubling or two more): fewer than one more
// allocation per hundred extra expansions (operator new is counted).
TEST(GridAStar, SearchesAllocateOnlyAsTheirContainersGrow) {
  struct Run {
    long allocations;
    std::int64_t expansions;
  };
  const auto run = [](int n, GridSearch search) {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> cost(1.0f, 10.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> map(n * n);
    for (float& c : map) c = u(rng) < 0.2f ? kInf : cost(rng);
    map[0] = map[n * n - 1] = 1.0f;
    GridAStarOptions options;
    options.cost_model = MoveCostModel::kEnteredCell;
    options.search = search;
    const long before = testing::AllocationCount();
    const GridPath path = PlanGridAStar({map.data(), n, n}, {{0, 0}, {n - 1, n - 1}}, options);
    return Run{testing::AllocationCount() - before, path.stats.expansions};
  };
  for (GridSearch search : {GridSearch::kAStar, GridSearch::kBidirectional}) {
    const Run small = run(250, search), large = run(800, search);
    const std::int64_t extra = large.expansions - small.expansions;
    EXPECT_GT(extra, 300000);
    EXPECT_LT((large.allocations - small.allocations) * 100, extra)
        << small.allocations << " then " << large.allocations << " allocations";
  }
}

}  // namespace
}  // namespace ilrs::planning
