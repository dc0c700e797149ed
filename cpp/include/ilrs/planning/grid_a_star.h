// Optimal 8-connected A* on a traversability costmap.
//
// Costmap values (see perception/costmap.h): finite values >= 1e-6 are traversable cost
// multipliers, +inf is lethal, NaN is unknown and costs `unknown_cost` (+inf by default:
// unknown is not entered). Two move-cost models:
//   kGeometric:    a move costs its length in cells (1 or sqrt(2)) x the entered cell's cost;
//   kEnteredCell:  a move costs the entered cell's cost, diagonal or not.
// Diagonal moves never cut a corner between two non-traversable cells.
// The heuristic (octile or Chebyshev distance x the smallest cell cost in the map) is
// consistent, so the returned path is optimal for its model. Path costs are in cells x cost;
// multiply by the resolution for metres.
// Complexity: O(N log N) time in the cells expanded, O(rows x cols) memory.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/planning/cancel_token.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

enum class MoveCostModel { kGeometric, kEnteredCell };

struct GridAStarOptions {
  MoveCostModel cost_model = MoveCostModel::kGeometric;
  float unknown_cost = std::numeric_limits<float>::infinity();
};

struct PlanRequest {
  Cell start;
  Cell goal;
  double timeout_s = 0.0;               // <= 0: no deadline
  const CancelToken* cancel = nullptr;  // may be null; must outlive the call
};

struct PlanStats {
  std::int64_t expansions = 0;
  double elapsed_s = 0.0;
};

struct GridPath {
  std::vector<Cell> cells;  // start first, goal last
  double cost = 0.0;
  PlanStats stats;
};

// Throws PlanningFailure for every way planning can fail, std::invalid_argument for a
// costmap with values below 1e-6 or a negative unknown_cost.
GridPath PlanGridAStar(GridView<const float> costmap, const PlanRequest& request,
                       const GridAStarOptions& options = {});

}  // namespace ilrs::planning
