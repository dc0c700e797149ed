// Hazard layers of a 2.5D elevation grid: slope, roughness, step height and belly clearance.
//
// For each cell, a plane z = a*x + b*y + c is fitted by least squares to the known heights
// in a square window of half-width `plane_window_radius_m` (clipped at the map edge):
//   slope_deg   = atan(|(a, b)|) in degrees,
//   roughness_m = RMS of the residuals to that plane,
// and over a window of half-width `step_window_radius_m`:
//   step_m      = max - min of the heights' residuals to that plane, so a steady slope is
//                 not a step.
// Belly clearance, for a rover footprint centred on the cell, axis-aligned, of half-width
// `belly_half_width_m` = b cells (wheel contacts at its four corners), clipped at the map edge:
// the footprint is the rectangle of in-map cells [r - b, r + b] x [c - b, c + b]; its corner
// cells (the clipped rectangle's corners) are where the wheels stand, at their cells' heights;
// the wheel plane is the least-squares plane through those four points (for a rectangle: it
// passes through their mean height at the rectangle's centre, tilted by the mean difference
// between opposite sides; a rocker-bogie body sits on it); and
//   belly_m     = max over the known cells of the footprint (corners included) of
//                 height - wheel plane, in metres,
// i.e. how far the terrain under the body rises above the ground the wheels define. It is
// >= 0 (the four corners' residuals are +-twist/4) and 0 on any plane. The costmap compares it
// with the chassis' clearance. A cell with an unknown corner gets NaN belly.
//
// Unknown heights are NaN. A cell whose plane window has fewer than `min_known_fraction` of
// its in-map cells known, or whose own height is unknown, gets NaN in every layer ("unknown",
// never "flat"). Positions are cell centres, heights and belly_m metres, slope degrees.
//
// Cost: O(cells in region x (plane window side + step and footprint window cells)); the plane
// comes from separable moment sums, the residuals to both planes from one pass over the
// windows. Scratch rows are kept per thread and only grow, so a call allocates nothing once a
// grid at least as wide with windows at least as large has been seen on its thread.
#pragma once

#include "ilrs/core/grid.h"

namespace ilrs::perception {

struct HazardParams {
  double resolution_m = 1.0;           // grid spacing, metres per cell
  double plane_window_radius_m = 1.0;  // half-width of the slope/roughness window
  double step_window_radius_m = 1.0;   // half-width of the step window
  double belly_half_width_m = 1.0;     // half-width of the footprint (wheels at its corners)
  double min_known_fraction = 0.5;     // of the plane window, for a cell to be assessed

  // Half-widths in cells (at least 1).
  int plane_radius_cells() const;
  int step_radius_cells() const;
  int belly_radius_cells() const;
  // Throws std::invalid_argument naming the field if a value is out of range.
  void Validate() const;
};

// Output layers, each a view of rows x cols float cells owned by the caller.
struct HazardLayerViews {
  GridView<float> slope_deg;
  GridView<float> roughness_m;
  GridView<float> step_m;
  GridView<float> belly_m;
};

// Recomputes the layers over `region` (clipped to the grid) from `elevation_m`; cells outside
// the region are left untouched. All views must have the elevation's shape.
void ComputeHazardLayers(GridView<const float> elevation_m, const HazardParams& params,
                         Region region, const HazardLayerViews& out);

}  // namespace ilrs::perception
