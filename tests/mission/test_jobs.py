"""Plan jobs deliver their outcome at a fixed mission time under a simulated clock."""

from __future__ import annotations

import numpy as np

from ilrs_auto.geometry import Cell
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.planning import GridAStar, NoPathFound, Plan, PlanRequest


def test_outcome_arrives_exactly_at_submit_time_plus_latency() -> None:
    runner = PlanJobRunner(GridAStar(), latency_s=2.0, deterministic=True)
    try:
        job = runner.submit(
            PlanRequest(np.ones((10, 10), np.float32), Cell(0, 0), Cell(9, 9)), now_s=5.0
        )
        assert job.poll(6.999) is None
        outcome = job.poll(7.0)
        assert isinstance(outcome, Plan) and tuple(outcome.cells[-1]) == (9, 9)
    finally:
        runner.close()


def test_failures_come_back_as_values() -> None:
    costmap = np.ones((5, 5), np.float32)
    costmap[2, :] = np.inf
    runner = PlanJobRunner(GridAStar(), latency_s=0.0, deterministic=True)
    try:
        outcome = runner.submit(PlanRequest(costmap, Cell(0, 0), Cell(4, 4)), 0.0).poll(0.0)
        assert isinstance(outcome, NoPathFound)
    finally:
        runner.close()


def test_real_time_jobs_are_polled_until_done() -> None:
    runner = PlanJobRunner(GridAStar(), latency_s=0.0, deterministic=False)
    try:
        job = runner.submit(
            PlanRequest(np.ones((50, 50), np.float32), Cell(0, 0), Cell(49, 49)), 0.0
        )
        outcome = None
        while outcome is None:
            outcome = job.poll(0.0)
        assert isinstance(outcome, Plan)
    finally:
        runner.close()
