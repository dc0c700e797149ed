// Shaded rendering of a heightfield (terrain plus rocks) by ray casting: what a camera sees under
// the Sun and, optionally, a rover light.
//
// Frames and grid: the map frame of core/grid.h (x east, y north, z up, metres; heights between
// cell centres bilinear). Camera poses and intrinsics as in perception/elevation_map.h (camera
// x right, y down, z forward).
//
// Per pixel the primary ray is cast exactly as RenderDepth casts it (a ViewpointCaster at the
// camera over the pyramid, exact intersection with the bilinear surface of
// heightfield_raycast.h, so depths agree bit for bit).
// At the hit point:
//  - the surface normal is the gradient of the bilinear surface there;
//  - sunlight: irradiance = sun_irradiance * max(0, n . s), times 0 when a shadow ray from the
//    point (lifted 1 mm + 1e-3 * resolution along n) towards the Sun meets the surface within
//    shadow_max_distance_m (cast shadows, the same exact cast);
//  - rover light (a point light at light_position_m): light_intensity * max(0, n . l) / r^2,
//    l the unit vector to the light and r the distance to it (it casts no shadows);
//  - radiance = albedo * irradiance, the albedo a seeded multi-octave value-noise texture on
//    the ground (mean base_albedo, +-texture_contrast), fixed to the map so both cameras of a
//    pair see the same pattern.
// Irradiances are relative to full sunlight on a surface facing the Sun. Pixels whose ray
// misses get NaN depth and zero irradiance and radiance.
//
// Cost: one maximum-height pyramid over the patches within max_range + shadow_max_distance_m of
// the camera and a ViewpointCaster (both kept per thread between frames), then per pixel the
// two casts of heightfield_raycast.h: a high Sun costs a few pyramid steps, a low Sun over rough ground more.
#pragma once

#include <cstdint>

#include "ilrs/core/grid.h"
#include "ilrs/perception/elevation_map.h"
#include "ilrs/sim/heightfield_raycast.h"

namespace ilrs::sim {

struct SceneLighting {
  double sun_direction[3] = {0.0, 0.0, 1.0};  // towards the Sun, map frame (normalised inside)
  double sun_irradiance = 1.0;                // 0 when the Sun is down or behind far terrain
  bool cast_shadows = true;
  double shadow_max_distance_m = 200.0;  // shadow rays stop (lit) beyond this
  double light_position_m[3] = {0.0, 0.0, 0.0};
  double light_intensity = 0.0;  // rover light's irradiance at 1 m facing it; 0 = no light

  void Validate() const;  // throws std::invalid_argument naming the field
};

struct SurfaceParams {
  double base_albedo = 0.12;       // mean albedo of regolith
  double texture_contrast = 0.35;  // albedo varies by +- this fraction of the mean
  double texture_cell_m = 0.08;    // finest lattice of the albedo texture
  std::uint32_t texture_seed = 0;

  void Validate() const;  // throws std::invalid_argument naming the field
};

// Output images, each intrinsics.height_px x intrinsics.width_px; `radiance_out` may be empty
// (0 x 0) when not wanted.
struct SceneImages {
  GridView<float> depth_m;
  GridView<float> irradiance;
  GridView<float> radiance;
};

void RenderScene(GridView<const float> heights_m, const perception::PinholeIntrinsics& intrinsics,
                 const perception::CameraPose& pose, const RaycastParams& params,
                 const SceneLighting& lighting, const SurfaceParams& surface,
                 const SceneImages& out);

// Whether each map point (N x 3) sees the Sun past the heightfield: 0 when the ray from the point
// towards `lighting.sun_direction` meets the surface (on or under it, the exact cast of
// heightfield_raycast.h) within shadow_max_distance_m, else 1 (also when it starts off the map
// or leaves it first). The Sun's disk is a point here.
void SunVisibility(GridView<const float> heights_m, double resolution_m,
                   GridView<const double> points_m, const SceneLighting& lighting,
                   GridView<std::uint8_t> visible_out);

// The albedo texture at map points (x, y), for tests and for documentation images.
float SurfaceAlbedo(const SurfaceParams& surface, double x_m, double y_m);

}  // namespace ilrs::sim
