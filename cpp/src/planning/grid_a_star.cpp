#include "ilrs/planning/grid_a_star.h"

#include "bidirectional_search.h"
#include "bucket_queue.h"
#include "grid_search_common.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace ilrs::planning {
namespace {

using internal::CellText;
using internal::kMinCellCost;

constexpr double kSqrt2 = 1.4142135623730951;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr int kPollEvery = 4096;  // expansions between deadline/cancel checks

// Everything the search keeps per cell, in one place so that visiting a cell touches one
// cache line: the cost of entering it (+inf: never; negative: already expanded, i.e. closed),
// its best cost from the start so far, and where that came from.
struct Node {
  double g;
  float cost;
  std::int32_t parent;
};

class Search {
 public:
  Search(GridView<const float> costmap, const GridAStarOptions& options)
      : map_(costmap), options_(options), stride_(costmap.cols() + 2) {}

  GridPath Run(const PlanRequest& request) {
    const auto t0 = std::chrono::steady_clock::now();
    const Cell start = request.start, goal = request.goal;
    internal::CheckEnds(map_, options_.unknown_cost, start, goal);
    CopyWithBorder();  // also validates the costs and finds their range
    const bool geometric = options_.cost_model != MoveCostModel::kEnteredCell;
    const double h_scale = std::isfinite(min_cost_) ? min_cost_ : 1.0;
    auto heuristic = [&](int row, int col) {
      const double dr = std::abs(row - goal.row), dc = std::abs(col - goal.col);
      const double lo = std::min(dr, dc), hi = std::max(dr, dc);
      return h_scale * (geometric ? (hi - lo) + kSqrt2 * lo : hi);
    };

    // The largest f increase a single move can make: its cost plus the heuristic's drop.
    const double max_step = (geometric ? kSqrt2 : 1.0) * max_cost_;
    open_.Reset(max_step + kSqrt2 * h_scale + 1e-9);

    const std::int32_t start_index = Padded(start), goal_index = Padded(goal);
    const double f0 = heuristic(start.row, start.col);
    open_.StartAt(f0);
    nodes_[start_index].g = 0.0;
    open_.Push({f0, start_index});

    // Neighbour offsets: four straight moves, then four diagonals with their two sides.
    const std::int32_t s = stride_;
    const std::int32_t offset[8] = {s, -s, 1, -1, s + 1, s - 1, -s + 1, -s - 1};
    const std::int32_t side_a[8] = {0, 0, 0, 0, s, s, -s, -s};
    const std::int32_t side_b[8] = {0, 0, 0, 0, 1, -1, 1, -1};
    const int d_row[8] = {1, -1, 0, 0, 1, 1, -1, -1};
    const int d_col[8] = {0, 0, 1, -1, 1, -1, 1, -1};
    const MoveCostModel model = options_.cost_model;
    const bool corners = options_.allow_corner_cutting;

    PlanStats stats;
    const internal::StopCheck stop(request, t0);
    internal::QueueEntry top;
    while (open_.Pop(&top)) {
      Node& node = nodes_[top.index];
      if (node.cost < 0.0f) continue;  // closed
      const float here = node.cost;
      node.cost = -here;
      ++stats.expansions;
      if (top.index == goal_index) break;
      // On the first expansion, then every kPollEvery.
      if (stats.expansions % kPollEvery == 1) stop.ThrowIfDue(stats.expansions);
      const double g_here = node.g;  // final: the node is closed
      const int row = top.index / stride_ - 1, col = top.index % stride_ - 1;
      for (int k = 0; k < 8; ++k) {
        const std::int32_t next = top.index + offset[k];
        Node& other = nodes_[next];
        const float enter = other.cost;  // the border is +inf: never entered
        if (enter == kInf || enter < 0.0f) continue;
        const bool diagonal = k >= 4;
        if (diagonal && !corners &&
            (nodes_[top.index + side_a[k]].cost == kInf ||
             nodes_[top.index + side_b[k]].cost == kInf)) {
          continue;
        }
        double step = enter;
        switch (model) {
          case MoveCostModel::kGeometric: step = diagonal ? kSqrt2 * enter : enter; break;
          case MoveCostModel::kEnteredCell: break;
          case MoveCostModel::kMidpoint:
            step = (diagonal ? kSqrt2 : 1.0) * 0.5 * (static_cast<double>(here) + enter);
            break;
        }
        const double g = g_here + step;
        if (g < other.g) {
          other.g = g;
          other.parent = top.index;
          open_.Push({g + heuristic(row + d_row[k], col + d_col[k]), next});
        }
      }
    }

    stats.elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!(nodes_[goal_index].cost < 0.0f)) {
      throw PlanningFailure(PlanningFailureKind::kNoPathFound, goal,
                            "no path from " + CellText(start) + " to " + CellText(goal) +
                                " after " + std::to_string(stats.expansions) + " expansions");
    }
    GridPath path;
    path.cost = nodes_[goal_index].g;
    path.stats = stats;
    for (std::int32_t i = goal_index; i != -1; i = nodes_[i].parent) {
      path.cells.push_back({i / stride_ - 1, i % stride_ - 1});
    }
    std::reverse(path.cells.begin(), path.cells.end());
    ILRS_ASSERT(path.cells.front() == start);
    return path;
  }

