"""A small simulated patrol under the supervisor: one rover drives to a list of waypoints (one
:class:`~ilrs_auto.mission.rover_traverse.RoverTraverse` leg each) on a small grid with a wall
and rocks it only sees when close, while :class:`~ilrs_auto.mission.safe_mode.SafeMode` watches
for the night, checkpoints the mission and hibernates through it.

It exercises what the supervisor is for (preemption and resumption, replans, checkpoints,
recording, replay) in well under a second, and is what the supervisor's tests and benchmark
fly. Everything is deterministic: the same configuration gives the same transitions at the
same mission times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.jobs import PlanJobRunner
from ilrs_auto.mission.recorder import McapRecorder
from ilrs_auto.mission.replay import FlatCostmap, RecordedDrive
from ilrs_auto.mission.rover_traverse import RoverTraverse, TraverseGoal
from ilrs_auto.mission.safe_mode import SafeMode
from ilrs_auto.mission.supervisor import Supervisor
from ilrs_auto.planning import make_planner
from ilrs_auto.sim.rover import RoverState, SimRover, SimRoverDrive

GEOMETRY = GridGeometry(rows=40, cols=40, resolution_m=1.0)


@dataclass(frozen=True)
class PatrolConfig:
    start_xy_m: tuple[float, float] = (4.5, 4.5)
    waypoints_xy_m: tuple[tuple[float, float], ...] = ((34.5, 6.5), (34.5, 34.5), (5.5, 34.5))
    # Rocks the prior map does not show, seen within sensing_range_m: (row, col) cells.
    hidden_rocks: tuple[tuple[int, int], ...] = ((5, 20), (6, 20), (7, 20), (5, 21), (6, 21))
    sensing_range_m: float = 6.0
    nights_s: tuple[tuple[float, float], ...] = ((50.0, 110.0),)  # (dark from, dark until)
    tick_s: float = 0.5
    speed_mps: float = 1.0
    yaw_rate_dps: float = 90.0
    planning_latency_s: float = 1.0
    time_limit_s: float = 1000.0


class Patrol:
    """The patrol mission; :meth:`step` flies one tick, :meth:`run` flies to the end."""

    def __init__(
        self,
        config: PatrolConfig | None = None,
        log_path: Path | None = None,
        checkpoint_path: Path | None = None,
    ) -> None:
        self.config = config = config or PatrolConfig()
        self.clock = SimClock()
        recorder = McapRecorder(log_path) if log_path is not None else None
        self.supervisor = Supervisor(self.clock, recorder, checkpoint_path)
        self.costmap = FlatCostmap(GEOMETRY)
        self.costmap.cost[20, 0:30] = np.inf  # a wall the legs drive around
        self.revealed: list[int] = []
        sx, sy = config.start_xy_m
        self.rover = SimRover(RoverState(sx, sy, 0.0), config.speed_mps, config.yaw_rate_dps)
        self.drive = RecordedDrive(SimRoverDrive(self.rover), self.supervisor, "rover/drive")
        self.jobs = PlanJobRunner(
            make_planner("grid_astar"), config.planning_latency_s, deterministic=True
        )
        nights = config.nights_s
        self.safe_mode = SafeMode(
            self.clock,
            self.supervisor.checkpoints,
            dark=lambda now_s: any(a <= now_s < b for a, b in nights),
        )
        self.supervisor.add(self.safe_mode)
        self.legs: list[tuple[str, RoverTraverse]] = []
        for i, waypoint in enumerate(config.waypoints_xy_m):
            goal = TraverseGoal(waypoint, tolerance_m=1.0, time_limit_s=600.0, stall_timeout_s=30.0)
            leg = RoverTraverse(goal, GEOMETRY, self.costmap, self.drive, self.jobs, self.clock)
            self.legs.append((self.supervisor.add(leg, f"leg{i}"), leg))
        self.supervisor.add_state("world", self._save, self._load)
        self._sense()

    # ---- one tick --------------------------------------------------------------------------
    def step(self) -> None:
        in_control = self.supervisor.in_control
        for key, leg in self.legs:
            if key == in_control and leg.state == "idle":
                leg.start()
        dt = self.config.tick_s
        self.clock.advance(dt)
        self.rover.step(dt)
        self._sense()
        self.supervisor.tick()

    @property
    def done(self) -> bool:
        return all(leg.finished for _, leg in self.legs) or (
            self.clock.now_s >= self.config.time_limit_s
        )

    def run(self) -> None:
        while not self.done:
            self.step()

    @property
    def waypoints_reached(self) -> int:
        return sum(leg.state == "arrived" for _, leg in self.legs)

    def close(self) -> None:
        self.supervisor.close()
        self.jobs.close()

    # ---- the world -------------------------------------------------------------------------
    def _sense(self) -> None:
        s = self.rover.state
        for i, (row, col) in enumerate(self.config.hidden_rocks):
            if i in self.revealed:
                continue
            x, y = GEOMETRY.centre_of(Cell(row, col))
            if math.hypot(x - s.x_m, y - s.y_m) <= self.config.sensing_range_m:
                self.costmap.cost[row, col] = np.inf
                self.revealed.append(i)

    def _save(self) -> dict[str, Any]:
        s = self.rover.state
        return {
            "rover": {
                "x_m": s.x_m,
                "y_m": s.y_m,
                "heading_rad": s.heading_rad,
                "odometer_m": s.odometer_m,
            },
            "path_xy_m": self.rover._path.tolist(),
            "path_index": self.rover._index,
            "revealed": list(self.revealed),
        }

    def _load(self, data: dict[str, Any]) -> None:
        r = data["rover"]
        self.rover.state = RoverState(r["x_m"], r["y_m"], r["heading_rad"], r["odometer_m"])
        self.rover._path = np.asarray(data["path_xy_m"], np.float64).reshape(-1, 2)
        self.rover._index = int(data["path_index"])
        self.revealed = [int(i) for i in data["revealed"]]
        for i in self.revealed:
            row, col = self.config.hidden_rocks[i]
            self.costmap.cost[row, col] = np.inf


__all__ = ["GEOMETRY", "Patrol", "PatrolConfig"]
