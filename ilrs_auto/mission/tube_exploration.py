"""Lava-tube exploration (ILRS-2): approach a skylight, descend, explore by frontiers on the 3D
voxel map, keep the radio link to the surface with dropped relays, and come back up when the
energy or time margin runs out.

The behaviour is data: the state list and transition table below, run by ``transitions``'
HierarchicalMachine (queued, any exception in a callback leading to FAULT). States start work on
entry (a drive, the winch, a scan, a plan job) and cancel it on exit; :meth:`TubeExploration.tick`
only reads results and fires events. Time is the mission clock's.

    IDLE --start--> APPROACHING --at_skylight--> DESCENDING --touched_down-->
    EXPLORING[SCANNING --frontier_chosen--> PLANNING --path_ready--> MOVING --viewpoint_reached-->
              SCANNING]
    EXPLORING --no_frontier (exploration complete) | energy_low | time_up--> RETURNING
    RETURNING[PLANNING --path_ready--> MOVING --leg_done--> PLANNING]  (via the relays, last
              dropped first, to the skylight foot)  --reached_skylight--> ASCENDING
    ASCENDING --surfaced--> DONE
    every planning failure (the :mod:`ilrs_auto.mission.events` table), planner_error,
    tether_limit, relay_exhausted, link_lost, sensor_dropout, drive_stalled, energy_critical,
    mission_timeout, an exception --> FAULT --safed (robot stopped)--> SAFE

The radio: a node (the surface's antenna at the skylight, or a dropped relay) links with the
robot when the straight segment between them is clear and no longer than ``radio_range_m``.
While the robot moves, the behaviour predicts the link at a point ``relay_lookahead_m`` ahead
on its path from the voxel map (only voxels known free are clear); if the link would be lost
there while it still holds, the robot drops a relay where it stands. A link that stays down
longer than ``link_gap_limit_s`` is ``link_lost``.

Energy: the behaviour estimates what the way back costs (via the relays to the skylight foot,
times ``detour_factor``, at ``drive_w + hotel_w``, then the ascent at ``winch_w + hotel_w``).
It returns (``energy_low``) once the battery minus that estimate reaches ``reserve_wh``, and
faults (``energy_critical``) when the battery holds less than even the straight way back needs.
"""

from __future__ import annotations

import base64
import itertools
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
from transitions import EventData

from ilrs_auto.mission.behaviour import Behaviour, Priority
from ilrs_auto.mission.clock import MissionClock
from ilrs_auto.mission.events import PLANNING_FAILURE_EVENTS, event_for
from ilrs_auto.mission.jobs import Job, JobWorker
from ilrs_auto.perception.voxels import VoxelMap, VoxelState
from ilrs_auto.planning.base import CancelToken
from ilrs_auto.planning.errors import PlanningError
from ilrs_auto.planning.tube import TubePlan

FloatArray = npt.NDArray[np.float64]
Point: TypeAlias = tuple[float, float, float]


class TubeState(str, Enum):
    IDLE = "idle"
    APPROACHING = "approaching"
    DESCENDING = "descending"
    SCANNING = "exploring_scanning"
    PLANNING = "exploring_planning"
    MOVING = "exploring_moving"
    RETURN_PLANNING = "returning_planning"
    RETURN_MOVING = "returning_moving"
    ASCENDING = "ascending"
    DONE = "done"
    FAULT = "fault"
    SAFE = "safe"


STATES: list[Any] = [
    "idle",
    "approaching",
    "descending",
    {"name": "exploring", "children": ["scanning", "planning", "moving"], "initial": "scanning"},
    {"name": "returning", "children": ["planning", "moving"], "initial": "planning"},
    "ascending",
    "done",
    "fault",
    "safe",
]

