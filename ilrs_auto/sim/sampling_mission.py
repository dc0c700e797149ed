"""The sample-collection mission in simulation (``kind: sampling`` scenarios).

A sampling scenario is a traverse scenario (terrain, rocks, rover, camera, mission) plus a
``sampling:`` section. The run has two legs on one mission clock:

1. the traverse from ``mission.start_xy_m`` to the sampling area at ``mission.goal_xy_m``,
   flown by :func:`ilrs_auto.sim.runner.run_mission` (the traverse behaviour);
2. the sample: :class:`~ilrs_auto.mission.sample_collection.SampleCollection` chooses a site
   within ``sampling.search_radius_m`` of where the rover stopped, on the rover's own costmap
   and the science-value map, approaches it, and takes, seals and caches the sample with the
   simulated instruments (:mod:`ilrs_auto.sim.instruments`). Perception restarts from the
   orbital prior at the start of this leg and fuses a depth frame at the camera's rate.

The science-value map (:func:`science_map`) is made from the terrain: crater rims and other
local highs (the DEM above its own blur at ``rim_scale_m``) and rock fields (ejecta blocks,
as placed in the world) score high, plus seeded smooth noise for what orbit cannot see; values
are in [0, 1].

Fault times in ``sampling.faults`` count from the start of the sampling leg.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import yaml

from ilrs_auto.errors import InputError
from ilrs_auto.located import compose_yaml
from ilrs_auto.mission.behaviour import Transition
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.sample_collection import (
    CustodyLog,
    CustodyRecord,
    SampleCollection,
    SamplingTask,
    SiteChoice,
)
from ilrs_auto.perception.elevation import ElevationMap, FusionConfig
from ilrs_auto.perception.traversability import TraversabilityMap
from ilrs_auto.planning import make_planner
from ilrs_auto.planning.smoothing import Smoothed
from ilrs_auto.sim.depth_camera import DepthCamera
from ilrs_auto.sim.instruments import (
    FAULT_KINDS,
    FaultInjection,
    RegolithProfile,
    SimSampleCache,
    SimTool,
    default_tool_config,
)
from ilrs_auto.sim.rover import RoverState, SimRover, SimRoverDrive
from ilrs_auto.sim.runner import MissionRecord, run_mission
from ilrs_auto.sim.scenario import Scenario, build_section, parse_scenario, spec
from ilrs_auto.sim.world import World, build_world, hazard_config

FloatGrid = npt.NDArray[np.float32]


# ---- the scenario's sampling section ------------------------------------------------------


@dataclass(frozen=True)
class ScienceMapConfig:
    rim_scale_m: float = field(
        default=40.0,
        metadata=spec("relief scale: rims stand above the DEM blurred by this", lo=2.0, hi=1000.0),
    )
    rim_weight: float = field(
        default=0.6, metadata=spec("weight of rims and highs", lo=0.0, hi=1.0)
    )
    rock_weight: float = field(
        default=0.3, metadata=spec("weight of rock fields (ejecta)", lo=0.0, hi=1.0)
    )
    rock_radius_m: float = field(
        default=3.0, metadata=spec("a rock raises the value this far around it", lo=0.1, hi=100.0)
    )
    noise_weight: float = field(
        default=0.1, metadata=spec("weight of seeded noise", lo=0.0, hi=1.0)
    )
    noise_scale_m: float = field(
        default=4.0, metadata=spec("smoothness of the noise", lo=0.1, hi=1000.0)
    )


@dataclass(frozen=True)
class RegolithConfig:
    surface_strength_kpa: float = field(
        default=3.0, metadata=spec("strength at the surface", lo=0.1, hi=1e4, lo_open=True)
    )
    strength_gradient_kpa_per_cm: float = field(
        default=1.5, metadata=spec("strength gained per cm of depth", lo=0.0, hi=1e3)
    )
    variability: float = field(
        default=0.2, metadata=spec("log-normal spread of strength per cm", lo=0.0, hi=2.0)
    )
    rock_fraction: float = field(
        default=0.0, metadata=spec("fraction of depth bins holding a rock clast", lo=0.0, hi=1.0)
    )


@dataclass(frozen=True)
class FaultSpec:
    kind: str = field(default="", metadata=spec(f"one of: {', '.join(FAULT_KINDS)}"))
    at_s: float = field(
        default=math.nan, metadata=spec("seconds after the sampling leg starts", lo=0.0, hi=1e7)
    )
    duration_s: float = field(
        default=5.0, metadata=spec("force_spike, sensor_dropout", lo=0.0, hi=1e5)
    )
    magnitude: float = field(
        default=300.0, metadata=spec("force_spike: newtons added", lo=0.0, hi=1e5)
    )


@dataclass(frozen=True)
class SamplingConfig:
    robot_id: str = field(default="rover_r1", metadata=spec("who takes the sample (custody)"))
    tool: str = field(default="drill", metadata=spec("scoop or drill"))
    depth_cm: float = field(
        default=30.0,
        metadata=spec("sampling depth (scoop: at most 5)", lo=0.0, hi=100.0, lo_open=True),
    )
    container: int = field(
        default=0, metadata=spec("container number, 0: the first free", lo=0, hi=64)
    )
    containers: int = field(default=12, metadata=spec("containers aboard", lo=0, hi=64))
    container_capacity_g: float = field(
        default=250.0, metadata=spec("what a container holds", lo=1.0, hi=1e5)
    )
    search_radius_m: float = field(
        default=8.0,
        metadata=spec("look for a site this far from where the rover stops", lo=0.1, hi=500.0),
    )
    reach_m: float = field(
        default=1.5, metadata=spec("arm reach from the rover's centre", lo=0.1, hi=10.0)
    )
    min_science_value: float = field(
        default=0.0, metadata=spec("sites below this value are not worth sampling", lo=0.0, hi=1.0)
    )
    force_limit_n: float = field(default=150.0, metadata=spec("force limit", lo=1.0, hi=1e5))
    torque_limit_nm: float = field(default=8.0, metadata=spec("torque limit", lo=0.1, hi=1e4))
    max_retries: int = field(default=2, metadata=spec("stuck-drill retries", lo=0, hi=20))
    stuck_window_s: float = field(
        default=30.0, metadata=spec("no depth progress this long: jammed", lo=1.0, hi=1e4)
    )
    acquire_time_limit_s: float = field(
        default=3600.0, metadata=spec("longest acquisition", lo=1.0, hi=1e6)
    )
    time_limit_s: float = field(
        default=7200.0, metadata=spec("longest sampling leg", lo=1.0, hi=1e7)
    )
    science: ScienceMapConfig = field(default_factory=ScienceMapConfig)
    regolith: RegolithConfig = field(default_factory=RegolithConfig)

    def task(self) -> SamplingTask:
        return SamplingTask(
            tool=self.tool,
            depth_cm=self.depth_cm,
            container_id=self.container or None,
            robot_id=self.robot_id,
            search_radius_m=self.search_radius_m,
            min_science_value=self.min_science_value,
            reach_m=self.reach_m,
            force_limit_n=self.force_limit_n,
            torque_limit_nm=self.torque_limit_nm,
            max_retries=self.max_retries,
            stuck_window_s=self.stuck_window_s,
            acquire_time_limit_s=self.acquire_time_limit_s,
        )


@dataclass(frozen=True)
class SamplingScenario:
    traverse: Scenario
    sampling: SamplingConfig
    faults: tuple[FaultInjection, ...] = ()

    @property
    def name(self) -> str:
        return self.traverse.name

    @property
    def seed(self) -> int:
        return self.traverse.seed


_OWN_KEYS = ("kind", "sampling")


def load_sampling_scenario(path: str | os.PathLike[str]) -> SamplingScenario:
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{source}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read scenario file: {exc}") from None
    return parse_sampling_scenario(text, source)


def parse_sampling_scenario(text: str, source: str = "<memory>") -> SamplingScenario:
    """The traverse sections are read by the traverse scenario's parser (this file's ``kind``
    and ``sampling`` lines blanked, so its line numbers stay right); ``sampling`` here."""
    root = compose_yaml(text, source)
    if not isinstance(root, yaml.MappingNode):
        raise InputError(f"{source}: a scenario is a mapping of sections")
    lines = text.splitlines()
    sampling_node: yaml.Node | None = None
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name not in _OWN_KEYS:
            continue
        if name == "kind" and not (
            isinstance(value, yaml.ScalarNode) and value.value == "sampling"
        ):
            raise InputError(f"{source}:{key.start_mark.line + 1}: kind: expected sampling")
        if name == "sampling":
            sampling_node = value
        last = value.end_mark.line if value.end_mark.column > 0 else value.end_mark.line - 1
        for i in range(key.start_mark.line, max(last, key.start_mark.line) + 1):
            if i < len(lines):
                lines[i] = ""
    traverse = parse_scenario("\n".join(lines) + "\n", source)
    if sampling_node is None:
        raise InputError(f"{source}: sampling: required section (the sample to take)")
    return SamplingScenario(traverse, *_sampling_section(sampling_node, source))


def _sampling_section(
    node: yaml.Node, source: str
) -> tuple[SamplingConfig, tuple[FaultInjection, ...]]:
    if not isinstance(node, yaml.MappingNode):
        raise InputError(f"{source}:{node.start_mark.line + 1}: sampling: expected a mapping")
    faults_node: yaml.Node | None = None
    rest: list[tuple[yaml.Node, yaml.Node]] = []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "faults":
            faults_node = value
        else:
            rest.append((key, value))
    trimmed = yaml.MappingNode(node.tag, rest, node.start_mark, node.end_mark)
    lines: dict[str, int] = {}
    config = SamplingConfig(**build_section(SamplingConfig, trimmed, "sampling.", source, lines))

    def where(key: str) -> str:
        return f"{source}:{lines.get(key, node.start_mark.line + 1)}: {key}"

    if config.tool not in ("scoop", "drill"):
        raise InputError(f"{where('sampling.tool')}: expected scoop or drill, got {config.tool!r}")
    reach = default_tool_config(config.tool).max_depth_cm
    if config.depth_cm > reach:
        raise InputError(
            f"{where('sampling.depth_cm')}: a {config.tool} reaches at most {reach:g} cm, "
            f"got {config.depth_cm:g}"
        )
    if config.container > config.containers:
        raise InputError(
            f"{where('sampling.container')}: there are {config.containers} containers, "
            f"got {config.container}"
        )
    faults: list[FaultInjection] = []
    if faults_node is not None:
        if not isinstance(faults_node, yaml.SequenceNode):
            raise InputError(
                f"{source}:{faults_node.start_mark.line + 1}: sampling.faults: expected a list"
            )
        for i, item in enumerate(faults_node.value):
            prefix = f"sampling.faults[{i}]."
            values = build_section(FaultSpec, item, prefix, source, lines)
            fault = FaultSpec(**values)
            line = item.start_mark.line + 1
            if fault.kind not in FAULT_KINDS:
                raise InputError(
                    f"{source}:{lines.get(prefix + 'kind', line)}: {prefix}kind: unknown fault "
                    f"{fault.kind!r} (known: {', '.join(FAULT_KINDS)})"
                )
            if math.isnan(fault.at_s):
                raise InputError(f"{source}:{line}: {prefix}at_s: required")
            faults.append(FaultInjection(fault.at_s, fault.kind, fault.duration_s, fault.magnitude))
    return config, tuple(faults)


# ---- the science-value map ----------------------------------------------------------------


def science_map(world: World, config: ScienceMapConfig, seed: int) -> FloatGrid:
    """Science value per cell of the world grid, in [0, 1] (see the module's docstring)."""
    res = world.geometry.resolution_m
    ground = world.ground_m

    def blur(grid: npt.NDArray[np.float32], scale_m: float) -> npt.NDArray[np.float32]:
        # Wide blurs on a grid shrunk so that sigma stays near 8 cells, then grown back: the
        # same smooth field at a fraction of the cost of a kernel hundreds of cells wide.
        sigma = max(scale_m / res, 0.3)
        shrink = max(1, int(sigma / 8.0))
        rows, cols = grid.shape
        small: Any = grid
        if shrink > 1:
            size = (max(2, cols // shrink), max(2, rows // shrink))
            small = cv2.resize(grid, size, interpolation=cv2.INTER_AREA)
        out: Any = cv2.GaussianBlur(small, (0, 0), sigma / shrink, borderType=cv2.BORDER_REFLECT)
        if shrink > 1:
            out = cv2.resize(out, (cols, rows), interpolation=cv2.INTER_LINEAR)
        return np.asarray(out, np.float32)

    def unit(grid: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        lo, hi = float(grid.min()), float(grid.max())
        return (grid - lo) / (hi - lo) if hi > lo else np.zeros_like(grid)

    relief = ground - blur(ground, config.rim_scale_m)
    top = float(np.percentile(relief, 99.0))
    rim = np.clip(relief / top, 0.0, 1.0) if top > 0 else np.zeros_like(relief)
    rocks = ((world.heights_m - ground) > 0.02).astype(np.float32)
    rock = unit(blur(rocks, config.rock_radius_m))
    rng = np.random.default_rng([seed, 2])  # the world used stream 0, the traverse 1
    noise = unit(blur(rng.standard_normal(ground.shape).astype(np.float32), config.noise_scale_m))
    total = config.rim_weight + config.rock_weight + config.noise_weight
    if total <= 0:
        return np.zeros_like(ground)
    value = (
        config.rim_weight * rim + config.rock_weight * rock + config.noise_weight * noise
    ) / total
    result: FloatGrid = np.ascontiguousarray(value, dtype=np.float32)
    return result


# ---- the run ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplingProgress:
    time_s: float
    leg: str  # traverse | sampling
    state: str
    depth_cm: float


@dataclass
class SamplingRecord:
    scenario: SamplingScenario
    world: World
    traverse: MissionRecord
    science: FloatGrid
    final_state: str  # the sampling behaviour's, or the traverse's when it never arrived
    mission_time_s: float
    sampling_started_s: float
    driven_xy_m: npt.NDArray[np.float64]  # both legs
    transitions: list[Transition]  # the sampling behaviour's
    custody: tuple[CustodyRecord, ...]
    site: SiteChoice | None
    frames: int
    fault: Transition | None

    @property
    def succeeded(self) -> bool:
        return self.final_state == "done"

    def timeline(self) -> list[dict[str, Any]]:
        """Every transition of both legs in mission time, behaviour named."""
        rows = [{"behaviour": "rover_traverse", **t.to_json()} for t in self.traverse.transitions]
        rows += [{"behaviour": "sample_collection", **t.to_json()} for t in self.transitions]
        return rows


@dataclass
class SampleLeg:
    """What one sampling leg leaves behind."""

    final_state: str
    end_s: float
    driven_xy_m: list[tuple[float, float]]
    heading_rad: float
    transitions: list[Transition]
    site: SiteChoice | None
    fault: Transition | None
    frames: int
    record: CustodyRecord | None


def run_sample_leg(
    traverse: Scenario,
    world: World,
    science: FloatGrid,
    config: SamplingConfig,
    pose: tuple[float, float, float],
    start_s: float,
    custody: CustodyLog,
    store_tool: tuple[SimSampleCache, SimTool] | None = None,
    faults: tuple[FaultInjection, ...] = (),
    task: SamplingTask | None = None,
    on_tick: Callable[[SamplingProgress], None] | None = None,
) -> SampleLeg:
    """One sample from the rover at ``pose`` (x, y, heading) starting at mission time
    ``start_s``: perception from the orbital prior, the behaviour, the instruments. Shared by
    the sampling scenario and the sequence dry run."""
    geometry = world.geometry
    mission, camera_cfg = traverse.mission, traverse.camera
    rng = np.random.default_rng([traverse.seed, 3, len(custody)])
    emap = ElevationMap.from_prior(
        world.ground_m,
        geometry.resolution_m,
        FusionConfig(
            noise_floor_m=camera_cfg.noise_floor_m, noise_per_range2=camera_cfg.noise_per_range2
        ),
    )
    local = TraversabilityMap(emap.height_m, geometry.resolution_m, hazard_config(traverse))
    camera = DepthCamera(camera_cfg, geometry.resolution_m, rng)
    x, y, heading = pose
    rover = SimRover(
        RoverState(x, y, heading), traverse.rover.speed_mps, traverse.rover.yaw_rate_dps
    )
    drive = SimRoverDrive(rover)
    clock = SimClock(start_s)
    if store_tool is None:
        regolith = config.regolith
        profile = RegolithProfile.generate(
            [traverse.seed, 4, len(custody)],
            surface_strength_kpa=regolith.surface_strength_kpa,
            strength_gradient_kpa_per_cm=regolith.strength_gradient_kpa_per_cm,
            variability=regolith.variability,
            rock_fraction=regolith.rock_fraction,
        )
        shifted = tuple(
            FaultInjection(start_s + f.at_s, f.kind, f.duration_s, f.magnitude) for f in faults
        )
        tool = SimTool(default_tool_config(config.tool), profile, shifted, start_s)
        store = SimSampleCache.with_containers(tool, config.containers, config.container_capacity_g)
    else:
        store, tool = store_tool
    planner = make_planner(mission.planner)
    jobs = PlanJobRunner(
        Smoothed(planner) if mission.smooth_paths else planner,
        mission.planning_latency_s,
        deterministic=True,
    )
    behaviour = SampleCollection(
        task or config.task(), geometry, local, science, drive, jobs, tool, store, clock, custody
    )
    driven = [(x, y)]
    frame_period_s = 1.0 / camera_cfg.rate_hz
    next_frame_s = start_s
    frames = 0

    def sense() -> None:
        s = rover.state
        cam_pose = camera.pose(s.x_m, s.y_m, world.height_at(s.x_m, s.y_m), s.heading_rad)
        local.update(
            emap.fuse_depth(camera.render(world.heights_m, cam_pose), camera.intrinsics, cam_pose)
        )

    try:
        sense()
        frames += 1
        behaviour.start()
        deadline = start_s + config.time_limit_s
        while not behaviour.finished and clock.now_s < deadline:
            now = clock.advance(mission.tick_s)
            rover.step(mission.tick_s)
            tool.advance_to(now)
            if rover.moving and now + 1e-9 >= next_frame_s:
                sense()
                frames += 1
                next_frame_s = now + frame_period_s
            behaviour.tick()
            if (rover.state.x_m, rover.state.y_m) != driven[-1]:
                driven.append((rover.state.x_m, rover.state.y_m))
            if on_tick is not None:
                on_tick(SamplingProgress(now, "sampling", behaviour.state, tool.depth_cm))
        if not behaviour.finished and behaviour.state != "fault":
            behaviour.enter_safe_mode(reason="sampling leg time limit", limit_s=config.time_limit_s)
    finally:
        behaviour.close()
        jobs.close()
    return SampleLeg(
        final_state=behaviour.state,
        end_s=clock.now_s,
        driven_xy_m=driven,
        heading_rad=rover.state.heading_rad,
        transitions=behaviour.transitions,
        site=behaviour.site,
        fault=behaviour.fault,
        frames=frames,
        record=behaviour.record,
    )


def run_sampling(
    scenario: SamplingScenario,
    world: World | None = None,
    on_tick: Callable[[SamplingProgress], None] | None = None,
) -> SamplingRecord:
    """Flies the traverse to the sampling area, then takes the sample; deterministic."""
    traverse = scenario.traverse
    world = world or build_world(traverse)
    science = science_map(world, scenario.sampling.science, traverse.seed)

    def traverse_tick(p: Any) -> None:
        if on_tick is not None:
            on_tick(SamplingProgress(p.time_s, "traverse", p.state, 0.0))

    approach = run_mission(traverse, world, traverse_tick)
    custody = CustodyLog()
    path = approach.driven_xy_m
    if not approach.arrived:
        return SamplingRecord(
            scenario, world, approach, science, approach.final_state, approach.mission_time_s,
            approach.mission_time_s, path, [], (), None, approach.frames, approach.fault,
        )  # fmt: skip
    heading = 0.0
    if len(path) >= 2:
        dx, dy = path[-1] - path[-2]
        heading = math.atan2(dy, dx)
    leg = run_sample_leg(
        traverse,
        world,
        science,
        scenario.sampling,
        (float(path[-1][0]), float(path[-1][1]), heading),
        approach.mission_time_s,
        custody,
        faults=scenario.faults,
        on_tick=on_tick,
    )
    driven = np.vstack([path, np.asarray(leg.driven_xy_m[1:], np.float64).reshape(-1, 2)])
    return SamplingRecord(
        scenario=scenario,
        world=world,
        traverse=approach,
        science=science,
        final_state=leg.final_state,
        mission_time_s=leg.end_s,
        sampling_started_s=approach.mission_time_s,
        driven_xy_m=driven,
        transitions=leg.transitions,
        custody=custody.records,
        site=leg.site,
        frames=approach.frames + leg.frames,
        fault=leg.fault,
    )


__all__ = [
    "FaultSpec",
    "RegolithConfig",
    "SampleLeg",
    "SamplingConfig",
    "SamplingProgress",
    "SamplingRecord",
    "SamplingScenario",
    "ScienceMapConfig",
    "load_sampling_scenario",
    "parse_sampling_scenario",
    "run_sample_leg",
    "run_sampling",
    "science_map",
]
