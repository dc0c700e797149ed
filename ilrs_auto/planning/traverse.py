"""Long-range traverse planning over orbital DEMs: the route of least energy (C++ core).

Moves between DEM posts are charged the traction work against rolling resistance and gravity
(no regeneration downhill) plus the avionics' power over the drive time; a move steeper than
the slope limit along its direction, or onto a post that orbit already shows as hazardous
(steep across, rough, a step), is forbidden. The same hazard layers as the rover's local map
decide "hazardous" (:class:`~ilrs_auto.perception.HazardConfig`), evaluated at the DEM's
posting, so the traverse planner and the local planner share one definition of safe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap
from ilrs_auto.planning.base import CancelToken

JOULES_PER_WH = 3600.0


@dataclass(frozen=True)
class EnergyModel:
    """A rover's drive energy: mass, regolith rolling resistance, avionics power, speed."""

    mass_kg: float = 250.0
    gravity_mps2: float = 1.625
    rolling_resistance: float = 0.15
    idle_power_w: float = 80.0
    speed_mps: float = 0.1
    max_slope_deg: float = 20.0

    def to_core(self) -> _core.EnergyModel:
        model = _core.EnergyModel()
        model.mass_kg = self.mass_kg
        model.gravity_mps2 = self.gravity_mps2
        model.rolling_resistance = self.rolling_resistance
        model.idle_power_w = self.idle_power_w
        model.speed_mps = self.speed_mps
        model.max_slope_deg = self.max_slope_deg
        return model


@dataclass(frozen=True)
class TraverseRoute:
    cells: npt.NDArray[np.int32]  # (N, 2) DEM posts as (row, col), start first
    xy_m: npt.NDArray[np.float64]  # (N, 2) post centres in the site frame
    energy_wh: float
    distance_m: float  # along the surface
    max_slope_deg: float  # steepest move along the route
    expansions: int


def orbital_hazards(
    heights_m: npt.NDArray[np.float32], resolution_m: float, config: HazardConfig
) -> npt.NDArray[np.uint8]:
    """Posts the rover must avoid, judged from orbit with the rover's own hazard layers.

    At an orbital posting (metres per post) only the slope layer means what it says: steps,
    roughness and belly clearance at rover scale are below the DEM's resolution (that is what
    the rover's cameras are for), so they are not used here.
    """
    heights = np.ascontiguousarray(heights_m, dtype=np.float32)
    slope_only = dataclasses.replace(
        config, max_step_m=1e6, max_roughness_m=1e6, belly_clearance_m=1e6
    )
    hazards = TraversabilityMap(heights, resolution_m, slope_only)
    return np.ascontiguousarray(~np.isfinite(hazards.cost), dtype=np.uint8)


def plan_traverse(
    heights_m: npt.NDArray[np.float32],
    resolution_m: float,
    start_xy_m: tuple[float, float],
    goal_xy_m: tuple[float, float],
    model: EnergyModel | None = None,
    blocked: npt.NDArray[np.uint8] | None = None,
    timeout_s: float = 0.0,
    cancel: CancelToken | None = None,
) -> TraverseRoute:
    """The least-energy route between two site-frame points over a DEM (row 0 = south).

    Raises the planning failures of :mod:`ilrs_auto.planning.errors` (a point outside the DEM
    or on a blocked post, no route within the slope limit, deadline, cancel) and ValueError
    for bad arrays or model values.
    """
    heights = np.ascontiguousarray(heights_m, dtype=np.float32)
    if heights.ndim != 2:
        raise ValueError(f"heights_m must be 2D, got shape {heights.shape}")
    if blocked is not None and blocked.shape != heights.shape:
        raise ValueError(f"blocked has shape {blocked.shape} but heights_m has {heights.shape}")
    geometry = GridGeometry(int(heights.shape[0]), int(heights.shape[1]), resolution_m)
    start: Cell = geometry.cell_of(*start_xy_m)
    goal: Cell = geometry.cell_of(*goal_xy_m)
    mask = None if blocked is None else np.ascontiguousarray(blocked, dtype=np.uint8)
    cells, energy_j, distance_m, max_slope_deg, expansions = _core.plan_traverse(
        heights,
        resolution_m,
        mask,
        (start.row, start.col),
        (goal.row, goal.col),
        (model or EnergyModel()).to_core(),
        timeout_s,
        cancel,
    )
    xy = (cells[:, ::-1].astype(np.float64) + 0.5) * resolution_m
    return TraverseRoute(
        cells, xy, energy_j / JOULES_PER_WH, distance_m, max_slope_deg, int(expansions)
    )
