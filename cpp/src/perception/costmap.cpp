#include "ilrs/perception/costmap.h"

#include <algorithm>
#include <cmath>
#include <string>

// The cost loop has no branches; GCC if-converts (and so vectorizes) its comparisons only when
// told that floating-point exceptions are not observed, which changes no result.
#if defined(__GNUC__) && !defined(__clang__)
#if defined(__x86_64__)
#define ILRS_COST_LOOP __attribute__((optimize("no-trapping-math"), target_clones("avx2", "default")))
#else
#define ILRS_COST_LOOP __attribute__((optimize("no-trapping-math")))
#endif
#else
#define ILRS_COST_LOOP
#endif

namespace ilrs::perception {
namespace {

void RequirePositive(double value, const char* name) {
  ILRS_THROW_IF_NOT(std::isfinite(value) && value > 0.0,
                    std::string("CostmapParams.") + name + " must be > 0, got " +
                        std::to_string(value));
}

void RequireNonNegative(double value, const char* name) {
  ILRS_THROW_IF_NOT(std::isfinite(value) && value >= 0.0,
                    std::string("CostmapParams.") + name + " must be >= 0, got " +
                        std::to_string(value));
}

// The cost of `count` cells of a row.
ILRS_COST_LOOP
void CostRow(int count, const CostmapParams& params, const float* __restrict slope_deg,
             const float* __restrict roughness_m, const float* __restrict step_m,
             const float* __restrict belly_m, float* __restrict cost) {
  const double max_slope = params.max_slope_deg, max_roughness = params.max_roughness_m;
  const double max_step = params.max_step_m, max_belly = params.max_belly_m;
  const double ws = params.slope_weight, wg = params.roughness_weight, wt = params.step_weight;
  const double wb = params.belly_weight;
  for (int i = 0; i < count; ++i) {
    const double s = slope_deg[i] / max_slope;
    const double g = roughness_m[i] / max_roughness;
    const double t = step_m[i] / max_step;
    const double b = belly_m[i] / max_belly;
    const bool unknown = (s != s) | (g != g) | (t != t) | (b != b);
    const bool lethal = (s >= 1.0) | (g >= 1.0) | (t >= 1.0) | (b >= 1.0);
    const float value = static_cast<float>(1.0 + ws * s + wg * g + wt * t + wb * b);
    cost[i] = lethal ? kLethalCost : (unknown ? kUnknownCost : value);
  }
}

}  // namespace

void CostmapParams::Validate() const {
  RequirePositive(max_slope_deg, "max_slope_deg");
  ILRS_THROW_IF_NOT(max_slope_deg < 90.0, "CostmapParams.max_slope_deg must be < 90, got " +
                                              std::to_string(max_slope_deg));
  RequirePositive(max_roughness_m, "max_roughness_m");
  RequirePositive(max_step_m, "max_step_m");
  RequireNonNegative(slope_weight, "slope_weight");
  RequireNonNegative(roughness_weight, "roughness_weight");
  RequireNonNegative(step_weight, "step_weight");
  RequirePositive(max_belly_m, "max_belly_m");
  RequireNonNegative(belly_weight, "belly_weight");
}

void ComputeCostmap(GridView<const float> slope_deg, GridView<const float> roughness_m,
                    GridView<const float> step_m, GridView<const float> belly_m,
                    const CostmapParams& params, Region region, GridView<float> cost) {
  params.Validate();
  const int rows = cost.rows(), cols = cost.cols();
  for (const GridView<const float>* layer : {&slope_deg, &roughness_m, &step_m, &belly_m}) {
    ILRS_THROW_IF_NOT(layer->rows() == rows && layer->cols() == cols,
                      "hazard layer shape (" + std::to_string(layer->rows()) + ", " +
                          std::to_string(layer->cols()) + ") differs from costmap shape (" +
                          std::to_string(rows) + ", " + std::to_string(cols) + ")");
  }
  const int r0 = std::max(0, region.row_begin), r1 = std::min(rows, region.row_end);
  const int c0 = std::max(0, region.col_begin), c1 = std::min(cols, region.col_end);
  if (c0 >= c1) return;
  for (int r = r0; r < r1; ++r) {
    CostRow(c1 - c0, params, &slope_deg(r, c0), &roughness_m(r, c0), &step_m(r, c0),
            &belly_m(r, c0), &cost(r, c0));
  }
}

}  // namespace ilrs::perception
