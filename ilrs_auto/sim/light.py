"""Sunlight and Earth in view over DEM cells: the ephemeris seen past the terrain horizon.

- A cell is *lit* by the fraction of the Sun's disk (radius ~0.27 deg) above its horizon in the
  Sun's azimuth sector (:func:`sun_lit_map` for a whole tile at one time).
- A site is *in contact* while Earth's centre is above its horizon in Earth's sector; the
  fraction of Earth's disk (radius ~0.95 deg) in view is reported beside it
  (:func:`site_timeline`, :func:`contact_windows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError
from ilrs_auto.sim.ephemeris import (
    SUN_RADIUS_KM,
    LunarEphemeris,
    default_ephemeris,
    to_utc_array,
)
from ilrs_auto.sim.horizon import (
    FarTerrain,
    Horizon,
    HorizonSettings,
    disk_fraction_visible,
    horizon_along,
    local_azimuth_elevation,
    site_of_cell,
    terrain_horizon,
)
from ilrs_auto.terrain.geotiff import Dem

__all__ = [
    "ContactWindow",
    "LitMap",
    "SiteTimeline",
    "contact_windows",
    "site_timeline",
    "sun_lit_map",
]

FloatArray = npt.NDArray[np.float64]
Progress = Callable[[int, int], None]


@dataclass(frozen=True, eq=False)
class LitMap:
    """The Sun over a DEM at one time: per cell (rows, cols, row 0 south) the Sun's azimuth and
    elevation, the horizon towards it and the fraction of its disk in view."""

    time_utc: np.datetime64
    sun_azimuth_deg: FloatArray
    sun_elevation_deg: FloatArray
    horizon_deg: FloatArray
    lit_fraction: FloatArray


def sun_lit_map(
    dem: Dem,
    time_utc: np.datetime64 | str,
    settings: HorizonSettings | None = None,
    far: FarTerrain | None = None,
    ephemeris: LunarEphemeris | None = None,
    progress: Progress | None = None,
) -> LitMap:
    """How much of the Sun each cell of the DEM sees at ``time_utc``."""
    eph = ephemeris or default_ephemeris()
    time = to_utc_array(time_utc)
    rows, cols = dem.shape
    centre = site_of_cell(dem, rows // 2, cols // 2)
    directions, distance_km = eph.directions_me("sun", time, centre)
    azimuth, elevation = local_azimuth_elevation(dem, directions[0])
    horizon = horizon_along(dem, azimuth, settings=settings, far=far, progress=progress)
    radius = float(np.degrees(np.arcsin(SUN_RADIUS_KM / distance_km[0])))
    fraction = disk_fraction_visible(elevation, horizon, radius)
    shape = (rows, cols)
    return LitMap(
        time_utc=time[0],
        sun_azimuth_deg=azimuth.reshape(shape),
        sun_elevation_deg=elevation.reshape(shape),
        horizon_deg=horizon.reshape(shape),
        lit_fraction=fraction.reshape(shape),
    )


@dataclass(frozen=True, eq=False)
class SiteTimeline:
    """The Sun and Earth seen from one DEM cell over time (arrays of the times' length)."""

    times_utc: npt.NDArray[np.datetime64]
    horizon: Horizon  # of the one cell, all sectors
    earth_azimuth_deg: FloatArray
    earth_elevation_deg: FloatArray
    earth_horizon_deg: FloatArray
    earth_visible_fraction: FloatArray
    sun_azimuth_deg: FloatArray
    sun_elevation_deg: FloatArray
    sun_horizon_deg: FloatArray
    sun_lit_fraction: FloatArray

    @property
    def contact(self) -> npt.NDArray[np.bool_]:
        """Earth's centre is above the terrain horizon."""
        return np.asarray(self.earth_elevation_deg > self.earth_horizon_deg, dtype=np.bool_)


def site_timeline(
    dem: Dem,
    cell: tuple[int, int],
    times_utc: npt.ArrayLike,
    settings: HorizonSettings | None = None,
    far: FarTerrain | None = None,
    ephemeris: LunarEphemeris | None = None,
    progress: Progress | None = None,
    chunk: int = 20_000,
) -> SiteTimeline:
    """Sun and Earth from the cell (row, col) at each UTC time, past its terrain horizon (eye
    ``settings.observer_height_m`` above the ground: an antenna, a panel)."""
    eph = ephemeris or default_ephemeris()
    settings = settings or HorizonSettings()
    times = to_utc_array(times_utc)
    horizon = terrain_horizon(dem, [cell], settings=settings, far=far, workers=1)
    site = site_of_cell(dem, cell[0], cell[1], settings.observer_height_m)
    columns: dict[str, list[FloatArray]] = {}
    for start in range(0, len(times), chunk):
        part = times[start : start + chunk]
        for body in ("earth", "sun"):
            track = eph.track(body, part, site)
            toward = horizon.at(track.azimuth_deg[None, :])[0]
            seen = disk_fraction_visible(track.elevation_deg, toward, track.angular_radius_deg)
            for name, values in (
                ("azimuth", track.azimuth_deg),
                ("elevation", track.elevation_deg),
                ("horizon", toward),
                ("seen", seen),
            ):
                columns.setdefault(f"{body}_{name}", []).append(values)
        if progress is not None:
            progress(min(start + chunk, len(times)), len(times))

    def col(name: str) -> FloatArray:
        return np.concatenate(columns[name]) if name in columns else np.empty(0)

    return SiteTimeline(
        times_utc=times,
        horizon=horizon,
        earth_azimuth_deg=col("earth_azimuth"),
        earth_elevation_deg=col("earth_elevation"),
        earth_horizon_deg=col("earth_horizon"),
        earth_visible_fraction=col("earth_seen"),
        sun_azimuth_deg=col("sun_azimuth"),
        sun_elevation_deg=col("sun_elevation"),
        sun_horizon_deg=col("sun_horizon"),
        sun_lit_fraction=col("sun_seen"),
    )


@dataclass(frozen=True)
class ContactWindow:
    """A run of samples in contact: from the first to the last such sample. ``open_start`` /
    ``open_end`` say the run touches the span's edge (it may begin earlier or end later)."""

    start_utc: np.datetime64
    end_utc: np.datetime64
    open_start: bool
    open_end: bool

    @property
    def duration_h(self) -> float:
        return float((self.end_utc - self.start_utc) / np.timedelta64(1, "s")) / 3600.0


def contact_windows(
    times_utc: npt.NDArray[np.datetime64], in_contact: npt.ArrayLike
) -> list[ContactWindow]:
    """The runs of True in ``in_contact`` (one flag per time), in time order."""
    flags = np.asarray(in_contact, dtype=np.bool_)
    if flags.shape != times_utc.shape or flags.ndim != 1:
        raise InputError(
            f"in_contact must have one flag per time: {flags.shape} vs {times_utc.shape}"
        )
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    n = len(flags)
    return [
        ContactWindow(times_utc[s], times_utc[e], bool(s == 0), bool(e == n - 1))
        for s, e in zip(starts, ends, strict=True)
    ]
