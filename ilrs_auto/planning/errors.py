"""The planning failure taxonomy (declared once, in the C++ core).

Every failure derives from :class:`PlanningError` and carries ``.cell`` = (row, col) of the
cell it concerns; its message has the offending values.
"""

from ilrs_auto._core import (
    GoalOccupied,
    GoalOutsideMap,
    NoPathFound,
    PlanCancelled,
    PlannerTimedOut,
    PlanningError,
    StartOccupied,
    StartOutsideMap,
)

__all__ = [
    "GoalOccupied",
    "GoalOutsideMap",
    "NoPathFound",
    "PlanCancelled",
    "PlannerTimedOut",
    "PlanningError",
    "StartOccupied",
    "StartOutsideMap",
]
