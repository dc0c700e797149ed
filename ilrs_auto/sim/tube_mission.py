"""The simulated lava-tube mission: a generated tube, the robot that explores it, and the
mission loop on the mission clock.

The world: :meth:`ilrs_auto.sim.lava_tube.LavaTube.generate` from the scenario's seed, its axis
``depth_m`` below a flat surface at z = 0; a skylight (a vertical shaft) opens from the surface
into the tube's ceiling at ``skylight_x_m``. The shaft is modelled only where it matters: the
winch lowers the robot straight down through it, and the radio reaches down it (the surface's
antenna is seen from inside the tube at the skylight, 0.5 m below the ceiling).

The robot (:class:`SimTubeRobot`): its centre follows 3D paths at ``speed_mps`` (the tube
planner's paths keep its body clear of the walls; wheel contact is not modelled), the winch
moves it vertically at ``descent.rate_mps`` and stops at the tether's end, a spinning lidar
scans the tube (:meth:`LavaTube.scan`, ``scan_duration_s`` per sweep), the radio links to a node
(the surface antenna or a dropped relay) in range with a clear line of sight through the true
tube, and the battery pays ``hotel_w`` always plus ``drive_w``, ``winch_w`` or ``scan_w`` while
working. Faults are injected at mission times: ``sensor_dropout`` (no more scans),
``wheel_stuck`` (the wheels and the winch stop turning), ``link_loss`` (the radio is deaf for a
while), ``energy_drain`` (a sudden loss of battery energy).

:func:`run_tube_mission` runs it: each tick the clock advances, due faults apply, the robot
moves, and the behaviour ticks; every tick is logged (:class:`TubeMissionRecord`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError
from ilrs_auto.located import compose_yaml
from ilrs_auto.mission.behaviour import Transition
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.tube_exploration import (
    Point,
    Scan,
    TubeExploration,
    TubeExplorationConfig,
    TubePlanJobRunner,
    TubePlanner,
    dilate6,
)
from ilrs_auto.perception.voxels import VoxelGrid, VoxelMap
from ilrs_auto.planning.tube import TubePlanner as CoreTubePlanner
from ilrs_auto.sim.lava_tube import LavaTube, spherical_directions
from ilrs_auto.sim.scenario import build_section, spec

FloatArray = npt.NDArray[np.float64]

FAULT_KINDS = ("sensor_dropout", "wheel_stuck", "link_loss", "energy_drain")


# ---- the scenario -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TubeConfig:
    length_m: float = field(default=40.0, metadata=spec("tube length", lo=10.0, hi=500.0))
    knot_spacing_m: float = field(
        default=6.0, metadata=spec("distance between radius knots", lo=1.0, hi=100.0)
    )
    min_radius_m: float = field(default=3.5, metadata=spec("narrowest radius", lo=2.0, hi=30.0))
    max_radius_m: float = field(default=5.5, metadata=spec("widest radius", lo=2.0, hi=30.0))
    depth_m: float = field(
        default=20.0, metadata=spec("tube axis below the surface", lo=5.0, hi=200.0)
    )
    skylight_x_m: float = field(
        default=4.0, metadata=spec("where the skylight opens, along the tube", lo=0.0, hi=500.0)
    )


@dataclass(frozen=True)
class RobotConfig:
    speed_mps: float = field(
        default=0.3, metadata=spec("drive speed", lo=0.0, hi=5.0, lo_open=True)
    )
    body_radius_m: float = field(
        default=0.5, metadata=spec("bounding sphere kept clear of walls", lo=0.1, hi=3.0)
    )
    standoff_m: float = field(
        default=2.0, metadata=spec("landing height of the centre above the floor", lo=0.5, hi=10.0)
    )
    start_distance_m: float = field(
        default=10.0,
        metadata=spec("start on the surface this far before the skylight", lo=0.0, hi=1000.0),
    )
    sensor_range_m: float = field(default=15.0, metadata=spec("lidar range", lo=2.0, hi=100.0))
    angle_step_deg: float = field(
        default=1.5, metadata=spec("lidar azimuth and elevation step", lo=0.5, hi=10.0)
    )
    range_sigma_m: float = field(default=0.02, metadata=spec("lidar range noise", lo=0.0, hi=1.0))
    scan_duration_s: float = field(default=10.0, metadata=spec("one sweep", lo=0.1, hi=600.0))


@dataclass(frozen=True)
class DescentConfig:
    mode: str = field(default="tether", metadata=spec("tether or ramp"))
    rate_mps: float = field(
        default=0.2, metadata=spec("descent and ascent rate", lo=0.0, hi=5.0, lo_open=True)
    )
    tether_length_m: float = field(
        default=40.0, metadata=spec("tether (or ramp) length", lo=1.0, hi=1000.0)
    )


@dataclass(frozen=True)
class RadioConfig:
    range_m: float = field(default=22.0, metadata=spec("radio range", lo=1.0, hi=1000.0))
    link_gap_limit_s: float = field(
        default=30.0, metadata=spec("longest allowed time without a link", lo=1.0, hi=1e5)
    )
    relays: int = field(default=4, metadata=spec("relays carried", lo=0, hi=100))
    lookahead_m: float = field(
        default=2.0, metadata=spec("how far ahead the link is predicted", lo=0.1, hi=50.0)
    )
    min_relay_spacing_m: float = field(
        default=2.0, metadata=spec("no relay closer than this to the last one", lo=0.0, hi=100.0)
    )


@dataclass(frozen=True)
class PowerConfig:
    battery_wh: float = field(default=200.0, metadata=spec("battery at the start", lo=1.0, hi=1e6))
    drive_w: float = field(default=60.0, metadata=spec("extra power driving", lo=0.0, hi=1e4))
    scan_w: float = field(default=25.0, metadata=spec("extra power scanning", lo=0.0, hi=1e4))
    winch_w: float = field(default=40.0, metadata=spec("extra power on the winch", lo=0.0, hi=1e4))
    hotel_w: float = field(default=20.0, metadata=spec("always drawn", lo=0.0, hi=1e4))
    reserve_wh: float = field(default=20.0, metadata=spec("never planned below", lo=0.0, hi=1e6))
    detour_factor: float = field(
        default=1.5, metadata=spec("way back / straight line, for the margin", lo=1.0, hi=10.0)
    )


@dataclass(frozen=True)
class MissionConfig:
    time_limit_s: float = field(default=7200.0, metadata=spec("whole mission", lo=10.0, hi=1e6))
    time_reserve_s: float = field(
        default=300.0, metadata=spec("kept beyond the way back", lo=0.0, hi=1e6)
    )
    tick_s: float = field(default=1.0, metadata=spec("control period", lo=0.05, hi=10.0))
    voxel_m: float = field(default=0.5, metadata=spec("voxel edge", lo=0.1, hi=2.0))
    plan_latency_s: float = field(
        default=2.0, metadata=spec("mission time a plan takes", lo=0.0, hi=600.0)
    )
    stall_timeout_s: float = field(
        default=30.0, metadata=spec("no progress for this long is a stall", lo=1.0, hi=1e5)
    )
    scan_timeout_s: float = field(
        default=30.0, metadata=spec("a scan not back by then is a dropout", lo=1.0, hi=1e5)
    )
    frontier_min_size: int = field(
        default=20, metadata=spec("smallest frontier cluster worth a visit", lo=1, hi=100000)
    )


@dataclass(frozen=True)
class FaultConfig:
    """Fault injection times; negative: never."""

    sensor_dropout_at_s: float = field(default=-1.0, metadata=spec("lidar dies"))
    wheel_stuck_at_s: float = field(default=-1.0, metadata=spec("wheels and winch stop"))
    link_loss_at_s: float = field(default=-1.0, metadata=spec("radio goes deaf"))
    link_loss_for_s: float = field(default=60.0, metadata=spec("for this long", lo=0.0, hi=1e6))
    energy_drain_at_s: float = field(default=-1.0, metadata=spec("battery loses energy"))
    energy_drain_wh: float = field(default=50.0, metadata=spec("this much", lo=0.0, hi=1e6))


@dataclass(frozen=True)
class TubeScenario:
    name: str = field(default="lava-tube", metadata=spec("short name, used in reports"))
    kind: str = field(default="lava_tube", metadata=spec("lava_tube"))
    description: str = field(default="", metadata=spec("what the scenario is for"))
    seed: int = field(
        default=0, metadata=spec("seed of the tube and the noise", lo=0, hi=2**63 - 1)
    )
    tube: TubeConfig = field(default_factory=TubeConfig)
    robot: RobotConfig = field(default_factory=RobotConfig)
    descent: DescentConfig = field(default_factory=DescentConfig)
    radio: RadioConfig = field(default_factory=RadioConfig)
    power: PowerConfig = field(default_factory=PowerConfig)
    mission: MissionConfig = field(default_factory=MissionConfig)
    faults: FaultConfig = field(default_factory=FaultConfig)
    source: str = field(default="<memory>", metadata=spec("the file this came from"))
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def where(self, key: str) -> str:
        line = self.lines.get(key)
        return f"{self.source}:{line}: {key}" if line else f"{self.source}: {key}"


def parse_tube_scenario(text: str, source: str = "<memory>") -> TubeScenario:
    """A lava-tube scenario from YAML text; InputError ``SOURCE:LINE: key: problem``."""
    node = compose_yaml(text, source)
    if node is None:
        raise InputError(f"{source}: scenario file is empty")
    lines: dict[str, int] = {}
    values = build_section(TubeScenario, node, "", source, lines)
    scenario = TubeScenario(**values, source=source, lines=lines)
    if scenario.kind != "lava_tube":
        raise InputError(f"{scenario.where('kind')}: expected lava_tube, got {scenario.kind!r}")
    if scenario.descent.mode not in ("tether", "ramp"):
        raise InputError(
            f"{scenario.where('descent.mode')}: expected tether or ramp, got "
            f"{scenario.descent.mode!r}"
        )
    tube = scenario.tube
    if tube.max_radius_m < tube.min_radius_m:
        raise InputError(
            f"{scenario.where('tube.max_radius_m')}: must be >= tube.min_radius_m "
            f"({tube.min_radius_m:g}), got {tube.max_radius_m:g}"
        )
    if tube.skylight_x_m > tube.length_m:
        raise InputError(
            f"{scenario.where('tube.skylight_x_m')}: must lie in the tube (<= tube.length_m "
            f"= {tube.length_m:g}), got {tube.skylight_x_m:g}"
        )
    if tube.depth_m <= tube.max_radius_m + 1.0:
        raise InputError(
            f"{scenario.where('tube.depth_m')}: the roof needs at least 1 m of rock "
            f"(> tube.max_radius_m + 1 = {tube.max_radius_m + 1:g}), got {tube.depth_m:g}"
        )
    return scenario


def load_tube_scenario(path: str | os.PathLike[str]) -> TubeScenario:
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{source}: cannot read scenario file: {error}") from None
    return parse_tube_scenario(text, source)


# ---- the world ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TubeWorld:
    tube: LavaTube
    grid: VoxelGrid
    skylight_m: Point  # on the surface
    foot_m: Point  # end of the descent
    surface_node_m: Point
    ceiling_z_m: float  # of the tube under the skylight
    start_m: Point

    def observable(self) -> npt.NDArray[np.bool_]:
        """Voxels a perfect explorer would know: the tube's void and the rock shell lining it."""
        rock = self.tube.voxelise(self.grid)
        void = ~rock
        shell = rock & dilate6(void)
        observable: npt.NDArray[np.bool_] = void | shell
        return observable


