"""Tests for ilrs_auto/perception/voxels.py (over cpp/src/perception/voxel_map.cpp and
cpp/include/ilrs/core/voxel_ray.h): the exact ray traversal against slab intersections and dense
sampling on wide inputs, log-odds fusion by hand, frontiers and their clusters, the distance
field against brute force, a synthetic lava tube scanned from inside, view lifetimes, bad
input."""

from __future__ import annotations

import gc
import math
import weakref

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ilrs_auto.perception import VoxelGrid, VoxelMap
from ilrs_auto.perception.voxels import OccupancyConfig, VoxelBox, VoxelState
from ilrs_auto.sim.lava_tube import LavaTube, spherical_directions

F64 = npt.NDArray[np.float64]
UNKNOWN, FREE, OCC = math.nan, -1.0, 1.0


def line_map(cols: int = 10) -> VoxelMap:
    return VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 1.0, (1, 1, cols)))


def one_ray(vmap: VoxelMap, point: tuple[float, float, float], max_range_m: float = 50.0) -> None:
    vmap.insert_point_cloud(np.array([point], np.float32), (0.5, 0.5, 0.5), max_range_m)


# --- Exact traversal -----------------------------------------------------------------------


def slab_interval(
    grid: VoxelGrid, voxel: npt.NDArray[np.int32], a: F64, b: F64
) -> tuple[float, float]:
    """The part [t0, t1] of segment a-b inside the closed box of ``voxel``."""
    t0, t1 = 0.0, 1.0
    for axis, index in enumerate(voxel[::-1].tolist()):
        # In voxel units, like the core; Python floats, which overflow to inf silently.
        o = (float(a[axis]) - grid.origin_m[axis]) / grid.resolution_m
        d = (float(b[axis]) - float(a[axis])) / grid.resolution_m
        if d == 0.0 or math.isinf(1.0 / d):  # as the core: a subnormal move is no move
            if not index <= o <= index + 1:
                return math.inf, -math.inf
            continue
        e0, e1 = sorted(((index - o) / d, (index + 1 - o) / d))
        t0, t1 = max(t0, e0), min(t1, e1)
    return t0, t1


grids = st.builds(
    VoxelGrid,
    st.tuples(*[st.floats(-1e3, 1e3)] * 3),
    st.floats(0.01, 10.0),
    st.tuples(*[st.integers(1, 12)] * 3),
)
fractions = st.tuples(*[st.floats(-0.6, 1.6)] * 3)


def point_in(grid: VoxelGrid, fraction: tuple[float, float, float]) -> F64:
    """A point at ``fraction`` of the grid's extent along (x, y, z) from its lowest corner."""
    lo = np.asarray(grid.origin_m, np.float64)
    hi = np.asarray(grid.max_corner_m, np.float64)
    point: F64 = lo + np.asarray(fraction, np.float64) * (hi - lo)
    return point


@settings(max_examples=300, deadline=None)
@given(grid=grids, fa=fractions, fb=fractions)
@example(
    grid=VoxelGrid((0.0, 9.0, 0.0), 1.0, (1, 1, 1)),
    fa=(0.0, 0.0, -0.25),
    fb=(0.0, -2.795307781119871e-15, 1.0),
)  # a segment leaving the grid's face by one ulp: dense samples round back inside
@example(
    grid=VoxelGrid((0.0, 0.0, 0.0), 1.0, (1, 1, 1)),
    fa=(0.0, 0.0, 0.0),
    fb=(0.0, 0.0, 2.2250738585e-313),
)  # a subnormal move
def test_traversal_is_exact_on_wide_inputs(
    grid: VoxelGrid, fa: tuple[float, float, float], fb: tuple[float, float, float]
) -> None:
    a, b = point_in(grid, fa), point_in(grid, fb)
    voxels, t = grid.voxels_on_segment(a, b)
    assert voxels.shape[0] == t.shape[0]
    assert grid.contains(voxels).all()
    assert len({tuple(v) for v in voxels}) == voxels.shape[0]  # each voxel once
    if voxels.shape[0] > 1:
        assert np.all(np.abs(np.diff(voxels, axis=0)).sum(axis=1) == 1)  # face neighbours
        np.testing.assert_array_equal(t[1:, 0], t[:-1, 1])  # contiguous along the segment
    # Each visit is the exact part of the segment inside that voxel.
    for v, (t_enter, t_exit) in zip(voxels, t, strict=True):
        t0, t1 = slab_interval(grid, v, a, b)
        assert t0 <= t1 + 1e-9
        assert t_enter == pytest.approx(t0, abs=1e-7)
        assert t_exit == pytest.approx(t1, abs=1e-7)
    # Dense samples of the segment fall in the visited voxels, in the same order (samples that
    # rounding could put on either side of a voxel face are left out).
    samples = a + ((np.arange(4000) + 0.5) / 4000)[:, None] * (b - a)
    units = (samples - np.asarray(grid.origin_m)) / grid.resolution_m
    fraction = units - np.floor(units)
    samples = samples[np.all(np.minimum(fraction, 1.0 - fraction) > 1e-6, axis=1)]
    sampled = grid.voxel_of(samples)
    sampled = sampled[grid.contains(sampled)]
    order = {tuple(v): i for i, v in enumerate(voxels)}
    positions = [order[tuple(v)] for v in sampled]  # KeyError: a sampled voxel was skipped
    assert positions == sorted(positions)


