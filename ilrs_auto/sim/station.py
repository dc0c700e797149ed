"""Every registered behaviour under one supervisor: a small simulated station that the
all-behaviours test and the supervisor benchmark fly.

One :class:`~ilrs_auto.mission.supervisor.Supervisor` on one :class:`SimClock` (1 s ticks) runs:

- ``safe_mode`` (SAFETY): dark during ``night_s``, it checkpoints and hibernates;
- ``lander`` (POWER_THERMAL): the command centre on its simulated bus (illumination 0 during the
  night), one :class:`~ilrs_auto.sim.lander_sim.SimRobot` reporting and Earth's ground station;
  an instrument load too big for the bus is asked for during ``overload_s`` so it sheds loads;
- ``rover_traverse`` (SCIENCE): one leg on a small open grid with a :class:`SimRover`;
- ``sample_collection`` (SCIENCE): a drill core next to the leg's goal with the simulated drill
  and sample cache, on the same rover;
- ``tube_exploration`` (SCIENCE): the default :class:`TubeScenario` with its simulated robot.

Science behaviours of equal priority run in the order added (the supervisor's tie rule): each
is started when it first gets control.

The lander's power duty runs every tick in its ``watch()`` (whether in control or not); it
claims control only while that duty acts on the robots (loads shed, night, downlinking, fault,
safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware_bridge.dictionary import default_dictionary
from ilrs_auto.geometry import GridGeometry
from ilrs_auto.mission.behaviour import Behaviour
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.lander import (
    ContactWindows,
    EarthLink,
    LanderCommandCentre,
    LanderConfig,
    LoadClass,
    LoadRequest,
    PowerBus,
    PowerConfig,
    RobotPort,
    TelemetryStore,
)
from ilrs_auto.mission.recorder import McapRecorder
from ilrs_auto.mission.replay import FlatCostmap, RecordedDrive
from ilrs_auto.mission.rover_traverse import RoverTraverse, TraverseGoal
from ilrs_auto.mission.safe_mode import SafeMode
from ilrs_auto.mission.sample_collection import SampleCollection, SamplingTask
from ilrs_auto.mission.supervisor import Supervisor
from ilrs_auto.mission.tube_exploration import TubeExploration, TubePlanJobRunner
from ilrs_auto.perception.voxels import VoxelMap
from ilrs_auto.planning import make_planner
from ilrs_auto.planning.tube import TubePlanner
from ilrs_auto.sim.instruments import RegolithProfile, SimSampleCache, SimTool, default_tool_config
from ilrs_auto.sim.lander_sim import SimEarth, SimRobot, sim_keys
from ilrs_auto.sim.rover import RoverState, SimRover, SimRoverDrive
from ilrs_auto.sim.tube_mission import (
    SimTubeRobot,
    TubeScenario,
    build_tube_world,
    exploration_config,
)

GEOMETRY = GridGeometry(rows=20, cols=20, resolution_m=1.0)
OVERLOAD = LoadRequest("spectrometer_heater", LoadClass.INSTRUMENTS, 5000.0)


@dataclass(frozen=True)
class StationConfig:
    tick_s: float = 1.0
    start_xy_m: tuple[float, float] = (2.5, 2.5)
    goal_xy_m: tuple[float, float] = (12.5, 2.5)
    site_cell: tuple[int, int] = (3, 13)  # centre (13.5, 3.5): 1.4 m from the goal, in reach
    overload_s: tuple[float, float] = (5.0, 12.0)  # an instrument asks more than the bus has
    night_s: tuple[float, float] = (420.0, 480.0)
    time_limit_s: float = 2000.0


class Station:
    """The station; :meth:`step` flies one tick, :meth:`run` until every science behaviour is
    finished. ``folder`` holds the lander's store and the checkpoint."""

    def __init__(
        self, folder: Path, config: StationConfig | None = None, log_path: Path | None = None
    ) -> None:
        self.config = config = config or StationConfig()
        self.clock = clock = SimClock()
        recorder = McapRecorder(log_path) if log_path is not None else None
        self.supervisor = sup = Supervisor(clock, recorder, Path(folder) / "station.ckpt")
        night_from, night_to = config.night_s
        self.safe_mode = SafeMode(
            clock, sup.checkpoints, dark=lambda now_s: night_from <= now_s < night_to
        )
        sup.add(self.safe_mode)

        # The lander, its robot and Earth.
        dictionary = default_dictionary()
        keys = sim_keys(dictionary)
        lander_config = LanderConfig(period_s=config.tick_s)
        power = PowerConfig()
        self.bus = PowerBus(
            power, lambda t: 0.0 if night_from <= t < night_to else 1.0, clock.now_s
        )
        self.lander_robot = SimRobot("rover_r1", dictionary, keys, clock, hk_period_s=30.0)
        self.earth = SimEarth()
        self.lander = LanderCommandCentre(
            lander_config,
            power,
            self.bus,
            TelemetryStore(Path(folder) / "lander.store", fsync=False),
            EarthLink(self.earth.lander_transport, ContactWindows(())),
            [RobotPort("rover_r1", self.lander_robot.lander_transport)],
            dictionary,
            keys,
            clock,
        )
        sup.add(self.lander)

        # The rover: a traverse leg, then a drill core beside its goal.
        self.costmap = FlatCostmap(GEOMETRY)
        sx, sy = config.start_xy_m
        self.rover = SimRover(RoverState(sx, sy, 0.0), 1.0, 90.0)
        self.drive = RecordedDrive(SimRoverDrive(self.rover), sup, "rover/drive")
        self.jobs = PlanJobRunner(make_planner("grid_astar"), 1.0, deterministic=True)
        self.traverse = RoverTraverse(
            TraverseGoal(config.goal_xy_m, tolerance_m=0.5, time_limit_s=600.0),
            GEOMETRY,
            self.costmap,
            self.drive,
            self.jobs,
            clock,
        )
        sup.add(self.traverse)
        value = np.zeros(GEOMETRY.shape)
        value[config.site_cell] = 1.0
        self.tool = SimTool(default_tool_config("drill"), RegolithProfile.uniform(5.0, 1.6), ())
        self.cache = SimSampleCache.with_containers(self.tool, 2, capacity_g=250.0)
        self.sampling = SampleCollection(
            SamplingTask(tool="drill", depth_cm=10.0),
            GEOMETRY,
            self.costmap,
            value,
            self.drive,
            self.jobs,
            self.tool,
            self.cache,
            clock,
        )
        sup.add(self.sampling)

        # The tube explorer.
        scenario = TubeScenario()
        world = build_tube_world(scenario)
        self.tube_robot = SimTubeRobot(scenario, world, clock)
        voxel_map = VoxelMap(world.grid)
        planner = TubePlanner(scenario.robot.body_radius_m)
        self.tube_jobs = TubePlanJobRunner(
            planner, scenario.mission.plan_latency_s, deterministic=True
        )
        self.tube = TubeExploration(
            exploration_config(scenario, world),
            self.tube_robot,
            voxel_map,
            self.tube_jobs,
            clock,
            required_field_m=planner.required_field_m(voxel_map),
        )
        sup.add(self.tube)
        self.science: list[Behaviour] = [self.traverse, self.sampling, self.tube]
        self.lander.start()

    def step(self) -> None:
        config = self.config
        in_control = self.supervisor.behaviours.get(self.supervisor.in_control or "")
        if in_control in self.science and in_control is not None and in_control.state == "idle":
            in_control.trigger("start")
        now = self.clock.now_s
        if config.overload_s[0] <= now < config.overload_s[1]:
            self.lander.request_power(OVERLOAD)
        else:
            self.lander.release_power(OVERLOAD.name)
        self.lander_robot.step()
        dt = config.tick_s
        self.clock.advance(dt)
        self.rover.step(dt)
        self.tube_robot.step(dt)
        self.supervisor.tick()

    @property
    def done(self) -> bool:
        return all(b.finished for b in self.science) or self.clock.now_s >= self.config.time_limit_s

    def run(self) -> None:
        while not self.done:
            self.step()

    def close(self) -> None:
        self.supervisor.close()
        self.jobs.close()
        self.tube_jobs.close()


__all__ = ["GEOMETRY", "Station", "StationConfig"]
