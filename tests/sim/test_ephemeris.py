"""The ephemeris path (DE421 + NAIF lunar frame kernels) against JPL Horizons (DE441), and the
edges of its API."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.sim.ephemeris import (
    LunarSite,
    azimuth_elevation,
    default_ephemeris,
    parse_utc,
    to_utc_array,
)

# The site of both Horizons tables: E-lon 62.8, lat -87.2, 0 km on the 1737.4 km sphere, MEAN_ME.
HORIZONS_SITE = LunarSite(-87.2, 62.8, 0.0)
RESULTS = (
    Path(__file__).resolve().parents[1] / "data" / "horizons_shoemaker" / "horizons_results.txt"
)

# Budgets. Elevation: the 0.05 deg. Azimuth: the same 0.05 deg, because with the Sun
# within 2 deg of the horizon an azimuth error d moves it by d * cos(elevation) > 0.999 d on the
# sky, so the two coordinates carry the same angular error budget.
ELEVATION_TOLERANCE_DEG = 0.05
AZIMUTH_TOLERANCE_DEG = 0.05


def horizons_az_el() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = assets_dir() / "terrain" / "shoemaker_sun_horizons.csv"
    with path.open() as f:
        rows = list(csv.DictReader(f))
    times = np.array(
        [dt.datetime.strptime(r["Date__(UT)__HR:MN"], "%Y-%b-%d %H:%M") for r in rows],
        dtype="datetime64[ns]",
    )
    az = np.array([float(r["Azimuth"]) for r in rows])
    el = np.array([float(r["Elevation"]) for r in rows])
    return times, az, el


def wrap180(degrees: np.ndarray) -> np.ndarray:
    return (degrees + 180.0) % 360.0 - 180.0


def test_sun_matches_every_row_of_the_horizons_az_el_table() -> None:
    times, az, el = horizons_az_el()
    assert len(times) == 97
    sun = default_ephemeris().sun(times, HORIZONS_SITE)
    d_az = wrap180(sun.azimuth_deg - az)
    d_el = sun.elevation_deg - el
    assert np.abs(d_az).max() < AZIMUTH_TOLERANCE_DEG
    # The last row's elevation was exported cut to "1" (the neighbours read 1.533, 1.527,
    # 1.520): it is checked below against the extrapolated table and the full Horizons output.
    assert el[-1] == 1.0
    assert np.abs(d_el[:-1]).max() < ELEVATION_TOLERANCE_DEG
    # Measured: 7e-6 deg in elevation, 4e-6 deg in azimuth; keep them that tight.
    assert np.abs(d_el[:-1]).max() < 1e-4
    assert np.abs(d_az).max() < 1e-4


def test_last_row_of_the_table_is_a_cut_export_not_an_ephemeris_error() -> None:
    times, _, el = horizons_az_el()
    sun = default_ephemeris().sun(times, HORIZONS_SITE)
    # Quadratic through the three previous hours, one hour on.
    extrapolated = float(np.polyval(np.polyfit([-3.0, -2.0, -1.0], el[-4:-1], 2), 0.0))
    assert sun.elevation_deg[-1] == pytest.approx(extrapolated, abs=1e-4)
    assert abs(sun.elevation_deg[-1] - el[-1]) > 0.5


_ROW = re.compile(
    r"^\s*(\d{4}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}).*?"
    r"(\d{2}) (\d{2}) (\d{2}\.\d+) ([+-]\d{2}) (\d{2}) (\d{2}\.\d+)\s+\S+\s+\S+\s+(\d+\.\d+)"
)


def horizons_radec() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    text = RESULTS.read_text()
    body = text[text.index("$$SOE") : text.index("$$EOE")]
    times, ra, dec, delta = [], [], [], []
    for line in body.splitlines()[1:]:
        match = _ROW.match(line)
        assert match is not None, line
        g = match.groups()
        times.append(dt.datetime.strptime(g[0], "%Y-%b-%d %H:%M"))
        ra.append(15.0 * (int(g[1]) + int(g[2]) / 60.0 + float(g[3]) / 3600.0))
        sign = -1.0 if g[4].startswith("-") else 1.0
        dec.append(sign * (abs(int(g[4])) + int(g[5]) / 60.0 + float(g[6]) / 3600.0))
        delta.append(float(g[7]))
    return (
        np.array(times, dtype="datetime64[ns]"),
        np.array(ra),
        np.array(dec),
        np.array(delta) * 149597870.7,
    )


def test_sun_radec_matches_horizons_over_a_whole_lunation() -> None:
    times, ra, dec, delta_km = horizons_radec()
    assert len(times) == 721  # hourly, 2024-08-12 .. 2024-09-11
    our_ra, our_dec, our_km = default_ephemeris().astrometric_radec("sun", times, HORIZONS_SITE)
    # The table prints RA to 0.01 s (0.00004 deg) and Dec to 0.1" (0.00003 deg).
    assert np.abs(wrap180(our_ra - ra) * np.cos(np.radians(dec))).max() < 2e-4
    assert np.abs(our_dec - dec).max() < 2e-4
    assert np.abs(our_km - delta_km).max() < 5.0  # km, of 1.5e8


def test_sun_radec_confirms_the_last_row_of_the_az_el_table() -> None:
    times, ra, dec, _ = horizons_radec()
    at = np.flatnonzero(times == np.datetime64("2024-08-16T00:00"))[0]
    our_ra, our_dec, _ = default_ephemeris().astrometric_radec("sun", times[at], HORIZONS_SITE)
    assert abs(wrap180(our_ra[0] - ra[at])) < 2e-4 and abs(our_dec[0] - dec[at]) < 2e-4


def test_earth_from_the_south_pole_stays_low_and_librates() -> None:
    times = np.arange(
        np.datetime64("2024-08-12T00:00"), np.datetime64("2024-09-11T00:00"), np.timedelta64(2, "h")
    )
    earth = default_ephemeris().earth(times, HORIZONS_SITE)
    # 2.8 deg from the pole: Earth swings with the libration in latitude (6.7 deg) around
    # ~cos(62.8 deg) * 2.8 deg.
    assert -8.0 < earth.elevation_deg.min() < -4.0
    assert 6.0 < earth.elevation_deg.max() < 10.0
    assert np.all((earth.distance_km > 350_000) & (earth.distance_km < 410_000))
    assert np.all((earth.angular_radius_deg > 0.88) & (earth.angular_radius_deg < 1.05))


@settings(max_examples=25, deadline=None)
@given(
    lat=st.floats(-89.9, 89.9),
    lon=st.floats(-180.0, 360.0),
    height=st.floats(-9000.0, 11000.0),
    minutes=st.integers(0, 150 * 365 * 1440 - 3 * 1440),
    body=st.sampled_from(["sun", "earth"]),
)
def test_local_frame_agrees_with_skyfields_own_altaz(
    lat: float, lon: float, height: float, minutes: int, body: str
) -> None:
    """Our MOON_ME vector -> azimuth/elevation against Skyfield's topocentric altaz."""
    eph = default_ephemeris()
    site = LunarSite(lat, lon, height)
    t = np.datetime64("1900-01-02T00:00", "ns") + np.timedelta64(minutes, "m")
    track = eph.track(body, [t], site)  # type: ignore[arg-type]
    sky = eph._planets["moon"] + eph._constants.build_latlon_degrees(eph._frame, lat, lon, height)
    alt, az, _ = (
        sky.at(eph._times(to_utc_array([t]))).observe(eph._planets[body]).apparent().altaz()
    )
    assert track.elevation_deg[0] == pytest.approx(float(alt.degrees[0]), abs=1e-7)
    assert (
        abs(wrap180(track.azimuth_deg - float(az.degrees[0]))[0])
        * np.cos(np.radians(track.elevation_deg[0]))
        < 1e-7
    )