ACTIVE = ["approaching", "descending", "exploring", "returning", "ascending"]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start", "source": "idle", "dest": "approaching"},
    {"trigger": "at_skylight", "source": "approaching", "dest": "descending"},
    {"trigger": "touched_down", "source": "descending", "dest": "exploring"},
    {"trigger": "frontier_chosen", "source": "exploring_scanning", "dest": "exploring_planning"},
    {"trigger": "path_ready", "source": "exploring_planning", "dest": "exploring_moving"},
    {"trigger": "viewpoint_reached", "source": "exploring_moving", "dest": "exploring_scanning"},
    {"trigger": "replan", "source": "exploring_moving", "dest": "exploring_planning"},
    {"trigger": "no_frontier", "source": "exploring_scanning", "dest": "returning"},
    {"trigger": "energy_low", "source": "exploring", "dest": "returning"},
    {"trigger": "time_up", "source": "exploring", "dest": "returning"},
    {"trigger": "path_ready", "source": "returning_planning", "dest": "returning_moving"},
    {"trigger": "leg_done", "source": "returning_moving", "dest": "returning_planning"},
    {"trigger": "replan", "source": "returning_moving", "dest": "returning_planning"},
    {"trigger": "reached_skylight", "source": "returning", "dest": "ascending"},
    {"trigger": "surfaced", "source": "ascending", "dest": "done"},
    *(
        {"trigger": event, "source": ["exploring", "returning"], "dest": "fault"}
        for event in PLANNING_FAILURE_EVENTS.values()
    ),
    {"trigger": "planner_error", "source": ["exploring", "returning"], "dest": "fault"},
    {"trigger": "tether_limit", "source": ["descending", "ascending"], "dest": "fault"},
    {"trigger": "relay_exhausted", "source": ["exploring", "returning"], "dest": "fault"},
    {"trigger": "link_lost", "source": ACTIVE, "dest": "fault"},
    {"trigger": "sensor_dropout", "source": "exploring_scanning", "dest": "fault"},
    {
        "trigger": "drive_stalled",
        "source": [
            "approaching",
            "descending",
            "exploring_moving",
            "returning_moving",
            "ascending",
        ],
        "dest": "fault",
    },
    {"trigger": "energy_critical", "source": ACTIVE, "dest": "fault"},
    {"trigger": "mission_timeout", "source": ACTIVE, "dest": "fault"},
    {"trigger": "safed", "source": "fault", "dest": "safe"},
    {"trigger": "enter_safe_mode", "source": ["idle", *ACTIVE, "done"], "dest": "safe"},
]

FAULT_EVENTS = frozenset(
    {
        *PLANNING_FAILURE_EVENTS.values(),
        "planner_error",
        "tether_limit",
        "relay_exhausted",
        "link_lost",
        "sensor_dropout",
        "drive_stalled",
        "energy_critical",
        "mission_timeout",
        "exception",
    }
)


# ---- what the behaviour commands ------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """One sweep of the depth sensor: (N, 3) site-frame points seen from ``origin_m``."""

    points_m: FloatArray
    origin_m: Point


class TubeRobot(Protocol):
    """The tube robot: a real one through the bridge, or :class:`ilrs_auto.sim.tube_mission.
    SimTubeRobot`."""

    @property
    def position_m(self) -> Point: ...
    @property
    def moving(self) -> bool:
        """Driving along a path or on the winch."""
        ...

    @property
    def odometer_m(self) -> float:
        """Distance travelled, winch included."""
        ...

    @property
    def battery_wh(self) -> float: ...
    @property
    def link_up(self) -> bool:
        """The radio hears the surface (directly or through relays)."""
        ...

    @property
    def relays_left(self) -> int: ...
    def follow(self, waypoints_m: FloatArray) -> None: ...
    def winch_to(self, z_m: float) -> None:
        """Straight up or down at the descent rate; stops at the tether's end."""
        ...

    def stop(self) -> None: ...
    def request_scan(self) -> None: ...
    def take_scan(self) -> Scan | None:
        """The requested scan once it is complete, else None."""
        ...

    def drop_relay(self) -> Point | None:
        """Drops a relay where the robot stands: its position, or None with none left."""
        ...


class LineOfSight(Protocol):
    def clear(self, a_m: Point, b_m: Point) -> bool: ...


