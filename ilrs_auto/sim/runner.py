"""One simulated mission: world, rover, depth camera, perception and the traverse behaviour,
stepped on the mission clock until the behaviour is done (ARRIVED or SAFE) or time runs out.

Each tick: the rover moves; when a camera frame is due it is rendered against the true surface,
fused into the rover's elevation map, and the hazard layers and costs are recomputed where the
map changed; the power model integrates the tick (the Sun from the ephemeris at the mission's
UTC time, shadowed by the terrain horizon of the rover's cell; loads by what the rover did);
then the behaviour reads results and fires events.

Faults from the scenario strike at their mission times (each lasts ``[time_s, time_s +
duration_s)``): ``wheel_stuck`` (the drive is commanded but the rover does not move),
``sensor_dropout`` (no camera frames), ``link_loss`` (recorded; the rover goes on alone),
``mcu_reset`` (the drive stops at once and takes no commands until rebooted) and ``brownout``
(the bus voltage sags by ``sag_v``). The record lists, for each fault that struck, the mission
events it caused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ilrs_auto.geometry import Cell
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.rover_traverse import RoverTraverse, Transition, TraverseGoal
from ilrs_auto.perception.elevation import ElevationMap, FusionConfig
from ilrs_auto.perception.traversability import TraversabilityMap
from ilrs_auto.planning import Plan, make_planner
from ilrs_auto.planning.smoothing import Smoothed
from ilrs_auto.sim.depth_camera import DepthCamera
from ilrs_auto.sim.power import Activity, PowerSystem, SunAtRover
from ilrs_auto.sim.rover import RoverState, SimRover
from ilrs_auto.sim.scenario import Scenario
from ilrs_auto.sim.world import World, build_world, hazard_config


@dataclass(frozen=True)
class Progress:
    """What a progress display needs, once per tick."""

    time_s: float
    state: str
    remaining_m: float
    straight_line_m: float
    replans: int


@dataclass(frozen=True)
class ReplanCause:
    """Why the path was blocked: the lethal cell, and the nearest rock to it."""

    time_s: float
    position_xy_m: tuple[float, float]
    cell: Cell
    cause: str  # "rock" when a placed rock explains the hazard, else "terrain"
    rock_diameter_m: float
    lethal_in_prior: bool


# The mission events each kind of fault can cause (its own and the behaviour's responses).
FAULT_CONSEQUENCES: dict[str, frozenset[str]] = {
    "wheel_stuck": frozenset({"drive_stalled"}),
    "sensor_dropout": frozenset({"frames_lost", "unknown_ahead", "wait_over", "sensor_dropout"}),
    "link_loss": frozenset(),
    "mcu_reset": frozenset({"drive_reset", "wait_over", "drive_unresponsive", "drive_stalled"}),
    "brownout": frozenset({"power_critical"}),
}
POWER_LOG_PERIOD_S = 10.0


@dataclass(frozen=True)
class FaultMet:
    """A fault that struck during the mission, and the events it caused (time, event)."""

    type: str
    time_s: float
    duration_s: float
    events: tuple[tuple[float, str], ...]

    def to_json(self) -> dict[str, object]:
        return {
            "type": self.type,
            "time_s": self.time_s,
            "duration_s": self.duration_s,
            "events": [{"time_s": t, "event": e} for t, e in self.events],
        }


@dataclass
class MissionRecord:
    scenario: Scenario
    world: World
    final_state: str
    mission_time_s: float
    distance_m: float
    driven_xy_m: npt.NDArray[np.float64]
    transitions: list[Transition]
    plans: list[tuple[float, Plan]]
    replan_causes: list[ReplanCause]
    frames: int
    rover_cost: npt.NDArray[np.float32]
    prior_lethal: npt.NDArray[np.bool_]
    fault: Transition | None = None
    energy_used_wh: float = 0.0  # drawn by the loads
    energy_generated_wh: float = 0.0  # by the panels (before any shunting)
    initial_soc: float = math.nan
    min_soc: float = math.nan
    final_soc: float = math.nan
    temperature_range_k: tuple[float, float] = (math.nan, math.nan)
    # every POWER_LOG_PERIOD_S: time_s, soc, generation_w, load_w, temperature_k, lit_fraction
    power_log: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, 6)))
    faults_met: list[FaultMet] = field(default_factory=list)
    link_lost_s: float = 0.0

    @property
    def arrived(self) -> bool:
        return self.final_state == "arrived"


class _SimDrive:
    """The simulated rover seen through the behaviour's Drive interface."""

    def __init__(self, rover: SimRover) -> None:
        self.rover = rover
        self.ready = True  # False while the drive's microcontroller reboots

    def position_xy(self) -> tuple[float, float]:
        return (self.rover.state.x_m, self.rover.state.y_m)

    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None:
        if self.ready:  # a rebooting microcontroller takes no commands
            self.rover.follow(path_xy_m)

    def stop(self) -> None:
        self.rover.stop()

    @property
    def moving(self) -> bool:
        return self.rover.moving

    @property
    def odometer_m(self) -> float:
        return self.rover.state.odometer_m


