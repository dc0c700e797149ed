"""One simulated mission: world, rover, depth camera, perception and the traverse behaviour,
stepped on the mission clock until the behaviour is done (ARRIVED or SAFE) or time runs out.

The traverse runs under a :class:`~ilrs_auto.mission.supervisor.Supervisor` (the only behaviour
it supervises), its drive wrapped in a :class:`~ilrs_auto.mission.replay.RecordedDrive`, so that
with ``log_path`` every transition, command, drive answer, external input and sensor reading is
recorded in an MCAP mission log that ``ilrs-auto replay`` runs back.

Each tick: the rover moves; when a camera frame is due it is rendered against the true surface,
fused into the rover's elevation map, and the hazard layers and costs are recomputed where the
map changed; the power model integrates the tick (the Sun from the ephemeris at the mission's
UTC time, shadowed by the terrain horizon of the rover's cell; loads by what the rover did); the
rover's own sensors are read (:mod:`ilrs_auto.sim.sensors`): the wheel odometry (slip growing
with the uphill slope) every tick, and every ``TELEMETRY_PERIOD_S`` the IMU (its gyro gives the
mean yaw rate since the last read) and the sun sensor (with the power model's Sun), all three
then recorded as telemetry; then the supervisor ticks the behaviour,
which reads results and fires events. The drive's ``odometer_m`` is the wheel odometry: the
traverse compares it with the distance covered to detect slip (``excessive_slip``).

Faults from the scenario strike at their mission times (each lasts ``[time_s, time_s +
duration_s)``): ``wheel_stuck`` (the drive is commanded but the wheels are jammed: neither the rover
moves nor the wheel odometry counts, and the drive stalls),
``sensor_dropout`` (no camera frames), ``link_loss`` (recorded; the rover goes on alone),
``mcu_reset`` (the drive stops at once and takes no commands until rebooted) and ``brownout``
(the bus voltage sags by ``sag_v``). The record lists, for each fault that struck, the mission
events it caused.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ilrs_auto.geometry import Cell
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.recorder import McapRecorder
from ilrs_auto.mission.replay import RecordedDrive
from ilrs_auto.mission.rover_traverse import RoverTraverse, Transition, TraverseGoal
from ilrs_auto.mission.supervisor import Supervisor
from ilrs_auto.perception.elevation import ElevationMap, FusionConfig
from ilrs_auto.perception.traversability import TraversabilityMap
from ilrs_auto.planning import Plan, make_planner
from ilrs_auto.planning.base import Planner, PlanRequest
from ilrs_auto.planning.smoothing import Smoothed
from ilrs_auto.sim.depth_camera import DepthCamera
from ilrs_auto.sim.power import Activity, PowerSystem, SunAtRover, SunSample
from ilrs_auto.sim.rover import RoverState, SimRover, SimRoverDrive
from ilrs_auto.sim.scenario import Scenario
from ilrs_auto.sim.sensors import (
    Imu,
    ImuConfig,
    ImuReading,
    OdometryConfig,
    OdometryReading,
    SunSensor,
    SunSensorConfig,
    WheelOdometry,
    terrain_attitude,
)
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
TELEMETRY_PERIOD_S = 1.0  # sensor readings recorded in the mission log
DRIVE_TOPIC = "rover/drive"
# The sun sensor's own shadow ray covers the near terrain (rocks, local relief); the far terrain
# is the power model's horizon, which already hides the Sun from the rover's cell.
SUN_SENSOR = SunSensorConfig(shadow_max_distance_m=50.0)


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
    wheel_distance_m: float = 0.0  # what the wheel odometry counted (slip included)
    log_path: Path | None = None  # the MCAP mission log, when one was asked for
    # (time_s, cell) each time the rover drove into a cell its own map held lethal right then
    # (a cell that turns lethal while the rover stands in it, a rock seen beside it, is not one)
    entered_lethal: list[tuple[float, Cell]] = field(default_factory=list)

    @property
    def arrived(self) -> bool:
        return self.final_state == "arrived"


class _SimDrive(SimRoverDrive):
    """The simulated rover's drive, with a microcontroller that can be rebooting and an
    odometer that reads the (slipping) wheel odometry."""

    def __init__(self, rover: SimRover) -> None:
        super().__init__(rover)
        self.ready = True  # False while the drive's microcontroller reboots
        self.wheel_m = 0.0  # the wheel odometry's total, set by the runner each tick

    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None:
        if self.ready:  # a rebooting microcontroller takes no commands
            super().follow(path_xy_m)

    @property
    def odometer_m(self) -> float:
        return self.wheel_m


class _NoWallClock:
    """A planner whose plans carry no wall-clock planning time (``elapsed_s`` = 0): plans go
    into the mission log, which must be the same, byte for byte, for the same scenario."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self.name = planner.name

    def plan(self, request: PlanRequest) -> Plan:
        return dataclasses.replace(self.planner.plan(request), elapsed_s=0.0)


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
    log_path: Path | None = None,
    odometry: OdometryConfig | None = None,
) -> MissionRecord:
    """Flies the scenario's traverse in simulation; the same scenario gives the same record
    (and the same mission log, byte for byte, at ``log_path`` when given). ``odometry``: the
    wheel odometry's slip model (default :class:`OdometryConfig`)."""
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
    sim_drive = _SimDrive(rover)
    clock = SimClock()
    supervisor = Supervisor(clock, McapRecorder(log_path) if log_path is not None else None)
    drive = RecordedDrive(sim_drive, supervisor, DRIVE_TOPIC)
    res = geometry.resolution_m
    imu = Imu(ImuConfig(), world.heights_m, res, np.random.default_rng([scenario.seed, 2]))
    odo = WheelOdometry(
        odometry or OdometryConfig(),
        world.heights_m,
        res,
        np.random.default_rng([scenario.seed, 3]),
        (sx, sy),
    )
    sun_sensor = SunSensor(
        SUN_SENSOR, world.heights_m, res, np.random.default_rng([scenario.seed, 4])
    )
    planner = make_planner(mission.planner)
    jobs = PlanJobRunner(
        _NoWallClock(Smoothed(planner) if mission.smooth_paths else planner),
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
        max_slip=responses.max_slip,
        slip_window_m=responses.slip_window_m,
    )
    power = PowerSystem(scenario.power)
    sun = SunAtRover(
        world.dem,
        mission.start_utc,
        mission.time_limit_s + 2 * mission.tick_s,
        scenario.power.sun_step_s,
        scenario.power.panel.height_m,
    )
    status = _SimStatus(sim_drive, power)
    behaviour = RoverTraverse(goal, geometry, local, drive, jobs, clock, status)
    supervisor.add(behaviour)
    faults = scenario.faults
    struck = [False] * len(faults)
    link_lost_s = 0.0
    power_log: list[tuple[float, ...]] = []
    next_log_s = 0.0
    next_telemetry_s = 0.0

    straight = math.dist(mission.start_xy_m, mission.goal_xy_m)
    frame_period_s = 1.0 / camera_cfg.rate_hz
    next_frame_s = 0.0
    frames = 0
    driven = [(sx, sy)]
    last_cell = geometry.cell_of(sx, sy)
    entered_lethal: list[tuple[float, Cell]] = []
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
            sim_drive.ready = "mcu_reset" not in active
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
            # Jammed wheels (wheel_stuck) do not turn: the odometry sees the rover stand still.
            wheel = odo.read(s.x_m, s.y_m)
            sim_drive.wheel_m = wheel.wheel_total_m
            if now + 1e-9 >= next_telemetry_s:
                imu_reading = imu.read(now, s.x_m, s.y_m, s.heading_rad)
                _record_sensors(supervisor, world, sun_sensor, light, s, imu_reading, wheel)
                next_telemetry_s = now + TELEMETRY_PERIOD_S
            supervisor.tick()
            if (rover.state.x_m, rover.state.y_m) != driven[-1]:
                driven.append((rover.state.x_m, rover.state.y_m))
                cell = geometry.cell_of(rover.state.x_m, rover.state.y_m)
                if cell != last_cell:
                    if math.isinf(local.cost[cell]):
                        entered_lethal.append((now, cell))
                    last_cell = cell
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
        supervisor.close()  # closes the behaviour and finishes the log
        # The recorded drive holds the supervisor, which holds the behaviour, which holds the
        # drive: break the cycle so the maps go when the record is returned (no collection).
        supervisor.behaviours.clear()
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
        wheel_distance_m=odo.wheel_total_m,
        entered_lethal=entered_lethal,
        log_path=log_path,
    )


