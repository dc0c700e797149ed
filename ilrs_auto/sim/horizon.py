"""Terrain horizons of lunar DEM cells, and what they let through: sunlight and Earth.

A cell's horizon is the highest elevation angle of terrain in each of N azimuth sectors
(sector k centred on azimuth k * 360 / N, clockwise from local north), on the 1737.4 km sphere so
that the Moon's curvature is included. It is the larger of two parts, both ray-marched by the C++
core (``cpp/include/ilrs/sim/horizon.h``):

- near terrain from the DEM tile itself (a south polar stereographic LOLA tile, 5 m/px), out to
  the tile's edge;
- far terrain from ``far_min_distance_m`` (1 km) out to ``far_max_distance_m`` (300 km) from
  the global LOLA LDEM_4 (7.6 km/px), resampled around the tile into an azimuthal-equidistant
  grid whose axes are the tile's map axes (:func:`far_terrain`).

The tile's map plane keeps distances within 0.06 % (scale factor 1.0006 at 87 S) and directions
exactly (conformal), so a map distance is taken as an arc on the sphere. A map direction differs
from a geographic azimuth by the grid convergence, which for this projection is the east
longitude: ``azimuth = map_azimuth - longitude``.

Between the tile's edge and a few tens of km the LDEM's 7.6 km pixels smooth the terrain out:
hills there can be missed (the horizon is then too low) until a finer regional DEM is added.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.sim.ephemeris import MOON_RADIUS_M, LunarSite, azimuth_elevation
from ilrs_auto.terrain.geotiff import Dem
from ilrs_auto.terrain.ldem import CylindricalDem, read_ldem

__all__ = [
    "SOUTH_POLAR_STEREOGRAPHIC",
    "FarTerrain",
    "Horizon",
    "HorizonSettings",
    "cells_lat_lon",
    "default_far_dem",
    "disk_fraction_visible",
    "far_terrain",
    "horizon_along",
    "latlon_to_map",
    "local_azimuth_elevation",
    "map_to_latlon",
    "site_of_cell",
    "terrain_horizon",
]

# The CRS description ilrs_auto.terrain gives the LOLA south-pole tiles.
SOUTH_POLAR_STEREOGRAPHIC = "polar stereographic, lat0 -90, R 1737400 m"

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]  # (cells done, cells in all)


def map_to_latlon(x_m: npt.ArrayLike, y_m: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Latitude and east longitude (deg, MOON_ME) of south polar stereographic map points
    (true scale at the pole, sphere of 1737.4 km, central meridian 0 along map +y)."""
    x = np.asarray(x_m, dtype=np.float64)
    y = np.asarray(y_m, dtype=np.float64)
    rho = np.hypot(x, y)
    latitude = -(90.0 - 2.0 * np.degrees(np.arctan(rho / (2.0 * MOON_RADIUS_M))))
    longitude = np.mod(np.degrees(np.arctan2(x, y)), 360.0)
    return latitude, longitude


