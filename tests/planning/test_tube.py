"""The 3D tube planner: paths through generated lava tubes keep their clearance from the
analytic wall and stay short; on random voxel maps every segment crosses only enterable voxels
and the lattice optimum matches an independent Dijkstra; each failure is typed with its voxel;
cancel works from another thread while the GIL is released."""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.perception.voxels import VoxelGrid, VoxelMap
from ilrs_auto.planning import (
    CancelToken,
    GoalOccupied,
    GoalOutsideMap,
    NoPathFound,
    PlanCancelled,
    PlannerTimedOut,
    PlanningError,
    StartOccupied,
    StartOutsideMap,
)
from ilrs_auto.planning.tube import TubePlanner
from ilrs_auto.sim.lava_tube import LavaTube


def tube_map(tube: LavaTube, resolution_m: float) -> VoxelMap:
    """The tube voxelised as known free inside and occupied rock outside."""
    r = float(tube.radii_m.max()) + 2 * resolution_m
    grid = VoxelGrid.covering(
        (float(tube.knots_x_m[0]), -r, -r), (float(tube.knots_x_m[-1]), r, r), resolution_m
    )
    voxel_map = VoxelMap(grid)
    rock = tube.voxelise(grid)
    occ = voxel_map.occupancy
    voxel_map.set_log_odds(np.where(rock, occ.max_log_odds, occ.min_log_odds))
    return voxel_map


def floor_point(voxel_map: VoxelMap, planner: TubePlanner, x_m: float) -> np.ndarray:
    """The centre of the lowest enterable voxel below the axis at ``x_m``."""
    grid = voxel_map.grid
    _, row, col = grid.voxel_of([(x_m, 0.0, 0.0)])[0]
    field = voxel_map.distance_field_m(unknown_is_obstacle=True)[:, row, col]
    ok = voxel_map.free_mask[:, row, col] & (field >= planner.required_field_m(voxel_map))
    layer = int(np.argmax(ok))
    centre: np.ndarray = grid.centers_m([(layer, row, col)])[0]
    return centre


def samples_along(waypoints_m: np.ndarray, step_m: float) -> np.ndarray:
    parts = [waypoints_m[:1]]
    for a, b in itertools.pairwise(waypoints_m):
        n = max(2, math.ceil(float(np.linalg.norm(b - a)) / step_m) + 1)
        parts.append(a + np.linspace(0.0, 1.0, n)[:, None] * (b - a))
    return np.concatenate(parts)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    clearance_m=st.sampled_from([0.5, 1.0, 1.5]),
    start_x=st.floats(0.5, 10.0),
    goal_x=st.floats(50.0, 59.5),
    floor=st.booleans(),
)
def test_path_through_a_generated_tube_clears_the_wall_and_is_short(
    seed: int, clearance_m: float, start_x: float, goal_x: float, floor: bool
) -> None:
    tube = LavaTube.generate(seed, length_m=60.0)
    voxel_map = tube_map(tube, 0.25)
    planner = TubePlanner(clearance_m)
    if floor:  # on the floor at both ends: the path must climb where the tube narrows
        start = floor_point(voxel_map, planner, start_x)
        goal = floor_point(voxel_map, planner, goal_x)
    else:
        start, goal = np.array([start_x, 0.0, 0.0]), np.array([goal_x, 0.0, 0.0])
    plan = planner.plan(voxel_map, start, goal)

    w = plan.waypoints_m
    assert np.allclose(w[0], voxel_map.grid.centers_m(voxel_map.grid.voxel_of(start))[0])
    assert np.allclose(w[-1], voxel_map.grid.centers_m(voxel_map.grid.voxel_of(goal))[0])
    # Clearance from the analytic wall along the whole path (dense samples).
    distance_to_wall = -tube.sdf(samples_along(w, 0.02))
    assert distance_to_wall.min() >= clearance_m
    # Short: no longer than 1.1 x the centreline between the ends, or the straight line
    # between them where that is longer (ends near the floor on a short stretch).
    centreline = abs(float(w[-1, 0] - w[0, 0]))
    straight = float(np.linalg.norm(w[-1] - w[0]))
    assert plan.length_m <= 1.1 * max(centreline, straight)
    assert plan.length_m <= plan.lattice_length_m + 1e-9
    steps = np.diff(w, axis=0)
    assert plan.length_m == pytest.approx(float(np.linalg.norm(steps, axis=1).sum()))
    assert plan.expansions > 0
    assert plan.planner == "tube_astar"


