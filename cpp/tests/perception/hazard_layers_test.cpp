#include "ilrs/perception/hazard_layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "../testing/allocation_counter.h"

namespace ilrs::perception {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Layers {
  explicit Layers(int rows, int cols)
      : rows(rows), cols(cols), slope(rows * cols, -1.0f), rough(rows * cols, -1.0f),
        step(rows * cols, -1.0f), belly(rows * cols, -1.0f) {}
  HazardLayerViews views() {
    return {{slope.data(), rows, cols},
            {rough.data(), rows, cols},
            {step.data(), rows, cols},
            {belly.data(), rows, cols}};
  }
  int rows, cols;
  std::vector<float> slope, rough, step, belly;
};

HazardParams Params() {
  HazardParams p;
  p.resolution_m = 0.5;
  p.plane_window_radius_m = 1.0;  // 2 cells
  p.step_window_radius_m = 0.5;   // 1 cell
  p.belly_half_width_m = 1.0;     // 2 cells
  return p;
}

TEST(HazardLayers, TiltedPlaneHasItsSlopeAndNoRoughness) {
  const int rows = 12, cols = 10;
  std::vector<float> z(rows * cols);
  const double gx = 0.2, gy = -0.1;  // rise per metre
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) z[r * cols + c] = static_cast<float>(gx * c * 0.5 + gy * r * 0.5);
  Layers out(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), Region::Whole(rows, cols), out.views());
  const double expected = std::atan(std::hypot(gx, gy)) * 180.0 / M_PI;
  for (int i = 0; i < rows * cols; ++i) {
    EXPECT_NEAR(out.slope[i], expected, 1e-3) << "cell " << i;
    EXPECT_NEAR(out.rough[i], 0.0, 1e-4) << "cell " << i;
  }
  // A steady slope is not a step, and lifts no terrain above the wheels.
  EXPECT_NEAR(out.step[5 * cols + 5], 0.0, 1e-5);
  for (int i = 0; i < rows * cols; ++i) EXPECT_NEAR(out.belly[i], 0.0, 1e-5) << "cell " << i;
}

// A ridge under the body, between wheels on level ground, is the belly's height; a rock
// under a wheel lifts that corner and tilts the body away from the ground (no belly hazard
// beyond the twist it makes).
TEST(HazardLayers, BellyIsTheTerrainAboveTheWheelPlane) {
  const int rows = 11, cols = 11;
  std::vector<float> z(rows * cols, 50.0f);
  z[5 * cols + 5] = 50.35f;  // under the body of cell (5, 5): wheels at (3|7, 3|7)
  Layers out(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), Region::Whole(rows, cols), out.views());
  EXPECT_NEAR(out.belly[5 * cols + 5], 0.35f, 1e-5);
  EXPECT_NEAR(out.belly[4 * cols + 6], 0.35f, 1e-5);  // still under that body
  // Cell (3, 3) has a wheel on (5, 5): the wheel plane tilts up towards it, so the belly
  // is the twist: the other three corners sit 0.35 / 4 above or below the plane.
  EXPECT_NEAR(out.belly[3 * cols + 3], 0.35f / 4, 1e-5);
  EXPECT_NEAR(out.belly[0], 0.0f, 1e-6);  // far away, flat
  // Two cells beyond the body's reach: flat.
  EXPECT_NEAR(out.belly[5 * cols + 8], 0.0f, 1e-6);
}

TEST(HazardLayers, BellyIsUnknownWhenAWheelStandsOnUnknownGround) {
  const int rows = 9, cols = 9;
  std::vector<float> z(rows * cols, 2.0f);
  z[2 * cols + 2] = kNaN;  // a corner of cell (4, 4)'s footprint
  Layers out(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), Region::Whole(rows, cols), out.views());
  EXPECT_TRUE(std::isnan(out.belly[4 * cols + 4]));
  EXPECT_FALSE(std::isnan(out.slope[4 * cols + 4]));  // the other layers are assessed
  // An unknown cell under the body (not under a wheel) is simply not seen.
  EXPECT_NEAR(out.belly[3 * cols + 3], 0.0f, 1e-6);
}

