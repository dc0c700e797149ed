#include "ilrs/planning/voxel_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

namespace ilrs::planning {
namespace {

// A test world: masks and clearance of a layers x rows x cols grid at the given resolution,
// origin at 0. Every voxel starts free with clearance 10 m.
struct World {
  VoxelGeometry geometry;
  std::vector<std::uint8_t> free, occupied;
  std::vector<float> clearance;

  World(int layers, int rows, int cols, double resolution_m = 1.0) {
    geometry.resolution_m = resolution_m;
    geometry.layers = layers;
    geometry.rows = rows;
    geometry.cols = cols;
    free.assign(geometry.voxel_count(), 1);
    occupied.assign(geometry.voxel_count(), 0);
    clearance.assign(geometry.voxel_count(), 10.0f);
  }
  std::size_t At(int l, int r, int c) const { return geometry.Index({l, r, c}); }
  void Occupy(int l, int r, int c) {
    free[At(l, r, c)] = 0;
    occupied[At(l, r, c)] = 1;
  }
  void Unknown(int l, int r, int c) { free[At(l, r, c)] = 0; }
  bool Traversable(const Voxel& v, double radius) const {
    if (!geometry.Contains(v)) return false;
    const std::size_t i = geometry.Index(v);
    return free[i] != 0 && clearance[i] >= static_cast<float>(radius);
  }
  void Centre(const Voxel& v, double out[3]) const { geometry.CenterOf(v, out); }

  VoxelPath Plan(const Voxel& s, const Voxel& g, double radius = 0.0, double timeout_s = 0.0,
                 const CancelToken* cancel = nullptr) const {
    VoxelPlanRequest request;
    Centre(s, request.start_m);
    Centre(g, request.goal_m);
    request.clearance_radius_m = radius;
    request.timeout_s = timeout_s;
    request.cancel = cancel;
    return PlanVoxelPath(geometry, Free(), Occupied(), Clearance(), request);
  }
  VoxelGridView<const std::uint8_t> Free() const {
    return {free.data(), geometry.layers, geometry.rows, geometry.cols};
  }
  VoxelGridView<const std::uint8_t> Occupied() const {
    return {occupied.data(), geometry.layers, geometry.rows, geometry.cols};
  }
  VoxelGridView<const float> Clearance() const {
    return {clearance.data(), geometry.layers, geometry.rows, geometry.cols};
  }
};

// Plain Dijkstra over the 26-neighbourhood, written apart from the planner: a move is allowed
// when every voxel of the box between its two ends is traversable, and costs its length.
double DijkstraLength(const World& w, const Voxel& s, const Voxel& g, double radius) {
  const VoxelGeometry& geo = w.geometry;
  std::vector<double> dist(geo.voxel_count(), std::numeric_limits<double>::infinity());
  using Item = std::pair<double, std::size_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue;
  dist[geo.Index(s)] = 0.0;
  queue.push({0.0, geo.Index(s)});
  while (!queue.empty()) {
    const auto [d, i] = queue.top();
    queue.pop();
    if (d > dist[i]) continue;
    const Voxel v = geo.VoxelAtIndex(i);
    for (int dl = -1; dl <= 1; ++dl) {
      for (int dr = -1; dr <= 1; ++dr) {
        for (int dc = -1; dc <= 1; ++dc) {
          if (dl == 0 && dr == 0 && dc == 0) continue;
          bool ok = true;
          for (int l = std::min(0, dl); l <= std::max(0, dl); ++l) {
            for (int r = std::min(0, dr); r <= std::max(0, dr); ++r) {
              for (int c = std::min(0, dc); c <= std::max(0, dc); ++c) {
                ok = ok && w.Traversable({v.layer + l, v.row + r, v.col + c}, radius);
              }
            }
          }
          if (!ok) continue;
          const Voxel n{v.layer + dl, v.row + dr, v.col + dc};
          const double nd = d + std::sqrt(dl * dl + dr * dr + dc * dc) * geo.resolution_m;
          if (nd < dist[geo.Index(n)]) {
            dist[geo.Index(n)] = nd;
            queue.push({nd, geo.Index(n)});
          }
        }
      }
    }
  }
  return dist[geo.Index(g)];
}

double PolylineLength(const World& w, const std::vector<Voxel>& points) {
  double total = 0.0;
  for (std::size_t i = 1; i < points.size(); ++i) {
    double a[3], b[3];
    w.Centre(points[i - 1], a);
    w.Centre(points[i], b);
    total += std::hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2]);
  }
  return total;
}

