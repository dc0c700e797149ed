// Exact ray casting against a lava tube: a surface of revolution with a piecewise-linear radius.
//
// The geometry. The tube's axis is the line y = axis_y_m, z = axis_z_m of the site frame
// (metres, any right-handed frame whose x runs along the tube). At knots x_0 < x_1 < ... <
// x_{K-1} the wall is a circle of radius r_k > 0 about the axis; between two knots the radius
// is linear in x (the wall is a cone frustum), and beyond the first and the last knot it stays
// r_0 and r_{K-1} for ever (level cylinders): the tube has no end walls, so a ray leaving along
// an open end has no hit. The void is rho < R(x), rho the distance from the axis; the rock is
// rho > R(x).
//
// The ray model. A ray o + t d is cast with t > kMinRange_m; its hit is the smallest such t at
// which rho(t) = R(x(t)), whichever side the ray comes from: a ray from inside returns the
// first wall point it meets, a ray from inside the rock returns where it first enters the void
// (and a ray that starts on the wall skips that point and returns the next crossing). A hit
// farther than max_range_m is no hit (a hit at exactly max_range_m counts). No hit is +inf. With
// a unit d, t is the range in metres; for any other d it is in units of |d|.
//
// Exactness. Inside a frustum rho^2 = R^2 is a quadratic in t; its roots are taken in the
// cancellation-free form and kept when x(t) lies in the frustum's x range widened by
// kKnotTolerance_m on each side, so a ray hitting a knot's circle exactly is never lost
// between two frusta by rounding. So a hit is exact to double rounding except within
// kKnotTolerance_m of a knot, where a ray passing that close to a waist (a knot whose radius is
// smaller than both neighbours') counts as touching it. Rays parallel to the axis (d_y = d_z =
// 0) hit a frustum whose radius reaches rho and never hit a level cylinder; a ray along the
// axis itself never hits a level cylinder nor, as no frustum narrows to zero, any wall.
//
// Cost. The ray visits the frusta in the order it crosses them (x(t) is monotone), from the one
// holding its origin, and stops at the first frustum with a hit or once past max_range_m:
// O(log K + frusta crossed) per ray, no allocation.
#pragma once

#include <cstddef>
#include <vector>

#include "ilrs/core/grid.h"

namespace ilrs::sim {

class TubeProfile {
 public:
  // Roots at t <= kMinRange_m (the origin itself) are ignored.
  static constexpr double kMinRange_m = 1e-9;
  // How far beyond its end knots (along x) a frustum's root still counts as a hit.
  static constexpr double kKnotTolerance_m = 1e-9;

  // Throws std::invalid_argument naming the argument unless knots_x_m and radii_m have the same
  // length >= 2, the knots are finite and strictly increasing, the radii finite and > 0, and the
  // axis finite.
  TubeProfile(std::vector<double> knots_x_m, std::vector<double> radii_m, double axis_y_m,
              double axis_z_m);

  // Range along `direction` from `origin_m` (site frame) to the wall per the model above, or
  // +inf. Non-finite inputs give NaN or +inf, never a crash.
  double CastRay(const double origin_m[3], const double direction[3], double max_range_m) const;

  // CastRay for each row of the (N, 3) `directions` from one origin into ranges_out[0..N).
  // Throws std::invalid_argument if max_range_m is NaN.
  void CastRays(const double origin_m[3], GridView<const double> directions, double max_range_m,
                double* ranges_out) const;

  const std::vector<double>& knots_x_m() const { return knots_x_m_; }
  const std::vector<double>& radii_m() const { return radii_m_; }

 private:
  // The smallest valid root of frustum `segment` (0: x < x_0, k: [x_{k-1}, x_k], K: x > x_{K-1})
  // for the ray (origin relative to the axis), or +inf.
  double SegmentHit(std::size_t segment, const double o[3], const double d[3]) const;

  std::vector<double> knots_x_m_;
  std::vector<double> radii_m_;
  double axis_y_m_;
  double axis_z_m_;
};

}  // namespace ilrs::sim
