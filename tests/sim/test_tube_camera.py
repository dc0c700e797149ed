"""Tests for ilrs_auto/sim/tube_camera.py (over cpp/src/sim/tube_render.cpp): the project's
stereo front end (ilrs_auto/perception/stereo.py, SGBM) recovering the ray-cast depth inside a
lava tube by the rover's light; the dark without it; the lit-only depth against
LavaTube.raycast; sunlight only through a skylight."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.perception.elevation import CameraPose
from ilrs_auto.perception.stereo import Rejection, StereoConfig, StereoFrontEnd
from ilrs_auto.sim.lava_tube import LavaTube
from ilrs_auto.sim.stereo_camera import SceneLight, StereoCameraConfig
from ilrs_auto.sim.tube_camera import Skylight, TubeStereoCamera

F64 = npt.NDArray[np.float64]

TUBE = LavaTube.generate(3, length_m=60.0, min_radius_m=4.0, max_radius_m=7.0)
LAMP = StereoCameraConfig(
    width_px=320, height_px=240, max_range_m=25.0, pitch_deg=10.0, rover_light_intensity=4.0
)
DARK = replace(LAMP, rover_light_intensity=0.0)


def pixel_rays(cam: TubeStereoCamera, pose: CameraPose) -> tuple[F64, F64]:
    """Unit site-frame rays of every pixel (row-major) and each ray's depth per unit range."""
    k = cam.intrinsics
    v, u = np.mgrid[0 : k.height_px, 0 : k.width_px].astype(np.float64)
    c = np.stack([(u - k.cx) / k.fx, (v - k.cy) / k.fy, np.ones_like(u)], axis=-1).reshape(-1, 3)
    norm = np.linalg.norm(c, axis=1)
    d: F64 = (c / norm[:, None]) @ pose.rotation.T
    per_range: F64 = 1.0 / norm
    return d, per_range


def test_stereo_front_end_recovers_the_depth_of_the_wall_by_the_rover_light() -> None:
    cam = TubeStereoCamera(LAMP, TUBE, np.random.default_rng(1))
    frame = cam.render(cam.pose(20.0))
    front = StereoFrontEnd(cam.rectified, StereoConfig.for_depth_range(cam.rectified, 1.0))
    result = front.process(frame.left, frame.right)

    lit = np.isfinite(frame.depth_m)
    assert lit.sum() > 0.8 * lit.size  # the light reaches most of the wall in view
    textured = lit & ((result.rejected & np.uint8(Rejection.LOW_TEXTURE)) == 0)
    assert textured.sum() > 0.5 * lit.sum()  # the wall's texture shows
    matched = result.valid & textured
    relative = np.abs(result.depth_m[matched] - frame.depth_m[matched]) / frame.depth_m[matched]
    assert float(np.median(relative)) < 0.04
    # More than half of all lit textured pixels get a depth within 5 % of the ray-cast one.
    assert float(np.sum(relative < 0.05)) > 0.5 * textured.sum()


