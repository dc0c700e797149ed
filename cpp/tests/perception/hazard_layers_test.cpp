#include "ilrs/perception/hazard_layers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ilrs::perception {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Layers {
  explicit Layers(int rows, int cols)
      : rows(rows), cols(cols), slope(rows * cols, -1.0f), rough(rows * cols, -1.0f),
        step(rows * cols, -1.0f) {}
  HazardLayerViews views() {
    return {{slope.data(), rows, cols}, {rough.data(), rows, cols}, {step.data(), rows, cols}};
  }
  int rows, cols;
  std::vector<float> slope, rough, step;
};

HazardParams Params() {
  HazardParams p;
  p.resolution_m = 0.5;
  p.plane_window_radius_m = 1.0;  // 2 cells
  p.step_window_radius_m = 0.5;   // 1 cell
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
  // A steady slope is not a step.
  EXPECT_NEAR(out.step[5 * cols + 5], 0.0, 1e-5);
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

}  // namespace
}  // namespace ilrs::perception
