#include "ilrs/perception/voxel_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "ilrs/core/voxel_ray.h"

namespace ilrs::perception {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

VoxelGeometry Geometry(int layers, int rows, int cols, double resolution_m,
                       double ox = 0.0, double oy = 0.0, double oz = 0.0) {
  VoxelGeometry g;
  g.origin_m[0] = ox;
  g.origin_m[1] = oy;
  g.origin_m[2] = oz;
  g.resolution_m = resolution_m;
  g.layers = layers;
  g.rows = rows;
  g.cols = cols;
  return g;
}

struct Visit {
  Voxel voxel;
  std::size_t index;
  double t_enter;
  double t_exit;
};

std::vector<Visit> Walk(const VoxelGeometry& g, const double a[3], const double b[3]) {
  std::vector<Visit> visits;
  WalkSegment(g, a, b, [&](const Voxel& v, std::size_t index, double t0, double t1) {
    visits.push_back({v, index, t0, t1});
    return true;
  });
  return visits;
}

// The exact part [t0, t1] of the segment inside voxel v's closed box (t0 > t1 if none).
void SlabInterval(const VoxelGeometry& g, const Voxel& v, const double a[3], const double b[3],
                  double* t0, double* t1) {
  const int cell[3] = {v.col, v.row, v.layer};
  *t0 = 0.0;
  *t1 = 1.0;
  for (int axis = 0; axis < 3; ++axis) {
    const double lo = g.origin_m[axis] + cell[axis] * g.resolution_m;
    const double hi = lo + g.resolution_m;
    const double d = b[axis] - a[axis];
    if (d == 0.0) {
      if (a[axis] < lo || a[axis] > hi) *t0 = kInf;
      continue;
    }
    double e0 = (lo - a[axis]) / d, e1 = (hi - a[axis]) / d;
    if (e0 > e1) std::swap(e0, e1);
    *t0 = std::max(*t0, e0);
    *t1 = std::min(*t1, e1);
  }
}

bool FaceNeighbours(const Voxel& a, const Voxel& b) {
  return std::abs(a.layer - b.layer) + std::abs(a.row - b.row) + std::abs(a.col - b.col) == 1;
}

// --- The exact traversal --------------------------------------------------------------------

TEST(WalkSegment, VisitsExactlyTheVoxelsARayCrosses) {
  // A grid with an awkward origin and resolution, and random segments whose ends fall inside
  // and outside it, checked against dense sampling and against exact slab intersections.
  const VoxelGeometry g = Geometry(7, 9, 11, 0.37, -1.3, 2.1, -0.7);
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> ux(-3.0, 4.0), uy(0.5, 6.0), uz(-2.0, 3.0);
  constexpr int kSamples = 20000;
  for (int trial = 0; trial < 1500; ++trial) {
    const double a[3] = {ux(rng), uy(rng), uz(rng)};
    const double b[3] = {ux(rng), uy(rng), uz(rng)};
    const double length = std::sqrt((b[0] - a[0]) * (b[0] - a[0]) +
                                    (b[1] - a[1]) * (b[1] - a[1]) +
                                    (b[2] - a[2]) * (b[2] - a[2]));
    const std::vector<Visit> visits = Walk(g, a, b);
    SCOPED_TRACE("trial " + std::to_string(trial));

    // Reference: the voxels of dense samples, in order, without repeats.
    std::vector<Voxel> sampled;
    for (int k = 0; k < kSamples; ++k) {
      const double t = (k + 0.5) / kSamples;
      const double p[3] = {a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]),
                           a[2] + t * (b[2] - a[2])};
      Voxel v;
      if (g.VoxelOf(p, &v) && (sampled.empty() || sampled.back() != v)) sampled.push_back(v);
    }
    // Every sampled voxel is visited, in the same order.
    std::size_t j = 0;
    for (const Visit& visit : visits) {
      if (j < sampled.size() && visit.voxel == sampled[j]) ++j;
    }
    ASSERT_EQ(j, sampled.size());

