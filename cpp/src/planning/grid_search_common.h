// What the grid searches (A*, bidirectional, D* Lite) share: cell text for messages, checks on
// start and goal, resolving a costmap value into the cost of entering its cell, and the
// poll of cancel token and deadline (private to the planning sources).
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "ilrs/core/grid.h"
#include "ilrs/planning/grid_a_star.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning::internal {

constexpr float kMinCellCost = 1e-6f;

inline std::string CellText(const Cell& c) {
  return "(row " + std::to_string(c.row) + ", col " + std::to_string(c.col) + ")";
}

// The cost of entering a cell holding costmap value `v` (NaN is unknown, +inf lethal);
// throws for a value below the smallest cell cost.
inline float EnterCost(float v, float unknown_cost, int row, int col) {
  const float cost = std::isnan(v) ? unknown_cost : v;
  if (cost < kMinCellCost) {
    throw std::invalid_argument("costmap value " + std::to_string(v) + " at " +
                                CellText({row, col}) +
                                " is below the smallest cell cost 1e-6 (costs are >= 1e-6, "
                                "+inf lethal, NaN unknown)");
  }
  return std::isnan(cost) ? std::numeric_limits<float>::infinity() : cost;
}

// Throws the taxonomy's failure for a start or goal outside the map or on a cell that cannot
// be entered (lethal, or unknown with the default unknown_cost).
inline void CheckEnds(GridView<const float> map, float unknown_cost, const Cell& start,
                      const Cell& goal) {
  const std::string size =
      std::to_string(map.rows()) + " x " + std::to_string(map.cols()) + " costmap";
  if (!map.Contains(start)) {
    throw PlanningFailure(PlanningFailureKind::kStartOutsideMap, start,
                          "start " + CellText(start) + " is outside the " + size);
  }
  if (!map.Contains(goal)) {
    throw PlanningFailure(PlanningFailureKind::kGoalOutsideMap, goal,
                          "goal " + CellText(goal) + " is outside the " + size);
  }
  const auto blocked = [&](const Cell& c) {
    const float v = map(c);
    return !std::isfinite(std::isnan(v) ? unknown_cost : v);
  };
  const auto what = [&](const Cell& c) { return std::isnan(map(c)) ? "unknown" : "lethal"; };
  if (blocked(start)) {
    throw PlanningFailure(PlanningFailureKind::kStartOccupied, start,
                          "start " + CellText(start) + " is on a " + what(start) + " cell");
  }
  if (blocked(goal)) {
    throw PlanningFailure(PlanningFailureKind::kGoalOccupied, goal,
                          "goal " + CellText(goal) + " is on a " + what(goal) + " cell");
  }
}

// Throws kCancelled or kTimedOut, naming the request and the work done, when it is time to.
class StopCheck {
 public:
  StopCheck(const PlanRequest& request, std::chrono::steady_clock::time_point t0)
      : request_(request),
        has_deadline_(request.timeout_s > 0.0),
        deadline_(t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(request.timeout_s))) {}

  void ThrowIfDue(std::int64_t expansions) const {
    if (request_.cancel != nullptr && request_.cancel->cancelled()) {
      throw PlanningFailure(PlanningFailureKind::kCancelled, request_.start,
                            "planning from " + CellText(request_.start) + " to " +
                                CellText(request_.goal) + " was cancelled after " +
                                std::to_string(expansions) + " expansions");
    }
    if (has_deadline_ && std::chrono::steady_clock::now() > deadline_) {
      throw PlanningFailure(PlanningFailureKind::kTimedOut, request_.start,
                            "planning from " + CellText(request_.start) + " to " +
                                CellText(request_.goal) + " exceeded its " +
                                std::to_string(request_.timeout_s) + " s deadline after " +
                                std::to_string(expansions) + " expansions");
    }
  }

 private:
  const PlanRequest& request_;
  bool has_deadline_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace ilrs::planning::internal
