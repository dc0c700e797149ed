#include "ilrs/planning/hybrid_a_star.h"

#include "bucket_queue.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>

namespace ilrs::planning {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr double kTwoPi = 2.0 * kPi;
constexpr double kSqrt2 = 1.4142135623730951;
constexpr double kSample = 0.25;              // cells between cost samples along a primitive
constexpr int kPollEvery = 1024;
constexpr double kNever = std::numeric_limits<double>::infinity();

std::string PoseText(const Pose2& p) {
  return "(x " + std::to_string(p.x) + ", y " + std::to_string(p.y) + ", heading " +
         std::to_string(p.heading) + ")";
}

double Wrap(double a) {
  a = std::fmod(a, kTwoPi);
  return a < 0 ? a + kTwoPi : a;
}

class Map {
 public:
  Map(GridView<const float> costmap, float unknown) : map_(costmap), unknown_(unknown) {}
  int rows() const { return map_.rows(); }
  int cols() const { return map_.cols(); }
  // The cost at a continuous point (+inf outside the map).
  double At(double x, double y) const {
    if (!(x >= 0.0) || !(y >= 0.0)) return kNever;
    const int c = static_cast<int>(x), r = static_cast<int>(y);
    if (r >= map_.rows() || c >= map_.cols()) return kNever;
    return Cell(r, c);
  }
  double Cell(int r, int c) const {
    const float v = map_(r, c);
    return std::isnan(v) ? static_cast<double>(unknown_) : static_cast<double>(v);
  }

 private:
  GridView<const float> map_;
  float unknown_;
};

// Cost-to-goal over the 8-connected grid with the midpoint model (the integral of costs along
// axis and diagonal steps), by Dijkstra from the goal cell.
std::vector<double> CostToGoal(const Map& map, int goal_row, int goal_col, double max_cost) {
  const int rows = map.rows(), cols = map.cols();
  std::vector<double> dist(static_cast<std::size_t>(rows) * cols, kNever);
  internal::BucketQueue queue;
  queue.Reset(kSqrt2 * max_cost + 1e-9);  // the largest step a pop can push beyond itself
  queue.StartAt(0.0);
  dist[goal_row * cols + goal_col] = 0.0;
  queue.Push({0.0, goal_row * cols + goal_col});
  internal::QueueEntry top;
  while (queue.Pop(&top)) {
    const std::int32_t v = top.index;
    if (top.f > dist[v]) continue;
    const int r = v / cols, c = v % cols;
    const double cv = map.Cell(r, c);
    for (int dr = -1; dr <= 1; ++dr) {
      for (int dc = -1; dc <= 1; ++dc) {
        const int nr = r + dr, nc = c + dc;
        if ((dr == 0 && dc == 0) || nr < 0 || nc < 0 || nr >= rows || nc >= cols) continue;
        const double cu = map.Cell(nr, nc);
        if (!std::isfinite(cu)) continue;
        const bool diagonal = dr != 0 && dc != 0;
        if (diagonal && (!std::isfinite(map.Cell(r, nc)) || !std::isfinite(map.Cell(nr, c)))) {
          continue;
        }
        const double step = (diagonal ? kSqrt2 : 1.0) * 0.5 * (cu + cv);
        const std::int32_t u = nr * cols + nc;
        if (top.f + step < dist[u]) {
          dist[u] = top.f + step;
          queue.Push({dist[u], u});
        }
      }
    }
  }
  return dist;
}

// Which node holds each (cell, heading bin): a dense table while it fits in 1 GiB (calloc'd,
// so the operating system only backs the pages the search touches), else a hash map.
class PoseIndex {
 public:
  explicit PoseIndex(std::int64_t keys) {
    if (keys <= (std::int64_t{1} << 28)) {
      dense_.reset(static_cast<std::int32_t*>(std::calloc(static_cast<std::size_t>(keys),
                                                          sizeof(std::int32_t))));
    }
    if (!dense_) sparse_.reserve(1 << 16);
  }
  std::int32_t Get(std::int64_t key) const {
    if (dense_) return dense_.get()[key] - 1;
    const auto found = sparse_.find(key);
    return found == sparse_.end() ? -1 : found->second;
  }
  void Set(std::int64_t key, std::int32_t id) {
    if (dense_) {
      dense_.get()[key] = id + 1;
    } else {
      sparse_[key] = id;
    }
  }