    for (std::size_t i = 0; i < visits.size(); ++i) {
      const Visit& visit = visits[i];
      ASSERT_TRUE(g.Contains(visit.voxel));
      ASSERT_EQ(visit.index, g.Index(visit.voxel));
      // Each visit is the exact part of the segment inside that voxel ...
      double t0, t1;
      SlabInterval(g, visit.voxel, a, b, &t0, &t1);
      ASSERT_LE(t0, t1 + 1e-12);
      ASSERT_NEAR(visit.t_enter, t0, 1e-9);
      ASSERT_NEAR(visit.t_exit, t1, 1e-9);
      // ... so any voxel the samples missed holds less of the segment than a sample spacing.
      if (std::find(sampled.begin(), sampled.end(), visit.voxel) == sampled.end()) {
        ASSERT_LT((t1 - t0) * length, 2.0 * length / kSamples);
      }
      if (i > 0) {
        ASSERT_TRUE(FaceNeighbours(visits[i - 1].voxel, visit.voxel));
        ASSERT_DOUBLE_EQ(visits[i - 1].t_exit, visit.t_enter);
      }
      for (std::size_t k = 0; k < i; ++k) ASSERT_NE(visits[k].voxel, visit.voxel);
    }
  }
}

TEST(WalkSegment, AxisAlignedAndDiagonalRays) {
  const VoxelGeometry g = Geometry(4, 4, 4, 1.0);
  // Along a row, from the middle of col 0 to the middle of col 3.
  const double a[3] = {0.5, 1.5, 2.5}, b[3] = {3.5, 1.5, 2.5};
  std::vector<Visit> v = Walk(g, a, b);
  ASSERT_EQ(v.size(), 4u);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(v[c].voxel, (Voxel{2, 1, c}));
  EXPECT_DOUBLE_EQ(v[0].t_exit, 1.0 / 6.0);
  // Backwards along z, starting outside the grid.
  const double c0[3] = {2.5, 0.5, 9.0}, c1[3] = {2.5, 0.5, 1.5};
  v = Walk(g, c0, c1);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v.front().voxel, (Voxel{3, 0, 2}));
  EXPECT_EQ(v.back().voxel, (Voxel{1, 0, 2}));
  EXPECT_DOUBLE_EQ(v.front().t_enter, 5.0 / 7.5);
  // Through the corners of the main diagonal: the diagonal voxels, with face neighbours in
  // between that the segment only touches.
  const double d0[3] = {0.0, 0.0, 0.0}, d1[3] = {4.0, 4.0, 4.0};
  v = Walk(g, d0, d1);
  std::vector<Voxel> diagonal;
  for (const Visit& visit : v) {
    if (visit.t_exit > visit.t_enter) diagonal.push_back(visit.voxel);
  }
  ASSERT_EQ(diagonal.size(), 4u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(diagonal[i], (Voxel{i, i, i}));
  // A zero-length segment visits its voxel; one that misses the grid visits nothing.
  const double p[3] = {1.2, 3.4, 0.1};
  v = Walk(g, p, p);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].voxel, (Voxel{0, 3, 1}));
  const double m0[3] = {-1.0, 5.0, 0.5}, m1[3] = {5.0, 4.5, 0.5};
  EXPECT_TRUE(Walk(g, m0, m1).empty());
}

TEST(WalkSegment, StopsWhenTheVisitorSaysSo) {
  const VoxelGeometry g = Geometry(1, 1, 10, 1.0);
  const double a[3] = {0.5, 0.5, 0.5}, b[3] = {9.5, 0.5, 0.5};
  int seen = 0;
  EXPECT_FALSE(WalkSegment(g, a, b, [&](const Voxel&, std::size_t, double, double) {
    return ++seen < 3;
  }));
  EXPECT_EQ(seen, 3);
}