// Every voxel holding one of many points spread along each segment is traversable.
void ExpectSegmentsTraversable(const World& w, const std::vector<Voxel>& points, double radius) {
  for (std::size_t i = 1; i < points.size(); ++i) {
    double a[3], b[3];
    w.Centre(points[i - 1], a);
    w.Centre(points[i], b);
    constexpr int kSamples = 2000;
    for (int k = 0; k <= kSamples; ++k) {
      const double t = static_cast<double>(k) / kSamples;
      const double p[3] = {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]),
                           a[2] + t * (b[2] - a[2])};
      Voxel v;
      ASSERT_TRUE(w.geometry.VoxelOf(p, &v));
      ASSERT_TRUE(w.Traversable(v, radius))
          << "segment " << i << " at t = " << t << " crosses voxel (" << v.layer << ", "
          << v.row << ", " << v.col << ")";
    }
  }
}

TEST(SegmentVoxels, StraightLineVisitsEachVoxelOnce) {
  std::vector<Voxel> out;
  SegmentVoxels({0, 0, 0}, {0, 0, 4}, &out);
  ASSERT_EQ(out.size(), 5u);
  for (int c = 0; c <= 4; ++c) EXPECT_EQ(out[c], (Voxel{0, 0, c}));
}

TEST(SegmentVoxels, CornerCrossingTouchesTheWholeBlock) {
  std::vector<Voxel> out;
  SegmentVoxels({0, 0, 0}, {1, 1, 1}, &out);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out.front(), (Voxel{0, 0, 0}));
  EXPECT_EQ(out.back(), (Voxel{1, 1, 1}));
  std::set<std::tuple<int, int, int>> distinct;
  for (const Voxel& v : out) distinct.insert({v.layer, v.row, v.col});
  EXPECT_EQ(distinct.size(), 8u);

  out.clear();
  SegmentVoxels({0, 0, 0}, {0, 2, 2}, &out);  // through two edges
  EXPECT_EQ(out.size(), 7u);
}

TEST(SegmentVoxels, SameSetBothWaysAndMatchesDenseSampling) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> coord(-6, 6);
  for (int trial = 0; trial < 300; ++trial) {
    const Voxel a{coord(rng), coord(rng), coord(rng)}, b{coord(rng), coord(rng), coord(rng)};
    std::vector<Voxel> forward, backward;
    SegmentVoxels(a, b, &forward);
    SegmentVoxels(b, a, &backward);
    std::set<std::tuple<int, int, int>> f, r;
    for (const Voxel& v : forward) f.insert({v.layer, v.row, v.col});
    for (const Voxel& v : backward) r.insert({v.layer, v.row, v.col});
    EXPECT_EQ(f, r);
    EXPECT_EQ(f.size(), forward.size()) << "a voxel listed twice";
    // Consecutive voxels differ by one step on each axis at most.
    for (std::size_t i = 1; i < forward.size(); ++i) {
      EXPECT_LE(std::abs(forward[i].layer - forward[i - 1].layer), 1);
      EXPECT_LE(std::abs(forward[i].row - forward[i - 1].row), 1);
      EXPECT_LE(std::abs(forward[i].col - forward[i - 1].col), 1);
    }
    // Every voxel holding a point of the segment is listed.
    for (int k = 0; k <= 997; ++k) {
      const double t = k / 997.0;
      const Voxel v{static_cast<int>(std::floor(a.layer + 0.5 + t * (b.layer - a.layer))),
                    static_cast<int>(std::floor(a.row + 0.5 + t * (b.row - a.row))),
                    static_cast<int>(std::floor(a.col + 0.5 + t * (b.col - a.col)))};
      EXPECT_TRUE(f.count({v.layer, v.row, v.col})) << "trial " << trial << " t " << t;
    }
  }
}

