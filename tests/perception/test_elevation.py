"""Tests for ilrs_auto/perception/elevation.py (over cpp/src/perception/elevation_map.cpp): the
Kalman fusion against hand-computed values, per-cell binning of a frame, the changed region,
depth back-projection and fusion of a flat plane, the lifetime of the layer views, the rolling
window (moves against a world-fixed numpy reference), bad input."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ilrs_auto.geometry import Cell, Region
from ilrs_auto.perception.elevation import (
    CameraPose,
    ElevationMap,
    FusionConfig,
    PinholeCamera,
    depth_to_points,
)
from ilrs_auto.sim.depth_camera import DepthCamera
from ilrs_auto.sim.scenario import DepthCameraConfig

F32 = npt.NDArray[np.float32]


def fuse_one(
    emap: ElevationMap, xyz: tuple[float, float, float], sensor: tuple[float, float, float]
) -> Region:
    return emap.fuse_points(np.array([xyz], np.float32), np.array(sensor))


# --- Kalman fusion -------------------------------------------------------------------------


def test_kalman_fusion_by_hand() -> None:
    # sigma = 0.01 + 0.001 * range^2
    emap = ElevationMap((4, 5), 0.5, FusionConfig(noise_floor_m=0.01, noise_per_range2=0.001))
    cell = (1, 2)  # x = 1.2 -> col 2, y = 0.7 -> row 1

    # First measurement of an unknown cell, range 2 m: sigma 0.014, variance 1.96e-4.
    fuse_one(emap, (1.2, 0.7, 0.3), (1.2, 0.7, 2.3))
    assert emap.height_m[cell] == pytest.approx(0.3, rel=1e-6)
    assert emap.variance_m2[cell] == pytest.approx(1.96e-4, rel=1e-5)

    # Equal variances: the mean, and half the variance.
    fuse_one(emap, (1.2, 0.7, 0.5), (1.2, 0.7, 2.5))
    assert emap.height_m[cell] == pytest.approx(0.4, rel=1e-5)
    assert emap.variance_m2[cell] == pytest.approx(0.98e-4, rel=1e-5)

    # Range 3 m: sigma 0.019, r = 3.61e-4 against v = 0.98e-4.
    #   h = (0.98e-4 * 0.1 + 3.61e-4 * 0.4) / 4.59e-4 = 1.542e-4 / 4.59e-4 = 0.3359477
    #   v = 0.98e-4 * 3.61e-4 / 4.59e-4 = 7.70763e-5
    fuse_one(emap, (1.2, 0.7, 0.1), (1.2, 3.7, 0.1))
    assert emap.height_m[cell] == pytest.approx(0.3359477, rel=1e-5)
    assert emap.variance_m2[cell] == pytest.approx(7.70763e-5, rel=1e-5)

    # The highest height ever measured is kept apart from the fused estimate.
    assert emap.max_height_m[cell] == pytest.approx(0.5, rel=1e-6)
    # Every other cell is still unknown.
    others = np.ones((4, 5), bool)
    others[cell] = False
    assert np.isnan(emap.height_m[others]).all()
    assert np.isposinf(emap.variance_m2[others]).all()
    assert np.isnan(emap.max_height_m[others]).all()


def test_fusion_with_a_prior() -> None:
    prior = np.zeros((3, 3), np.float32)
    prior[2, 2] = np.nan
    fusion = FusionConfig(noise_floor_m=0.1, noise_per_range2=0.0, prior_variance_m2=0.09)
    emap = ElevationMap.from_prior(prior, 1.0, fusion)
    np.testing.assert_array_equal(emap.variance_m2[:2], np.float32(0.09))
    assert np.isposinf(emap.variance_m2[2, 2]) and np.isnan(emap.height_m[2, 2])

    # Prior 0 +- 0.09 m^2, measurement 1.0 +- 0.01 m^2:
    #   h = 0.09 * 1.0 / 0.1 = 0.9, v = 0.09 * 0.01 / 0.1 = 0.009
    fuse_one(emap, (0.5, 0.5, 1.0), (0.0, 0.0, 5.0))
    assert emap.height_m[0, 0] == pytest.approx(0.9, rel=1e-5)
    assert emap.variance_m2[0, 0] == pytest.approx(0.009, rel=1e-5)
    assert emap.max_height_m[0, 0] == pytest.approx(1.0)

    # An unknown prior cell takes the measurement as it is.
    fuse_one(emap, (2.5, 2.5, -0.4), (0.0, 0.0, 5.0))
    assert emap.height_m[2, 2] == pytest.approx(-0.4, rel=1e-6)
    assert emap.variance_m2[2, 2] == pytest.approx(0.01, rel=1e-5)


def test_variance_never_drops_below_the_floor() -> None:
    # sigma 0.0005 -> 2.5e-7 < 1e-6, the core's min_variance_m2.
    emap = ElevationMap((2, 2), 1.0, FusionConfig(noise_floor_m=0.0005, noise_per_range2=0.0))
    fuse_one(emap, (0.5, 0.5, 0.2), (0.5, 0.5, 1.0))
    assert emap.variance_m2[0, 0] == pytest.approx(1e-6, rel=1e-6)
    # 1e-6 fused with 2.5e-7 would be 2e-7: floored again; the height still moves.
    fuse_one(emap, (0.5, 0.5, 0.3), (0.5, 0.5, 1.0))
    assert emap.variance_m2[0, 0] == pytest.approx(1e-6, rel=1e-6)
    assert emap.height_m[0, 0] == pytest.approx((1e-6 * 0.3 + 2.5e-7 * 0.2) / 1.25e-6, rel=1e-5)


def test_highest_point_of_a_frame_is_the_measurement() -> None:
    fusion = FusionConfig(noise_floor_m=0.01, noise_per_range2=0.01)
    emap = ElevationMap((3, 3), 1.0, fusion)
    sensor = (0.0, 0.0, 0.0)
    points = np.array([[1.1, 1.1, 0.1], [1.2, 1.3, 0.7], [1.4, 1.2, 0.4]], np.float32)
    emap.fuse_points(points, sensor)
    range2 = 1.2**2 + 1.3**2 + 0.7**2  # of the highest point, not of the others
    var = (0.01 + 0.01 * range2) ** 2
    assert emap.height_m[1, 1] == pytest.approx(0.7, rel=1e-6)
    assert emap.variance_m2[1, 1] == pytest.approx(var, rel=1e-5)

    # The next frame starts from empty bins: its lone lower point is fused, not last frame's top.
    emap.fuse_points(np.array([[1.5, 1.5, 0.0]], np.float32), (1.5, 1.5, 2.0))
    meas_var = (0.01 + 0.01 * 4.0) ** 2
    expected = (var * 0.0 + meas_var * 0.7) / (var + meas_var)
    assert emap.height_m[1, 1] == pytest.approx(expected, rel=1e-5)
    assert emap.max_height_m[1, 1] == pytest.approx(0.7, rel=1e-6)


# --- Points outside and the changed region -------------------------------------------------


def test_points_outside_the_map_are_ignored_and_the_region_is_their_bounding_box() -> None:
    emap = ElevationMap((5, 4), 0.5)
    nan, inf = math.nan, math.inf
    points = np.array(
        [
            [1.2, 0.7, 1.0],  # row 1, col 2
            [0.1, 1.9, 2.0],  # row 3, col 0
            [-0.01, 1.0, 9.0],  # west of the map
            [2.0, 1.0, 9.0],  # x = cols * res: just east of it
            [1.0, 2.5, 9.0],  # y = rows * res: just north of it
            [1.0, -3.0, 9.0],
            [nan, 1.0, 9.0],
            [1.0, 1.0, inf],
            [1.0, 1.0, nan],
        ],
        np.float32,
    )
    region = emap.fuse_points(points, (0.0, 0.0, 2.0))
    assert region == Region(1, 0, 4, 3)
    known = ~np.isnan(emap.height_m)
    expected = np.zeros((5, 4), bool)
    expected[1, 2] = expected[3, 0] = True
    np.testing.assert_array_equal(known, expected)
    assert emap.height_m[1, 2] == pytest.approx(1.0)
    assert emap.height_m[3, 0] == pytest.approx(2.0)


def test_no_point_inside_changes_nothing() -> None:
    emap = ElevationMap((3, 3), 1.0)
    region = emap.fuse_points(
        np.array([[5.0, 5.0, 1.0], [-1.0, 1.0, 1.0]], np.float32), (0.0, 0.0, 0.0)
    )
    assert region.empty
    assert emap.fuse_points(np.zeros((0, 3), np.float32), (0.0, 0.0, 0.0)).empty
    assert np.isnan(emap.height_m).all()


@settings(max_examples=100, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    resolution_m=st.sampled_from([0.1, 0.25, 0.5, 1.0, 0.3]),
    data=st.data(),
)
def test_binning_matches_a_per_point_reference(
    shape: tuple[int, int], resolution_m: float, data: st.DataObject
) -> None:
    rows, cols = shape
    n = data.draw(st.integers(0, 40))

    def coords(extent_m: float) -> st.SearchStrategy[F32]:
        hi = float(np.float32(extent_m + 1.0))
        return hnp.arrays(np.float32, n, elements=st.floats(-1.0, hi, width=32))

    xs = data.draw(coords(cols * resolution_m))
    ys = data.draw(coords(rows * resolution_m))
    zs = data.draw(hnp.arrays(np.float32, n, elements=st.floats(-2.0, 2.0, width=32)))
    points = np.column_stack([xs, ys, zs])
    sensor = np.array([0.3, -0.2, 1.5])
    fusion = FusionConfig(noise_floor_m=0.02, noise_per_range2=0.003)
    emap = ElevationMap(shape, resolution_m, fusion)

    region = emap.fuse_points(points, sensor)

    # Reference: each cell takes its highest point (the first of equal ones) and its range.
    height = np.full(shape, np.nan)
    variance = np.full(shape, np.inf)
    for x, y, z in points:
        col = math.floor(float(x) / resolution_m)
        row = math.floor(float(y) / resolution_m)
        if not (0 <= row < rows and 0 <= col < cols) or not z > np.nan_to_num(
            height[row, col], nan=-np.inf
        ):
            continue
        rng_m = float(np.float32(math.dist((float(x), float(y), float(z)), sensor)))
        height[row, col] = z
        sigma = 0.02 + 0.003 * rng_m * rng_m
        variance[row, col] = max(sigma * sigma, 1e-6)
    np.testing.assert_array_equal(emap.height_m, height.astype(np.float32))
    np.testing.assert_allclose(emap.variance_m2, variance, rtol=1e-6)
    np.testing.assert_array_equal(emap.max_height_m, emap.height_m)
    touched = np.argwhere(~np.isnan(height))
    if touched.size == 0:
        assert region.empty
    else:
        (r0, c0), (r1, c1) = touched.min(axis=0), touched.max(axis=0) + 1
        assert region == Region(int(r0), int(c0), int(r1), int(c1))


# --- Depth images --------------------------------------------------------------------------


def plane_depth(camera: PinholeCamera, pose: CameraPose, ground_z_m: float) -> F32:
    """Depth (along the optical axis) of every pixel's hit on the plane z = ground_z_m."""
    v, u = np.mgrid[0 : camera.height_px, 0 : camera.width_px]
    rays = np.stack(
        [(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones(u.shape)], axis=-1
    )  # camera frame, unit depth
    down = (rays @ pose.rotation.T)[..., 2]
    with np.errstate(divide="ignore"):
        depth = (ground_z_m - pose.position_m[2]) / down
    return np.where(down < 0.0, depth, np.nan).astype(np.float32)


def test_depth_to_points_conventions() -> None:
    camera = PinholeCamera.from_fov(31, 21, 60.0)
    pitch = math.radians(30.0)
    pose = CameraPose.looking((10.0, 20.0, 2.0), 0.0, pitch)  # looking east
    depth = np.full((21, 31), np.nan, np.float32)
    depth[10, 15] = 4.0  # the optical axis
    depth[10, 30] = 4.0  # right edge, same depth
    depth[20, 15] = 4.0  # bottom edge
    depth[0, 0] = -1.0  # no return
    points = depth_to_points(depth, camera, pose)
    assert points.shape == (3, 3)
    axis, right, bottom = points
    np.testing.assert_allclose(
        axis, [10.0 + 4.0 * math.cos(pitch), 20.0, 2.0 - 4.0 * math.sin(pitch)], atol=1e-5
    )
    # Right of the image is south when looking east; same depth means same forward distance.
    assert right[1] < 20.0 - 1.0
    np.testing.assert_allclose(right[[0, 2]], axis[[0, 2]], atol=1e-5)
    # Down the image is down and back towards the camera.
    assert bottom[2] < axis[2] and bottom[0] < axis[0]
    assert bottom[1] == pytest.approx(20.0, abs=1e-5)


def test_fuse_depth_of_an_analytic_flat_plane_recovers_its_height() -> None:
    camera = PinholeCamera.from_fov(41, 31, 70.0)
    pose = CameraPose.looking((10.0, 10.0, 0.25 + 1.5), 0.4, math.radians(35.0))
    depth = plane_depth(camera, pose, 0.25)
    assert np.isfinite(depth).sum() > 500
    emap = ElevationMap((40, 40), 0.5)

    region = emap.fuse_depth(depth, camera, pose)

    known = ~np.isnan(emap.height_m)
    assert known.sum() > 50
    np.testing.assert_allclose(emap.height_m[known], 0.25, atol=1e-4)
    rows, cols = np.nonzero(known)
    assert region == Region(rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)


def test_fuse_depth_rendered_by_depth_camera_recovers_the_plane() -> None:
    config = DepthCameraConfig(
        width_px=41,
        height_px=31,
        hfov_deg=70.0,
        mast_height_m=1.5,
        pitch_deg=30.0,
        max_range_m=8.0,
        noise_floor_m=0.0,
        noise_per_range2=0.0,
    )
    ground = np.full((200, 200), 0.25, np.float32)  # 20 m square at 0.1 m
    cam = DepthCamera(config, 0.1, np.random.default_rng(0))
    pose = cam.pose(10.0, 10.0, 0.25, math.radians(120.0))
    depth = cam.render(ground, pose)
    assert np.isfinite(depth).sum() > 500
    emap = ElevationMap((100, 100), 0.2)

    emap.fuse_depth(depth, cam.intrinsics, pose)

    known = ~np.isnan(emap.height_m)
    assert known.sum() > 100
    np.testing.assert_allclose(emap.height_m[known], 0.25, atol=3e-3)


# --- Layer views ---------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["height_m", "variance_m2", "max_height_m"])
def test_layer_views_are_read_only(layer: str) -> None:
    emap = ElevationMap((3, 4), 0.5)
    view = getattr(emap, layer)
    assert view.shape == (3, 4) and view.dtype == np.float32
    assert not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0] = 1.0
    with pytest.raises(ValueError):
        view.flags.writeable = True


