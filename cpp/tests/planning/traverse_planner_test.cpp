#include "ilrs/planning/traverse_planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <vector>

namespace ilrs::planning {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;

// Dijkstra over the same moves and energies, written independently of the planner.
double ReferenceEnergy(const std::vector<float>& z, const std::vector<std::uint8_t>& blocked,
                       int rows, int cols, double res, Cell s, Cell g, const EnergyModel& m) {
  auto free = [&](int r, int c) {
    return r >= 0 && c >= 0 && r < rows && c < cols && blocked[r * cols + c] == 0;
  };
  std::vector<double> dist(z.size(), std::numeric_limits<double>::infinity());
  using Item = std::pair<double, int>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
  dist[s.row * cols + s.col] = 0;
  q.push({0, s.row * cols + s.col});
  while (!q.empty()) {
    auto [d, i] = q.top();
    q.pop();
    if (d > dist[i]) continue;
    const int r = i / cols, c = i % cols;
    for (int dr = -1; dr <= 1; ++dr) {
      for (int dc = -1; dc <= 1; ++dc) {
        if ((dr == 0 && dc == 0) || !free(r + dr, c + dc)) continue;
        if (dr != 0 && dc != 0 && (!free(r + dr, c) || !free(r, c + dc))) continue;
        const int j = (r + dr) * cols + c + dc;
        const double h = (dr != 0 && dc != 0 ? kSqrt2 : 1.0) * res;
        const double dz = static_cast<double>(z[j]) - z[i];
        if (std::atan(std::abs(dz) / h) > m.max_slope_deg * M_PI / 180.0 + 1e-12) continue;
        const double e = std::max(0.0, m.mass_kg * m.gravity_mps2 *
                                           (m.rolling_resistance * h + dz)) +
                         m.idle_power_w / m.speed_mps * std::sqrt(h * h + dz * dz);
        if (d + e < dist[j]) {
          dist[j] = d + e;
          q.push({dist[j], j});
        }
      }
    }
  }
  return dist[g.row * cols + g.col];
}

TEST(TraversePlanner, FindsTheLeastEnergyRouteOnRandomTerrain) {
  std::mt19937 rng(11);
  std::normal_distribution<float> bump(0.0f, 0.8f);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  EnergyModel model;
  int solved = 0;
  for (int trial = 0; trial < 80; ++trial) {
    const int rows = 6 + trial % 17, cols = 5 + (trial * 3) % 19;
    std::vector<float> z(rows * cols);
    float level = 0.0f;
    for (float& v : z) v = (level += bump(rng) * 0.3f) + bump(rng);
    std::vector<std::uint8_t> blocked(z.size());
    for (auto& b : blocked) b = u(rng) < 0.1f;
    const Cell s{0, 0}, g{rows - 1, cols - 1};
    blocked[0] = blocked[z.size() - 1] = 0;
    const double expected = ReferenceEnergy(z, blocked, rows, cols, 5.0, s, g, model);
    try {
      const TraverseRoute route = PlanTraverse({z.data(), rows, cols}, 5.0,
                                               {blocked.data(), rows, cols}, s, g, model);
      EXPECT_NEAR(route.energy_j, expected, 1e-9 * expected);
      EXPECT_LE(route.max_slope_deg, model.max_slope_deg + 1e-9);
      ++solved;
    } catch (const PlanningFailure& f) {
      EXPECT_EQ(f.kind(), PlanningFailureKind::kNoPathFound);
      EXPECT_TRUE(std::isinf(expected));
    }
  }
  EXPECT_GT(solved, 40);
}

TEST(TraversePlanner, ClimbingCostsMoreThanDescending) {
  std::vector<float> ramp(1 * 10);
  for (int c = 0; c < 10; ++c) ramp[c] = 0.5f * c;  // 0.5 m per 5 m post: ~5.7 deg
  const GridView<const float> z(ramp.data(), 1, 10);
  const EnergyModel m;
  const double up = PlanTraverse(z, 5.0, {nullptr, 0, 0}, {0, 0}, {0, 9}, m).energy_j;
  const double down = PlanTraverse(z, 5.0, {nullptr, 0, 0}, {0, 9}, {0, 0}, m).energy_j;
  EXPECT_GT(up, down);
  // Uphill: rolling resistance and the climb over 45 m, plus idle power over ~45.2 m driven.
  const double s = 9 * std::sqrt(25.0 + 0.25);
  EXPECT_NEAR(up, m.mass_kg * m.gravity_mps2 * (m.rolling_resistance * 45 + 4.5) +
                      m.idle_power_w / m.speed_mps * s,
              1e-6);
}

TEST(TraversePlanner, SlopeLimitAndFailures) {
  std::vector<float> wall(3 * 3, 0.0f);
  for (int r = 0; r < 3; ++r) wall[r * 3 + 1] = 10.0f;  // a 10 m step every way across
  const GridView<const float> z(wall.data(), 3, 3);
  EnergyModel m;
  auto kind = [&](Cell s, Cell g) {
    try {
      PlanTraverse(z, 5.0, {nullptr, 0, 0}, s, g, m);
    } catch (const PlanningFailure& f) {
      return f.kind();
    }
    return PlanningFailureKind::kCancelled;
  };
  EXPECT_EQ(kind({0, 0}, {0, 2}), PlanningFailureKind::kNoPathFound);
  EXPECT_EQ(kind({0, 3}, {0, 2}), PlanningFailureKind::kStartOutsideMap);
  EXPECT_EQ(kind({0, 0}, {-1, 2}), PlanningFailureKind::kGoalOutsideMap);
  m.max_slope_deg = 70.0;  // 63 deg steps are now allowed
  EXPECT_NO_THROW(PlanTraverse(z, 5.0, {nullptr, 0, 0}, {0, 0}, {0, 2}, m));
  m.speed_mps = 0.0;
  EXPECT_THROW(PlanTraverse(z, 5.0, {nullptr, 0, 0}, {0, 0}, {0, 2}, m), std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::planning
