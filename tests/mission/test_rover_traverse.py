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
    behaviour, _, _, clock = make()
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


# ---- stop and wait, drive resets, power: the fault responses --------------------------------
@dataclass
class FakeStatus:
    last_frame_s: float = 0.0
    drive_ready: bool = True
    drive_resets: int = 0
    power_critical: str | None = None


def make_with_status(
    planner: ScriptedPlanner | None = None, **goal: float
) -> tuple[RoverTraverse, FakeDrive, FakeCostmap, SimClock, FakeStatus]:
    clock = SimClock()
    drive, costmap, status = FakeDrive(), FakeCostmap(), FakeStatus()
    jobs = PlanJobRunner(planner or ScriptedPlanner(), 1.0, deterministic=True)
    behaviour = RoverTraverse(
        TraverseGoal(GOAL_XY, **goal), GEOMETRY, costmap, drive, jobs, clock, status
    )
    return behaviour, drive, costmap, clock, status


def step_fresh(behaviour: RoverTraverse, clock: SimClock, status: FakeStatus) -> str:
    """A tick with a frame just fused."""
    status.last_frame_s = clock.now_s + 0.5
    return step(behaviour, clock)


def log(behaviour: RoverTraverse) -> list[tuple[float, str, str]]:
    return [(t.time_s, t.event, t.dest) for t in behaviour.transitions]


def driving(
    planner: ScriptedPlanner | None = None, **goal: float
) -> tuple[RoverTraverse, FakeDrive, FakeCostmap, SimClock, FakeStatus]:
    behaviour, drive, costmap, clock, status = make_with_status(planner, **goal)
    behaviour.start()
    step_fresh(behaviour, clock, status)
    assert step_fresh(behaviour, clock, status) == TraverseState.DRIVING
    return behaviour, drive, costmap, clock, status


def test_no_frames_stops_and_waits_then_replans_when_frames_come_back() -> None:
    planner = ScriptedPlanner()
    behaviour, drive, _, clock, status = driving(planner, frame_gap_s=2.0)
    drive.teleport(6.5, 10.5)
    # frames stop after the one at t = 1.0 s
    states = [step(behaviour, clock) for _ in range(6)]  # t = 1.5 .. 4.0
    assert states == ["traverse_driving"] * 4 + ["traverse_waiting"] * 2
    assert drive.commands[-1] == "stop" and not drive.moving
    assert behaviour.transitions[-1].detail["frame_age_s"] == 2.5
    status.last_frame_s = 4.5  # a frame arrives
    assert step(behaviour, clock) == TraverseState.REPLANNING
    step(behaviour, clock)
    assert step_fresh(behaviour, clock, status) == TraverseState.DRIVING
    assert planner.requests[-1].start == Cell(10, 6)
    assert log(behaviour) == [
        (0.0, "start", "traverse_planning"),
        (1.0, "path_ready", "traverse_driving"),
        (3.5, "frames_lost", "traverse_waiting"),
        (4.5, "wait_over", "traverse_replanning"),
        (5.5, "path_ready", "traverse_driving"),
    ]
    assert behaviour.transitions[3].detail["waited_s"] == 1.0


def test_frames_gone_for_longer_than_the_timeout_is_a_sensor_dropout_fault() -> None:
    behaviour, drive, _, clock, _ = driving(frame_gap_s=2.0, dropout_timeout_s=10.0)
    while behaviour.state != TraverseState.FAULT:
        step(behaviour, clock)
        assert clock.now_s <= 11.0
    assert step(behaviour, clock) == TraverseState.SAFE
    assert log(behaviour)[2:] == [
        (3.5, "frames_lost", "traverse_waiting"),
        (11.0, "sensor_dropout", "fault"),
        (11.5, "safed", "safe"),
    ]
    assert behaviour.fault is not None and behaviour.fault.detail["frame_age_s"] == 10.0
    assert not drive.moving


def test_unknown_ground_ahead_stops_and_waits_then_replans_once_seen() -> None:
    behaviour, drive, costmap, clock, status = driving(
        unknown_lookahead_m=3.0, unknown_max_fraction=0.3
    )
    costmap.cost[10, 4:6] = np.nan  # 2 of the 3 cells within 3 m ahead of x = 2.5
    assert step_fresh(behaviour, clock, status) == TraverseState.WAITING
    assert behaviour.transitions[-1].detail["fraction"] == pytest.approx(0.667, abs=1e-3)
    assert drive.commands[-1] == "stop"
    assert step_fresh(behaviour, clock, status) == TraverseState.WAITING
    costmap.cost[10, 4] = 1.0  # a frame shows one of them: 1 of 3 unknown, above 0.3
    assert step_fresh(behaviour, clock, status) == TraverseState.WAITING
    costmap.cost[10, 5] = 1.0
    assert step_fresh(behaviour, clock, status) == TraverseState.REPLANNING
    assert log(behaviour)[2:] == [
        (1.5, "unknown_ahead", "traverse_waiting"),
        (3.0, "wait_over", "traverse_replanning"),
    ]