 private:
  std::int32_t Padded(const Cell& c) const {
    return static_cast<std::int32_t>((c.row + 1) * stride_ + c.col + 1);
  }

  // One pass over the map: a copy with a +inf border (so neighbours need no bounds checks),
  // unknown cells resolved, costs below the minimum rejected, and the finite cost range.
  void CopyWithBorder() {
    const int rows = map_.rows(), cols = map_.cols();
    constexpr double kNever = std::numeric_limits<double>::infinity();
    nodes_.assign(static_cast<std::size_t>(rows + 2) * stride_, Node{kNever, kInf, -1});
    min_cost_ = kInf;
    max_cost_ = 0.0f;
    for (int r = 0; r < rows; ++r) {
      const float* in = map_.data() + static_cast<std::size_t>(r) * cols;
      Node* out = nodes_.data() + static_cast<std::size_t>(r + 1) * stride_ + 1;
      for (int c = 0; c < cols; ++c) {
        const float v = internal::EnterCost(in[c], options_.unknown_cost, r, c);
        out[c].cost = v;
        if (v != kInf) {
          min_cost_ = std::min(min_cost_, v);
          max_cost_ = std::max(max_cost_, v);
        }
      }
    }
  }

  GridView<const float> map_;
  GridAStarOptions options_;
  std::int32_t stride_;
  float min_cost_ = kInf;
  float max_cost_ = 0.0f;
  std::vector<Node> nodes_;
  internal::BucketQueue open_;
};

bool Bidirectional(const GridAStarOptions& options) {
  return options.search == GridSearch::kBidirectional ||
         (options.search == GridSearch::kAuto &&
          options.cost_model == MoveCostModel::kEnteredCell);
}

void ValidateOptions(GridView<const float> costmap, const GridAStarOptions& options) {
  ILRS_THROW_IF_NOT(costmap.rows() > 0 && costmap.cols() > 0, "costmap must not be empty");
  const double padded = static_cast<double>(costmap.rows() + 2) * (costmap.cols() + 2);
  ILRS_THROW_IF_NOT(padded < static_cast<double>(std::numeric_limits<std::int32_t>::max()),
                    "costmap has too many cells (" + std::to_string(costmap.size()) + ")");
  ILRS_THROW_IF_NOT(!(options.unknown_cost < kMinCellCost),
                    "unknown_cost must be >= 1e-6 or +inf, got " +
                        std::to_string(options.unknown_cost));
  ILRS_THROW_IF_NOT(options.threads == 1 || options.threads == 2,
                    "threads must be 1 or 2, got " + std::to_string(options.threads));
  ILRS_THROW_IF_NOT(options.threads == 1 || Bidirectional(options),
                    "threads=2 needs the bidirectional search (A* runs on one thread)");
}

}  // namespace

GridPath PlanGridAStar(GridView<const float> costmap, const PlanRequest& request,
                       const GridAStarOptions& options) {
  ValidateOptions(costmap, options);
  if (Bidirectional(options)) return internal::PlanBidirectional(costmap, request, options);
  Search search(costmap, options);
  return search.Run(request);
}

}  // namespace ilrs::planning
