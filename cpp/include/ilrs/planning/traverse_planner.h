// Long-range traverse planning over an orbital DEM: the route of least energy under slope
// limits, for kilometre-scale drives planned before leaving the lander.
//
// Moves are 8-connected between DEM posts (cell centres). A move from a to b with horizontal
// length d (m) and rise dz = z_b - z_a (m) is
//   - forbidden if b is blocked (a hazard known from orbit: mask value != 0), if its slope
//     along the move, atan(|dz| / d), exceeds max_slope_deg, or if it cuts the corner of a
//     blocked cell;
//   - otherwise charged energy (J)
//       E = max(0, m g (c_rr d + dz)) + p_idle s / v,   s = sqrt(d^2 + dz^2),
//     traction work against rolling resistance and gravity (no regeneration downhill) plus
//     the avionics' power over the drive time.
// The heuristic, max(0, m g (c_rr D + z_goal - z)) + p_idle D / v with D the octile distance
// in metres, never overestimates and is consistent, so the route is of least energy.
// Complexity: O(N log N) in the posts expanded; memory O(rows x cols).
#pragma once

#include <cstdint>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/planning/cancel_token.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

struct EnergyModel {
  double mass_kg = 250.0;
  double gravity_mps2 = 1.625;         // the Moon's surface gravity
  double rolling_resistance = 0.15;    // c_rr, loose regolith
  double idle_power_w = 80.0;          // avionics, heaters, radio while driving
  double speed_mps = 0.1;
  double max_slope_deg = 20.0;

  void Validate() const;  // throws std::invalid_argument naming the field
};

struct TraverseRoute {
  std::vector<Cell> cells;  // start first, goal last
  double energy_j = 0.0;
  double distance_m = 0.0;     // along the surface (3D)
  double max_slope_deg = 0.0;  // steepest move along the route
  std::int64_t expansions = 0;
};

// `elevation_m` (rows x cols, metres, finite) with posts `resolution_m` apart; `blocked`
// (same shape, nonzero = forbidden) may have no data (rows = cols = 0) for none. Throws
// PlanningFailure for every way planning can fail, std::invalid_argument for bad input.
TraverseRoute PlanTraverse(GridView<const float> elevation_m, double resolution_m,
                           GridView<const std::uint8_t> blocked, Cell start, Cell goal,
                           const EnergyModel& model, double timeout_s = 0.0,
                           const CancelToken* cancel = nullptr);

}  // namespace ilrs::planning