def latlon_to_map(
    latitude_deg: npt.ArrayLike, longitude_deg: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """South polar stereographic map (x, y) in metres of latitude/longitude points (deg)."""
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    rho = 2.0 * MOON_RADIUS_M * np.tan((np.pi / 2.0 + lat) / 2.0)
    return np.asarray(rho * np.sin(lon), np.float64), np.asarray(rho * np.cos(lon), np.float64)


def _check_polar_dem(dem: Dem) -> None:
    if dem.crs != SOUTH_POLAR_STEREOGRAPHIC:
        raise InputError(
            f"{dem.source}: horizons need a south polar stereographic DEM "
            f"({SOUTH_POLAR_STEREOGRAPHIC!r}), this one is {dem.crs!r}"
        )


def _cell_centres(dem: Dem, cells: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    x = dem.origin_xy_m[0] + (cells[:, 1] + 0.5) * dem.resolution_m
    y = dem.origin_xy_m[1] + (cells[:, 0] + 0.5) * dem.resolution_m
    return np.asarray(x, np.float64), np.asarray(y, np.float64)


def site_of_cell(dem: Dem, row: int, col: int, height_above_ground_m: float = 0.0) -> LunarSite:
    """The lunar site (MOON_ME latitude, longitude, height) of a DEM cell's centre."""
    _check_polar_dem(dem)
    cells = _checked_cells(dem, np.array([[row, col]]))
    x, y = _cell_centres(dem, cells)
    lat, lon = map_to_latlon(x, y)
    height = float(dem.heights_m[row, col]) + height_above_ground_m
    return LunarSite(float(lat[0]), float(lon[0]), height)


@dataclass(frozen=True, eq=False)
class FarTerrain:
    """Far terrain around a tile: heights (m above the sphere) on an azimuthal-equidistant grid
    centred on the tile's centre, with the tile's map axes and map coordinates, so that
    observers are placed in it by their tile map (x, y). Layout as :class:`Dem`."""

    heights_m: npt.NDArray[np.float32]
    resolution_m: float
    origin_xy_m: tuple[float, float]
    centre_xy_m: tuple[float, float]
    source: str

    @property
    def radius_m(self) -> float:
        """Half the grid's side."""
        return float(0.5 * self.heights_m.shape[0] * self.resolution_m)


def default_far_dem() -> CylindricalDem:
    """The shipped LOLA LDEM_4 south polar cap (latitudes -75 .. -90)."""
    return read_ldem(assets_dir() / "terrain" / "ldem4_south_cap" / "ldem4_south_cap.lbl")


def far_terrain(
    dem: Dem,
    global_dem: CylindricalDem | None = None,
    radius_m: float = 300_000.0,
    resolution_m: float = 1000.0,
) -> FarTerrain:
    """Resample a global DEM around a polar stereographic tile (see :class:`FarTerrain`)."""
    _check_polar_dem(dem)
    if not (1000.0 <= radius_m <= 1_000_000.0):
        raise InputError(f"far terrain radius_m must be in [1000, 1000000], got {radius_m}")
    if not (10.0 <= resolution_m <= radius_m / 4.0):
        raise InputError(
            f"far terrain resolution_m must be in [10, radius_m / 4], got {resolution_m}"
        )
    source = global_dem or default_far_dem()
    if abs(source.radius_m - MOON_RADIUS_M) > 1.0:
        raise InputError(f"{source.source}: reference radius {source.radius_m} m is not the Moon's")
    cx = dem.origin_xy_m[0] + 0.5 * dem.width_m
    cy = dem.origin_xy_m[1] + 0.5 * dem.height_m
    lat_c, lon_c = (math.radians(float(v)) for v in map_to_latlon(cx, cy))
    n = math.ceil(2.0 * radius_m / resolution_m)
    offsets = (np.arange(n) + 0.5) * resolution_m - 0.5 * n * resolution_m
    dx, dy = np.meshgrid(offsets, offsets)  # row index grows with map y
    # Each grid point is `distance` away from the centre along geographic azimuth `az`
    # (map azimuth less the convergence); the sphere's direct problem gives its lat/lon.
    arc = np.hypot(dx, dy) / MOON_RADIUS_M
    az = np.arctan2(dx, dy) - lon_c
    lat = np.arcsin(
        np.clip(np.sin(lat_c) * np.cos(arc) + np.cos(lat_c) * np.sin(arc) * np.cos(az), -1.0, 1.0)
    )
    lon = lon_c + np.arctan2(
        np.sin(az) * np.sin(arc) * np.cos(lat_c), np.cos(arc) - np.sin(lat_c) * np.sin(lat)
    )
    heights = source.sample(np.degrees(lat), np.degrees(lon)).astype(np.float32)
    half = 0.5 * n * resolution_m
    return FarTerrain(
        heights_m=np.ascontiguousarray(heights),
        resolution_m=resolution_m,
        origin_xy_m=(cx - half, cy - half),
        centre_xy_m=(cx, cy),
        source=source.source,
    )


@dataclass(frozen=True)
class HorizonSettings:
    """How horizons are sampled. Distances in metres, along the ground."""

    sectors: int = 360
    rays_per_sector: int = 1
    observer_height_m: float = 0.0  # eye above the ground (0: the ground itself)
    near_step_m: float = 0.0  # 0: half a tile cell
    far_min_distance_m: float = 1000.0
    far_step_m: float = 500.0
    far_max_distance_m: float = 300_000.0

    def __post_init__(self) -> None:
        if not (1 <= self.sectors <= 100_000):
            raise InputError(f"sectors must be in [1, 100000], got {self.sectors}")
        if not (1 <= self.rays_per_sector <= 1000):
            raise InputError(f"rays_per_sector must be in [1, 1000], got {self.rays_per_sector}")
        if not (math.isfinite(self.observer_height_m) and 0.0 <= self.observer_height_m <= 1e4):
            raise InputError(
                f"observer_height_m must be in [0, 10000], got {self.observer_height_m}"
            )
        if not (
            0.0 <= self.near_step_m < 1e4
            and 0.0 < self.far_step_m < 1e5
            and 0.0 <= self.far_min_distance_m < self.far_max_distance_m <= 2_000_000.0
        ):
            raise InputError(
                "need 0 <= near_step_m, 0 < far_step_m and "
                "0 <= far_min_distance_m < far_max_distance_m <= 2000 km"
            )

    def core_params(self, far: bool) -> _core.HorizonParams:
        params = _core.HorizonParams()
        params.sectors = self.sectors
        params.rays_per_sector = self.rays_per_sector
        params.body_radius_m = MOON_RADIUS_M
        if far:
            params.step_m = self.far_step_m
            params.min_distance_m = self.far_min_distance_m
            params.max_distance_m = self.far_max_distance_m
        else:
            params.step_m = self.near_step_m
        return params


@dataclass(frozen=True, eq=False)
class Horizon:
    """Horizons of a set of cells: ``elevation_deg[i, k]`` for cell ``cells[i]`` (row, col) and
    sector k, centred on azimuth ``k * 360 / sectors`` (clockwise from local north)."""

    elevation_deg: npt.NDArray[np.float32]
    cells: npt.NDArray[np.int64]
    latitude_deg: FloatArray
    longitude_deg: FloatArray

    @property
    def sectors(self) -> int:
        return int(self.elevation_deg.shape[1])

    def sector_of(self, azimuth_deg: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Index of the sector holding each azimuth (deg)."""
        az = np.asarray(azimuth_deg, dtype=np.float64)
        return np.mod(np.rint(az * self.sectors / 360.0).astype(np.int64), self.sectors)

    def at(self, azimuth_deg: npt.ArrayLike) -> FloatArray:
        """Horizon elevation (deg) towards azimuths given per cell: ``azimuth_deg`` has shape
        (n, ...) and row i of the result holds cell i's horizon in the sectors of
        ``azimuth_deg[i, ...]`` (e.g. (1, times) for one site over time)."""
        k = self.sector_of(azimuth_deg)
        n = self.elevation_deg.shape[0]
        if k.ndim == 0 or k.shape[0] != n:
            raise InputError(f"azimuth_deg must have shape ({n}, ...), got {k.shape}")
        rows = np.arange(n).reshape((n,) + (1,) * (k.ndim - 1))
        return np.asarray(self.elevation_deg[rows, k], dtype=np.float64)


def disk_fraction_visible(
    elevation_deg: npt.ArrayLike, horizon_deg: npt.ArrayLike, radius_deg: npt.ArrayLike
) -> FloatArray:
    """Fraction of a disk (the Sun, Earth) of angular radius ``radius_deg`` whose centre is at
    ``elevation_deg`` that stands above a level horizon at ``horizon_deg``: the area of the
    circular segment above the line over the disk's area (0 below, 1 clear, 0.5 cut through
    the centre). All arguments broadcast."""
    radius = np.asarray(radius_deg, dtype=np.float64)
    u = np.clip(
        (np.asarray(elevation_deg, dtype=np.float64) - np.asarray(horizon_deg, np.float64))
        / radius,
        -1.0,
        1.0,
    )
    return np.asarray((np.arccos(-u) + u * np.sqrt(1.0 - u * u)) / np.pi, dtype=np.float64)


def _checked_cells(dem: Dem, cells: npt.ArrayLike | None) -> npt.NDArray[np.int64]:
    rows, cols = dem.shape
    if cells is None:
        r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
        return np.stack([r.ravel(), c.ravel()], axis=1).astype(np.int64)
    arr = np.asarray(cells)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.dtype.kind not in "iu":
        raise InputError(f"cells must be an (n, 2) integer array of (row, col), got {arr.shape}")
    arr = arr.astype(np.int64)
    bad = (arr[:, 0] < 0) | (arr[:, 0] >= rows) | (arr[:, 1] < 0) | (arr[:, 1] >= cols)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"cells[{i}] = ({arr[i, 0]}, {arr[i, 1]}) is outside the {rows} x {cols} DEM"
        )
    return arr


def _observers(dem: Dem, cells: npt.NDArray[np.int64], height_m: float) -> FloatArray:
    """(n, 4): map x, y, eye height above the sphere, map azimuth of north (the longitude)."""
    x, y = _cell_centres(dem, cells)
    _, lon = map_to_latlon(x, y)
    ground = dem.heights_m[cells[:, 0], cells[:, 1]].astype(np.float64)
    if not np.isfinite(ground).all():
        i = int(np.argmin(np.isfinite(ground)))
        raise InputError(f"{dem.source}: cell ({cells[i, 0]}, {cells[i, 1]}) has no height")
    return np.ascontiguousarray(np.stack([x, y, ground + height_m, lon], axis=1))


def _run_chunks(
    count: int,
    work: Callable[[slice], None],
    progress: Progress | None,
    workers: int,
) -> None:
    """Runs work over slices of [0, count) on a thread pool (the core releases the GIL),
    reporting progress from this thread as slices finish."""
    chunk = max(256, min(8192, count // (8 * max(workers, 1)) + 1))
    slices = [slice(i, min(i + chunk, count)) for i in range(0, count, chunk)]
    done = 0
    if progress is not None:
        progress(0, count)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for s, future in [(s, pool.submit(work, s)) for s in slices]:
            future.result()
            done += s.stop - s.start
            if progress is not None:
                progress(done, count)


def terrain_horizon(
    dem: Dem,
    cells: npt.ArrayLike | None = None,
    settings: HorizonSettings | None = None,
    far: FarTerrain | None = None,
    progress: Progress | None = None,
    workers: int = 2,
) -> Horizon:
    """Horizons in ``settings.sectors`` sectors of the given cells ((n, 2) row/col, row 0 the
    south edge; default every cell), from the tile and, if given, the far terrain.

    Cost: cells x sectors x rays x samples; for a whole 256 x 256 tile with far terrain, keep
    sectors small (or use :func:`horizon_along` for one direction per cell).
    """
    _check_polar_dem(dem)
    settings = settings or HorizonSettings()
    chosen = _checked_cells(dem, cells)
    observers = _observers(dem, chosen, settings.observer_height_m)
    out = np.empty((len(chosen), settings.sectors), dtype=np.float32)
    near, far_params = settings.core_params(far=False), settings.core_params(far=True)

    def work(s: slice) -> None:
        part = _core.compute_horizons(
            dem.heights_m, dem.resolution_m, dem.origin_xy_m, observers[s], near
        )
        if far is not None:
            far_part = _core.compute_horizons(
                far.heights_m, far.resolution_m, far.origin_xy_m, observers[s], far_params
            )
            np.maximum(part, far_part, out=part)
        out[s] = part

    _run_chunks(len(chosen), work, progress, workers)
    lat, lon = map_to_latlon(observers[:, 0], observers[:, 1])
    return Horizon(elevation_deg=out, cells=chosen, latitude_deg=lat, longitude_deg=lon)


def horizon_along(
    dem: Dem,
    azimuth_deg: npt.ArrayLike,
    cells: npt.ArrayLike | None = None,
    settings: HorizonSettings | None = None,
    far: FarTerrain | None = None,
    progress: Progress | None = None,
    workers: int = 2,
) -> FloatArray:
    """Each cell's horizon (deg) in the one sector centred on its own azimuth ``azimuth_deg``
    (n,), as :func:`terrain_horizon` would give for that sector: the cheap way to shade a whole
    tile for one Sun direction."""
    _check_polar_dem(dem)
    settings = settings or HorizonSettings()
    chosen = _checked_cells(dem, cells)
    az = np.ascontiguousarray(np.broadcast_to(np.asarray(azimuth_deg, np.float64), len(chosen)))
    observers = _observers(dem, chosen, settings.observer_height_m)
    out = np.empty(len(chosen), dtype=np.float64)
    near, far_params = settings.core_params(far=False), settings.core_params(far=True)

    def work(s: slice) -> None:
        part = _core.compute_horizons_along(
            dem.heights_m, dem.resolution_m, dem.origin_xy_m, observers[s], az[s], near
        )
        if far is not None:
            far_part = _core.compute_horizons_along(
                far.heights_m, far.resolution_m, far.origin_xy_m, observers[s], az[s], far_params
            )
            np.maximum(part, far_part, out=part)
        out[s] = part

    _run_chunks(len(chosen), work, progress, workers)
    return out


def cells_lat_lon(dem: Dem, cells: npt.ArrayLike | None = None) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude (deg) of cell centres (default every cell, row-major)."""
    _check_polar_dem(dem)
    chosen = _checked_cells(dem, cells)
    x, y = _cell_centres(dem, chosen)
    return map_to_latlon(x, y)


def local_azimuth_elevation(
    dem: Dem, directions_me: FloatArray, cells: npt.ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """Azimuth and elevation (deg) of one far body's direction (3,) in MOON_ME from each cell."""
    lat, lon = cells_lat_lon(dem, cells)
    return azimuth_elevation(np.asarray(directions_me)[None, :], lat, lon)
