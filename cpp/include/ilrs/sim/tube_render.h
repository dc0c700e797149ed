// Shaded rendering inside a lava tube by ray casting: what a camera in the tube sees by the
// rover's light and, through a skylight, by the Sun.
//
// Frames: the site frame of tube_raycast.h (metres, x along the tube, z up); camera poses and
// intrinsics as in perception/elevation_map.h (camera x right, y down, z forward).
//
// The wall. A surface of revolution about the axis (y, z) = (axis_y_m, axis_z_m) with a radius
// R(x) piecewise linear between knots and level beyond the end knots (tube_raycast.h).
//
// Its normal. The wall is the zero set of F(x, y, z) = rho - R(x), rho = |(y - a_y, z - a_z)|.
// With e = ((y - a_y) / rho, (z - a_z) / rho) the unit radial direction in the cross-section and
// s = dR/dx the slope of the frustum holding x (0 on the level ends),
//   grad F = (-s, e_y, e_z),  |grad F| = sqrt(1 + s^2),
// so the unit normal pointing into the void (towards the axis) is
//   n = (s, -e_y, -e_z) / sqrt(1 + s^2):
// an axial part s / sqrt(1 + s^2) (a widening frustum, s > 0, faces +x, back towards a camera
// at smaller x) and a radial part -e / sqrt(1 + s^2). At a knot the slope is the one of the
// frustum on the +x side. For shading it is turned to face the incoming ray.
//
// The skylight (optional). A vertical cylindrical shaft of radius radius_m about the vertical
// line (center_x_m, center_y_m), from the tube's ceiling up to the surface at top_z_m. Wall
// points with z > axis_z_m within radius_m of that line (horizontally) are its opening: there is
// no wall there, and a pixel whose ray meets the wall in the opening looks up the shaft (no
// depth, black: the shaft's walls and the sky are not modelled).
//
// Shading, per pixel whose primary ray hits the wall at p within max_range_m (Lambertian):
//  - rover light (a point light at light_position_m): light_intensity * max(0, n . l) / r^2,
//    l the unit vector from p to the light, r the distance; 0 when the wall lies between them
//    (a shadow ray with the tube caster);
//  - sunlight: sun_irradiance * max(0, n . s), s the unit vector towards the Sun, only when the
//    ray from p towards the Sun meets the wall next inside the skylight's opening and then stays
//    inside the shaft up to top_z_m (the horizontal distance to the shaft's line is convex
//    along a ray, so checking the opening point and the top is exact). No skylight: no Sun.
//  - radiance = albedo * irradiance, the albedo a seeded value-noise texture on the wall in
//    (x along the axis, angle around it) coordinates (mean base_albedo, +-texture_contrast, its
//    finest cell texture_cell_m along x and about texture_cell_m of arc at the mean knot
//    radius; periodic in the angle, so seamless), so both cameras of a pair see one pattern.
// Irradiances are relative to full sunlight on a surface facing the Sun.
// Depth is range times the cosine to the optical axis, and NaN where the irradiance is 0 or
// below min_irradiance (nothing lit: no depth), where the ray has no hit, or looks up the skylight.
//
// Cost: per pixel one primary cast, and one cast for each light that faces the hit point
// (O(log K + frusta crossed) each, tube_raycast.h), and 12 hashes for the texture.
#pragma once

#include <cstdint>
#include <vector>

#include "ilrs/core/grid.h"
#include "ilrs/perception/elevation_map.h"
#include "ilrs/sim/stereo_render.h"
#include "ilrs/sim/tube_raycast.h"

namespace ilrs::sim {

// A tube's wall for rendering: the caster's profile plus its axis.
class TubeWall {
 public:
  // Throws std::invalid_argument naming the argument, as TubeProfile does.
  TubeWall(std::vector<double> knots_x_m, std::vector<double> radii_m, double axis_y_m,
           double axis_z_m);

  const TubeProfile& profile() const { return profile_; }
  double axis_y_m() const { return axis_y_m_; }
  double axis_z_m() const { return axis_z_m_; }

  // R(x), metres.
  double RadiusAt(double x_m) const;
  // dR/dx of the frustum holding x (the +x side's at a knot; 0 beyond the end knots).
  double SlopeAt(double x_m) const;
  // The unit normal at the wall point nearest in its cross-section to `point_m` (the formula
  // above), pointing into the void. `point_m` must not lie on the axis.
  void Normal(const double point_m[3], double normal_out[3]) const;
  // The texture's albedo at axial position x_m and angle angle_rad = atan2(z - a_z, y - a_y).
  float Albedo(const SurfaceParams& surface, double x_m, double angle_rad) const;

 private:
  TubeProfile profile_;
  double axis_y_m_;
  double axis_z_m_;
  double mean_radius_m_;
};

struct Skylight {
  double center_x_m = 0.0;
  double center_y_m = 0.0;
  double radius_m = 0.0;  // 0: no skylight
  double top_z_m = 0.0;   // the surface, where the shaft ends

  void Validate() const;  // throws std::invalid_argument naming the field
};

struct TubeLighting {
  double light_position_m[3] = {0.0, 0.0, 0.0};
  double light_intensity = 0.0;  // rover light's irradiance at 1 m facing it; 0 = no light
  double sun_direction[3] = {0.0, 0.0, 1.0};  // towards the Sun (normalised inside)
  double sun_irradiance = 0.0;
  Skylight skylight;
  double min_irradiance = 1e-3;  // below this a pixel gets no depth

  void Validate() const;  // throws std::invalid_argument naming the field
};

// Output images, each intrinsics.height_px x intrinsics.width_px. `depth_m` is lit-only (NaN
// where dark); `irradiance` is 0 where there is no hit.
struct TubeImages {
  GridView<float> depth_m;
  GridView<float> irradiance;
  GridView<float> radiance;
};

// Throws std::invalid_argument naming the argument on bad intrinsics, lighting, surface,
// max_range_m (must be > 0) or output sizes.
void RenderTubeScene(const TubeWall& wall, const perception::PinholeIntrinsics& intrinsics,
                     const perception::CameraPose& pose, double max_range_m,
                     const TubeLighting& lighting, const SurfaceParams& surface,
                     const TubeImages& out);

// The irradiance (relative to full sunlight) at wall point p with unit normal n, by the rules
// above (light and Sun with their shadow rays). Exposed for tests.
double TubeIrradiance(const TubeWall& wall, const TubeLighting& lighting, const double p[3],
                      const double n[3]);

}  // namespace ilrs::sim
