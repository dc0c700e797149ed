#include "ilrs/planning/line_of_sight.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ilrs/planning/grid_a_star.h"

namespace ilrs::planning {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

TEST(SegmentCost, IntegratesCostAlongTheSegment) {
  std::vector<float> map(5 * 5, 2.0f);
  map[0 * 5 + 2] = 4.0f;
  // Along row 0 from col 0 to col 4: half cells at the ends, whole cells between.
  EXPECT_DOUBLE_EQ(SegmentCost({map.data(), 5, 5}, {0, 0}, {0, 4}), 0.5 * 2 + 2 + 4 + 2 + 0.5 * 2);
  // A diagonal passes corners: each diagonal step costs sqrt(2) x the two cells' mean.
  EXPECT_NEAR(SegmentCost({map.data(), 5, 5}, {1, 1}, {3, 3}), 2 * std::sqrt(2.0) * 2.0, 1e-12);
}

TEST(SegmentCost, LethalCellsAndCornersBlock) {
  std::vector<float> map(5 * 5, 1.0f);
  map[2 * 5 + 2] = kInf;
  EXPECT_TRUE(std::isinf(SegmentCost({map.data(), 5, 5}, {2, 0}, {2, 4})));
  // Diagonally past the lethal cell (2, 2), through the corner it shares: blocked.
  EXPECT_TRUE(std::isinf(SegmentCost({map.data(), 5, 5}, {2, 1}, {3, 2})));
  EXPECT_TRUE(std::isinf(SegmentCost({map.data(), 5, 5}, {1, 1}, {3, 3})));
  EXPECT_TRUE(std::isfinite(SegmentCost({map.data(), 5, 5}, {0, 0}, {0, 4})));
}

TEST(SegmentCells, ListsEveryCellCrossed) {
  std::vector<Cell> cells;
  SegmentCells({0, 0}, {1, 3}, &cells);
  ASSERT_EQ(cells.front(), (Cell{0, 0}));
  ASSERT_EQ(cells.back(), (Cell{1, 3}));
  for (std::size_t i = 1; i < cells.size(); ++i) {
    EXPECT_LE(std::abs(cells[i].row - cells[i - 1].row) + std::abs(cells[i].col - cells[i - 1].col), 2);
  }
}

TEST(SmoothPath, NeverCostsMoreNeverLongerAndStaysOffLethalCells) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> cost(1.0f, 10.0f), u(0.0f, 1.0f);
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 20 + trial;
    std::vector<float> map(n * n);
    for (float& c : map) c = u(rng) < 0.15f ? kInf : cost(rng);
    map[0] = map[n * n - 1] = 1.0f;
    GridAStarOptions rules;
    rules.cost_model = MoveCostModel::kMidpoint;
    GridPath path;
    try {
      path = PlanGridAStar({map.data(), n, n}, {{0, 0}, {n - 1, n - 1}}, rules);
    } catch (const PlanningFailure&) {
      continue;
    }
    const std::vector<Cell> smooth = SmoothPath({map.data(), n, n}, path.cells);
    ASSERT_EQ(smooth.front(), path.cells.front());
    ASSERT_EQ(smooth.back(), path.cells.back());
    double smooth_cost = 0, smooth_len = 0, grid_len = 0;
    for (std::size_t i = 1; i < smooth.size(); ++i) {
      smooth_cost += SegmentCost({map.data(), n, n}, smooth[i - 1], smooth[i]);
      smooth_len += std::hypot(smooth[i].row - smooth[i - 1].row, smooth[i].col - smooth[i - 1].col);
      std::vector<Cell> crossed;
      SegmentCells(smooth[i - 1], smooth[i], &crossed);
      for (const Cell& c : crossed) EXPECT_TRUE(std::isfinite(map[c.row * n + c.col]));
    }
    for (std::size_t i = 1; i < path.cells.size(); ++i) {
      grid_len += std::hypot(path.cells[i].row - path.cells[i - 1].row,
                             path.cells[i].col - path.cells[i - 1].col);
    }
    EXPECT_LE(smooth_cost, path.cost * (1 + 1e-9));  // midpoint cost == the integral per step
    EXPECT_LE(smooth_len, grid_len + 1e-9);
  }
}

}  // namespace
}  // namespace ilrs::planning
