#include "ilrs/planning/voxel_planner.h"

#include "bucket_queue.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace ilrs::planning {
namespace {

constexpr int kPollEvery = 4096;  // expansions between deadline/cancel checks
// Node flags. A node of all zero bits is one the search has not touched.
constexpr std::uint8_t kReached = 1;      // g and parent_move are set
constexpr std::uint8_t kClosed = 2;
constexpr std::uint8_t kKnown = 4;        // kTraversable has been worked out
constexpr std::uint8_t kTraversable = 8;

std::string VoxelText(const Voxel& v) {
  return "(layer " + std::to_string(v.layer) + ", row " + std::to_string(v.row) + ", col " +
         std::to_string(v.col) + ")";
}

std::string PointText(const double p[3]) {
  return "(" + std::to_string(p[0]) + ", " + std::to_string(p[1]) + ", " + std::to_string(p[2]) +
         ") m";
}

// Walks the voxels the segment between the centres of `a` and `b` touches (see the header).
// In voxel units the segment is centre(a) + t (b - a), t in [0, 1]; along an axis with
// n = |b - a| > 0 it crosses a face at t = (2k + 1) / (2n), k = 0 .. n - 1, so two axes' next
// crossings compare exactly by cross-multiplying integers.
template <typename Visit>
bool WalkCentres(const Voxel& a, const Voxel& b, Visit&& visit) {
  int cur[3] = {a.col, a.row, a.layer};
  const int end[3] = {b.col, b.row, b.layer};
  std::int64_t n[3], k[3] = {0, 0, 0};
  int step[3];
  for (int axis = 0; axis < 3; ++axis) {
    const int diff = end[axis] - cur[axis];
    n[axis] = std::abs(diff);
    step[axis] = diff > 0 ? 1 : (diff < 0 ? -1 : 0);
  }
  auto emit = [&](const int c[3]) { return visit(Voxel{c[2], c[1], c[0]}); };
  // Compares the next crossing times (2 k_p + 1) / (2 n_p) and (2 k_q + 1) / (2 n_q).
  auto compare = [&](int p, int q) {
    const std::int64_t lhs = (2 * k[p] + 1) * n[q], rhs = (2 * k[q] + 1) * n[p];
    return lhs < rhs ? -1 : (lhs > rhs ? 1 : 0);
  };
  if (!emit(cur)) return false;
  while (true) {
    int first = -1;
    for (int axis = 0; axis < 3; ++axis) {
      if (k[axis] < n[axis] && (first < 0 || compare(axis, first) < 0)) first = axis;
    }
    if (first < 0) return true;
    int tied = 0;  // bit per axis crossing a face at the same t
    for (int axis = 0; axis < 3; ++axis) {
      if (k[axis] < n[axis] && compare(axis, first) == 0) tied |= 1 << axis;
    }
    // Through an edge or corner: the voxels beside it first.
    for (int subset = 1; subset < tied; ++subset) {
      if ((subset & tied) != subset) continue;
      int beside[3] = {cur[0], cur[1], cur[2]};
      for (int axis = 0; axis < 3; ++axis) {
        if (subset & (1 << axis)) beside[axis] += step[axis];
      }
      if (!emit(beside)) return false;
    }
    for (int axis = 0; axis < 3; ++axis) {
      if (tied & (1 << axis)) {
        cur[axis] += step[axis];
        ++k[axis];
      }
    }
    if (!emit(cur)) return false;
  }
}

double StepLength(const Voxel& a, const Voxel& b) {
  const double dl = b.layer - a.layer, dr = b.row - a.row, dc = b.col - a.col;
  return std::sqrt(dl * dl + dr * dr + dc * dc);
}

// The length of the shortest 26-connected path between two voxels in open space (voxel
// units): a metric, so the heuristic it gives is consistent, and never below the Euclidean
// distance.
double LatticeDistance(const Voxel& a, const Voxel& b) {
  int d[3] = {std::abs(b.layer - a.layer), std::abs(b.row - a.row), std::abs(b.col - a.col)};
  std::sort(d, d + 3);  // d[2] >= d[1] >= d[0]
  constexpr double kSqrt2 = 1.4142135623730951, kSqrt3 = 1.7320508075688772;
  return (d[2] - d[1]) + kSqrt2 * (d[1] - d[0]) + kSqrt3 * d[0];
}

// Per voxel: best cost from the start so far (voxel units), flags, and the move (0..25) that
// reached it. The array is allocated zeroed and untouched (calloc), so only the pages of the
// voxels the search reaches are ever committed.
struct Node {
  float g;
  std::uint8_t flags;
  std::uint8_t parent_move;
};

struct FreeDeleter {
  void operator()(Node* p) const { std::free(p); }
};

class Search {
 public:
  Search(const VoxelGeometry& geometry, VoxelGridView<const std::uint8_t> free_mask,
         VoxelGridView<const std::uint8_t> occupied_mask, VoxelGridView<const float> clearance,
         const VoxelPlanRequest& request)
      : geometry_(geometry),
        free_(free_mask),
        occupied_(occupied_mask),
        clearance_(clearance),
        request_(request),
        cols_(geometry.cols),
        layer_stride_(static_cast<std::int64_t>(geometry.rows) * geometry.cols) {}

