"""The lava-tube exploration behaviour: its table, every FAULT path by fault injection in the
simulated tube, planning failures through the events table, the link prediction, margins,
suspension and checkpoints."""

from __future__ import annotations

import dataclasses as dc
import json

import numpy as np
import pytest

from ilrs_auto.mission.behaviour import Priority
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.events import PLANNING_FAILURE_EVENTS
from ilrs_auto.mission.tube_exploration import (
    FAULT_EVENTS,
    TRANSITIONS,
    TubeExploration,
    TubePlanJobRunner,
    VoxelLineOfSight,
    flood_fill,
    linked,
)
from ilrs_auto.perception.voxels import VoxelGrid, VoxelMap
from ilrs_auto.planning.errors import NoPathFound, PlannerTimedOut
from ilrs_auto.planning.tube import TubePlan
from ilrs_auto.planning.tube import TubePlanner as CoreTubePlanner
from ilrs_auto.sim.tube_mission import (
    Fault,
    SimTubeRobot,
    TubeScenario,
    build_tube_world,
    exploration_config,
    run_tube_mission,
)

BASE = TubeScenario()


def events(record: object) -> list[tuple[str, str, str]]:
    return [(t.event, t.source, t.dest) for t in record.transitions]  # type: ignore[attr-defined]


def test_table_covers_every_fault_event_and_planning_failure() -> None:
    triggers = {t["trigger"] for t in TRANSITIONS}
    assert FAULT_EVENTS - {"exception"} <= triggers
    assert set(PLANNING_FAILURE_EVENTS.values()) <= FAULT_EVENTS
    for t in TRANSITIONS:
        if t["trigger"] in FAULT_EVENTS:
            assert t["dest"] == "fault"
    assert "no_frontier" not in FAULT_EVENTS  # exploration complete is a success
    assert TubeExploration.name == "tube_exploration"
    assert TubeExploration.priority is Priority.SCIENCE


def test_happy_path_transition_log_in_mission_time() -> None:
    record = run_tube_mission(BASE)
    assert record.final_state == "done"
    assert [e for e, _, _ in events(record)] == [
        "start",
        "at_skylight",
        "touched_down",
        "frontier_chosen",
        "path_ready",
        "viewpoint_reached",
        "frontier_chosen",
        "path_ready",
        "relay_dropped",
        "viewpoint_reached",
        "no_frontier",
        "path_ready",
        "leg_done",
        "path_ready",
        "reached_skylight",
        "surfaced",
    ]
    times = [t.time_s for t in record.transitions]
    # Approach 10 m at 0.3 m/s (ticks of 1 s), descent 22 m at 0.2 m/s, a 10 s scan, a 2 s plan.
    assert times[:5] == [0.0, 34.0 - 1.0, 143.0, 153.0, 155.0]
    assert times == sorted(times)
    # The same run replays identically.
    again = run_tube_mission(BASE)
    assert [t.to_json() for t in again.transitions] == [t.to_json() for t in record.transitions]


@pytest.mark.parametrize(
    ("fault", "event", "state_at_fault"),
    [
        (Fault(150.0, "sensor_dropout"), "sensor_dropout", "exploring_scanning"),
        (Fault(180.0, "wheel_stuck"), "drive_stalled", "exploring_moving"),
        (Fault(20.0, "wheel_stuck"), "drive_stalled", "approaching"),
        (Fault(80.0, "wheel_stuck"), "drive_stalled", "descending"),
        (Fault(180.0, "link_loss", 60.0), "link_lost", "exploring_scanning"),
        (Fault(180.0, "energy_drain", 196.0), "energy_critical", "exploring_moving"),
    ],
)
def test_each_injected_fault_leads_to_its_event_then_safe(
    fault: Fault, event: str, state_at_fault: str
) -> None:
    record = run_tube_mission(BASE, [fault])
    assert record.fault is not None
    assert record.fault.event == event
    assert record.fault.time_s >= fault.time_s
    assert record.states[int(record.fault.time_s) - 1] == state_at_fault  # ticks of 1 s
    assert events(record)[-1] == ("safed", "fault", "safe")
    assert record.final_state == "safe"