def test_unknown_ground_that_stays_unknown_is_a_view_unknown_fault() -> None:
    behaviour, _, costmap, clock, status = driving(unknown_timeout_s=5.0)
    costmap.cost[10, 3:8] = np.nan
    while behaviour.state not in (TraverseState.FAULT, TraverseState.SAFE):
        step_fresh(behaviour, clock, status)
        assert clock.now_s <= 7.0
    assert log(behaviour)[2:] == [
        (1.5, "unknown_ahead", "traverse_waiting"),
        (6.5, "view_unknown", "fault"),
    ]


def test_a_drive_reset_stops_the_rover_and_it_replans_after_the_reboot() -> None:
    planner = ScriptedPlanner()
    behaviour, drive, _, clock, status = driving(planner)
    drive.teleport(8.5, 10.5)
    drive.stop()  # the microcontroller reset: wheels stop, the path is lost
    status.drive_resets, status.drive_ready = 1, False
    assert step_fresh(behaviour, clock, status) == TraverseState.WAITING
    for _ in range(4):
        assert step_fresh(behaviour, clock, status) == TraverseState.WAITING
    status.drive_ready = True  # rebooted at t = 4.0
    assert step_fresh(behaviour, clock, status) == TraverseState.REPLANNING
    step_fresh(behaviour, clock, status)
    assert step_fresh(behaviour, clock, status) == TraverseState.DRIVING
    assert drive.moving and planner.requests[-1].start == Cell(10, 8)
    assert log(behaviour)[2:] == [
        (1.5, "drive_reset", "traverse_waiting"),
        (4.0, "wait_over", "traverse_replanning"),
        (5.0, "path_ready", "traverse_driving"),
    ]
    assert behaviour.transitions[2].detail["resets"] == 1


def test_a_drive_that_does_not_come_back_is_a_fault() -> None:
    behaviour, _, _, clock, status = driving(reboot_timeout_s=4.0)
    status.drive_resets, status.drive_ready = 1, False
    states = [step_fresh(behaviour, clock, status) for _ in range(10)]
    assert states[-2:] == ["fault", "safe"]
    assert log(behaviour)[2:] == [
        (1.5, "drive_reset", "traverse_waiting"),
        (5.5, "drive_unresponsive", "fault"),
        (6.0, "safed", "safe"),
    ]


def test_a_reset_over_before_the_path_is_sent_is_not_waited_for() -> None:
    behaviour, drive, _, clock, status = make_with_status()
    behaviour.start()
    status.drive_resets = 1  # reset and rebooted while planning
    step_fresh(behaviour, clock, status)
    assert step_fresh(behaviour, clock, status) == TraverseState.DRIVING
    assert step_fresh(behaviour, clock, status) == TraverseState.DRIVING
    assert drive.moving


@pytest.mark.parametrize("where", ["planning", "driving", "waiting"])
@pytest.mark.parametrize("reason", ["brownout", "battery_reserve"])
def test_power_critical_ends_the_traverse_in_safe(where: str, reason: str) -> None:
    behaviour, drive, _, clock, status = make_with_status(frame_gap_s=1.0)
    behaviour.start()
    if where != "planning":
        step_fresh(behaviour, clock, status)
        step_fresh(behaviour, clock, status)
    if where == "waiting":
        states = [step(behaviour, clock) for _ in range(3)]  # no frames after t = 1.0 s
        assert states[-1] == TraverseState.WAITING
    at = clock.now_s + 0.5
    status.power_critical = reason
    assert step(behaviour, clock) == TraverseState.FAULT
    assert not drive.moving
    assert step(behaviour, clock) == TraverseState.SAFE
    fault = behaviour.fault
    assert fault is not None and fault.event == "power_critical" and fault.time_s == at
    assert fault.source == "traverse" and fault.detail == {"reason": reason}
    assert behaviour.transitions[-3].dest == f"traverse_{where}"  # where it struck


def test_a_lethal_start_cell_plans_from_the_nearest_drivable_cell_within_reach() -> None:
    planner = ScriptedPlanner()
    behaviour, drive, costmap, clock = make(planner, start_escape_m=1.0)
    drive.x, drive.y = 10.5, 10.5
    costmap.cost[10, 10] = np.inf  # the rover's own cell, made lethal by a rock beside it
    costmap.cost[9, 10] = costmap.cost[11, 10] = costmap.cost[10, 9] = np.inf
    behaviour.start()
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.DRIVING
    assert planner.requests[-1].start == Cell(10, 11)
    ready = behaviour.transitions[-1]
    assert ready.event == "path_ready" and ready.detail["start_moved_from"] == Cell(10, 10)
    assert drive.path is not None and tuple(drive.path[0]) == (11.5, 10.5)