  VoxelPath Run() {
    const auto t0 = std::chrono::steady_clock::now();
    const Voxel start = EndVoxel(request_.start_m, true);
    const Voxel goal = EndVoxel(request_.goal_m, false);
    nodes_.reset(static_cast<Node*>(std::calloc(geometry_.voxel_count(), sizeof(Node))));
    if (!nodes_) throw std::bad_alloc();
    radius_ = static_cast<float>(request_.clearance_radius_m);
    CheckEnd(start, true);
    CheckEnd(goal, false);
    BuildMoves();

    auto heuristic = [&](const Voxel& v) { return LatticeDistance(v, goal); };
    const std::int64_t start_index = Index(start), goal_index = Index(goal);
    // A move raises f by at most twice its length (its cost plus the heuristic's drop).
    open_.Reset(2.0 * std::sqrt(3.0) + 1e-6);
    const double f0 = heuristic(start);
    open_.StartAt(f0);
    nodes_[start_index].g = 0.0f;
    nodes_[start_index].flags |= kReached;
    open_.Push({f0, static_cast<std::int32_t>(start_index)});

    const bool has_deadline = request_.timeout_s > 0.0;
    const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(request_.timeout_s));
    std::int64_t expansions = 0;
    internal::QueueEntry top;
    bool reached = false;
    while (open_.Pop(&top)) {
      Node& node = nodes_[top.index];
      if (node.flags & kClosed) continue;
      node.flags |= kClosed;
      ++expansions;
      if (top.index == goal_index) {
        reached = true;
        break;
      }
      if (expansions % kPollEvery == 1) Poll(start, goal, expansions, has_deadline, deadline);

      // Which of the 27 voxels around this one are traversable, one bit each (outside the
      // grid: not).
      const Voxel here = VoxelAt(top.index);
      const bool inner = here.layer > 0 && here.row > 0 && here.col > 0 &&
                         here.layer + 1 < geometry_.layers && here.row + 1 < geometry_.rows &&
                         here.col + 1 < geometry_.cols;
      std::uint32_t around = 0;
      for (int b = 0; b < 27; ++b) {
        if (inner ? TraversableAt(top.index + block_offset_[b])
                  : Traversable({here.layer + block_step_[b][0], here.row + block_step_[b][1],
                                 here.col + block_step_[b][2]})) {
          around |= 1u << b;
        }
      }
      const double g_here = node.g;
      for (int m = 0; m < 26; ++m) {
        if ((around & move_block_[m]) != move_block_[m]) continue;  // blocked or cuts a corner
        const std::int64_t next = top.index + move_offset_[m];
        Node& other = nodes_[next];
        if (other.flags & kClosed) continue;
        const double g = g_here + move_length_[m];
        if (!(other.flags & kReached) || g < other.g) {
          other.g = static_cast<float>(g);
          other.flags |= kReached;
          other.parent_move = static_cast<std::uint8_t>(m);
          const Voxel v{here.layer + move_step_[m][0], here.row + move_step_[m][1],
                        here.col + move_step_[m][2]};
          open_.Push({g + heuristic(v), static_cast<std::int32_t>(next)});
        }
      }
    }
    if (!reached) {
      throw VoxelPlanningFailure(PlanningFailureKind::kNoPathFound, goal,
                                 "no path from " + VoxelText(start) + " to " + VoxelText(goal) +
                                     " with clearance " +
                                     std::to_string(request_.clearance_radius_m) + " m after " +
                                     std::to_string(expansions) + " expansions");
    }

    VoxelPath path;
    for (std::int64_t i = goal_index; i != start_index;
         i -= move_offset_[nodes_[i].parent_move]) {
      path.voxels.push_back(VoxelAt(i));
    }
    path.voxels.push_back(start);
    std::reverse(path.voxels.begin(), path.voxels.end());
    for (std::size_t i = 1; i < path.voxels.size(); ++i) {
      path.lattice_length_m += StepLength(path.voxels[i - 1], path.voxels[i]);
    }
    path.lattice_length_m *= geometry_.resolution_m;
    path.waypoints = Shortcut(path.voxels);
    for (std::size_t i = 1; i < path.waypoints.size(); ++i) {
      path.length_m += StepLength(path.waypoints[i - 1], path.waypoints[i]);
    }
    path.length_m *= geometry_.resolution_m;
    path.expansions = expansions;
    path.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return path;
  }