TEST(HazardLayers, RockShowsAsStepAndRoughness) {
  const int rows = 9, cols = 9;
  std::vector<float> z(rows * cols, 100.0f);
  z[4 * cols + 4] = 100.4f;
  Layers out(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), Region::Whole(rows, cols), out.views());
  EXPECT_NEAR(out.step[4 * cols + 4], 0.4f, 1e-5);
  // Within one cell of the rock; the rock tilts the fitted plane a little off-centre.
  EXPECT_NEAR(out.step[3 * cols + 3], 0.4f, 0.02f);
  EXPECT_NEAR(out.step[1 * cols + 1], 0.0f, 1e-6);  // two cells away
  // One 0.4 m outlier among 25 cells: RMS residual of a flat fit is sizeable.
  EXPECT_GT(out.rough[4 * cols + 4], 0.05f);
  EXPECT_NEAR(out.rough[0], 0.0f, 1e-6);
}

TEST(HazardLayers, UnknownCellsStayUnknown) {
  const int rows = 7, cols = 7;
  std::vector<float> z(rows * cols, 0.0f);
  z[3 * cols + 3] = kNaN;
  for (int c = 0; c < cols; ++c) z[0 * cols + c] = z[1 * cols + c] = kNaN;
  Layers out(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), Region::Whole(rows, cols), out.views());
  EXPECT_TRUE(std::isnan(out.slope[3 * cols + 3]));
  EXPECT_TRUE(std::isnan(out.step[3 * cols + 3]));
  EXPECT_TRUE(std::isnan(out.belly[3 * cols + 3]));
  EXPECT_TRUE(std::isnan(out.slope[1 * cols + 3]));
  // A cell whose window is mostly known is assessed despite the holes.
  EXPECT_NEAR(out.slope[4 * cols + 4], 0.0f, 1e-6);
}

TEST(HazardLayers, OnlyTheRegionIsWritten) {
  const int rows = 6, cols = 6;
  std::vector<float> z(rows * cols, 1.0f);
  Layers out(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), {2, 1, 4, 3}, out.views());
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const bool inside = r >= 2 && r < 4 && c >= 1 && c < 3;
      EXPECT_EQ(out.slope[r * cols + c] == -1.0f, !inside) << r << "," << c;
    }
  }
}

TEST(HazardLayers, RejectsBadParametersAndShapes) {
  std::vector<float> z(16, 0.0f);
  Layers out(4, 4);
  HazardParams bad = Params();
  bad.resolution_m = 0.0;
  EXPECT_THROW(ComputeHazardLayers({z.data(), 4, 4}, bad, Region::Whole(4, 4), out.views()),
               std::invalid_argument);
  Layers wrong(4, 3);
  EXPECT_THROW(
      ComputeHazardLayers({z.data(), 4, 4}, Params(), Region::Whole(4, 4), wrong.views()),
      std::invalid_argument);
}

