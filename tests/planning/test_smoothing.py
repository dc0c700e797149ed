"""Any-angle shortcuts: never dearer, never longer, never across a lethal cell or its corner."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.geometry import Cell
from ilrs_auto.planning import GridAStar, NoPathFound, PlanRequest
from ilrs_auto.planning.smoothing import Smoothed, polyline_cells, segment_cost, smooth_path


def sampled_cells(a: Cell, b: Cell, samples: int = 4000) -> set[tuple[int, int]]:
    """Cells a segment between centres touches, by dense sampling (independent of the core);
    points within 1e-6 of a cell edge count for the cells on both sides."""
    t = np.linspace(0.0, 1.0, samples)
    x = a[1] + 0.5 + t * (b[1] - a[1])
    y = a[0] + 0.5 + t * (b[0] - a[0])
    touched: set[tuple[int, int]] = set()
    for dx, dy in itertools.product((-1e-6, 1e-6), repeat=2):
        touched |= set(zip(np.floor(y + dy).astype(int), np.floor(x + dx).astype(int), strict=True))
    return touched


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(4, 40))
def test_smoothing_is_never_dearer_longer_or_blocked(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    costmap = rng.uniform(1, 10, (n, n)).astype(np.float32)
    costmap[rng.random((n, n)) < 0.2] = np.inf
    costmap[0, 0] = costmap[-1, -1] = 1.0
    try:
        plan = GridAStar("midpoint").plan(PlanRequest(costmap, Cell(0, 0), Cell(n - 1, n - 1)))
    except NoPathFound:
        return
    waypoints = smooth_path(costmap, plan.cells)
    assert tuple(waypoints[0]) == (0, 0) and tuple(waypoints[-1]) == (n - 1, n - 1)
    # The midpoint model's step cost is exactly the integral of a one-cell segment.
    steps = [segment_cost(costmap, Cell(*a), Cell(*b)) for a, b in itertools.pairwise(plan.cells)]
    assert sum(steps) == pytest.approx(plan.cost, rel=1e-9)
    smooth = sum(
        segment_cost(costmap, Cell(*a), Cell(*b)) for a, b in itertools.pairwise(waypoints)
    )
    assert smooth <= plan.cost * (1 + 1e-9)
    length = sum(math.dist(a, b) for a, b in itertools.pairwise(waypoints.tolist()))
    assert length <= plan.length_cells + 1e-9
    for a, b in itertools.pairwise(waypoints.tolist()):
        for cell in sampled_cells(Cell(*a), Cell(*b)):
            assert np.isfinite(costmap[cell]), f"segment {a}->{b} touches lethal {cell}"
    crossed = {tuple(c) for c in polyline_cells(waypoints)}
    assert all(np.isfinite(costmap[c]) for c in crossed)


def test_segment_costs() -> None:
    costmap = np.full((5, 5), 2.0, np.float32)
    costmap[0, 2] = 4.0
    assert segment_cost(costmap, Cell(0, 0), Cell(0, 4)) == pytest.approx(1 + 2 + 4 + 2 + 1)
    costmap[2, 2] = np.inf
    assert math.isinf(segment_cost(costmap, Cell(2, 0), Cell(2, 4)))
    assert math.isinf(segment_cost(costmap, Cell(1, 1), Cell(3, 3)))  # through the corner
    costmap[2, 2] = np.nan
    assert segment_cost(costmap, Cell(2, 0), Cell(2, 4), unknown_cost=3.0) == pytest.approx(
        1 + 2 + 3 + 2 + 1
    )


def test_polyline_cells_are_connected_and_in_order() -> None:
    cells = polyline_cells(np.array([[0, 0], [3, 7], [9, 2]]))
    assert tuple(cells[0]) == (0, 0) and tuple(cells[-1]) == (9, 2)
    assert (np.abs(np.diff(cells, axis=0)).sum(axis=1) <= 2).all()
    assert (3, 7) in {tuple(c) for c in cells}


def test_smoothed_planner_keeps_the_grid_path_and_adds_waypoints() -> None:
    costmap = np.ones((30, 30), np.float32)
    costmap[5:25, 15] = np.inf
    plan = Smoothed(GridAStar()).plan(PlanRequest(costmap, Cell(0, 0), Cell(29, 29)))
    assert plan.waypoints is not None and len(plan.waypoints) < len(plan.cells)
    assert (
        plan.length_cells
        < GridAStar().plan(PlanRequest(costmap, Cell(0, 0), Cell(29, 29))).length_cells
    )


def test_bad_shapes_are_named() -> None:
    with pytest.raises(ValueError, match=r"cells must have shape \(N, 2\)"):
        smooth_path(np.ones((3, 3), np.float32), np.zeros(4))
    with pytest.raises(ValueError, match="outside the costmap"):
        smooth_path(np.ones((3, 3), np.float32), np.array([[0, 0], [5, 5]]))
