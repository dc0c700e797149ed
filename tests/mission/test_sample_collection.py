"""The sample-collection state machine: site choice, the happy path with its exact transition log
and chain of custody, stuck-drill recovery, every way into FAULT by fault injection on the
simulated instruments, FAULT to SAFE, suspension and checkpoints."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.events import PLANNING_FAILURE_EVENTS
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.sample_collection import (
    FAULT_EVENTS,
    GENESIS_HASH,
    TRANSITIONS,
    CustodyLog,
    CustodyRecord,
    SampleCollection,
    SampleState,
    SamplingTask,
    ToolPhase,
    choose_site,
)
from ilrs_auto.planning import GridAStar, Plan, PlanningError, PlanRequest
from ilrs_auto.sim.instruments import (
    FaultInjection,
    RegolithProfile,
    SimSampleCache,
    SimTool,
    default_tool_config,
)

GEOMETRY = GridGeometry(rows=20, cols=20, resolution_m=0.5)
ROVER_XY = (2.25, 2.25)
NEAR_SITE = Cell(5, 5)  # centre (2.75, 2.75): 0.71 m from the rover, within reach


@dataclass
class FakeDrive:
    x: float = ROVER_XY[0]
    y: float = ROVER_XY[1]
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
    name = "scripted"

    def __init__(self, error: PlanningError | None = None) -> None:
        self.error = error
        self.requests: list[PlanRequest] = []

    def plan(self, request: PlanRequest) -> Plan:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return GridAStar().plan(request)


@dataclass
class Rig:
    behaviour: SampleCollection
    drive: FakeDrive
    costmap: FakeCostmap
    tool: SimTool
    store: SimSampleCache
    clock: SimClock
    value: npt.NDArray[np.float64]

    def step(self, dt: float = 0.5) -> str:
        self.clock.advance(dt)
        self.behaviour.tick()
        return self.behaviour.state

    def run(self, limit_s: float = 5000.0) -> str:
        while not self.behaviour.finished and self.clock.now_s < limit_s:
            self.step()
        return self.behaviour.state

    def run_until(self, state: str, limit_s: float = 5000.0) -> None:
        while self.behaviour.state != state and self.clock.now_s < limit_s:
            self.step()
        assert self.behaviour.state == state

    def log(self) -> list[tuple[float, str, str]]:
        return [(t.time_s, t.event, t.dest) for t in self.behaviour.transitions]


# Uniform ground of 5 kPa and 1.6 g/cm3: the drill feeds at its 0.1 cm/s maximum.
UNIFORM = RegolithProfile.uniform(5.0, 1.6)


def make(
    tool: str = "drill",
    profile: RegolithProfile = UNIFORM,
    faults: tuple[FaultInjection, ...] = (),
    site: Cell = NEAR_SITE,
    planner: ScriptedPlanner | None = None,
    containers: int = 4,
    custody: CustodyLog | None = None,
    **task: Any,
) -> Rig:
    clock = SimClock()
    drive = FakeDrive()
    costmap = FakeCostmap()
    value = np.zeros(GEOMETRY.shape)
    value[site] = 1.0
    sim_tool = SimTool(default_tool_config(tool), profile, faults)
    store = SimSampleCache.with_containers(sim_tool, containers, capacity_g=250.0)
    jobs = PlanJobRunner(planner or ScriptedPlanner(), 1.0, deterministic=True)
    task = {"tool": tool, "depth_cm": 10.0 if tool == "drill" else 3.0, **task}
    behaviour = SampleCollection(
        SamplingTask(search_radius_m=20.0, **task),
        GEOMETRY,
        costmap,
        value,
        drive,
        jobs,
        sim_tool,
        store,
        clock,
        custody,
    )
    return Rig(behaviour, drive, costmap, sim_tool, store, clock, value)


# ---- site choice ---------------------------------------------------------------------------


def test_the_best_reachable_safe_cell_in_the_radius_is_chosen() -> None:
    cost = np.ones(GEOMETRY.shape, np.float32)
    value = np.zeros(GEOMETRY.shape)
    value[10, 10] = 5.0  # best, but lethal
    cost[10, 10] = np.inf
    value[12, 12] = 4.0  # second, but unknown ground
    cost[12, 12] = np.nan
    value[3, 18] = 3.5  # outside the 4 m radius around the rover
    value[15, 3] = 3.0  # walled off: unreachable
    cost[13, 0:6] = np.inf
    cost[13:20, 5] = np.inf
    value[2, 9] = 2.0
    site = choose_site(cost, value, GEOMETRY, ROVER_XY, ROVER_XY, 4.0)
    assert site is not None and site.cell == Cell(2, 9) and site.value == 2.0
    assert site.xy_m == (4.75, 1.25)
    opened = cost.copy()
    opened[13, 2] = 1.0  # a gap in the wall
    site = choose_site(opened, value, GEOMETRY, ROVER_XY, (2.0, 8.0), 4.0)
    assert site is not None and site.cell == Cell(15, 3)


def test_ties_go_to_the_cell_nearest_the_rover_then_the_lowest_row_and_column() -> None:
    cost = np.ones(GEOMETRY.shape, np.float32)
    value = np.zeros(GEOMETRY.shape)
    for cell in [(4, 12), (12, 4), (8, 8)]:
        value[cell] = 1.0
    site = choose_site(cost, value, GEOMETRY, ROVER_XY, (5.0, 5.0), 10.0)
    assert site is not None and site.cell == Cell(8, 8)  # nearest the rover
    value[8, 8] = 0.0
    site = choose_site(cost, value, GEOMETRY, ROVER_XY, (5.0, 5.0), 10.0)
    assert site is not None and site.cell == Cell(4, 12)  # equally near: the lower row


def test_no_site_when_nothing_qualifies() -> None:
    cost = np.ones(GEOMETRY.shape, np.float32)
    value = np.full(GEOMETRY.shape, 0.2)
    assert choose_site(cost, value, GEOMETRY, ROVER_XY, ROVER_XY, 3.0, min_value=0.5) is None
    cost[4, 4] = np.inf  # the rover's own cell is lethal: nothing is reachable
    assert choose_site(cost, value, GEOMETRY, ROVER_XY, ROVER_XY, 3.0) is None
    with pytest.raises(ValueError, match="must both be the map's"):
        choose_site(cost, value[:5], GEOMETRY, ROVER_XY, ROVER_XY, 3.0)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lethal=st.floats(0.0, 0.5),
    radius=st.floats(0.5, 12.0),
    cx=st.floats(0.0, 9.99),
    cy=st.floats(0.0, 9.99),
)
def test_the_choice_is_the_maximum_over_eligible_cells(
    seed: int, lethal: float, radius: float, cx: float, cy: float
) -> None:
    rng = np.random.default_rng(seed)
    cost = np.ones(GEOMETRY.shape, np.float32)
    cost[rng.random(GEOMETRY.shape) < lethal] = np.inf
    cost[rng.random(GEOMETRY.shape) < 0.05] = np.nan
    cost[4, 4] = 1.0
    value = np.round(rng.random(GEOMETRY.shape), 1)  # rounded: many ties
    site = choose_site(cost, value, GEOMETRY, ROVER_XY, (cx, cy), radius)
    # Brute force: flood fill 4-connected from the rover, then the definition.
    reach = np.zeros(GEOMETRY.shape, bool)
    stack = [(4, 4)]
    while stack:
        r, c = stack.pop()
        if not (0 <= r < 20 and 0 <= c < 20) or reach[r, c] or not np.isfinite(cost[r, c]):
            continue
        reach[r, c] = True
        stack += [(r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)]
    eligible = [
        (float(value[r, c]), r, c)
        for r in range(20)
        for c in range(20)
        if reach[r, c] and math.dist(((c + 0.5) * 0.5, (r + 0.5) * 0.5), (cx, cy)) <= radius
    ]
    if not eligible:
        assert site is None
        return
    assert site is not None
    best = max(v for v, _, _ in eligible)
    assert site.value == best and site.candidates == len(eligible)
    r, c = site.cell
    assert reach[r, c] and np.isfinite(cost[r, c]) and value[r, c] == best


# ---- the happy path ------------------------------------------------------------------------


def test_takes_seals_and_caches_a_drill_core_with_its_chain_of_custody() -> None:
    rig = make()
    rig.behaviour.start()
    assert rig.run() == SampleState.DONE
    assert rig.log() == [
        (0.0, "start", "selecting_site"),
        (0.5, "site_selected", "approaching_planning"),
        (1.0, "site_reached", "deploying"),  # already within reach: no drive
        (31.0, "tool_deployed", "acquiring"),  # 30 s to deploy
        (131.0, "depth_reached", "retracting"),  # 10 cm at 0.1 cm/s
        (181.0, "tool_retracted", "sealing"),  # 20 s up at 0.5 cm/s, 30 s to stow
        (241.0, "sealed", "caching"),  # 60 s to seal
        (271.0, "cached", "done"),  # 30 s to the cache
    ]
    record = rig.behaviour.record
    assert record is not None
    expected = {
        "sequence": 1,
        "robot_id": "rover_r1",
        "site_x_m": 2.75,
        "site_y_m": 2.75,
        "science_value": 1.0,
        "tool": "drill",
        "depth_cm": 10.0,
        "acquired_s": 131.0,
        "sealed_s": 241.0,
        "cached_s": 271.0,
        "mass_g": 32.0,  # 10 cm x 2 cm2 x 1.6 g/cm3
        "container_id": 1,
        "previous_hash": GENESIS_HASH,
    }
    data = record.to_json()
    assert {k: v for k, v in data.items() if k != "hash"} == expected
    assert data["hash"] == record.content_hash() and len(data["hash"]) == 64
    assert rig.behaviour.custody.records == (record,)
    assert rig.store.containers[1].sealed and rig.store.containers[1].cached
    assert rig.store.free_containers() == (2, 3, 4)
    assert rig.drive.commands == ["stop"]  # deploying makes sure the rover stands still
    assert rig.tool.reading(rig.clock.now_s).stowed


def test_a_distant_site_is_approached_by_planning_and_driving() -> None:
    planner = ScriptedPlanner()
    rig = make(site=Cell(4, 16), planner=planner)  # (8.25, 2.25): 6 m east
    rig.behaviour.start()
    rig.step()
    assert rig.step() == SampleState.PLANNING  # the plan is due at t = 1.5 s
    assert rig.step() == SampleState.DRIVING
    assert planner.requests[-1].start == Cell(4, 4) and planner.requests[-1].goal == Cell(4, 16)
    assert rig.drive.path is not None and tuple(rig.drive.path[-1]) == (8.25, 2.25)
    rig.drive.teleport(5.0, 2.25)
    assert rig.step() == SampleState.DRIVING
    rig.drive.teleport(7.0, 2.25)  # 1.25 m short of the site: within the arm's 1.5 m reach
    assert rig.step() == SampleState.DEPLOYING
    assert rig.drive.commands == ["follow", "stop", "stop"]
    assert rig.run() == SampleState.DONE
    record = rig.behaviour.record
    assert record is not None and (record.site_x_m, record.site_y_m) == (8.25, 2.25)


def test_a_blocked_approach_replans_from_where_the_rover_is() -> None:
    planner = ScriptedPlanner()
    rig = make(site=Cell(4, 18), planner=planner)
    rig.behaviour.start()
    for _ in range(3):
        rig.step()
    assert rig.behaviour.state == SampleState.DRIVING
    rig.drive.teleport(3.5, 2.25)
    rig.costmap.cost[4, 12] = np.inf
    assert rig.step() == SampleState.PLANNING
    assert rig.behaviour.transitions[-1].detail["cell"] == Cell(4, 12)
    rig.step()
    assert rig.step() == SampleState.DRIVING
    assert planner.requests[-1].start == Cell(4, 7)
    assert all(tuple(c) != (4, 12) for c in rig.behaviour.plans[-1][1].cells)


def test_a_scoop_sample_and_a_second_sample_continue_the_chain() -> None:
    custody = CustodyLog()
    first = make(tool="scoop", custody=custody)
    first.behaviour.start()
    assert first.run() == SampleState.DONE
    second = make(site=Cell(6, 6), custody=custody, container_id=3)
    second.behaviour.start()
    assert second.run() == SampleState.DONE
    one, two = custody.records
    assert (one.sequence, one.tool, one.depth_cm, one.container_id) == (1, "scoop", 3.0, 1)
    assert one.mass_g == 96.0  # 3 cm x 20 cm2 x 1.6 g/cm3
    assert (two.sequence, two.tool, two.container_id) == (2, "drill", 3)
    assert two.previous_hash == one.hash != two.hash
    assert CustodyLog(custody.records).records == custody.records


# ---- stuck-drill recovery ------------------------------------------------------------------


def test_a_jammed_drill_is_retracted_and_retried() -> None:
    rig = make(faults=(FaultInjection(81.0, "stuck_drill"),))  # 5 cm down
    rig.behaviour.start()
    assert rig.run() == SampleState.DONE
    events = [(t, e) for t, e, _ in rig.log()]
    assert events[3:7] == [
        (31.0, "tool_deployed"),
        (111.0, "drill_jammed"),  # no progress for the 30 s stuck window
        (121.0, "drill_freed"),  # 5 cm up at 0.5 cm/s
        (221.0, "depth_reached"),  # 5 cm back down the hole, 5 cm more: 100 s at 0.1 cm/s
    ]
    jam = rig.behaviour.transitions[4].detail
    assert jam["depth_cm"] == pytest.approx(5.0) and jam["torque_nm"] == 6.0
    assert jam["retries"] == 0 and rig.behaviour.retries == 1


def test_a_drill_stuck_in_rock_faults_after_its_retries() -> None:
    rock = UNIFORM.with_rock(4.0, 8.0, strength_kpa=1000.0)  # torque 10.7 N m > 6 N m stall
    rig = make(profile=rock, max_retries=2)
    rig.behaviour.start()
    assert rig.run() == SampleState.SAFE
    events = [e for _, e, _ in rig.log()]
    assert events[3:] == [
        "tool_deployed",
        "drill_jammed",
        "drill_freed",
        "drill_jammed",
        "drill_freed",
        "drill_stuck",
        "safed",
    ]
    fault = rig.behaviour.fault
    assert fault is not None and fault.event == "drill_stuck" and fault.detail["retries"] == 2
    assert fault.detail["depth_cm"] == pytest.approx(4.0, abs=0.02)  # the rock's top
    assert not rig.tool.moving and rig.behaviour.record is None


# ---- every way into FAULT ------------------------------------------------------------------


def fault_of(rig: Rig) -> tuple[str, dict[str, Any]]:
    rig.behaviour.start()
    rig.run_until(SampleState.FAULT)
    fault = rig.behaviour.fault
    assert fault is not None and fault.dest == "fault"
    assert rig.step() == SampleState.SAFE  # the tool is halted, the rover still
    assert not rig.tool.reading(rig.clock.now_s).moving and not rig.drive.moving
    assert rig.behaviour.custody.records == ()
    return fault.event, fault.detail


def test_no_site() -> None:
    event, detail = fault_of(make(min_science_value=2.0))
    assert event == "no_site" and detail["radius_m"] == 20.0


def test_container_full_when_no_container_is_free_or_the_one_asked_for_is_used() -> None:
    rig = make(containers=0)
    assert fault_of(rig) == ("container_full", {"container_id": None, "free": []})
    rig = make(containers=2, container_id=2)
    rig.store.containers[2].mass_g = 40.0
    assert fault_of(rig) == ("container_full", {"container_id": 2, "free": [1]})


def test_container_full_when_the_sample_overfills_it() -> None:
    rig = make(depth_cm=90.0)
    rig.store.containers[1].capacity_g = 100.0  # 90 cm of core weighs about 283 g
    event, detail = fault_of(rig)
    assert event == "container_full" and "overfilled" in detail["why"]


@pytest.mark.parametrize("error_type", list(PLANNING_FAILURE_EVENTS))
def test_every_planning_failure_on_the_approach(error_type: type[PlanningError]) -> None:
    error = error_type(f"scripted {error_type.__name__}")
    error.cell = (3, 4)
    rig = make(site=Cell(4, 16), planner=ScriptedPlanner(error))
    event, detail = fault_of(rig)
    assert event == PLANNING_FAILURE_EVENTS[error_type] and detail["cell"] == (3, 4)


def test_a_planner_bug_is_a_planner_error() -> None:
    class Broken(ScriptedPlanner):
        def plan(self, request: PlanRequest) -> Plan:
            raise ValueError("costmap value -1")

    event, detail = fault_of(make(site=Cell(4, 16), planner=Broken()))
    assert event == "planner_error" and "ValueError: costmap value -1" in detail["error"]


def test_drive_stalled() -> None:
    event, detail = fault_of(make(site=Cell(4, 16), stall_timeout_s=5.0))
    assert event == "drive_stalled" and detail["still_for_s"] == 5.0


def test_tool_deploy_failed() -> None:
    event, detail = fault_of(make(faults=(FaultInjection(10.0, "deploy_jam"),)))
    assert event == "tool_deploy_failed"
    assert detail == {"phase": "halted", "after_s": 120.0}


def test_force_limit_from_a_force_spike() -> None:
    event, detail = fault_of(make(faults=(FaultInjection(60.0, "force_spike", 2.0, 300.0),)))
    assert event == "force_limit" and detail["quantity"] == "force_n"
    assert detail["value"] == 310.0 and detail["limit"] == 150.0  # 5 N + 5 kPa x 1 N/kPa + 300


def test_force_limit_when_the_scoop_meets_a_rock() -> None:
    event, detail = fault_of(make(tool="scoop", profile=UNIFORM.with_rock(2.0, 3.0, 200.0)))
    assert event == "force_limit" and detail["depth_cm"] == pytest.approx(2.0, abs=0.1)


def test_force_limit_on_torque() -> None:
    hard = UNIFORM.with_rock(4.0, 8.0, strength_kpa=500.0)  # 5.7 N m: under stall, over limit
    event, detail = fault_of(make(profile=hard, torque_limit_nm=5.5))
    assert event == "force_limit" and detail["quantity"] == "torque_nm"


def test_instrument_fault() -> None:
    event, detail = fault_of(make(faults=(FaultInjection(50.0, "instrument_fault"),)))
    assert event == "instrument_fault"
    assert detail == {"fault": "motor_driver_fault", "phase": "halted"}


def test_a_short_sensor_dropout_is_ridden_through_a_long_one_is_a_fault() -> None:
    rig = make(faults=(FaultInjection(60.0, "sensor_dropout", 1.0),))
    rig.behaviour.start()
    assert rig.run() == SampleState.DONE
    event, detail = fault_of(make(faults=(FaultInjection(60.0, "sensor_dropout", 10.0),)))
    assert event == "sensor_dropout" and detail["blind_for_s"] == 2.0


def test_seal_failed() -> None:
    event, detail = fault_of(make(faults=(FaultInjection(5.0, "seal_leak"),)))
    assert event == "seal_failed" and detail["why"] == "container 1 failed its leak check"


def test_acquire_timeout() -> None:
    slow = RegolithProfile.uniform(200.0, 1.6)  # 0.005 cm/s: 10 cm would take 2000 s
    event, detail = fault_of(make(profile=slow, acquire_time_limit_s=300.0))
    assert event == "acquire_timeout" and detail == {"limit_s": 300.0}


def test_an_exception_in_a_callback_is_a_fault() -> None:
    rig = make()

    def broken(now_s: float) -> None:
        raise RuntimeError("arm controller not responding")

    rig.tool.deploy = broken  # type: ignore[method-assign]
    event, detail = fault_of(rig)
    assert event == "exception" and "arm controller not responding" in detail["error"]


def test_every_fault_event_has_a_transition_and_a_test() -> None:
    triggers = {t["trigger"] for t in TRANSITIONS if t["dest"] == "fault"}
    assert triggers | {"exception"} == FAULT_EVENTS


def test_an_event_the_state_does_not_accept_is_a_fault() -> None:
    rig = make()
    rig.behaviour.trigger("depth_reached")
    assert rig.behaviour.state == SampleState.FAULT


def test_fault_waits_for_the_tool_to_stop() -> None:
    rig = make()
    rig.behaviour.start()
    rig.run_until(SampleState.ACQUIRING)
    for _ in range(10):
        rig.step()
    rig.behaviour.trigger("force_limit", quantity="test")
    assert rig.behaviour.state == SampleState.FAULT
    rig.tool.phase = ToolPhase.RETRACTING  # pretend the tool is still moving
    assert rig.step() == SampleState.FAULT
    rig.tool.halt(rig.clock.now_s)
    assert rig.step() == SampleState.SAFE
    assert rig.behaviour.transitions[-1].detail["tool"] == "halted"


# ---- suspension and checkpoints ------------------------------------------------------------


def test_suspended_mid_acquire_the_tool_stops_and_resumes_to_the_same_sample() -> None:
    rig = make()
    rig.behaviour.start()
    rig.run_until(SampleState.ACQUIRING)
    for _ in range(20):
        rig.step()
    rig.behaviour.suspend()
    depth = rig.tool.reading(rig.clock.now_s).depth_cm
    assert not rig.tool.moving and depth == pytest.approx(1.0)
    rig.clock.advance(100.0)
    assert rig.tool.reading(rig.clock.now_s).depth_cm == depth
    rig.behaviour.resume_work()
    assert rig.run() == SampleState.DONE
    record = rig.behaviour.record
    assert record is not None and record.mass_g == 32.0 and record.acquired_s == 231.0


def test_checkpoint_restore_carries_the_chain_of_custody() -> None:
    rig = make()
    rig.behaviour.start()
    rig.run()
    assert rig.behaviour.record is not None
    second = make(site=Cell(6, 6), custody=rig.behaviour.custody)
    second.behaviour.start()
    second.run_until(SampleState.ACQUIRING)
    checkpoint = second.behaviour.checkpoint()
    assert checkpoint["data"]["custody"] == rig.behaviour.custody.to_json()
    assert checkpoint["data"]["site"]["cell"] == [6, 6]

    restored = make(site=Cell(6, 6))  # after a restart: a fresh behaviour, empty custody log
    restored.clock.advance(second.clock.now_s)
    restored.behaviour.restore(checkpoint)
    assert restored.behaviour.state == SampleState.ACQUIRING
    assert restored.behaviour.custody.records == rig.behaviour.custody.records
    restored.tool.phase = ToolPhase.DEPLOYED  # the real arm is still out
    restored.tool.deploy_fraction = 1.0
    restored.behaviour.resume_work()
    assert restored.run() == SampleState.DONE
    last = restored.behaviour.custody.records[-1]
    assert last.sequence == 2 and last.previous_hash == rig.behaviour.custody.records[0].hash
    assert [t.event for t in restored.behaviour.transitions] == [
        "start",
        "site_selected",
        "site_reached",
        "tool_deployed",
        "depth_reached",
        "tool_retracted",
        "sealed",
        "cached",
    ]


def test_the_chain_of_custody_is_append_only_and_tamper_evident() -> None:
    log = CustodyLog()
    values = {
        "robot_id": "r",
        "site_x_m": 1.0,
        "site_y_m": 2.0,
        "science_value": 0.5,
        "tool": "drill",
        "depth_cm": 10.0,
        "acquired_s": 1.0,
        "sealed_s": 2.0,
        "cached_s": 3.0,
        "mass_g": 32.0,
        "container_id": 1,
    }
    first = log.append(**values)
    second = log.append(**{**values, "container_id": 2})
    edited = replace(first, mass_g=31.0)
    with pytest.raises(ValueError, match="does not match its hash"):
        CustodyLog([edited])
    with pytest.raises(ValueError, match="chain of custody broken at record 2"):
        CustodyLog([second])  # the first one dropped
    with pytest.raises(ValueError, match="differs from the records held"):
        log.extend_from([edited.to_json()])
    assert CustodyRecord.from_json(second.to_json()) == second
    with pytest.raises(AttributeError):
        log.records[0].mass_g = 0.0  # type: ignore[misc]
