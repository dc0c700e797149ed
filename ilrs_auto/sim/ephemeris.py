"""Where the Sun and Earth are in the sky of a lunar surface site, from real ephemerides.

The path, all offline:

- planet positions: JPL DE421 (``de421.bsp`` shipped in the ``skyfield-data`` package), read by
  Skyfield; UTC to TDB with Skyfield's built-in leap-second and Delta-T tables;
- the Moon's orientation: NAIF's binary PCK ``moon_pa_de421_1900-2050.bpc`` (principal-axes frame
  MOON_PA_DE421 from the DE421 libration solution) and frame kernel ``moon_080317.tf``, which
  defines the mean-Earth/polar-axis frame MOON_ME_DE421 as a fixed rotation of MOON_PA_DE421
  (both in ``sim_assets/ephemeris``);
- sites are given in **MOON_ME_DE421** (the frame of LOLA DEMs and of JPL Horizons' lunar
  sites), as planetocentric latitude, east longitude and height above the 1737.4 km sphere;
- directions are *apparent*: light time, the aberration of the site's own motion and
  gravitational light bending are applied (Skyfield ``observe(...).apparent()``), as in the
  Horizons tables;
- azimuth is clockwise from local north (towards east), elevation above the plane normal to the
  sphere's radius at the site (no terrain, no refraction: the Moon is airless).

Checked against JPL Horizons (DE441) for 62.8 E, 87.2 S: see ``tests/sim/test_ephemeris.py`` and
``docs/illumination.md``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError

__all__ = [
    "EARTH_RADIUS_KM",
    "FRAME_NAME",
    "MOON_RADIUS_M",
    "SUN_RADIUS_KM",
    "Body",
    "LunarEphemeris",
    "LunarSite",
    "SkyTrack",
    "azimuth_elevation",
    "default_ephemeris",
    "parse_utc",
    "to_utc_array",
]

MOON_RADIUS_M = 1737400.0
SUN_RADIUS_KM = 695700.0  # IAU 2015 nominal, as Horizons uses
EARTH_RADIUS_KM = 6378.137
FRAME_NAME = "MOON_ME_DE421"
AU_KM = 149597870.7

# The binary PCK's span (and so of this module): 1900-01-01 .. 2050-01-01 TDB, less a day.
_FIRST_UTC = np.datetime64("1900-01-02T00:00", "ns")
_LAST_UTC = np.datetime64("2049-12-31T00:00", "ns")

Body = Literal["sun", "earth"]
UtcArray = npt.NDArray[np.datetime64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LunarSite:
    """A place on the Moon in MOON_ME_DE421: planetocentric latitude, east longitude (degrees)
    and height (m) above the 1737.4 km reference sphere."""

    latitude_deg: float
    longitude_deg: float
    height_m: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.latitude_deg) and -90.0 <= self.latitude_deg <= 90.0):
            raise InputError(f"site latitude_deg must be in [-90, 90], got {self.latitude_deg}")
        if not math.isfinite(self.longitude_deg):
            raise InputError(f"site longitude_deg must be finite, got {self.longitude_deg}")
        if not (math.isfinite(self.height_m) and -20000.0 <= self.height_m <= 100000.0):
            raise InputError(f"site height_m must be in [-20000, 100000], got {self.height_m}")


@dataclass(frozen=True, eq=False)
class SkyTrack:
    """A body's apparent direction from a site at a series of UTC times (arrays of one shape)."""

    times_utc: UtcArray
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    distance_km: FloatArray
    body_radius_km: float

    @property
    def angular_radius_deg(self) -> FloatArray:
        """Apparent angular radius of the body's disk."""
        return np.degrees(np.arcsin(np.minimum(1.0, self.body_radius_km / self.distance_km)))


