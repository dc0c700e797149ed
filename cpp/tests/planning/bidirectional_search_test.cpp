// The bidirectional search of PlanGridAStar (see grid_a_star.h), under all three cost models.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "../testing/reference_dijkstra.h"
#include "ilrs/planning/grid_a_star.h"

namespace ilrs::planning {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

constexpr double kSqrt2 = 1.4142135623730951;
constexpr MoveCostModel kModels[] = {MoveCostModel::kEnteredCell, MoveCostModel::kGeometric,
                                     MoveCostModel::kMidpoint};

GridAStarOptions Bidirectional(int threads, bool corners,
                               MoveCostModel model = MoveCostModel::kEnteredCell) {
  GridAStarOptions options;
  options.cost_model = model;
  options.search = GridSearch::kBidirectional;
  options.threads = threads;
  options.allow_corner_cutting = corners;
  return options;
}

// Every step is one legal move, and the cost is the sum of the moves' costs under the model.
double CheckedPathCost(const std::vector<float>& map, int cols, const GridPath& path,
                       bool corners, MoveCostModel model = MoveCostModel::kEnteredCell) {
  double cost = 0.0;
  const auto at = [&](int r, int c) { return map[r * cols + c]; };
  for (std::size_t i = 1; i < path.cells.size(); ++i) {
    const Cell a = path.cells[i - 1], b = path.cells[i];
    const int dr = b.row - a.row, dc = b.col - a.col;
    EXPECT_TRUE(std::abs(dr) <= 1 && std::abs(dc) <= 1 && (dr != 0 || dc != 0));
    EXPECT_TRUE(std::isfinite(at(b.row, b.col)));
    if (dr != 0 && dc != 0 && !corners) {
      EXPECT_TRUE(std::isfinite(at(a.row, b.col)) && std::isfinite(at(b.row, a.col)));
    }
    const double length = (dr != 0 && dc != 0) ? kSqrt2 : 1.0;
    switch (model) {
      case MoveCostModel::kEnteredCell: cost += at(b.row, b.col); break;
      case MoveCostModel::kGeometric: cost += length * at(b.row, b.col); break;
      case MoveCostModel::kMidpoint:
        cost += length * 0.5 * (static_cast<double>(at(a.row, a.col)) + at(b.row, b.col));
        break;
    }
  }
  return cost;
}

TEST(BidirectionalSearch, MatchesDijkstraAndAStarOnRandomMaps) {
  std::mt19937 rng(2026);
  std::uniform_real_distribution<float> cost(1.0f, 10.0f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::uniform_int_distribution<int> lethal_percent(0, 45);
  int solved = 0, unsolvable = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + trial % 31, cols = 1 + (trial * 7) % 29;
    const float lethal = lethal_percent(rng) / 100.0f;
    std::vector<float> map(rows * cols);
    // Few distinct costs make many equal-cost paths, where meeting ties are likeliest.
    const bool coarse = trial % 3 == 0;
    for (float& c : map) {
      c = u(rng) < lethal ? kInf : (coarse ? std::round(cost(rng) / 3) + 1 : cost(rng));
    }
    std::uniform_int_distribution<int> row(0, rows - 1), col(0, cols - 1);
    const Cell s{row(rng), col(rng)}, g{row(rng), col(rng)};
    map[s.row * cols + s.col] = cost(rng);
    map[g.row * cols + g.col] = cost(rng);
    for (bool corners : {false, true}) {
      for (MoveCostModel model : kModels) {
        const double expected =
            testing::ReferenceDijkstraCost(map, rows, cols, s, g, model, corners);
        GridAStarOptions a_star = Bidirectional(1, corners, model);
        a_star.search = GridSearch::kAStar;
        for (int threads : {1, 2}) {
          const GridAStarOptions options = Bidirectional(threads, corners, model);
          if (std::isinf(expected)) {
            EXPECT_THROW(PlanGridAStar({map.data(), rows, cols}, {s, g}, options),
                         PlanningFailure);
            ++unsolvable;
            continue;
          }
          const GridPath path = PlanGridAStar({map.data(), rows, cols}, {s, g}, options);
          ASSERT_EQ(path.cells.front(), s);
          ASSERT_EQ(path.cells.back(), g);
          EXPECT_NEAR(path.cost, expected, 1e-9 * expected) << "trial " << trial;
          EXPECT_NEAR(CheckedPathCost(map, cols, path, corners, model), path.cost,
                      1e-9 * expected);
          EXPECT_NEAR(PlanGridAStar({map.data(), rows, cols}, {s, g}, a_star).cost, path.cost,
                      1e-9 * expected);
          ++solved;
        }
      }
    }
  }
  EXPECT_GT(solved, 1500);
  EXPECT_GT(unsolvable, 60);
}

TEST(BidirectionalSearch, StaysExactWhenCostsSpanMoreThanItsBucketsCan) {
  // Costs from 1e-4 to 1e4: a bucket narrower than the smallest cost would need 1e8 of them,
  // so the queue widens its buckets and cells are re-scanned when their labels drop.
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> exponent(-4.0f, 4.0f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  int solved = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int rows = 8 + trial % 25, cols = 8 + (trial * 5) % 27;
    std::vector<float> map(rows * cols);
    for (float& c : map) c = u(rng) < 0.15f ? kInf : std::pow(10.0f, exponent(rng));
    const Cell s{0, 0}, g{rows - 1, cols - 1};
    map[0] = 1e-4f;
    map[rows * cols - 1] = 1e4f;
    for (MoveCostModel model : kModels) {
      const double expected =
          testing::ReferenceDijkstraCost(map, rows, cols, s, g, model, false);
      if (std::isinf(expected)) continue;
      for (int threads : {1, 2}) {
        const GridPath path = PlanGridAStar({map.data(), rows, cols}, {s, g},
                                            Bidirectional(threads, false, model));
        EXPECT_NEAR(path.cost, expected, 1e-9 * expected) << "trial " << trial;
        EXPECT_NEAR(CheckedPathCost(map, cols, path, false, model), path.cost,
                    1e-9 * expected);
      }
      ++solved;
    }
  }
  EXPECT_GT(solved, 120);
}

TEST(BidirectionalSearch, TwoThreadsOnLargeMapsWithManyTiesMatchDijkstra) {
  // Maps large enough for the two threads to run side by side for a while, with few distinct
  // costs so that many paths tie, and the ends anywhere.
  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> level(1, 3);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  const int n = 300;
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<float> map(n * n);
    for (float& c : map) c = u(rng) < 0.15f ? kInf : static_cast<float>(level(rng));
    std::uniform_int_distribution<int> at(0, n - 1);
    const Cell s{at(rng), at(rng)}, g{at(rng), at(rng)};
    map[s.row * n + s.col] = map[g.row * n + g.col] = 1.0f;
    const MoveCostModel model = kModels[trial % 3];
    const bool corners = trial % 2 == 0;
    const double expected =
        testing::ReferenceDijkstraCost(map, n, n, s, g, model, corners);
    ASSERT_TRUE(std::isfinite(expected));
    for (int repeat = 0; repeat < 3; ++repeat) {
      const GridPath path = PlanGridAStar({map.data(), n, n}, {s, g},
                                          Bidirectional(2, corners, model));
      EXPECT_NEAR(path.cost, expected, 1e-9 * expected) << "trial " << trial;
      EXPECT_NEAR(CheckedPathCost(map, n, path, corners, model), path.cost, 1e-9 * expected);
      EXPECT_GT(path.stats.expansions, 1000);
    }
  }
}

