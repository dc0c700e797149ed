"""Tests for ilrs_auto/sim/stereo_camera.py (over cpp/src/sim/stereo_render.cpp): the pair's
geometry, Lambertian shading and the dark of shadows, and the project's own stereo front end
(ilrs_auto/perception/stereo.py, SGBM) recovering the ray-cast depth from a rendered pair."""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from ilrs_auto.perception.stereo import Rejection, StereoConfig, StereoFrontEnd
from ilrs_auto.sim.depth_camera import DepthCamera
from ilrs_auto.sim.scenario import DepthCameraConfig
from ilrs_auto.sim.stereo_camera import SceneLight, StereoCamera, StereoCameraConfig

F32 = npt.NDArray[np.float32]
RES = 0.1
SIDE = 400  # 40 m square

SMALL = StereoCameraConfig(width_px=320, height_px=240, max_range_m=15.0)


def rolling_ground() -> F32:
    y, x = np.mgrid[0:SIDE, 0:SIDE] * RES
    ground: F32 = (0.3 * np.sin(0.7 * x) * np.cos(0.5 * y)).astype(np.float32)
    return ground


def with_boulder(ground: F32) -> F32:
    """A 1.5 m block 6 m wide across the view, x in [20, 21.5] m, y in [17, 23] m."""
    world: F32 = ground.copy()
    world[170:230, 200:215] += 1.5
    return world


def far_from(mask: npt.NDArray[np.bool_], pixels: int) -> npt.NDArray[np.bool_]:
    """Pixels of ``mask`` more than ``pixels`` away from anything outside it."""
    kernel = np.ones((2 * pixels + 1, 2 * pixels + 1), np.uint8)
    return np.asarray(cv2.erode(mask.astype(np.uint8), kernel), bool)


def front_end(cam: StereoCamera) -> StereoFrontEnd:
    return StereoFrontEnd(cam.rectified, StereoConfig.for_depth_range(cam.rectified, 2.0))


def test_stereo_front_end_recovers_the_depth_of_lit_ground_and_none_in_shadow() -> None:
    world = with_boulder(rolling_ground())
    cam = StereoCamera(SMALL, RES, np.random.default_rng(1))
    pose = cam.pose(12.0, 20.0, float(world[200, 120]), 0.0)  # looking east at the boulder
    frame = cam.render(world, pose, SceneLight.from_sky(100.0, 12.0))  # Sun low behind it
    result = front_end(cam).process(frame.left, frame.right)

    truth = frame.depth_m
    lit = np.isfinite(truth) & (frame.irradiance > 0.05)
    dark = np.isfinite(truth) & (frame.irradiance == 0.0)
    assert lit.sum() > 10_000 and dark.sum() > 10_000  # a big shadow in front of the boulder

    textured = lit & ((result.rejected & np.uint8(Rejection.LOW_TEXTURE)) == 0)
    assert textured.sum() > 0.8 * lit.sum()  # the ground's albedo texture shows in the light
    matched = result.valid & textured
    assert matched.sum() > 0.6 * textured.sum()
    relative = np.abs(result.depth_m[matched] - truth[matched]) / truth[matched]
    assert float(np.median(relative)) < 0.04
    assert float(np.mean(relative < 0.05)) > 0.8

    # Shadow is black but for the noise: no depth (away from the edges, where the matching
    # window still holds lit pixels).
    assert float(np.mean(frame.left[dark])) < 3.0
    deep = far_from(dark, 7)
    assert deep.sum() > 5_000
    assert not result.valid[deep].any()


def test_rover_light_lets_stereo_see_at_night() -> None:
    world = rolling_ground()
    lamp = replace(SMALL, rover_light_intensity=4.0)
    for config, expect_depth in ((SMALL, False), (lamp, True)):
        cam = StereoCamera(config, RES, np.random.default_rng(2))
        pose = cam.pose(12.0, 20.0, float(world[200, 120]), 0.0)
        frame = cam.render(world, pose, SceneLight.night())
        result = front_end(cam).process(frame.left, frame.right)
        if not expect_depth:
            assert (frame.irradiance == 0.0).all()
            assert not result.valid.any()
            continue
        near = np.isfinite(frame.depth_m) & (frame.depth_m < 5.0)
        assert float(np.mean(frame.irradiance[near] > 0.0)) > 0.95
        matched = result.valid & near
        assert matched.sum() > 0.5 * near.sum()
        relative = np.abs(result.depth_m[matched] - frame.depth_m[matched]) / frame.depth_m[matched]
        assert float(np.median(relative)) < 0.04


