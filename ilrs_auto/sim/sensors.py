"""The rover's own sensors in simulation: an IMU, wheel odometry with slip, and a sun sensor.

Frames. Site frame: x east, y north, z up (metres, ``ilrs_auto.geometry``). Body frame: x
forward, y left, z up, right-handed. The rover rests on the terrain: its z axis is the normal
of the surface under it (the height gradient by central differences over ``half_length_m``
either side of its centre, on the true heights grid, rocks included) and its x axis is the
direction in that plane whose horizontal part is the heading. :func:`terrain_attitude` gives
that rotation.

Models (all noise from the ``numpy.random.Generator`` given, so a seeded run repeats exactly):

- **IMU.** The accelerometer measures specific force: at rest or at constant speed the reaction
  to lunar gravity, ``R_body_to_site.T @ (0, 0, g)``, plus a constant bias per axis (drawn once,
  ``accel_bias_mps2`` 1 sigma) and white noise (``accel_noise_mps2``). Tilt comes from it as a
  level sensor would: ``roll = atan2(a_y, a_z)`` (left side up positive), ``pitch =
  atan2(a_x, hypot(a_y, a_z))`` (nose up positive); the true values follow the same formulas
  without bias and noise, and ``tilt = acos(a_z / |a|)`` is the slope under the rover. The gyro
  reports the heading rate between reads (about the site vertical; on slopes under 20 deg the
  difference from the body-z rate is under 6 %) plus a constant bias and white noise.
- **Wheel odometry.** The wheels turn farther than the rover goes: with slip ``s``, wheel
  distance = true distance / (1 - s), where ``s = base_slip + slip_per_deg * max(0, uphill
  slope in degrees along the direction of travel)``, capped at ``max_slip`` (< 1). The true
  distance is along the surface; the slope is that of the surface between the last read's
  position and this one. A relative white error (``noise_fraction``) is added per read.
- **Sun sensor.** The Sun's direction in the body frame, as azimuth (counter-clockwise from
  forward, towards the left) and elevation above the body's x-y plane, plus white noise
  (``noise_deg``); no reading when the Sun is at or below the local horizon (``horizon_deg``,
  0 for the geometric horizon; pass a terrain horizon from ``ilrs_auto.sim.horizon`` for far
  terrain) or when the heights grid hides it from the sensor (a shadow ray in the C++ core,
  ``_core.sun_visibility``). :class:`SunTrack` turns the ephemeris
  (``ilrs_auto.sim.ephemeris``) into site-frame directions over a mission.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.sim.ephemeris import LunarEphemeris, LunarSite, default_ephemeris, to_utc_array
from ilrs_auto.sim.horizon import latlon_to_map, map_to_latlon
from ilrs_auto.terrain.geotiff import Dem

__all__ = [
    "LUNAR_GRAVITY_MPS2",
    "Imu",
    "ImuConfig",
    "ImuReading",
    "OdometryConfig",
    "OdometryReading",
    "SunReading",
    "SunSensor",
    "SunSensorConfig",
    "SunTrack",
    "WheelOdometry",
    "slip_fraction",
    "terrain_attitude",
]

LUNAR_GRAVITY_MPS2 = 1.62

FloatGrid = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not (math.isfinite(value) and value >= 0.0):
            raise ValueError(f"{owner}.{name} must be finite and >= 0, got {value}")


def _height(heights_m: FloatGrid, resolution_m: float, x_m: float, y_m: float) -> float:
    """Bilinear height between cell centres, clamped at the grid's edge."""
    rows, cols = heights_m.shape
    u = min(max(x_m / resolution_m - 0.5, 0.0), cols - 1.001)
    v = min(max(y_m / resolution_m - 0.5, 0.0), rows - 1.001)
    c, r = int(u), int(v)
    fu, fv = u - c, v - r
    h = heights_m
    bottom = float(h[r, c]) * (1 - fu) + float(h[r, c + 1]) * fu
    top = float(h[r + 1, c]) * (1 - fu) + float(h[r + 1, c + 1]) * fu
    return float(bottom * (1 - fv) + top * fv)


def _wrap(angle_rad: float) -> float:
    return (angle_rad + math.pi) % (2 * math.pi) - math.pi


