"""Hybrid-A*: kinematically feasible paths for a rover with a minimum turning radius, and a
skid-steer mode that may turn on the spot at a cost (C++ core; the GIL is released).

Poses are in cell units of the map frame: x along columns, y along rows, heading in radians
counter-clockwise from +x; cell (row, col) covers [col, col + 1) x [row, row + 1). Every step
of a returned path is a straight drive, an arc of at least the turning radius, or (skid steer
only) a turn on the spot, and stays on cells of finite cost. Paths are feasible and short,
not guaranteed optimal: the search merges poses per cell and heading bin, and its grid
heuristic (at the default ``grid_heuristic_scale`` of 1) may overestimate by up to 8 %;
1 / 1.0824 never does, at several times the search effort.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Cell
from ilrs_auto.planning.base import CancelToken, Plan, PlanRequest, check_costmap
from ilrs_auto.planning.smoothing import polyline_cells


class Motion(IntEnum):
    START = 0
    STRAIGHT = 1
    LEFT = 2
    RIGHT = 3
    TURN_LEFT = 4
    TURN_RIGHT = 5


@dataclass(frozen=True)
class HybridPlan:
    poses: npt.NDArray[np.float64]  # (N, 3): x, y (cells), heading (rad)
    motions: list[Motion]
    cost: float
    expansions: int
    elapsed_s: float


class HybridAStar:
    """Planner of kinematically feasible paths; usable through the planner interface, where it
    starts from the start cell's centre with ``start_heading_rad`` and accepts any final
    heading."""

    name = "hybrid_astar"

    def __init__(
        self,
        min_turn_radius_cells: float = 4.0,
        step_cells: float = 1.5,
        headings: int = 72,
        allow_turn_in_place: bool = False,
        turn_in_place_cost: float = 1.0,
        goal_tolerance_cells: float = 1.0,
        goal_heading_tolerance_rad: float = math.pi,
        unknown_cost: float = float("inf"),
        start_heading_rad: float = 0.0,
        grid_heuristic_scale: float = 1.0,
    ) -> None:
        self.options = _core.HybridAStarOptions()
        self.options.min_turn_radius_cells = min_turn_radius_cells
        self.options.step_cells = step_cells
        self.options.headings = headings
        self.options.allow_turn_in_place = allow_turn_in_place
        self.options.turn_in_place_cost = turn_in_place_cost
        self.options.goal_tolerance_cells = goal_tolerance_cells
        self.options.goal_heading_tolerance_rad = goal_heading_tolerance_rad
        self.options.unknown_cost = unknown_cost
        self.options.grid_heuristic_scale = grid_heuristic_scale
        self.start_heading_rad = start_heading_rad

    def plan_poses(
        self,
        costmap: npt.NDArray[np.float32],
        start: tuple[float, float, float],
        goal: tuple[float, float, float],
        timeout_s: float = 0.0,
        cancel: CancelToken | None = None,
    ) -> HybridPlan:
        """A feasible path between two poses (x, y in cells, heading in rad)."""
        poses, motions, cost, expansions, elapsed_s = _core.plan_hybrid_astar(
            check_costmap(costmap), start, goal, self.options, timeout_s, cancel
        )
        return HybridPlan(
            poses, [Motion(int(m)) for m in motions], float(cost), int(expansions), float(elapsed_s)
        )

    def plan(self, request: PlanRequest) -> Plan:
        start, goal = Cell(*request.start), Cell(*request.goal)
        result = self.plan_poses(
            request.costmap,
            (start.col + 0.5, start.row + 0.5, self.start_heading_rad),
            (goal.col + 0.5, goal.row + 0.5, 0.0),
            request.timeout_s,
            request.cancel,
        )
        corners = np.floor(result.poses[:, 1::-1]).astype(np.int32)  # (row, col) of each pose
        keep = np.ones(len(corners), bool)
        keep[1:] = (np.diff(corners, axis=0) != 0).any(axis=1)
        return Plan(
            polyline_cells(corners[keep]),
            result.cost,
            result.expansions,
            result.elapsed_s,
            self.name,
            waypoints=corners[keep],
        )
