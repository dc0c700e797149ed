"""2.5D elevation map fused from depth frames (C++ core), and the camera model it needs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Cell, Region

FloatGrid = npt.NDArray[np.float32]


@dataclass(frozen=True)
class PinholeCamera:
    """OpenCV-convention pinhole intrinsics (x right, y down, z forward; pixels)."""

    width_px: int
    height_px: int
    fx: float
    fy: float
    cx: float
    cy: float

    @classmethod
    def from_fov(cls, width_px: int, height_px: int, hfov_deg: float) -> PinholeCamera:
        """Square pixels and a centred principal point, from the horizontal field of view."""
        if not 0.0 < hfov_deg < 180.0:
            raise ValueError(f"hfov_deg must be in (0, 180), got {hfov_deg}")
        f = (width_px / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
        return cls(width_px, height_px, f, f, (width_px - 1) / 2.0, (height_px - 1) / 2.0)

    def to_core(self) -> _core.PinholeIntrinsics:
        k = _core.PinholeIntrinsics()
        k.width_px, k.height_px = self.width_px, self.height_px
        k.fx, k.fy, k.cx, k.cy = self.fx, self.fy, self.cx, self.cy
        return k


@dataclass(frozen=True)
class CameraPose:
    """Camera position in the site frame and its camera-to-site rotation matrix."""

    position_m: npt.NDArray[np.float64]
    rotation: npt.NDArray[np.float64] = field(default_factory=lambda: np.eye(3))

    @classmethod
    def looking(
        cls, position_m: tuple[float, float, float], heading_rad: float, pitch_down_rad: float
    ) -> CameraPose:
        """A level camera turned to ``heading_rad`` (from east, counter-clockwise), tilted down."""
        ch, sh = math.cos(heading_rad), math.sin(heading_rad)
        cp, sp = math.cos(pitch_down_rad), math.sin(pitch_down_rad)
        forward = np.array([cp * ch, cp * sh, -sp])
        right = np.array([sh, -ch, 0.0])
        down = np.cross(forward, right)
        return cls(np.asarray(position_m, np.float64), np.column_stack([right, down, forward]))


@dataclass(frozen=True)
class FusionConfig:
    """Range-dependent depth noise: sigma = noise_floor_m + noise_per_range2 * range^2."""

    noise_floor_m: float = 0.005
    noise_per_range2: float = 0.0004
    prior_variance_m2: float = 0.09  # an orbital DEM seen at rover scale: +-0.3 m

    def to_core(self) -> _core.FusionParams:
        params = _core.FusionParams()
        params.noise_floor_m = self.noise_floor_m
        params.noise_per_range2 = self.noise_per_range2
        return params


class ElevationMap:
    """Per-cell height, variance and highest measurement, fused frame by frame.

    The map is a window of ``shape`` cells over the site frame: its cell (0, 0) is the site
    cell ``origin`` (row = floor(y / resolution), col = floor(x / resolution)), (0, 0) unless
    given or moved. :meth:`move_origin` and :meth:`recentre` roll the window to follow the
    rover: cells still inside keep every layer exactly, newly exposed cells are unknown, the
    storage is shifted in place (the layer views stay valid and see the moved window).
    """

    def __init__(
        self,
        shape: tuple[int, int],
        resolution_m: float,
        fusion: FusionConfig | None = None,
        origin: tuple[int, int] = (0, 0),
    ) -> None:
        self._map = _core.ElevationMap(
            shape[0], shape[1], resolution_m, (int(origin[0]), int(origin[1]))
        )
        self.fusion = fusion or FusionConfig()
        self._fusion_params = self.fusion.to_core()

    @classmethod
    def from_prior(
        cls, heights_m: FloatGrid, resolution_m: float, fusion: FusionConfig | None = None
    ) -> ElevationMap:
        """Starts from prior heights (e.g. an orbital DEM), all with the prior variance."""
        if heights_m.ndim != 2:
            raise ValueError(f"heights_m must be 2D, got shape {heights_m.shape}")
        emap = cls((int(heights_m.shape[0]), int(heights_m.shape[1])), resolution_m, fusion)
        emap._map.set_prior(heights_m, emap.fusion.prior_variance_m2)
        return emap

    @property
    def resolution_m(self) -> float:
        return float(self._map.resolution_m)

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self._map.shape
        return (int(rows), int(cols))

    @property
    def origin(self) -> Cell:
        """Site cell (row, col) of map cell (0, 0)."""
        row, col = self._map.origin
        return Cell(int(row), int(col))

    @property
    def origin_xy_m(self) -> tuple[float, float]:
        """Site-frame (x, y) of the window's south-west corner."""
        res = self.resolution_m
        return (self.origin.col * res, self.origin.row * res)

    def move_origin(self, origin: tuple[int, int]) -> Cell:
        """Moves the window so map cell (0, 0) is site cell ``origin``; returns the shift
        (new origin - old), for :meth:`TraversabilityMap.shift`."""
        d_rows, d_cols = self._map.move_origin((int(origin[0]), int(origin[1])))
        return Cell(int(d_rows), int(d_cols))

    def recentre(self, x_m: float, y_m: float, tolerance_cells: int = 0) -> Cell:
        """Moves the window so the site point (x_m, y_m) is in its centre cell, unless it is
        already within ``tolerance_cells`` of it along both axes (then nothing moves and the
        shift is (0, 0)). Returns the shift."""
        if not (math.isfinite(x_m) and math.isfinite(y_m)):
            raise ValueError(f"recentre: the point ({x_m}, {y_m}) must be finite")
        if tolerance_cells < 0:
            raise ValueError(f"recentre: tolerance_cells must be >= 0, got {tolerance_cells}")
        rows, cols = self.shape
        res = self.resolution_m
        target = Cell(math.floor(y_m / res) - rows // 2, math.floor(x_m / res) - cols // 2)
        current = self.origin
        if (
            abs(target.row - current.row) <= tolerance_cells
            and abs(target.col - current.col) <= tolerance_cells
        ):
            return Cell(0, 0)
        return self.move_origin(target)

    @property
    def height_m(self) -> FloatGrid:
        """Read-only live view (updates as frames are fused)."""
        view: FloatGrid = self._map.height_m
        return view

    @property
    def variance_m2(self) -> FloatGrid:
        view: FloatGrid = self._map.variance_m2
        return view

    @property
    def max_height_m(self) -> FloatGrid:
        view: FloatGrid = self._map.max_height_m
        return view

    def fuse_points(self, points_xyz_m: npt.ArrayLike, sensor_xyz_m: npt.ArrayLike) -> Region:
        """Fuses (N, 3) site-frame points seen from ``sensor_xyz_m``; returns the changed cells
        (map cells; points outside the window are skipped)."""
        points = np.ascontiguousarray(points_xyz_m, dtype=np.float32)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(f"points_xyz_m must have shape (N, 3), got {points.shape}")
        sensor = np.ascontiguousarray(sensor_xyz_m, dtype=np.float64)
        return Region(*self._map.fuse_points(points, sensor, self._fusion_params))

    def fuse_depth(self, depth_m: FloatGrid, camera: PinholeCamera, pose: CameraPose) -> Region:
        """Back-projects a depth image through the camera pose and fuses it."""
        if depth_m.shape != (camera.height_px, camera.width_px):
            raise ValueError(
                f"depth_m has shape {depth_m.shape} but the camera is "
                f"{camera.height_px} x {camera.width_px}"
            )
        changed = self._map.fuse_depth(
            np.ascontiguousarray(depth_m, dtype=np.float32),
            camera.to_core(),
            pose.position_m,
            pose.rotation,
            self._fusion_params,
        )
        return Region(*changed)


def depth_to_points(
    depth_m: FloatGrid, camera: PinholeCamera, pose: CameraPose
) -> npt.NDArray[np.float32]:
    """Site-frame points (N, 3) of every valid pixel (finite depth > 0)."""
    points: npt.NDArray[np.float32] = _core.depth_to_points(
        np.ascontiguousarray(depth_m, dtype=np.float32),
        camera.to_core(),
        pose.position_m,
        pose.rotation,
    )
    return points