def test_layer_views_are_live() -> None:
    emap = ElevationMap((3, 4), 0.5)
    height = emap.height_m
    fuse_one(emap, (0.2, 0.2, 0.7), (0.0, 0.0, 1.0))
    assert height[0, 0] == pytest.approx(0.7)


@pytest.mark.parametrize("layer", ["height_m", "variance_m2", "max_height_m"])
def test_layer_view_outlives_the_map(layer: str) -> None:
    rng = np.random.default_rng(1)
    emap = ElevationMap.from_prior(rng.normal(0.0, 1.0, (64, 64)).astype(np.float32), 0.5)
    fuse_one(emap, (1.0, 1.0, 5.0), (0.0, 0.0, 1.0))
    view = getattr(emap, layer)
    expected = view.copy()
    core = weakref.ref(emap._map)
    del emap
    gc.collect()
    # Churn the allocator: freed storage of this size would be reused and overwritten.
    churn = [ElevationMap.from_prior(np.full((64, 64), 99.0, np.float32), 0.5) for _ in range(20)]
    assert core() is not None  # the view keeps the core map alive ...
    np.testing.assert_array_equal(view, expected)  # ... and its values with it
    del churn, view
    gc.collect()
    assert core() is None  # and lets it go with the last view


# --- Rolling window ------------------------------------------------------------------------

