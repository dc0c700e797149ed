"""Hybrid-A*: every step is one the rover can drive, on cells it may enter."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.geometry import Cell
from ilrs_auto.planning import (
    GoalOccupied,
    NoPathFound,
    PlanRequest,
    StartOutsideMap,
    make_planner,
)
from ilrs_auto.planning.hybrid_astar import HybridAStar, HybridPlan, Motion


def redrive(
    pose: np.ndarray, motion: Motion, planner: HybridAStar, fraction: float = 1.0
) -> tuple[float, float, float]:
    """Where a fraction of one primitive leads, from the documented kinematics."""
    o = planner.options
    x, y, h = pose
    length = fraction * o.step_cells
    if motion == Motion.STRAIGHT:
        return x + length * math.cos(h), y + length * math.sin(h), h
    if motion in (Motion.LEFT, Motion.RIGHT):
        s = 1.0 if motion == Motion.LEFT else -1.0
        r = o.min_turn_radius_cells
        t = s * length / r
        return (
            x + s * r * (math.sin(h + t) - math.sin(h)),
            y - s * r * (math.cos(h + t) - math.cos(h)),
            h + t,
        )
    turn = 2 * math.pi / o.headings
    return x, y, h + (turn if motion == Motion.TURN_LEFT else -turn)


def assert_drivable(costmap: np.ndarray, plan: HybridPlan, planner: HybridAStar) -> None:
    assert plan.motions[0] == Motion.START
    for i in range(1, len(plan.poses)):
        x, y, h = redrive(plan.poses[i - 1], plan.motions[i], planner)
        assert x == pytest.approx(plan.poses[i][0], abs=1e-9)
        assert y == pytest.approx(plan.poses[i][1], abs=1e-9)
        assert math.remainder(h - plan.poses[i][2], 2 * math.pi) == pytest.approx(0, abs=1e-9)
        # Dense samples along the step (straight or arc) stay on finite cells.
        for f in np.linspace(0, 1, 25):
            px, py, _ = redrive(plan.poses[i - 1], plan.motions[i], planner, float(f))
            assert math.isfinite(costmap[int(py), int(px)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), skid=st.booleans())
def test_paths_are_drivable_on_random_maps(seed: int, skid: bool) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    costmap = rng.uniform(1, 5, (n, n)).astype(np.float32)
    for _ in range(6):  # rock clusters
        r, c = rng.integers(4, n - 4, 2)
        costmap[r - 2 : r + 2, c - 2 : c + 2] = np.inf
    costmap[:4, :4] = 1.0
    costmap[-4:, -4:] = 1.0
    planner = HybridAStar(allow_turn_in_place=skid)
    try:
        plan = planner.plan_poses(costmap, (1.5, 1.5, 0.0), (37.5, 37.5, 0.0))
    except NoPathFound:
        return
    assert_drivable(costmap, plan, planner)
    assert math.dist(plan.poses[-1][:2], (37.5, 37.5)) <= 1.0


def test_through_the_planner_interface() -> None:
    costmap = np.ones((30, 30), np.float32)
    costmap[5:25, 15] = np.inf
    planner = make_planner("hybrid_astar")
    plan = planner.plan(PlanRequest(costmap, Cell(10, 2), Cell(10, 27)))
    assert plan.waypoints is not None
    assert np.isfinite(costmap[plan.cells[:, 0], plan.cells[:, 1]]).all()
    with pytest.raises(StartOutsideMap):
        planner.plan(PlanRequest(costmap, Cell(-1, 2), Cell(10, 27)))
    with pytest.raises(GoalOccupied):
        planner.plan(PlanRequest(costmap, Cell(10, 2), Cell(10, 15)))


def test_bad_options_name_the_field() -> None:
    with pytest.raises(ValueError, match="min_turn_radius_cells must be > 0"):
        HybridAStar(min_turn_radius_cells=0).plan_poses(
            np.ones((5, 5), np.float32), (1, 1, 0), (3, 3, 0)
        )
