// Any-angle paths from grid paths: line-of-sight costs and a shortcutting post-pass.
//
// A straight segment between two cell centres is charged the integral of the cell costs along
// it: the length of the segment inside each cell it crosses (in cells) x that cell's cost.
// A segment that touches a cell of infinite or unknown cost is blocked, including a segment
// passing exactly through the corner of such a cell. For an 8-connected step this integral is
// the midpoint model's cost of the step (grid_a_star.h).
//
// SmoothPath keeps the first cell, then walks the path and jumps to the farthest later cell it
// can reach by one unblocked segment that costs no more than the stretch of path it replaces,
// measured in the same integral. So the smoothed path never costs more, is never longer, and
// crosses only cells of finite cost. O(path cells x segment length).
#pragma once

#include <limits>
#include <vector>

#include "ilrs/core/grid.h"

namespace ilrs::planning {

// The integral cost of the segment between the centres of `a` and `b` (+inf if blocked; a and
// b must lie inside the map). NaN cells cost `unknown_cost`.
double SegmentCost(GridView<const float> costmap, Cell a, Cell b,
                   float unknown_cost = std::numeric_limits<float>::infinity());

// Appends to `out` every cell the segment between the centres of `a` and `b` passes through,
// in order, `a` first and `b` last (corner crossings add both cells beside the corner).
void SegmentCells(Cell a, Cell b, std::vector<Cell>* out);

// Waypoints (a subset of `path`, first and last kept) of a shortcut path.
std::vector<Cell> SmoothPath(GridView<const float> costmap, const std::vector<Cell>& path,
                             float unknown_cost = std::numeric_limits<float>::infinity());

}  // namespace ilrs::planning
