"""Any-angle paths: shortcut a grid path by line of sight (C++ core).

A straight segment is charged the integral of the cell costs along it (length inside each
cell x its cost); one that touches a lethal or unknown cell, or passes exactly through the
corner of one, is blocked. :func:`smooth_path` replaces stretches of a grid path by straight
segments that cost no more than what they replace, so the result never costs more, is never
longer, and stays on cells of finite cost.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Cell
from ilrs_auto.planning.base import Plan, Planner, PlanRequest, check_costmap

CellArray = npt.NDArray[np.int32]


def _cells(cells: npt.ArrayLike, name: str) -> CellArray:
    array = np.ascontiguousarray(cells, dtype=np.int32)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{name} must have shape (N, 2) of (row, col), got {array.shape}")
    return array


def segment_cost(
    costmap: npt.NDArray[np.float32], a: Cell, b: Cell, unknown_cost: float = float("inf")
) -> float:
    """The integral cost of the segment between two cell centres (inf if blocked)."""
    return float(
        _core.segment_cost(check_costmap(costmap), (a[0], a[1]), (b[0], b[1]), unknown_cost)
    )


def smooth_path(
    costmap: npt.NDArray[np.float32], cells: npt.ArrayLike, unknown_cost: float = float("inf")
) -> CellArray:
    """Waypoints (a subset of ``cells``, the first and last kept) of the shortcut path."""
    return _core.smooth_path(check_costmap(costmap), _cells(cells, "cells"), unknown_cost)


def polyline_cells(waypoints: npt.ArrayLike) -> CellArray:
    """Every cell the polyline through the waypoints' centres passes, in order."""
    return _core.polyline_cells(_cells(waypoints, "waypoints"))


class Smoothed:
    """A planner whose plans are shortcut by line of sight on the same costmap: ``cells``
    stays the grid path, ``waypoints`` holds the any-angle corners."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.name = f"{planner.name}+smoothed"

    def plan(self, request: PlanRequest) -> Plan:
        plan = self.planner.plan(request)
        waypoints = smooth_path(request.costmap, plan.cells)
        return dataclasses.replace(plan, waypoints=waypoints)