LAYER_NAMES = ("height_m", "variance_m2", "max_height_m")


def marked_map(shape: tuple[int, int], seed: int = 0) -> ElevationMap:
    """A map whose cells all differ, with some unknown, and fused once (so the variances and
    maxima differ from the heights)."""
    rng = np.random.default_rng(seed)
    prior = rng.normal(0.0, 1.0, shape).astype(np.float32)
    prior[rng.random(shape) < 0.2] = np.nan
    emap = ElevationMap.from_prior(prior, 0.5)
    rows, cols = shape
    points = np.column_stack(
        [rng.uniform(0, cols * 0.5, 50), rng.uniform(0, rows * 0.5, 50), rng.normal(0, 1, 50)]
    )
    emap.fuse_points(points, (1.0, 1.0, 3.0))
    return emap


@pytest.mark.parametrize(
    "shift", [(0, 0), (1, 0), (0, -1), (3, -2), (-4, 5), (-7, -9), (8, 0), (0, 11), (50, -50)]
)
def test_move_keeps_the_overlap_exactly_and_exposes_unknown(shift: tuple[int, int]) -> None:
    rows, cols = 8, 11
    emap = marked_map((rows, cols))
    before = {name: np.array(getattr(emap, name)) for name in LAYER_NAMES}
    dr, dc = shift
    assert emap.move_origin((dr, dc)) == Cell(dr, dc)
    assert emap.origin == Cell(dr, dc)
    assert emap.origin_xy_m == (dc * 0.5, dr * 0.5)
    # Map cell (r, c) is now site cell (r + dr, c + dc): it was map cell (r + dr, c + dc).
    kept = np.zeros((rows, cols), bool)
    kept[max(0, -dr) : rows - max(0, dr), max(0, -dc) : cols - max(0, dc)] = True
    for name in LAYER_NAMES:
        after = getattr(emap, name)
        old = before[name][max(0, dr) : rows + min(0, dr), max(0, dc) : cols + min(0, dc)]
        np.testing.assert_array_equal(after[kept], old.ravel(), err_msg=name)
    assert np.isnan(emap.height_m[~kept]).all() and np.isnan(emap.max_height_m[~kept]).all()
    assert np.isposinf(emap.variance_m2[~kept]).all()