def test_link_lost_fires_only_beyond_the_allowed_gap() -> None:
    limit = BASE.radio.link_gap_limit_s
    short = run_tube_mission(BASE, [Fault(180.0, "link_loss", limit - 5.0)])
    assert short.final_state == "done"
    assert limit - 6.0 <= short.max_link_gap_s <= limit
    long = run_tube_mission(BASE, [Fault(180.0, "link_loss", limit + 20.0)])
    assert long.fault is not None and long.fault.event == "link_lost"
    assert long.fault.detail["gap_s"] > limit
    # Last heard at 179 s: the first tick more than the limit later.
    assert long.fault.time_s == pytest.approx(180.0 + limit)


def test_tether_too_short_is_tether_limit() -> None:
    scenario = dc.replace(BASE, descent=dc.replace(BASE.descent, tether_length_m=15.0))
    record = run_tube_mission(scenario)
    assert record.fault is not None and record.fault.event == "tether_limit"
    assert record.position_m[-1][2] == pytest.approx(-15.0)  # hanging at the tether's end
    ramp = dc.replace(scenario, descent=dc.replace(scenario.descent, mode="ramp"))
    assert run_tube_mission(ramp).final_state == "done"  # a ramp has no tether


def test_no_relay_left_when_one_is_needed_is_relay_exhausted() -> None:
    scenario = dc.replace(BASE, radio=dc.replace(BASE.radio, relays=0))
    record = run_tube_mission(scenario)
    assert record.fault is not None and record.fault.event == "relay_exhausted"
    assert record.states[int(record.fault.time_s) - 1] == "exploring_moving"
    # It faulted before it lost the link: the robot never went out of reach.
    assert record.link_up.all()


def test_mission_timeout_outside_exploration() -> None:
    scenario = dc.replace(BASE, mission=dc.replace(BASE.mission, time_limit_s=100.0))
    record = run_tube_mission(scenario)
    assert record.fault is not None
    assert (record.fault.event, record.fault.time_s) == ("mission_timeout", 100.0)


def test_time_margin_turns_the_robot_back() -> None:
    scenario = dc.replace(BASE, mission=dc.replace(BASE.mission, time_limit_s=700.0))
    record = run_tube_mission(scenario)
    assert record.final_state == "done"
    assert "time_up" in [e for e, _, _ in events(record)]
    assert record.mission_time_s <= 700.0


def test_energy_margin_turns_the_robot_back_and_it_still_gets_out() -> None:
    record = run_tube_mission(BASE, [Fault(180.0, "energy_drain", 185.0)])
    names = [e for e, _, _ in events(record)]
    assert "energy_low" in names and "no_frontier" not in names
    low = next(t for t in record.transitions if t.event == "energy_low")
    assert low.detail["battery_wh"] - low.detail["return_wh"] <= BASE.power.reserve_wh
    assert record.final_state == "done"
    assert record.final_battery_wh > 0.0


class _FailingPlanner:
    name = "failing"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def plan(self, *args: object, **kwargs: object) -> TubePlan:
        raise self.error


@pytest.mark.parametrize(
    ("error", "event"),
    [
        (NoPathFound("no path"), "no_path"),
        (PlannerTimedOut("too slow"), "plan_timed_out"),
        (RuntimeError("bug"), "planner_error"),
    ],
)
def test_planning_failures_through_the_events_table(error: Exception, event: str) -> None:
    record = run_tube_mission(BASE, planner=_FailingPlanner(error))
    assert record.fault is not None
    assert (record.fault.event, record.fault.source) == (event, "exploring")
    assert record.states[int(record.fault.time_s) - 1] == "exploring_planning"
    assert record.final_state == "safe"


