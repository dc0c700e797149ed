"""One table from every planning failure to the mission event it raises.

Behaviours never catch failures one by one: they look the failure up here and fire the event,
and their transition tables say where each event leads.
"""

from __future__ import annotations

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

PLANNING_FAILURE_EVENTS: dict[type[PlanningError], str] = {
    StartOutsideMap: "start_outside_map",
    GoalOutsideMap: "goal_outside_map",
    StartOccupied: "hazard_at_start",
    GoalOccupied: "goal_on_hazard",
    NoPathFound: "no_path",
    PlannerTimedOut: "plan_timed_out",
    PlanCancelled: "plan_cancelled",
}


def event_for(error: PlanningError) -> str:
    """The mission event of a planning failure (its most specific registered class)."""
    for cls in type(error).__mro__:
        event = PLANNING_FAILURE_EVENTS.get(cls)
        if event is not None:
            return event
    raise KeyError(f"no mission event for planning failure {type(error).__name__}")
