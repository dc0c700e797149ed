"""Sunlight and Earth past the terrain: a synthetic crater at the real Sun of 2024-08-14, and
contact windows."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ilrs_auto.errors import InputError
from ilrs_auto.sim.horizon import SOUTH_POLAR_STEREOGRAPHIC, HorizonSettings
from ilrs_auto.sim.light import contact_windows, site_timeline, sun_lit_map
from ilrs_auto.terrain.geotiff import Dem

ORIGIN = (75360.0, 38360.0)  # where the shipped tile lies: 87.2 S, 62.8 E
RES = 5.0
N = 160
WHEN = "2024-08-14T00:00"  # the Sun at azimuth ~4.9 deg, elevation ~1.64 deg


def crater(depth_m: float = 50.0, radius_m: float = 250.0) -> Dem:
    """A parabolic bowl in level ground, centred on the grid."""
    xy = (np.arange(N) + 0.5) * RES - N * RES / 2
    xx, yy = np.meshgrid(xy, xy)
    r2 = (xx**2 + yy**2) / radius_m**2
    heights = np.where(r2 < 1.0, depth_m * (r2 - 1.0), 0.0) + 500.0
    return Dem(heights.astype(np.float32), RES, ORIGIN, "crater", SOUTH_POLAR_STEREOGRAPHIC)


def cell_at(offset_x_m: float, offset_y_m: float) -> tuple[int, int]:
    return (int((N * RES / 2 + offset_y_m) // RES), int((N * RES / 2 + offset_x_m) // RES))


def test_crater_floor_is_dark_and_the_wall_facing_the_sun_is_lit() -> None:
    dem = crater()
    lit = sun_lit_map(dem, WHEN, settings=HorizonSettings(sectors=360))
    row, col = N // 2, N // 2
    sun_az = float(lit.sun_azimuth_deg[row, col])
    sun_el = float(lit.sun_elevation_deg[row, col])
    assert sun_az == pytest.approx(4.9, abs=0.5) and sun_el == pytest.approx(1.64, abs=0.05)
    # The Sun's direction on the map: azimuth turned by the grid convergence (the longitude).
    lon = math.degrees(math.atan2(ORIGIN[0] + N * RES / 2, ORIGIN[1] + N * RES / 2))
    a = math.radians(sun_az + lon)
    towards_sun = np.array([math.sin(a), math.cos(a)])

    # Floor: the rim 250 m away stands 50 m higher (11 deg).
    assert lit.lit_fraction[row, col] == 0.0
    assert lit.horizon_deg[row, col] > 10.0
    # Wall facing the Sun at 0.9 of the radius: the opposite rim rises ~1 deg, the Sun 1.64.
    r, c = cell_at(*(-0.9 * 250.0 * towards_sun))
    assert lit.lit_fraction[r, c] == 1.0
    # Wall facing away from the Sun, near its rim: self-shadowed (slope ~17 deg > 1.64).
    r, c = cell_at(*(0.9 * 250.0 * towards_sun))
    assert lit.lit_fraction[r, c] == 0.0
    # Level ground outside the crater is all lit; inside it most of the bowl is dark.
    xy = (np.arange(N) + 0.5) * RES - N * RES / 2
    xx, yy = np.meshgrid(xy, xy)
    outside = xx**2 + yy**2 > 260.0**2
    assert lit.lit_fraction[outside].min() == 1.0
    assert lit.lit_fraction[xx**2 + yy**2 < 200.0**2].mean() < 0.5
    # Partly lit cells exist where the shadow's edge crosses the wall.
    assert ((lit.lit_fraction > 0.0) & (lit.lit_fraction < 1.0)).any()


def test_timeline_at_the_bottom_of_a_pit_sees_neither_sun_nor_earth() -> None:
    dem = crater(depth_m=200.0, radius_m=300.0)
    times = np.arange(
        np.datetime64("2024-08-12T00:00"), np.datetime64("2024-09-11T00:00"), np.timedelta64(6, "h")
    )
    pit = site_timeline(dem, (N // 2, N // 2), times, settings=HorizonSettings(sectors=72))
    assert not pit.contact.any()
    assert pit.sun_lit_fraction.max() == 0.0
    # Level ground: contact exactly while Earth's centre is above the horizon, which an eye
    # 2 m up sees below level (the grid's edge, ~400 m off, at -2 m / 400 m = -0.29 deg).
    flat = Dem(np.full((N, N), 500.0, np.float32), RES, ORIGIN, "flat", SOUTH_POLAR_STEREOGRAPHIC)
    open_sky = site_timeline(
        flat, (N // 2, N // 2), times, settings=HorizonSettings(sectors=72, observer_height_m=2.0)
    )
    assert np.all(open_sky.earth_horizon_deg < -0.25) and np.all(open_sky.earth_horizon_deg > -0.4)
    np.testing.assert_array_equal(
        open_sky.contact, open_sky.earth_elevation_deg > open_sky.earth_horizon_deg
    )
    assert 0.2 < open_sky.contact.mean() < 0.8
    visible = open_sky.earth_visible_fraction
    assert np.all(visible[open_sky.contact] >= 0.5) and np.all(visible[~open_sky.contact] <= 0.5)


def test_contact_windows_are_the_runs_of_contact() -> None:
    times = np.datetime64("2024-08-12T00:00") + np.arange(8) * np.timedelta64(1, "h")
    windows = contact_windows(times, [1, 1, 0, 0, 1, 0, 1, 1])
    assert [(w.open_start, w.open_end, w.duration_h) for w in windows] == [
        (True, False, 1.0),
        (False, False, 0.0),
        (False, True, 1.0),
    ]
    assert windows[1].start_utc == times[4]
    assert contact_windows(times, np.zeros(8, bool)) == []
    with pytest.raises(InputError, match="one flag per time"):
        contact_windows(times, [1, 0])
