"""3D occupancy for pits and lava tubes (C++ core): a voxel map fused from range points, with
frontiers for exploration and a Euclidean distance field for planning with a clearance radius.

Frame and units: the site frame (x east, y north, z up, metres). A :class:`VoxelGrid` of shape
``(layers, rows, cols)`` and edge ``resolution_m`` has its lowest corner at ``origin_m``; voxel
``(layer, row, col)`` covers ``origin_m + [col, col + 1), [row, row + 1), [layer, layer + 1)``
times ``resolution_m`` along (x, y, z). Every per-voxel array is indexed ``[layer, row, col]``, so
``voxel_map.occupied_mask[k]`` is a horizontal slice laid out like the 2D maps (row 0 south,
drawn with ``origin="lower"``).

Occupancy is the log-odds ``L = ln(p / (1 - p))`` of a voxel being occupied, NaN while it is
unknown (never observed): unknown is never confused with free. Each scan walks the exact voxel
path of every ray (Amanatides & Woo): voxels crossed are missed, the voxel holding the point is
hit, and each touched voxel is updated once per scan (a hit wins over misses). Points beyond
``max_range_m`` clear space up to that range and hit nothing. See
``cpp/include/ilrs/perception/voxel_map.h`` for the exact rules and ``docs/voxel_map.md`` for a
picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.perception.elevation import CameraPose, PinholeCamera, depth_to_points

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolGrid = npt.NDArray[np.bool_]
FloatGrid = npt.NDArray[np.float32]

Voxel = tuple[int, int, int]
"""(layer, row, col): indices along (z, y, x)."""


class VoxelState(IntEnum):
    UNKNOWN = 0
    FREE = 1
    OCCUPIED = 2


class VoxelBox(NamedTuple):
    """Half-open box of voxels [layer_begin, layer_end) x [row_begin, row_end) x [col_begin,
    col_end)."""

    layer_begin: int
    row_begin: int
    col_begin: int
    layer_end: int
    row_end: int
    col_end: int

    @property
    def empty(self) -> bool:
        return (
            self.layer_end <= self.layer_begin
            or self.row_end <= self.row_begin
            or self.col_end <= self.col_begin
        )

    @property
    def voxel_count(self) -> int:
        if self.empty:
            return 0
        return (
            (self.layer_end - self.layer_begin)
            * (self.row_end - self.row_begin)
            * (self.col_end - self.col_begin)
        )

    def dilated(self, margin: int, shape: tuple[int, int, int]) -> VoxelBox:
        """Grown by ``margin`` voxels on every side, clipped to a grid of ``shape``."""
        if self.empty:
            return self
        return VoxelBox(
            max(0, self.layer_begin - margin),
            max(0, self.row_begin - margin),
            max(0, self.col_begin - margin),
            min(shape[0], self.layer_end + margin),
            min(shape[1], self.row_end + margin),
            min(shape[2], self.col_end + margin),
        )

    @property
    def slices(self) -> tuple[slice, slice, slice]:
        """Index a per-voxel array with these to get the box's voxels."""
        return (
            slice(self.layer_begin, self.layer_end),
            slice(self.row_begin, self.row_end),
            slice(self.col_begin, self.col_end),
        )