def parse_utc(text: str) -> np.datetime64:
    """``2024-08-14T12:00``, ``2024-08-14 12:00[:ss]`` or ``2024-08-14`` (UTC) to datetime64[ns].

    Raises:
        InputError: not such a time, or outside 1900-01-02 .. 2049-12-31.
    """
    cleaned = text.strip().replace(" ", "T").removesuffix("Z")
    try:
        value = np.datetime64(cleaned, "ns")
    except ValueError:
        raise InputError(
            f"time {text!r}: expected UTC as YYYY-MM-DD[THH:MM[:SS]], e.g. 2024-08-14T12:00"
        ) from None
    _check_span(np.asarray([value]))
    return value


def to_utc_array(times_utc: npt.ArrayLike) -> UtcArray:
    """UTC times (datetime64 values, ISO strings or naive datetimes taken as UTC) as a 1-D
    datetime64[ns] array.

    Raises:
        InputError: a value is not a time, or is outside 1900-01-02 .. 2049-12-31.
    """
    try:
        times = np.atleast_1d(np.asarray(times_utc, dtype="datetime64[ns]"))
    except (ValueError, TypeError):
        raise InputError("times must be UTC datetime64 values or ISO 8601 strings") from None
    if times.ndim != 1:
        raise InputError(f"times must be one-dimensional, got shape {times.shape}")
    _check_span(times)
    return times


def _check_span(times: UtcArray) -> None:
    if np.isnat(times).any():
        raise InputError("times must not contain NaT")
    if times.size and (times.min() < _FIRST_UTC or times.max() > _LAST_UTC):
        raise InputError(
            f"times must lie in {_FIRST_UTC.astype('datetime64[D]')} .. "
            f"{_LAST_UTC.astype('datetime64[D]')} (the span of the lunar orientation kernel), "
            f"got {times.min().astype('datetime64[s]')} .. {times.max().astype('datetime64[s]')}"
        )