def test_traversal_of_a_zero_length_segment_and_a_miss() -> None:
    grid = VoxelGrid((0.0, 0.0, 0.0), 1.0, (4, 4, 4))
    voxels, _ = grid.voxels_on_segment((1.2, 3.4, 0.1), (1.2, 3.4, 0.1))
    np.testing.assert_array_equal(voxels, [[0, 3, 1]])
    voxels, _ = grid.voxels_on_segment((-1.0, 5.0, 0.5), (5.0, 4.5, 0.5))
    assert voxels.shape == (0, 3)
    with pytest.raises(ValueError, match="finite"):
        grid.voxels_on_segment((0.0, 0.0, 0.0), (math.nan, 1.0, 1.0))


@settings(max_examples=100, deadline=None)
@given(
    grid=st.builds(
        VoxelGrid,
        st.tuples(*[st.floats(-50.0, 50.0)] * 3),
        st.floats(0.05, 2.0),
        st.tuples(*[st.integers(1, 8)] * 3),
    ),
    fs=fractions,
    fp=fractions,
    range_fraction=st.floats(0.05, 2.0),
)
def test_one_ray_frees_its_path_and_occupies_its_end(
    grid: VoxelGrid,
    fs: tuple[float, float, float],
    fp: tuple[float, float, float],
    range_fraction: float,
) -> None:
    assume(abs(range_fraction - 1.0) > 1e-6)  # not a range tie decided by rounding
    sensor, point = point_in(grid, fs), point_in(grid, fp).astype(np.float32)
    length = float(np.linalg.norm(point - sensor))
    max_range = max(range_fraction * length, 1e-3)
    vmap = VoxelMap(grid)
    ins = vmap.insert_point_cloud(point[None, :], sensor, max_range)

    # Expected: the walked voxels free, and the point's voxel occupied if in range and inside.
    in_range = length <= max_range
    end = point if in_range else sensor + (point - sensor) * (max_range / length)
    walked, _ = grid.voxels_on_segment(sensor, end)
    expected = np.zeros(grid.shape, np.uint8)
    expected[tuple(walked.T)] = VoxelState.FREE
    hit = grid.voxel_of(point)
    hit_inside = bool(in_range and grid.contains(hit)[0])
    if hit_inside:
        expected[tuple(hit[0])] = VoxelState.OCCUPIED
    states = vmap.occupied_mask * 2 + vmap.free_mask
    np.testing.assert_array_equal(states, expected)
    assert (ins.points_used, ins.beyond_max_range) == (1, int(not in_range))
    assert ins.hits_outside_grid == int(in_range and not hit_inside)
    known = np.argwhere(expected > 0)
    if known.size:
        assert VoxelBox(*known.min(axis=0), *(known.max(axis=0) + 1)) == ins.changed
    else:
        assert ins.changed.empty


@settings(max_examples=50, deadline=None)
@given(
    points=hnp.arrays(
        np.float32,
        st.tuples(st.integers(0, 30), st.just(3)),
        elements=st.sampled_from([0.5, 3.7, 8.2, math.nan, math.inf, -math.inf]),
    )
)
def test_non_finite_points_are_skipped_and_counted(points: npt.NDArray[np.float32]) -> None:
    vmap = VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 1.0, (10, 10, 10)))
    ins = vmap.insert_point_cloud(points, (5.0, 5.0, 5.0), 100.0)
    bad = int((~np.isfinite(points)).any(axis=1).sum())
    assert ins.skipped_nonfinite == bad
    assert ins.points_used == points.shape[0] - bad
    reference = VoxelMap(vmap.grid)
    reference.insert_point_cloud(points[np.isfinite(points).all(axis=1)], (5.0, 5.0, 5.0), 100.0)
    np.testing.assert_array_equal(vmap.log_odds, reference.log_odds)


