#include "ilrs/perception/hazard_layers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace ilrs::perception {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kRadToDeg = 57.29577951308232;

int RadiusCells(double radius_m, double resolution_m) {
  return std::max(1, static_cast<int>(std::lround(radius_m / resolution_m)));
}

// Determinant of m, or of m with column `replace` swapped for v (replace < 0: none).
double Det3(const double m[3][3], const double v[3], int replace) {
  double a[3][3];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) a[i][j] = (j == replace) ? v[i] : m[i][j];
  }
  return a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
         a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
         a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
}

}  // namespace

int HazardParams::plane_radius_cells() const {
  return RadiusCells(plane_window_radius_m, resolution_m);
}
int HazardParams::step_radius_cells() const {
  return RadiusCells(step_window_radius_m, resolution_m);
}

void HazardParams::Validate() const {
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "HazardParams.resolution_m must be > 0, got " + std::to_string(resolution_m));
  ILRS_THROW_IF_NOT(std::isfinite(plane_window_radius_m) && plane_window_radius_m > 0.0,
                    "HazardParams.plane_window_radius_m must be > 0, got " +
                        std::to_string(plane_window_radius_m));
  ILRS_THROW_IF_NOT(std::isfinite(step_window_radius_m) && step_window_radius_m > 0.0,
                    "HazardParams.step_window_radius_m must be > 0, got " +
                        std::to_string(step_window_radius_m));
  ILRS_THROW_IF_NOT(min_known_fraction > 0.0 && min_known_fraction <= 1.0,
                    "HazardParams.min_known_fraction must be in (0, 1], got " +
                        std::to_string(min_known_fraction));
  ILRS_THROW_IF_NOT(plane_radius_cells() <= 64 && step_radius_cells() <= 64,
                    "HazardParams: a window is wider than 64 cells at this resolution");
}

void ComputeHazardLayers(GridView<const float> elevation_m, const HazardParams& params,
                         Region region, const HazardLayerViews& out) {
  params.Validate();
  const int rows = elevation_m.rows();
  const int cols = elevation_m.cols();
  for (const GridView<float>* layer : {&out.slope_deg, &out.roughness_m, &out.step_m}) {
    ILRS_THROW_IF_NOT(layer->rows() == rows && layer->cols() == cols,
                      "hazard layer shape (" + std::to_string(layer->rows()) + ", " +
                          std::to_string(layer->cols()) + ") differs from elevation shape (" +
                          std::to_string(rows) + ", " + std::to_string(cols) + ")");
  }
  const Region area = region.Dilated(0, rows, cols);
  const int pr = params.plane_radius_cells();
  const int sr = params.step_radius_cells();
  const double res = params.resolution_m;

  for (int r = area.row_begin; r < area.row_end; ++r) {
    for (int c = area.col_begin; c < area.col_end; ++c) {
      const float centre = elevation_m(r, c);
      if (std::isnan(centre)) {
        out.slope_deg(r, c) = out.roughness_m(r, c) = out.step_m(r, c) = kNaN;
        continue;
      }

      // Least-squares plane over the window, in coordinates relative to the centre cell.
      const int r0 = std::max(0, r - pr), r1 = std::min(rows - 1, r + pr);
      const int c0 = std::max(0, c - pr), c1 = std::min(cols - 1, c + pr);
      double n = 0, sx = 0, sy = 0, sz = 0, sxx = 0, syy = 0, sxy = 0, sxz = 0, syz = 0;
      for (int rr = r0; rr <= r1; ++rr) {
        for (int cc = c0; cc <= c1; ++cc) {
          const float h = elevation_m(rr, cc);
          if (std::isnan(h)) continue;
          const double x = (cc - c) * res, y = (rr - r) * res, z = h - centre;
          n += 1; sx += x; sy += y; sz += z;
          sxx += x * x; syy += y * y; sxy += x * y; sxz += x * z; syz += y * z;
        }
      }
      const double window_cells = static_cast<double>(r1 - r0 + 1) * (c1 - c0 + 1);
      if (n < params.min_known_fraction * window_cells || n < 3) {
        out.slope_deg(r, c) = out.roughness_m(r, c) = out.step_m(r, c) = kNaN;
        continue;
      }
      // Normal equations of the plane z = a*x + b*y + d, solved by Cramer's rule.
      const double m[3][3] = {{sxx, sxy, sx}, {sxy, syy, sy}, {sx, sy, n}};
      const double v[3] = {sxz, syz, sz};
      const double det = Det3(m, v, -1);
      double a = 0, b = 0, d = sz / n;
      // Degenerate (collinear) windows have det ~ 0 relative to its scale sxx * syy * n.
      if (std::abs(det) > 1e-9 * sxx * syy * n) {
        a = Det3(m, v, 0) / det;
        b = Det3(m, v, 1) / det;
        d = Det3(m, v, 2) / det;
      }
      double sum_sq = 0;
      for (int rr = r0; rr <= r1; ++rr) {
        for (int cc = c0; cc <= c1; ++cc) {
          const float h = elevation_m(rr, cc);
          if (std::isnan(h)) continue;
          const double residual = (h - centre) - (a * (cc - c) * res + b * (rr - r) * res + d);
          sum_sq += residual * residual;
        }
      }
      out.slope_deg(r, c) = static_cast<float>(std::atan(std::hypot(a, b)) * kRadToDeg);
      out.roughness_m(r, c) = static_cast<float>(std::sqrt(sum_sq / n));

      // Step: range of the heights about that plane over the step window, so that a steady
      // slope is not mistaken for a step.
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      const int s0 = std::max(0, r - sr), s1 = std::min(rows - 1, r + sr);
      const int t0 = std::max(0, c - sr), t1 = std::min(cols - 1, c + sr);
      for (int rr = s0; rr <= s1; ++rr) {
        for (int cc = t0; cc <= t1; ++cc) {
          const float h = elevation_m(rr, cc);
          if (std::isnan(h)) continue;
          const double residual = (h - centre) - (a * (cc - c) * res + b * (rr - r) * res + d);
          lo = std::min(lo, residual);
          hi = std::max(hi, residual);
        }
      }
      out.step_m(r, c) = static_cast<float>(hi - lo);
    }
  }
}

}  // namespace ilrs::perception
