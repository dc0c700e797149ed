"""The planner interface: a costmap, a start, a goal, a deadline and a cancel token in; a path,
its cost and statistics out (or a typed :mod:`~ilrs_auto.planning.errors` failure)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.geometry import Cell

CancelToken = _core.CancelToken

CostModel = Literal["geometric", "entered_cell", "midpoint"]
COST_MODELS: tuple[CostModel, ...] = ("geometric", "entered_cell", "midpoint")


def check_cost_model(cost_model: str) -> CostModel:
    """The cost model, or ValueError naming the ones there are."""
    for known in COST_MODELS:
        if cost_model == known:
            return known
    raise ValueError(
        f"cost_model must be 'geometric', 'entered_cell' or 'midpoint', got {cost_model!r}"
    )


class GridMoveRules:
    """How a grid planner charges moves: ``geometric``, the move's length (1 or sqrt 2) x the
    entered cell's cost; ``entered_cell``, the entered cell's cost, diagonal or not;
    ``midpoint``, the length x the mean of the two cells' costs. Diagonals never cut the
    corner of a blocked cell unless ``allow_corner_cutting``. Unknown (NaN) cells cost
    ``unknown_cost``; the default, inf, keeps the rover out of them."""

    def __init__(
        self,
        cost_model: CostModel = "geometric",
        unknown_cost: float = float("inf"),
        allow_corner_cutting: bool = False,
    ) -> None:
        self.cost_model: CostModel = check_cost_model(cost_model)
        self.unknown_cost = float(unknown_cost)
        self.allow_corner_cutting = bool(allow_corner_cutting)


def check_costmap(costmap: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A 2D float32 costmap, made C-contiguous (a copy only if it was not)."""
    if not isinstance(costmap, np.ndarray) or costmap.ndim != 2:
        raise ValueError(f"costmap must be a 2D array, got shape {np.shape(costmap)}")
    if costmap.dtype != np.float32:
        raise ValueError(f"costmap must be float32, got {costmap.dtype}")
    return np.ascontiguousarray(costmap)


@dataclass(frozen=True)
class PlanRequest:
    """``costmap``: float32 costs (>= 1e-6 traversable, inf lethal, NaN unknown).

    The planner reads it without copying, in another thread if submitted as a job: do not
    write to it until the plan is done (hand in a snapshot if the map keeps changing).
    """

    costmap: npt.NDArray[np.float32]
    start: Cell
    goal: Cell
    timeout_s: float = 0.0  # <= 0: no deadline
    cancel: _core.CancelToken | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Plan:
    cells: npt.NDArray[np.int32]  # (N, 2) rows of (row, col), start first
    cost: float  # in cells x cost; multiply by the resolution for metres x cost
    expansions: int
    elapsed_s: float
    planner: str
    # Any-angle waypoints (a subset of cells joined by straight segments), when smoothed.
    waypoints: npt.NDArray[np.int32] | None = None

    @property
    def corners(self) -> npt.NDArray[np.int32]:
        """The points to drive through: the waypoints if smoothed, else every cell."""
        return self.cells if self.waypoints is None else self.waypoints

    @property
    def length_cells(self) -> float:
        """Geometric length of the path driven, in cells."""
        steps = np.diff(self.corners.astype(np.float64), axis=0)
        return float(np.hypot(steps[:, 0], steps[:, 1]).sum())


class Planner(Protocol):
    name: str

    def plan(self, request: PlanRequest) -> Plan: ...


_REGISTRY: dict[str, Callable[[], Planner]] = {}


def register_planner(name: str, factory: Callable[[], Planner]) -> None:
    """Makes a planner available by name (in scenario and config files)."""
    if name in _REGISTRY:
        raise ValueError(f"a planner named {name!r} is already registered")
    _REGISTRY[name] = factory


def make_planner(name: str) -> Planner:
    try:
        return _REGISTRY[name]()
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ValueError(f"unknown planner {name!r} (known: {known})") from None


def planner_names() -> list[str]:
    return sorted(_REGISTRY)
