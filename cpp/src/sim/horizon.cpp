#include "ilrs/sim/horizon.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace ilrs::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRadPerDeg = kPi / 180.0;
constexpr double kNoTerrainDeg = -90.0;
constexpr double kInf = std::numeric_limits<double>::infinity();

// Everything a ray needs that does not depend on the observer: the sample distances along any
// ray (shared by all rays) with the cosine and sine of the arc they subtend, the grid's
// cell-centre hull and the radius of its highest cell.
class RayMarcher {
 public:
  RayMarcher(const HeightGrid& grid, const HorizonParams& params, double limit_m)
      : grid_(grid), radius_m_(params.body_radius_m) {
    step_m_ = params.step_m > 0.0 ? params.step_m : 0.5 * grid.resolution_m;
    first_m_ = std::max(params.min_distance_m, step_m_);
    const long long count =
        limit_m >= first_m_ ? static_cast<long long>((limit_m - first_m_) / step_m_) + 1 : 0;
    ILRS_THROW_IF_NOT(count <= 50000000,
                      "ComputeHorizons: " + std::to_string(count) +
                          " samples per ray; raise step_m or lower max_distance_m");
    cos_.resize(static_cast<std::size_t>(count));
    sin_.resize(static_cast<std::size_t>(count));
    for (long long i = 0; i < count; ++i) {
      const double arc = (first_m_ + static_cast<double>(i) * step_m_) / radius_m_;
      cos_[static_cast<std::size_t>(i)] = std::cos(arc);
      sin_[static_cast<std::size_t>(i)] = std::sin(arc);
    }
    double highest = -kInf;
    const GridView<const float>& h = grid.heights_m;
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (std::isfinite(h.data()[i])) highest = std::max(highest, double{h.data()[i]});
    }
    top_radius_m_ = radius_m_ + highest;  // -inf when the grid holds no height at all
  }

  // The largest tan(elevation) seen along one ray, or -inf if the ray has no sample.
  // (x_m, y_m): observer in the map plane; eye_radius_m: R + eye height; (dx, dy): unit
  // direction in the map plane; best: the largest tan(elevation) already seen in this sector.
  double March(double x_m, double y_m, double eye_radius_m, double dx, double dy,
               double best) const {
    const int rows = grid_.heights_m.rows(), cols = grid_.heights_m.cols();
    const double inv_res = 1.0 / grid_.resolution_m;
    // Continuous cell coordinates (cell centres at integers) and their rate along the ray.
    const double u0 = (x_m - grid_.origin_x_m) * inv_res - 0.5;
    const double v0 = (y_m - grid_.origin_y_m) * inv_res - 0.5;
    const double du = dx * inv_res, dv = dy * inv_res;

    // Distances along the ray inside the hull [0, cols - 1] x [0, rows - 1] (slab method).
    double enter = 0.0, leave = kInf;
    if (!ClipSlab(u0, du, cols - 1, &enter, &leave) ||
        !ClipSlab(v0, dv, rows - 1, &enter, &leave)) {
      return best;
    }
    const long long n = static_cast<long long>(cos_.size());
    const double first_f = std::ceil((enter - first_m_) / step_m_);
    const double last_f = std::floor((leave - first_m_) / step_m_);
    const long long first = first_f > 0.0 ? static_cast<long long>(first_f) : 0;
    const long long last =
        last_f < static_cast<double>(n - 1) ? static_cast<long long>(last_f) : n - 1;
    if (first > last) return best;

    // Past the tangent distance of the highest cell, its elevation only falls with distance:
    // once it is below what was seen, nothing further can rise above it.
    const double top = top_radius_m_;
    const double tangent_cos = std::min(1.0, top / eye_radius_m);

    const float* heights = grid_.heights_m.data();
    for (long long i = first; i <= last; ++i) {
      const double c = cos_[static_cast<std::size_t>(i)], s = sin_[static_cast<std::size_t>(i)];
      if (c <= tangent_cos && (top * c - eye_radius_m) <= best * top * s) break;
      const double t = first_m_ + static_cast<double>(i) * step_m_;
      const double u = u0 + du * t, v = v0 + dv * t;
      // Bilinear height between the four surrounding cell centres.
      const int c0 = std::min(static_cast<int>(u), cols - 2);
      const int r0 = std::min(static_cast<int>(v), rows - 2);
      const double fu = u - c0, fv = v - r0;
      const float* row0 = heights + static_cast<std::size_t>(r0) * cols + c0;
      const float* row1 = row0 + cols;
      const double h = (row0[0] * (1.0 - fu) + row0[1] * fu) * (1.0 - fv) +
                       (row1[0] * (1.0 - fu) + row1[1] * fu) * fv;
      const double r1 = radius_m_ + h;
      const double tan_elevation = (r1 * c - eye_radius_m) / (r1 * s);
      if (tan_elevation > best) best = tan_elevation;  // false for NaN cells
    }
    return best;
  }

 private:
  // Narrows [enter, leave] to the distances where p0 + dp * t lies in [0, hi]; false if empty.
  static bool ClipSlab(double p0, double dp, double hi, double* enter, double* leave) {
    if (std::abs(dp) < 1e-15) return p0 >= 0.0 && p0 <= hi;
    double a = (0.0 - p0) / dp, b = (hi - p0) / dp;
    if (a > b) std::swap(a, b);
    *enter = std::max(*enter, a);
    *leave = std::min(*leave, b);
    return *enter <= *leave;
  }

  const HeightGrid& grid_;
  double radius_m_;
  double step_m_ = 0.0;
  double first_m_ = 0.0;
  double top_radius_m_ = 0.0;
  std::vector<double> cos_;
  std::vector<double> sin_;
};

