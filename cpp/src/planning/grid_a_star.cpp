#include "ilrs/planning/grid_a_star.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <queue>
#include <string>
#include <vector>

namespace ilrs::planning {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr float kMinCellCost = 1e-6f;
constexpr int kPollEvery = 4096;  // expansions between deadline/cancel checks

// The 8 neighbours; the first four are the straight moves.
constexpr int kDRow[8] = {1, -1, 0, 0, 1, 1, -1, -1};
constexpr int kDCol[8] = {0, 0, 1, -1, 1, -1, 1, -1};

std::string CellText(const Cell& c) {
  return "(row " + std::to_string(c.row) + ", col " + std::to_string(c.col) + ")";
}

struct QueueEntry {
  double f;
  double g;
  std::int32_t index;
  // A min-queue on f; among equal f, the deeper node (larger g) first.
  bool operator<(const QueueEntry& other) const {
    if (f != other.f) return f > other.f;
    return g < other.g;
  }
};

class Search {
 public:
  Search(GridView<const float> costmap, const GridAStarOptions& options)
      : map_(costmap), options_(options) {}

  // The cost of entering a cell (NaN unknown cells resolved), +inf when not enterable.
  float EnterCost(int row, int col) const {
    const float c = map_(row, col);
    return std::isnan(c) ? options_.unknown_cost : c;
  }

  GridPath Run(const PlanRequest& request) {
    const auto t0 = std::chrono::steady_clock::now();
    const Cell start = request.start, goal = request.goal;
    if (!map_.Contains(start)) {
      throw PlanningFailure(PlanningFailureKind::kStartOutsideMap, start,
                            "start " + CellText(start) + " is outside the " +
                                std::to_string(map_.rows()) + " x " + std::to_string(map_.cols()) +
                                " costmap");
    }
    if (!map_.Contains(goal)) {
      throw PlanningFailure(PlanningFailureKind::kGoalOutsideMap, goal,
                            "goal " + CellText(goal) + " is outside the " +
                                std::to_string(map_.rows()) + " x " + std::to_string(map_.cols()) +
                                " costmap");
    }
    if (!std::isfinite(EnterCost(start.row, start.col))) {
      throw PlanningFailure(PlanningFailureKind::kStartOccupied, start,
                            "start " + CellText(start) + " is on a " +
                                (std::isnan(map_(start)) ? "unknown" : "lethal") + " cell");
    }
    if (!std::isfinite(EnterCost(goal.row, goal.col))) {
      throw PlanningFailure(PlanningFailureKind::kGoalOccupied, goal,
                            "goal " + CellText(goal) + " is on a " +
                                (std::isnan(map_(goal)) ? "unknown" : "lethal") + " cell");
    }
    const double h_scale = MinEnterCost();
    const bool geometric = options_.cost_model == MoveCostModel::kGeometric;
    auto heuristic = [&](int row, int col) {
      const double dr = std::abs(row - goal.row), dc = std::abs(col - goal.col);
      const double lo = std::min(dr, dc), hi = std::max(dr, dc);
      return h_scale * (geometric ? (hi - lo) + kSqrt2 * lo : hi);
    };

    const std::size_t n = map_.size();
    g_.assign(n, std::numeric_limits<double>::infinity());
    parent_.assign(n, -1);
    closed_.assign(n, 0);
    std::priority_queue<QueueEntry> open;
    const auto start_index = static_cast<std::int32_t>(map_.Index(start.row, start.col));
    const auto goal_index = static_cast<std::int32_t>(map_.Index(goal.row, goal.col));
    g_[start_index] = 0.0;
    open.push({heuristic(start.row, start.col), 0.0, start_index});

    PlanStats stats;
    const bool has_deadline = request.timeout_s > 0.0;
    const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(request.timeout_s));
    const int cols = map_.cols();
    while (!open.empty()) {
      const QueueEntry top = open.top();
      open.pop();
      if (closed_[top.index]) continue;
      closed_[top.index] = 1;
      ++stats.expansions;
      if (top.index == goal_index) break;
      if (stats.expansions % kPollEvery == 1) {  // on the first expansion, then every kPollEvery
        if (request.cancel != nullptr && request.cancel->cancelled()) {
          throw PlanningFailure(PlanningFailureKind::kCancelled, start,
                                "planning from " + CellText(start) + " to " + CellText(goal) +
                                    " was cancelled after " +
                                    std::to_string(stats.expansions) + " expansions");
        }
        if (has_deadline && std::chrono::steady_clock::now() > deadline) {
          throw PlanningFailure(PlanningFailureKind::kTimedOut, start,
                                "planning from " + CellText(start) + " to " + CellText(goal) +
                                    " exceeded its " + std::to_string(request.timeout_s) +
                                    " s deadline after " + std::to_string(stats.expansions) +
                                    " expansions");
        }
      }
      const int row = top.index / cols, col = top.index % cols;
      for (int k = 0; k < 8; ++k) {
        const int nr = row + kDRow[k], nc = col + kDCol[k];
        if (!map_.Contains(nr, nc)) continue;
        const auto ni = static_cast<std::int32_t>(map_.Index(nr, nc));
        if (closed_[ni]) continue;
        const float enter = EnterCost(nr, nc);
        if (!std::isfinite(enter)) continue;
        const bool diagonal = k >= 4;
        // No corner cutting: both cells beside a diagonal move must be enterable.
        if (diagonal && (!std::isfinite(EnterCost(row, nc)) ||
                         !std::isfinite(EnterCost(nr, col)))) {
          continue;
        }
        const double step = (diagonal && geometric) ? kSqrt2 * enter : enter;
        const double g = top.g + step;
        if (g < g_[ni]) {
          g_[ni] = g;
          parent_[ni] = top.index;
          open.push({g + heuristic(nr, nc), g, ni});
        }
      }
    }

