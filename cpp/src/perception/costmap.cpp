#include "ilrs/perception/costmap.h"

#include <algorithm>
#include <cmath>
#include <string>

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
}

void ComputeCostmap(GridView<const float> slope_deg, GridView<const float> roughness_m,
                    GridView<const float> step_m, const CostmapParams& params, Region region,
                    GridView<float> cost) {
  params.Validate();
  const int rows = cost.rows(), cols = cost.cols();
  for (const GridView<const float>* layer : {&slope_deg, &roughness_m, &step_m}) {
    ILRS_THROW_IF_NOT(layer->rows() == rows && layer->cols() == cols,
                      "hazard layer shape (" + std::to_string(layer->rows()) + ", " +
                          std::to_string(layer->cols()) + ") differs from costmap shape (" +
                          std::to_string(rows) + ", " + std::to_string(cols) + ")");
  }
  const int r0 = std::max(0, region.row_begin), r1 = std::min(rows, region.row_end);
  const int c0 = std::max(0, region.col_begin), c1 = std::min(cols, region.col_end);
  for (int r = r0; r < r1; ++r) {
    for (int c = c0; c < c1; ++c) {
      const double s = slope_deg(r, c) / params.max_slope_deg;
      const double g = roughness_m(r, c) / params.max_roughness_m;
      const double t = step_m(r, c) / params.max_step_m;
      if (std::isnan(s) || std::isnan(g) || std::isnan(t)) {
        cost(r, c) = kUnknownCost;
      } else if (s >= 1.0 || g >= 1.0 || t >= 1.0) {
        cost(r, c) = kLethalCost;
      } else {
        cost(r, c) = static_cast<float>(1.0 + params.slope_weight * s +
                                        params.roughness_weight * g + params.step_weight * t);
      }
    }
  }
}

}  // namespace ilrs::perception