# --- Fusion by hand ------------------------------------------------------------------------


def test_a_single_ray_marks_free_then_occupied() -> None:
    vmap = line_map()
    one_ray(vmap, (7.5, 0.5, 0.5))
    cfg = vmap.occupancy
    np.testing.assert_allclose(vmap.log_odds[0, 0, :7], cfg.miss_log_odds, rtol=1e-6)
    assert vmap.log_odds[0, 0, 7] == pytest.approx(cfg.hit_log_odds)
    assert np.isnan(vmap.log_odds[0, 0, 8:]).all()
    assert [vmap.state((0, 0, c)) for c in (0, 7, 8)] == [
        VoxelState.FREE,
        VoxelState.OCCUPIED,
        VoxelState.UNKNOWN,
    ]
    assert vmap.state((0, 0, 99)) == VoxelState.UNKNOWN  # outside the grid
    np.testing.assert_array_equal(
        vmap.states_at([[0.2, 0.5, 0.5], [7.9, 0.1, 0.9], [9.5, 0.5, 0.5]]), [1, 2, 0]
    )
    assert (vmap.free_count, vmap.occupied_count) == (7, 1)
    assert vmap.unknown_mask.sum() == 2


def test_repeated_hits_saturate_at_the_clamp() -> None:
    vmap = line_map(6)
    for _ in range(12):
        ins = vmap.insert_point_cloud(np.array([[4.5, 0.5, 0.5]]), (0.5, 0.5, 0.5), 20.0)
    assert vmap.log_odds[0, 0, 4] == pytest.approx(vmap.occupancy.max_log_odds)
    assert vmap.log_odds[0, 0, 0] == pytest.approx(vmap.occupancy.min_log_odds)
    assert ins.changed.empty


def test_points_beyond_max_range_clear_up_to_it() -> None:
    vmap = line_map()
    ins = vmap.insert_point_cloud(np.array([[9.5, 0.5, 0.5]]), (0.5, 0.5, 0.5), 4.2)
    assert ins.beyond_max_range == 1
    np.testing.assert_array_equal(vmap.free_mask[0, 0], [1] * 5 + [0] * 5)
    assert vmap.occupied_count == 0


def test_occupancy_from_probabilities() -> None:
    cfg = OccupancyConfig.from_probabilities()
    assert cfg.hit_log_odds == pytest.approx(OccupancyConfig().hit_log_odds, rel=1e-5)
    assert cfg.max_log_odds == pytest.approx(OccupancyConfig().max_log_odds, rel=1e-5)
    with pytest.raises(ValueError, match="hit"):
        OccupancyConfig.from_probabilities(hit=1.0)


# --- Frontiers -----------------------------------------------------------------------------


def test_frontiers_on_a_hand_made_map() -> None:
    vmap = line_map(5)
    vmap.set_log_odds(np.array([[[FREE, FREE, UNKNOWN, OCC, FREE]]]))
    np.testing.assert_array_equal(vmap.frontiers(), [[0, 0, 1]])

    cube = VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 1.0, (3, 3, 3)))
    cells = np.full((3, 3, 3), FREE)
    cells[1, 1, 1] = UNKNOWN
    cube.set_log_odds(cells)
    expected = [[0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 2], [1, 2, 1], [2, 1, 1]]
    np.testing.assert_array_equal(cube.frontiers(), expected)
    np.testing.assert_array_equal(cube.frontiers(VoxelBox(1, 0, 0, 2, 3, 3)), expected[1:5])
    assert cube.frontiers(VoxelBox(0, 0, 0, 0, 3, 3)).shape == (0, 3)


def test_frontiers_within_the_changed_box_are_the_new_ones() -> None:
    vmap = VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 0.5, (8, 8, 8)))
    vmap.insert_point_cloud(np.array([[3.7, 0.4, 0.4]]), (0.3, 0.4, 0.4), 50.0)
    before = {tuple(v) for v in vmap.frontiers()}
    ins = vmap.insert_point_cloud(np.array([[0.3, 3.7, 3.4]]), (0.3, 0.4, 0.4), 50.0)
    # A voxel's frontier status depends on it and its face neighbours only, so recomputing it
    # in the changed box grown by one voxel updates the whole set.
    box = ins.changed.dilated(1, vmap.grid.shape)
    inside = np.zeros(vmap.grid.shape, bool)
    inside[box.slices] = True
    kept = {v for v in before if not inside[v]}
    updated = kept | {tuple(v) for v in vmap.frontiers(box)}
    assert updated == {tuple(v) for v in vmap.frontiers()}
    assert updated != before