TEST(WalkSegment, NonFiniteEndsThrow) {
  const VoxelGeometry g = Geometry(2, 2, 2, 1.0);
  const double a[3] = {0.5, 0.5, 0.5}, b[3] = {0.5, NAN, 0.5};
  EXPECT_THROW(Walk(g, a, b), std::invalid_argument);
}

// --- Fusion ---------------------------------------------------------------------------------

TEST(VoxelMap, StartsUnknown) {
  VoxelMap map(Geometry(2, 3, 4, 0.5));
  EXPECT_EQ(map.State({1, 2, 3}), VoxelState::kUnknown);
  EXPECT_TRUE(std::isnan(map.log_odds()(1, 2, 3)));
  EXPECT_EQ(map.occupied_count() + map.free_count(), 0u);
  EXPECT_EQ(map.State({5, 0, 0}), VoxelState::kUnknown);  // outside
}

TEST(VoxelMap, ASingleRayMarksFreeThenOccupied) {
  VoxelMap map(Geometry(1, 1, 10, 1.0));
  const OccupancyParams& p = map.params();
  const float point[] = {7.5f, 0.5f, 0.5f};
  const double sensor[3] = {0.5, 0.5, 0.5};
  const InsertionResult r = map.InsertPointCloud(point, 1, sensor, 20.0);
  EXPECT_EQ(r.points_used, 1u);
  EXPECT_EQ(r.changed.col_begin, 0);
  EXPECT_EQ(r.changed.col_end, 8);
  EXPECT_EQ(r.changed.voxel_count(), 8);
  for (int c = 0; c < 7; ++c) {
    EXPECT_EQ(map.State({0, 0, c}), VoxelState::kFree) << c;
    EXPECT_FLOAT_EQ(map.log_odds()(0, 0, c), p.miss_log_odds);
  }
  EXPECT_EQ(map.State({0, 0, 7}), VoxelState::kOccupied);
  EXPECT_FLOAT_EQ(map.log_odds()(0, 0, 7), p.hit_log_odds);
  EXPECT_EQ(map.State({0, 0, 8}), VoxelState::kUnknown);
  EXPECT_EQ(map.free_count(), 7u);
  EXPECT_EQ(map.occupied_count(), 1u);
}

TEST(VoxelMap, RepeatedHitsSaturateAtTheClamp) {
  VoxelMap map(Geometry(1, 1, 6, 1.0));
  const float point[] = {4.5f, 0.5f, 0.5f};
  const double sensor[3] = {0.5, 0.5, 0.5};
  InsertionResult r;
  for (int scan = 0; scan < 12; ++scan) r = map.InsertPointCloud(point, 1, sensor, 20.0);
  EXPECT_FLOAT_EQ(map.log_odds()(0, 0, 4), map.params().max_log_odds);
  EXPECT_FLOAT_EQ(map.log_odds()(0, 0, 0), map.params().min_log_odds);
  EXPECT_TRUE(r.changed.empty());  // nothing changes once saturated
  // A saturated wall takes the same few misses to clear as the clamp allows, no more.
  const float through[] = {5.5f, 0.5f, 0.5f};
  int misses = 0;
  while (map.State({0, 0, 4}) == VoxelState::kOccupied) {
    map.InsertPointCloud(through, 1, sensor, 20.0);
    ++misses;
  }
  EXPECT_EQ(misses, static_cast<int>(std::floor(map.params().max_log_odds /
                                                -map.params().miss_log_odds)) + 1);
}

TEST(VoxelMap, PointsBeyondMaxRangeClearUpToItAndHitNothing) {
  VoxelMap map(Geometry(1, 1, 10, 1.0));
  const float point[] = {9.5f, 0.5f, 0.5f};
  const double sensor[3] = {0.5, 0.5, 0.5};
  const InsertionResult r = map.InsertPointCloud(point, 1, sensor, 4.2);
  EXPECT_EQ(r.beyond_max_range, 1u);
  for (int c = 0; c <= 4; ++c) EXPECT_EQ(map.State({0, 0, c}), VoxelState::kFree) << c;
  for (int c = 5; c < 10; ++c) EXPECT_EQ(map.State({0, 0, c}), VoxelState::kUnknown) << c;
  EXPECT_EQ(map.occupied_count(), 0u);
}

