"""The simulated world: a real DEM resampled to the simulation grid, with rocks on it.

Two surfaces come out of it: ``ground_m``, what an orbiter knows (the DEM, smooth at its 5 m
posting), and ``heights_m``, the truth the rover's sensors see (ground plus rocks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError
from ilrs_auto.geometry import GridGeometry
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap
from ilrs_auto.sim.rocks import RockField, place_rocks, rasterize_rocks
from ilrs_auto.sim.scenario import Scenario
from ilrs_auto.terrain import Dem, DemError, read_dem

FloatGrid = npt.NDArray[np.float32]


@dataclass(frozen=True)
class World:
    geometry: GridGeometry
    ground_m: FloatGrid
    heights_m: FloatGrid
    rocks: RockField
    dem: Dem

    def height_at(self, x_m: float, y_m: float) -> float:
        """Bilinear height of the true surface (clamped at the map edge)."""
        res = self.geometry.resolution_m
        u = min(max(x_m / res - 0.5, 0.0), self.geometry.cols - 1.001)
        v = min(max(y_m / res - 0.5, 0.0), self.geometry.rows - 1.001)
        c, r = int(u), int(v)
        fu, fv = u - c, v - r
        h = self.heights_m
        top = h[r + 1, c] * (1 - fu) + h[r + 1, c + 1] * fu
        bottom = h[r, c] * (1 - fu) + h[r, c + 1] * fu
        return float(bottom * (1 - fv) + top * fv)


def hazard_config(scenario: Scenario) -> HazardConfig:
    rover = scenario.rover
    return HazardConfig(
        footprint_radius_m=rover.footprint_radius_m,
        max_slope_deg=rover.max_slope_deg,
        max_step_m=rover.max_step_m,
        max_roughness_m=rover.max_roughness_m,
        belly_clearance_m=rover.belly_clearance_m,
    )


def build_world(scenario: Scenario) -> World:
    """Loads the DEM, resamples it, places rocks, and checks start and goal against it.

    Raises InputError naming the scenario file and field for a missing or corrupt DEM, a start
    or goal outside the map, or on ground the rover cannot drive on.
    """
    dem_path = scenario.dem_path()
    try:
        dem = read_dem(dem_path)
    except DemError as exc:
        raise InputError(f"{scenario.where('terrain.dem')}: {exc}") from None
    if np.isnan(dem.heights_m).any():
        raise InputError(
            f"{scenario.where('terrain.dem')}: {dem_path} has unknown (NoData) heights; "
            "the simulator needs a complete DEM"
        )
    res = scenario.terrain.resolution_m
    rows = max(2, round(dem.height_m / res))
    cols = max(2, round(dem.width_m / res))
    if rows * cols > 50_000_000:
        raise InputError(
            f"{scenario.where('terrain.resolution_m')}: {res} m over a "
            f"{dem.width_m:.0f} x {dem.height_m:.0f} m DEM makes {rows} x {cols} cells "
            "(over 50 million); use a coarser resolution"
        )
    geometry = GridGeometry(rows, cols, dem.width_m / cols)
    # Cubic resampling, then a Gaussian of half the DEM posting to smooth the seams between
    # posts, which would otherwise show as a grid of small slope breaks.
    resampled = cv2.resize(dem.heights_m, (cols, rows), interpolation=cv2.INTER_CUBIC)
    sigma_cells = 0.5 * dem.resolution_m / geometry.resolution_m
    if sigma_cells > 0.5:
        resampled = cv2.GaussianBlur(resampled, (0, 0), sigma_cells, borderType=cv2.BORDER_REFLECT)
    ground: FloatGrid = np.ascontiguousarray(resampled, dtype=np.float32)

    mission = scenario.mission
    for key, (x, y) in (
        ("mission.start_xy_m", mission.start_xy_m),
        ("mission.goal_xy_m", mission.goal_xy_m),
    ):
        if not geometry.contains_xy(x, y):
            raise InputError(
                f"{scenario.where(key)}: ({x:g}, {y:g}) is outside the map "
                f"(x in [0, {geometry.width_m:g}), y in [0, {geometry.height_m:g}) m)"
            )

    rng = np.random.default_rng(scenario.seed)
    rock_cfg = scenario.rocks
    (sx, sy), (gx, gy) = mission.start_xy_m, mission.goal_xy_m
    margin = rock_cfg.field_margin_m
    bounds = (
        max(0.0, min(sx, gx) - margin),
        max(0.0, min(sy, gy) - margin),
        min(geometry.width_m, max(sx, gx) + margin),
        min(geometry.height_m, max(sy, gy) + margin),
    )
    clear = [(sx, sy, rock_cfg.clear_radius_m), (gx, gy, rock_cfg.clear_radius_m)]
    rocks = place_rocks(
        rng,
        bounds,
        rock_cfg.cumulative_fractional_area,
        rock_cfg.min_diameter_m,
        rock_cfg.max_diameter_m,
        rock_cfg.height_ratio,
        clear,
    )
    heights = rasterize_rocks(ground, geometry, rocks)
    world = World(geometry, ground, heights, rocks, dem)
    _check_drivable(world, scenario)
    return world


def _check_drivable(world: World, scenario: Scenario) -> None:
    """Start and goal must be on ground the rover can drive on (judged on the true surface,
    over a patch around each large enough to hold every hazard window of its cell)."""
    config = hazard_config(scenario)
    res = world.geometry.resolution_m
    margin = 2 * max(1, round(config.footprint_radius_m / res)) + 2
    mission = scenario.mission
    for key, role, (x, y) in (
        ("mission.start_xy_m", "start", mission.start_xy_m),
        ("mission.goal_xy_m", "goal", mission.goal_xy_m),
    ):
        row, col = world.geometry.cell_of(x, y)
        r0, c0 = max(0, row - margin), max(0, col - margin)
        patch = np.ascontiguousarray(world.heights_m[r0 : row + margin + 1, c0 : col + margin + 1])
        truth = TraversabilityMap(patch, res, config)
        cell = (row - r0, col - c0)
        if math.isinf(truth.cost[cell]):
            raise InputError(
                f"{scenario.where(key)}: the {role} ({x:g}, {y:g}) is on a hazard "
                f"(slope {truth.slope_deg[cell]:.1f} deg, step {truth.step_m[cell]:.2f} m, "
                f"roughness {truth.roughness_m[cell]:.3f} m, belly {truth.belly_m[cell]:.2f} m; "
                f"the rover's limits are {scenario.rover.max_slope_deg:g} deg, "
                f"{scenario.rover.max_step_m:g} m, {scenario.rover.max_roughness_m:g} m, "
                f"{scenario.rover.belly_clearance_m:g} m)"
            )
