// Optimal 8-connected A* on a traversability costmap.
//
// Costmap values (see perception/costmap.h): finite values >= 1e-6 are traversable cost
// multipliers, +inf is lethal, NaN is unknown and costs `unknown_cost` (+inf by default:
// unknown is not entered). Three move-cost models:
//   kGeometric:    a move costs its length in cells (1 or sqrt(2)) x the entered cell's cost;
//   kEnteredCell:  a move costs the entered cell's cost, diagonal or not;
//   kMidpoint:     a move costs its length x the mean of the two cells' costs.
// By default a diagonal move never cuts the corner of a non-traversable cell; with
// `allow_corner_cutting` it may (as some other planners do), for like-for-like comparisons.
// The heuristic (octile or Chebyshev distance x the smallest cell cost in the map) is
// consistent, so the returned path is optimal for its model. Path costs are in cells x cost;
// multiply by the resolution for metres.
//
// The open list is a monotone bucket queue: f values are bucketed by width, only the bucket
// being expanded is kept as a binary heap, so pushes are O(1) and pops O(log bucket size).
// Consistency of the heuristic makes popped f values non-decreasing, which the queue needs.
// Complexity: O(E + N log B) in the cells expanded N and bucket size B; memory
// O((rows + 2) x (cols + 2)) for a bordered copy of the map, g values, parents and flags.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/planning/cancel_token.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

enum class MoveCostModel { kGeometric, kEnteredCell, kMidpoint };

struct GridAStarOptions {
  MoveCostModel cost_model = MoveCostModel::kGeometric;
  float unknown_cost = std::numeric_limits<float>::infinity();
  bool allow_corner_cutting = false;
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
