#include "ilrs/planning/d_star_lite.h"

#include "grid_search_common.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

namespace ilrs::planning {
namespace {

constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kNever = std::numeric_limits<double>::infinity();
constexpr float kInf = std::numeric_limits<float>::infinity();
using internal::kMinCellCost;
constexpr int kPollEvery = 4096;
constexpr int kDRow[8] = {1, -1, 0, 0, 1, 1, -1, -1};
constexpr int kDCol[8] = {0, 0, 1, -1, 1, -1, 1, -1};

using internal::CellText;

// The heap keeps the smallest key on top.
struct LaterKeyFirst {
  template <typename E>
  bool operator()(const E& a, const E& b) const {
    return b.key < a.key;
  }
};

}  // namespace

DStarLite::DStarLite(GridView<const float> costmap, Cell goal, const GridAStarOptions& rules)
    : rows_(costmap.rows()), cols_(costmap.cols()), stride_(costmap.cols() + 2), goal_(goal),
      rules_(rules) {
  ILRS_THROW_IF_NOT(rows_ > 0 && cols_ > 0, "costmap must not be empty");
  ILRS_THROW_IF_NOT(
      static_cast<double>(rows_ + 2) * stride_ < std::numeric_limits<std::int32_t>::max(),
      "costmap has too many cells (" + std::to_string(costmap.size()) + ")");
  ILRS_THROW_IF_NOT(!(rules.unknown_cost < kMinCellCost),
                    "unknown_cost must be >= 1e-6 or +inf, got " +
                        std::to_string(rules.unknown_cost));
  if (!costmap.Contains(goal)) {
    throw PlanningFailure(PlanningFailureKind::kGoalOutsideMap, goal,
                          "goal " + CellText(goal) + " is outside the " + std::to_string(rows_) +
                              " x " + std::to_string(cols_) + " costmap");
  }
  for (int k = 0; k < 8; ++k) offset_[k] = kDRow[k] * stride_ + kDCol[k];
  cost_.assign(static_cast<std::size_t>(rows_ + 2) * stride_, kInf);
  UpdateCosts(costmap, Region::Whole(rows_, cols_));
  Reset();
}

float DStarLite::Resolve(float value) const {
  if (std::isnan(value)) return std::isnan(rules_.unknown_cost) ? kInf : rules_.unknown_cost;
  return value;
}

double DStarLite::Heuristic(std::int32_t a, std::int32_t b) const {
  const double dr = std::abs(a / stride_ - b / stride_);
  const double dc = std::abs(a % stride_ - b % stride_);
  const double lo = std::min(dr, dc), hi = std::max(dr, dc);
  const bool octile = rules_.cost_model != MoveCostModel::kEnteredCell;
  return h_scale_ * (octile ? (hi - lo) + kSqrt2 * lo : hi);
}

double DStarLite::EdgeCost(std::int32_t from, int k) const {
  const float here = cost_[from];
  const float there = cost_[from + offset_[k]];
  if (here == kInf || there == kInf) return kNever;
  const bool diagonal = k >= 4;
  if (diagonal && !rules_.allow_corner_cutting &&
      (cost_[from + kDRow[k] * stride_] == kInf || cost_[from + kDCol[k]] == kInf)) {
    return kNever;
  }
  const double length = diagonal ? kSqrt2 : 1.0;
  switch (rules_.cost_model) {
    case MoveCostModel::kGeometric: return length * there;
    case MoveCostModel::kEnteredCell: return there;
    case MoveCostModel::kMidpoint: return length * 0.5 * (static_cast<double>(here) + there);
  }
  ILRS_ASSERT(false);
}

DStarLite::Key DStarLite::CalculateKey(std::int32_t s) const {
  const double best = std::min(g_[s], rhs_[s]);
  return {best + Heuristic(last_start_, s) + km_, best};
}

void DStarLite::Push(std::int32_t s, const Key& key) {
  open_key_[s] = key;
  in_open_[s] = 1;
  heap_.push_back({key, s});
  std::push_heap(heap_.begin(), heap_.end(), LaterKeyFirst{});
}

void DStarLite::UpdateVertex(std::int32_t s) {
  if (s != Padded(goal_)) {
    double best = kNever;
    if (cost_[s] != kInf) {  // lethal and border cells lead nowhere
      for (int k = 0; k < 8; ++k) best = std::min(best, EdgeCost(s, k) + g_[s + offset_[k]]);
    }
    rhs_[s] = best;
  }
  if (g_[s] != rhs_[s]) {
    Push(s, CalculateKey(s));
  } else {
    in_open_[s] = 0;
  }
}

bool DStarLite::TopValid(Entry* top) {
  while (!heap_.empty()) {
    const Entry& e = heap_.front();
    if (in_open_[e.index] && open_key_[e.index] == e.key) {
      *top = e;
      return true;
    }
    std::pop_heap(heap_.begin(), heap_.end(), LaterKeyFirst{});
    heap_.pop_back();
  }
  return false;
}

void DStarLite::Reset() {
  const std::size_t n = cost_.size();
  g_.assign(n, kNever);
  rhs_.assign(n, kNever);
  open_key_.assign(n, Key{kNever, kNever});
  in_open_.assign(n, 0);
  heap_.clear();
  km_ = 0.0;
  last_start_ = -1;
  // The heuristic's scale is the smallest finite cost, so it never overestimates.
  float lowest = kInf;
  for (float c : cost_) lowest = std::min(lowest, c);
  h_scale_ = std::isfinite(lowest) ? lowest : 1.0;
}

std::int64_t DStarLite::UpdateCosts(GridView<const float> costmap, Region region) {
  ILRS_THROW_IF_NOT(costmap.rows() == rows_ && costmap.cols() == cols_,
                    "costmap shape (" + std::to_string(costmap.rows()) + ", " +
                        std::to_string(costmap.cols()) + ") differs from the planner's (" +
                        std::to_string(rows_) + ", " + std::to_string(cols_) + ")");
  const Region area = region.Dilated(0, rows_, cols_);
  // Validate first, so a bad map changes nothing.
  for (int r = area.row_begin; r < area.row_end; ++r) {
    for (int c = area.col_begin; c < area.col_end; ++c) {
      internal::EnterCost(costmap(r, c), rules_.unknown_cost, r, c);  // throws below 1e-6
    }
  }
  std::vector<std::int32_t> changed;
  bool cheaper_than_heuristic = false;
  for (int r = area.row_begin; r < area.row_end; ++r) {
    for (int c = area.col_begin; c < area.col_end; ++c) {
      const std::int32_t i = Padded({r, c});
      const float v = Resolve(costmap(r, c));
      if (v == cost_[i]) continue;
      cost_[i] = v;
      changed.push_back(i);
      cheaper_than_heuristic |= v < h_scale_;
    }
  }
  if (last_start_ < 0 || changed.empty()) return static_cast<std::int64_t>(changed.size());
  if (cheaper_than_heuristic) {
    Reset();  // the heuristic would overestimate: start the search again
    return static_cast<std::int64_t>(changed.size());
  }
  // A cell's cost enters the edges into it (and, for the midpoint model, out of it), and
  // decides the corner rule of the diagonals beside it: all start at the cell or a neighbour.
  for (std::int32_t w : changed) {
    UpdateVertex(w);
    for (int k = 0; k < 8; ++k) {
      const std::int32_t s = w + offset_[k];
      const int row = s / stride_, col = s % stride_;
      if (row >= 1 && row <= rows_ && col >= 1 && col <= cols_) UpdateVertex(s);
    }
  }
  return static_cast<std::int64_t>(changed.size());
}

void DStarLite::ComputeShortestPath(std::int32_t start, double timeout_s,
                                    const CancelToken* cancel, bool exhaust, PlanStats* stats) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(timeout_s));
  // Cells on a shortest path have keys up to the start's, equal ones included (with a
  // rounding margin), so those are expanded too: then the path can be read off g.
  auto before_start = [&](const Key& key) {
    const Key s = CalculateKey(start);
    return key.k1 <= s.k1 + 1e-9 * std::abs(s.k1) + 1e-12;
  };
  Entry top;
  while (TopValid(&top) &&
         (exhaust || before_start(top.key) || rhs_[start] != g_[start])) {
    ++stats->expansions;
    if (stats->expansions % kPollEvery == 1) {
      const Cell s = Unpadded(start);
      if (cancel != nullptr && cancel->cancelled()) {
        throw PlanningFailure(PlanningFailureKind::kCancelled, s,
                              "replanning from " + CellText(s) + " to " + CellText(goal_) +
                                  " was cancelled");
      }
      if (timeout_s > 0.0 && std::chrono::steady_clock::now() > deadline) {
        throw PlanningFailure(PlanningFailureKind::kTimedOut, s,
                              "replanning from " + CellText(s) + " to " + CellText(goal_) +
                                  " exceeded its " + std::to_string(timeout_s) + " s deadline");
      }
    }
    std::pop_heap(heap_.begin(), heap_.end(), LaterKeyFirst{});
    heap_.pop_back();
    const std::int32_t u = top.index;
    const Key fresh = CalculateKey(u);
    if (top.key < fresh) {
      Push(u, fresh);
      continue;
    }
    in_open_[u] = 0;
    if (g_[u] > rhs_[u]) {
      g_[u] = rhs_[u];
    } else {
      g_[u] = kNever;
      UpdateVertex(u);
    }
    for (int k = 0; k < 8; ++k) {
      const std::int32_t s = u + offset_[k];
      if (cost_[s] != kInf) UpdateVertex(s);  // border and lethal cells lead nowhere
    }
  }
  stats->elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

