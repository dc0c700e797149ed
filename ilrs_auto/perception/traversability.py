"""Hazard layers and a traversability costmap over an elevation grid.

Costs: 1 on flat smooth ground, growing with slope, roughness and step height; ``inf`` where
any of them reaches the rover's limit (lethal); NaN where the ground is unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Region

FloatGrid = npt.NDArray[np.float32]


@dataclass(frozen=True)
class HazardConfig:
    """What the rover can drive over, and how hazards weigh in its cost."""

    footprint_radius_m: float = 0.75
    max_slope_deg: float = 20.0
    max_step_m: float = 0.25
    max_roughness_m: float = 0.08
    slope_weight: float = 4.0
    roughness_weight: float = 2.0
    step_weight: float = 3.0
    min_known_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not (math.isfinite(self.footprint_radius_m) and self.footprint_radius_m > 0):
            raise ValueError(
                f"HazardConfig.footprint_radius_m must be > 0, got {self.footprint_radius_m}"
            )

    def hazard_params(self, resolution_m: float) -> _core.HazardParams:
        params = _core.HazardParams()
        params.resolution_m = resolution_m
        params.plane_window_radius_m = self.footprint_radius_m
        params.step_window_radius_m = self.footprint_radius_m
        params.min_known_fraction = self.min_known_fraction
        return params

    def costmap_params(self) -> _core.CostmapParams:
        params = _core.CostmapParams()
        params.max_slope_deg = self.max_slope_deg
        params.max_step_m = self.max_step_m
        params.max_roughness_m = self.max_roughness_m
        params.slope_weight = self.slope_weight
        params.roughness_weight = self.roughness_weight
        params.step_weight = self.step_weight
        return params


class TraversabilityMap:
    """Hazard layers and costs kept up to date over an elevation grid.

    ``elevation_m`` is read, never copied: pass a live view (e.g. ``ElevationMap.height_m``) and
    call :meth:`update` with the region that changed.
    """

    def __init__(self, elevation_m: FloatGrid, resolution_m: float, config: HazardConfig) -> None:
        if elevation_m.ndim != 2:
            raise ValueError(f"elevation_m must be 2D, got shape {elevation_m.shape}")
        if elevation_m.dtype != np.float32 or not elevation_m.flags.c_contiguous:
            raise ValueError("elevation_m must be a C-contiguous float32 array")
        self._elevation = elevation_m
        self.resolution_m = float(resolution_m)
        self.config = config
        self._hazard_params = config.hazard_params(self.resolution_m)
        self._costmap_params = config.costmap_params()
        self._hazard_params.validate()
        self._costmap_params.validate()
        # How far (in cells) a height change reaches into the hazard layers: through the
        # fitted plane, or through the step window's residuals.
        self.reach_cells = max(
            self._hazard_params.plane_radius_cells, self._hazard_params.step_radius_cells
        )
        shape = elevation_m.shape
        self.slope_deg: FloatGrid = np.full(shape, np.nan, np.float32)
        self.roughness_m: FloatGrid = np.full(shape, np.nan, np.float32)
        self.step_m: FloatGrid = np.full(shape, np.nan, np.float32)
        self.cost: FloatGrid = np.full(shape, np.nan, np.float32)
        self.update(Region(0, 0, shape[0], shape[1]))

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.cost.shape[0]), int(self.cost.shape[1]))

    def update(self, changed: Region) -> Region:
        """Recomputes every cell whose hazard windows overlap ``changed``; returns that region."""
        if changed.empty:
            return changed
        region = changed.dilated(self.reach_cells, self.shape)
        _core.compute_hazard_layers(
            self._elevation,
            self._hazard_params,
            region,
            self.slope_deg,
            self.roughness_m,
            self.step_m,
        )
        _core.compute_costmap(
            self.slope_deg,
            self.roughness_m,
            self.step_m,
            self._costmap_params,
            region,
            self.cost,
        )
        return region

    def lethal(self) -> npt.NDArray[np.bool_]:
        return np.isinf(self.cost)
