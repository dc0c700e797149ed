// Terrain horizons: for each observer, the highest elevation angle at which terrain is seen in
// each azimuth sector, on a spherical body (the Moon's 1737.4 km reference sphere by default).
//
// Frames and units. The terrain is a HeightGrid: heights in metres above the reference sphere,
// laid out as in core/grid.h (row 0 is the SOUTH edge of the map, x east-ish along columns,
// y north-ish along rows), placed in a map plane by the map (x, y) of its south-west corner.
// The map plane must keep distances and directions from the observers close to the true ones
// (a polar stereographic tile a few km wide, or an azimuthal equidistant grid centred near the
// observers): a map distance d is taken as an arc of d / body_radius_m on the sphere.
// Map azimuths are clockwise from map +y. Each observer gives the map azimuth of its local
// north (the grid convergence); sectors and azimuths below are geographic: clockwise from local
// north, in degrees.
//
// Geometry. A terrain sample at map distance d and height h, seen from an observer whose eye
// is at height z, has elevation atan2(r1 cos(t) - r0, r1 sin(t)) with r0 = R + z, r1 = R + h,
// t = d / R, so the curvature of the body is included (on a bare sphere the horizon of an eye
// at height z dips by acos(R / (R + z))).
//
// Sampling. Sector k (of `sectors`) is centred on azimuth k * 360 / sectors and spans one
// sector width; `rays_per_sector` rays are spread evenly inside it, at offsets
// ((j + 0.5) / rays_per_sector - 0.5) of the width. Each ray is sampled every `step_m` from
// max(min_distance_m, step_m) out to max_distance_m (0: no limit) or until it leaves the
// grid's cell-centre hull; heights are bilinear between cell centres (NaN cells are skipped).
// A ray stops early once no cell of the grid, however far, could rise above what it has
// already seen. The result is the largest elevation over all samples of the sector's rays, in
// degrees; -90 where a sector has no sample at all (nothing there to block the sky).
//
// Cost: O(observers x sectors x rays_per_sector x samples per ray); no allocation per ray.
// Thread safety: the functions only read their inputs, so disjoint observer ranges may be
// computed on different threads at once.
#pragma once

#include "ilrs/core/grid.h"

namespace ilrs::sim {

struct HorizonParams {
  int sectors = 360;
  int rays_per_sector = 1;
  double step_m = 0.0;          // distance between samples along a ray; 0 = half a grid cell
  double min_distance_m = 0.0;  // terrain nearer than this is ignored (left to a finer grid)
  double max_distance_m = 0.0;  // 0 = until the ray leaves the grid
  double body_radius_m = 1737400.0;

  void Validate() const;  // throws std::invalid_argument naming the field
};

// Heights above the reference sphere in a map plane (see above). Non-owning.
struct HeightGrid {
  GridView<const float> heights_m;
  double resolution_m = 1.0;
  double origin_x_m = 0.0;  // map x of the grid's south-west corner
  double origin_y_m = 0.0;  // map y of the grid's south-west corner

  void Validate() const;  // throws std::invalid_argument naming the field
};

// observers: one row per observer, (map x m, map y m, eye height m above the reference sphere,
// map azimuth of local north in degrees). horizon_deg_out: observers.rows() x params.sectors,
// written in full. Throws std::invalid_argument on bad parameters or shapes.
void ComputeHorizons(const HeightGrid& grid, GridView<const double> observers,
                     const HorizonParams& params, GridView<float> horizon_deg_out);

// The horizon of one sector per observer, centred on that observer's own azimuth (degrees,
// clockwise from local north) instead of on a fixed sector grid: same width, rays and
// samples as a sector of ComputeHorizons. For one Sun direction over a whole map, this costs
// 1 / sectors of the full horizon. azimuth_deg and horizon_deg_out hold one value per observer
// (views of observers.rows() x 1).
void ComputeHorizonsAlong(const HeightGrid& grid, GridView<const double> observers,
                          GridView<const double> azimuth_deg, const HorizonParams& params,
                          GridView<float> horizon_deg_out);

}  // namespace ilrs::sim