TEST(BidirectionalSearch, FinishesWhenMovesAreTooCheapToChangeALabel) {
  // Next to costs of 1e12, a move of 1e-6 leaves a label as it was: labels of neighbours can
  // be equal, and the path must still be walked back by the moves that set them.
  const int n = 40;
  std::vector<float> map(n * n, 1e-6f);
  for (int r = 0; r < n; ++r) map[r * n + n / 2] = 1e12f;  // a dear wall to cross
  for (int threads : {1, 2}) {
    for (MoveCostModel model : kModels) {
      const GridPath path = PlanGridAStar({map.data(), n, n}, {{0, 0}, {n - 1, n - 1}},
                                          Bidirectional(threads, false, model));
      const double expected = testing::ReferenceDijkstraCost(map, n, n, {0, 0}, {n - 1, n - 1},
                                                             model, false);
      EXPECT_NEAR(path.cost, expected, 1e-9 * expected);
      EXPECT_NEAR(CheckedPathCost(map, n, path, false, model), path.cost, 1e-9 * expected);
    }
  }
}

TEST(BidirectionalSearch, ScansFewerCellsThanAStarWhenTheHeuristicIsWeak) {
  // Costs 4-6 against a heuristic of 1 per move: A* scans nearly every cell, the two sides of
  // the bidirectional search together well under two thirds of them.
  const int n = 200;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> cost(4.0f, 6.0f);
  std::vector<float> map(n * n);
  for (float& c : map) c = cost(rng);
  map[0] = 1.0f;  // the smallest cost sets A*'s heuristic scale
  const PlanRequest request{{0, 0}, {n - 1, n - 1}};
  GridAStarOptions a_star = Bidirectional(1, false);
  a_star.search = GridSearch::kAStar;
  const GridPath slow = PlanGridAStar({map.data(), n, n}, request, a_star);
  const GridPath fast = PlanGridAStar({map.data(), n, n}, request, Bidirectional(1, false));
  EXPECT_NEAR(fast.cost, slow.cost, 1e-9 * slow.cost);
  EXPECT_GT(slow.stats.expansions, 9 * n * n / 10);
  EXPECT_LT(fast.stats.expansions, 6 * n * n / 10);
}

