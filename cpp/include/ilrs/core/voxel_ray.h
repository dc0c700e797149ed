// Exact voxel traversal of a segment (Amanatides & Woo, "A Fast Voxel Traversal Algorithm for
// Ray Tracing", Eurographics 1987), clipped to the grid.
//
// WalkSegment calls `visit(voxel, index, t_enter, t_exit)` for every voxel of `geometry` that
// the segment from `from_m` to `to_m` (map frame, metres) passes through, in order from
// `from_m`, each once. `index` is geometry.Index(voxel); [t_enter, t_exit] is the part of the
// segment inside the voxel, as fractions of the segment (0 at `from_m`, 1 at `to_m`). The
// parts outside the grid are skipped, so either end may lie outside it. Consecutive voxels
// share a face: a segment through an edge or a corner also visits the voxels beside it, with
// t_enter == t_exit. A segment of zero length visits the voxel holding it, if any. `visit`
// returns false to stop the walk early.
//
// Returns false if `visit` stopped the walk, true otherwise. Throws std::invalid_argument for
// a non-finite end. O(voxels visited); allocates nothing.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "ilrs/core/check.h"
#include "ilrs/core/voxel_grid.h"

namespace ilrs {

template <typename Visit>
bool WalkSegment(const VoxelGeometry& geometry, const double from_m[3], const double to_m[3],
                 Visit&& visit) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  for (int axis = 0; axis < 3; ++axis) {
    ILRS_THROW_IF_NOT(std::isfinite(from_m[axis]) && std::isfinite(to_m[axis]),
                      "WalkSegment: segment ends must be finite, got axis " +
                          std::to_string(axis) + " from " + std::to_string(from_m[axis]) +
                          " to " + std::to_string(to_m[axis]));
  }
  // Work in voxel units along (x, y, z) = (col, row, layer): voxel faces are the integers.
  const int size[3] = {geometry.cols, geometry.rows, geometry.layers};
  const std::ptrdiff_t stride[3] = {1, geometry.cols,
                                    static_cast<std::ptrdiff_t>(geometry.cols) * geometry.rows};
  double o[3], d[3];
  for (int axis = 0; axis < 3; ++axis) {
    o[axis] = (from_m[axis] - geometry.origin_m[axis]) / geometry.resolution_m;
    d[axis] = (to_m[axis] - from_m[axis]) / geometry.resolution_m;
    // A move too small to invert (subnormal) is no move along that axis.
    if (std::isinf(1.0 / d[axis])) d[axis] = 0.0;
  }

  // Clip the segment to the grid's box [0, size) on every axis (slab test).
  double t_begin = 0.0, t_end = 1.0;
  for (int axis = 0; axis < 3; ++axis) {
    if (d[axis] == 0.0) {
      if (!(o[axis] >= 0.0 && o[axis] < size[axis])) return true;
      continue;
    }
    double t0 = -o[axis] / d[axis];
    double t1 = (size[axis] - o[axis]) / d[axis];
    if (t0 > t1) std::swap(t0, t1);
    t_begin = std::max(t_begin, t0);
    t_end = std::min(t_end, t1);
  }
  if (t_begin > t_end) return true;

  // The first voxel, and per axis: direction of travel and the t of the next face crossed.
  int cell[3], step[3];
  double inv_d[3], t_next[3];
  for (int axis = 0; axis < 3; ++axis) {
    const double p = o[axis] + t_begin * d[axis];
    // Rounding at the entry face may put p a hair outside: clamp into the grid.
    cell[axis] = static_cast<int>(std::min(std::max(std::floor(p), 0.0), size[axis] - 1.0));
    step[axis] = d[axis] > 0.0 ? 1 : (d[axis] < 0.0 ? -1 : 0);
    inv_d[axis] = step[axis] != 0 ? 1.0 / d[axis] : kInf;
    t_next[axis] = step[axis] > 0   ? (cell[axis] + 1 - o[axis]) * inv_d[axis]
                   : step[axis] < 0 ? (cell[axis] - o[axis]) * inv_d[axis]
                                    : kInf;
  }
  std::size_t index =
      (static_cast<std::size_t>(cell[2]) * geometry.rows + cell[1]) * geometry.cols + cell[0];

  // Step through the face crossed first; t of each face is recomputed from the segment's own
  // start, so no error accumulates along long rays.
  double t = t_begin;
  while (true) {
    const int axis = t_next[0] <= t_next[1] ? (t_next[0] <= t_next[2] ? 0 : 2)
                                            : (t_next[1] <= t_next[2] ? 1 : 2);
    const double t_exit = std::min(t_next[axis], t_end);
    if (!visit(Voxel{cell[2], cell[1], cell[0]}, index, t, t_exit)) return false;
    if (t_next[axis] >= t_end) return true;
    cell[axis] += step[axis];
    if (cell[axis] < 0 || cell[axis] >= size[axis]) return true;
    index = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(index) + step[axis] * stride[axis]);
    t = t_next[axis];
    t_next[axis] = (cell[axis] + (step[axis] > 0 ? 1 : 0) - o[axis]) * inv_d[axis];
  }
}

}  // namespace ilrs