def _record_sensors(
    supervisor: Supervisor,
    world: World,
    sun_sensor: SunSensor,
    light: SunSample,
    s: RoverState,
    imu: ImuReading,
    wheel: OdometryReading,
) -> None:
    """Reads the sun sensor (the Sun the power model placed; none when the far terrain hides
    all of it or the near terrain shadows the sensor) and records the three sensors."""
    el = math.radians(light.elevation_deg)
    sun_site = (
        math.cos(el) * math.cos(light.heading_rad),
        math.cos(el) * math.sin(light.heading_rad),
        math.sin(el),
    )
    attitude = terrain_attitude(world.heights_m, world.geometry.resolution_m, s.x_m, s.y_m,
                                s.heading_rad)  # fmt: skip
    horizon_deg = light.elevation_deg if light.lit_fraction <= 0.0 else -90.0
    sun = sun_sensor.read(sun_site, light.elevation_deg, s.x_m, s.y_m, attitude, horizon_deg)
    supervisor.record_telemetry(
        "rover/imu",
        accel_mps2=[round(a, 5) for a in imu.accel_mps2],
        yaw_rate_rps=round(imu.yaw_rate_rps, 6),
        roll_deg=round(math.degrees(imu.roll_rad), 3),
        pitch_deg=round(math.degrees(imu.pitch_rad), 3),
    )
    supervisor.record_telemetry(
        "rover/odometry",
        wheel_total_m=round(wheel.wheel_total_m, 4),
        slope_deg=round(wheel.slope_deg, 3),
        slip=round(wheel.slip, 4),
    )
    supervisor.record_telemetry(
        "rover/sun_sensor",
        visible=sun is not None,
        azimuth_deg=None if sun is None else round(sun.azimuth_deg, 3),
        elevation_deg=None if sun is None else round(sun.elevation_deg, 3),
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