 private:
  std::int64_t Index(const Voxel& v) const {
    return v.layer * layer_stride_ + static_cast<std::int64_t>(v.row) * cols_ + v.col;
  }
  Voxel VoxelAt(std::int64_t index) const {
    return {static_cast<int>(index / layer_stride_),
            static_cast<int>(index % layer_stride_ / cols_), static_cast<int>(index % cols_)};
  }
  // Whether the voxel at `index` (inside the grid) may be entered, worked out once.
  bool TraversableAt(std::int64_t index) {
    Node& node = nodes_[index];
    if (!(node.flags & kKnown)) {
      const bool ok = free_.data()[index] != 0 && clearance_.data()[index] >= radius_;
      node.flags |= ok ? (kKnown | kTraversable) : kKnown;
    }
    return node.flags & kTraversable;
  }
  bool Traversable(const Voxel& v) { return geometry_.Contains(v) && TraversableAt(Index(v)); }

  Voxel EndVoxel(const double xyz_m[3], bool is_start) const {
    const char* what = is_start ? "start" : "goal";
    for (int axis = 0; axis < 3; ++axis) {
      ILRS_THROW_IF_NOT(std::isfinite(xyz_m[axis]),
                        std::string(what) + "_m must be finite, got " + PointText(xyz_m));
    }
    Voxel v;
    if (!geometry_.VoxelOf(xyz_m, &v)) {
      // The voxel it would be in, for the message and the failure.
      const Voxel outside{
          static_cast<int>(std::floor((xyz_m[2] - geometry_.origin_m[2]) / geometry_.resolution_m)),
          static_cast<int>(std::floor((xyz_m[1] - geometry_.origin_m[1]) / geometry_.resolution_m)),
          static_cast<int>(std::floor((xyz_m[0] - geometry_.origin_m[0]) / geometry_.resolution_m))};
      throw VoxelPlanningFailure(
          is_start ? PlanningFailureKind::kStartOutsideMap : PlanningFailureKind::kGoalOutsideMap,
          outside,
          std::string(what) + " " + PointText(xyz_m) + " (voxel " + VoxelText(outside) +
              ") is outside the " + std::to_string(geometry_.layers) + " x " +
              std::to_string(geometry_.rows) + " x " + std::to_string(geometry_.cols) +
              " voxel grid");
    }
    return v;
  }

  void CheckEnd(const Voxel& v, bool is_start) {
    if (TraversableAt(Index(v))) return;
    const std::size_t i = geometry_.Index(v);
    std::string why;
    if (occupied_.data()[i] != 0) {
      why = "occupied";
    } else if (free_.data()[i] == 0) {
      why = "unknown";
    } else {
      why = "too close to an obstacle: clearance " + std::to_string(clearance_.data()[i]) +
            " m < " + std::to_string(request_.clearance_radius_m) + " m";
    }
    throw VoxelPlanningFailure(
        is_start ? PlanningFailureKind::kStartOccupied : PlanningFailureKind::kGoalOccupied, v,
        std::string(is_start ? "start" : "goal") + " voxel " + VoxelText(v) + " at " +
            PointText(is_start ? request_.start_m : request_.goal_m) + " is " + why);
  }

  void Poll(const Voxel& start, const Voxel& goal, std::int64_t expansions, bool has_deadline,
            std::chrono::steady_clock::time_point deadline) const {
    if (request_.cancel != nullptr && request_.cancel->cancelled()) {
      throw VoxelPlanningFailure(PlanningFailureKind::kCancelled, start,
                                 "planning from " + VoxelText(start) + " to " + VoxelText(goal) +
                                     " was cancelled after " + std::to_string(expansions) +
                                     " expansions");
    }
    if (has_deadline && std::chrono::steady_clock::now() > deadline) {
      throw VoxelPlanningFailure(PlanningFailureKind::kTimedOut, start,
                                 "planning from " + VoxelText(start) + " to " + VoxelText(goal) +
                                     " exceeded its " + std::to_string(request_.timeout_s) +
                                     " s deadline after " + std::to_string(expansions) +
                                     " expansions");
    }
  }

