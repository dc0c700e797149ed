"""Tests for ilrs_auto/sim/sensors.py: the IMU's tilt on tilted planes and its gyro, slip-driven
wheel odometry against the truth, and the sun sensor against the ephemeris and the terrain."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.sim.ephemeris import LunarSite, default_ephemeris
from ilrs_auto.sim.horizon import map_to_latlon
from ilrs_auto.sim.sensors import (
    LUNAR_GRAVITY_MPS2,
    Imu,
    ImuConfig,
    OdometryConfig,
    SunSensor,
    SunSensorConfig,
    SunTrack,
    WheelOdometry,
    slip_fraction,
    terrain_attitude,
)
from ilrs_auto.terrain import read_dem

F32 = npt.NDArray[np.float32]
RES = 0.25
SIDE = 200  # 50 m square
QUIET_IMU = ImuConfig(
    accel_noise_mps2=0.0, accel_bias_mps2=0.0, gyro_noise_rps=0.0, gyro_bias_rps=0.0
)


def plane(slope_deg: float, uphill_azimuth_rad: float) -> F32:
    """A plane rising at ``slope_deg`` towards ``uphill_azimuth_rad`` (from east, CCW)."""
    y, x = (np.mgrid[0:SIDE, 0:SIDE] + 0.5) * RES
    g = math.tan(math.radians(slope_deg))
    along = x * math.cos(uphill_azimuth_rad) + y * math.sin(uphill_azimuth_rad)
    out: F32 = (g * along).astype(np.float32)
    return out


@settings(max_examples=40, deadline=None)
@given(
    slope_deg=st.floats(0.0, 30.0),
    uphill=st.floats(-math.pi, math.pi),
    heading=st.floats(-math.pi, math.pi),
)
def test_noiseless_imu_tilt_is_the_plane_slope(
    slope_deg: float, uphill: float, heading: float
) -> None:
    world = plane(slope_deg, uphill)
    imu = Imu(QUIET_IMU, world, RES, np.random.default_rng(0))
    reading = imu.read(0.0, 25.0, 25.0, heading)
    assert math.degrees(reading.tilt_rad) == pytest.approx(slope_deg, abs=1e-3)
    assert np.linalg.norm(reading.accel_mps2) == pytest.approx(LUNAR_GRAVITY_MPS2, rel=1e-9)
    # Pitch is the slope along the heading; roll is the left axis's rise over the up axis's.
    g = math.tan(math.radians(slope_deg))
    gx, gy = g * math.cos(uphill), g * math.sin(uphill)
    along = gx * math.cos(heading) + gy * math.sin(heading)
    assert math.tan(reading.pitch_rad) == pytest.approx(along, abs=1e-4)
    up = np.array([-gx, -gy, 1.0]) / math.hypot(g, 1.0)
    forward = np.array([math.cos(heading), math.sin(heading), along])
    left = np.cross(up, forward / np.linalg.norm(forward))
    assert math.tan(reading.roll_rad) == pytest.approx(left[2] / up[2], abs=1e-4)


def test_noisy_imu_tilt_averages_to_the_slope() -> None:
    world = plane(12.0, 0.7)
    config = ImuConfig()
    imu = Imu(config, world, RES, np.random.default_rng(3))
    tilts = np.array([imu.read(0.5 * i, 25.0, 25.0, 2.0).tilt_rad for i in range(400)])
    # Bias and noise of a few mm/s^2 on 1.62 m/s^2: a few milliradians at most.
    limit = 5 * math.hypot(config.accel_bias_mps2, config.accel_noise_mps2) / LUNAR_GRAVITY_MPS2
    assert abs(float(np.mean(tilts)) - math.radians(12.0)) < limit
    assert float(np.std(tilts)) > 0.0


def test_climbing_faces_nose_up_and_descending_nose_down() -> None:
    world = plane(10.0, 0.0)  # rises to the east
    imu = Imu(QUIET_IMU, world, RES, np.random.default_rng(0))
    assert math.degrees(imu.read(0.0, 25.0, 25.0, 0.0).pitch_rad) == pytest.approx(10.0, abs=1e-4)
    assert math.degrees(imu.read(1.0, 25.0, 25.0, math.pi).pitch_rad) == pytest.approx(
        -10.0, abs=1e-4
    )
    north = imu.read(2.0, 25.0, 25.0, math.pi / 2)  # uphill on the right: left side down
    assert math.degrees(north.roll_rad) == pytest.approx(-10.0, abs=1e-4)
    assert north.pitch_rad == pytest.approx(0.0, abs=1e-9)
    rotation = terrain_attitude(world, RES, 25.0, 25.0, 0.0)
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)


def test_gyro_reads_the_turn_rate_plus_a_seeded_bias() -> None:
    world = plane(0.0, 0.0)
    config = ImuConfig(gyro_noise_rps=0.002, gyro_bias_rps=0.001)
    rate = math.radians(20.0)
    dt = 0.5

    def rates(seed: int) -> tuple[npt.NDArray[np.float64], float]:
        imu = Imu(config, world, RES, np.random.default_rng(seed))
        out = [imu.read(dt * i, 25.0, 25.0, rate * dt * i).yaw_rate_rps for i in range(801)]
        return np.array(out[1:]), imu.gyro_bias_rps

    measured, bias = rates(11)
    again, _ = rates(11)
    np.testing.assert_array_equal(measured, again)
    assert bias != 0.0
    # The heading wraps through +-pi several times: the rate must not jump there.
    assert float(np.mean(measured)) == pytest.approx(rate + bias, abs=5 * 0.002 / math.sqrt(800))
    assert float(np.std(measured)) == pytest.approx(0.002, rel=0.15)


def test_odometry_matches_the_truth_on_flat_ground_without_slip() -> None:
    config = OdometryConfig(base_slip=0.0, noise_fraction=0.0)
    odo = WheelOdometry(config, plane(0.0, 0.0), RES, np.random.default_rng(0), (10.0, 10.0))
    for i in range(1, 101):
        reading = odo.read(10.0 + 0.1 * i, 10.0 + 0.05 * i)
        assert reading.slip == 0.0
        assert reading.wheel_delta_m == pytest.approx(reading.true_delta_m, rel=1e-12)
    assert odo.wheel_total_m == pytest.approx(math.hypot(10.0, 5.0), rel=1e-9)


@pytest.mark.parametrize("slope_deg", [5.0, 10.0, 20.0])
def test_odometry_exceeds_the_truth_uphill_by_the_slip_model(slope_deg: float) -> None:
    config = OdometryConfig(base_slip=0.02, slip_per_deg=0.015, noise_fraction=0.0)
    world = plane(slope_deg, 0.0)  # rises to the east
    up = WheelOdometry(config, world, RES, np.random.default_rng(0), (10.0, 25.0))
    true_up = wheel_up = 0.0
    for i in range(1, 101):
        reading = up.read(10.0 + 0.1 * i, 25.0)
        assert reading.slope_deg == pytest.approx(slope_deg, abs=1e-3)
        true_up += reading.true_delta_m
        wheel_up += reading.wheel_delta_m
    assert true_up == pytest.approx(10.0 / math.cos(math.radians(slope_deg)), rel=1e-4)
    slip = 0.02 + 0.015 * slope_deg
    assert wheel_up == pytest.approx(true_up / (1.0 - slip), rel=1e-4)
    assert wheel_up > true_up * 1.05

    # Going down the same slope only the level-ground slip remains.
    down = WheelOdometry(config, world, RES, np.random.default_rng(0), (20.0, 25.0))
    reading = down.read(19.0, 25.0)
    assert reading.slope_deg < 0.0 and reading.slip == pytest.approx(0.02)


def test_slip_is_capped_below_one() -> None:
    config = OdometryConfig(max_slip=0.8)
    assert slip_fraction(config, 90.0) == 0.8
    assert slip_fraction(config, -30.0) == config.base_slip
    with pytest.raises(ValueError, match="max_slip"):
        OdometryConfig(max_slip=1.0)


def test_odometry_noise_is_seeded() -> None:
    config = OdometryConfig(noise_fraction=0.01)

    def run(seed: int) -> list[float]:
        odo = WheelOdometry(config, plane(3.0, 1.0), RES, np.random.default_rng(seed), (5.0, 5.0))
        return [odo.read(5.0 + 0.1 * i, 5.0 + 0.1 * i).wheel_delta_m for i in range(1, 50)]

    assert run(4) == run(4)
    assert run(4) != run(5)


# --- sun sensor -----------------------------------------------------------------------------------


def sun_vector(azimuth_from_east_rad: float, elevation_deg: float) -> npt.NDArray[np.float64]:
    el = math.radians(elevation_deg)
    return np.array(
        [
            math.cos(el) * math.cos(azimuth_from_east_rad),
            math.cos(el) * math.sin(azimuth_from_east_rad),
            math.sin(el),
        ]
    )


QUIET_SUN = SunSensorConfig(noise_deg=0.0)


@pytest.mark.parametrize("pitch_deg", [-8.0, 0.0, 5.0, 15.0])
def test_sun_elevation_is_the_skys_minus_the_rovers_pitch(pitch_deg: float) -> None:
    # The rover faces the Sun's azimuth on a plane that rises towards it at pitch_deg.
    sun_az = 0.4
    world = plane(pitch_deg, sun_az) if pitch_deg >= 0 else plane(-pitch_deg, sun_az + math.pi)
    sensor = SunSensor(QUIET_SUN, world, RES, np.random.default_rng(0))
    attitude = terrain_attitude(world, RES, 25.0, 25.0, sun_az)
    reading = sensor.read(sun_vector(sun_az, 25.0), 25.0, 25.0, 25.0, attitude)
    assert reading is not None
    assert reading.elevation_deg == pytest.approx(25.0 - pitch_deg, abs=1e-4)
    assert reading.azimuth_deg == pytest.approx(0.0, abs=1e-4)


def test_sun_azimuth_turns_with_the_rover() -> None:
    world = plane(0.0, 0.0)
    sensor = SunSensor(QUIET_SUN, world, RES, np.random.default_rng(0))
    for heading_deg in (0.0, 30.0, 90.0, -100.0):
        heading = math.radians(heading_deg)
        attitude = terrain_attitude(world, RES, 25.0, 25.0, heading)
        reading = sensor.read(sun_vector(math.radians(60.0), 10.0), 10.0, 25.0, 25.0, attitude)
        assert reading is not None
        expected = (60.0 - heading_deg + 180.0) % 360.0 - 180.0
        assert reading.azimuth_deg == pytest.approx(expected, abs=1e-4)
        assert reading.elevation_deg == pytest.approx(10.0, abs=1e-4)


def test_no_sun_below_the_horizon_or_in_a_shadow() -> None:
    world = plane(0.0, 0.0)
    world[:, 110:114] = 4.0  # a 4 m wall across x = 27.5 .. 28.5 m
    sensor = SunSensor(QUIET_SUN, world, RES, np.random.default_rng(0))
    level = terrain_attitude(world, RES, 20.0, 25.0, 0.0)
    east_low = sun_vector(0.0, 10.0)  # the wall hides it from x = 20: 4 m high, 7.5 m away
    assert sensor.read(east_low, 10.0, 20.0, 25.0, level) is None
    west = sun_vector(math.pi, 10.0)
    assert sensor.read(west, 10.0, 20.0, 25.0, level) is not None
    assert sensor.read(sun_vector(0.0, 40.0), 40.0, 20.0, 25.0, level) is not None  # over it
    assert sensor.read(west, -0.5, 20.0, 25.0, level) is None  # below the local horizon
    assert sensor.read(west, 10.0, 20.0, 25.0, level, horizon_deg=12.0) is None  # far terrain


def test_sun_sensor_noise_is_seeded() -> None:
    world = plane(0.0, 0.0)
    attitude = terrain_attitude(world, RES, 25.0, 25.0, 0.0)

    def reads(seed: int) -> list[tuple[float, float]]:
        sensor = SunSensor(SunSensorConfig(noise_deg=0.3), world, RES, np.random.default_rng(seed))
        out = []
        for _ in range(200):
            r = sensor.read(sun_vector(0.5, 5.0), 5.0, 25.0, 25.0, attitude)
            assert r is not None
            out.append((r.azimuth_deg, r.elevation_deg))
        return out

    first = reads(1)
    assert first == reads(1) and first != reads(2)
    errors = np.array(first) - np.array([math.degrees(0.5), 5.0])
    assert float(np.std(errors)) == pytest.approx(0.3, rel=0.15)


def test_sun_track_follows_the_ephemeris_at_the_rover() -> None:
    dem = read_dem(
        __import__("ilrs_auto.assets", fromlist=["assets_dir"]).assets_dir()
        / "terrain"
        / "shoemaker_5mpp.tif"
    )
    start = np.datetime64("2024-03-01T00:00:00", "ns")
    track = SunTrack(dem, start, duration_s=7200.0, step_s=600.0)
    eph = default_ephemeris()
    for time_s, (x, y) in ((0.0, (600.0, 700.0)), (3900.0, (300.0, 1100.0))):
        azimuth, elevation, site = track.local(time_s, x, y)
        lat, lon = map_to_latlon(dem.origin_xy_m[0] + x, dem.origin_xy_m[1] + y)
        when = start + np.timedelta64(int(time_s), "s")
        truth = eph.sun(when, LunarSite(float(lat), float(lon), 0.0))
        assert elevation == pytest.approx(float(truth.elevation_deg[0]), abs=0.01)
        assert azimuth == pytest.approx(float(truth.azimuth_deg[0]), abs=0.02)
        assert math.degrees(math.asin(site[2])) == pytest.approx(elevation, abs=1e-9)
        assert np.linalg.norm(site) == pytest.approx(1.0)
        # Site-frame azimuth (clockwise from grid north, +y) is the local one plus the
        # grid convergence, which for this projection is the east longitude.
        grid_azimuth = math.degrees(math.atan2(site[0], site[1]))
        assert (grid_azimuth - azimuth - float(lon) + 540.0) % 360.0 - 180.0 == pytest.approx(
            0.0, abs=0.01
        )


def test_configs_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="gyro_noise_rps"):
        replace(ImuConfig(), gyro_noise_rps=-1.0)
    with pytest.raises(ValueError, match="noise_deg"):
        SunSensorConfig(noise_deg=math.nan)
