"""The traverse state machine: the happy path, replanning, and every way into FAULT and SAFE,
with fake drive and planner so each transition is forced and checked."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pytest

from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.events import PLANNING_FAILURE_EVENTS, event_for
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.rover_traverse import (
    FAULT_EVENTS,
    TRANSITIONS,
    RoverTraverse,
    TraverseGoal,
    TraverseState,
)
from ilrs_auto.planning import GridAStar, Plan, PlanningError, PlanRequest

GEOMETRY = GridGeometry(rows=20, cols=40, resolution_m=1.0)
GOAL_XY = (35.5, 10.5)


@dataclass
class FakeDrive:
    x: float = 2.5
    y: float = 10.5
    odometer_m: float = 0.0
    path: npt.NDArray[np.float64] | None = None
    commands: list[str] = field(default_factory=list)

    def position_xy(self) -> tuple[float, float]:
        return (self.x, self.y)

    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None:
        self.path = path_xy_m
        self.commands.append("follow")

    def stop(self) -> None:
        self.path = None
        self.commands.append("stop")

    @property
    def moving(self) -> bool:
        return self.path is not None

    def teleport(self, x: float, y: float) -> None:
        self.odometer_m += math.dist((self.x, self.y), (x, y))
        self.x, self.y = x, y


@dataclass
class FakeCostmap:
    cost: npt.NDArray[np.float32] = field(
        default_factory=lambda: np.ones(GEOMETRY.shape, np.float32)
    )


class ScriptedPlanner:
    """Fails with the given error, or plans with A* and counts its calls."""

    name = "scripted"

    def __init__(self, error: PlanningError | None = None) -> None:
        self.error = error
        self.requests: list[PlanRequest] = []

    def plan(self, request: PlanRequest) -> Plan:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return GridAStar().plan(request)


def make(
    planner: ScriptedPlanner | None = None, latency_s: float = 1.0, **goal: float
) -> tuple[RoverTraverse, FakeDrive, FakeCostmap, SimClock]:
    clock = SimClock()
    drive = FakeDrive()
    costmap = FakeCostmap()
    jobs = PlanJobRunner(planner or ScriptedPlanner(), latency_s, deterministic=True)
    behaviour = RoverTraverse(TraverseGoal(GOAL_XY, **goal), GEOMETRY, costmap, drive, jobs, clock)
    return behaviour, drive, costmap, clock


def step(behaviour: RoverTraverse, clock: SimClock, dt: float = 0.5) -> str:
    clock.advance(dt)
    behaviour.tick()
    return behaviour.state


def test_plans_drives_and_arrives() -> None:
    behaviour, drive, _, clock = make()
    assert behaviour.state == TraverseState.IDLE
    behaviour.start()
    assert behaviour.state == TraverseState.PLANNING
    assert step(behaviour, clock) == TraverseState.PLANNING  # the plan is due at t = 1.0 s
    assert step(behaviour, clock) == TraverseState.DRIVING
    assert drive.commands == ["follow"]
    assert drive.path is not None and tuple(drive.path[-1]) == GOAL_XY
    drive.teleport(*GOAL_XY)
    assert step(behaviour, clock) == TraverseState.ARRIVED
    assert drive.commands == ["follow", "stop", "stop"]  # leaving DRIVING, entering ARRIVED
    assert [t.event for t in behaviour.transitions] == ["start", "path_ready", "goal_reached"]
    assert [t.time_s for t in behaviour.transitions] == [0.0, 1.0, 1.5]
    assert behaviour.finished and behaviour.fault is None


def test_a_lethal_cell_ahead_causes_a_replan_from_where_the_rover_is() -> None:
    planner = ScriptedPlanner()
    behaviour, drive, costmap, clock = make(planner)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    drive.teleport(10.5, 10.5)
    costmap.cost[10, 20] = np.inf  # a rock on the straight path
    assert step(behaviour, clock) == TraverseState.REPLANNING
    replan = behaviour.transitions[-1]
    assert replan.event == "path_blocked" and replan.detail["cell"] == Cell(10, 20)
    assert drive.commands[-1] == "stop"
    assert step(behaviour, clock) == TraverseState.REPLANNING
    assert step(behaviour, clock) == TraverseState.DRIVING
    assert planner.requests[-1].start == Cell(10, 10)
    path = behaviour.plans[-1][1].cells
    assert not any((r, c) == (10, 20) for r, c in path)
    assert len(behaviour.replans) == 1


def test_a_lethal_cell_behind_the_rover_is_ignored() -> None:
    behaviour, drive, costmap, clock = make()
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    drive.teleport(20.5, 10.5)
    costmap.cost[10, 5] = np.inf
    assert step(behaviour, clock) == TraverseState.DRIVING


@pytest.mark.parametrize("error_type", list(PLANNING_FAILURE_EVENTS))
def test_every_planning_failure_leads_to_fault_then_safe(error_type: type[PlanningError]) -> None:
    error = error_type(f"scripted {error_type.__name__}")
    error.cell = (3, 4)
    behaviour, _, _, clock = make(ScriptedPlanner(error))
    behaviour.start()
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.FAULT
    fault = behaviour.fault
    assert fault is not None and fault.event == PLANNING_FAILURE_EVENTS[error_type]
    assert fault.detail["cell"] == (3, 4)
    assert error_type.__name__ in fault.detail["error"]
    assert step(behaviour, clock) == TraverseState.SAFE
    assert behaviour.finished


def test_a_stalled_drive_is_a_fault() -> None:
    behaviour, drive, _, clock = make(stall_timeout_s=5.0)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    for _ in range(9):
        assert step(behaviour, clock) == TraverseState.DRIVING
    assert step(behaviour, clock) == TraverseState.FAULT
    assert behaviour.fault is not None and behaviour.fault.event == "drive_stalled"
    assert drive.commands[-1] == "stop"


def test_progress_resets_the_stall_timer() -> None:
    behaviour, drive, _, clock = make(stall_timeout_s=5.0)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    for i in range(40):
        drive.teleport(2.5 + 0.1 * (i + 1), 10.5)
        assert step(behaviour, clock) == TraverseState.DRIVING


def test_running_out_of_mission_time_is_a_fault() -> None:
    behaviour, _, _, clock = make(time_limit_s=3.0)
    behaviour.start()
    states = [step(behaviour, clock) for _ in range(6)]
    assert states[-1] == TraverseState.FAULT
    assert step(behaviour, clock) == TraverseState.SAFE
    assert behaviour.fault is not None and behaviour.fault.event == "mission_timeout"
    assert behaviour.fault.time_s == 3.0


def test_an_exception_in_a_callback_leads_to_fault() -> None:
    behaviour, drive, _, clock = make()

    def broken_follow(path: npt.NDArray[np.float64]) -> None:
        raise RuntimeError("motor controller not responding")

    drive.follow = broken_follow  # type: ignore[method-assign]
    behaviour.start()
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.FAULT
    assert behaviour.fault is not None and behaviour.fault.event == "exception"
    assert "motor controller not responding" in behaviour.fault.detail["error"]
    assert step(behaviour, clock) == TraverseState.SAFE


def test_leaving_planning_cancels_the_job() -> None:
    planner = ScriptedPlanner()
    behaviour, _, _, _ = make(planner, latency_s=100.0)
    behaviour.start()
    job = behaviour._job
    assert job is not None
    behaviour.enter_safe_mode()
    assert behaviour.state == TraverseState.SAFE
    assert behaviour._job is None and job._token.cancelled


def test_resume_from_safe_plans_again() -> None:
    behaviour, _, _, clock = make()
    behaviour.start()
    behaviour.enter_safe_mode()
    behaviour.resume()
    assert behaviour.state == TraverseState.PLANNING
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.DRIVING


def test_an_event_the_state_does_not_accept_is_a_fault() -> None:
    behaviour, _, _, _ = make()
    behaviour.goal_reached()
    assert behaviour.state == TraverseState.FAULT
    assert behaviour.fault is not None
    assert (
        "Can't trigger event 'goal_reached' from state(s) idle" in behaviour.fault.detail["error"]
    )


def test_a_planner_bug_is_a_fault_not_an_escape() -> None:
    class Broken(ScriptedPlanner):
        def plan(self, request: PlanRequest) -> Plan:
            raise ValueError("costmap value -1 at (3, 4)")

    behaviour, _, _, clock = make(Broken())
    behaviour.start()
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.FAULT
    assert behaviour.fault is not None and behaviour.fault.event == "planner_error"
    assert "ValueError: costmap value -1" in behaviour.fault.detail["error"]


def test_an_exception_fault_cancels_the_plan_job() -> None:
    behaviour, _, _, _ = make(latency_s=100.0)
    behaviour.start()
    job = behaviour._job
    assert job is not None
    behaviour.goal_reached()  # not accepted while planning: an exception, hence FAULT
    assert behaviour.state == TraverseState.FAULT
    assert behaviour._job is None and job._token.cancelled


def test_every_core_failure_class_has_a_mission_event() -> None:
    core_failures = set(PlanningError.__subclasses__())
    assert core_failures == set(PLANNING_FAILURE_EVENTS)
    assert len(set(PLANNING_FAILURE_EVENTS.values())) == len(PLANNING_FAILURE_EVENTS)
    for cls, event in PLANNING_FAILURE_EVENTS.items():
        assert event_for(cls("x")) == event
        assert any(t["trigger"] == event and t["dest"] == "fault" for t in TRANSITIONS)
        assert event in FAULT_EVENTS
    with pytest.raises(KeyError):
        event_for(PlanningError("not a specific failure"))


def test_suspended_while_driving_it_stops_and_on_resume_replans_from_where_it_stands() -> None:
    planner = ScriptedPlanner()
    behaviour, drive, _, clock = make(planner)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    drive.teleport(10.5, 10.5)
    behaviour.suspend()
    assert drive.commands[-1] == "stop" and not drive.moving
    behaviour.suspend()  # a second suspension changes nothing
    assert drive.commands.count("stop") == 1
    behaviour.resume_work()
    assert behaviour.state == TraverseState.REPLANNING
    assert behaviour.transitions[-1].event == "replan"
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.DRIVING
    assert planner.requests[-1].start == Cell(10, 10)


def test_a_checkpoint_restores_state_log_and_start_time_and_resumes_planning() -> None:
    behaviour, drive, _, clock = make()
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    saved = behaviour.checkpoint()
    behaviour.close()

    restored, drive2, _, clock2 = make()
    clock2.advance(clock.now_s)
    restored.restore(saved)
    assert restored.state == TraverseState.DRIVING and restored.suspended
    assert [t.event for t in restored.transitions] == ["start", "path_ready"]
    assert restored.checkpoint() == saved
    restored.resume_work()
    assert restored.state == TraverseState.REPLANNING
    step(restored, clock2)
    assert step(restored, clock2) == TraverseState.DRIVING and drive2.moving
    with pytest.raises(ValueError, match="not 'rover_traverse'"):
        restored.restore({**saved, "behaviour": "lander"})