class VoxelLineOfSight:
    """A segment is clear when every voxel it passes through (not just grazes) is known free,
    the voxels of its two ends excepted."""

    def __init__(self, voxel_map: VoxelMap) -> None:
        self.map = voxel_map

    def clear(self, a_m: Point, b_m: Point) -> bool:
        voxels, t = self.map.grid.voxels_on_segment(a_m, b_m)
        crossed = voxels[(t[:, 1] - t[:, 0]) > 1e-9]
        ends = self.map.grid.voxel_of(np.array([a_m, b_m]))
        inner = ~(np.all(crossed[:, None, :] == ends[None, :, :], axis=2).any(axis=1))
        states = self.map.states(crossed[inner])
        return bool(np.all(states == VoxelState.FREE))


def dilate6(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``mask`` grown by one voxel across faces (inside the grid)."""
    out: npt.NDArray[np.bool_] = mask.copy()
    for axis in range(3):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], hi[axis] = slice(None, -1), slice(1, None)
        out[tuple(lo)] |= mask[tuple(hi)]
        out[tuple(hi)] |= mask[tuple(lo)]
    return out


def flood_fill(mask: npt.NDArray[np.bool_], seed: tuple[int, int, int]) -> npt.NDArray[np.bool_]:
    """The face-connected part of ``mask`` holding ``seed`` (empty if ``seed`` is not in it)."""
    region = np.zeros_like(mask)
    if not mask[seed]:
        return region
    region[seed] = True
    while True:
        grown = dilate6(region) & mask
        if np.array_equal(grown, region):
            return region
        region = grown


def linked(point_m: Point, nodes_m: Sequence[Point], range_m: float, los: LineOfSight) -> bool:
    """Does some node reach ``point_m`` (in range, line of sight clear)?"""
    p = np.asarray(point_m)
    for node in nodes_m:
        if float(np.linalg.norm(p - np.asarray(node))) <= range_m and los.clear(node, point_m):
            return True
    return False


# ---- plan jobs ----------------------------------------------------------------------------

Outcome: TypeAlias = TubePlan | PlanningError | Exception


class TubePlanner(Protocol):
    name: str

    def plan(
        self,
        voxel_map: VoxelMap,
        start_m: npt.ArrayLike,
        goal_m: npt.ArrayLike,
        timeout_s: float = 0.0,
        cancel: CancelToken | None = None,
    ) -> TubePlan: ...


TubePlanJob: TypeAlias = Job[TubePlan]


def snapshot(voxel_map: VoxelMap) -> VoxelMap:
    """A copy of the map for a planner in another thread (the original keeps fusing scans)."""
    copy = VoxelMap(voxel_map.grid, voxel_map.occupancy)
    copy.set_log_odds(np.array(voxel_map.log_odds))
    return copy


class TubePlanJobRunner(JobWorker):
    """3D plans in a worker thread, delivered at ``submitted + latency_s`` of mission time under
    a deterministic clock (as :class:`ilrs_auto.mission.jobs.PlanJobRunner` does in 2D)."""

    def __init__(self, planner: TubePlanner, latency_s: float, deterministic: bool) -> None:
        super().__init__(latency_s, deterministic, "ilrs-tube-plan")
        self.planner = planner

    def submit(
        self, voxel_map: VoxelMap, start_m: Point, goal_m: Point, timeout_s: float, now_s: float
    ) -> TubePlanJob:
        copy = snapshot(voxel_map)  # taken now: the original keeps fusing scans

        def search(token: CancelToken) -> TubePlan:
            return self.planner.plan(copy, start_m, goal_m, timeout_s, token)

        return self.run(search, now_s)


# ---- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TubeExplorationConfig:
    skylight_m: Point  # on the surface, at the skylight's centre
    foot_m: Point  # where the descent ends, inside the tube below the skylight
    surface_node_m: Point  # the surface's antenna as the tube sees it (in the skylight)
    surface_z_m: float
    speed_mps: float = 0.3
    descent_rate_mps: float = 0.2
    tether_length_m: float = 40.0
    radio_range_m: float = 25.0
    link_gap_limit_s: float = 30.0
    relay_lookahead_m: float = 2.0
    min_relay_spacing_m: float = 2.0
    sensor_range_m: float = 15.0
    drive_w: float = 60.0
    scan_w: float = 25.0
    hotel_w: float = 20.0
    winch_w: float = 40.0
    reserve_wh: float = 20.0
    detour_factor: float = 1.5
    time_limit_s: float = 7200.0
    time_reserve_s: float = 300.0
    scan_timeout_s: float = 30.0
    stall_timeout_s: float = 30.0
    plan_timeout_s: float = 10.0
    frontier_min_size: int = 20
    viewpoint_max_distance_m: float = 6.0
    revisit_radius_m: float = 1.5
    arrival_tolerance_m: float = 0.3

    def __post_init__(self) -> None:
        for name in (
            "speed_mps",
            "descent_rate_mps",
            "tether_length_m",
            "radio_range_m",
            "sensor_range_m",
            "detour_factor",
            "time_limit_s",
        ):
            value = getattr(self, name)
            finite = math.isfinite(value) or name == "tether_length_m"  # inf: a ramp
            if not (finite and value > 0.0):
                raise ValueError(f"{name} must be finite and > 0, got {value}")


def _dist(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))


def _point(value: npt.ArrayLike) -> Point:
    p = np.asarray(value, np.float64).reshape(3)
    return (float(p[0]), float(p[1]), float(p[2]))


# ---- the behaviour ------------------------------------------------------------------------------


class TubeExploration(Behaviour):
    """The exploration of one lava tube by one robot. Call :meth:`tick` once per control
    period; the voxel map is the behaviour's (it fuses the scans it asked for)."""

    name = "tube_exploration"
    priority = Priority.SCIENCE
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    FINAL_STATES = frozenset({TubeState.DONE.value, TubeState.SAFE.value})

    start: Callable[..., bool]
    enter_safe_mode: Callable[..., bool]

    def __init__(
        self,
        config: TubeExplorationConfig,
        robot: TubeRobot,
        voxel_map: VoxelMap,
        jobs: TubePlanJobRunner,
        clock: MissionClock,
        required_field_m: float | None = None,
    ) -> None:
        self.config = config
        self.robot = robot
        self.map = voxel_map
        self.jobs = jobs
        self.los = VoxelLineOfSight(voxel_map)
        planner_field = getattr(jobs.planner, "required_field_m", None)
        self.required_field_m = (
            required_field_m
            if required_field_m is not None
            else (planner_field(voxel_map) if callable(planner_field) else 0.0)
        )
        self.relays: list[Point] = []
        self.scan_positions: list[Point] = []
        self.plans: list[tuple[float, TubePlan]] = []
        self.max_link_gap_s = 0.0
        self._job: TubePlanJob | None = None
        self._goal: Point | None = None
        self._path: FloatArray = np.empty((0, 3))
        self._return_goals: list[Point] = []
        self._started_s = math.nan
        self._last_link_s = math.nan
        self._scan_requested_s = math.nan
        self._progress_odometer_m = 0.0
        self._progress_time_s = 0.0
        super().__init__(clock)

    # ---- estimates -------------------------------------------------------------------------
    @property
    def nodes(self) -> list[Point]:
        """The radio nodes: the surface antenna, then the relays in the order dropped."""
        return [self.config.surface_node_m, *self.relays]

    def way_back_m(self, position_m: Point) -> float:
        """Straight-line length from ``position_m`` to the skylight foot: via the relays (last
        dropped first) while exploring, via the legs still ahead while returning."""
        if self.state.startswith("returning"):
            stops = [position_m, *self._return_goals]
        else:
            stops = [position_m, *reversed(self.relays), self.config.foot_m]
        return sum(_dist(a, b) for a, b in itertools.pairwise(stops))

    def _ascent_m(self, position_m: Point) -> float:
        z = position_m[2] if self.state == TubeState.ASCENDING else self.config.foot_m[2]
        return max(0.0, self.config.surface_z_m - z)

    def return_energy_wh(self, position_m: Point, detour_factor: float | None = None) -> float:
        """Energy to come back up to the surface from ``position_m``, Wh."""
        c = self.config
        factor = c.detour_factor if detour_factor is None else detour_factor
        drive_m = 0.0 if self.state == TubeState.ASCENDING else self.way_back_m(position_m)
        drive_s = factor * drive_m / c.speed_mps
        ascent_s = self._ascent_m(position_m) / c.descent_rate_mps
        return (drive_s * (c.drive_w + c.hotel_w) + ascent_s * (c.winch_w + c.hotel_w)) / 3600.0

    def return_time_s(self, position_m: Point) -> float:
        c = self.config
        return (
            c.detour_factor * self.way_back_m(position_m) / c.speed_mps
            + self._ascent_m(position_m) / c.descent_rate_mps
        )

    # ---- reading results -------------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock.now_s
        state = self.state
        if state == TubeState.FAULT:
            if not self.robot.moving:
                self.trigger("safed")
            return
        if state in self.FINAL_STATES or state == TubeState.IDLE:
            return
        if self._watch_link(now) or self._watch_margins(now, state):
            return
        if state == TubeState.APPROACHING:
            self._watch_arrival(now, self.config.skylight_m, "at_skylight")
        elif state == TubeState.DESCENDING:
            self._watch_winch(now, self.config.foot_m[2], "touched_down")
        elif state == TubeState.SCANNING:
            self._read_scan(now)
        elif state in (TubeState.PLANNING, TubeState.RETURN_PLANNING):
            self._read_plan(now)
        elif state in (TubeState.MOVING, TubeState.RETURN_MOVING):
            self._watch_move(now, state)
        elif state == TubeState.ASCENDING:
            self._watch_winch(now, self.config.surface_z_m, "surfaced")

    def _watch_link(self, now: float) -> bool:
        if self.robot.link_up:
            self._last_link_s = now
            return False
        gap = now - self._last_link_s
        self.max_link_gap_s = max(self.max_link_gap_s, gap)
        if gap > self.config.link_gap_limit_s:
            self.trigger(
                "link_lost",
                gap_s=gap,
                limit_s=self.config.link_gap_limit_s,
                position_m=self.robot.position_m,
            )
            return True
        return False

    def _watch_margins(self, now: float, state: str) -> bool:
        c = self.config
        position = self.robot.position_m
        battery = self.robot.battery_wh
        if now - self._started_s >= c.time_limit_s:
            self.trigger("mission_timeout", limit_s=c.time_limit_s)
            return True
        if state not in (TubeState.APPROACHING, TubeState.DESCENDING):
            straight = self.return_energy_wh(position, detour_factor=1.0)
            if battery < straight:
                self.trigger("energy_critical", battery_wh=battery, needed_wh=straight)
                return True
        if state.startswith("exploring"):
            needed = self.return_energy_wh(position)
            if battery - needed <= c.reserve_wh:
                self.trigger(
                    "energy_low", battery_wh=battery, return_wh=needed, reserve_wh=c.reserve_wh
                )
                return True
            time_back = self.return_time_s(position)
            if now - self._started_s + time_back >= c.time_limit_s - c.time_reserve_s:
                self.trigger("time_up", elapsed_s=now - self._started_s, return_s=time_back)
                return True
        return False

    def _stalled(self, now: float) -> bool:
        odometer = self.robot.odometer_m
        if odometer - self._progress_odometer_m >= 0.05:
            self._progress_odometer_m, self._progress_time_s = odometer, now
            return False
        return now - self._progress_time_s >= self.config.stall_timeout_s

    def _watch_arrival(self, now: float, goal_m: Point, event: str) -> None:
        if _dist(self.robot.position_m, goal_m) <= self.config.arrival_tolerance_m:
            self.trigger(event)
        elif self._stalled(now):
            self.trigger("drive_stalled", position_m=self.robot.position_m)

    def _watch_winch(self, now: float, z_m: float, event: str) -> None:
        position = self.robot.position_m
        if abs(position[2] - z_m) <= self.config.arrival_tolerance_m:
            self.trigger(event)
            return
        tether_out = self.config.surface_z_m - position[2]
        if not self.robot.moving and tether_out >= self.config.tether_length_m - 1e-6:
            self.trigger(
                "tether_limit",
                tether_m=self.config.tether_length_m,
                still_to_go_m=abs(position[2] - z_m),
            )
        elif self._stalled(now):
            self.trigger("drive_stalled", position_m=position)

    def _read_scan(self, now: float) -> None:
        scan = self.robot.take_scan()
        if scan is None:
            if now - self._scan_requested_s >= self.config.scan_timeout_s:
                self.trigger("sensor_dropout", waited_s=now - self._scan_requested_s)
            return
        self.map.insert_point_cloud(scan.points_m, scan.origin_m, self.config.sensor_range_m)
        self.scan_positions.append(scan.origin_m)
        choice = self.choose_viewpoint()
        if choice is None:
            self.trigger("no_frontier", scans=len(self.scan_positions))
        else:
            goal, size = choice
            self.trigger("frontier_chosen", goal_m=goal, frontier_voxels=size)

    def choose_viewpoint(self) -> tuple[Point, int] | None:
        """The place to go next and its frontier's size: for each frontier cluster (of at least
        ``frontier_min_size`` voxels), the voxel nearest its centroid that the planner may enter,
        reachable from the robot, within ``viewpoint_max_distance_m`` of the centroid and not
        within ``revisit_radius_m`` of an earlier scan; the best by size / (1 + distance)."""
        c = self.config
        clusters = self.map.frontier_clusters(26, c.frontier_min_size)
        if not clusters:
            return None
        field = self.map.distance_field_m(unknown_is_obstacle=True)
        enterable = np.asarray(self.map.free_mask) & (field >= self.required_field_m)
        here = self.map.grid.voxel_of(np.asarray(self.robot.position_m))[0]
        if not (self.map.grid.contains(here)[0] and enterable[tuple(here)]):
            return None
        reach = np.argwhere(flood_fill(enterable, (int(here[0]), int(here[1]), int(here[2]))))
        centres = self.map.grid.centers_m(reach)
        seen = np.asarray(self.scan_positions, np.float64).reshape(-1, 3)
        if len(seen):
            near_seen = np.min(
                np.linalg.norm(centres[:, None, :] - seen[None, :, :], axis=2), axis=1
            )
            centres = centres[near_seen > c.revisit_radius_m]
        if len(centres) == 0:
            return None
        robot = np.asarray(self.robot.position_m)
        best: tuple[float, Point, int] | None = None
        for cluster in clusters:
            d = np.linalg.norm(centres - np.asarray(cluster.centroid_m), axis=1)
            k = int(np.argmin(d))
            if d[k] > c.viewpoint_max_distance_m:
                continue
            score = cluster.size / (1.0 + float(np.linalg.norm(centres[k] - robot)))
            if best is None or score > best[0]:
                best = (score, _point(centres[k]), cluster.size)
        return None if best is None else (best[1], best[2])

    def _read_plan(self, now: float) -> None:
        job = self._job
        if job is None:
            if self.state == TubeState.RETURN_PLANNING and not self._return_goals:
                self.trigger("reached_skylight")
            return
        outcome = job.poll(now)
        if outcome is None:
            return
        self._job = None
        if isinstance(outcome, TubePlan):
            self.trigger("path_ready", plan=outcome)
        elif isinstance(outcome, PlanningError):
            voxel = tuple(getattr(outcome, "voxel", (-1, -1, -1)))
            self.trigger(event_for(outcome), error=str(outcome), voxel=voxel)
        else:
            self.trigger("planner_error", error=f"{type(outcome).__name__}: {outcome}")

    def _watch_move(self, now: float, state: str) -> None:
        position = self.robot.position_m
        goal = self._goal
        if goal is not None and _dist(position, goal) <= self.config.arrival_tolerance_m:
            if state == TubeState.MOVING:
                self.trigger("viewpoint_reached", position_m=position)
            else:
                self._return_goals.pop(0)
                self.trigger("reached_skylight" if not self._return_goals else "leg_done")
            return
        if self._stalled(now):
            self.trigger("drive_stalled", position_m=position)
            return
        self._keep_link(position)

    def _keep_link(self, position: Point) -> None:
        """Drops a relay here if the link would be lost a little further along the path."""
        c = self.config
        if not self.robot.link_up:
            return
        ahead = self._point_ahead(position, c.relay_lookahead_m)
        if linked(ahead, self.nodes, c.radio_range_m, self.los):
            return
        if _dist(position, self.nodes[-1]) < c.min_relay_spacing_m:
            return  # a relay here would add nothing to the one just dropped
        dropped = self.robot.drop_relay()
        if dropped is None:
            self.trigger("relay_exhausted", position_m=position, relays=len(self.relays))
            return
        self.relays.append(dropped)
        self.note("relay_dropped", position_m=dropped, relays=len(self.relays))

    def _point_ahead(self, position: Point, distance_m: float) -> Point:
        path = self._path
        if len(path) == 0:
            return position
        p = np.asarray(position)
        seg = path[1:] - path[:-1]
        lengths = np.linalg.norm(seg, axis=1)
        # The nearest point of the path to the robot, then distance_m further along it.
        best_k, best_t, best_d = 0, 0.0, math.inf
        for k in range(len(seg)):
            if lengths[k] == 0.0:
                continue
            t = float(np.clip(np.dot(p - path[k], seg[k]) / lengths[k] ** 2, 0.0, 1.0))
            d = float(np.linalg.norm(path[k] + t * seg[k] - p))
            if d < best_d:
                best_k, best_t, best_d = k, t, d
        left = distance_m
        k, t = best_k, best_t
        while k < len(seg):
            remaining = (1.0 - t) * lengths[k]
            if remaining >= left and lengths[k] > 0.0:
                return _point(path[k] + (t + left / lengths[k]) * seg[k])
            left -= remaining
            k, t = k + 1, 0.0
        return _point(path[-1])

    # ---- starting and stopping work --------------------------------------------------------
    def on_enter_approaching(self, event: EventData) -> None:
        now = self.clock.now_s
        if math.isnan(self._started_s):
            self._started_s = now
            self._last_link_s = now
        self._reset_progress()
        start = np.asarray(self.robot.position_m)
        self.robot.follow(np.stack([start, np.asarray(self.config.skylight_m)]))

    def on_exit_approaching(self, event: EventData) -> None:
        self.robot.stop()

    def on_enter_descending(self, event: EventData) -> None:
        self._reset_progress()
        self.robot.winch_to(self.config.foot_m[2])

    def on_exit_descending(self, event: EventData) -> None:
        self.robot.stop()

    def on_enter_exploring_scanning(self, event: EventData) -> None:
        self._scan_requested_s = self.clock.now_s
        self.robot.request_scan()

    def on_enter_exploring_planning(self, event: EventData) -> None:
        if "goal_m" in event.kwargs:
            self._goal = _point(event.kwargs["goal_m"])
        self._submit_plan()

    def on_exit_exploring_planning(self, event: EventData) -> None:
        self._cancel_plan()

    def on_enter_exploring_moving(self, event: EventData) -> None:
        self._follow(event.kwargs["plan"])

    def on_exit_exploring_moving(self, event: EventData) -> None:
        self.robot.stop()

    def on_enter_returning(self, event: EventData) -> None:
        self._return_goals = [*reversed(self.relays), self.config.foot_m]

    def on_enter_returning_planning(self, event: EventData) -> None:
        tolerance = self.config.arrival_tolerance_m
        while self._return_goals and _dist(self.robot.position_m, self._return_goals[0]) <= (
            tolerance
        ):
            self._return_goals.pop(0)
        if self._return_goals:
            self._goal = self._return_goals[0]
            self._submit_plan()

    def on_exit_returning_planning(self, event: EventData) -> None:
        self._cancel_plan()

    def on_enter_returning_moving(self, event: EventData) -> None:
        self._follow(event.kwargs["plan"])

    def on_exit_returning_moving(self, event: EventData) -> None:
        self.robot.stop()

    def on_enter_ascending(self, event: EventData) -> None:
        self._reset_progress()
        self.robot.winch_to(self.config.surface_z_m)

    def on_exit_ascending(self, event: EventData) -> None:
        self.robot.stop()

    def on_enter_fault(self, event: EventData) -> None:
        self.stop_work()

    def _reset_progress(self) -> None:
        self._progress_odometer_m = self.robot.odometer_m
        self._progress_time_s = self.clock.now_s

    def _follow(self, plan: TubePlan) -> None:
        self.plans.append((self.clock.now_s, plan))
        path = np.array(plan.waypoints_m, np.float64)
        path[0] = self.robot.position_m  # from where the robot is, not its voxel's centre
        if self._goal is not None:
            path[-1] = self._goal
        self._path = path
        self._reset_progress()
        self.robot.follow(path)

    def _submit_plan(self) -> None:
        if self._goal is None:
            raise RuntimeError("planning without a goal")
        timeout = 0.0 if self.clock.deterministic else self.config.plan_timeout_s
        self._job = self.jobs.submit(
            self.map, self.robot.position_m, self._goal, timeout, self.clock.now_s
        )

    def _cancel_plan(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    # ---- supervisor hooks -------------------------------------------------------------------
    def stop_work(self) -> None:
        self._cancel_plan()
        self.robot.stop()

    def restart_work(self) -> None:
        state = self.state
        if state == TubeState.APPROACHING:
            self.robot.follow(
                np.stack([np.asarray(self.robot.position_m), np.asarray(self.config.skylight_m)])
            )
        elif state == TubeState.DESCENDING:
            self.robot.winch_to(self.config.foot_m[2])
        elif state == TubeState.ASCENDING:
            self.robot.winch_to(self.config.surface_z_m)
        elif state == TubeState.SCANNING:
            self._scan_requested_s = self.clock.now_s
            self.robot.request_scan()
        elif state in (TubeState.PLANNING, TubeState.RETURN_PLANNING):
            if self._goal is not None and (self._return_goals or state == TubeState.PLANNING):
                self._submit_plan()
        elif state in (TubeState.MOVING, TubeState.RETURN_MOVING):
            self.trigger("replan", position_m=self.robot.position_m)
        self._reset_progress()
        self._last_link_s = self.clock.now_s if self.robot.link_up else self._last_link_s

    def checkpoint_data(self) -> dict[str, Any]:
        log_odds = np.ascontiguousarray(self.map.log_odds, dtype=np.float32)
        return {
            "started_s": self._started_s,
            "last_link_s": self._last_link_s,
            "max_link_gap_s": self.max_link_gap_s,
            "relays": [list(r) for r in self.relays],
            "scan_positions": [list(p) for p in self.scan_positions],
            "goal_m": list(self._goal) if self._goal is not None else None,
            "return_goals": [list(g) for g in self._return_goals],
            "map_shape": list(log_odds.shape),
            "map_log_odds_zlib_b64": base64.b64encode(zlib.compress(log_odds.tobytes())).decode(),
        }

    def restore_data(self, data: dict[str, Any]) -> None:
        self._started_s = float(data.get("started_s", math.nan))
        self._last_link_s = float(data.get("last_link_s", math.nan))
        self.max_link_gap_s = float(data.get("max_link_gap_s", 0.0))
        self.relays = [_point(r) for r in data.get("relays", [])]
        self.scan_positions = [_point(p) for p in data.get("scan_positions", [])]
        goal = data.get("goal_m")
        self._goal = _point(goal) if goal is not None else None
        self._return_goals = [_point(g) for g in data.get("return_goals", [])]
        packed = data.get("map_log_odds_zlib_b64")
        if packed is not None:
            shape = tuple(int(n) for n in data["map_shape"])
            raw = zlib.decompress(base64.b64decode(packed))
            self.map.set_log_odds(np.frombuffer(raw, np.float32).reshape(shape))

    # ---- records -----------------------------------------------------------------------------
    def describe(self, event: EventData) -> dict[str, Any]:
        detail = {k: v for k, v in event.kwargs.items() if k != "plan"}
        if "plan" in event.kwargs:
            plan: TubePlan = event.kwargs["plan"]
            detail.update(
                length_m=round(plan.length_m, 3),
                waypoints=len(plan.waypoints_m),
                expansions=plan.expansions,
            )
        return detail


__all__ = [
    "ACTIVE",
    "FAULT_EVENTS",
    "STATES",
    "TRANSITIONS",
    "LineOfSight",
    "Scan",
    "TubeExploration",
    "TubeExplorationConfig",
    "TubePlanJob",
    "TubePlanJobRunner",
    "TubePlanner",
    "TubeRobot",
    "TubeState",
    "VoxelLineOfSight",
    "dilate6",
    "flood_fill",
    "linked",
    "snapshot",
]