def terrain_attitude(
    heights_m: FloatGrid,
    resolution_m: float,
    x_m: float,
    y_m: float,
    heading_rad: float,
    half_length_m: float = 0.5,
) -> F64:
    """Body-to-site rotation (3, 3; columns forward, left, up) of a rover resting on the terrain
    at (x, y) with heading ``heading_rad`` (from east, counter-clockwise)."""
    a = half_length_m
    gx = (
        _height(heights_m, resolution_m, x_m + a, y_m)
        - _height(heights_m, resolution_m, x_m - a, y_m)
    ) / (2 * a)
    gy = (
        _height(heights_m, resolution_m, x_m, y_m + a)
        - _height(heights_m, resolution_m, x_m, y_m - a)
    ) / (2 * a)
    up = np.array([-gx, -gy, 1.0])
    up /= np.linalg.norm(up)
    # Forward lies in the surface plane straight above the heading's horizontal direction.
    ch, sh = math.cos(heading_rad), math.sin(heading_rad)
    forward = np.array([ch, sh, gx * ch + gy * sh])
    forward /= np.linalg.norm(forward)
    left = np.cross(up, forward)
    return np.column_stack([forward, left, up])


# --- IMU ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImuConfig:
    accel_noise_mps2: float = 0.003  # white noise per read, each axis (1 sigma)
    accel_bias_mps2: float = 0.005  # constant bias per axis, drawn once (1 sigma)
    gyro_noise_rps: float = 0.0005  # white noise per read (1 sigma)
    gyro_bias_rps: float = 0.0001  # constant bias, drawn once (1 sigma); about 20 deg/h
    half_length_m: float = 0.5  # the slope under the rover is measured over +- this

    def __post_init__(self) -> None:
        _positive(
            "ImuConfig",
            accel_noise_mps2=self.accel_noise_mps2,
            accel_bias_mps2=self.accel_bias_mps2,
            gyro_noise_rps=self.gyro_noise_rps,
            gyro_bias_rps=self.gyro_bias_rps,
        )
        if not (math.isfinite(self.half_length_m) and self.half_length_m > 0.0):
            raise ValueError(f"ImuConfig.half_length_m must be > 0, got {self.half_length_m}")


@dataclass(frozen=True)
class ImuReading:
    """One IMU sample: specific force in the body frame and the yaw rate."""

    time_s: float
    accel_mps2: tuple[float, float, float]
    yaw_rate_rps: float

    @property
    def roll_rad(self) -> float:
        """Left side up positive, from the accelerometer."""
        _, ay, az = self.accel_mps2
        return math.atan2(ay, az)

    @property
    def pitch_rad(self) -> float:
        """Nose up positive, from the accelerometer."""
        ax, ay, az = self.accel_mps2
        return math.atan2(ax, math.hypot(ay, az))

    @property
    def tilt_rad(self) -> float:
        """Angle between the body z axis and the vertical."""
        ax, ay, az = self.accel_mps2
        return math.acos(max(-1.0, min(1.0, az / math.sqrt(ax * ax + ay * ay + az * az))))


class Imu:
    """Reads the rover's attitude off the true terrain; call :meth:`read` every tick."""

    def __init__(
        self,
        config: ImuConfig,
        heights_m: FloatGrid,
        resolution_m: float,
        rng: np.random.Generator,
    ) -> None:
        self.config = config
        self._heights = heights_m
        self._resolution_m = resolution_m
        self._rng = rng
        self.accel_bias_mps2: F64 = config.accel_bias_mps2 * rng.standard_normal(3)
        self.gyro_bias_rps = float(config.gyro_bias_rps * rng.standard_normal())
        self._last: tuple[float, float] | None = None  # (time_s, heading_rad)

    def read(self, time_s: float, x_m: float, y_m: float, heading_rad: float) -> ImuReading:
        rotation = terrain_attitude(
            self._heights, self._resolution_m, x_m, y_m, heading_rad, self.config.half_length_m
        )
        specific_force = rotation.T @ np.array([0.0, 0.0, LUNAR_GRAVITY_MPS2])
        accel = (
            specific_force
            + self.accel_bias_mps2
            + self.config.accel_noise_mps2 * self._rng.standard_normal(3)
        )
        rate = 0.0
        if self._last is not None and time_s > self._last[0]:
            rate = _wrap(heading_rad - self._last[1]) / (time_s - self._last[0])
        self._last = (time_s, heading_rad)
        gyro = rate + self.gyro_bias_rps + self.config.gyro_noise_rps * self._rng.standard_normal()
        return ImuReading(time_s, (float(accel[0]), float(accel[1]), float(accel[2])), gyro)