def build_tube_world(scenario: TubeScenario) -> TubeWorld:
    t = scenario.tube
    axis_z = -t.depth_m
    tube = LavaTube.generate(
        scenario.seed, t.length_m, t.knot_spacing_m, t.min_radius_m, t.max_radius_m, 0.0, axis_z
    )
    margin = 1.0
    res = scenario.mission.voxel_m
    grid = VoxelGrid.covering(
        (0.0, -t.max_radius_m - margin, axis_z - t.max_radius_m - margin),
        (t.length_m, t.max_radius_m + margin, axis_z + t.max_radius_m + margin),
        res,
    )
    r = float(tube.radius_at(t.skylight_x_m)[()])
    foot = (t.skylight_x_m, 0.0, axis_z - r + scenario.robot.standoff_m)
    return TubeWorld(
        tube=tube,
        grid=grid,
        skylight_m=(t.skylight_x_m, 0.0, 0.0),
        foot_m=foot,
        surface_node_m=(t.skylight_x_m, 0.0, axis_z + r - 0.5),
        ceiling_z_m=axis_z + r,
        start_m=(t.skylight_x_m - scenario.robot.start_distance_m, 0.0, 0.0),
    )


class TubeLineOfSight:
    """Line of sight through the true tube: the segment touches no wall."""

    def __init__(self, tube: LavaTube) -> None:
        self.tube = tube

    def clear(self, a_m: Point, b_m: Point) -> bool:
        a, b = np.asarray(a_m), np.asarray(b_m)
        length = float(np.linalg.norm(b - a))
        if length < 1e-9:
            return True
        return bool(np.isinf(self.tube.raycast(a, (b - a) / length, length)[0]))


