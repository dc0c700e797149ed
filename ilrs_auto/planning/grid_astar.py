"""Optimal 8-connected grid search on a costmap (C++ core; the GIL is released while it runs)."""

from __future__ import annotations

from typing import Literal

from ilrs_auto import _core
from ilrs_auto.geometry import Cell
from ilrs_auto.planning.base import CostModel, GridMoveRules, Plan, PlanRequest, check_costmap

GridSearch = Literal["auto", "a_star", "bidirectional"]
GRID_SEARCHES: tuple[GridSearch, ...] = ("auto", "a_star", "bidirectional")


class GridAStar(GridMoveRules):
    """Optimal 8-connected search under the move rules of :class:`GridMoveRules`.

    ``search`` picks how the optimum is found: ``a_star`` (octile or Chebyshev heuristic x
    the map's smallest cost), or ``bidirectional``, which grows a Dijkstra search from each
    end and stops once their meeting is provably optimal. Where costs sit well above the
    map's minimum, A* scans nearly every cell and the two sides together about two thirds of
    them, each far faster; where the heuristic is strong (a cheap corridor) A* scans less.
    ``auto`` takes ``bidirectional`` for ``entered_cell`` (as grid tools with weighted cells
    use it) and ``a_star`` for the rover's ``geometric`` and ``midpoint`` costmaps, where flat
    ground costs the minimum. ``threads=2`` runs the two directions of ``bidirectional`` on
    two threads: the same optimal cost, though among equal-cost paths which one returns may
    vary.
    """

    name = "grid_astar"

    def __init__(
        self,
        cost_model: CostModel = "geometric",
        unknown_cost: float = float("inf"),
        allow_corner_cutting: bool = False,
        search: GridSearch = "auto",
        threads: int = 1,
    ) -> None:
        super().__init__(cost_model, unknown_cost, allow_corner_cutting)
        if search not in GRID_SEARCHES:
            raise ValueError(f"search must be 'auto', 'a_star' or 'bidirectional', got {search!r}")
        if threads not in (1, 2) or isinstance(threads, bool):
            raise ValueError(f"threads must be 1 or 2, got {threads!r}")
        bidirectional = search == "bidirectional" or (
            search == "auto" and self.cost_model == "entered_cell"
        )
        if threads == 2 and not bidirectional:
            raise ValueError(
                f"threads=2 needs the bidirectional search; search={search!r} runs A* for "
                f"cost_model={self.cost_model!r}, on one thread"
            )
        self.search: GridSearch = search
        self.threads = threads

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
            self.search,
            self.threads,
        )
        return Plan(cells, float(cost), int(expansions), float(elapsed_s), self.name)


class GridBidirectional(GridAStar):
    """:class:`GridAStar` with the bidirectional search under every cost model, so that a
    scenario can choose it by name (``planner: grid_bidirectional``)."""

    name = "grid_bidirectional"

    def __init__(
        self,
        cost_model: CostModel = "geometric",
        unknown_cost: float = float("inf"),
        allow_corner_cutting: bool = False,
        threads: int = 1,
    ) -> None:
        super().__init__(cost_model, unknown_cost, allow_corner_cutting, "bidirectional", threads)