TEST(VoxelMap, AHitWinsOverMissesInTheSameScan) {
  VoxelMap map(Geometry(1, 1, 10, 1.0));
  // The second ray passes through the voxel the first one hits.
  const float points[] = {3.5f, 0.5f, 0.5f, 8.5f, 0.5f, 0.5f};
  const double sensor[3] = {0.5, 0.5, 0.5};
  map.InsertPointCloud(points, 2, sensor, 20.0);
  EXPECT_EQ(map.State({0, 0, 3}), VoxelState::kOccupied);
  EXPECT_FLOAT_EQ(map.log_odds()(0, 0, 3), map.params().hit_log_odds);
  // Each touched voxel is updated once per scan, however many rays cross it.
  EXPECT_FLOAT_EQ(map.log_odds()(0, 0, 1), map.params().miss_log_odds);
}

TEST(VoxelMap, SensorAndPointsOutsideTheGrid) {
  VoxelMap map(Geometry(1, 1, 4, 1.0, 10.0, 0.0, 0.0));
  const float points[] = {20.0f, 0.5f, 0.5f, 12.5f, 0.5f, 0.5f};
  const double sensor[3] = {0.0, 0.5, 0.5};
  const InsertionResult r = map.InsertPointCloud(points, 2, sensor, 50.0);
  EXPECT_EQ(r.hits_outside_grid, 1u);
  EXPECT_EQ(map.State({0, 0, 0}), VoxelState::kFree);
  EXPECT_EQ(map.State({0, 0, 1}), VoxelState::kFree);
  EXPECT_EQ(map.State({0, 0, 2}), VoxelState::kOccupied);
  EXPECT_EQ(map.State({0, 0, 3}), VoxelState::kFree);
}

// --- Frontiers ------------------------------------------------------------------------------

constexpr float kU = NAN;    // unknown
constexpr float kF = -1.0f;  // free
constexpr float kO = 1.0f;   // occupied

TEST(VoxelMap, FrontiersOnAHandMadeMap) {
  // One row: free, free, unknown, occupied, free. The grid's outside is not unknown, and a free
  // voxel beside an occupied one is not a frontier.
  VoxelMap line(Geometry(1, 1, 5, 1.0));
  const std::vector<float> cells = {kF, kF, kU, kO, kF};
  line.SetLogOdds({cells.data(), 1, 1, 5});
  EXPECT_EQ(line.Frontiers(), (std::vector<Voxel>{{0, 0, 1}}));

  // A free 3x3x3 cube around one unknown voxel: its six face neighbours are the frontiers,
  // the edge and corner neighbours are not.
  VoxelMap cube(Geometry(3, 3, 3, 1.0));
  std::vector<float> all_free(27, kF);
  all_free[13] = kU;
  cube.SetLogOdds({all_free.data(), 3, 3, 3});
  const std::vector<Voxel> expected = {{0, 1, 1}, {1, 0, 1}, {1, 1, 0},
                                       {1, 1, 2}, {1, 2, 1}, {2, 1, 1}};
  EXPECT_EQ(cube.Frontiers(), expected);
  EXPECT_EQ(cube.Frontiers({1, 0, 0, 2, 3, 3}),
            (std::vector<Voxel>{{1, 0, 1}, {1, 1, 0}, {1, 1, 2}, {1, 2, 1}}));
  EXPECT_TRUE(cube.Frontiers({0, 0, 0, 0, 3, 3}).empty());
}

