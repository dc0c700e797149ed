"""Optimal 8-connected A* on a costmap (C++ core; the GIL is released while it searches)."""

from __future__ import annotations

from ilrs_auto import _core
from ilrs_auto.geometry import Cell
from ilrs_auto.planning.base import CostModel, Plan, PlanRequest, check_cost_model, check_costmap


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
        self.cost_model: CostModel = check_cost_model(cost_model)
        self.unknown_cost = unknown_cost
        self.allow_corner_cutting = allow_corner_cutting

    def plan(self, request: PlanRequest) -> Plan:
        costmap = check_costmap(request.costmap)
        start, goal = Cell(*request.start), Cell(*request.goal)
        cells, cost, expansions, elapsed_s = _core.plan_grid_astar(
            costmap,
            (start.row, start.col),
            (goal.row, goal.col),
            request.timeout_s,
            request.cancel,
            self.cost_model,
            self.unknown_cost,
            self.allow_corner_cutting,
        )
        return Plan(cells, float(cost), int(expansions), float(elapsed_s), self.name)