def random_map(data: st.DataObject) -> VoxelMap:
    layers, rows, cols = (data.draw(st.integers(2, 7)) for _ in range(3))
    grid = VoxelGrid((0.0, 0.0, 0.0), data.draw(st.sampled_from([0.25, 1.0])), (layers, rows, cols))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    states = rng.choice(3, size=grid.shape, p=[0.1, 0.7, 0.2])  # unknown, free, occupied
    voxel_map = VoxelMap(grid)
    occ = voxel_map.occupancy
    voxel_map.set_log_odds(
        np.select([states == 1, states == 2], [occ.min_log_odds, occ.max_log_odds], np.nan)
    )
    return voxel_map


def dijkstra_length(enterable: np.ndarray, start: tuple[int, ...], goal: tuple[int, ...]) -> float:
    """26-connected Dijkstra in voxels, a move allowed when its whole box is enterable."""
    shape = enterable.shape
    dist = {start: 0.0}
    queue = [(0.0, start)]
    moves = [m for m in itertools.product((-1, 0, 1), repeat=3) if any(m)]
    while queue:
        d, v = heapq.heappop(queue)
        if v == goal:
            return d
        if d > dist[v]:
            continue
        for m in moves:
            lo = [min(v[i], v[i] + m[i]) for i in range(3)]
            if any(x < 0 for x in lo) or any(lo[i] + abs(m[i]) >= shape[i] for i in range(3)):
                continue
            box = enterable[
                lo[0] : lo[0] + abs(m[0]) + 1,
                lo[1] : lo[1] + abs(m[1]) + 1,
                lo[2] : lo[2] + abs(m[2]) + 1,
            ]
            if not box.all():
                continue
            n = (v[0] + m[0], v[1] + m[1], v[2] + m[2])
            nd = d + math.sqrt(sum(abs(x) for x in m))
            if nd < dist.get(n, math.inf):
                dist[n] = nd
                heapq.heappush(queue, (nd, n))
    return math.inf


@settings(max_examples=60, deadline=None)
@given(data=st.data(), clearance_m=st.sampled_from([0.0, 0.3]))
def test_random_maps_optimal_lattice_and_enterable_segments(
    data: st.DataObject, clearance_m: float
) -> None:
    voxel_map = random_map(data)
    grid = voxel_map.grid
    planner = TubePlanner(clearance_m)
    field = voxel_map.distance_field_m(unknown_is_obstacle=True)
    enterable = voxel_map.free_mask & (field >= np.float32(planner.required_field_m(voxel_map)))
    index = st.tuples(*(st.integers(0, n - 1) for n in grid.shape))
    s, g = data.draw(index), data.draw(index)
    start, goal = grid.centers_m([s])[0], grid.centers_m([g])[0]
    try:
        plan = planner.plan(voxel_map, start, goal)
    except (StartOccupied, GoalOccupied) as failure:
        voxel = getattr(failure, "voxel")  # noqa: B009 (set by the core, not in the stub)
        assert not enterable[voxel]
        assert voxel in (s, g)
        return
    except NoPathFound:
        assert enterable[s] and enterable[g]
        assert dijkstra_length(enterable, s, g) == math.inf
        return
    assert plan.lattice_length_m == pytest.approx(
        dijkstra_length(enterable, s, g) * grid.resolution_m, rel=1e-5, abs=1e-9
    )
    for a, b in itertools.pairwise(plan.waypoints_m):
        voxels, _ = grid.voxels_on_segment(a, b)
        assert enterable[voxels[:, 0], voxels[:, 1], voxels[:, 2]].all()


@pytest.fixture(scope="module")
def small_tube() -> VoxelMap:
    """20 m of tube, 4 m radius at the ends narrowing to 3 m in the middle."""
    return tube_map(LavaTube(np.array([0.0, 10.0, 20.0]), np.array([4.0, 3.0, 4.0])), 0.25)