// Two layers: the top one unknown, so every free voxel of the bottom one is a frontier.
VoxelMap FrontierPattern(const std::vector<Voxel>& free_bottom, int rows, int cols) {
  VoxelMap map(Geometry(2, rows, cols, 0.5));
  std::vector<float> cells(2 * rows * cols, kU);
  for (int i = 0; i < rows * cols; ++i) cells[i] = kO;
  for (const Voxel& v : free_bottom) cells[v.row * cols + v.col] = kF;
  map.SetLogOdds({cells.data(), 2, rows, cols});
  return map;
}

TEST(VoxelMap, FrontierClustersBy6And26Connectivity) {
  // A line of four, a diagonal pair, and a single voxel.
  const std::vector<Voxel> free_bottom = {{0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3},
                                          {0, 3, 5}, {0, 4, 6}, {0, 4, 0}};
  const VoxelMap map = FrontierPattern(free_bottom, 6, 8);
  ASSERT_EQ(map.Frontiers().size(), free_bottom.size());

  const std::vector<FrontierCluster> c26 = map.FrontierClusters(Connectivity::kFull26);
  ASSERT_EQ(c26.size(), 3u);
  EXPECT_EQ(c26[0].size(), 4u);
  EXPECT_EQ(c26[1].size(), 2u);
  EXPECT_EQ(c26[2].size(), 1u);
  // The line: centroid between its middle voxels, goal the first of them, bounds tight.
  EXPECT_DOUBLE_EQ(c26[0].centroid_m[0], 1.0);
  EXPECT_DOUBLE_EQ(c26[0].centroid_m[1], 0.25);
  EXPECT_DOUBLE_EQ(c26[0].centroid_m[2], 0.25);
  EXPECT_EQ(c26[0].goal, (Voxel{0, 0, 1}));
  EXPECT_EQ(c26[0].bounds.col_begin, 0);
  EXPECT_EQ(c26[0].bounds.col_end, 4);
  EXPECT_EQ(c26[0].bounds.voxel_count(), 4);
  EXPECT_EQ(c26[1].voxels, (std::vector<Voxel>{{0, 3, 5}, {0, 4, 6}}));

  // By faces only the diagonal pair splits; equal sizes keep storage order of their first
  // voxel.
  const std::vector<FrontierCluster> c6 = map.FrontierClusters(Connectivity::kFaces6);
  ASSERT_EQ(c6.size(), 4u);
  EXPECT_EQ(c6[0].size(), 4u);
  EXPECT_EQ(c6[1].voxels, (std::vector<Voxel>{{0, 3, 5}}));
  EXPECT_EQ(c6[2].voxels, (std::vector<Voxel>{{0, 4, 0}}));
  EXPECT_EQ(c6[3].voxels, (std::vector<Voxel>{{0, 4, 6}}));
  EXPECT_EQ(map.FrontierClusters(Connectivity::kFaces6, 2).size(), 1u);
}

TEST(VoxelMap, ClusterGoalIsAMemberWhenTheCentroidIsNot) {
  // A ring of eight around an occupied centre: its centroid is the centre, which is occupied.
  std::vector<Voxel> ring;
  for (int r = 1; r <= 3; ++r) {
    for (int c = 1; c <= 3; ++c) {
      if (r != 2 || c != 2) ring.push_back({0, r, c});
    }
  }
  const VoxelMap map = FrontierPattern(ring, 5, 5);
  const std::vector<FrontierCluster> clusters = map.FrontierClusters(Connectivity::kFull26);
  ASSERT_EQ(clusters.size(), 1u);
  EXPECT_DOUBLE_EQ(clusters[0].centroid_m[0], 1.25);
  EXPECT_DOUBLE_EQ(clusters[0].centroid_m[1], 1.25);
  EXPECT_EQ(map.State(clusters[0].goal), VoxelState::kFree);
  EXPECT_EQ(clusters[0].goal, (Voxel{0, 1, 2}));  // first of the four nearest
}

// --- Distance field -------------------------------------------------------------------------

