"""Optimal 8-connected A* on a costmap (C++ core; the GIL is released while it searches)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ilrs_auto import _core
from ilrs_auto.geometry import Cell
from ilrs_auto.planning.base import Plan, PlanRequest

CostModel = Literal["geometric", "entered_cell", "midpoint"]


class GridAStar:
    """Optimal 8-connected A*.

    Move costs: ``geometric``, the move's length (1 or sqrt 2) x the entered cell's cost;
    ``entered_cell``, the entered cell's cost, diagonal or not; ``midpoint``, the length x the
    mean of the two cells' costs. Diagonals never cut the corner of a blocked cell unless
    ``allow_corner_cutting`` (offered to compare with planners that do). Unknown (NaN) cells
    cost ``unknown_cost``; the default, inf, keeps the rover out of them."""

    name = "grid_astar"

    def __init__(
        self,
        cost_model: CostModel = "geometric",
        unknown_cost: float = float("inf"),
        allow_corner_cutting: bool = False,
    ) -> None:
        if cost_model not in ("geometric", "entered_cell", "midpoint"):
            raise ValueError(
                f"cost_model must be 'geometric', 'entered_cell' or 'midpoint', got {cost_model!r}"
            )
        self.cost_model: CostModel = cost_model
        self.unknown_cost = unknown_cost
        self.allow_corner_cutting = allow_corner_cutting

    def plan(self, request: PlanRequest) -> Plan:
        costmap = request.costmap
        if costmap.ndim != 2:
            raise ValueError(f"costmap must be 2D, got shape {costmap.shape}")
        if costmap.dtype != np.float32:
            raise ValueError(f"costmap must be float32, got {costmap.dtype}")
        start, goal = Cell(*request.start), Cell(*request.goal)
        cells, cost, expansions, elapsed_s = _core.plan_grid_astar(
            np.ascontiguousarray(costmap),
            (start.row, start.col),
            (goal.row, goal.col),
            request.timeout_s,
            request.cancel,
            self.cost_model,
            self.unknown_cost,
            self.allow_corner_cutting,
        )
        return Plan(cells, float(cost), int(expansions), float(elapsed_s), self.name)