def test_move_shifts_in_place_so_views_stay_live() -> None:
    emap = marked_map((6, 7))
    views = {name: getattr(emap, name) for name in LAYER_NAMES}
    addresses = {name: v.__array_interface__["data"][0] for name, v in views.items()}
    expected = np.array(emap.height_m[2:, 1:])
    emap.move_origin((2, 1))
    np.testing.assert_array_equal(views["height_m"][:4, :6], expected)
    for name, view in views.items():  # the same storage: nothing was reallocated
        assert getattr(emap, name).__array_interface__["data"][0] == addresses[name]
        assert view.__array_interface__["data"][0] == addresses[name]


def test_points_land_in_their_site_cell_in_a_moved_window() -> None:
    emap = ElevationMap((4, 6), 0.5, origin=(-3, 10))  # x in [5, 8), y in [-1.5, 0.5)
    assert fuse_one(emap, (7.9, -1.4, 2.0), (0.0, 0.0, 5.0)) == Region(0, 5, 1, 6)
    assert fuse_one(emap, (4.99, 0.0, 1.0), (0.0, 0.0, 5.0)).empty  # west of the window
    assert fuse_one(emap, (5.0, 0.49, 1.0), (0.0, 0.0, 5.0)) == Region(3, 0, 4, 1)
    # One cell west: the point at x = 5.0 moves to map column 1, the one at x = 7.9 leaves.
    assert emap.move_origin((-3, 9)) == Cell(0, -1)
    assert emap.height_m[3, 1] == 1.0 and emap.max_height_m[3, 1] == 1.0
    assert np.isnan(emap.height_m[:, 0]).all()
    assert np.isfinite(emap.height_m).sum() == 1