def test_pair_geometry_and_true_depth() -> None:
    world = rolling_ground()
    cam = StereoCamera(SMALL, RES, np.random.default_rng(0))
    pose = cam.pose(12.0, 20.0, 0.0, math.radians(30.0))
    right = cam.right_pose(pose)
    np.testing.assert_allclose(
        right.position_m - pose.position_m, SMALL.baseline_m * pose.rotation[:, 0], atol=1e-12
    )
    assert np.linalg.norm(right.position_m - pose.position_m) == pytest.approx(SMALL.baseline_m)
    np.testing.assert_array_equal(right.rotation, pose.rotation)
    rig = cam.rectified
    assert (rig.width_px, rig.height_px, rig.baseline_m) == (320, 240, SMALL.baseline_m)
    assert rig.focal_px == pytest.approx(160.0 / math.tan(math.radians(35.0)))

    # The left camera's true depth is the depth camera's, bit for bit.
    depth_cfg = DepthCameraConfig(
        width_px=320,
        height_px=240,
        hfov_deg=70.0,
        max_range_m=15.0,
        noise_floor_m=0.0,
        noise_per_range2=0.0,
    )
    depth = DepthCamera(depth_cfg, RES, np.random.default_rng(0)).render(world, pose)
    frame = cam.render(world, pose, SceneLight.from_sky(200.0, 20.0))
    np.testing.assert_array_equal(frame.depth_m, depth)
    assert np.isfinite(depth).sum() > 30_000


def test_shading_is_lambertian_and_shadow_black_without_noise() -> None:
    flat = np.zeros((SIDE, SIDE), np.float32)
    config = replace(SMALL, noise_dn=0.0, exposure=8.0)
    cam = StereoCamera(config, RES, np.random.default_rng(0))
    pose = cam.pose(12.0, 20.0, 0.0, 0.0)
    low = cam.render(flat, pose, SceneLight.from_sky(30.0, 10.0))
    high = cam.render(flat, pose, SceneLight.from_sky(30.0, 30.0))
    assert low.exposure == high.exposure == 8.0
    seen = np.isfinite(low.depth_m)
    np.testing.assert_allclose(low.irradiance[seen], math.sin(math.radians(10.0)), rtol=1e-5)
    # Same texture, brighter by sin(30) / sin(10) where neither is clipped or near zero.
    usable = seen & (low.left > 20) & (high.left < 250)
    assert usable.sum() > 10_000
    ratio = high.left[usable].astype(float) / low.left[usable]
    expected = math.sin(math.radians(30.0)) / math.sin(math.radians(10.0))
    assert float(np.median(ratio)) == pytest.approx(expected, rel=0.02)
    # The sky, and ground in the dark, are exactly black.
    assert (low.left[~seen] == 0).all()
    night = cam.render(flat, pose, SceneLight.night())
    assert (night.left == 0).all() and (night.right == 0).all()


def test_images_repeat_with_the_seed_and_noise_is_fresh_each_frame() -> None:
    world = rolling_ground()
    light = SceneLight.from_sky(250.0, 15.0)

    def frames(seed: int) -> list[tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]]:
        cam = StereoCamera(SMALL, RES, np.random.default_rng(seed))
        pose = cam.pose(12.0, 20.0, 0.0, 0.3)
        return [(f.left, f.right) for f in (cam.render(world, pose, light) for _ in range(2))]

    first, again, other = frames(5), frames(5), frames(6)
    for (a_left, a_right), (b_left, b_right) in zip(first, again, strict=True):
        np.testing.assert_array_equal(a_left, b_left)
        np.testing.assert_array_equal(a_right, b_right)
    assert not np.array_equal(first[0][0], other[0][0])
    assert not np.array_equal(first[0][0], first[1][0])
    assert not np.array_equal(first[0][0], first[0][1])  # the two views differ


@pytest.mark.parametrize(
    ("field", "value"),
    [("baseline_m", 0.0), ("texture_contrast", 1.0), ("exposure", -1.0), ("width_px", 1)],
)
def test_bad_config_names_the_field(field: str, value: float) -> None:
    changes: dict[str, object] = {field: value}
    with pytest.raises(ValueError, match=field):
        replace(SMALL, **changes)  # type: ignore[arg-type]


def test_bad_light_names_the_field() -> None:
    with pytest.raises(ValueError, match="sun_direction"):
        SceneLight((0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="sun_irradiance"):
        SceneLight((0.0, 0.0, 1.0), -0.5)