# ---- the robot --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    time_s: float
    kind: str  # one of FAULT_KINDS
    value: float = 0.0  # link_loss: duration s; energy_drain: Wh

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r} (known: {', '.join(FAULT_KINDS)})")


class SimTubeRobot:
    """A :class:`~ilrs_auto.mission.tube_exploration.TubeRobot` in the simulated tube."""

    def __init__(self, scenario: TubeScenario, world: TubeWorld, clock: SimClock) -> None:
        self.scenario = scenario
        self.world = world
        self.clock = clock
        self.los = TubeLineOfSight(world.tube)
        self._pos = np.array(world.start_m, np.float64)
        self._path: FloatArray = np.empty((0, 3))
        self._winch_z: float | None = None
        self._odometer_m = 0.0
        self._battery_wh = scenario.power.battery_wh
        self._scan_ready_s: float | None = None
        self._directions = spherical_directions(
            scenario.robot.angle_step_deg, scenario.robot.angle_step_deg, 88.0
        )
        self._rng = np.random.default_rng([scenario.seed, 1])
        self.relays: list[Point] = []
        self._relays_left = scenario.radio.relays
        self.sensor_dead = False
        self.wheels_stuck = False
        self.deaf_until_s = -math.inf
        self._link = True
        self.scans = 0

    # -- the TubeRobot protocol --
    @property
    def position_m(self) -> Point:
        return (float(self._pos[0]), float(self._pos[1]), float(self._pos[2]))

    @property
    def moving(self) -> bool:
        return len(self._path) > 0 or self._winch_z is not None

    @property
    def odometer_m(self) -> float:
        return self._odometer_m

    @property
    def battery_wh(self) -> float:
        return self._battery_wh

    @property
    def link_up(self) -> bool:
        return self._link

    @property
    def relays_left(self) -> int:
        return self._relays_left

    def follow(self, waypoints_m: FloatArray) -> None:
        path = np.asarray(waypoints_m, np.float64).reshape(-1, 3)
        self._winch_z = None
        self._path = path[1:] if len(path) and np.allclose(path[0], self._pos) else path

    def winch_to(self, z_m: float) -> None:
        self._path = np.empty((0, 3))
        self._winch_z = float(z_m)

    def stop(self) -> None:
        self._path = np.empty((0, 3))
        self._winch_z = None

    def request_scan(self) -> None:
        self._scan_ready_s = self.clock.now_s + self.scenario.robot.scan_duration_s

    def take_scan(self) -> Scan | None:
        ready = self._scan_ready_s
        if ready is None or self.clock.now_s < ready - 1e-9 or self.sensor_dead:
            return None
        self._scan_ready_s = None
        self.scans += 1
        r = self.scenario.robot
        points = self.world.tube.scan(
            self._pos, self._directions, r.sensor_range_m, r.range_sigma_m, self._rng
        )
        return Scan(points, self.position_m)

    def drop_relay(self) -> Point | None:
        if self._relays_left <= 0:
            return None
        self._relays_left -= 1
        self.relays.append(self.position_m)
        return self.position_m

    # -- simulation --
    def inject(self, fault: Fault) -> None:
        if fault.kind == "sensor_dropout":
            self.sensor_dead = True
        elif fault.kind == "wheel_stuck":
            self.wheels_stuck = True
        elif fault.kind == "link_loss":
            self.deaf_until_s = self.clock.now_s + fault.value
        else:
            self._battery_wh -= fault.value

    def step(self, dt_s: float) -> None:
        p = self.scenario.power
        power_w = p.hotel_w
        if self._scan_ready_s is not None and not self.sensor_dead:
            power_w += p.scan_w
        if len(self._path):
            power_w += p.drive_w
            if not self.wheels_stuck:
                self._drive(self.scenario.robot.speed_mps * dt_s)
        elif self._winch_z is not None:
            power_w += p.winch_w
            if not self.wheels_stuck:
                self._winch(self.scenario.descent.rate_mps * dt_s)
        self._battery_wh -= power_w * dt_s / 3600.0
        self._link = self._radio()

    def _drive(self, budget_m: float) -> None:
        while budget_m > 0.0 and len(self._path):
            step = self._path[0] - self._pos
            length = float(np.linalg.norm(step))
            if length <= budget_m:
                self._pos = self._path[0].copy()
                self._path = self._path[1:]
                self._odometer_m += length
                budget_m -= length
            else:
                self._pos = self._pos + step * (budget_m / length)
                self._odometer_m += budget_m
                budget_m = 0.0

    def _winch(self, budget_m: float) -> None:
        target = self._winch_z
        if target is None:
            return
        lowest = (
            -self.scenario.descent.tether_length_m
            if self.scenario.descent.mode == ("tether")
            else -math.inf
        )
        goal = max(target, lowest)
        dz = goal - self._pos[2]
        move = math.copysign(min(abs(dz), budget_m), dz)
        self._pos[2] += move
        self._odometer_m += abs(move)
        if abs(goal - self._pos[2]) < 1e-9:
            self._winch_z = None  # arrived, or the tether is all paid out

    def _radio(self) -> bool:
        if self.clock.now_s < self.deaf_until_s:
            return False
        w = self.world
        x, y, z = self._pos
        in_shaft = math.hypot(x - w.skylight_m[0], y - w.skylight_m[1]) <= 1.0
        if z >= -1e-6 or (in_shaft and z >= w.surface_node_m[2]):  # surface, or the shaft
            return True
        here = self.position_m
        nodes = [w.surface_node_m, *self.relays]
        for node in nodes:
            in_range = math.dist(node, here) <= self.scenario.radio.range_m
            if in_range and self.los.clear(here, node):
                return True
        return False