    stats.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!closed_[goal_index]) {
      throw PlanningFailure(PlanningFailureKind::kNoPathFound, goal,
                            "no path from " + CellText(start) + " to " + CellText(goal) +
                                " after " + std::to_string(stats.expansions) + " expansions");
    }
    GridPath path;
    path.cost = g_[goal_index];
    path.stats = stats;
    for (std::int32_t i = goal_index; i != -1; i = parent_[i]) {
      path.cells.push_back({i / cols, i % cols});
    }
    std::reverse(path.cells.begin(), path.cells.end());
    ILRS_ASSERT(path.cells.front() == start);
    return path;
  }

 private:
  // The smallest enterable cell cost, scaling the heuristic so it never overestimates.
  double MinEnterCost() const {
    float lo = std::numeric_limits<float>::infinity();
    const float* data = map_.data();
    for (std::size_t i = 0; i < map_.size(); ++i) {
      const float c = std::isnan(data[i]) ? options_.unknown_cost : data[i];
      if (c < lo) lo = c;
    }
    return std::isfinite(lo) ? lo : 1.0;
  }

  GridView<const float> map_;
  GridAStarOptions options_;
  std::vector<double> g_;
  std::vector<std::int32_t> parent_;
  std::vector<std::uint8_t> closed_;
};

void ValidateCostmap(GridView<const float> costmap, const GridAStarOptions& options) {
  ILRS_THROW_IF_NOT(costmap.rows() > 0 && costmap.cols() > 0, "costmap must not be empty");
  ILRS_THROW_IF_NOT(costmap.size() < static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
                    "costmap has too many cells (" + std::to_string(costmap.size()) + ")");
  ILRS_THROW_IF_NOT(!(options.unknown_cost < kMinCellCost),
                    "unknown_cost must be >= 1e-6 or +inf, got " +
                        std::to_string(options.unknown_cost));
  const float* data = costmap.data();
  for (std::size_t i = 0; i < costmap.size(); ++i) {
    if (data[i] < kMinCellCost) {
      const int cols = costmap.cols();
      throw std::invalid_argument(
          "costmap value " + std::to_string(data[i]) + " at " +
          CellText({static_cast<int>(i / cols), static_cast<int>(i % cols)}) +
          " is below the smallest cell cost 1e-6 (costs are >= 1e-6, +inf lethal, NaN unknown)");
    }
  }
}

}  // namespace

GridPath PlanGridAStar(GridView<const float> costmap, const PlanRequest& request,
                       const GridAStarOptions& options) {
  ValidateCostmap(costmap, options);
  Search search(costmap, options);
  return search.Run(request);
}

}  // namespace ilrs::planning