void ExpectDistanceFieldMatchesBruteForce(const VoxelGeometry& g, double occupied_fraction,
                                          unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<float> cells(g.voxel_count());
  for (float& c : cells) {
    const double x = u(rng);
    c = x < occupied_fraction ? kO : (x < 0.3 ? kU : kF);
  }
  VoxelMap map(g);
  map.SetLogOdds({cells.data(), g.layers, g.rows, g.cols});

  for (const bool unknown_is_obstacle : {false, true}) {
    const VoxelGridView<const float> field = map.DistanceField({unknown_is_obstacle});
    for (std::size_t i = 0; i < g.voxel_count(); ++i) {
      const Voxel v = g.VoxelAtIndex(i);
      double best = kInf;
      for (std::size_t j = 0; j < g.voxel_count(); ++j) {
        const VoxelState s = map.State(g.VoxelAtIndex(j));
        if (s != VoxelState::kOccupied && !(unknown_is_obstacle && s == VoxelState::kUnknown)) {
          continue;
        }
        const Voxel w = g.VoxelAtIndex(j);
        const double d2 = (v.layer - w.layer) * (v.layer - w.layer) +
                          (v.row - w.row) * (v.row - w.row) + (v.col - w.col) * (v.col - w.col);
        best = std::min(best, std::sqrt(d2) * g.resolution_m);
      }
      if (std::isinf(best)) {
        ASSERT_TRUE(std::isinf(field(v))) << "voxel " << i;
      } else {
        ASSERT_NEAR(field(v), best, 1e-5) << "voxel " << i << " unknown " << unknown_is_obstacle;
      }
    }
  }
}

TEST(VoxelMap, DistanceFieldMatchesBruteForce) {
  // Grids narrower and wider than the blocks strided lines are gathered in, dense and sparse.
  ExpectDistanceFieldMatchesBruteForce(Geometry(6, 7, 9, 0.3, 1.0, -2.0, 0.5), 0.04, 11);
  ExpectDistanceFieldMatchesBruteForce(Geometry(5, 21, 37, 0.5), 0.002, 12);
  ExpectDistanceFieldMatchesBruteForce(Geometry(3, 18, 17, 0.2), 0.3, 13);

  const VoxelGeometry g = Geometry(6, 7, 9, 0.3, 1.0, -2.0, 0.5);
  VoxelMap map(g);
  std::vector<float> cells(g.voxel_count(), kF);
  cells[g.Index({3, 2, 4})] = kO;
  map.SetLogOdds({cells.data(), g.layers, g.rows, g.cols});
  // Clearance reads the field at the voxel holding the point, and is NaN outside.
  const double inside[3] = {1.0 + 4.5 * 0.3, -2.0 + 2.2 * 0.3, 0.5 + 3.9 * 0.3};
  EXPECT_EQ(map.Clearance(inside, {}), 0.0);
  const double beside[3] = {1.0 + 6.5 * 0.3, -2.0 + 2.2 * 0.3, 0.5 + 3.9 * 0.3};
  EXPECT_NEAR(map.Clearance(beside, {}), 2 * 0.3, 1e-6);
  const double outside[3] = {0.0, 0.0, 0.0};
  EXPECT_TRUE(std::isnan(map.Clearance(outside, {})));
}

TEST(VoxelMap, DistanceFieldIsRecomputedAfterTheMapChanges) {
  VoxelMap map(Geometry(1, 1, 10, 1.0));
  const double sensor[3] = {0.5, 0.5, 0.5};
  EXPECT_TRUE(std::isinf(map.DistanceField({})(0, 0, 3)));  // no obstacle at all
  const float wall[] = {8.5f, 0.5f, 0.5f};
  map.InsertPointCloud(wall, 1, sensor, 20.0);
  EXPECT_FLOAT_EQ(map.DistanceField({})(0, 0, 3), 5.0f);
  EXPECT_FLOAT_EQ(map.DistanceField({true})(0, 0, 3), 5.0f);
  EXPECT_FLOAT_EQ(map.DistanceField({true})(0, 0, 9), 0.0f);  // unknown
  const float nearer[] = {5.5f, 0.5f, 0.5f};
  map.InsertPointCloud(nearer, 1, sensor, 20.0);
  EXPECT_FLOAT_EQ(map.DistanceField({})(0, 0, 3), 2.0f);
}