def test_fuse_depth_in_a_moved_window_equals_a_world_fixed_map() -> None:
    camera = PinholeCamera.from_fov(80, 60, 80.0)
    pose = CameraPose.looking((6.0, 5.0, 1.4), math.radians(60.0), math.radians(35.0))
    rng = np.random.default_rng(4)
    depth = rng.uniform(1.0, 6.0, (60, 80)).astype(np.float32)
    depth[rng.random(depth.shape) < 0.1] = np.nan
    world = ElevationMap((300, 300), 0.05)
    window = ElevationMap((120, 100), 0.05, origin=(0, 0))
    window.recentre(7.0, 8.0)
    origin = window.origin
    assert origin == Cell(160 - 60, 140 - 50)
    for _ in range(2):
        world.fuse_depth(depth, camera, pose)
        changed = window.fuse_depth(depth, camera, pose)
    assert not changed.empty
    for name in LAYER_NAMES:
        np.testing.assert_array_equal(
            getattr(window, name),
            getattr(world, name)[origin.row : origin.row + 120, origin.col : origin.col + 100],
            err_msg=name,
        )
    assert np.isfinite(window.height_m).sum() > 500


def test_recentre_puts_the_point_in_the_centre_cell_with_hysteresis() -> None:
    emap = ElevationMap((10, 8), 0.5)
    assert emap.recentre(3.2, 7.7) == Cell(15 - 5, 6 - 4)
    assert emap.origin == Cell(10, 2)
    # Within 2 cells of the centre: nothing moves.
    assert emap.recentre(3.2 + 0.9, 7.7 - 0.9, tolerance_cells=2) == Cell(0, 0)
    assert emap.recentre(3.2 + 1.6, 7.7, tolerance_cells=2) == Cell(0, 3)
    with pytest.raises(ValueError, match="finite"):
        emap.recentre(math.nan, 0.0)
    with pytest.raises(ValueError, match="tolerance_cells"):
        emap.recentre(0.0, 0.0, tolerance_cells=-1)