void CheckObservers(GridView<const double> observers) {
  ILRS_THROW_IF_NOT(observers.cols() == 4,
                    "ComputeHorizons: observers must have 4 columns (x_m, y_m, eye height_m, "
                    "north map azimuth_deg), got " +
                        std::to_string(observers.cols()));
  for (int i = 0; i < observers.rows(); ++i) {
    for (int k = 0; k < 4; ++k) {
      ILRS_THROW_IF_NOT(std::isfinite(observers(i, k)),
                        "ComputeHorizons: observers row " + std::to_string(i) + " column " +
                            std::to_string(k) + " is not finite");
    }
  }
}

// How far a ray may need to go: max_distance_m if set, else to the grid's farthest corner
// from any observer; never past a quarter of the body's circumference.
double RayLimit(const HeightGrid& grid, GridView<const double> observers,
                const HorizonParams& params) {
  double limit = params.max_distance_m;
  if (limit <= 0.0) {
    const double x_lo = grid.origin_x_m, y_lo = grid.origin_y_m;
    const double x_hi = x_lo + grid.heights_m.cols() * grid.resolution_m;
    const double y_hi = y_lo + grid.heights_m.rows() * grid.resolution_m;
    for (int i = 0; i < observers.rows(); ++i) {
      const double x = observers(i, 0), y = observers(i, 1);
      const double ex = std::max(std::abs(x - x_lo), std::abs(x - x_hi));
      const double ey = std::max(std::abs(y - y_lo), std::abs(y - y_hi));
      limit = std::max(limit, std::hypot(ex, ey));
    }
  }
  return std::min(limit, 0.49 * kPi * params.body_radius_m);
}

double ToDegrees(double best_tan) {
  return best_tan == -kInf ? kNoTerrainDeg : std::atan(best_tan) / kRadPerDeg;
}

// The largest tan(elevation) over the rays of the sector centred on `azimuth_deg`.
double SectorHorizon(const RayMarcher& marcher, const HorizonParams& params,
                     GridView<const double> observers, int i, double azimuth_deg) {
  const double width_deg = 360.0 / params.sectors;
  const double eye_radius_m = params.body_radius_m + observers(i, 2);
  double best = -kInf;
  for (int j = 0; j < params.rays_per_sector; ++j) {
    const double offset = (j + 0.5) / params.rays_per_sector - 0.5;
    const double map_azimuth = (azimuth_deg + offset * width_deg + observers(i, 3)) * kRadPerDeg;
    best = marcher.March(observers(i, 0), observers(i, 1), eye_radius_m, std::sin(map_azimuth),
                         std::cos(map_azimuth), best);
  }
  return best;
}

}  // namespace

