// A 3D planner for pits and lava tubes: optimal 26-connected A* over the traversable voxels of
// a voxel map, then a line-of-sight shortcutting pass that returns a short path of straight
// segments.
//
// Frame and units: core/voxel_grid.h (map frame x east, y north, z up, metres; voxel
// (layer, row, col) along (z, y, x); layer-major storage).
//
// Traversable. A voxel is traversable when it is known free (`free_mask` nonzero) and its
// clearance (`clearance_m`, e.g. the voxel map's distance field) is >= `clearance_radius_m`.
// NaN clearance is not traversable. `occupied_mask` (nonzero: occupied) only tells an occupied
// start or goal from an unknown one in the failure. The views are read, never copied, and must
// not change during the call. To keep a body of radius r clear of every obstacle voxel
// anywhere along the path, pass r + sqrt(3) * resolution_m (see perception/voxel_map.h).
//
// Moves. From a voxel to any of its 26 neighbours, costing the step length in metres
// (1, sqrt 2 or sqrt 3 voxels x resolution_m). A move is allowed only if every voxel of the
// 2 x 2 (x 2) block it spans is traversable: a diagonal never cuts an edge or corner of a voxel
// that is not. The heuristic is the open-space 26-connected distance to the goal (sorting the
// axis offsets a >= b >= c: (a - b) + sqrt(2) (b - c) + sqrt(3) c voxels): a metric, hence
// consistent, and never below the Euclidean distance, so the lattice path is optimal and far
// fewer voxels are expanded than with the Euclidean heuristic.
//
// Segments. SegmentVoxels lists every voxel the segment between two voxel centres touches:
// the voxels it passes through, and where it passes exactly through an edge or a corner, every
// voxel sharing that edge or corner (computed in exact integer arithmetic). A 26-move's segment
// touches exactly its block, so lattice paths and shortcuts obey one rule.
//
// Shortcutting. From the start, the pass jumps to the farthest later voxel of the lattice path
// whose segment touches only traversable voxels (scanning forward from the current waypoint, and
// stopping at the first blocked one), and repeats from there. The result is a subset of the
// lattice path's voxels, start and goal kept, never longer than the lattice path.
//
// Complexity: O(N log B) in the voxels expanded N (a monotone bucket queue: see grid_a_star.h),
// independent of the grid's size: traversability is worked out only for the voxels the search
// looks at. Memory: 8 bytes per voxel of address space, allocated zeroed and untouched, so only
// the pages holding voxels the search reaches are committed. Deadline and cancel token are
// polled every 4096 expansions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ilrs/core/voxel_grid.h"
#include "ilrs/planning/cancel_token.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

// A PlanningFailure about a voxel: cell() is its (row, col), voxel() the whole voxel ((-1, -1,
// -1) when none is concerned). Kinds: start/goal outside the grid, start/goal occupied (the
// message says whether the voxel is occupied, unknown or too close to an obstacle), no path,
// timed out, cancelled.
class VoxelPlanningFailure : public PlanningFailure {
 public:
  VoxelPlanningFailure(PlanningFailureKind kind, Voxel voxel, const std::string& detail);
  const Voxel& voxel() const { return voxel_; }

 private:
  Voxel voxel_;
};

struct VoxelPlanRequest {
  double start_m[3] = {0.0, 0.0, 0.0};  // map-frame points; planning starts and ends at the
  double goal_m[3] = {0.0, 0.0, 0.0};   // centres of the voxels holding them
  double clearance_radius_m = 0.0;      // >= 0: the clearance a voxel needs to be entered
  double timeout_s = 0.0;               // <= 0: no deadline
  const CancelToken* cancel = nullptr;  // may be null; must outlive the call
};

struct VoxelPath {
  std::vector<Voxel> voxels;     // the optimal lattice path, start first, goal last
  std::vector<Voxel> waypoints;  // the shortcut path: a subset of `voxels`, start and goal kept
  double lattice_length_m = 0.0;  // length of `voxels` (the A* optimum)
  double length_m = 0.0;          // length of the polyline through the waypoints' centres
  std::int64_t expansions = 0;
  double elapsed_s = 0.0;         // search and shortcutting
};

// Plans from the voxel holding request.start_m to the one holding request.goal_m. Throws
// VoxelPlanningFailure for every way planning can fail, std::invalid_argument for an invalid
// geometry, views whose shape differs from the geometry's, a negative or NaN radius, a
// non-finite start or goal, or a grid of 2^31 - 1 voxels or more.
// Start equal to goal gives a one-voxel path of length 0.
VoxelPath PlanVoxelPath(const VoxelGeometry& geometry, VoxelGridView<const std::uint8_t> free_mask,
                        VoxelGridView<const std::uint8_t> occupied_mask,
                        VoxelGridView<const float> clearance_m, const VoxelPlanRequest& request);

// Appends to `out` every voxel the segment between the centres of `a` and `b` touches, as
// described at the top, in order from `a` (first) to `b` (last); the voxels beside an edge or
// corner crossing come before the voxel beyond it. O(|b - a|_1); `a` and `b` need not lie in
// any grid.
void SegmentVoxels(const Voxel& a, const Voxel& b, std::vector<Voxel>* out);

}  // namespace ilrs::planning