class _SimStatus:
    """The rover's health as the behaviour reads it (:class:`RoverStatus`)."""

    def __init__(self, drive: _SimDrive, power: PowerSystem) -> None:
        self._drive = drive
        self._power = power
        self.last_frame_s = 0.0
        self.drive_resets = 0

    @property
    def drive_ready(self) -> bool:
        return self._drive.ready

    @property
    def power_critical(self) -> str | None:
        return self._power.critical


def run_mission(
    scenario: Scenario,
    world: World | None = None,
    on_tick: Callable[[Progress], None] | None = None,
) -> MissionRecord:
    """Flies the scenario's traverse in simulation; the same scenario gives the same record."""
    world = world or build_world(scenario)
    geometry = world.geometry
    mission, rover_cfg, camera_cfg = scenario.mission, scenario.rover, scenario.camera
    rng = np.random.default_rng([scenario.seed, 1])  # the world used stream 0

    emap = ElevationMap.from_prior(
        world.ground_m,
        geometry.resolution_m,
        FusionConfig(
            noise_floor_m=camera_cfg.noise_floor_m,
            noise_per_range2=camera_cfg.noise_per_range2,
        ),
    )
    local = TraversabilityMap(emap.height_m, geometry.resolution_m, hazard_config(scenario))
    prior_lethal = local.lethal()
    camera = DepthCamera(camera_cfg, geometry.resolution_m, rng)

    sx, sy = mission.start_xy_m
    rover = SimRover(
        RoverState(sx, sy, math.radians(mission.start_heading_deg)),
        rover_cfg.speed_mps,
        rover_cfg.yaw_rate_dps,
    )
    drive = _SimDrive(rover)
    clock = SimClock()
    planner = make_planner(mission.planner)
    jobs = PlanJobRunner(
        Smoothed(planner) if mission.smooth_paths else planner,
        mission.planning_latency_s,
        deterministic=clock.deterministic,
    )
    responses = scenario.responses
    goal = TraverseGoal(
        mission.goal_xy_m,
        mission.goal_tolerance_m,
        mission.time_limit_s,
        mission.stall_timeout_s,
        frame_gap_s=responses.frame_gap_s,
        dropout_timeout_s=responses.dropout_timeout_s,
        unknown_lookahead_m=responses.unknown_lookahead_m,
        unknown_max_fraction=responses.unknown_max_fraction,
        unknown_timeout_s=responses.unknown_timeout_s,
        reboot_timeout_s=responses.reboot_timeout_s,
        start_escape_m=rover_cfg.footprint_radius_m,
    )
    power = PowerSystem(scenario.power)
    sun = SunAtRover(
        world.dem,
        mission.start_utc,
        mission.time_limit_s + 2 * mission.tick_s,
        scenario.power.sun_step_s,
        scenario.power.panel.height_m,
    )
    status = _SimStatus(drive, power)
    behaviour = RoverTraverse(goal, geometry, local, drive, jobs, clock, status)
    faults = scenario.faults
    struck = [False] * len(faults)
    link_lost_s = 0.0
    power_log: list[tuple[float, ...]] = []
    next_log_s = 0.0

    straight = math.dist(mission.start_xy_m, mission.goal_xy_m)
    frame_period_s = 1.0 / camera_cfg.rate_hz
    next_frame_s = 0.0
    frames = 0
    driven = [(sx, sy)]
    try:
        _sense(world, camera, emap, local, rover)  # look before the first plan
        frames += 1
        behaviour.start()
        while not behaviour.finished and clock.now_s < mission.time_limit_s + mission.tick_s:
            now = clock.advance(mission.tick_s)
            active = set()
            for i, fault in enumerate(faults):
                if fault.time_s <= now + 1e-9 < fault.end_s:
                    active.add(fault.type)
                    if not struck[i] and fault.type == "mcu_reset":
                        rover.stop()  # the wheels stop and the path is lost
                        status.drive_resets += 1
                    struck[i] = True
            drive.ready = "mcu_reset" not in active
            power.sag_v = sum(
                f.sag_v for f in faults if f.type == "brownout" and f.time_s <= now + 1e-9 < f.end_s
            )
            driving = rover.moving  # commanded, whether the wheels turn or not
            if "wheel_stuck" not in active:
                rover.step(mission.tick_s)
            camera_on = "sensor_dropout" not in active
            if now + 1e-9 >= next_frame_s:
                if camera_on:
                    _sense(world, camera, emap, local, rover)
                    frames += 1
                    status.last_frame_s = now
                next_frame_s = now + frame_period_s
            if "link_loss" in active:
                link_lost_s += mission.tick_s
            s = rover.state
            light = sun.at(now, s.x_m, s.y_m)
            planning = behaviour.state in ("traverse_planning", "traverse_replanning")
            activity = Activity(rover_cfg.speed_mps if driving else 0.0, camera_on, planning)
            sample = power.step(mission.tick_s, light, activity, s.heading_rad)
            if now + 1e-9 >= next_log_s:
                power_log.append(
                    (
                        now,
                        sample.soc,
                        sample.generation_w,
                        sample.load_w,
                        sample.temperature_k,
                        light.lit_fraction,
                    )
                )
                next_log_s = now + POWER_LOG_PERIOD_S
            behaviour.tick()
            if (rover.state.x_m, rover.state.y_m) != driven[-1]:
                driven.append((rover.state.x_m, rover.state.y_m))
            if on_tick is not None:
                on_tick(
                    Progress(
                        now,
                        behaviour.state,
                        math.dist((rover.state.x_m, rover.state.y_m), mission.goal_xy_m),
                        straight,
                        len(behaviour.replans),
                    )
                )
    finally:
        behaviour.close()
        jobs.close()

    return MissionRecord(
        scenario=scenario,
        world=world,
        final_state=behaviour.state,
        mission_time_s=clock.now_s,
        distance_m=rover.state.odometer_m,
        driven_xy_m=np.asarray(driven, np.float64),
        transitions=behaviour.transitions,
        plans=behaviour.plans,
        replan_causes=[_explain(t, world, scenario, prior_lethal) for t in behaviour.replans],
        frames=frames,
        rover_cost=local.cost.copy(),
        prior_lethal=prior_lethal,
        fault=behaviour.fault,
        energy_used_wh=power.load_wh,
        energy_generated_wh=power.generated_wh,
        initial_soc=scenario.power.battery.initial_soc,
        min_soc=power.min_soc,
        final_soc=power.soc,
        temperature_range_k=(power.min_temperature_k, power.max_temperature_k),
        power_log=np.asarray(power_log, np.float64).reshape(-1, 6),
        faults_met=_faults_met(scenario, behaviour.transitions, struck, frame_period_s),
        link_lost_s=link_lost_s,
    )