def test_a_lethal_start_with_nothing_drivable_within_reach_is_hazard_at_start() -> None:
    class RealAStar(ScriptedPlanner):
        pass

    behaviour, _, costmap, clock = make(RealAStar(), start_escape_m=1.0)
    costmap.cost[9:12, 1:5] = np.inf  # around the rover at (2.5, 10.5) -> cell (10, 2)
    behaviour.start()
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.FAULT
    assert behaviour.fault is not None and behaviour.fault.event == "hazard_at_start"


def test_every_new_fault_event_leads_to_fault() -> None:
    for event in ("sensor_dropout", "view_unknown", "drive_unresponsive", "power_critical"):
        assert event in FAULT_EVENTS
        assert any(t["trigger"] == event and t["dest"] == "fault" for t in TRANSITIONS)


def slip_along(drive: FakeDrive, forward_m: float, slip: float) -> None:
    """Moves the fake rover ``forward_m`` east while its wheels turn ``forward_m / (1 - slip)``."""
    drive.x += forward_m
    drive.odometer_m += forward_m / (1.0 - slip)


def test_excessive_slip_over_the_window_is_a_fault_with_the_measured_slip() -> None:
    behaviour, drive, _, clock = make(max_slip=0.3, slip_window_m=2.0)
    behaviour.start()
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.DRIVING  # t = 1.0 s
    # 0.5 m a tick at 50 % slip: the wheels turn 1 m a tick. The first driving tick (t = 1.5 s,
    # wheels at 1 m) opens the window; it holds 2 m of wheel travel at t = 2.5 s.
    for _ in range(2):
        slip_along(drive, 0.5, 0.5)
        assert step(behaviour, clock) == TraverseState.DRIVING
    slip_along(drive, 0.5, 0.5)
    assert step(behaviour, clock) == TraverseState.FAULT
    fault = behaviour.fault
    assert fault is not None and fault.event == "excessive_slip"
    assert fault.time_s == 2.5 and fault.source == "traverse_driving"
    assert fault.detail["slip"] == 0.5
    assert fault.detail["wheel_m"] == 2.0 and fault.detail["covered_m"] == 1.0
    assert fault.detail["position_xy_m"] == (4.0, 10.5)
    assert drive.commands[-1] == "stop"
    assert step(behaviour, clock) == TraverseState.SAFE
    assert [(t.time_s, t.event) for t in behaviour.transitions] == [
        (0.0, "start"),
        (1.0, "path_ready"),
        (2.5, "excessive_slip"),
        (3.0, "safed"),
    ]


def test_slip_at_the_limit_or_over_less_than_the_window_is_no_fault() -> None:
    behaviour, drive, _, clock = make(max_slip=0.5, slip_window_m=3.0)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    for _ in range(20):  # exactly the limit: not above it
        slip_along(drive, 0.25, 0.5)
        assert step(behaviour, clock) == TraverseState.DRIVING
    behaviour, drive, _, clock = make(max_slip=0.3, slip_window_m=3.0)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    for _ in range(4):  # 0.9 slip, but the wheels have turned 2.8 m (< 3 m) since driving began
        drive.odometer_m += 0.7
        drive.x += 0.07
        assert step(behaviour, clock) == TraverseState.DRIVING


def test_the_slip_window_slides_past_an_old_bout_of_slip() -> None:
    behaviour, drive, _, clock = make(max_slip=0.3, slip_window_m=2.0)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    slip_along(drive, 0.2, 0.0)
    step(behaviour, clock)
    slip_along(drive, 0.5, 0.5)  # 1 m of wheel travel at 50 % slip: within the limit once mixed
    assert step(behaviour, clock) == TraverseState.DRIVING
    for _ in range(10):  # then firm ground: the window slides off the slip
        slip_along(drive, 0.5, 0.05)
        assert step(behaviour, clock) == TraverseState.DRIVING
    samples = behaviour._slip_samples
    assert drive.odometer_m - samples[0][0] >= 2.0 > drive.odometer_m - samples[1][0]


def test_turning_on_the_spot_and_stops_between_segments_are_not_slip() -> None:
    planner = ScriptedPlanner()
    behaviour, drive, costmap, clock = make(planner, max_slip=0.1, slip_window_m=1.0)
    behaviour.start()
    step(behaviour, clock)
    step(behaviour, clock)
    for _ in range(4):
        assert step(behaviour, clock) == TraverseState.DRIVING  # turning: neither moves
    drive.teleport(6.5, 10.5)
    costmap.cost[10, 20] = np.inf
    assert step(behaviour, clock) == TraverseState.REPLANNING
    step(behaviour, clock)
    assert step(behaviour, clock) == TraverseState.DRIVING
    drive.teleport(8.5, 11.5)
    assert step(behaviour, clock) == TraverseState.DRIVING
    assert behaviour.fault is None


def test_excessive_slip_is_a_fault_event() -> None:
    assert "excessive_slip" in FAULT_EVENTS
    assert {"trigger": "excessive_slip", "source": "traverse_driving", "dest": "fault"} in (
        TRANSITIONS
    )