 private:
  struct Free {
    void operator()(std::int32_t* p) const { std::free(p); }
  };
  std::unique_ptr<std::int32_t, Free> dense_;
  std::unordered_map<std::int64_t, std::int32_t> sparse_;
};

struct Node {
  Pose2 pose;
  double g;
  std::int32_t parent;
  Motion motion;
  bool closed;
};

struct Open {
  double f;
  std::int32_t node;
  bool operator<(const Open& o) const { return f > o.f; }  // min-heap
};

}  // namespace

void HybridAStarOptions::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(min_turn_radius_cells) && min_turn_radius_cells > 0.0,
                    "HybridAStarOptions.min_turn_radius_cells must be > 0, got " +
                        std::to_string(min_turn_radius_cells));
  ILRS_THROW_IF_NOT(std::isfinite(step_cells) && step_cells > 0.0 && step_cells <= 16.0,
                    "HybridAStarOptions.step_cells must be in (0, 16], got " +
                        std::to_string(step_cells));
  ILRS_THROW_IF_NOT(headings >= 4 && headings <= 720,
                    "HybridAStarOptions.headings must be in [4, 720], got " +
                        std::to_string(headings));
  ILRS_THROW_IF_NOT(std::isfinite(turn_in_place_cost) && turn_in_place_cost >= 0.0,
                    "HybridAStarOptions.turn_in_place_cost must be >= 0, got " +
                        std::to_string(turn_in_place_cost));
  ILRS_THROW_IF_NOT(std::isfinite(goal_tolerance_cells) && goal_tolerance_cells > 0.0,
                    "HybridAStarOptions.goal_tolerance_cells must be > 0, got " +
                        std::to_string(goal_tolerance_cells));
  ILRS_THROW_IF_NOT(goal_heading_tolerance_rad > 0.0,
                    "HybridAStarOptions.goal_heading_tolerance_rad must be > 0, got " +
                        std::to_string(goal_heading_tolerance_rad));
  ILRS_THROW_IF_NOT(!(unknown_cost < 1e-6f), "HybridAStarOptions.unknown_cost must be >= 1e-6");
  ILRS_THROW_IF_NOT(grid_heuristic_scale > 0.0 && grid_heuristic_scale <= 10.0,
                    "HybridAStarOptions.grid_heuristic_scale must be in (0, 10], got " +
                        std::to_string(grid_heuristic_scale));
}