def _faults_met(
    scenario: Scenario, transitions: list[Transition], struck: list[bool], frame_period_s: float
) -> list[FaultMet]:
    """Each fault that struck, with the events of its kind from its onset until shortly after
    it ended (a frame period and two ticks: the time the behaviour needs to see it over)."""
    grace_s = frame_period_s + 2 * scenario.mission.tick_s + 1e-9
    met = []
    for fault, hit in zip(scenario.faults, struck, strict=True):
        if not hit:
            continue
        kinds = FAULT_CONSEQUENCES[fault.type]
        events = tuple(
            (t.time_s, t.event)
            for t in transitions
            if t.event in kinds and fault.time_s <= t.time_s <= fault.end_s + grace_s
        )
        met.append(FaultMet(fault.type, fault.time_s, fault.duration_s, events))
    return met


def _sense(
    world: World, camera: DepthCamera, emap: ElevationMap, local: TraversabilityMap, rover: SimRover
) -> None:
    s = rover.state
    pose = camera.pose(s.x_m, s.y_m, world.height_at(s.x_m, s.y_m), s.heading_rad)
    depth = camera.render(world.heights_m, pose)
    changed = emap.fuse_depth(depth, camera.intrinsics, pose)
    local.update(changed)


def _explain(
    replan: Transition, world: World, scenario: Scenario, prior_lethal: npt.NDArray[np.bool_]
) -> ReplanCause:
    cell: Cell = replan.detail["cell"]
    x, y = world.geometry.centre_of(cell)
    index, edge_m = world.rocks.nearest(x, y)
    # A rock explains the hazard if the cell lies within the hazard windows' reach of it.
    reach_m = scenario.rover.footprint_radius_m + world.geometry.resolution_m
    by_rock = index >= 0 and edge_m <= reach_m
    return ReplanCause(
        time_s=replan.time_s,
        position_xy_m=replan.detail["position_xy_m"],
        cell=cell,
        cause="rock" if by_rock else "terrain",
        rock_diameter_m=float(world.rocks.diameter_m[index]) if by_rock else math.nan,
        lethal_in_prior=bool(prior_lethal[cell]),
    )
