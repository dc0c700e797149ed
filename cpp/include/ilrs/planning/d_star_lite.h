// D* Lite (Koenig & Likhachev 2002): incremental replanning to a fixed goal on an 8-connected
// costmap, for a start that moves and costs that change near it.
//
// The search runs backward from the goal, keeping for every cell g (cost-to-goal found so
// far) and rhs (its one-step lookahead). After costs change, only cells whose cost-to-goal is
// affected are re-expanded, so a repair near the rover costs a small fraction of a fresh
// search, and the path returned costs exactly what a fresh A* with the same move rules
// (grid_a_star.h) returns.
//
// The costmap is copied in (rows x cols floats plus a border); the planner then owns its map,
// updated through UpdateCosts. Costs follow grid_a_star.h: >= 1e-6 traversable, +inf lethal,
// NaN unknown (costing rules.unknown_cost). Memory O(cells); Plan is O(K log K) in the cells
// K it re-expands.
#pragma once

#include <cstdint>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/planning/cancel_token.h"
#include "ilrs/planning/grid_a_star.h"
#include "ilrs/planning/planner_errors.h"

namespace ilrs::planning {

class DStarLite {
 public:
  // Throws PlanningFailure(kGoalOutsideMap) and std::invalid_argument for bad costs.
  DStarLite(GridView<const float> costmap, Cell goal, const GridAStarOptions& rules = {});

  // The cheapest path from `start` to the goal under the current costs. Throws
  // PlanningFailure (start outside map, start or goal on a non-traversable cell, no path,
  // timed out, cancelled); an interrupted search resumes on the next call.
  GridPath Plan(Cell start, double timeout_s = 0.0, const CancelToken* cancel = nullptr);

  // Takes the costs of `region` (clipped to the map) from `costmap`, which has the map's
  // shape. Returns how many cells changed.
  std::int64_t UpdateCosts(GridView<const float> costmap, Region region);

  const Cell& goal() const { return goal_; }
  int rows() const { return rows_; }
  int cols() const { return cols_; }

 private:
  struct Key {
    double k1;
    double k2;
    bool operator<(const Key& o) const { return k1 < o.k1 || (k1 == o.k1 && k2 < o.k2); }
    bool operator==(const Key& o) const { return k1 == o.k1 && k2 == o.k2; }
  };
  struct Entry {
    Key key;
    std::int32_t index;
  };

  std::int32_t Padded(const Cell& c) const { return (c.row + 1) * stride_ + c.col + 1; }
  Cell Unpadded(std::int32_t i) const { return {i / stride_ - 1, i % stride_ - 1}; }
  float Resolve(float value) const;
  double Heuristic(std::int32_t a, std::int32_t b) const;
  double EdgeCost(std::int32_t from, int direction) const;
  Key CalculateKey(std::int32_t s) const;
  void UpdateVertex(std::int32_t s);
  void Push(std::int32_t s, const Key& key);
  bool TopValid(Entry* top);
  // Expands cells until the start is settled (or, with `exhaust`, until none is queued).
  void ComputeShortestPath(std::int32_t start, double timeout_s, const CancelToken* cancel,
                           bool exhaust, PlanStats* stats);
  bool ReadPath(std::int32_t start, GridPath* path) const;
  void Reset();

  int rows_;
  int cols_;
  std::int32_t stride_;
  Cell goal_;
  GridAStarOptions rules_;
  double h_scale_ = 1.0;
  double km_ = 0.0;
  std::int32_t last_start_ = -1;
  std::int32_t offset_[8];
  std::vector<float> cost_;
  std::vector<double> g_;
  std::vector<double> rhs_;
  std::vector<Key> open_key_;  // the key a cell is queued under (valid when in_open_)
  std::vector<std::uint8_t> in_open_;
  std::vector<Entry> heap_;    // lazy: stale entries are skipped when popped
};

}  // namespace ilrs::planning
