// Depth rendering by ray casting against a heightfield (terrain plus rocks).
//
// The heightfield is in the map frame of core/grid.h; heights between cell centres are
// bilinearly interpolated. Each pixel's ray is marched in steps of `step_fraction` of a cell
// from `min_range_m` to `max_range_m`; the first crossing below the surface is refined by
// bisection. Output depth is metres along the optical axis (what depth cameras report),
// NaN where the ray leaves the map or reaches max range without a hit.
// Cost: O(pixels x max_range / step).
#pragma once

#include "ilrs/core/grid.h"
#include "ilrs/perception/elevation_map.h"

namespace ilrs::sim {

struct RaycastParams {
  double resolution_m = 1.0;
  double min_range_m = 0.3;
  double max_range_m = 15.0;
  double step_fraction = 0.5;
  int bisection_steps = 12;

  void Validate() const;  // throws std::invalid_argument naming the field
};

// Renders into `depth_out` (intrinsics.height_px x intrinsics.width_px).
void RenderDepth(GridView<const float> heights_m, const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 GridView<float> depth_out);

// Bilinear height at map point (x, y), NaN outside the centres' hull or on unknown cells.
float SampleHeight(GridView<const float> heights_m, double resolution_m, double x_m, double y_m);

}  // namespace ilrs::sim
