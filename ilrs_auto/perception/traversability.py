"""Hazard layers and a traversability costmap over an elevation grid.

Layers (definitions with units in ``cpp/include/ilrs/perception/hazard_layers.h``): slope,
roughness and step height over windows of half-width ``footprint_radius_m``, and belly: how far
the terrain under a square footprint of that half-width rises above the plane through its four
corner (wheel) cells. Costs: 1 on flat smooth ground, growing with slope, roughness and step
height (and belly, if weighted); ``inf`` where any of them reaches the rover's limit (belly: the
chassis clearance ``belly_clearance_m``) (lethal, even if another layer is unknown); else NaN
where any layer is unknown.
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

    footprint_radius_m: float = 0.75  # half-width of the windows and of the wheelbase square
    max_slope_deg: float = 20.0
    max_step_m: float = 0.25
    max_roughness_m: float = 0.08
    slope_weight: float = 4.0
    roughness_weight: float = 2.0
    step_weight: float = 3.0
    min_known_fraction: float = 0.5
    belly_clearance_m: float = 0.3  # ground clearance under the chassis
    belly_weight: float = 0.0  # 0: the belly only rules cells out (the step layer prices rocks)

    def __post_init__(self) -> None:
        for name in ("footprint_radius_m", "belly_clearance_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"HazardConfig.{name} must be > 0, got {value}")

    def hazard_params(self, resolution_m: float) -> _core.HazardParams:
        params = _core.HazardParams()
        params.resolution_m = resolution_m
        params.plane_window_radius_m = self.footprint_radius_m
        params.step_window_radius_m = self.footprint_radius_m
        params.belly_half_width_m = self.footprint_radius_m
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
        params.max_belly_m = self.belly_clearance_m
        params.belly_weight = self.belly_weight
        return params


class TraversabilityMap:
    """Hazard layers and costs kept up to date over an elevation grid.

    ``elevation_m`` is read, never copied: pass a live view (e.g. ``ElevationMap.height_m``) and
    call :meth:`update` with the region that changed, and :meth:`shift` with the shift whenever
    the elevation window moves (``ElevationMap.move_origin`` / ``recentre`` return it).
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
        # fitted plane, the step window's residuals or the footprint under the belly.
        self.reach_cells = max(
            self._hazard_params.plane_radius_cells,
            self._hazard_params.step_radius_cells,
            self._hazard_params.belly_radius_cells,
        )
        shape = elevation_m.shape
        self.slope_deg: FloatGrid = np.full(shape, np.nan, np.float32)
        self.roughness_m: FloatGrid = np.full(shape, np.nan, np.float32)
        self.step_m: FloatGrid = np.full(shape, np.nan, np.float32)
        self.belly_m: FloatGrid = np.full(shape, np.nan, np.float32)
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
        self._recompute(region)
        return region

    def shift(self, shift: tuple[int, int]) -> list[Region]:
        """Follows the elevation grid after its window moved by ``shift`` = (rows, cols)
        (afterwards cell (r, c) is what cell (r + rows, c + cols) was): the layers and costs
        move with it in place, and only the cells whose windows now see different ground are
        recomputed. Those are two bands along each axis that moved: the exposed edge (now
        unknown ground) plus ``reach_cells``, and ``reach_cells`` along the opposite edge,
        whose windows lost the cells that left. Returns those regions (none for (0, 0)).

        Call it after the elevation grid has moved (its view is read, not copied).
        """
        d_rows, d_cols = int(shift[0]), int(shift[1])
        if d_rows == 0 and d_cols == 0:
            return []
        for layer in (self.slope_deg, self.roughness_m, self.step_m, self.belly_m, self.cost):
            _core.shift_grid(layer, (d_rows, d_cols), math.nan)
        rows, cols = self.shape
        reach = self.reach_cells

        def bands(moved: int, size: int) -> list[tuple[int, int]]:
            """Index ranges along one axis whose windows changed after moving by ``moved``."""
            if moved == 0:
                return []
            low_end = reach + max(0, -moved)  # [0, low_end): the south/west edge
            high_begin = size - reach - max(0, moved)  # [high_begin, size): the north/east edge
            if low_end >= high_begin:
                return [(0, size)]
            return [(0, min(size, low_end)), (max(0, high_begin), size)]

        row_bands = bands(d_rows, rows)
        regions = [Region(r0, 0, r1, cols) for r0, r1 in row_bands]
        # Column bands over the rows the row bands left out.
        row_gaps = [(0, rows)]
        if row_bands:
            row_gaps = [(row_bands[0][1], row_bands[-1][0])] if len(row_bands) == 2 else []
        for c0, c1 in bands(d_cols, cols):
            regions += [Region(r0, c0, r1, c1) for r0, r1 in row_gaps if r1 > r0]
        for region in regions:
            self._recompute(region)
        return regions

    def _recompute(self, region: Region) -> None:
        _core.compute_hazard_layers(
            self._elevation,
            self._hazard_params,
            region,
            self.slope_deg,
            self.roughness_m,
            self.step_m,
            self.belly_m,
        )
        _core.compute_costmap(
            self.slope_deg,
            self.roughness_m,
            self.step_m,
            self.belly_m,
            self._costmap_params,
            region,
            self.cost,
        )

    def lethal(self) -> npt.NDArray[np.bool_]:
        return np.isinf(self.cost)