HybridPath PlanHybridAStar(GridView<const float> costmap, const Pose2& start, const Pose2& goal,
                           const HybridAStarOptions& options, double timeout_s,
                           const CancelToken* cancel) {
  options.Validate();
  ILRS_THROW_IF_NOT(costmap.rows() > 0 && costmap.cols() > 0, "costmap must not be empty");
  const Map map(costmap, options.unknown_cost);
  const int cols = map.cols();
  double min_cost = kNever, max_cost = 0.0;
  for (std::size_t i = 0; i < costmap.size(); ++i) {
    const float v = costmap.data()[i];
    if (v < 1e-6f) {
      throw std::invalid_argument("costmap value " + std::to_string(v) + " at (row " +
                                  std::to_string(i / cols) + ", col " +
                                  std::to_string(i % cols) + ") is below 1e-6");
    }
    const double resolved = std::isnan(v) ? static_cast<double>(options.unknown_cost) : v;
    if (std::isfinite(resolved)) {
      min_cost = std::min(min_cost, resolved);
      max_cost = std::max(max_cost, resolved);
    }
  }
  auto cell_of = [](const Pose2& p) {
    return Cell{static_cast<int>(std::floor(p.y)), static_cast<int>(std::floor(p.x))};
  };
  const Cell start_cell = cell_of(start), goal_cell = cell_of(goal);
  if (!costmap.Contains(start_cell) || !std::isfinite(start.heading)) {
    throw PlanningFailure(PlanningFailureKind::kStartOutsideMap, start_cell,
                          "start " + PoseText(start) + " is outside the map");
  }
  if (!costmap.Contains(goal_cell) || !std::isfinite(goal.heading)) {
    throw PlanningFailure(PlanningFailureKind::kGoalOutsideMap, goal_cell,
                          "goal " + PoseText(goal) + " is outside the map");
  }
  if (!std::isfinite(map.At(start.x, start.y))) {
    throw PlanningFailure(PlanningFailureKind::kStartOccupied, start_cell,
                          "start " + PoseText(start) + " is on a lethal or unknown cell");
  }
  if (!std::isfinite(map.At(goal.x, goal.y))) {
    throw PlanningFailure(PlanningFailureKind::kGoalOccupied, goal_cell,
                          "goal " + PoseText(goal) + " is on a lethal or unknown cell");
  }

  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<double> to_goal = CostToGoal(map, goal_cell.row, goal_cell.col, max_cost);
  auto heuristic = [&](const Pose2& p) {
    const int r = static_cast<int>(p.y), c = static_cast<int>(p.x);
    const double grid = to_goal[static_cast<std::size_t>(r) * cols + c] * options.grid_heuristic_scale;
    return std::max(grid, std::hypot(goal.x - p.x, goal.y - p.y) * min_cost);
  };

  const double bin_width = kTwoPi / options.headings;
  auto key_of = [&](const Pose2& p) {
    const int r = static_cast<int>(p.y), c = static_cast<int>(p.x);
    const int bin = static_cast<int>(Wrap(p.heading + 0.5 * bin_width) / bin_width) %
                    options.headings;
    return (static_cast<std::int64_t>(r) * cols + c) * options.headings + bin;
  };
  const bool any_heading = options.goal_heading_tolerance_rad >= kPi;
  auto at_goal = [&](const Pose2& p) {
    if (std::hypot(goal.x - p.x, goal.y - p.y) > options.goal_tolerance_cells) return false;
    if (any_heading) return true;
    const double d = std::abs(Wrap(p.heading - goal.heading + kPi) - kPi);
    return d <= options.goal_heading_tolerance_rad;
  };

  // Each primitive's samples in the frame of its start pose (x forward, y left), so that a
  // drive costs one sine and cosine of the heading rather than one per sample.
  const double radius = options.min_turn_radius_cells, length = options.step_cells;
  const int samples = std::max(1, static_cast<int>(std::ceil(length / kSample)));
  const double ds = length / samples;
  std::vector<double> local[3][2];  // [steer + 1][x or y]
  for (int steer = -1; steer <= 1; ++steer) {
    for (int i = 1; i <= samples; ++i) {
      const double s = ds * i;
      const double turn = steer * s / radius;
      local[steer + 1][0].push_back(steer == 0 ? s : steer * radius * std::sin(turn));
      local[steer + 1][1].push_back(steer == 0 ? 0.0 : steer * radius * (1.0 - std::cos(turn)));
    }
  }
  // Drives one primitive; returns its cost (+inf if blocked) and the end pose.
  auto drive = [&](const Pose2& from, int steer, Pose2* to) {
    const double ch = std::cos(from.heading), sh = std::sin(from.heading);
    const std::vector<double>& lx = local[steer + 1][0];
    const std::vector<double>& ly = local[steer + 1][1];
    double cost = 0.0, x = from.x, y = from.y;
    int prev_row = static_cast<int>(from.y), prev_col = static_cast<int>(from.x);
    for (int i = 0; i < samples; ++i) {
      x = from.x + ch * lx[i] - sh * ly[i];
      y = from.y + sh * lx[i] + ch * ly[i];
      const double c = map.At(x, y);
      if (!std::isfinite(c)) return kNever;
      // Samples are closer than a cell: when one steps diagonally into the next cell, the
      // drive passes one of the two cells beside that corner, so both must be enterable.
      const int row = static_cast<int>(y), col = static_cast<int>(x);
      if (row != prev_row && col != prev_col &&
          (!std::isfinite(map.Cell(prev_row, col)) || !std::isfinite(map.Cell(row, prev_col)))) {
        return kNever;
      }
      prev_row = row;
      prev_col = col;
      cost += ds * c;
    }
    *to = {x, y, Wrap(from.heading + steer * length / radius)};
    return cost;
  };

  std::vector<Node> nodes;
  nodes.reserve(1 << 16);
  PoseIndex index(static_cast<std::int64_t>(costmap.size()) * options.headings);
  std::priority_queue<Open> open;
  const Pose2 first{start.x, start.y, Wrap(start.heading)};
  nodes.push_back({first, 0.0, -1, Motion::kStart, false});
  index.Set(key_of(first), 0);
  open.push({heuristic(first), 0});

  auto relax = [&](std::int32_t parent, const Pose2& pose, double g, Motion motion) {
    const std::int64_t key = key_of(pose);
    const std::int32_t found = index.Get(key);
    if (found < 0) {
      const auto id = static_cast<std::int32_t>(nodes.size());
      nodes.push_back({pose, g, parent, motion, false});
      index.Set(key, id);
      open.push({g + heuristic(pose), id});
    } else {
      Node& node = nodes[found];
      if (node.closed || g >= node.g) return;
      node = {pose, g, parent, motion, false};
      open.push({g + heuristic(pose), found});
    }
  };

  HybridPath path;
  std::int32_t reached = -1;
  const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                 std::chrono::duration<double>(timeout_s));
  while (!open.empty()) {
    const Open top = open.top();
    open.pop();
    if (nodes[top.node].closed) continue;
    nodes[top.node].closed = true;
    const Node current = nodes[top.node];
    ++path.expansions;
    if (at_goal(current.pose)) {
      reached = top.node;
      break;
    }
    if (path.expansions % kPollEvery == 1) {
      if (cancel != nullptr && cancel->cancelled()) {
        throw PlanningFailure(PlanningFailureKind::kCancelled, start_cell,
                              "hybrid A* from " + PoseText(start) + " was cancelled");
      }
      if (timeout_s > 0.0 && std::chrono::steady_clock::now() > deadline) {
        throw PlanningFailure(PlanningFailureKind::kTimedOut, start_cell,
                              "hybrid A* from " + PoseText(start) + " exceeded its " +
                                  std::to_string(timeout_s) + " s deadline");
      }
    }
    for (int steer = -1; steer <= 1; ++steer) {
      Pose2 next;
      const double cost = drive(current.pose, steer, &next);
      if (!std::isfinite(cost)) continue;
      const Motion motion =
          steer == 0 ? Motion::kStraight : (steer > 0 ? Motion::kLeft : Motion::kRight);
      relax(top.node, next, current.g + cost, motion);
    }
    if (options.allow_turn_in_place) {
      for (int turn : {-1, 1}) {
        const Pose2 next{current.pose.x, current.pose.y,
                         Wrap(current.pose.heading + turn * bin_width)};
        relax(top.node, next, current.g + options.turn_in_place_cost,
              turn > 0 ? Motion::kTurnLeft : Motion::kTurnRight);
      }
    }
  }
  path.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (reached < 0) {
    throw PlanningFailure(PlanningFailureKind::kNoPathFound, goal_cell,
                          "no kinematically feasible path from " + PoseText(start) + " to " +
                              PoseText(goal) + " after " + std::to_string(path.expansions) +
                              " expansions");
  }
  path.cost = nodes[reached].g;
  for (std::int32_t i = reached; i != -1; i = nodes[i].parent) {
    path.poses.push_back(nodes[i].pose);
    path.motions.push_back(nodes[i].motion);
  }
  std::reverse(path.poses.begin(), path.poses.end());
  std::reverse(path.motions.begin(), path.motions.end());
  return path;
}

}  // namespace ilrs::planning