# --- wheel odometry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OdometryConfig:
    base_slip: float = 0.02  # slip on level ground
    slip_per_deg: float = 0.015  # added per degree of uphill slope along the travel
    max_slip: float = 0.9  # cap (< 1: the wheels always make some progress)
    noise_fraction: float = 0.002  # relative white error of each read's distance (1 sigma)

    def __post_init__(self) -> None:
        _positive(
            "OdometryConfig",
            base_slip=self.base_slip,
            slip_per_deg=self.slip_per_deg,
            noise_fraction=self.noise_fraction,
        )
        if not (math.isfinite(self.max_slip) and self.base_slip <= self.max_slip < 1.0):
            raise ValueError(
                f"OdometryConfig.max_slip must be in [base_slip, 1), got {self.max_slip}"
            )


def slip_fraction(config: OdometryConfig, uphill_slope_deg: float) -> float:
    """``min(max_slip, base_slip + slip_per_deg * max(0, uphill_slope_deg))``."""
    return min(config.max_slip, config.base_slip + config.slip_per_deg * max(0.0, uphill_slope_deg))


@dataclass(frozen=True)
class OdometryReading:
    wheel_delta_m: float  # what the wheels turned since the last read
    wheel_total_m: float  # and since the start
    true_delta_m: float  # distance along the surface actually covered
    slope_deg: float  # of the surface along the travel, positive uphill
    slip: float


class WheelOdometry:
    """Wheel distance from the rover's true motion; call :meth:`read` every tick."""

    def __init__(
        self,
        config: OdometryConfig,
        heights_m: FloatGrid,
        resolution_m: float,
        rng: np.random.Generator,
        start_xy_m: tuple[float, float],
    ) -> None:
        self.config = config
        self._heights = heights_m
        self._resolution_m = resolution_m
        self._rng = rng
        self._xy = start_xy_m
        self._z = _height(heights_m, resolution_m, *start_xy_m)
        self.wheel_total_m = 0.0

    def read(self, x_m: float, y_m: float) -> OdometryReading:
        z = _height(self._heights, self._resolution_m, x_m, y_m)
        run = math.dist(self._xy, (x_m, y_m))
        rise = z - self._z
        self._xy, self._z = (x_m, y_m), z
        if run == 0.0:
            return OdometryReading(0.0, self.wheel_total_m, 0.0, 0.0, 0.0)
        slope_deg = math.degrees(math.atan2(rise, run))
        slip = slip_fraction(self.config, slope_deg)
        true_m = math.hypot(run, rise)
        wheel = true_m / (1.0 - slip)
        if self.config.noise_fraction > 0.0:
            wheel *= 1.0 + self.config.noise_fraction * float(self._rng.standard_normal())
        self.wheel_total_m += wheel
        return OdometryReading(wheel, self.wheel_total_m, true_m, slope_deg, slip)


# --- sun sensor -----------------------------------------------------------------------------------