TEST(VoxelPlanner, OpenSpaceIsOneStraightSegment) {
  World w(6, 8, 20, 0.25);
  const VoxelPath p = w.Plan({1, 2, 1}, {4, 6, 18});
  EXPECT_NEAR(p.lattice_length_m, DijkstraLength(w, {1, 2, 1}, {4, 6, 18}, 0.0), 1e-5);
  ASSERT_EQ(p.waypoints.size(), 2u);
  EXPECT_NEAR(p.length_m, 0.25 * std::sqrt(9.0 + 16.0 + 17.0 * 17.0), 1e-9);
  EXPECT_EQ(p.voxels.front(), (Voxel{1, 2, 1}));
  EXPECT_EQ(p.voxels.back(), (Voxel{4, 6, 18}));
}

TEST(VoxelPlanner, StartEqualToGoal) {
  World w(3, 3, 3);
  const VoxelPath p = w.Plan({1, 1, 1}, {1, 1, 1});
  ASSERT_EQ(p.voxels.size(), 1u);
  ASSERT_EQ(p.waypoints.size(), 1u);
  EXPECT_EQ(p.length_m, 0.0);
  EXPECT_EQ(p.lattice_length_m, 0.0);
}

TEST(VoxelPlanner, OptimalAgainstDijkstraOnRandomGrids) {
  std::mt19937 rng(42);
  int compared = 0;
  for (int trial = 0; trial < 150; ++trial) {
    std::uniform_int_distribution<int> size(2, 9);
    World w(size(rng), size(rng), size(rng), trial % 2 ? 0.25 : 1.0);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const double blocked = 0.1 + 0.3 * u(rng);
    for (int l = 0; l < w.geometry.layers; ++l) {
      for (int r = 0; r < w.geometry.rows; ++r) {
        for (int c = 0; c < w.geometry.cols; ++c) {
          const double x = u(rng);
          if (x < blocked * 0.7) {
            w.Occupy(l, r, c);
          } else if (x < blocked) {
            w.Unknown(l, r, c);
          }
          w.clearance[w.At(l, r, c)] = static_cast<float>(3.0 * u(rng));
        }
      }
    }
    const double radius = trial % 3 == 0 ? 0.0 : 0.5 * u(rng);
    std::uniform_int_distribution<std::size_t> pick(0, w.geometry.voxel_count() - 1);
    const Voxel s = w.geometry.VoxelAtIndex(pick(rng)), g = w.geometry.VoxelAtIndex(pick(rng));
    if (!w.Traversable(s, radius) || !w.Traversable(g, radius)) continue;
    const double expected = DijkstraLength(w, s, g, radius);
    if (!std::isfinite(expected)) {
      EXPECT_THROW(w.Plan(s, g, radius), VoxelPlanningFailure);
      continue;
    }
    const VoxelPath p = w.Plan(s, g, radius);
    ++compared;
    EXPECT_NEAR(p.lattice_length_m, expected, 1e-5 * (1.0 + expected)) << "trial " << trial;
    EXPECT_NEAR(PolylineLength(w, p.voxels), p.lattice_length_m, 1e-9);
    EXPECT_NEAR(PolylineLength(w, p.waypoints), p.length_m, 1e-9);
    EXPECT_LE(p.length_m, p.lattice_length_m + 1e-9);
    EXPECT_EQ(p.voxels.front(), s);
    EXPECT_EQ(p.voxels.back(), g);
    EXPECT_EQ(p.waypoints.front(), s);
    EXPECT_EQ(p.waypoints.back(), g);
    // The lattice path: legal 26-moves between traversable voxels.
    for (std::size_t i = 0; i < p.voxels.size(); ++i) {
      EXPECT_TRUE(w.Traversable(p.voxels[i], radius));
      if (i == 0) continue;
      EXPECT_LE(std::abs(p.voxels[i].layer - p.voxels[i - 1].layer), 1);
      EXPECT_LE(std::abs(p.voxels[i].row - p.voxels[i - 1].row), 1);
      EXPECT_LE(std::abs(p.voxels[i].col - p.voxels[i - 1].col), 1);
    }
    // The waypoints are lattice voxels, in order, and every segment crosses only
    // traversable voxels.
    std::size_t j = 0;
    for (const Voxel& wp : p.waypoints) {
      while (j < p.voxels.size() && p.voxels[j] != wp) ++j;
      EXPECT_LT(j, p.voxels.size()) << "waypoint not on the lattice path, in order";
    }
    ExpectSegmentsTraversable(w, p.waypoints, radius);
    ExpectSegmentsTraversable(w, p.voxels, radius);
  }
  EXPECT_GT(compared, 40);
}

