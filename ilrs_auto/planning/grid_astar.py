"""Optimal 8-connected A* on a costmap (C++ core; the GIL is released while it searches)."""

from __future__ import annotations

from ilrs_auto import _core
from ilrs_auto.geometry import Cell
from ilrs_auto.planning.base import GridMoveRules, Plan, PlanRequest, check_costmap


class GridAStar(GridMoveRules):
    """Optimal 8-connected A* under the move rules of :class:`GridMoveRules`."""

    name = "grid_astar"

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