// --- Bad input ------------------------------------------------------------------------------

TEST(VoxelMap, NonFinitePointsAreSkippedAndCounted) {
  VoxelMap map(Geometry(1, 1, 10, 1.0));
  const float points[] = {NAN, 0.5f, 0.5f, 3.5f, 0.5f, 0.5f, 2.0f, INFINITY, 0.5f,
                          5.5f, 0.5f, -INFINITY};
  const double sensor[3] = {0.5, 0.5, 0.5};
  const InsertionResult r = map.InsertPointCloud(points, 4, sensor, 20.0);
  EXPECT_EQ(r.skipped_nonfinite, 3u);
  EXPECT_EQ(r.points_used, 1u);
  EXPECT_EQ(map.occupied_count(), 1u);
  EXPECT_EQ(map.free_count(), 3u);
}

void ExpectThrowMentioning(const std::function<void()>& f, const std::string& field) {
  try {
    f();
    ADD_FAILURE() << "no exception for " << field;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(VoxelMap, BadGeometryAndParamsThrowNamingTheField) {
  ExpectThrowMentioning([] { VoxelMap m(Geometry(2, 2, 2, 0.0)); }, "resolution_m");
  ExpectThrowMentioning([] { VoxelMap m(Geometry(2, 2, 2, NAN)); }, "resolution_m");
  ExpectThrowMentioning([] { VoxelMap m(Geometry(2, 0, 2, 1.0)); }, "(layers, rows, cols)");
  ExpectThrowMentioning([] { VoxelMap m(Geometry(2, 2, 2, 1.0, INFINITY)); }, "origin_m[0]");
  ExpectThrowMentioning([] { VoxelMap m(Geometry(2048, 2048, 2048, 1.0)); }, "2^31");
  OccupancyParams p;
  p.hit_log_odds = -1.0f;
  ExpectThrowMentioning([&] { VoxelMap m(Geometry(2, 2, 2, 1.0), p); }, "hit_log_odds");
  p = {};
  p.miss_log_odds = NAN;
  ExpectThrowMentioning([&] { VoxelMap m(Geometry(2, 2, 2, 1.0), p); }, "miss_log_odds");
  p = {};
  p.max_log_odds = -3.0f;
  ExpectThrowMentioning([&] { VoxelMap m(Geometry(2, 2, 2, 1.0), p); }, "max_log_odds");
}

TEST(VoxelMap, BadInsertionArgumentsThrowAndLeaveTheMapUntouched) {
  VoxelMap map(Geometry(1, 1, 10, 1.0));
  const float point[] = {3.5f, 0.5f, 0.5f};
  const double sensor[3] = {0.5, 0.5, 0.5};
  const double bad_sensor[3] = {0.5, NAN, 0.5};
  ExpectThrowMentioning([&] { map.InsertPointCloud(point, 1, bad_sensor, 20.0); },
                        "sensor_xyz_m[1]");
  ExpectThrowMentioning([&] { map.InsertPointCloud(point, 1, sensor, 0.0); }, "max_range_m");
  ExpectThrowMentioning([&] { map.InsertPointCloud(point, 1, sensor, NAN); }, "max_range_m");
  EXPECT_EQ(map.free_count() + map.occupied_count(), 0u);
  std::vector<float> wrong(9, 0.0f);
  ExpectThrowMentioning([&] { map.SetLogOdds({wrong.data(), 1, 1, 9}); }, "log_odds shape");
}

}  // namespace
}  // namespace ilrs::perception
