"""Terrain horizons: the C++ kernel against a plain numpy ray march, analytic cases, the far
terrain from the global LOLA DEM, and the disk fraction above a horizon."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.sim.ephemeris import MOON_RADIUS_M
from ilrs_auto.sim.horizon import (
    SOUTH_POLAR_STEREOGRAPHIC,
    HorizonSettings,
    default_far_dem,
    disk_fraction_visible,
    far_terrain,
    horizon_along,
    latlon_to_map,
    map_to_latlon,
    site_of_cell,
    terrain_horizon,
)
from ilrs_auto.terrain import read_dem
from ilrs_auto.terrain.geotiff import Dem
from ilrs_auto.terrain.ldem import CylindricalDem

R = MOON_RADIUS_M
TILE_ORIGIN = (75360.0, 38360.0)  # the shipped Shoemaker tile's south-west corner


def polar_dem(heights: npt.ArrayLike, resolution_m: float, origin=TILE_ORIGIN) -> Dem:
    return Dem(
        heights_m=np.ascontiguousarray(heights, dtype=np.float32),
        resolution_m=resolution_m,
        origin_xy_m=origin,
        source="synthetic",
        crs=SOUTH_POLAR_STEREOGRAPHIC,
    )


def reference_horizon(
    dem: Dem, row: int, col: int, eye_m: float, sectors: int, rays: int, step_m: float
) -> np.ndarray:
    """The definition, in numpy: every sample of every ray of every sector, bilinear heights
    between cell centres inside their hull, elevation on the sphere, the largest per sector."""
    h = dem.heights_m.astype(np.float64)
    rows, cols = h.shape
    res = dem.resolution_m
    x0 = dem.origin_xy_m[0] + (col + 0.5) * res
    y0 = dem.origin_xy_m[1] + (row + 0.5) * res
    z0 = R + h[row, col] + eye_m
    north = math.degrees(math.atan2(x0, y0))  # grid convergence = longitude
    width = 360.0 / sectors
    d = step_m * np.arange(1, int(math.hypot(rows, cols) * res / step_m) + 2)
    out = np.full(sectors, -90.0)
    for k in range(sectors):
        for j in range(rays):
            a = math.radians(k * width + ((j + 0.5) / rays - 0.5) * width + north)
            u = (x0 + math.sin(a) * d - dem.origin_xy_m[0]) / res - 0.5
            v = (y0 + math.cos(a) * d - dem.origin_xy_m[1]) / res - 0.5
            inside = (u >= 0) & (v >= 0) & (u <= cols - 1) & (v <= rows - 1)
            if not inside.any():
                continue
            u, v, dd = u[inside], v[inside], d[inside]
            c0 = np.minimum(u.astype(int), cols - 2)
            r0 = np.minimum(v.astype(int), rows - 2)
            fu, fv = u - c0, v - r0
            z = (h[r0, c0] * (1 - fu) + h[r0, c0 + 1] * fu) * (1 - fv) + (
                h[r0 + 1, c0] * (1 - fu) + h[r0 + 1, c0 + 1] * fu
            ) * fv
            r1, t = R + z, dd / R
            el = np.degrees(np.arctan2(r1 * np.cos(t) - z0, r1 * np.sin(t)))
            out[k] = max(out[k], float(el.max()))
    return out


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    rows=st.integers(2, 24),
    cols=st.integers(2, 24),
    resolution=st.sampled_from([1.0, 5.0, 20.0]),
    relief=st.floats(0.0, 200.0),
    eye=st.floats(0.0, 10.0),
    sectors=st.integers(1, 48),
    rays=st.integers(1, 3),
    step_fraction=st.floats(0.2, 1.5),
)
def test_kernel_matches_a_numpy_ray_march(
    seed: int,
    rows: int,
    cols: int,
    resolution: float,
    relief: float,
    eye: float,
    sectors: int,
    rays: int,
    step_fraction: float,
) -> None:
    rng = np.random.default_rng(seed)
    dem = polar_dem(500.0 + relief * rng.random((rows, cols)), resolution)
    cell = (int(rng.integers(rows)), int(rng.integers(cols)))
    step = step_fraction * resolution
    got = terrain_horizon(
        dem,
        [cell],
        HorizonSettings(
            sectors=sectors, rays_per_sector=rays, observer_height_m=eye, near_step_m=step
        ),
        workers=1,
    ).elevation_deg[0]
    want = reference_horizon(dem, *cell, eye, sectors, rays, step)
    np.testing.assert_allclose(got, want, atol=2e-4)


def test_flat_ground_dips_below_level_by_the_curvature() -> None:
    # 10 km of level ground at 50 m; an eye 5 m up sees the sphere's tangent 4.2 km away,
    # acos(R / (R + 5)) = 0.0717 deg below level, in every direction.
    dem = polar_dem(np.zeros((200, 200)), 50.0)
    horizon = terrain_horizon(
        dem, [[100, 100]], HorizonSettings(sectors=12, observer_height_m=5.0, near_step_m=10.0)
    )
    dip = math.degrees(math.acos(R / (R + 5.0)))
    np.testing.assert_allclose(horizon.elevation_deg[0], -dip, atol=5e-4)


def test_a_wall_shows_in_its_sector_only() -> None:
    # A 40 m plateau whose edge is 500 m from the observer along geographic azimuth 90 (east).
    # Map directions are geographic azimuths turned by the grid convergence (the longitude
    # here, ~62.8 deg).
    dem = polar_dem(np.zeros((300, 300)), 5.0)
    row = col = 150
    site = site_of_cell(dem, row, col)
    angle = math.radians(90.0 + site.longitude_deg)
    x0 = (col + 0.5) * 5.0
    y0 = (row + 0.5) * 5.0
    xx, yy = np.meshgrid((np.arange(300) + 0.5) * 5.0, (np.arange(300) + 0.5) * 5.0)
    along = (xx - x0) * math.sin(angle) + (yy - y0) * math.cos(angle)
    heights = np.where(along >= 500.0, 40.0, 0.0)
    dem = polar_dem(heights, 5.0)
    h = terrain_horizon(dem, [[row, col]], HorizonSettings(sectors=8)).elevation_deg[0]
    expected = math.degrees(
        math.atan2((R + 40) * math.cos(500 / R) - R, (R + 40) * math.sin(500 / R))
    )
    # Sector 2 of 8 is centred on 90; the edge's cells stagger across the map grid by up to a
    # cell (5 m at 500 m: 0.04 deg).
    assert h[2] == pytest.approx(expected, abs=0.05)
    # Towards north-east and south-east the edge is 500 / cos(45 deg) away; west, nothing.
    assert h[1] == pytest.approx(h[3], abs=0.05)
    assert 2.5 < h[1] < h[2]
    assert np.all(h[[5, 6, 7]] < 0.0)


def test_along_equals_the_sector_centred_on_the_azimuth() -> None:
    rng = np.random.default_rng(4)
    dem = polar_dem(400.0 + 60.0 * rng.random((40, 40)), 5.0)
    cells = np.array([[3, 4], [20, 30], [39, 0]])
    full = terrain_horizon(dem, cells, HorizonSettings(sectors=72, rays_per_sector=2))
    azimuths = np.array([0.0, 125.0, 355.0])
    along = horizon_along(dem, azimuths, cells, HorizonSettings(sectors=72, rays_per_sector=2))
    np.testing.assert_allclose(along, full.at(azimuths[:, None])[:, 0], atol=1e-5)


def test_polar_stereographic_round_trip_and_the_tile_centre() -> None:
    lat, lon = map_to_latlon(76000.0, 39000.0)
    assert float(lat) == pytest.approx(-87.1835, abs=1e-3)
    assert float(lon) == pytest.approx(62.83, abs=1e-2)
    x, y = latlon_to_map(lat, lon)
    assert (float(x), float(y)) == pytest.approx((76000.0, 39000.0), abs=1e-6)


def test_far_terrain_puts_a_mountain_where_it_is() -> None:
    # A global DEM with one 3 km mountain 50 km from the tile centre towards the pole side.
    dem = polar_dem(np.zeros((16, 16)), 80.0)
    peak_lat, peak_lon = -88.5, 120.0
    grid = np.zeros((60, 1440), dtype=np.float32)
    i, j = round((-75.125 - peak_lat) * 4), round(peak_lon * 4 - 0.5)
    grid[i, j] = 3000.0
    cap = CylindricalDem(grid, 4.0, -75.125, 0.125, R, "MOON_ME", "synthetic")
    far = far_terrain(dem, cap, radius_m=100_000.0, resolution_m=500.0)
    r, c = np.unravel_index(np.argmax(far.heights_m), far.heights_m.shape)
    x = far.origin_xy_m[0] + (c + 0.5) * far.resolution_m
    y = far.origin_xy_m[1] + (r + 0.5) * far.resolution_m
    want_x, want_y = latlon_to_map(-75.125 - i / 4.0, (j + 0.5) / 4.0)
    assert math.hypot(x - float(want_x), y - float(want_y)) < 1500.0
    # A one-pixel spike is 200 m wide in longitude there: the 500 m grid catches part of it.
    assert 1000.0 < far.heights_m.max() <= 3000.0


def test_far_terrain_of_the_shipped_tile_agrees_with_the_ldem_at_the_centre() -> None:
    tile = read_dem(assets_dir() / "terrain" / "shoemaker_5mpp.tif")
    far = far_terrain(tile)
    assert far.heights_m.shape == (600, 600)
    ldem = default_far_dem()
    for r, c in ((299, 299), (300, 310), (285, 292)):  # within 20 km: the projections agree
        lat, lon = map_to_latlon(
            far.origin_xy_m[0] + (c + 0.5) * 1000.0, far.origin_xy_m[1] + (r + 0.5) * 1000.0
        )
        assert far.heights_m[r, c] == pytest.approx(float(ldem.sample(lat, lon)), abs=2.0)
    centre = far.heights_m[299:301, 299:301].mean()
    # The LDEM smooths the tile's local high: it reads ~120 m lower here, one reason the far
    # part starts 1 km out.
    assert 60.0 < float(tile.heights_m.mean()) - centre < 180.0


def test_far_terrain_adds_distant_hills_to_the_horizon() -> None:
    tile = read_dem(assets_dir() / "terrain" / "shoemaker_5mpp.tif")
    near = terrain_horizon(tile, [[128, 128]], HorizonSettings(sectors=36))
    both = terrain_horizon(tile, [[128, 128]], HorizonSettings(sectors=36), far=far_terrain(tile))
    assert np.all(both.elevation_deg >= near.elevation_deg)
    assert (both.elevation_deg > near.elevation_deg + 0.5).sum() >= 3


@settings(max_examples=200, deadline=None)
@given(
    elevation=st.floats(-5.0, 5.0),
    horizon=st.floats(-5.0, 5.0),
    radius=st.floats(0.05, 2.0),
)
def test_disk_fraction_is_a_monotone_segment_area(
    elevation: float, horizon: float, radius: float
) -> None:
    f = float(disk_fraction_visible(elevation, horizon, radius))
    assert 0.0 <= f <= 1.0
    mirrored = float(disk_fraction_visible(2 * horizon - elevation, horizon, radius))
    assert f + mirrored == pytest.approx(1.0, abs=1e-12)
    assert float(disk_fraction_visible(elevation + 0.01, horizon, radius)) >= f
    if elevation - horizon >= radius:
        assert f == 1.0
    if horizon - elevation >= radius:
        assert f == 0.0


def test_disk_fraction_known_values() -> None:
    assert float(disk_fraction_visible(1.0, 1.0, 0.27)) == pytest.approx(0.5)
    # A line through the disk at half its radius below the centre leaves 80.45 % above.
    assert float(disk_fraction_visible(1.0, 1.0 - 0.135, 0.27)) == pytest.approx(0.8045, abs=1e-4)


def test_bad_input_is_refused() -> None:
    dem = polar_dem(np.zeros((8, 8)), 5.0)
    with pytest.raises(InputError, match=r"cells\[1\] = \(8, 0\) is outside the 8 x 8 DEM"):
        terrain_horizon(dem, [[0, 0], [8, 0]])
    with pytest.raises(InputError, match=r"\(n, 2\) integer array"):
        terrain_horizon(dem, [[0.5, 1.0]])
    with pytest.raises(InputError, match="south polar stereographic"):
        terrain_horizon(Dem(np.zeros((8, 8), np.float32), 5.0, (0.0, 0.0), "x.tif"))
    with pytest.raises(InputError, match="sectors"):
        HorizonSettings(sectors=0)
    with pytest.raises(InputError, match="far_min_distance_m"):
        HorizonSettings(far_min_distance_m=5e5, far_max_distance_m=1e5)
    nan = np.zeros((8, 8))
    nan[2, 2] = np.nan
    with pytest.raises(InputError, match=r"cell \(2, 2\) has no height"):
        terrain_horizon(polar_dem(nan, 5.0), [[2, 2]])
    horizon = terrain_horizon(dem, [[1, 1], [2, 2]], HorizonSettings(sectors=4))
    with pytest.raises(InputError, match=r"azimuth_deg must have shape \(2, \.\.\.\)"):
        horizon.at(np.zeros(3))