@dataclass(frozen=True)
class VoxelGrid:
    """Where a voxel grid lies in the site frame (see the module docstring)."""

    origin_m: tuple[float, float, float]
    resolution_m: float
    shape: tuple[int, int, int]  # (layers, rows, cols) along (z, y, x)

    def __post_init__(self) -> None:
        self.to_core()  # raises ValueError naming the bad field

    @classmethod
    def covering(
        cls,
        min_corner_m: tuple[float, float, float],
        max_corner_m: tuple[float, float, float],
        resolution_m: float,
    ) -> VoxelGrid:
        """The grid from ``min_corner_m`` with whole voxels reaching at least ``max_corner_m``."""
        if not (math.isfinite(resolution_m) and resolution_m > 0.0):
            raise ValueError(f"resolution_m must be > 0, got {resolution_m}")
        extent = [hi - lo for lo, hi in zip(min_corner_m, max_corner_m, strict=True)]
        if not all(e > 0.0 for e in extent):
            raise ValueError(f"max_corner_m {max_corner_m} must exceed min_corner_m {min_corner_m}")
        cols, rows, layers = (math.ceil(e / resolution_m - 1e-9) for e in extent)
        return cls(min_corner_m, resolution_m, (layers, rows, cols))

    @property
    def max_corner_m(self) -> tuple[float, float, float]:
        layers, rows, cols = self.shape
        x, y, z = self.origin_m
        r = self.resolution_m
        return (x + cols * r, y + rows * r, z + layers * r)

    def voxel_of(self, points_xyz_m: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """(N, 3) voxels (layer, row, col) holding (N, 3) points; they may lie outside the grid."""
        p = np.asarray(points_xyz_m, dtype=np.float64).reshape(-1, 3)
        ijk = np.floor((p - np.asarray(self.origin_m)) / self.resolution_m).astype(np.int64)
        voxels: npt.NDArray[np.int64] = ijk[:, ::-1].copy()
        return voxels

    def contains(self, voxels: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        v = np.asarray(voxels, dtype=np.int64).reshape(-1, 3)
        inside: npt.NDArray[np.bool_] = np.all((v >= 0) & (v < np.asarray(self.shape)), axis=1)
        return inside

    def centers_m(self, voxels: npt.ArrayLike) -> FloatArray:
        """(N, 3) site-frame centres of (N, 3) voxels (layer, row, col)."""
        v = np.asarray(voxels, dtype=np.float64).reshape(-1, 3)
        centers: FloatArray = np.asarray(self.origin_m) + (v[:, ::-1] + 0.5) * self.resolution_m
        return centers

    def voxels_on_segment(
        self, from_m: npt.ArrayLike, to_m: npt.ArrayLike
    ) -> tuple[IntArray, FloatArray]:
        """The voxels the segment passes through, in order from ``from_m`` (exact traversal,
        parts outside the grid skipped), and for each the part of the segment inside it as
        fractions [t_enter, t_exit] of the segment. A segment through an edge or corner also
        lists the voxels beside it, with t_enter == t_exit."""
        voxels, t = _core.voxels_on_segment(
            self.to_core(),
            np.ascontiguousarray(from_m, dtype=np.float64),
            np.ascontiguousarray(to_m, dtype=np.float64),
        )
        return voxels, t

    def to_core(self) -> _core.VoxelGeometry:
        return _core.VoxelGeometry(self.origin_m, self.resolution_m, self.shape)


def _log_odds(p: float, name: str) -> float:
    if not 0.0 < p < 1.0:
        raise ValueError(f"{name} must be a probability in (0, 1), got {p}")
    return math.log(p / (1.0 - p))


@dataclass(frozen=True)
class OccupancyConfig:
    """Log-odds increments per scan and their limits; defaults: p(hit) 0.7, p(miss) 0.4,
    clamped to p in [0.12, 0.97], occupied above p = 0.5 (OctoMap's lidar model)."""

    hit_log_odds: float = 0.847298
    miss_log_odds: float = -0.405465
    min_log_odds: float = -1.99243
    max_log_odds: float = 3.47610
    occupied_above_log_odds: float = 0.0

    @classmethod
    def from_probabilities(
        cls,
        hit: float = 0.7,
        miss: float = 0.4,
        clamp_min: float = 0.12,
        clamp_max: float = 0.97,
        occupied_above: float = 0.5,
    ) -> OccupancyConfig:
        return cls(
            _log_odds(hit, "hit"),
            _log_odds(miss, "miss"),
            _log_odds(clamp_min, "clamp_min"),
            _log_odds(clamp_max, "clamp_max"),
            _log_odds(occupied_above, "occupied_above"),
        )

    def to_core(self) -> _core.OccupancyParams:
        params = _core.OccupancyParams()
        params.hit_log_odds = self.hit_log_odds
        params.miss_log_odds = self.miss_log_odds
        params.min_log_odds = self.min_log_odds
        params.max_log_odds = self.max_log_odds
        params.occupied_above_log_odds = self.occupied_above_log_odds
        params.validate()  # ValueError naming the field
        return params


@dataclass(frozen=True)
class Insertion:
    """What one scan did to the map."""

    changed: VoxelBox  # voxels whose log-odds changed (unknown -> known included)
    points_used: int  # finite points, one ray each
    skipped_nonfinite: int  # points with a NaN or infinite coordinate
    beyond_max_range: int  # points cut at max_range_m (free up to it, no hit)
    hits_outside_grid: int  # points within range but outside the grid


@dataclass(frozen=True)
class FrontierCluster:
    """Connected frontier voxels (free, beside unknown): a place to explore next."""

    voxels: IntArray  # (K, 3) (layer, row, col), in storage order
    centroid_m: tuple[float, float, float]  # mean of the voxel centres, site frame
    goal: Voxel  # the member nearest the centroid: a free voxel to head for
    bounds: VoxelBox

    @property
    def size(self) -> int:
        return int(self.voxels.shape[0])


class VoxelMap:
    """Log-odds occupancy over a bounded voxel grid (not thread-safe: one writer at a time).

    The array properties are read-only live views into the map: they change as scans are
    inserted and keep the map's storage alive as long as they exist.
    """

    def __init__(self, grid: VoxelGrid, occupancy: OccupancyConfig | None = None) -> None:
        self.grid = grid
        self.occupancy = occupancy or OccupancyConfig()
        self._map = _core.VoxelMap(grid.to_core(), self.occupancy.to_core())

    # --- fusion ------------------------------------------------------------------------------

    def insert_point_cloud(
        self, points_xyz_m: npt.ArrayLike, sensor_xyz_m: npt.ArrayLike, max_range_m: float
    ) -> Insertion:
        """Fuses one scan of (N, 3) site-frame points seen from ``sensor_xyz_m``.

        Points with a NaN or infinite coordinate are skipped and counted. Raises ValueError
        (map untouched) for a bad shape, a non-finite sensor or ``max_range_m`` <= 0.
        """
        points = np.ascontiguousarray(points_xyz_m, dtype=np.float32)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(f"points_xyz_m must have shape (N, 3), got {points.shape}")
        sensor = np.ascontiguousarray(sensor_xyz_m, dtype=np.float64)
        if sensor.shape != (3,):
            raise ValueError(f"sensor_xyz_m must have 3 values, got shape {sensor.shape}")
        r = self._map.insert_point_cloud(points, sensor, max_range_m)
        return Insertion(
            VoxelBox(*r.changed),
            r.points_used,
            r.skipped_nonfinite,
            r.beyond_max_range,
            r.hits_outside_grid,
        )

    def insert_depth(
        self, depth_m: FloatGrid, camera: PinholeCamera, pose: CameraPose, max_range_m: float
    ) -> Insertion:
        """Fuses a depth image (metres along the optical axis). Pixels without a return (NaN or
        <= 0) cast no ray, so they clear nothing."""
        if depth_m.shape != (camera.height_px, camera.width_px):
            raise ValueError(
                f"depth_m has shape {depth_m.shape} but the camera is "
                f"{camera.height_px} x {camera.width_px}"
            )
        points = depth_to_points(depth_m, camera, pose)
        return self.insert_point_cloud(points, pose.position_m, max_range_m)

    def set_log_odds(self, log_odds: npt.ArrayLike) -> None:
        """Replaces every voxel's log-odds (NaN = unknown; others clamped): for priors such as
        a voxelised world, and tests."""
        values = np.ascontiguousarray(log_odds, dtype=np.float32)
        if values.shape != self.grid.shape:
            raise ValueError(f"log_odds has shape {values.shape}, the grid {self.grid.shape}")
        self._map.set_log_odds(values)

    # --- queries -----------------------------------------------------------------------------

    @property
    def log_odds(self) -> FloatGrid:
        """(layers, rows, cols) float32 view; NaN where unknown."""
        return self._map.log_odds

    @property
    def occupied_mask(self) -> BoolGrid:
        """(layers, rows, cols) bool view."""
        return self._map.occupied_mask

    @property
    def free_mask(self) -> BoolGrid:
        """(layers, rows, cols) bool view."""
        return self._map.free_mask

    @property
    def unknown_mask(self) -> BoolGrid:
        """(layers, rows, cols) bool array (a new one, not a view)."""
        unknown: BoolGrid = ~(self.occupied_mask | self.free_mask)
        return unknown

    @property
    def occupied_count(self) -> int:
        return int(self._map.occupied_count)

    @property
    def free_count(self) -> int:
        return int(self._map.free_count)

    def state(self, voxel: Voxel) -> VoxelState:
        """UNKNOWN outside the grid."""
        return VoxelState(int(self.states(np.array([voxel]))[0]))

    def states(self, voxels: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """VoxelState values of (N, 3) voxels (layer, row, col); UNKNOWN outside the grid."""
        v = np.asarray(voxels, dtype=np.int64).reshape(-1, 3)
        states = np.zeros(v.shape[0], np.uint8)
        inside = self.grid.contains(v)
        states[inside] = self._map.states(np.ascontiguousarray(v[inside], dtype=np.int32))
        return states

    def states_at(self, points_xyz_m: npt.ArrayLike) -> npt.NDArray[np.uint8]:
        """VoxelState values at (N, 3) site-frame points."""
        return self.states(self.grid.voxel_of(points_xyz_m))

    # --- exploration -------------------------------------------------------------------------

    def frontiers(self, within: VoxelBox | None = None) -> IntArray:
        """(K, 3) frontier voxels (layer, row, col) in storage order: free voxels with at least
        one unknown face neighbour inside the grid (outside the grid is not unknown). ``within``
        limits the search to a box, e.g. an insertion's ``changed`` box grown by one voxel."""
        box = within if within is not None else VoxelBox(0, 0, 0, *self.grid.shape)
        return self._map.frontiers(box)

    def frontier_clusters(self, connectivity: int = 26, min_size: int = 1) -> list[FrontierCluster]:
        """Frontier voxels grouped by face (6) or face, edge and corner (26) connectivity,
        largest first (ties: storage order of their first voxel); smaller than ``min_size``
        dropped. 26 keeps a frontier sheet that lies diagonal to the grid in one piece."""
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}")
        return [
            FrontierCluster(c.voxels, c.centroid_m, c.goal, VoxelBox(*c.bounds))
            for c in self._map.frontier_clusters(connectivity, min_size)
        ]

    # --- planning ----------------------------------------------------------------------------

    def distance_field_m(self, unknown_is_obstacle: bool = False) -> FloatGrid:
        """(layers, rows, cols) float32 view: distance in metres from each voxel's centre to the
        centre of the nearest occupied voxel (or unknown one, if asked); 0 at obstacles, +inf if
        there are none. Exact (Felzenszwalb-Huttenlocher), recomputed on demand only after the
        map changed. The view shows the latest computation (another call with the other
        ``unknown_is_obstacle`` overwrites it). A body of radius r anywhere inside voxel v
        clears all obstacle voxels if field[v] >= r + sqrt(3) * resolution_m."""
        return self._map.distance_field(unknown_is_obstacle)

    def clearance_m(
        self, points_xyz_m: npt.ArrayLike, unknown_is_obstacle: bool = False
    ) -> FloatArray:
        """The distance field at the voxels holding (N, 3) site-frame points; NaN outside."""
        points = np.ascontiguousarray(points_xyz_m, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(f"points_xyz_m must have shape (N, 3), got {points.shape}")
        return self._map.clearance(points, unknown_is_obstacle)