def test_frontier_clusters_by_6_and_26_connectivity() -> None:
    # Two layers, the top one unknown: the free voxels of the bottom one are the frontiers.
    cells = np.full((2, 6, 8), UNKNOWN)
    cells[0] = OCC
    line, pair, single = [(0, c) for c in range(4)], [(3, 5), (4, 6)], [(4, 0)]
    for r, c in line + pair + single:
        cells[0, r, c] = FREE
    vmap = VoxelMap(VoxelGrid((10.0, 20.0, 0.0), 0.5, (2, 6, 8)))
    vmap.set_log_odds(cells)

    c26 = vmap.frontier_clusters(26)
    assert [c.size for c in c26] == [4, 2, 1]
    assert c26[0].centroid_m == pytest.approx((11.0, 20.25, 0.25))
    assert c26[0].goal == (0, 0, 1)
    assert c26[0].bounds == VoxelBox(0, 0, 0, 1, 1, 4)
    np.testing.assert_array_equal(c26[1].voxels, [[0, 3, 5], [0, 4, 6]])
    c6 = vmap.frontier_clusters(6)
    assert [c.size for c in c6] == [4, 1, 1, 1]
    assert [tuple(c.voxels[0]) for c in c6[1:]] == [(0, 3, 5), (0, 4, 0), (0, 4, 6)]
    assert [c.size for c in vmap.frontier_clusters(6, min_size=2)] == [4]


# --- Distance field ------------------------------------------------------------------------


def test_distance_field_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    grid = VoxelGrid((1.0, -2.0, 0.5), 0.3, (6, 7, 9))
    draw = rng.uniform(size=grid.shape)
    cells = np.where(draw < 0.04, OCC, np.where(draw < 0.3, UNKNOWN, FREE))
    vmap = VoxelMap(grid)
    vmap.set_log_odds(cells)
    index = np.argwhere(np.ones(grid.shape, bool))
    for unknown_is_obstacle in (False, True):
        obstacles = vmap.occupied_mask | (unknown_is_obstacle & vmap.unknown_mask)
        diff = index[:, None, :] - np.argwhere(obstacles)[None, :, :]
        brute = np.sqrt((diff**2).sum(axis=2)).min(axis=1) * grid.resolution_m
        field = vmap.distance_field_m(unknown_is_obstacle)
        np.testing.assert_allclose(field.ravel(), brute, rtol=1e-6)
    np.testing.assert_allclose(
        vmap.clearance_m(grid.centers_m(index[:50])), vmap.distance_field_m().ravel()[:50]
    )
    assert np.isnan(vmap.clearance_m([[0.0, 0.0, 0.0]])).all()


def test_distance_field_follows_the_map() -> None:
    vmap = line_map()
    assert np.isinf(vmap.distance_field_m()).all()
    one_ray(vmap, (8.5, 0.5, 0.5))
    field = vmap.distance_field_m()
    assert field[0, 0, 3] == pytest.approx(5.0)
    one_ray(vmap, (5.5, 0.5, 0.5))
    assert vmap.distance_field_m()[0, 0, 3] == pytest.approx(2.0)
    assert field[0, 0, 3] == pytest.approx(2.0)  # the same live view


# --- A lava tube scanned from inside -------------------------------------------------------

TUBE_POSES_X = (26.0, 30.0, 34.0)
TUBE_RANGE_M = 12.0


@pytest.fixture(scope="module")
def scanned_tube() -> tuple[LavaTube, VoxelMap]:
    tube = LavaTube.generate(seed=7)  # radius 3-8 m, 60 m long, along x
    grid = VoxelGrid.covering((-2.0, -9.0, -9.0), (62.0, 9.0, 9.0), 0.25)
    vmap = VoxelMap(grid)
    directions = spherical_directions(1.5, 1.5)
    rng = np.random.default_rng(1)
    for x in TUBE_POSES_X:
        # A lidar 1.5 m above the tube's floor, a little off its axis.
        sensor = np.array([x, 0.5, -float(tube.radius_at(x)) + 1.5])
        points = tube.scan(sensor, directions, TUBE_RANGE_M, range_sigma_m=0.01, rng=rng)
        vmap.insert_point_cloud(points, sensor, TUBE_RANGE_M)
    return tube, vmap