@settings(max_examples=200, deadline=None)
@given(
    lat=st.floats(-90.0, 90.0),
    lon=st.floats(-720.0, 720.0),
    az=st.floats(0.0, 359.999),
    el=st.floats(-89.0, 89.0),
)
def test_azimuth_elevation_inverts_the_local_frame(
    lat: float, lon: float, az: float, el: float
) -> None:
    la, lo, a, e = np.radians([lat, lon, az, el])
    east = np.array([-np.sin(lo), np.cos(lo), 0.0])
    north = np.array([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    up = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    v = np.cos(e) * (np.sin(a) * east + np.cos(a) * north) + np.sin(e) * up
    got_az, got_el = azimuth_elevation(3.0 * v, lat, lon)  # any length
    assert float(got_el) == pytest.approx(el, abs=1e-9)
    assert abs(wrap180(np.array(float(got_az) - az))) * np.cos(e) < 1e-9


def test_times_are_checked_at_the_edge() -> None:
    assert parse_utc("2024-08-14 12:30") == np.datetime64("2024-08-14T12:30", "ns")
    assert parse_utc("2024-08-14T12:30:00Z") == np.datetime64("2024-08-14T12:30", "ns")
    for bad, message in (
        ("yesterday", "expected UTC as YYYY-MM-DD"),
        ("2024-13-01", "expected UTC as YYYY-MM-DD"),
        ("2051-01-01", "times must lie in 1900-01-02 .. 2049-12-31"),
        ("1899-06-01T00:00", "times must lie in"),
    ):
        with pytest.raises(InputError, match=message):
            parse_utc(bad)
    with pytest.raises(InputError, match="NaT"):
        to_utc_array([np.datetime64("NaT")])
    with pytest.raises(InputError, match="one-dimensional"):
        to_utc_array(np.zeros((2, 2), dtype="datetime64[ns]"))
    with pytest.raises(InputError, match="body must be"):
        default_ephemeris().track("moon", ["2024-08-14"], HORIZONS_SITE)  # type: ignore[arg-type]


def test_sites_are_checked() -> None:
    for kwargs, message in (
        ({"latitude_deg": -91.0, "longitude_deg": 0.0}, "latitude_deg"),
        ({"latitude_deg": 0.0, "longitude_deg": float("nan")}, "longitude_deg"),
        ({"latitude_deg": 0.0, "longitude_deg": 0.0, "height_m": 1e6}, "height_m"),
    ):
        with pytest.raises(InputError, match=message):
            LunarSite(**kwargs)
