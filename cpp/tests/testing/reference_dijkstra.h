// Plain Dijkstra over an 8-connected costmap with the planners' move rules, written
// independently of them, as the reference the grid planners' tests check optimality against.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <utility>
#include <vector>

#include "ilrs/planning/grid_a_star.h"

namespace ilrs::testing {

// The optimal cost from s to g (+inf if unreachable) on a row-major map whose finite values
// are entering costs and +inf is lethal.
inline double ReferenceDijkstraCost(const std::vector<float>& map, int rows, int cols, Cell s,
                                    Cell g, planning::MoveCostModel model,
                                    bool corner_cutting = false) {
  constexpr double kSqrt2 = 1.4142135623730951;
  std::vector<double> dist(map.size(), std::numeric_limits<double>::infinity());
  using Item = std::pair<double, int>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q;
  auto ok = [&](int r, int c) {
    return r >= 0 && c >= 0 && r < rows && c < cols && std::isfinite(map[r * cols + c]);
  };
  dist[s.row * cols + s.col] = 0;
  q.push({0, s.row * cols + s.col});
  while (!q.empty()) {
    auto [d, i] = q.top();
    q.pop();
    if (d > dist[i]) continue;
    const int r = i / cols, c = i % cols;
    for (int dr = -1; dr <= 1; ++dr) {
      for (int dc = -1; dc <= 1; ++dc) {
        if ((dr == 0 && dc == 0) || !ok(r + dr, c + dc)) continue;
        const bool diag = dr != 0 && dc != 0;
        if (diag && !corner_cutting && (!ok(r + dr, c) || !ok(r, c + dc))) continue;
        const int j = (r + dr) * cols + c + dc;
        const double length = diag ? kSqrt2 : 1.0;
        double w = map[j];
        if (model == planning::MoveCostModel::kGeometric) w *= length;
        if (model == planning::MoveCostModel::kMidpoint) {
          w = length * 0.5 * (static_cast<double>(map[i]) + map[j]);
        }
        if (d + w < dist[j]) {
          dist[j] = d + w;
          q.push({dist[j], j});
        }
      }
    }
  }
  return dist[g.row * cols + g.col];
}

}  // namespace ilrs::testing