TEST(BidirectionalSearch, StartOnGoalIsAOneCellPath) {
  std::vector<float> map(3 * 3, 2.0f);
  for (int threads : {1, 2}) {
    const GridPath path = PlanGridAStar({map.data(), 3, 3}, {{1, 1}, {1, 1}},
                                        Bidirectional(threads, false));
    EXPECT_EQ(path.cells.size(), 1u);
    EXPECT_EQ(path.cost, 0.0);
  }
}

TEST(BidirectionalSearch, EveryFailureHasItsKind) {
  std::vector<float> map(5 * 5, 1.0f);
  map[2 * 5 + 2] = kInf;
  const auto failure = [&](const PlanRequest& request, int threads) {
    try {
      PlanGridAStar({map.data(), 5, 5}, request, Bidirectional(threads, false));
    } catch (const PlanningFailure& f) {
      return f.kind();
    }
    ADD_FAILURE() << "planning did not fail";
    return PlanningFailureKind::kNoPathFound;
  };
  for (int threads : {1, 2}) {
    EXPECT_EQ(failure({{-1, 0}, {4, 4}}, threads), PlanningFailureKind::kStartOutsideMap);
    EXPECT_EQ(failure({{0, 0}, {4, 5}}, threads), PlanningFailureKind::kGoalOutsideMap);
    EXPECT_EQ(failure({{2, 2}, {4, 4}}, threads), PlanningFailureKind::kStartOccupied);
    EXPECT_EQ(failure({{0, 0}, {2, 2}}, threads), PlanningFailureKind::kGoalOccupied);
  }
  for (int c = 0; c < 5; ++c) map[3 * 5 + c] = kInf;
  for (int threads : {1, 2}) {
    EXPECT_EQ(failure({{0, 0}, {4, 4}}, threads), PlanningFailureKind::kNoPathFound);
  }
}

TEST(BidirectionalSearch, HonoursCancelAndDeadlineOnEitherThread) {
  const int n = 600;
  std::vector<float> map(n * n, 1.0f);
  CancelToken token;
  token.Cancel();
  for (int threads : {1, 2}) {
    PlanRequest cancelled{{0, 0}, {n - 1, n - 1}};
    cancelled.cancel = &token;
    PlanRequest late{{0, 0}, {n - 1, n - 1}};
    late.timeout_s = 1e-9;  // past by the first poll
    for (const PlanRequest& request : {cancelled, late}) {
      try {
        PlanGridAStar({map.data(), n, n}, request, Bidirectional(threads, false));
        ADD_FAILURE() << "planning did not stop";
      } catch (const PlanningFailure& f) {
        EXPECT_EQ(f.kind(), request.cancel ? PlanningFailureKind::kCancelled
                                           : PlanningFailureKind::kTimedOut);
      }
    }
  }
}

TEST(BidirectionalSearch, RejectsBadThreadCountsAndCostsBelowTheMinimum) {
  std::vector<float> map(4, 1.0f);
  EXPECT_THROW(PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {1, 1}}, Bidirectional(3, false)),
               std::invalid_argument);
  EXPECT_THROW(PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {1, 1}}, Bidirectional(0, false)),
               std::invalid_argument);
  GridAStarOptions a_star = Bidirectional(2, false);
  a_star.search = GridSearch::kAStar;
  EXPECT_THROW(PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {1, 1}}, a_star), std::invalid_argument);
  GridAStarOptions automatic = Bidirectional(2, false, MoveCostModel::kGeometric);
  automatic.search = GridSearch::kAuto;  // A* for the geometric model
  EXPECT_THROW(PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {1, 1}}, automatic),
               std::invalid_argument);
  map[3] = -1.0f;
  for (MoveCostModel model : kModels) {
    EXPECT_THROW(
        PlanGridAStar({map.data(), 2, 2}, {{0, 0}, {0, 1}}, Bidirectional(1, false, model)),
        std::invalid_argument);
  }
}

}  // namespace
}  // namespace ilrs::planning
