// Hybrid-A*: kinematically feasible paths for a rover with a minimum turning radius, on the
// same costmaps as the grid planners (grid_a_star.h conventions: >= 1e-6 traversable cost,
// +inf lethal, NaN unknown).
//
// Poses are continuous, in cell units of the map frame: x along columns, y along rows (cell
// (row, col) covers [col, col + 1) x [row, row + 1)), heading in radians counter-clockwise
// from +x. From each pose the search drives motion primitives of arc length `step_cells`:
// straight, and arcs of radius `min_turn_radius_cells` to the left and right (curvature never
// exceeds 1 / radius); with `allow_turn_in_place` (skid steer) also a turn on the spot by one
// heading bin, at `turn_in_place_cost` per bin. A primitive costs the integral of the cell
// costs along it (sampled every quarter cell) and is forbidden if any sample is on a lethal or
// unknown cell, or if, between two samples, it passes the corner of one. Poses are merged per
// (cell, heading bin) of `headings` bins.
// The heuristic is the larger of the straight-line distance x the smallest cost and the exact
// 8-connected cost-to-goal (a Dijkstra from the goal, midpoint model) x `grid_heuristic_scale`.
// At the default scale 1 (common Hybrid-A* practice) it may overestimate a little, since an
// 8-connected path can be up to 8.24 % longer than a straight one: fast, with paths a few
// per cent dearer than the best feasible one at worst. A scale of 1 / 1.0824 never
// overestimates, at several times the expansions.
// The goal is reached within `goal_tolerance_cells` of its position and, unless
// `goal_heading_tolerance_rad` >= pi, within that angle of its heading.
// Complexity: O(N log N) in poses expanded plus one Dijkstra over the map.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/planning/cancel_token.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

struct Pose2 {
  double x = 0.0;
  double y = 0.0;
  double heading = 0.0;
};

struct HybridAStarOptions {
  double min_turn_radius_cells = 4.0;
  double step_cells = 1.5;
  int headings = 72;
  bool allow_turn_in_place = false;
  double turn_in_place_cost = 1.0;
  double goal_tolerance_cells = 1.0;
  double goal_heading_tolerance_rad = 3.141592653589793;
  float unknown_cost = std::numeric_limits<float>::infinity();
  double grid_heuristic_scale = 1.0;

  void Validate() const;  // throws std::invalid_argument naming the field
};

// One step of a path: where it ends and how it got there.
enum class Motion : std::uint8_t { kStart, kStraight, kLeft, kRight, kTurnLeft, kTurnRight };

struct HybridPath {
  std::vector<Pose2> poses;     // start first; each reached from the previous by `motions`
  std::vector<Motion> motions;  // same length as poses
  double cost = 0.0;
  std::int64_t expansions = 0;
  double elapsed_s = 0.0;
};

HybridPath PlanHybridAStar(GridView<const float> costmap, const Pose2& start, const Pose2& goal,
                           const HybridAStarOptions& options, double timeout_s = 0.0,
                           const CancelToken* cancel = nullptr);

}  // namespace ilrs::planning