TEST(VoxelPlanner, ShortcutsAroundAWallWithClearance) {
  // A wall across the middle of the x axis with one hole; clearance shrinks near the wall.
  World w(9, 9, 21, 0.5);
  for (int l = 0; l < 9; ++l) {
    for (int r = 0; r < 9; ++r) {
      if (!(l == 6 && r == 6)) w.Occupy(l, r, 10);
    }
  }
  for (int l = 0; l < 9; ++l) {
    for (int r = 0; r < 9; ++r) {
      for (int c = 0; c < 21; ++c) w.clearance[w.At(l, r, c)] = 0.5f * std::abs(c - 10);
    }
  }
  w.clearance[w.At(6, 6, 10)] = 1.0f;
  const VoxelPath p = w.Plan({1, 1, 1}, {1, 1, 19}, 0.0);
  EXPECT_GT(p.waypoints.size(), 2u);
  ExpectSegmentsTraversable(w, p.waypoints, 0.0);
  EXPECT_NEAR(p.lattice_length_m, DijkstraLength(w, {1, 1, 1}, {1, 1, 19}, 0.0), 1e-5);
  // A radius above the hole's clearance closes it.
  try {
    w.Plan({1, 1, 1}, {1, 1, 19}, 0.75);
    FAIL() << "expected NoPathFound";
  } catch (const VoxelPlanningFailure& f) {
    EXPECT_EQ(f.kind(), PlanningFailureKind::kNoPathFound);
    EXPECT_EQ(f.voxel(), (Voxel{1, 1, 19}));
  }
}

PlanningFailureKind KindOf(const std::function<void()>& plan, std::string* message,
                           Voxel* voxel) {
  try {
    plan();
  } catch (const VoxelPlanningFailure& f) {
    *message = f.what();
    *voxel = f.voxel();
    return f.kind();
  }
  ADD_FAILURE() << "no failure";
  return PlanningFailureKind::kNoPathFound;
}

TEST(VoxelPlanner, TypedFailuresNameTheVoxel) {
  World w(4, 4, 4);
  w.Occupy(0, 0, 0);
  w.Unknown(3, 3, 3);
  w.clearance[w.At(2, 2, 2)] = 0.2f;
  std::string msg;
  Voxel v;

  auto plan_m = [&](std::vector<double> s, std::vector<double> g) {
    VoxelPlanRequest r;
    std::copy(s.begin(), s.end(), r.start_m);
    std::copy(g.begin(), g.end(), r.goal_m);
    r.clearance_radius_m = 0.5;
    PlanVoxelPath(w.geometry, w.Free(), w.Occupied(), w.Clearance(), r);
  };
  EXPECT_EQ(KindOf([&] { plan_m({-0.5, 1, 1}, {1, 1, 1}); }, &msg, &v),
            PlanningFailureKind::kStartOutsideMap);
  EXPECT_EQ(v, (Voxel{1, 1, -1}));
  EXPECT_NE(msg.find("layer 1, row 1, col -1"), std::string::npos) << msg;
  EXPECT_EQ(KindOf([&] { plan_m({1, 1, 1}, {1, 1, 4.5}); }, &msg, &v),
            PlanningFailureKind::kGoalOutsideMap);
  EXPECT_EQ(v, (Voxel{4, 1, 1}));

  EXPECT_EQ(KindOf([&] { w.Plan({0, 0, 0}, {1, 1, 1}, 0.5); }, &msg, &v),
            PlanningFailureKind::kStartOccupied);
  EXPECT_NE(msg.find("occupied"), std::string::npos) << msg;
  EXPECT_EQ(v, (Voxel{0, 0, 0}));
  EXPECT_EQ(KindOf([&] { w.Plan({1, 1, 1}, {3, 3, 3}, 0.5); }, &msg, &v),
            PlanningFailureKind::kGoalOccupied);
  EXPECT_NE(msg.find("unknown"), std::string::npos) << msg;
  EXPECT_EQ(KindOf([&] { w.Plan({1, 1, 1}, {2, 2, 2}, 0.5); }, &msg, &v),
            PlanningFailureKind::kGoalOccupied);
  EXPECT_NE(msg.find("too close"), std::string::npos) << msg;
  EXPECT_EQ(v, (Voxel{2, 2, 2}));
  EXPECT_NO_THROW(w.Plan({1, 1, 1}, {2, 2, 2}, 0.2));

  // Walled in: every neighbour of (1, 1, 1) occupied.
  World boxed(3, 3, 3);
  for (int l = 0; l < 3; ++l) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        if (!(l == 1 && r == 1 && c == 1) && !(l == 0 && r == 0 && c == 0)) boxed.Occupy(l, r, c);
      }
    }
  }
  EXPECT_EQ(KindOf([&] { boxed.Plan({1, 1, 1}, {0, 0, 0}); }, &msg, &v),
            PlanningFailureKind::kNoPathFound);  // only a corner-cutting move would reach it
}

