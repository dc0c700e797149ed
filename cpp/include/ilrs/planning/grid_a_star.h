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

// How the optimum is searched for.
//   kAStar:         the heuristic search described above.
//   kBidirectional: two Dijkstra searches, forwards from the start and backwards from the
//                   goal, on Dial buckets (O(1) queue operations, no heap), stopping when
//                   their smallest labels add up to the cheapest meeting found, which is then
//                   optimal (the argument is in bidirectional_search.cpp). Where A*'s
//                   heuristic is weak (costs well above the map's smallest) it scans nearly
//                   every cell; the two sides together scan about two thirds, each far faster.
//                   Where the heuristic is strong (a cheap straight corridor) A* scans less.
//                   Memory: the bordered map (4 bytes a cell) and per cell per side a label
//                   (8 bytes), the move that set it (1 byte) and a bit, zero-filled by the
//                   OS on huge pages where it offers them.
//   kAuto:          kBidirectional for the entered-cell model, as grid tools with weighted
//                   cells use it; kAStar for the geometric and midpoint models of the rover's
//                   costmaps, where flat ground costs the minimum and the heuristic is strong.
enum class GridSearch { kAuto, kAStar, kBidirectional };

struct GridAStarOptions {
  MoveCostModel cost_model = MoveCostModel::kGeometric;
  float unknown_cost = std::numeric_limits<float>::infinity();
  bool allow_corner_cutting = false;
  GridSearch search = GridSearch::kAuto;
  // 2 runs the two sides of the bidirectional search (kBidirectional, or kAuto with the
  // entered-cell model) on two threads; A* runs on one, and asking it for 2 is an error. The
  // cost is the same optimum; where several paths share it, which one comes back may depend
  // on the threads' timing.
  int threads = 1;
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
// costmap with values below 1e-6, a negative unknown_cost, threads other than 1 or 2, or
// 2 threads for A*.
GridPath PlanGridAStar(GridView<const float> costmap, const PlanRequest& request,
                       const GridAStarOptions& options = {});

}  // namespace ilrs::planning