  // The 26 moves (index offsets and lengths) and, for each, the bits of the 27-voxel
  // neighbourhood its 2 x 2 (x 2) block covers.
  void BuildMoves() {
    auto bit = [](int dl, int dr, int dc) { return (dl + 1) * 9 + (dr + 1) * 3 + (dc + 1); };
    for (int dl = -1; dl <= 1; ++dl) {
      for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
          block_offset_[bit(dl, dr, dc)] = dl * layer_stride_ + dr * cols_ + dc;
          block_step_[bit(dl, dr, dc)][0] = dl;
          block_step_[bit(dl, dr, dc)][1] = dr;
          block_step_[bit(dl, dr, dc)][2] = dc;
        }
      }
    }
    int m = 0;
    for (int dl = -1; dl <= 1; ++dl) {
      for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
          if (dl == 0 && dr == 0 && dc == 0) continue;
          move_offset_[m] = block_offset_[bit(dl, dr, dc)];
          move_step_[m][0] = dl;
          move_step_[m][1] = dr;
          move_step_[m][2] = dc;
          move_length_[m] = std::sqrt(static_cast<double>(dl * dl + dr * dr + dc * dc));
          std::uint32_t block = 0;
          for (int el : {0, dl}) {
            for (int er : {0, dr}) {
              for (int ec : {0, dc}) block |= 1u << bit(el, er, ec);
            }
          }
          move_block_[m] = block;
          ++m;
        }
      }
    }
  }

  // Greedy line-of-sight shortcutting of the lattice path (see the header).
  std::vector<Voxel> Shortcut(const std::vector<Voxel>& path) {
    std::vector<Voxel> out{path.front()};
    auto clear = [&](const Voxel& a, const Voxel& b) {
      return WalkCentres(a, b, [&](const Voxel& v) { return Traversable(v); });
    };
    std::size_t anchor = 0;
    while (anchor + 1 < path.size()) {
      std::size_t reach = anchor + 1;  // a lattice move: always clear
      while (reach + 1 < path.size() && clear(path[anchor], path[reach + 1])) ++reach;
      out.push_back(path[reach]);
      anchor = reach;
    }
    return out;
  }

  const VoxelGeometry& geometry_;
  VoxelGridView<const std::uint8_t> free_;
  VoxelGridView<const std::uint8_t> occupied_;
  VoxelGridView<const float> clearance_;
  const VoxelPlanRequest& request_;
  std::int64_t cols_;
  std::int64_t layer_stride_;
  float radius_ = 0.0f;
  std::unique_ptr<Node[], FreeDeleter> nodes_;
  internal::BucketQueue open_;
  std::int64_t block_offset_[27] = {};
  int block_step_[27][3] = {};
  std::int64_t move_offset_[26] = {};
  int move_step_[26][3] = {};
  double move_length_[26] = {};
  std::uint32_t move_block_[26] = {};
};

template <typename T>
void CheckShape(const VoxelGridView<const T>& view, const VoxelGeometry& geometry,
                const char* name) {
  ILRS_THROW_IF_NOT(view.layers() == geometry.layers && view.rows() == geometry.rows &&
                        view.cols() == geometry.cols,
                    std::string(name) + " has shape (" + std::to_string(view.layers()) + ", " +
                        std::to_string(view.rows()) + ", " + std::to_string(view.cols()) +
                        "), the grid (" + std::to_string(geometry.layers) + ", " +
                        std::to_string(geometry.rows) + ", " + std::to_string(geometry.cols) +
                        ")");
}

}  // namespace

VoxelPlanningFailure::VoxelPlanningFailure(PlanningFailureKind kind, Voxel voxel,
                                           const std::string& detail)
    : PlanningFailure(kind, Cell{voxel.row, voxel.col}, detail), voxel_(voxel) {}

VoxelPath PlanVoxelPath(const VoxelGeometry& geometry,
                        VoxelGridView<const std::uint8_t> free_mask,
                        VoxelGridView<const std::uint8_t> occupied_mask,
                        VoxelGridView<const float> clearance_m, const VoxelPlanRequest& request) {
  geometry.Validate();
  CheckShape(free_mask, geometry, "free_mask");
  CheckShape(occupied_mask, geometry, "occupied_mask");
  CheckShape(clearance_m, geometry, "clearance_m");
  ILRS_THROW_IF_NOT(request.clearance_radius_m >= 0.0,
                    "clearance_radius_m must be >= 0, got " +
                        std::to_string(request.clearance_radius_m));
  ILRS_THROW_IF_NOT(geometry.voxel_count() <
                        static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
                    "voxel grid too large to plan on: " + std::to_string(geometry.voxel_count()) +
                        " voxels");
  Search search(geometry, free_mask, occupied_mask, clearance_m, request);
  return search.Run();
}

void SegmentVoxels(const Voxel& a, const Voxel& b, std::vector<Voxel>* out) {
  WalkCentres(a, b, [out](const Voxel& v) {
    out->push_back(v);
    return true;
  });
}

}  // namespace ilrs::planning