void HorizonParams::Validate() const {
  ILRS_THROW_IF_NOT(sectors >= 1 && sectors <= 100000,
                    "HorizonParams.sectors must be in [1, 100000], got " + std::to_string(sectors));
  ILRS_THROW_IF_NOT(rays_per_sector >= 1 && rays_per_sector <= 1000,
                    "HorizonParams.rays_per_sector must be in [1, 1000], got " +
                        std::to_string(rays_per_sector));
  ILRS_THROW_IF_NOT(std::isfinite(step_m) && step_m >= 0.0,
                    "HorizonParams.step_m must be >= 0 (0 = half a cell), got " +
                        std::to_string(step_m));
  ILRS_THROW_IF_NOT(std::isfinite(body_radius_m) && body_radius_m > 0.0,
                    "HorizonParams.body_radius_m must be > 0, got " +
                        std::to_string(body_radius_m));
  ILRS_THROW_IF_NOT(std::isfinite(min_distance_m) && min_distance_m >= 0.0,
                    "HorizonParams.min_distance_m must be >= 0, got " +
                        std::to_string(min_distance_m));
  ILRS_THROW_IF_NOT(std::isfinite(max_distance_m) && max_distance_m >= 0.0 &&
                        (max_distance_m == 0.0 || max_distance_m > min_distance_m),
                    "HorizonParams.max_distance_m must be 0 (no limit) or > min_distance_m, got " +
                        std::to_string(max_distance_m));
}

void HeightGrid::Validate() const {
  ILRS_THROW_IF_NOT(heights_m.rows() >= 2 && heights_m.cols() >= 2,
                    "HeightGrid: heights_m must be at least 2 x 2, got " +
                        std::to_string(heights_m.rows()) + " x " +
                        std::to_string(heights_m.cols()));
  ILRS_THROW_IF_NOT(std::isfinite(resolution_m) && resolution_m > 0.0,
                    "HeightGrid.resolution_m must be > 0, got " + std::to_string(resolution_m));
  ILRS_THROW_IF_NOT(std::isfinite(origin_x_m) && std::isfinite(origin_y_m),
                    "HeightGrid: origin must be finite");
}

void ComputeHorizons(const HeightGrid& grid, GridView<const double> observers,
                     const HorizonParams& params, GridView<float> horizon_deg_out) {
  params.Validate();
  grid.Validate();
  CheckObservers(observers);
  ILRS_THROW_IF_NOT(horizon_deg_out.rows() == observers.rows() &&
                        horizon_deg_out.cols() == params.sectors,
                    "ComputeHorizons: output is " + std::to_string(horizon_deg_out.rows()) + " x " +
                        std::to_string(horizon_deg_out.cols()) + " but needs " +
                        std::to_string(observers.rows()) + " x " + std::to_string(params.sectors));
  const RayMarcher marcher(grid, params, RayLimit(grid, observers, params));
  const double width_deg = 360.0 / params.sectors;
  for (int i = 0; i < observers.rows(); ++i) {
    for (int k = 0; k < params.sectors; ++k) {
      horizon_deg_out(i, k) = static_cast<float>(
          ToDegrees(SectorHorizon(marcher, params, observers, i, k * width_deg)));
    }
  }
}

void ComputeHorizonsAlong(const HeightGrid& grid, GridView<const double> observers,
                          GridView<const double> azimuth_deg, const HorizonParams& params,
                          GridView<float> horizon_deg_out) {
  params.Validate();
  grid.Validate();
  CheckObservers(observers);
  ILRS_THROW_IF_NOT(azimuth_deg.size() == static_cast<std::size_t>(observers.rows()) &&
                        horizon_deg_out.size() == static_cast<std::size_t>(observers.rows()),
                    "ComputeHorizonsAlong: need one azimuth and one output per observer (" +
                        std::to_string(observers.rows()) + "), got " +
                        std::to_string(azimuth_deg.size()) + " and " +
                        std::to_string(horizon_deg_out.size()));
  for (int i = 0; i < observers.rows(); ++i) {
    ILRS_THROW_IF_NOT(std::isfinite(azimuth_deg.data()[i]),
                      "ComputeHorizonsAlong: azimuth_deg[" + std::to_string(i) +
                          "] is not finite");
  }
  const RayMarcher marcher(grid, params, RayLimit(grid, observers, params));
  for (int i = 0; i < observers.rows(); ++i) {
    horizon_deg_out.data()[i] = static_cast<float>(
        ToDegrees(SectorHorizon(marcher, params, observers, i, azimuth_deg.data()[i])));
  }
}

}  // namespace ilrs::sim
