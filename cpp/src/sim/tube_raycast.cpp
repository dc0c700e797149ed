#include "ilrs/sim/tube_raycast.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

namespace ilrs::sim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TubeProfile::TubeProfile(std::vector<double> knots_x_m, std::vector<double> radii_m,
                         double axis_y_m, double axis_z_m)
    : knots_x_m_(std::move(knots_x_m)),
      radii_m_(std::move(radii_m)),
      axis_y_m_(axis_y_m),
      axis_z_m_(axis_z_m) {
  if (knots_x_m_.size() != radii_m_.size() || knots_x_m_.size() < 2) {
    throw std::invalid_argument("knots_x_m and radii_m must have the same length >= 2, got " +
                                std::to_string(knots_x_m_.size()) + " and " +
                                std::to_string(radii_m_.size()));
  }
  for (std::size_t k = 0; k < knots_x_m_.size(); ++k) {
    if (!std::isfinite(knots_x_m_[k]) || (k > 0 && !(knots_x_m_[k] > knots_x_m_[k - 1]))) {
      throw std::invalid_argument("knots_x_m must be finite and strictly increasing, got " +
                                  std::to_string(knots_x_m_[k]) + " at index " +
                                  std::to_string(k));
    }
    if (!std::isfinite(radii_m_[k]) || !(radii_m_[k] > 0.0)) {
      throw std::invalid_argument("radii_m must be finite and > 0, got " +
                                  std::to_string(radii_m_[k]) + " at index " +
                                  std::to_string(k));
    }
  }
  if (!std::isfinite(axis_y_m_) || !std::isfinite(axis_z_m_)) {
    throw std::invalid_argument("axis_y_m and axis_z_m must be finite, got " +
                                std::to_string(axis_y_m_) + ", " + std::to_string(axis_z_m_));
  }
}

double TubeProfile::SegmentHit(std::size_t segment, const double o[3], const double d[3]) const {
  const std::size_t knots = knots_x_m_.size();
  // The frustum's x range and its radius a + s (x - x_ref).
  double x_lo = -kInf, x_hi = kInf, x_ref = 0.0, a = 0.0, s = 0.0;
  if (segment == 0) {
    x_hi = knots_x_m_[0];
    x_ref = x_hi;
    a = radii_m_[0];
  } else if (segment == knots) {
    x_lo = knots_x_m_[knots - 1];
    x_ref = x_lo;
    a = radii_m_[knots - 1];
  } else {
    x_lo = knots_x_m_[segment - 1];
    x_hi = knots_x_m_[segment];
    x_ref = x_lo;
    a = radii_m_[segment - 1];
    s = (radii_m_[segment] - a) / (x_hi - x_lo);
  }
  // Along the ray the radius is ra + rb t, and rho^2 - R^2 = qa t^2 + qb t + qc.
  const double ra = a + s * (o[0] - x_ref);
  const double rb = s * d[0];
  const double qa = d[1] * d[1] + d[2] * d[2] - rb * rb;
  const double half_qb = o[1] * d[1] + o[2] * d[2] - ra * rb;
  const double qc = o[1] * o[1] + o[2] * o[2] - ra * ra;
  const double quarter_disc = half_qb * half_qb - qa * qc;
  if (!(quarter_disc >= 0.0)) return kInf;
  // Cancellation-free roots: q / qa and qc / q with q = -(half_qb + sign(half_qb) sqrt), or
  // +-sqrt / qa when symmetric (so a ray across the axis meets a cylinder at exactly r).
  const double root_disc = std::sqrt(quarter_disc);
  const double q = -(half_qb + std::copysign(root_disc, half_qb));
  double roots[2] = {q / qa, half_qb == 0.0 ? root_disc / qa : qc / q};
  if (roots[0] > roots[1]) std::swap(roots[0], roots[1]);
  for (const double t : roots) {
    // Division by zero gives an infinite or NaN root: no crossing.
    if (!(t > kMinRange_m) || !std::isfinite(t)) continue;
    const double x = o[0] + t * d[0];
    if (x >= x_lo - kKnotTolerance_m && x <= x_hi + kKnotTolerance_m) return t;
  }
  return kInf;
}

double TubeProfile::CastRay(const double origin_m[3], const double direction[3],
                            double max_range_m) const {
  const double o[3] = {origin_m[0], origin_m[1] - axis_y_m_, origin_m[2] - axis_z_m_};
  const double* d = direction;
  const std::size_t knots = knots_x_m_.size();
  if (std::isnan(o[0]) || std::isnan(d[0])) return std::numeric_limits<double>::quiet_NaN();
  // The frustum holding the origin: segment j spans [x_{j-1}, x_j].
  const std::size_t start = static_cast<std::size_t>(
      std::upper_bound(knots_x_m_.begin(), knots_x_m_.end(), o[0]) - knots_x_m_.begin());
  double hit = kInf;
  if (d[0] == 0.0) {
    // x stays o[0]: only the frusta touching it (both of a knot's when it sits on one).
    const std::size_t first = start == 0 ? 0 : start - 1;
    const std::size_t last = std::min(start + 1, knots);
    for (std::size_t k = first; k <= last; ++k) hit = std::min(hit, SegmentHit(k, o, d));
  } else {
    // Frusta in the order the ray crosses them; the first with a hit holds the nearest one.
    const double x_end = o[0] + d[0] * max_range_m;
    if (d[0] > 0.0) {
      for (std::size_t k = start; k <= knots && std::isinf(hit); ++k) {
        if (k > 0 && knots_x_m_[k - 1] - kKnotTolerance_m > x_end) break;
        hit = SegmentHit(k, o, d);
      }
    } else {
      for (std::size_t k = start + 1; k-- > 0 && std::isinf(hit);) {
        if (k < knots && knots_x_m_[k] + kKnotTolerance_m < x_end) break;
        hit = SegmentHit(k, o, d);
      }
    }
  }
  return hit > max_range_m ? kInf : hit;
}

void TubeProfile::CastRays(const double origin_m[3], GridView<const double> directions,
                           double max_range_m, double* ranges_out) const {
  if (std::isnan(max_range_m)) throw std::invalid_argument("max_range_m must not be NaN");
  ILRS_ASSERT(directions.cols() == 3);
  for (int i = 0; i < directions.rows(); ++i) {
    ranges_out[i] = CastRay(origin_m, &directions(i, 0), max_range_m);
  }
}

}  // namespace ilrs::sim