def test_without_the_light_or_the_sun_the_images_are_noise_and_there_is_no_depth() -> None:
    cam = TubeStereoCamera(DARK, TUBE, np.random.default_rng(1))
    frame = cam.render(cam.pose(20.0))
    assert np.isnan(frame.depth_m).all()
    assert (frame.irradiance == 0.0).all()
    assert frame.exposure == DARK.max_exposure
    for image in (frame.left, frame.right):
        assert float(image.mean()) < 1.0  # half-normal read noise of 1.5 grey levels
        assert int(image.max()) <= 12  # 8 sigma
    front = StereoFrontEnd(cam.rectified, StereoConfig.for_depth_range(cam.rectified, 1.0))
    assert not front.process(frame.left, frame.right).valid.any()
    # Sunlight with no skylight does not enter either.
    assert np.isnan(cam.render(cam.pose(20.0), SceneLight((0.0, 0.0, 1.0))).depth_m).all()


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 1000),
    x_m=st.floats(2.0, 58.0),
    heading_deg=st.floats(-180.0, 180.0),
    pitch_deg=st.floats(-30.0, 45.0),
    intensity=st.floats(0.2, 10.0),
)
def test_lit_depth_is_the_lava_tube_raycast_on_the_optical_axis(
    seed: int, x_m: float, heading_deg: float, pitch_deg: float, intensity: float
) -> None:
    tube = LavaTube.generate(seed, length_m=60.0)
    config = replace(
        LAMP, width_px=48, height_px=36, pitch_deg=pitch_deg, rover_light_intensity=intensity
    )
    cam = TubeStereoCamera(config, tube, np.random.default_rng(0), min_irradiance=0.02)
    pose = cam.pose(x_m, math.radians(heading_deg))
    frame = cam.render(pose)
    d, per_range = pixel_rays(cam, pose)
    ranges = tube.raycast(pose.position_m, d, config.max_range_m)
    truth = (ranges * per_range).reshape(frame.depth_m.shape)
    lit = frame.irradiance >= 0.02
    # Depth exactly where lit (and the wall in range), the cast range on the optical axis.
    np.testing.assert_array_equal(np.isfinite(frame.depth_m), lit & np.isfinite(truth))
    np.testing.assert_allclose(frame.depth_m[lit], truth[lit], rtol=1e-6)
    assert (frame.irradiance[~np.isfinite(truth)] == 0.0).all()


def test_sunlight_enters_only_through_the_skylight() -> None:
    radius = float(TUBE.radius_at(20.0))
    sky = Skylight(20.0, 0.0, 2.0, TUBE.axis_z_m + radius + 3.0)
    cam = TubeStereoCamera(DARK, TUBE, np.random.default_rng(1), skylight=sky)
    pose = cam.pose(12.0)
    overhead = SceneLight((0.0, 0.0, 1.0))
    frame = cam.render(pose, overhead)
    lit = np.isfinite(frame.depth_m).reshape(-1)
    assert lit.sum() > 500  # the patch of floor under the skylight
    d, _ = pixel_rays(cam, pose)
    ranges = TUBE.raycast(pose.position_m, d[lit], DARK.max_range_m)
    points = pose.position_m + d[lit] * ranges[:, None]
    # An overhead Sun lights only the floor straight under the opening.
    assert (np.hypot(points[:, 0] - 20.0, points[:, 1]) < 2.0 + 1e-9).all()
    assert (points[:, 2] < TUBE.axis_z_m).all()
    # A Sun 60 degrees from the zenith cannot get down a 4 m wide, 3 m + deep shaft.
    slanted = SceneLight((math.sin(math.radians(60.0)), 0.0, math.cos(math.radians(60.0))))
    assert np.isnan(cam.render(pose, slanted).depth_m).all()


def test_pair_is_rectified_and_bad_inputs_raise_naming_the_field() -> None:
    cam = TubeStereoCamera(LAMP, TUBE, np.random.default_rng(0))
    pose = cam.pose(30.0, math.radians(40.0), lateral_m=1.0)
    right = cam.right_pose(pose)
    np.testing.assert_allclose(
        right.position_m - pose.position_m, LAMP.baseline_m * pose.rotation[:, 0], atol=1e-12
    )
    floor_z = TUBE.axis_z_m - math.sqrt(float(TUBE.radius_at(30.0)) ** 2 - 1.0)
    assert pose.position_m[2] == pytest.approx(floor_z + LAMP.mast_height_m)
    with pytest.raises(ValueError, match="lateral_m"):
        cam.pose(30.0, lateral_m=50.0)
    with pytest.raises(ValueError, match=r"Skylight\.radius_m"):
        Skylight(20.0, 0.0, 0.0, 10.0)
    with pytest.raises(ValueError, match=r"Skylight\.top_z_m"):
        Skylight(20.0, 0.0, 1.0, math.nan)
    with pytest.raises(ValueError, match="min_irradiance"):
        TubeStereoCamera(LAMP, TUBE, np.random.default_rng(0), min_irradiance=-1.0)