// The layers by their definition, one window at a time (the header's rules, in double).
void BruteForceLayers(const std::vector<float>& z, int rows, int cols, const HazardParams& p,
                      std::vector<float>& slope, std::vector<float>& rough,
                      std::vector<float>& step, std::vector<float>& belly) {
  const int pr = p.plane_radius_cells(), sr = p.step_radius_cells();
  const int br = p.belly_radius_cells();
  const double res = p.resolution_m;
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const int i = r * cols + c;
      slope[i] = rough[i] = step[i] = belly[i] = kNaN;
      if (std::isnan(z[i])) continue;
      double m[3][3] = {}, v[3] = {}, n = 0, cells = 0;
      for (int rr = std::max(0, r - pr); rr <= std::min(rows - 1, r + pr); ++rr) {
        for (int cc = std::max(0, c - pr); cc <= std::min(cols - 1, c + pr); ++cc) {
          cells += 1;
          const float h = z[rr * cols + cc];
          if (std::isnan(h)) continue;
          const double q[3] = {(cc - c) * res, (rr - r) * res, 1.0};
          for (int a = 0; a < 3; ++a) {
            for (int b = 0; b < 3; ++b) m[a][b] += q[a] * q[b];
            v[a] += q[a] * (h - z[i]);
          }
          n += 1;
        }
      }
      if (n < p.min_known_fraction * cells || n < 3) continue;
      const double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
      double k[3] = {0.0, 0.0, v[2] / n};
      if (std::abs(det) > 1e-9 * m[0][0] * m[1][1] * n) {
        for (int col = 0; col < 3; ++col) {
          double a[3][3];
          for (int x = 0; x < 3; ++x)
            for (int y = 0; y < 3; ++y) a[x][y] = (y == col) ? v[x] : m[x][y];
          k[col] = (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
                    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
                    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])) /
                   det;
        }
      }
      const auto residual = [&](int rr, int cc) {
        return (z[rr * cols + cc] - z[i]) - (k[0] * (cc - c) * res + k[1] * (rr - r) * res + k[2]);
      };
      double sum_sq = 0, lo = 1e300, hi = -1e300;
      for (int rr = std::max(0, r - pr); rr <= std::min(rows - 1, r + pr); ++rr)
        for (int cc = std::max(0, c - pr); cc <= std::min(cols - 1, c + pr); ++cc)
          if (!std::isnan(z[rr * cols + cc])) sum_sq += residual(rr, cc) * residual(rr, cc);
      for (int rr = std::max(0, r - sr); rr <= std::min(rows - 1, r + sr); ++rr)
        for (int cc = std::max(0, c - sr); cc <= std::min(cols - 1, c + sr); ++cc)
          if (!std::isnan(z[rr * cols + cc])) {
            lo = std::min(lo, residual(rr, cc));
            hi = std::max(hi, residual(rr, cc));
          }
      slope[i] = static_cast<float>(std::atan(std::hypot(k[0], k[1])) * 180.0 / M_PI);
      rough[i] = static_cast<float>(std::sqrt(sum_sq / n));
      step[i] = static_cast<float>(hi - lo);
      // Belly: least-squares plane through the clipped footprint's corners, by the normal
      // equations of its four points, then the highest known height above it.
      const int ra = std::max(0, r - br), rb = std::min(rows - 1, r + br);
      const int ca = std::max(0, c - br), cb = std::min(cols - 1, c + br);
      double wm[3][3] = {}, wv[3] = {};
      bool corners_known = true;
      for (const auto& [rr, cc] : {std::pair{ra, ca}, {ra, cb}, {rb, ca}, {rb, cb}}) {
        const double h = z[rr * cols + cc];
        corners_known &= !std::isnan(h);
        const double q[3] = {static_cast<double>(cc - c), static_cast<double>(rr - r), 1.0};
        for (int a = 0; a < 3; ++a) {
          for (int b = 0; b < 3; ++b) wm[a][b] += q[a] * q[b];
          wv[a] += q[a] * h;
        }
      }
      if (!corners_known) continue;
      // The corners' x and y are uncorrelated (a rectangle), so the normal equations are
      // diagonal once centred; a zero-width side has no tilt along it.
      const double xm = wm[0][2] / 4, ym = wm[1][2] / 4, zm = wv[2] / 4;
      const double vxx = wm[0][0] - 4 * xm * xm, vyy = wm[1][1] - 4 * ym * ym;
      const double wa = vxx > 0 ? (wv[0] - 4 * xm * zm) / vxx : 0.0;
      const double wb = vyy > 0 ? (wv[1] - 4 * ym * zm) / vyy : 0.0;
      double top = -1e300;
      for (int rr = ra; rr <= rb; ++rr)
        for (int cc = ca; cc <= cb; ++cc)
          if (!std::isnan(z[rr * cols + cc]))
            top = std::max(top, z[rr * cols + cc] - (zm + wa * (cc - c - xm) + wb * (rr - r - ym)));
      belly[i] = static_cast<float>(top);
    }
  }
}