def test_failures_are_typed_and_name_the_voxel(small_tube: VoxelMap) -> None:
    voxel_map = small_tube
    planner = TubePlanner(1.0)
    inside = (2.0, 0.0, 0.0)
    with pytest.raises(StartOutsideMap) as outside:
        planner.plan(voxel_map, (-1.0, 0.0, 0.0), inside)
    assert getattr(outside.value, "voxel")[2] < 0  # noqa: B009 (set by the core)
    assert "outside" in str(outside.value)
    with pytest.raises(GoalOutsideMap):
        planner.plan(voxel_map, inside, (2.0, 0.0, 100.0))
    with pytest.raises(GoalOccupied, match="occupied") as rock:
        planner.plan(voxel_map, inside, (2.0, 0.0, -4.4))  # in the rock below the floor
    rock_voxel = tuple(voxel_map.grid.voxel_of([(2.0, 0.0, -4.4)])[0])
    assert getattr(rock.value, "voxel") == rock_voxel  # noqa: B009 (set by the core)
    assert isinstance(rock.value, PlanningError)
    with pytest.raises(StartOccupied, match="too close"):
        planner.plan(voxel_map, (2.0, 0.0, -3.5), inside)  # free, 0.5 m above the floor
    with pytest.raises(ValueError, match="start_m"):
        planner.plan(voxel_map, (1.0, 2.0), inside)
    with pytest.raises(ValueError, match="finite"):
        planner.plan(voxel_map, (math.nan, 0.0, 0.0), inside)
    with pytest.raises(ValueError, match="clearance_m"):
        TubePlanner(-1.0)

    unknown = VoxelMap(voxel_map.grid)
    unknown.set_log_odds(np.where(voxel_map.free_mask, np.float32(-1.0), np.nan))
    with pytest.raises(StartOccupied, match="unknown"):
        TubePlanner(0.0).plan(unknown, (2.0, 0.0, -4.4), inside)

    # The tube narrows to 3 m; a 2.8 m clearance needs 2.8 + sqrt(3) / 4 m: no way through.
    with pytest.raises(NoPathFound):
        TubePlanner(2.8).plan(voxel_map, (1.0, 0.0, 0.0), (19.0, 0.0, 0.0))
    with pytest.raises(PlannerTimedOut):
        planner.plan(voxel_map, (1.0, 0.0, 0.0), (19.0, 0.0, 0.0), timeout_s=1e-9)
    token = CancelToken()
    token.cancel()
    with pytest.raises(PlanCancelled):
        planner.plan(voxel_map, (1.0, 0.0, 0.0), (19.0, 0.0, 0.0), cancel=token)


def test_shape_errors_name_the_argument() -> None:
    from ilrs_auto import _core

    grid = VoxelGrid((0.0, 0.0, 0.0), 1.0, (2, 3, 4))
    free = np.ones(grid.shape, bool)
    with pytest.raises(ValueError, match=r"clearance_m must have the grid's shape .* \(2, 3\)"):
        _core.plan_voxel_path(
            grid.to_core(), free, ~free, np.ones((2, 3), np.float32), (0, 0, 0), (1, 1, 1), 0.0
        )


def test_cancel_from_another_thread_while_the_gil_is_released() -> None:
    # The goal is sealed in a hollow box, so the search would expand the whole 120^3 grid.
    grid = VoxelGrid((0.0, 0.0, 0.0), 1.0, (120, 120, 120))
    voxel_map = VoxelMap(grid)
    occ = voxel_map.occupancy
    log_odds = np.full(grid.shape, occ.min_log_odds, np.float32)
    log_odds[:5, :5, :5] = occ.max_log_odds
    log_odds[1:4, 1:4, 1:4] = occ.min_log_odds
    voxel_map.set_log_odds(log_odds)
    planner = TubePlanner(0.0, unknown_is_obstacle=False)
    voxel_map.distance_field_m(unknown_is_obstacle=False)  # computed before the clock starts
    token = CancelToken()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            planner.plan(voxel_map, (119.5, 119.5, 119.5), (2.5, 2.5, 2.5), cancel=token)
        except PlanningError as failure:
            outcome.append(failure)

    worker = threading.Thread(target=run)
    t0 = time.perf_counter()
    worker.start()
    time.sleep(0.02)  # this thread runs while the planner works: the GIL is released
    token.cancel()
    worker.join(timeout=5.0)
    assert not worker.is_alive()
    assert len(outcome) == 1
    if isinstance(outcome[0], PlanCancelled):
        assert time.perf_counter() - t0 < 1.0
    else:  # a very fast machine finished first
        assert isinstance(outcome[0], NoPathFound)
