#include "ilrs/perception/costmap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace ilrs::perception {
namespace {

float CostOf(float slope, float rough, float step, const CostmapParams& p = {},
             float belly = 0.0f) {
  float cost = -1.0f;
  ComputeCostmap({&slope, 1, 1}, {&rough, 1, 1}, {&step, 1, 1}, {&belly, 1, 1}, p,
                 Region::Whole(1, 1), {&cost, 1, 1});
  return cost;
}

TEST(Costmap, FlatSmoothGroundCostsOne) { EXPECT_FLOAT_EQ(CostOf(0, 0, 0), 1.0f); }

TEST(Costmap, CostGrowsLinearlyWithEachLayer) {
  CostmapParams p;
  EXPECT_FLOAT_EQ(CostOf(10, 0, 0, p), 1.0f + p.slope_weight * 0.5f);
  EXPECT_FLOAT_EQ(CostOf(0, 0.04f, 0, p), 1.0f + p.roughness_weight * 0.5f);
  EXPECT_FLOAT_EQ(CostOf(0, 0, 0.125f, p), 1.0f + p.step_weight * 0.5f);
}

TEST(Costmap, AtOrBeyondAnyLimitIsLethal) {
  CostmapParams p;
  EXPECT_EQ(CostOf(p.max_slope_deg, 0, 0, p), kLethalCost);
  EXPECT_EQ(CostOf(0, p.max_roughness_m * 2, 0, p), kLethalCost);
  EXPECT_EQ(CostOf(0, 0, p.max_step_m, p), kLethalCost);
  EXPECT_EQ(CostOf(0, 0, 0, p, static_cast<float>(p.max_belly_m)), kLethalCost);
  EXPECT_EQ(CostOf(0, 0, 0, p, 1.0f), kLethalCost);
}

TEST(Costmap, BellyBelowTheClearanceCostsItsWeight) {
  CostmapParams p;
  EXPECT_FLOAT_EQ(CostOf(0, 0, 0, p, 0.2f), 1.0f);  // weight 0 by default: lethal only
  p.belly_weight = 2.0;
  EXPECT_FLOAT_EQ(CostOf(0, 0, 0, p, static_cast<float>(p.max_belly_m / 2)), 2.0f);
}

TEST(Costmap, UnknownLayerMakesUnknownCost) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(CostOf(nan, 0, 0)));
  EXPECT_TRUE(std::isnan(CostOf(0, 0, nan)));
  EXPECT_TRUE(std::isnan(CostOf(0, 0, 0, {}, nan)));
}

// A known hazard is not hidden by an unknown layer (e.g. a wheel of the footprint on unseen
// ground while the step is already too high).
TEST(Costmap, LethalWinsOverUnknown) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  CostmapParams p;
  EXPECT_EQ(CostOf(0, 0, static_cast<float>(p.max_step_m), p, nan), kLethalCost);
  EXPECT_EQ(CostOf(nan, nan, nan, p, 1.0f), kLethalCost);
  EXPECT_TRUE(std::isnan(CostOf(nan, nan, nan, p, nan)));
}

TEST(Costmap, RejectsBadParameters) {
  CostmapParams p;
  p.max_step_m = -1;
  EXPECT_THROW(CostOf(0, 0, 0, p), std::invalid_argument);
  p = {};
  p.max_slope_deg = 90;
  EXPECT_THROW(CostOf(0, 0, 0, p), std::invalid_argument);
  p = {};
  p.max_belly_m = 0;
  EXPECT_THROW(CostOf(0, 0, 0, p), std::invalid_argument);
}

}  // namespace
}  // namespace ilrs::perception