# ---- the mission --------------------------------------------------------------------------


def exploration_config(scenario: TubeScenario, world: TubeWorld) -> TubeExplorationConfig:
    r, radio, p, m = scenario.robot, scenario.radio, scenario.power, scenario.mission
    tether = scenario.descent.tether_length_m if scenario.descent.mode == "tether" else math.inf
    return TubeExplorationConfig(
        skylight_m=world.skylight_m,
        foot_m=world.foot_m,
        surface_node_m=world.surface_node_m,
        surface_z_m=0.0,
        speed_mps=r.speed_mps,
        descent_rate_mps=scenario.descent.rate_mps,
        tether_length_m=tether,
        radio_range_m=radio.range_m,
        link_gap_limit_s=radio.link_gap_limit_s,
        relay_lookahead_m=radio.lookahead_m,
        min_relay_spacing_m=radio.min_relay_spacing_m,
        sensor_range_m=r.sensor_range_m,
        drive_w=p.drive_w,
        scan_w=p.scan_w,
        hotel_w=p.hotel_w,
        winch_w=p.winch_w,
        reserve_wh=p.reserve_wh,
        detour_factor=p.detour_factor,
        time_limit_s=m.time_limit_s,
        time_reserve_s=m.time_reserve_s,
        scan_timeout_s=m.scan_timeout_s,
        stall_timeout_s=m.stall_timeout_s,
        frontier_min_size=m.frontier_min_size,
        viewpoint_max_distance_m=0.4 * r.sensor_range_m,
    )


