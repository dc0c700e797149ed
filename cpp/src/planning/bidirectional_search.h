// The kBidirectional search of grid_a_star.h (private to the planning sources).
#pragma once

#include "ilrs/core/grid.h"
#include "ilrs/planning/grid_a_star.h"

namespace ilrs::planning::internal {

// Optimal path under options.cost_model, searched from both ends; `options` are already
// validated (1 or 2 threads). Throws as PlanGridAStar does.
GridPath PlanBidirectional(GridView<const float> costmap, const PlanRequest& request,
                           const GridAStarOptions& options);

}  // namespace ilrs::planning::internal