def azimuth_elevation(
    directions_me: FloatArray, latitude_deg: npt.ArrayLike, longitude_deg: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Azimuth (clockwise from north, [0, 360)) and elevation (degrees) of MOON_ME direction
    vectors (..., 3) seen from sites at the given latitudes and longitudes; all broadcast.

    The local horizon is the plane normal to the sphere's radius. For the Sun and Earth, one
    direction serves every site within a few km (parallax under 0.001 deg for Earth at 1 km).
    """
    v = np.asarray(directions_me, dtype=np.float64)
    v = v / np.linalg.norm(v, axis=-1, keepdims=True)
    lat = np.radians(np.asarray(latitude_deg, dtype=np.float64))
    lon = np.radians(np.asarray(longitude_deg, dtype=np.float64))
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    up = np.cos(lat) * (np.cos(lon) * x + np.sin(lon) * y) + np.sin(lat) * z
    east = -np.sin(lon) * x + np.cos(lon) * y
    north = -np.sin(lat) * (np.cos(lon) * x + np.sin(lon) * y) + np.cos(lat) * z
    azimuth = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
    elevation = np.degrees(np.arcsin(np.clip(up, -1.0, 1.0)))
    return azimuth, elevation


class LunarEphemeris:
    """Apparent Sun and Earth directions from lunar sites (see the module docstring)."""

    def __init__(self, kernels_dir: Path | None = None) -> None:
        # Skyfield has no type information: its objects stay behind this class as Any.
        from skyfield.api import load  # type: ignore[import-untyped]
        from skyfield.planetarylib import PlanetaryConstants  # type: ignore[import-untyped]

        folder = kernels_dir or (assets_dir() / "ephemeris")
        try:
            bsp = resources.files("skyfield_data") / "data" / "de421.bsp"
        except ModuleNotFoundError:
            raise InputError(
                "the DE421 ephemeris is missing: install the skyfield-data package"
            ) from None
        self._timescale: Any = load.timescale(builtin=True)
        self._planets: Any = load(str(bsp))
        constants: Any = PlanetaryConstants()
        try:
            constants.read_text(load(str(folder / "moon_080317.tf")))
            constants.read_binary(load(str(folder / "moon_pa_de421_1900-2050.bpc")))
        except OSError as e:
            raise InputError(f"{folder}: lunar frame kernels unreadable ({e})") from None
        constants.variables["BODY301_RADII"] = [MOON_RADIUS_M / 1000.0] * 3
        self._constants = constants
        self._frame: Any = constants.build_frame_named(FRAME_NAME)

    def _times(self, times_utc: UtcArray) -> Any:
        days = times_utc.astype("datetime64[D]")
        seconds = (times_utc - days) / np.timedelta64(1, "s")
        return self._timescale.utc(1970, 1, 1 + days.astype(np.int64), 0, 0, seconds)

    def directions_me(
        self, body: Body, times_utc: npt.ArrayLike, site: LunarSite
    ) -> tuple[FloatArray, FloatArray]:
        """Apparent unit vectors (n, 3) from the site to the body in MOON_ME_DE421, and the
        body's distances (n,) in km, at n UTC times."""
        if body not in ("sun", "earth"):
            raise InputError(f"body must be 'sun' or 'earth', got {body!r}")
        times = to_utc_array(times_utc)
        t = self._times(times)
        place = self._planets["moon"] + self._constants.build_latlon_degrees(
            self._frame, site.latitude_deg, site.longitude_deg, site.height_m
        )
        apparent = place.at(t).observe(self._planets[body]).apparent()
        icrf = np.asarray(apparent.position.au, dtype=np.float64).reshape(3, -1)
        rotation = np.asarray(self._frame.rotation_at(t), dtype=np.float64).reshape(3, 3, -1)
        me = np.einsum("ijn,jn->ni", rotation, icrf)
        distance_au = np.linalg.norm(me, axis=1)
        return me / distance_au[:, None], distance_au * AU_KM

    def astrometric_radec(
        self, body: Body, times_utc: npt.ArrayLike, site: LunarSite
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """ICRF astrometric right ascension and declination (deg) and distance (km) of the body
        from the site (light time only): the quantities of a Horizons observer table's
        ``R.A.(ICRF) DEC`` and ``delta`` columns."""
        if body not in ("sun", "earth"):
            raise InputError(f"body must be 'sun' or 'earth', got {body!r}")
        t = self._times(to_utc_array(times_utc))
        place = self._planets["moon"] + self._constants.build_latlon_degrees(
            self._frame, site.latitude_deg, site.longitude_deg, site.height_m
        )
        ra, dec, distance = place.at(t).observe(self._planets[body]).radec()
        return (
            np.asarray(ra.hours, dtype=np.float64) * 15.0,
            np.asarray(dec.degrees, dtype=np.float64),
            np.asarray(distance.km, dtype=np.float64),
        )

    def track(self, body: Body, times_utc: npt.ArrayLike, site: LunarSite) -> SkyTrack:
        """Azimuth, elevation and distance of the Sun or Earth from a site at UTC times."""
        times = to_utc_array(times_utc)
        directions, distance_km = self.directions_me(body, times, site)
        azimuth, elevation = azimuth_elevation(directions, site.latitude_deg, site.longitude_deg)
        return SkyTrack(
            times_utc=times,
            azimuth_deg=azimuth,
            elevation_deg=elevation,
            distance_km=distance_km,
            body_radius_km=SUN_RADIUS_KM if body == "sun" else EARTH_RADIUS_KM,
        )

    def sun(self, times_utc: npt.ArrayLike, site: LunarSite) -> SkyTrack:
        """The Sun's apparent direction from the site."""
        return self.track("sun", times_utc, site)

    def earth(self, times_utc: npt.ArrayLike, site: LunarSite) -> SkyTrack:
        """Earth's apparent direction (its centre) from the site."""
        return self.track("earth", times_utc, site)


@functools.lru_cache(maxsize=1)
def default_ephemeris() -> LunarEphemeris:
    """The ephemeris with the shipped kernels, loaded once per process."""
    return LunarEphemeris()
