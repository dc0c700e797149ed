"""D* Lite: incremental replanning to a fixed goal (C++ core).

A planner object keeps its search between calls. Hand it the same goal and a costmap that
changed near the rover, and it repairs the previous search instead of starting again; the cost
it returns is exactly what a fresh :class:`~ilrs_auto.planning.GridAStar` with the same move
rules returns. A new goal or a map of another shape starts a new search.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Cell, Region
from ilrs_auto.planning.base import CostModel, GridMoveRules, Plan, PlanRequest, check_costmap


class DStarLite(GridMoveRules):
    """Usable through the planner interface (``plan(request)``): the changed cells are found
    by comparing the request's costmap with the previous one. Not for use from two threads at
    once (a plan job runner uses one worker)."""

    name = "d_star_lite"

    def __init__(
        self,
        cost_model: CostModel = "geometric",
        unknown_cost: float = float("inf"),
        allow_corner_cutting: bool = False,
    ) -> None:
        super().__init__(cost_model, unknown_cost, allow_corner_cutting)
        self._core: _core.DStarLite | None = None
        self._costmap: npt.NDArray[np.float32] | None = None
        self.last_update_region: Region | None = None

    def plan(self, request: PlanRequest) -> Plan:
        costmap = check_costmap(request.costmap)
        start, goal = Cell(*request.start), Cell(*request.goal)
        if (
            self._core is None
            or self._costmap is None
            or self._costmap.shape != costmap.shape
            or Cell(*self._core.goal) != goal
        ):
            self._core = _core.DStarLite(
                costmap,
                (goal.row, goal.col),
                self.cost_model,
                self.unknown_cost,
                self.allow_corner_cutting,
            )
            self.last_update_region = None
        else:
            self.last_update_region = changed_region(self._costmap, costmap)
            if not self.last_update_region.empty:
                self._core.update_costs(costmap, self.last_update_region)
        self._costmap = costmap.copy()
        cells, cost, expansions, elapsed_s = self._core.plan(
            (start.row, start.col), request.timeout_s, request.cancel
        )
        return Plan(cells, float(cost), int(expansions), float(elapsed_s), self.name)


def changed_region(before: npt.NDArray[np.float32], after: npt.NDArray[np.float32]) -> Region:
    """The smallest block holding every cell that differs (NaN equal to NaN)."""
    differs = (before != after) & ~(np.isnan(before) & np.isnan(after))
    rows = np.flatnonzero(differs.any(axis=1))
    if rows.size == 0:
        return Region(0, 0, 0, 0)
    cols = np.flatnonzero(differs[rows[0] : rows[-1] + 1].any(axis=0))
    return Region(int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1)
