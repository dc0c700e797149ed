"""The robot a sequence dry run commands: the simulated rover on the scenario's terrain, and the
rover MCU model behind its commands.

Each ``drive_to`` is one traverse flown by :func:`ilrs_auto.sim.runner.run_mission`: the traverse
behaviour plans, drives and replans around the rocks its depth camera sees, from where the
previous drive ended to the target. Limits, stated so that nobody mistakes them for more:
every drive builds its world for that leg (the scenario's DEM, rocks placed by the scenario's
seed around the leg) and starts a fresh perception map from the orbital prior; the rover's
pose carries over between drives, what it saw does not.

Each ``sample`` is one run of the sample-collection behaviour
(:func:`ilrs_auto.sim.sampling_mission.run_sample_leg`) where the rover stands: it chooses the
best site of the science-value map (made from the leg's world, default weights) within
``SAMPLE_SEARCH_RADIUS_M``, approaches it, and works the simulated scoop or drill over a seeded
regolith profile; the step's ``duration_s`` is the acquisition time limit. Containers and the
chain of custody (:attr:`SimulatedRobot.custody`) carry over between samples.

MCU commands are encoded with the dictionary, decoded as the MCU would, and carried out by
:class:`firmware_bridge.sim_mcu.RoverMcuModel` (the model behind the Python reference endpoint);
the result is its acknowledgement status. A ``DRIVE`` turns the model's wheels; the terrain
rover does not move (wheel-level driving is not simulated on the terrain).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import TYPE_CHECKING

from firmware_bridge.dictionary import AckStatus, default_dictionary
from firmware_bridge.sim_mcu import RoverMcuModel
from ilrs_auto.errors import InputError
from ilrs_auto.mission.sample_collection import CustodyLog
from ilrs_auto.mission.sequence import MCU_COMMAND_S, McuCommand, Sample, SequenceFile
from ilrs_auto.mission.sequence_executor import (
    DriveResult,
    McuResult,
    RunLog,
    SampleResult,
    SequenceExecutor,
)
from ilrs_auto.sim.runner import run_mission
from ilrs_auto.sim.scenario import Scenario, load_scenario
from ilrs_auto.sim.world import build_world

if TYPE_CHECKING:
    from ilrs_auto.sim.instruments import SimSampleCache

SAMPLE_SEARCH_RADIUS_M = 3.0
"""A ``sample`` step looks for its site this far around where the rover stands."""

# The world's checks on a leg's start and goal, as the traverse events they would be.
_LEG_EVENTS = (
    ("mission.start_xy_m", "outside the map", "start_outside_map"),
    ("mission.goal_xy_m", "outside the map", "goal_outside_map"),
    ("mission.start_xy_m", "on a hazard", "hazard_at_start"),
    ("mission.goal_xy_m", "on a hazard", "goal_on_hazard"),
)


class SimulatedRobot:
    """A :class:`~ilrs_auto.mission.sequence_executor.SequenceRobot` in simulation."""

    def __init__(
        self,
        scenario: Scenario,
        start_xy_m: tuple[float, float] | None = None,
        battery_soc_pct: float = 95.0,
    ) -> None:
        self.scenario = scenario
        x, y = start_xy_m if start_xy_m is not None else scenario.mission.start_xy_m
        self._x, self._y = float(x), float(y)
        self._heading_deg = scenario.mission.start_heading_deg
        self._odometer_m = 0.0
        self.mcu = RoverMcuModel(battery_soc_pct=battery_soc_pct)
        self.legs = 0
        self.custody = CustodyLog()
        self._cache: SimSampleCache | None = None

    @property
    def position_xy_m(self) -> tuple[float, float]:
        return (self._x, self._y)

    @property
    def odometer_m(self) -> float:
        return self._odometer_m

    @property
    def mcu_mode(self) -> str:
        return default_dictionary().enums["mode"].name_of(self.mcu.mode) or str(self.mcu.mode)

    def drive_to(
        self, goal_xy_m: tuple[float, float], speed_mps: float, tolerance_m: float, timeout_s: float
    ) -> DriveResult:
        base = self.scenario
        mission = dataclasses.replace(
            base.mission,
            start_xy_m=(self._x, self._y),
            goal_xy_m=goal_xy_m,
            start_heading_deg=self._heading_deg,
            goal_tolerance_m=tolerance_m,
            time_limit_s=timeout_s,
        )
        leg = dataclasses.replace(
            base, mission=mission, rover=dataclasses.replace(base.rover, speed_mps=speed_mps)
        )
        self.legs += 1
        try:
            world = build_world(leg)
        except InputError as error:
            text = str(error)
            for key, words, event in _LEG_EVENTS:
                if key in text and words in text:
                    return DriveResult(False, 0.0, 0.0, "fault", event, text.split(": ", 2)[-1])
            raise
        record = run_mission(leg, world)
        path = record.driven_xy_m
        if len(path) >= 2:
            dx, dy = path[-1] - path[-2]
            self._heading_deg = math.degrees(math.atan2(dy, dx))
        self._x, self._y = float(path[-1][0]), float(path[-1][1])
        self._odometer_m += record.distance_m
        transitions = tuple((t.time_s, t.event, t.source, t.dest) for t in record.transitions)
        replans = len(record.replan_causes)
        detail = (
            f"{record.final_state} after {record.distance_m:.1f} m, {replans} replan(s)"
            if record.arrived
            else f"{record.fault.event if record.fault else record.final_state} after "
            f"{record.distance_m:.1f} m; ended {record.final_state}"
        )
        return DriveResult(
            arrived=record.arrived,
            duration_s=record.mission_time_s,
            distance_m=record.distance_m,
            final_state=record.final_state,
            event=None if record.arrived else (record.fault.event if record.fault else None),
            detail=detail,
            transitions=transitions,
        )

    def mcu_command(self, command: McuCommand, now_s: float) -> McuResult:
        dictionary = default_dictionary()
        definition, arg_bytes = dictionary.encode_args(command.name, command.args)
        received = dictionary.decode_args(definition, arg_bytes)  # what the MCU would see
        now_ms = round(now_s * 1000)
        result = self.mcu.execute(definition, received, now_ms)
        duration_s = MCU_COMMAND_S
        events = [name for name, _ in result.events]
        if command.name == "DRIVE" and result.status is AckStatus.ACCEPTED:
            duration_s = max(MCU_COMMAND_S, int(received["duration_ms"]) / 1000.0)
            events += [name for name, _ in self.mcu.tick(now_ms + round(duration_s * 1000)).events]
        status = AckStatus(result.status).name
        detail = f"{status} by the MCU model" + (
            f" (detail {result.detail})" if result.detail else ""
        )
        if events:
            detail += f"; events {', '.join(events)}"
        if command.name == "DRIVE" and result.status is AckStatus.ACCEPTED:
            detail += "; only the MCU model's wheels turned, the terrain rover did not move"
        return McuResult(AckStatus(result.status).succeeded, status, duration_s, detail)

    def sample(self, command: Sample, now_s: float) -> SampleResult:
        from ilrs_auto.sim.instruments import (
            RegolithProfile,
            SimSampleCache,
            SimTool,
            default_tool_config,
        )
        from ilrs_auto.sim.sampling_mission import (
            SamplingConfig,
            ScienceMapConfig,
            run_sample_leg,
            science_map,
        )

        here = (self._x, self._y)
        leg = dataclasses.replace(
            self.scenario,
            mission=dataclasses.replace(self.scenario.mission, start_xy_m=here, goal_xy_m=here),
        )
        try:
            world = build_world(leg)
        except InputError as error:
            text = str(error)
            if "mission.start_xy_m" in text and "on a hazard" in text:
                return SampleResult(False, 0.0, "idle", "hazard_at_start", text.split(": ", 2)[-1])
            raise
        config = SamplingConfig(
            tool=command.tool,
            depth_cm=command.depth_cm,
            container=command.container,
            search_radius_m=SAMPLE_SEARCH_RADIUS_M,
            acquire_time_limit_s=command.duration_s,
        )
        profile = RegolithProfile.generate([self.scenario.seed, 4, len(self.custody)])
        tool = SimTool(default_tool_config(command.tool), profile, (), now_s)
        if self._cache is None:
            self._cache = SimSampleCache.with_containers(tool, 12, config.container_capacity_g)
        self._cache.tool = tool
        science = science_map(world, ScienceMapConfig(), self.scenario.seed)
        result = run_sample_leg(
            leg,
            world,
            science,
            config,
            (self._x, self._y, math.radians(self._heading_deg)),
            now_s,
            self.custody,
            store_tool=(self._cache, tool),
        )
        path = result.driven_xy_m
        distance = sum(math.dist(a, b) for a, b in itertools.pairwise(path))
        self._x, self._y = path[-1]
        self._heading_deg = math.degrees(result.heading_rad)
        self._odometer_m += distance
        transitions = tuple(
            (t.time_s - now_s, t.event, t.source, t.dest) for t in result.transitions
        )
        done = result.final_state == "done" and result.record is not None
        if done and result.record is not None:
            entry = result.record
            detail = (
                f"{entry.mass_g:.1f} g at ({entry.site_x_m:.2f}, {entry.site_y_m:.2f}) into "
                f"container {entry.container_id}, sealed and cached"
            )
        else:
            fault = result.fault
            detail = (
                f"{fault.event if fault else result.final_state}; ended {result.final_state}"
                + (f" ({fault.detail})" if fault and fault.detail else "")
            )
        return SampleResult(
            succeeded=done,
            duration_s=result.end_s - now_s,
            final_state=result.final_state,
            event=None if done else (result.fault.event if result.fault else result.final_state),
            detail=detail,
            custody=result.record.to_json() if result.record is not None else None,
            distance_m=distance,
            transitions=transitions,
        )

    def stop(self, now_s: float) -> None:
        self.mcu.execute(default_dictionary().command("STOP"), {}, round(now_s * 1000))

    def explore_tube(self, time_limit_s: float, link_gap_limit_s: float | None) -> DriveResult:
        return DriveResult(
            False,
            0.0,
            0.0,
            "idle",
            "command_rejected",
            "explore_tube needs a lava_tube scenario; this sequence's scenario is a traverse",
        )


def dry_run(sequence: SequenceFile) -> RunLog:
    """Runs a (validated) sequence in simulation: its scenario's world (the shipped default
    scenario when it names none), from its start position."""
    from ilrs_auto.assets import default_scenario_path
    from ilrs_auto.mission_kinds import kind_of

    path = sequence.scenario_path() or default_scenario_path()
    if kind_of(path) == "lava_tube":
        from ilrs_auto.sim.tube_mission import TubeSequenceRobot, load_tube_scenario

        tube_robot = TubeSequenceRobot(load_tube_scenario(path))
        return SequenceExecutor(sequence, tube_robot).run()
    scenario = load_scenario(path)
    robot = SimulatedRobot(scenario, sequence.start_xy_m, sequence.power.initial_soc_pct)
    return SequenceExecutor(sequence, robot).run()


__all__ = ["SimulatedRobot", "dry_run"]
