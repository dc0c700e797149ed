"""D* Lite repairs its search after map changes and moves, and always agrees with a fresh A*."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.geometry import Cell, Region
from ilrs_auto.planning import DStarLite, GridAStar, NoPathFound, PlanRequest
from ilrs_auto.planning.d_star_lite import changed_region


def fresh_cost(costmap: np.ndarray, start: Cell, goal: Cell, **rules: object) -> float:
    try:
        return GridAStar(**rules).plan(PlanRequest(costmap, start, goal)).cost  # type: ignore[arg-type]
    except NoPathFound:
        return math.inf


def incremental_cost(planner: DStarLite, costmap: np.ndarray, start: Cell, goal: Cell) -> float:
    try:
        return planner.plan(PlanRequest(costmap, start, goal)).cost
    except NoPathFound:
        return math.inf


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(3, 30), st.integers(3, 30)),
    model=st.sampled_from(["geometric", "entered_cell", "midpoint"]),
    corners=st.booleans(),
)
def test_agrees_with_fresh_astar_through_edits_and_moves(
    seed: int, shape: tuple[int, int], model: str, corners: bool
) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = shape
    costmap = rng.uniform(1, 10, shape).astype(np.float32)
    costmap[rng.random(shape) < 0.2] = np.inf
    goal = Cell(int(rng.integers(rows)), int(rng.integers(cols)))
    costmap[goal] = 2.0
    planner = DStarLite(model, allow_corner_cutting=corners)  # type: ignore[arg-type]
    for _ in range(8):
        start = Cell(int(rng.integers(rows)), int(rng.integers(cols)))
        costmap[start] = float(rng.uniform(1, 10))
        expected = fresh_cost(costmap, start, goal, cost_model=model, allow_corner_cutting=corners)
        got = incremental_cost(planner, costmap, start, goal)
        assert got == pytest.approx(expected, rel=1e-9) or (
            math.isinf(got) and math.isinf(expected)
        )
        # Change a block: new rocks, cleared cells, cheaper and dearer ground (never the goal).
        r0, c0 = int(rng.integers(rows)), int(rng.integers(cols))
        block = (slice(r0, r0 + 4), slice(c0, c0 + 4))
        edit = rng.uniform(0.5, 12, costmap[block].shape).astype(np.float32)
        edit[rng.random(edit.shape) < 0.3] = np.inf
        costmap[block] = np.maximum(edit, 1.0)
        costmap[goal] = 2.0


def test_a_repair_near_the_rover_is_much_cheaper_than_a_fresh_search() -> None:
    rng = np.random.default_rng(4)
    n = 400
    costmap = rng.uniform(1, 10, (n, n)).astype(np.float32)
    costmap[rng.random((n, n)) < 0.2] = np.inf
    costmap[:3, :3] = 1.0
    costmap[-3:, -3:] = 1.0
    start, goal = Cell(0, 0), Cell(n - 1, n - 1)
    planner = DStarLite()
    planner.plan(PlanRequest(costmap, start, goal))
    costmap[10:42, 10:42] = np.inf  # a rock field appears 10 cells from the rover
    repaired = planner.plan(PlanRequest(costmap, start, goal))
    assert planner.last_update_region == Region(10, 10, 42, 42)
    fresh = GridAStar().plan(PlanRequest(costmap, start, goal))
    assert repaired.cost == pytest.approx(fresh.cost, rel=1e-9)
    assert repaired.expansions * 5 < fresh.expansions


def test_a_new_goal_starts_a_new_search() -> None:
    costmap = np.ones((20, 20), np.float32)
    planner = DStarLite()
    first = planner.plan(PlanRequest(costmap, Cell(0, 0), Cell(19, 19)))
    second = planner.plan(PlanRequest(costmap, Cell(0, 0), Cell(0, 19)))
    assert tuple(second.cells[-1]) == (0, 19)
    assert first.cost == pytest.approx(19 * math.sqrt(2))
    assert second.cost == pytest.approx(19.0)


def test_changed_region_bounds_every_difference() -> None:
    a = np.ones((6, 7), np.float32)
    a[2, 3] = np.nan
    b = a.copy()
    assert changed_region(a, b).empty  # NaN equals NaN here
    b[1, 5] = np.inf
    b[4, 2] = 3.0
    assert changed_region(a, b) == Region(1, 2, 5, 6)