def test_tube_occupied_voxels_lie_on_the_wall(scanned_tube: tuple[LavaTube, VoxelMap]) -> None:
    tube, vmap = scanned_tube
    occupied = vmap.grid.centers_m(np.argwhere(vmap.occupied_mask))
    assert occupied.shape[0] > 5000
    assert np.abs(tube.sdf(occupied)).max() <= vmap.grid.resolution_m


def test_tube_free_voxels_are_inside(scanned_tube: tuple[LavaTube, VoxelMap]) -> None:
    tube, vmap = scanned_tube
    res = vmap.grid.resolution_m
    sdf = tube.sdf(vmap.grid.centers_m(np.argwhere(vmap.free_mask)))
    assert sdf.max() <= math.sqrt(3) / 2 * res  # every free voxel reaches into the void
    assert (sdf < 0).mean() > 0.98
    # The void around the poses is seen (away from the wall, whose voxels hold the hits): all
    # of it between the poses and 2 m beyond, nearly all up to 6 m beyond.
    void = ~tube.voxelise(vmap.grid)
    x = vmap.grid.origin_m[0] + (np.arange(vmap.grid.shape[2]) + 0.5) * res
    for margin_m, fraction in ((2.0, 1.0), (6.0, 0.97)):
        near = (x > TUBE_POSES_X[0] - margin_m) & (x < TUBE_POSES_X[-1] + margin_m)
        voxels = np.argwhere(void & near[None, None, :])
        deep = tube.sdf(vmap.grid.centers_m(voxels)) < -res
        assert vmap.free_mask[tuple(voxels[deep].T)].mean() >= fraction


def test_tube_frontiers_are_at_the_scanned_ends(scanned_tube: tuple[LavaTube, VoxelMap]) -> None:
    tube, vmap = scanned_tube
    clusters = vmap.frontier_clusters(26)
    total = sum(c.size for c in clusters)
    near_end, far_end = sorted(clusters[:2], key=lambda c: c.centroid_m[0])
    assert near_end.size + far_end.size > 0.9 * total
    assert near_end.centroid_m[0] < TUBE_POSES_X[0] - TUBE_RANGE_M / 2
    assert far_end.centroid_m[0] > TUBE_POSES_X[-1] + TUBE_RANGE_M / 2
    for end in (near_end, far_end):
        # Each spans the tube's cross-section, and its goal is a free voxel inside the tube.
        radius = float(tube.radius_at(end.centroid_m[0]))
        b = end.bounds
        assert (b.row_end - b.row_begin) * vmap.grid.resolution_m > radius
        assert (b.layer_end - b.layer_begin) * vmap.grid.resolution_m > radius
        assert vmap.state(end.goal) == VoxelState.FREE
        assert tube.sdf(vmap.grid.centers_m([end.goal]))[0] < 0
    # Between the poses, frontiers are only small gaps between wall hits.
    x = vmap.grid.centers_m(vmap.frontiers())[:, 0]
    between = (x > TUBE_POSES_X[0]) & (x < TUBE_POSES_X[-1])
    assert between.sum() < 0.02 * total


def test_tube_clearance_is_never_more_than_a_voxel_short(
    scanned_tube: tuple[LavaTube, VoxelMap],
) -> None:
    tube, vmap = scanned_tube
    free = vmap.grid.centers_m(np.argwhere(vmap.free_mask))
    clearance = vmap.clearance_m(free)
    wall_distance = -tube.sdf(free)
    # Occupied voxels lie within a voxel of the wall, so they are never nearer than that.
    assert np.all(clearance >= wall_distance - vmap.grid.resolution_m)
    assert np.median(clearance - wall_distance) < vmap.grid.resolution_m


# --- Views ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", ["log_odds", "occupied_mask", "free_mask"])
def test_views_are_read_only_and_live(layer: str) -> None:
    vmap = line_map()
    view = getattr(vmap, layer)
    assert view.shape == (1, 1, 10)
    assert not view.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0, 0] = 1
    with pytest.raises(ValueError):
        view.flags.writeable = True
    before = view.copy()
    one_ray(vmap, (5.5, 0.5, 0.5))
    assert not np.array_equal(view, before, equal_nan=True)