def site_frame_direction(azimuth_deg: F64, elevation_deg: F64, north_xy: F64, east_xy: F64) -> F64:
    """Unit vectors (..., 3) in the site frame of directions at a local azimuth (clockwise from
    north) and elevation, given the map directions (..., 2) of local north and east."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    horizontal = np.cos(el)[..., None] * (
        np.cos(az)[..., None] * north_xy + np.sin(az)[..., None] * east_xy
    )
    out: F64 = np.concatenate([horizontal, np.sin(el)[..., None]], axis=-1)
    return out


class SunTrack:
    """The Sun over a site-frame map during a mission, from the ephemeris.

    The Sun's apparent direction (MOON_ME) is computed from the tile's centre every ``step_s``
    of mission time from ``start_utc`` and interpolated between; at a rover position it is
    turned into local azimuth and elevation there, then into the site frame through the map's
    local north and east (the south polar stereographic grid turns with longitude).
    """

    def __init__(
        self,
        dem: Dem,
        start_utc: np.datetime64 | str,
        duration_s: float,
        step_s: float = 600.0,
        ephemeris: LunarEphemeris | None = None,
    ) -> None:
        if not (math.isfinite(duration_s) and duration_s >= 0.0):
            raise ValueError(f"duration_s must be >= 0, got {duration_s}")
        if not (math.isfinite(step_s) and step_s > 0.0):
            raise ValueError(f"step_s must be > 0, got {step_s}")
        self.dem = dem
        self.start_utc = to_utc_array(start_utc).reshape(-1)[0]
        count = math.ceil(duration_s / step_s) + 2
        self.times_s: F64 = np.arange(count, dtype=np.float64) * step_s
        rows, cols = dem.shape
        centre_x = dem.origin_xy_m[0] + 0.5 * cols * dem.resolution_m
        centre_y = dem.origin_xy_m[1] + 0.5 * rows * dem.resolution_m
        lat, lon = map_to_latlon(centre_x, centre_y)
        site = LunarSite(float(lat), float(lon), float(np.nanmean(dem.heights_m)))
        utc = self.start_utc + (self.times_s * 1e9).astype("timedelta64[ns]")
        eph = ephemeris or default_ephemeris()
        self.directions_me, _ = eph.directions_me("sun", utc, site)

    def local(self, time_s: float, x_m: float, y_m: float) -> tuple[float, float, F64]:
        """Azimuth (clockwise from local north) and elevation, degrees, and the site-frame unit
        vector of the Sun seen from site point (x, y) at mission time ``time_s``."""
        from ilrs_auto.sim.ephemeris import azimuth_elevation

        t = float(np.clip(time_s, self.times_s[0], self.times_s[-1]))
        i = min(int(t // (self.times_s[1] - self.times_s[0])), len(self.times_s) - 2)
        f = (t - self.times_s[i]) / (self.times_s[i + 1] - self.times_s[i])
        direction = (1 - f) * self.directions_me[i] + f * self.directions_me[i + 1]
        mx, my = self.dem.origin_xy_m[0] + x_m, self.dem.origin_xy_m[1] + y_m
        lat, lon = map_to_latlon(mx, my)
        azimuth, elevation = azimuth_elevation(direction, lat, lon)
        # Local north and east as map directions, by a small step in latitude and longitude.
        base = np.array([mx, my])
        north = np.array(latlon_to_map(lat + 1e-4, lon)).reshape(2) - base
        east = np.array(latlon_to_map(lat, lon + 1e-4)).reshape(2) - base
        site = site_frame_direction(
            np.asarray(azimuth, np.float64),
            np.asarray(elevation, np.float64),
            north / np.linalg.norm(north),
            east / np.linalg.norm(east),
        )
        return float(azimuth), float(elevation), site.reshape(3)


@dataclass(frozen=True)
class SunSensorConfig:
    noise_deg: float = 0.2  # white noise on each angle (1 sigma)
    mount_height_m: float = 1.2  # above the ground, for the shadow test
    shadow_max_distance_m: float = 300.0  # terrain farther than this is the horizon's business

    def __post_init__(self) -> None:
        _positive("SunSensorConfig", noise_deg=self.noise_deg, mount_height_m=self.mount_height_m)
        if not (math.isfinite(self.shadow_max_distance_m) and self.shadow_max_distance_m > 0.0):
            raise ValueError(
                "SunSensorConfig.shadow_max_distance_m must be > 0, got "
                f"{self.shadow_max_distance_m}"
            )


@dataclass(frozen=True)
class SunReading:
    azimuth_deg: float  # counter-clockwise from the body's forward axis, towards the left
    elevation_deg: float  # above the body's x-y plane


class SunSensor:
    """The Sun in the rover's body frame, or nothing when it is hidden."""

    def __init__(
        self,
        config: SunSensorConfig,
        heights_m: FloatGrid,
        resolution_m: float,
        rng: np.random.Generator,
    ) -> None:
        self.config = config
        self._heights = heights_m
        self._resolution_m = resolution_m
        self._rng = rng

    def read(
        self,
        sun_site: npt.ArrayLike,
        sun_elevation_deg: float,
        x_m: float,
        y_m: float,
        body_to_site: F64,
        horizon_deg: float = 0.0,
    ) -> SunReading | None:
        """A reading for a rover at (x, y) with attitude ``body_to_site`` (3, 3), given the
        Sun's site-frame direction and its local elevation (as :meth:`SunTrack.local` gives)."""
        if sun_elevation_deg <= horizon_deg:
            return None
        sun = np.asarray(sun_site, np.float64).reshape(3)
        sun = sun / np.linalg.norm(sun)
        ground = _height(self._heights, self._resolution_m, x_m, y_m)
        lighting = _core.SceneLighting()
        lighting.sun_direction = (float(sun[0]), float(sun[1]), float(sun[2]))
        lighting.shadow_max_distance_m = self.config.shadow_max_distance_m
        at = np.array([[x_m, y_m, ground + self.config.mount_height_m]])
        if not _core.sun_visibility(self._heights, self._resolution_m, at, lighting)[0]:
            return None
        body = np.asarray(body_to_site, np.float64).T @ sun
        azimuth = math.degrees(math.atan2(body[1], body[0]))
        elevation = math.degrees(math.asin(max(-1.0, min(1.0, float(body[2])))))
        noise = self.config.noise_deg * self._rng.standard_normal(2)
        return SunReading(azimuth + float(noise[0]), elevation + float(noise[1]))
