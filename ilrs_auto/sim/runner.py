"""One simulated mission: world, rover, depth camera, perception and the traverse behaviour,
stepped on the mission clock until the behaviour is done (ARRIVED or SAFE) or time runs out.

Each tick: the rover moves; when a camera frame is due it is rendered against the true surface,
fused into the rover's elevation map, and the hazard layers and costs are recomputed where the
map changed; then the behaviour reads results and fires events.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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

    @property
    def arrived(self) -> bool:
        return self.final_state == "arrived"


class _SimDrive:
    """The simulated rover seen through the behaviour's Drive interface."""

    def __init__(self, rover: SimRover) -> None:
        self.rover = rover

    def position_xy(self) -> tuple[float, float]:
        return (self.rover.state.x_m, self.rover.state.y_m)

    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None:
        self.rover.follow(path_xy_m)

    def stop(self) -> None:
        self.rover.stop()

    @property
    def moving(self) -> bool:
        return self.rover.moving

    @property
    def odometer_m(self) -> float:
        return self.rover.state.odometer_m


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
    goal = TraverseGoal(
        mission.goal_xy_m, mission.goal_tolerance_m, mission.time_limit_s, mission.stall_timeout_s
    )
    behaviour = RoverTraverse(goal, geometry, local, drive, jobs, clock)

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
            rover.step(mission.tick_s)
            if now + 1e-9 >= next_frame_s:
                _sense(world, camera, emap, local, rover)
                frames += 1
                next_frame_s = now + frame_period_s
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
    )


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
