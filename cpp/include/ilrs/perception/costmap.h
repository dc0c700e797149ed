// Traversability cost from hazard layers.
//
// Each traversable cell costs 1 + sum_k weight_k * (layer_k / limit_k) over slope, roughness,
// step and belly (limit: the chassis' clearance, max_belly_m): 1 on flat smooth ground, growing
// towards 1 + sum(weights) at the limits. A cell at or beyond any limit is lethal
// (kLethalCost = +inf; a belly reaching the clearance would touch the chassis), even if another
// layer is unknown (a known hazard is never hidden); any other cell with an unknown layer is
// unknown (kUnknownCost = NaN), which planners treat by their own rule. Costs are dimensionless
// multipliers of distance.
#pragma once

#include <limits>

#include "ilrs/core/grid.h"

namespace ilrs::perception {

inline constexpr float kLethalCost = std::numeric_limits<float>::infinity();
inline constexpr float kUnknownCost = std::numeric_limits<float>::quiet_NaN();

struct CostmapParams {
  double max_slope_deg = 20.0;
  double max_roughness_m = 0.08;
  double max_step_m = 0.25;
  double slope_weight = 4.0;
  double roughness_weight = 2.0;
  double step_weight = 3.0;
  double max_belly_m = 0.3;   // clearance under the chassis, metres
  double belly_weight = 0.0;  // 0: the belly only rules cells out (the step prices rocks)

  void Validate() const;  // throws std::invalid_argument naming the field
};

// Writes the cost of every cell of `region` into `cost`; cells outside it are untouched.
void ComputeCostmap(GridView<const float> slope_deg, GridView<const float> roughness_m,
                    GridView<const float> step_m, GridView<const float> belly_m,
                    const CostmapParams& params, Region region, GridView<float> cost);

}  // namespace ilrs::perception
