"""Path planning: a small planner interface, planners chosen by name, one failure taxonomy."""

from ilrs_auto.planning.base import (
    CancelToken,
    Plan,
    Planner,
    PlanRequest,
    make_planner,
    planner_names,
    register_planner,
)
from ilrs_auto.planning.d_star_lite import DStarLite
from ilrs_auto.planning.errors import (
    GoalOccupied,
    GoalOutsideMap,
    NoPathFound,
    PlanCancelled,
    PlannerTimedOut,
    PlanningError,
    StartOccupied,
    StartOutsideMap,
)
from ilrs_auto.planning.grid_astar import GridAStar, GridBidirectional
from ilrs_auto.planning.hybrid_astar import HybridAStar

register_planner(GridAStar.name, GridAStar)
register_planner(GridBidirectional.name, GridBidirectional)
register_planner(DStarLite.name, DStarLite)
register_planner(HybridAStar.name, HybridAStar)

__all__ = [
    "CancelToken",
    "DStarLite",
    "GoalOccupied",
    "GoalOutsideMap",
    "GridAStar",
    "GridBidirectional",
    "HybridAStar",
    "NoPathFound",
    "Plan",
    "PlanCancelled",
    "PlanRequest",
    "Planner",
    "PlannerTimedOut",
    "PlanningError",
    "StartOccupied",
    "StartOutsideMap",
    "make_planner",
    "planner_names",
    "register_planner",
]