def _behaviour() -> tuple[TubeExploration, SimTubeRobot, SimClock, TubePlanJobRunner]:
    world = build_tube_world(BASE)
    clock = SimClock()
    robot = SimTubeRobot(BASE, world, clock)
    voxel_map = VoxelMap(world.grid)
    planner = CoreTubePlanner(BASE.robot.body_radius_m)
    jobs = TubePlanJobRunner(planner, BASE.mission.plan_latency_s, deterministic=True)
    behaviour = TubeExploration(exploration_config(BASE, world), robot, voxel_map, jobs, clock)
    return behaviour, robot, clock, jobs


def _run_until(
    behaviour: TubeExploration, robot: SimTubeRobot, clock: SimClock, state: str
) -> None:
    for _ in range(2000):
        if behaviour.state == state:
            return
        clock.advance(1.0)
        robot.step(1.0)
        behaviour.tick()
    raise AssertionError(f"never reached {state}; in {behaviour.state}")


def test_suspend_stops_the_robot_and_resume_replans_from_where_it_stands() -> None:
    behaviour, robot, clock, jobs = _behaviour()
    try:
        behaviour.start()
        _run_until(behaviour, robot, clock, "exploring_moving")
        clock.advance(1.0)
        robot.step(1.0)
        behaviour.suspend()
        assert not robot.moving
        where = robot.position_m
        behaviour.resume_work()
        assert behaviour.transitions[-1].event == "replan"
        assert behaviour.state == "exploring_planning"
        _run_until(behaviour, robot, clock, "exploring_scanning")
        assert robot.position_m != where
    finally:
        behaviour.close()
        jobs.close()


def test_checkpoint_round_trips_through_json_with_the_map() -> None:
    behaviour, robot, clock, jobs = _behaviour()
    other, _, _, other_jobs = _behaviour()
    try:
        behaviour.start()
        _run_until(behaviour, robot, clock, "exploring_planning")
        saved = json.loads(json.dumps(behaviour.checkpoint()))
        other.restore(saved)
        assert other.state == "exploring_planning" and other.suspended
        assert np.array_equal(np.isnan(other.map.log_odds), np.isnan(behaviour.map.log_odds))
        assert np.allclose(np.nan_to_num(other.map.log_odds), np.nan_to_num(behaviour.map.log_odds))
        assert other.scan_positions == behaviour.scan_positions
        assert [t.to_json() for t in other.transitions] == saved["transitions"]
        assert other.checkpoint()["data"] == saved["data"]
    finally:
        for b, j in ((behaviour, jobs), (other, other_jobs)):
            b.close()
            j.close()


def test_voxel_line_of_sight_needs_known_free_space() -> None:
    grid = VoxelGrid((0.0, 0.0, 0.0), 1.0, (4, 4, 10))
    voxel_map = VoxelMap(grid)
    log_odds = np.full(grid.shape, -1.0, np.float32)  # all free
    voxel_map.set_log_odds(log_odds)
    los = VoxelLineOfSight(voxel_map)
    a, b = (0.5, 1.5, 1.5), (9.5, 1.5, 1.5)
    assert los.clear(a, b)
    assert linked(b, [a], 9.5, los) and not linked(b, [a], 8.0, los)  # range limit
    log_odds[1, 1, 5] = 2.0  # a wall voxel across the line
    voxel_map.set_log_odds(log_odds)
    assert not los.clear(a, b)
    log_odds[1, 1, 5] = np.nan  # unknown blocks too: the prediction is cautious
    voxel_map.set_log_odds(log_odds)
    assert not los.clear(a, b)
    assert los.clear(a, (4.0, 1.5, 1.5))  # stops short of it


def test_flood_fill_is_face_connected() -> None:
    mask = np.zeros((1, 3, 3), bool)
    mask[0, 0, 0] = mask[0, 1, 1] = mask[0, 0, 1] = mask[0, 2, 2] = True
    region = flood_fill(mask, (0, 0, 0))
    assert region.sum() == 3 and not region[0, 2, 2]  # (1,1)-(2,2) touch at a corner only
    assert not flood_fill(mask, (0, 2, 0)).any()