def test_origin_beyond_the_limit_is_rejected() -> None:
    with pytest.raises(ValueError, match="origin"):
        ElevationMap((2, 2), 1.0, origin=(2**30 + 1, 0))
    emap = ElevationMap((2, 2), 1.0)
    with pytest.raises(ValueError, match="origin"):
        emap.move_origin((0, -(2**30) - 1))
    assert emap.origin == Cell(0, 0)


class WorldReference:
    """The rolling map by its definition, on a big world-fixed numpy grid: the Kalman fusion of
    elevation_map.h applied point by point (in double, like the core), to the cells inside the
    current window only; moving forgets every world cell that leaves the window."""

    def __init__(self, world_shape: tuple[int, int], offset: int, window: tuple[int, int]) -> None:
        self.height = np.full(world_shape, np.nan, np.float32)
        self.variance = np.full(world_shape, np.inf, np.float32)
        self.max_height = np.full(world_shape, np.nan, np.float32)
        self.offset = offset  # world index of site cell 0
        self.window = window
        self.origin = (0, 0)

    def move(self, origin: tuple[int, int]) -> None:
        self.origin = origin
        inside = np.zeros(self.height.shape, bool)
        inside[self._slice()] = True
        self.height[~inside] = np.nan
        self.max_height[~inside] = np.nan
        self.variance[~inside] = np.inf

    def _slice(self) -> tuple[slice, slice]:
        r0, c0 = self.origin[0] + self.offset, self.origin[1] + self.offset
        return (slice(r0, r0 + self.window[0]), slice(c0, c0 + self.window[1]))

    def layers(self) -> tuple[F32, F32, F32]:
        sl = self._slice()
        return self.height[sl], self.variance[sl], self.max_height[sl]

    def fuse(self, points: F32, sensor: tuple[float, float, float], res: float) -> None:
        fusion = FusionConfig()
        top: dict[tuple[int, int], tuple[float, float]] = {}
        for x, y, z in points.tolist():
            if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
                continue
            row = math.floor(y / res) - self.origin[0]
            col = math.floor(x / res) - self.origin[1]
            if not (0 <= row < self.window[0] and 0 <= col < self.window[1]):
                continue
            key = (row + self.origin[0] + self.offset, col + self.origin[1] + self.offset)
            if key not in top or z > top[key][0]:
                d2 = (x - sensor[0]) * (x - sensor[0]) + (y - sensor[1]) * (y - sensor[1])
                d2 += (z - sensor[2]) * (z - sensor[2])
                top[key] = (z, float(np.float32(math.sqrt(d2))))
        for key, (z, rng) in top.items():
            sigma = fusion.noise_floor_m + fusion.noise_per_range2 * rng * rng
            meas = sigma * sigma
            prior = float(self.variance[key])
            h = float(self.height[key])
            if math.isinf(prior) or math.isnan(h):
                self.height[key] = z
                self.variance[key] = max(meas, 1e-6)
            else:
                self.height[key] = (prior * z + meas * h) / (prior + meas)
                self.variance[key] = max(prior * meas / (prior + meas), 1e-6)
            mx = float(self.max_height[key])
            self.max_height[key] = z if math.isnan(mx) else max(mx, z)