TEST(VoxelPlanner, BadInputThrowsInvalidArgument) {
  World w(3, 3, 3);
  VoxelPlanRequest r;
  r.clearance_radius_m = -1.0;
  EXPECT_THROW(PlanVoxelPath(w.geometry, w.Free(), w.Occupied(), w.Clearance(), r),
               std::invalid_argument);
  r.clearance_radius_m = std::nan("");
  EXPECT_THROW(PlanVoxelPath(w.geometry, w.Free(), w.Occupied(), w.Clearance(), r),
               std::invalid_argument);
  r.clearance_radius_m = 0.0;
  r.start_m[1] = std::nan("");
  EXPECT_THROW(PlanVoxelPath(w.geometry, w.Free(), w.Occupied(), w.Clearance(), r),
               std::invalid_argument);
  r.start_m[1] = 0.5;
  const VoxelGridView<const float> wrong(w.clearance.data(), 3, 3, 2);
  EXPECT_THROW(PlanVoxelPath(w.geometry, w.Free(), w.Occupied(), wrong, r),
               std::invalid_argument);
}

TEST(VoxelPlanner, DeadlineAndCancel) {
  World w(80, 80, 80, 0.25);
  // A deadline already past fails at the first poll.
  std::string msg;
  Voxel v;
  EXPECT_EQ(KindOf([&] { w.Plan({0, 0, 0}, {79, 79, 79}, 0.0, 1e-9); }, &msg, &v),
            PlanningFailureKind::kTimedOut);
  EXPECT_EQ(v, (Voxel{0, 0, 0}));
  CancelToken token;
  token.Cancel();
  EXPECT_EQ(KindOf([&] { w.Plan({0, 0, 0}, {79, 79, 79}, 0.0, 0.0, &token); }, &msg, &v),
            PlanningFailureKind::kCancelled);
  token.Reset();
  EXPECT_NO_THROW(w.Plan({0, 0, 0}, {79, 79, 79}, 0.0, 0.0, &token));
}

TEST(VoxelPlanner, CancelFromAnotherThreadStopsALongSearch) {
  // A maze-free but hopeless search: the goal is sealed off, so A* expands the whole grid.
  World w(120, 120, 120);
  for (int l = 0; l < 3; ++l) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) {
        if (l + r + c > 0) w.Occupy(l, r, c);
      }
    }
  }
  CancelToken token;
  const auto t0 = std::chrono::steady_clock::now();
  std::thread canceller([&token] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    token.Cancel();
  });
  std::string msg;
  Voxel v;
  const PlanningFailureKind kind =
      KindOf([&] { w.Plan({119, 119, 119}, {0, 0, 0}, 0.0, 0.0, &token); }, &msg, &v);
  canceller.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Either it was cancelled, or (on a very fast machine) it proved there is no path first.
  EXPECT_TRUE(kind == PlanningFailureKind::kCancelled ||
              kind == PlanningFailureKind::kNoPathFound);
  if (kind == PlanningFailureKind::kCancelled) EXPECT_LT(elapsed, 1.0);
}

}  // namespace
}  // namespace ilrs::planning