GridPath DStarLite::Plan(Cell start, double timeout_s, const CancelToken* cancel) {
  const std::string size = std::to_string(rows_) + " x " + std::to_string(cols_) + " costmap";
  if (start.row < 0 || start.col < 0 || start.row >= rows_ || start.col >= cols_) {
    throw PlanningFailure(PlanningFailureKind::kStartOutsideMap, start,
                          "start " + CellText(start) + " is outside the " + size);
  }
  const std::int32_t s = Padded(start), goal = Padded(goal_);
  if (cost_[s] == kInf) {
    throw PlanningFailure(PlanningFailureKind::kStartOccupied, start,
                          "start " + CellText(start) + " is on a lethal or unknown cell");
  }
  if (cost_[goal] == kInf) {
    throw PlanningFailure(PlanningFailureKind::kGoalOccupied, goal_,
                          "goal " + CellText(goal_) + " is on a lethal or unknown cell");
  }
  if (last_start_ < 0) {
    last_start_ = s;
    rhs_[goal] = 0.0;
    Push(goal, CalculateKey(goal));
  } else if (s != last_start_) {
    km_ += Heuristic(last_start_, s);
    last_start_ = s;
  }

  GridPath path;
  ComputeShortestPath(s, timeout_s, cancel, false, &path.stats);
  if (g_[s] == kNever) {
    throw PlanningFailure(PlanningFailureKind::kNoPathFound, goal_,
                          "no path from " + CellText(start) + " to " + CellText(goal_) +
                              " after " + std::to_string(path.stats.expansions) +
                              " expansions");
  }
  if (!ReadPath(s, &path)) {
    // Some cell on the way was not settled yet: settle every queued cell, then read again.
    ComputeShortestPath(s, timeout_s, cancel, true, &path.stats);
    const bool read = ReadPath(s, &path);
    ILRS_ASSERT(read);
  }
  return path;
}

bool DStarLite::ReadPath(std::int32_t start, GridPath* path) const {
  // Descend the cost-to-goal, each step to the neighbour minimising edge cost + g; g must
  // fall at every step, or the map around the path is not settled.
  path->cells.assign(1, Unpadded(start));
  path->cost = 0.0;
  const std::int32_t goal = Padded(goal_);
  for (std::int32_t cur = start; cur != goal;) {
    double best = kNever;
    int best_k = -1;
    for (int k = 0; k < 8; ++k) {
      const double v = EdgeCost(cur, k) + g_[cur + offset_[k]];
      if (v < best) {
        best = v;
        best_k = k;
      }
    }
    if (best_k < 0 || !(g_[cur + offset_[best_k]] < g_[cur])) return false;
    path->cost += EdgeCost(cur, best_k);
    cur += offset_[best_k];
    path->cells.push_back(Unpadded(cur));
  }
  return true;
}

}  // namespace ilrs::planning