def scenario_faults(scenario: TubeScenario) -> list[Fault]:
    f = scenario.faults
    faults = []
    if f.sensor_dropout_at_s >= 0:
        faults.append(Fault(f.sensor_dropout_at_s, "sensor_dropout"))
    if f.wheel_stuck_at_s >= 0:
        faults.append(Fault(f.wheel_stuck_at_s, "wheel_stuck"))
    if f.link_loss_at_s >= 0:
        faults.append(Fault(f.link_loss_at_s, "link_loss", f.link_loss_for_s))
    if f.energy_drain_at_s >= 0:
        faults.append(Fault(f.energy_drain_at_s, "energy_drain", f.energy_drain_wh))
    return faults


@dataclass(frozen=True)
class TickProgress:
    time_s: float
    state: str
    coverage: float
    relays: int
    battery_wh: float


@dataclass
class TubeMissionRecord:
    scenario: TubeScenario
    world: TubeWorld
    final_state: str
    transitions: list[Transition]
    fault: Transition | None
    time_s: FloatArray  # per tick
    position_m: FloatArray  # (T, 3)
    battery_wh: FloatArray
    link_up: npt.NDArray[np.bool_]
    states: list[str]
    relays_m: list[Point]
    scan_positions_m: list[Point]
    coverage: float
    known: npt.NDArray[np.bool_]  # voxels the map knows
    observable: npt.NDArray[np.bool_]
    distance_m: float
    scans: int

    @property
    def succeeded(self) -> bool:
        return self.final_state == "done"

    @property
    def mission_time_s(self) -> float:
        return float(self.time_s[-1]) if len(self.time_s) else 0.0

    @property
    def max_link_gap_s(self) -> float:
        return max((end - start for start, end in self.link_gaps()), default=0.0)

    def link_gaps(self) -> list[tuple[float, float]]:
        """(start, end) of every stretch without a link, from the tick log: from the first tick
        without it to the first tick with it again (or the last tick)."""
        gaps: list[tuple[float, float]] = []
        start: float | None = None
        for t, up in zip(self.time_s.tolist(), self.link_up.tolist(), strict=True):
            if not up and start is None:
                start = t
            elif up and start is not None:
                gaps.append((start, t))
                start = None
        if start is not None:
            gaps.append((start, float(self.time_s[-1])))
        return gaps

    @property
    def final_battery_wh(self) -> float:
        return float(self.battery_wh[-1]) if len(self.battery_wh) else math.nan