std::vector<float> RandomTerrain(int rows, int cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0.0f, 0.05f);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  std::vector<float> z(rows * cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      z[r * cols + c] = unit(rng) < 0.1f ? kNaN : 500.0f + 0.1f * c - 0.05f * r + noise(rng);
  return z;
}

// Windows of different sizes (step wider than plane and narrower), against the definition.
TEST(HazardLayers, MatchesTheDefinitionForUnequalWindows) {
  const int rows = 23, cols = 31;
  const std::vector<float> z = RandomTerrain(rows, cols, 3);
  for (const auto& [plane_m, step_m, belly_m] :
       {std::tuple{1.0, 1.5, 1.0}, std::tuple{1.5, 0.5, 2.0}, std::tuple{0.5, 1.0, 1.5}}) {
    HazardParams p = Params();
    p.plane_window_radius_m = plane_m;
    p.step_window_radius_m = step_m;
    p.belly_half_width_m = belly_m;
    Layers out(rows, cols), ref(rows, cols);
    ComputeHazardLayers({z.data(), rows, cols}, p, Region::Whole(rows, cols), out.views());
    BruteForceLayers(z, rows, cols, p, ref.slope, ref.rough, ref.step, ref.belly);
    for (int i = 0; i < rows * cols; ++i) {
      ASSERT_EQ(std::isnan(out.slope[i]), std::isnan(ref.slope[i])) << "cell " << i;
      if (std::isnan(ref.slope[i])) continue;
      EXPECT_NEAR(out.slope[i], ref.slope[i], 1e-3) << "cell " << i;
      EXPECT_NEAR(out.rough[i], ref.rough[i], 2e-5) << "cell " << i;
      EXPECT_NEAR(out.step[i], ref.step[i], 2e-5) << "cell " << i;
      ASSERT_EQ(std::isnan(out.belly[i]), std::isnan(ref.belly[i])) << "cell " << i;
      if (!std::isnan(ref.belly[i])) EXPECT_NEAR(out.belly[i], ref.belly[i], 2e-5) << "cell " << i;
    }
  }
}

// A region recomputed on its own gives the same bits as the whole grid.
TEST(HazardLayers, RegionEqualsWholeGridBitForBit) {
  const int rows = 40, cols = 53;
  const std::vector<float> z = RandomTerrain(rows, cols, 5);
  Layers whole(rows, cols), part(rows, cols);
  ComputeHazardLayers({z.data(), rows, cols}, Params(), Region::Whole(rows, cols), whole.views());
  const Region region{7, 11, 29, 40};
  ComputeHazardLayers({z.data(), rows, cols}, Params(), region, part.views());
  for (int r = region.row_begin; r < region.row_end; ++r) {
    for (int c = region.col_begin; c < region.col_end; ++c) {
      const int i = r * cols + c;
      for (std::vector<float> Layers::*layer :
           {&Layers::slope, &Layers::rough, &Layers::step, &Layers::belly}) {
        const float a = (whole.*layer)[i], b = (part.*layer)[i];
        EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || a == b) << r << "," << c;
      }
    }
  }
}

// After a first call has sized the scratch, a call on a grid no wider allocates nothing.
TEST(HazardLayers, NoHeapAllocationAfterWarmUp) {
  const int rows = 300, cols = 400;
  const std::vector<float> z = RandomTerrain(rows, cols, 7);
  Layers out(rows, cols);
  const GridView<const float> grid{z.data(), rows, cols};
  const HazardLayerViews views = out.views();
  ComputeHazardLayers(grid, Params(), Region::Whole(rows, cols), views);  // warm-up
  const long before = testing::AllocationCount();
  ComputeHazardLayers(grid, Params(), Region::Whole(rows, cols), views);
  ComputeHazardLayers(grid, Params(), {10, 20, 200, 300}, views);
  EXPECT_EQ(testing::AllocationCount() - before, 0);
}

}  // namespace
}  // namespace ilrs::perception