moves = st.tuples(st.integers(-12, 12), st.integers(-12, 12))
frames = hnp.arrays(
    np.float32,
    st.tuples(st.integers(1, 40), st.just(3)),
    elements=st.floats(-2.0, 9.0, width=32, allow_subnormal=False),
)
steps = st.lists(st.one_of(moves, frames), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(steps=steps, sensor=st.tuples(st.floats(-5, 5), st.floats(-5, 5), st.floats(2, 5)))
def test_random_moves_and_frames_match_a_world_fixed_reference(
    steps: list[tuple[int, int] | F32], sensor: tuple[float, float, float]
) -> None:
    res = 0.5  # points in [-2, 9) m: site cells -4..17; origins -12..12 with 7 x 9 windows
    window = (7, 9)
    emap = ElevationMap(window, res)
    ref = WorldReference((60, 60), 25, window)
    for step in steps:
        if isinstance(step, tuple):
            shift = emap.move_origin(step)
            assert shift == Cell(step[0] - ref.origin[0], step[1] - ref.origin[1])
            ref.move(step)
        else:
            emap.fuse_points(step, np.array(sensor))
            ref.fuse(step, sensor, res)
        for name, expected in zip(LAYER_NAMES, ref.layers(), strict=True):
            np.testing.assert_array_equal(getattr(emap, name), expected, err_msg=name)


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "points",
    [np.zeros(3, np.float32), np.zeros((4, 2), np.float32), np.zeros((2, 3, 1), np.float32)],
    ids=["1d", "two-columns", "3d"],
)
def test_fuse_points_shape_errors_name_the_argument(points: F32) -> None:
    with pytest.raises(ValueError, match="points_xyz_m"):
        ElevationMap((2, 2), 1.0).fuse_points(points, (0.0, 0.0, 0.0))


@pytest.mark.parametrize("sensor", [(0.0, 0.0), (0.0, 0.0, 0.0, 0.0)])
def test_sensor_position_must_have_three_values(sensor: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="sensor_xyz_m"):
        ElevationMap((2, 2), 1.0).fuse_points(np.zeros((1, 3), np.float32), sensor)


def test_fuse_depth_shape_error_names_the_argument() -> None:
    camera = PinholeCamera.from_fov(8, 6, 60.0)
    pose = CameraPose.looking((0.0, 0.0, 1.0), 0.0, 0.3)
    with pytest.raises(ValueError, match=r"depth_m has shape \(8, 6\)"):
        ElevationMap((4, 4), 1.0).fuse_depth(np.ones((8, 6), np.float32), camera, pose)


@pytest.mark.parametrize(
    "heights", [np.zeros(5, np.float32), np.zeros((2, 3, 4), np.float32)], ids=["1d", "3d"]
)
def test_prior_shape_errors_name_the_argument(heights: F32) -> None:
    with pytest.raises(ValueError, match="heights_m"):
        ElevationMap.from_prior(heights, 1.0)


@pytest.mark.parametrize(
    ("shape", "resolution_m", "field"),
    [
        ((0, 3), 1.0, "shape"),
        ((3, -1), 1.0, "shape"),
        ((3, 3), 0.0, "resolution_m"),
        ((3, 3), math.nan, "resolution_m"),
    ],
)
def test_bad_map_geometry_raises(shape: tuple[int, int], resolution_m: float, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        ElevationMap(shape, resolution_m)


@pytest.mark.parametrize(
    ("fusion", "field"),
    [
        (FusionConfig(noise_floor_m=0.0), "noise_floor_m"),
        (FusionConfig(noise_per_range2=-1.0), "noise_per_range2"),
    ],
)
def test_bad_fusion_config_raises_naming_the_field(fusion: FusionConfig, field: str) -> None:
    emap = ElevationMap((2, 2), 1.0, fusion)
    with pytest.raises(ValueError, match=rf"FusionParams\.{field}"):
        fuse_one(emap, (0.5, 0.5, 0.0), (0.0, 0.0, 1.0))
    assert np.isnan(emap.height_m).all()


def test_bad_intrinsics_raise() -> None:
    camera = PinholeCamera(4, 3, 0.0, 10.0, 1.5, 1.0)
    with pytest.raises(ValueError, match="focal lengths"):
        depth_to_points(
            np.ones((3, 4), np.float32), camera, CameraPose.looking((0.0, 0.0, 1.0), 0.0, 0.3)
        )