def run_tube_mission(
    scenario: TubeScenario,
    faults: Sequence[Fault] | None = None,
    on_tick: Callable[[TickProgress], None] | None = None,
    planner: TubePlanner | None = None,
    progress_every: int = 20,
) -> TubeMissionRecord:
    """Flies the scenario (its own faults, or ``faults`` when given) until the behaviour
    finishes or the time limit plus a grace period passes."""
    world = build_tube_world(scenario)
    clock = SimClock()
    robot = SimTubeRobot(scenario, world, clock)
    voxel_map = VoxelMap(world.grid)
    core_planner = CoreTubePlanner(scenario.robot.body_radius_m)
    jobs = TubePlanJobRunner(
        planner or core_planner, scenario.mission.plan_latency_s, deterministic=True
    )
    behaviour = TubeExploration(
        exploration_config(scenario, world),
        robot,
        voxel_map,
        jobs,
        clock,
        required_field_m=core_planner.required_field_m(voxel_map),
    )
    observable = world.observable()
    pending = sorted(
        scenario_faults(scenario) if faults is None else faults, key=lambda f: f.time_s
    )
    tick_s = scenario.mission.tick_s
    limit_s = scenario.mission.time_limit_s + 600.0
    times: list[float] = [0.0]
    positions: list[Point] = [robot.position_m]
    battery: list[float] = [robot.battery_wh]
    link: list[bool] = [robot.link_up]
    states: list[str] = ["idle"]
    ticks = 0
    try:
        behaviour.start()
        while not behaviour.finished and clock.now_s < limit_s:
            clock.advance(tick_s)
            while pending and pending[0].time_s <= clock.now_s + 1e-9:
                robot.inject(pending.pop(0))
            robot.step(tick_s)
            behaviour.tick()
            times.append(clock.now_s)
            positions.append(robot.position_m)
            battery.append(robot.battery_wh)
            link.append(robot.link_up)
            states.append(behaviour.state)
            ticks += 1
            if on_tick is not None and ticks % progress_every == 0:
                on_tick(
                    TickProgress(
                        clock.now_s,
                        behaviour.state,
                        _coverage(voxel_map, observable),
                        len(robot.relays),
                        robot.battery_wh,
                    )
                )
        known = ~voxel_map.unknown_mask
        record = TubeMissionRecord(
            scenario=scenario,
            world=world,
            final_state=behaviour.state,
            transitions=list(behaviour.transitions),
            fault=behaviour.fault,
            time_s=np.asarray(times),
            position_m=np.asarray(positions),
            battery_wh=np.asarray(battery),
            link_up=np.asarray(link),
            states=states,
            relays_m=list(robot.relays),
            scan_positions_m=list(behaviour.scan_positions),
            coverage=_coverage(voxel_map, observable),
            known=known,
            observable=observable,
            distance_m=robot.odometer_m,
            scans=robot.scans,
        )
    finally:
        behaviour.close()
        jobs.close()
    return record


def _coverage(voxel_map: VoxelMap, observable: npt.NDArray[np.bool_]) -> float:
    known = ~voxel_map.unknown_mask
    seen = int(np.count_nonzero(known & observable))
    return seen / max(1, int(np.count_nonzero(observable)))