@pytest.mark.parametrize("layer", ["log_odds", "occupied_mask", "free_mask", "distance_field_m"])
def test_view_outlives_the_map(layer: str) -> None:
    vmap = VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 1.0, (16, 16, 16)))
    vmap.insert_point_cloud(np.array([[9.5, 8.5, 7.5], [1.5, 14.5, 3.5]]), (2.0, 2.0, 2.0), 50.0)
    attribute = getattr(vmap, layer)
    view = attribute() if callable(attribute) else attribute
    expected = view.copy()
    core = weakref.ref(vmap._map)
    del vmap, attribute
    gc.collect()
    # Churn the allocator: freed storage of this size would be reused and overwritten.
    churn = [VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 1.0, (16, 16, 16))) for _ in range(20)]
    for m in churn:
        m.insert_point_cloud(np.array([[15.5, 15.5, 15.5]]), (0.5, 0.5, 0.5), 50.0)
        m.distance_field_m(True)
    assert core() is not None  # the view keeps the core map alive ...
    np.testing.assert_array_equal(view, expected)  # ... and its values with it
    del churn, view
    gc.collect()
    assert core() is None  # and lets it go with the last view


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "resolution", "shape", "field"),
    [
        ((0.0, 0.0, 0.0), 0.0, (2, 2, 2), "resolution_m"),
        ((0.0, 0.0, 0.0), math.nan, (2, 2, 2), "resolution_m"),
        ((0.0, math.inf, 0.0), 1.0, (2, 2, 2), r"origin_m\[1\]"),
        ((0.0, 0.0, 0.0), 1.0, (2, 0, 2), r"\(layers, rows, cols\)"),
        ((0.0, 0.0, 0.0), 1.0, (2048, 2048, 2048), "2\\^31"),
    ],
)
def test_bad_grid_raises_naming_the_field(
    origin: tuple[float, float, float], resolution: float, shape: tuple[int, int, int], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        VoxelGrid(origin, resolution, shape)


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (OccupancyConfig(hit_log_odds=-0.1), "hit_log_odds"),
        (OccupancyConfig(miss_log_odds=0.2), "miss_log_odds"),
        (OccupancyConfig(min_log_odds=math.nan), "min_log_odds"),
        (OccupancyConfig(occupied_above_log_odds=5.0), "occupied_above_log_odds"),
    ],
)
def test_bad_occupancy_config_raises_naming_the_field(config: OccupancyConfig, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        VoxelMap(VoxelGrid((0.0, 0.0, 0.0), 1.0, (2, 2, 2)), config)


@pytest.mark.parametrize(
    ("points", "sensor", "max_range", "match"),
    [
        (np.zeros((4, 2)), (0.0, 0.0, 0.0), 5.0, "points_xyz_m"),
        (np.zeros(3), (0.0, 0.0, 0.0), 5.0, "points_xyz_m"),
        (np.zeros((4, 3)), (0.0, 0.0), 5.0, "sensor_xyz_m"),
        (np.zeros((4, 3)), (0.0, math.nan, 0.0), 5.0, r"sensor_xyz_m\[1\]"),
        (np.zeros((4, 3)), (0.0, 0.0, 0.0), 0.0, "max_range_m"),
        (np.zeros((4, 3)), (0.0, 0.0, 0.0), math.inf, "max_range_m"),
    ],
)
def test_bad_insertion_raises_and_leaves_the_map_untouched(
    points: F64, sensor: tuple[float, ...], max_range: float, match: str
) -> None:
    vmap = line_map()
    with pytest.raises(ValueError, match=match):
        vmap.insert_point_cloud(points, sensor, max_range)
    assert np.isnan(vmap.log_odds).all()


def test_other_bad_arguments_raise() -> None:
    vmap = line_map()
    with pytest.raises(ValueError, match="connectivity must be 6 or 26, got 8"):
        vmap.frontier_clusters(8)
    with pytest.raises(ValueError, match="min_size"):
        vmap.frontier_clusters(26, min_size=0)
    with pytest.raises(ValueError, match="log_odds"):
        vmap.set_log_odds(np.zeros((1, 2, 10)))
    with pytest.raises(ValueError, match="points_xyz_m"):
        vmap.clearance_m(np.zeros((3, 4)))


def test_strided_and_float64_points_are_accepted() -> None:
    points = np.array([[7.5, 0.5, 0.5, 0.0], [3.5, 0.5, 0.5, 0.0]])[:, :3]  # not contiguous
    vmap = line_map()
    ins = vmap.insert_point_cloud(points, (0.5, 0.5, 0.5), 20.0)
    assert ins.points_used == 2 and vmap.occupied_count == 2
