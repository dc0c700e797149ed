"""Tests for ilrs_auto/sim/depth_camera.py (over cpp/src/sim/heightfield_raycast.cpp): depths over
flat ground against geometry, occlusion by an obstacle, and the range-dependent noise."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest

from ilrs_auto.perception.elevation import CameraPose, PinholeCamera
from ilrs_auto.sim.depth_camera import DepthCamera
from ilrs_auto.sim.scenario import DepthCameraConfig
from ilrs_auto.sim.stereo_camera import SceneLight

F32 = npt.NDArray[np.float32]

RES = 0.1
SIDE = 300  # 30 m square of ground
NOISELESS = DepthCameraConfig(
    width_px=41,
    height_px=31,
    hfov_deg=70.0,
    mast_height_m=1.5,
    pitch_deg=25.0,
    max_range_m=10.0,
    noise_floor_m=0.0,
    noise_per_range2=0.0,
)


def chi2_bounds(dof: int, sigmas: float = 5.0) -> tuple[float, float]:
    """Range holding a chi-squared(dof) variable but for `sigmas`-normal tails (Wilson-Hilferty)."""
    centre, spread = 1.0 - 2.0 / (9.0 * dof), math.sqrt(2.0 / (9.0 * dof))
    return dof * (centre - sigmas * spread) ** 3, dof * (centre + sigmas * spread) ** 3


def flat(height_m: float = 0.0) -> F32:
    return np.full((SIDE, SIDE), height_m, np.float32)


def ray_to_plane(
    camera: PinholeCamera, pose: CameraPose, ground_z_m: float
) -> tuple[F32, F32, F32, F32]:
    """Per pixel: optical depth, range, and map x, y of its ray's hit on z = ground_z_m (NaN
    for rays that do not go down)."""
    v, u = np.mgrid[0 : camera.height_px, 0 : camera.width_px]
    rays = (
        np.stack(
            [(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones(u.shape)], axis=-1
        )
        @ pose.rotation.T
    )  # unit optical depth
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = np.where(
            rays[..., 2] < 0.0, (ground_z_m - pose.position_m[2]) / rays[..., 2], np.nan
        )
    hit = pose.position_m + depth[..., None] * rays
    return depth, depth * np.linalg.norm(rays, axis=-1), hit[..., 0], hit[..., 1]


@pytest.mark.parametrize("pitch_deg", [15.0, 25.0, 45.0, 80.0])
@pytest.mark.parametrize("ground_z_m", [0.0, -1737.25])
def test_centre_pixel_depth_over_flat_ground(pitch_deg: float, ground_z_m: float) -> None:
    config = replace(NOISELESS, pitch_deg=pitch_deg)
    cam = DepthCamera(config, RES, np.random.default_rng(0))
    pose = cam.pose(15.0, 15.0, ground_z_m, math.radians(200.0))
    depth = cam.render(flat(ground_z_m), pose)
    assert depth.shape == (31, 41) and depth.dtype == np.float32
    # 41 x 31 pixels: pixel (15, 20) sits on the optical axis.
    expected = 1.5 / math.sin(math.radians(pitch_deg))
    assert depth[15, 20] == pytest.approx(expected, abs=1e-3)


def test_every_pixel_over_flat_ground_matches_geometry() -> None:
    cam = DepthCamera(NOISELESS, RES, np.random.default_rng(0))
    pose = cam.pose(15.0, 15.0, 0.0, math.radians(35.0))
    depth = cam.render(flat(), pose)
    expected, range_m, _, _ = ray_to_plane(cam.intrinsics, pose, 0.0)

    seen = np.isfinite(expected) & (range_m < NOISELESS.max_range_m - 0.1)
    np.testing.assert_allclose(depth[seen], expected[seen], atol=1e-3)
    assert seen.sum() > 500
    # Above the horizon, or beyond the camera's range: no return.
    assert np.isnan(depth[np.isnan(expected)]).all() and np.isnan(expected[0]).all()
    beyond = np.isfinite(expected) & (range_m > NOISELESS.max_range_m + 0.1)
    assert beyond.any() and np.isnan(depth[beyond]).all()


def test_rays_leaving_the_map_have_no_return() -> None:
    cam = DepthCamera(NOISELESS, RES, np.random.default_rng(0))
    pose = cam.pose(1.0, 15.0, 0.0, math.pi)  # 1 m from the western edge, looking west
    depth = cam.render(flat(), pose)
    _, _, x, _ = ray_to_plane(cam.intrinsics, pose, 0.0)
    off_map = np.isfinite(x) & (x < 0.0)
    assert off_map.sum() > 100
    assert np.isnan(depth[off_map]).all()
    on_map = np.isfinite(x) & (x > 0.2)
    assert np.isfinite(depth[on_map]).all()


def test_block_ahead_shortens_the_depths_that_see_it() -> None:
    cam = DepthCamera(NOISELESS, RES, np.random.default_rng(0))
    pose = cam.pose(10.0, 15.0, 0.0, 0.0)  # looking east; the axis meets the ground at x=13.2
    ground = flat()
    with_block = ground.copy()
    with_block[140:160, 120:126] = 0.5  # 0.5 m tall, x in [12.0, 12.6], y in [14.0, 16.0]

    before = cam.render(ground, pose)
    after = cam.render(with_block, pose)
    _, _, x, y = ray_to_plane(cam.intrinsics, pose, 0.0)

    assert after[15, 20] < before[15, 20] - 0.5  # the optical axis now hits the block
    shorter = after < before - 0.05
    assert shorter.sum() > 30
    # Nothing gets farther, and rays that meet the ground short of the block are untouched.
    assert not (after > before + 1e-3).any()
    np.testing.assert_array_equal(np.isnan(after), np.isnan(before))
    short_of_it = np.isfinite(x) & (x < 11.8)
    np.testing.assert_array_equal(after[short_of_it], before[short_of_it])
    # The block is 2 m wide around the axis: rays that pass well beside it are untouched too.
    # (Heights are bilinear between cell centres, so the block reaches 0.1 m further out.)
    with np.errstate(invalid="ignore"):
        offset_at_block = np.abs(y - 15.0) * 1.9 / (x - 10.0)  # ray's |y - 15| at x = 11.9
    beside = np.isfinite(x) & (x > 11.8) & (offset_at_block > 1.2)
    assert beside.sum() > 100
    np.testing.assert_array_equal(after[beside], before[beside])
    assert not shorter[beside].any()


def test_noise_is_reproducible_with_the_seed() -> None:
    config = replace(NOISELESS, noise_floor_m=0.01, noise_per_range2=0.002)
    pose = DepthCamera(config, RES, np.random.default_rng(0)).pose(15.0, 15.0, 0.0, 1.0)
    ground = flat()

    def frames(seed: int) -> list[F32]:
        cam = DepthCamera(config, RES, np.random.default_rng(seed))
        return [cam.render(ground, pose) for _ in range(2)]

    first, again, other = frames(7), frames(7), frames(8)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    finite = np.isfinite(first[0])
    assert not np.array_equal(first[0][finite], other[0][finite])
    assert not np.array_equal(first[0][finite], first[1][finite])  # fresh noise every frame


def test_noise_spread_grows_with_range_as_configured() -> None:
    config = replace(
        NOISELESS, width_px=81, height_px=61, noise_floor_m=0.01, noise_per_range2=0.004
    )
    ground = flat()
    clean_cam = DepthCamera(NOISELESS, RES, np.random.default_rng(0))
    pose = clean_cam.pose(15.0, 15.0, 0.0, 2.0)
    clean = DepthCamera(
        replace(config, noise_floor_m=0.0, noise_per_range2=0.0), RES, np.random.default_rng(0)
    ).render(ground, pose)
    noisy_cam = DepthCamera(config, RES, np.random.default_rng(3))
    errors = np.stack([noisy_cam.render(ground, pose) - clean for _ in range(4)])

    seen = np.isfinite(clean)
    np.testing.assert_array_equal(np.isfinite(errors), np.broadcast_to(seen, errors.shape))
    near = seen & (clean < 3.0)
    far = seen & (clean > 6.0)
    assert near.sum() > 200 and far.sum() > 200
    near_sd = float(np.std(errors[:, near]))
    far_sd = float(np.std(errors[:, far]))
    assert far_sd > 3.0 * near_sd

    # Normalised by the configured sigma (noise_floor + noise_per_range2 * depth^2), the errors
    # are standard normal: chi-squared test of their sum of squares, and a near-zero mean.
    sigma = config.noise_floor_m + config.noise_per_range2 * clean[seen] ** 2
    z = (errors[:, seen] / sigma).ravel()
    low, high = chi2_bounds(z.size)
    assert low < float(np.sum(z**2)) < high
    assert abs(float(np.mean(z))) < 5.0 / math.sqrt(z.size)


# --- lit_only: no depth where nothing is lit ------------------------------------------------------


def wall_world() -> F32:
    """Flat ground with a 2 m wall across x in [14, 14.4] m."""
    ground = flat()
    ground[:, 140:144] = 2.0
    return ground


def test_lit_only_is_off_by_default_and_then_needs_no_light() -> None:
    assert not DepthCameraConfig().lit_only
    cam = DepthCamera(NOISELESS, RES, np.random.default_rng(0))
    pose = cam.pose(10.0, 15.0, 0.0, 0.0)
    np.testing.assert_array_equal(
        cam.render(wall_world(), pose), cam.render(wall_world(), pose, SceneLight.night())
    )


def test_lit_only_drops_the_wall_shadow_and_everything_at_night() -> None:
    lit_only = replace(NOISELESS, lit_only=True)
    plain = DepthCamera(NOISELESS, RES, np.random.default_rng(0))
    cam = DepthCamera(lit_only, RES, np.random.default_rng(0))
    # Looking east at the wall with the Sun low behind it (from the east, 20 deg up): the
    # ground from 14 - 2 / tan(20 deg) = 8.5 m up to the wall is in its shadow.
    pose = cam.pose(6.0, 15.0, 0.0, 0.0)
    world = wall_world()
    sun = SceneLight.from_sky(90.0, 20.0)
    everything = plain.render(world, pose)
    seen = cam.render(world, pose, sun)
    _, _, x, _ = ray_to_plane(cam.intrinsics, pose, 0.0)
    in_shadow = np.isfinite(everything) & np.isfinite(x) & (x > 8.9) & (x < 13.8)
    in_sun = np.isfinite(everything) & np.isfinite(x) & (x < 8.1)
    assert in_shadow.sum() > 50 and in_sun.sum() > 50
    assert np.isnan(seen[in_shadow]).all()
    np.testing.assert_array_equal(seen[in_sun], everything[in_sun])
    with pytest.raises(ValueError, match="needs the scene's light"):
        cam.render(world, pose)
    assert np.isnan(cam.render(world, pose, SceneLight.night())).all()


def test_rover_light_gives_depth_in_the_dark_out_to_where_it_fades() -> None:
    # Intensity 4 at 1 m; min_irradiance 0.04 of full sun: on flat ground seen from 1.5 m the
    # light reaches 4 * (1.5 / r) / r^2 >= 0.04, that is out to r = (150)^(1/3) = 5.3 m.
    config = replace(NOISELESS, lit_only=True, rover_light_intensity=4.0, min_irradiance=0.04)
    cam = DepthCamera(config, RES, np.random.default_rng(0))
    pose = cam.pose(10.0, 15.0, 0.0, 0.0)
    depth = cam.render(flat(), pose, SceneLight.night())
    expected, range_m, _, _ = ray_to_plane(cam.intrinsics, pose, 0.0)
    near = np.isfinite(expected) & (range_m < 5.1)
    far = np.isfinite(expected) & (range_m > 5.5)
    assert near.sum() > 100 and far.sum() > 100
    np.testing.assert_allclose(depth[near], expected[near], atol=1e-3)
    assert np.isnan(depth[far]).all()