def summary(record: TubeMissionRecord) -> dict[str, Any]:
    """The numbers of a run, JSON-compatible."""
    return {
        "scenario": record.scenario.name,
        "seed": record.scenario.seed,
        "final_state": record.final_state,
        "succeeded": record.succeeded,
        "fault": record.fault.to_json() if record.fault else None,
        "mission_time_s": record.mission_time_s,
        "distance_m": round(record.distance_m, 3),
        "scans": record.scans,
        "coverage": round(record.coverage, 4),
        "relays_dropped": len(record.relays_m),
        "relays_m": [[round(v, 3) for v in r] for r in record.relays_m],
        "max_link_gap_s": record.max_link_gap_s,
        "link_gap_limit_s": record.scenario.radio.link_gap_limit_s,
        "link_gaps_s": [list(g) for g in record.link_gaps()],
        "battery_start_wh": record.scenario.power.battery_wh,
        "battery_end_wh": round(record.final_battery_wh, 3),
        "reserve_wh": record.scenario.power.reserve_wh,
        "transitions": [t.to_json() for t in record.transitions],
    }


class TubeSequenceRobot:
    """The robot of a sequence dry run in a lava-tube scenario (a
    :class:`~ilrs_auto.mission.sequence_executor.SequenceRobot`): ``explore_tube`` flies the
    whole tube mission; surface driving and MCU commands are not supported by this robot and
    say so in their results."""

    def __init__(self, scenario: TubeScenario) -> None:
        self.scenario = scenario
        x, y, _ = build_tube_world(scenario).start_m
        self._xy = (x, y)
        self._odometer_m = 0.0
        self.records: list[TubeMissionRecord] = []

    @property
    def position_xy_m(self) -> tuple[float, float]:
        return self._xy

    @property
    def odometer_m(self) -> float:
        return self._odometer_m

    @property
    def mcu_mode(self) -> str:
        return "NOMINAL"

    def drive_to(
        self, goal_xy_m: tuple[float, float], speed_mps: float, tolerance_m: float, timeout_s: float
    ) -> Any:
        from ilrs_auto.mission.sequence_executor import DriveResult

        return DriveResult(
            False,
            0.0,
            0.0,
            "idle",
            "command_rejected",
            "not supported: the lava-tube robot does not drive_to on the surface; use "
            "explore_tube (it approaches the skylight itself)",
        )

    def mcu_command(self, command: Any, now_s: float) -> Any:
        from ilrs_auto.mission.sequence_executor import McuResult

        return McuResult(
            False,
            "NOT_SUPPORTED",
            0.0,
            f"not supported: the lava-tube robot has no MCU model for {command.name}",
        )

    def stop(self, now_s: float) -> None:
        """Nothing moves between commands: every explore_tube ends stopped."""

    def explore_tube(self, time_limit_s: float, link_gap_limit_s: float | None) -> Any:
        from ilrs_auto.mission.sequence_executor import DriveResult

        s = self.scenario
        mission = dc_replace(s.mission, time_limit_s=time_limit_s)
        radio = (
            s.radio
            if link_gap_limit_s is None
            else dc_replace(s.radio, link_gap_limit_s=link_gap_limit_s)
        )
        record = run_tube_mission(dc_replace(s, mission=mission, radio=radio))
        self.records.append(record)
        self._odometer_m += record.distance_m
        end = record.position_m[-1]
        self._xy = (float(end[0]), float(end[1]))
        fault = record.fault
        detail = (
            f"{record.final_state}: coverage {record.coverage:.1%}, {len(record.relays_m)} "
            f"relays, longest link gap {record.max_link_gap_s:.0f} s, "
            f"{record.final_battery_wh:.1f} Wh left"
            + (f"; {fault.event} at {fault.time_s:.0f} s" if fault else "")
        )
        return DriveResult(
            arrived=record.succeeded,
            duration_s=record.mission_time_s,
            distance_m=record.distance_m,
            final_state=record.final_state,
            event=None if record.succeeded else (fault.event if fault else "mission_timeout"),
            detail=detail,
            transitions=tuple((t.time_s, t.event, t.source, t.dest) for t in record.transitions),
        )


__all__ = [
    "FAULT_KINDS",
    "Fault",
    "SimTubeRobot",
    "TickProgress",
    "TubeLineOfSight",
    "TubeMissionRecord",
    "TubeScenario",
    "TubeSequenceRobot",
    "TubeWorld",
    "build_tube_world",
    "exploration_config",
    "load_tube_scenario",
    "parse_tube_scenario",
    "run_tube_mission",
    "summary",
]
