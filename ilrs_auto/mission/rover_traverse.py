"""Rover traverse: drive from the lander to a science target, replanning around what the depth
sensor reveals.

The behaviour is data: the state list and transition table below, run by ``transitions``'
HierarchicalMachine (queued, with any exception in a callback leading to FAULT). States start
work and do not do it: entering PLANNING submits a plan job, entering DRIVING hands the path to
the drive, leaving either cancels it. :meth:`RoverTraverse.tick` only reads results and fires
events. Time is the mission clock's.

    IDLE --start--> TRAVERSE[PLANNING --path_ready--> DRIVING <--path_ready-- REPLANNING]
                    DRIVING --path_blocked--> REPLANNING, DRIVING --goal_reached--> ARRIVED
                    DRIVING --frames_lost | unknown_ahead | drive_reset--> WAITING
                    WAITING --wait_over--> REPLANNING
    every planning failure, drive_stalled, mission_timeout, power_critical, sensor_dropout,
    view_unknown, drive_unresponsive, excessive_slip, an exception (including an event the current
    state does not accept) --> FAULT
    FAULT --safed (rover stopped)--> SAFE --resume--> TRAVERSE

Stop and wait (WAITING, the drive stopped) while the camera sends no frames (``frames_lost``:
none for ``frame_gap_s``), while too much of the path just ahead is unknown ground
(``unknown_ahead``: more than ``unknown_max_fraction`` of the cells within
``unknown_lookahead_m`` have NaN cost), or after the drive's microcontroller reset
(``drive_reset``); once frames come, the ground ahead is known and the drive is back,
``wait_over`` plans again from where the rover stands. Waiting too long is a fault:
``sensor_dropout`` (no frame for ``dropout_timeout_s``), ``view_unknown``
(``unknown_timeout_s``), ``drive_unresponsive`` (``reboot_timeout_s``). A brownout or a
battery below its reserve (``power_critical``, read from :class:`RoverStatus`) ends the
traverse in FAULT, then SAFE.

Slip: while driving, the wheel odometry (the drive's ``odometer_m``) is compared with the
distance the position estimate (``position_xy``) actually covered, over the last
``slip_window_m`` of wheel travel (a sliding window, carried across driving segments; turns on
the spot move neither). Slip ``1 - covered / wheel`` above ``max_slip`` fires
``excessive_slip`` (with the measured slip) and the traverse stops in FAULT before the wheels
dig in. The covered distance is horizontal: on a slope of ``a`` degrees the measured slip
reads ``1 - cos(a)`` high (1.5 % at 10 deg, 6 % at 20 deg).

A rock seen beside the rover can make the rover's own cell lethal (its hazard windows reach
it). A plan then starts from the nearest cell within ``start_escape_m`` that is not lethal
(the rover drives there first); only with none does the planner report ``hazard_at_start``.

Suspended by the supervisor, it stops the rover and cancels its plan; resumed, it plans again
from where the rover stands (``replan`` when it was driving).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from transitions import EventData

from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.mission.behaviour import Behaviour, Priority, Transition
from ilrs_auto.mission.clock import MissionClock
from ilrs_auto.mission.events import PLANNING_FAILURE_EVENTS, event_for
from ilrs_auto.mission.jobs import PlanJob, PlanJobRunner
from ilrs_auto.planning.base import Plan, PlanRequest
from ilrs_auto.planning.errors import PlanningError
from ilrs_auto.planning.smoothing import polyline_cells


class TraverseState(str, Enum):
    IDLE = "idle"
    PLANNING = "traverse_planning"
    DRIVING = "traverse_driving"
    REPLANNING = "traverse_replanning"
    WAITING = "traverse_waiting"
    ARRIVED = "arrived"
    FAULT = "fault"
    SAFE = "safe"


STATES: list[Any] = [
    "idle",
    {
        "name": "traverse",
        "children": ["planning", "driving", "replanning", "waiting"],
        "initial": "planning",
    },
    "arrived",
    "fault",
    "safe",
]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start", "source": "idle", "dest": "traverse"},
    {
        "trigger": "path_ready",
        "source": ["traverse_planning", "traverse_replanning"],
        "dest": "traverse_driving",
    },
    {"trigger": "path_blocked", "source": "traverse_driving", "dest": "traverse_replanning"},
    {"trigger": "replan", "source": "traverse_driving", "dest": "traverse_replanning"},
    {"trigger": "goal_reached", "source": "traverse_driving", "dest": "arrived"},
    *(
        {"trigger": event, "source": "traverse_driving", "dest": "traverse_waiting"}
        for event in ("frames_lost", "unknown_ahead", "drive_reset")
    ),
    {"trigger": "wait_over", "source": "traverse_waiting", "dest": "traverse_replanning"},
    *(
        {"trigger": event, "source": "traverse_waiting", "dest": "fault"}
        for event in ("sensor_dropout", "view_unknown", "drive_unresponsive")
    ),
    {"trigger": "power_critical", "source": ["idle", "traverse"], "dest": "fault"},
    *(
        {"trigger": event, "source": "traverse", "dest": "fault"}
        for event in PLANNING_FAILURE_EVENTS.values()
    ),
    {"trigger": "drive_stalled", "source": "traverse_driving", "dest": "fault"},
    {"trigger": "excessive_slip", "source": "traverse_driving", "dest": "fault"},
    {"trigger": "planner_error", "source": "traverse", "dest": "fault"},
    {"trigger": "mission_timeout", "source": "traverse", "dest": "fault"},
    {"trigger": "safed", "source": "fault", "dest": "safe"},
    {"trigger": "enter_safe_mode", "source": ["idle", "traverse", "arrived"], "dest": "safe"},
    {"trigger": "resume", "source": "safe", "dest": "traverse"},
]

FAULT_EVENTS = frozenset(
    {
        *PLANNING_FAILURE_EVENTS.values(),
        "planner_error",
        "drive_stalled",
        "excessive_slip",
        "mission_timeout",
        "sensor_dropout",
        "view_unknown",
        "drive_unresponsive",
        "power_critical",
        "exception",
    }
)
WAIT_EVENTS = frozenset({"frames_lost", "unknown_ahead", "drive_reset"})


class Drive(Protocol):
    """What the behaviour commands: a real drive through the bridge, or the simulated rover."""

    def position_xy(self) -> tuple[float, float]: ...
    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None: ...
    def stop(self) -> None: ...
    @property
    def moving(self) -> bool: ...
    @property
    def odometer_m(self) -> float: ...


class CostmapSource(Protocol):
    """The rover's current traversability costs (float32: inf lethal, NaN unknown)."""

    @property
    def cost(self) -> npt.NDArray[np.float32]: ...


class RoverStatus(Protocol):
    """What the behaviour reads of the rover's health besides its drive (all optional: a
    behaviour built without a status never waits for frames or the drive, nor sees power)."""

    @property
    def last_frame_s(self) -> float:
        """Mission time of the newest camera frame fused into the map."""
        ...

    @property
    def drive_ready(self) -> bool:
        """False while the drive's microcontroller reboots."""
        ...

    @property
    def drive_resets(self) -> int:
        """How many times the drive's microcontroller has reset so far."""
        ...

    @property
    def power_critical(self) -> str | None:
        """Why the rover must stop now (``brownout``, ``battery_reserve``), or None."""
        ...


@dataclass(frozen=True)
class TraverseGoal:
    goal_xy_m: tuple[float, float]
    tolerance_m: float = 1.0
    time_limit_s: float = 7200.0
    stall_timeout_s: float = 60.0
    plan_timeout_s: float = 30.0
    frame_gap_s: float = 3.0
    dropout_timeout_s: float = 60.0
    unknown_lookahead_m: float = 3.0
    unknown_max_fraction: float = 0.3
    unknown_timeout_s: float = 60.0
    reboot_timeout_s: float = 120.0
    start_escape_m: float = 1.0
    max_slip: float = 0.4  # wheel slip (1 - covered / wheel distance) that ends the traverse
    slip_window_m: float = 3.0  # of wheel travel over which slip is measured


class RoverTraverse(Behaviour):
    """The traverse behaviour of one rover. Call :meth:`tick` once per control period."""

    name = "rover_traverse"
    priority = Priority.SCIENCE
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    FINAL_STATES = frozenset({TraverseState.ARRIVED.value, TraverseState.SAFE.value})

    # Bound by the state machine (declared here for type checkers, as transitions documents).
    start: Callable[..., bool]
    enter_safe_mode: Callable[..., bool]
    resume: Callable[..., bool]

    def __init__(
        self,
        goal: TraverseGoal,
        geometry: GridGeometry,
        costmap: CostmapSource,
        drive: Drive,
        jobs: PlanJobRunner,
        clock: MissionClock,
        status: RoverStatus | None = None,
    ) -> None:
        self.goal = goal
        self.status = status
        self._resets_seen = 0 if status is None else status.drive_resets
        self._wait_since_s = math.nan
        self._escaped_from: Cell | None = None
        self.geometry = geometry
        self.costmap = costmap
        self.drive = drive
        self.jobs = jobs
        self.plans: list[tuple[float, Plan]] = []
        self._job: PlanJob | None = None
        self._path_cells: npt.NDArray[np.int32] = np.empty((0, 2), np.int32)
        self._started_s = math.nan
        self._progress_odometer_m = 0.0
        self._progress_time_s = 0.0
        # Slip window: (wheel odometer, distance covered so far) at driving ticks.
        self._slip_samples: deque[tuple[float, float]] = deque()
        self._covered_m = 0.0
        self._last_xy: tuple[float, float] | None = None
        super().__init__(clock)

    # ---- reading results ------------------------------------------------------------------
    def tick(self) -> None:
        """Reads job results and the rover's progress and fires the events they call for."""
        now = self.clock.now_s
        state = self.state
        if state.startswith("traverse") and now - self._started_s >= self.goal.time_limit_s:
            self.trigger("mission_timeout", limit_s=self.goal.time_limit_s)
            return
        critical = None if self.status is None else self.status.power_critical
        if critical is not None and (state == TraverseState.IDLE or state.startswith("traverse")):
            self.trigger("power_critical", reason=critical)
            return
        if state in (TraverseState.PLANNING, TraverseState.REPLANNING):
            self._read_plan(now)
        elif state == TraverseState.DRIVING:
            self._watch_drive(now)
        elif state == TraverseState.WAITING:
            self._watch_wait(now)
        elif state == TraverseState.FAULT and not self.drive.moving:
            self.trigger("safed")

    def _read_plan(self, now: float) -> None:
        job = self._job
        if job is None:
            return
        outcome = job.poll(now)
        if outcome is None:
            return
        self._job = None
        if isinstance(outcome, Plan):
            if self._escaped_from is not None:
                self.trigger("path_ready", plan=outcome, start_moved_from=self._escaped_from)
            else:
                self.trigger("path_ready", plan=outcome)
        elif isinstance(outcome, PlanningError):
            cell = tuple(getattr(outcome, "cell", (-1, -1)))
            self.trigger(event_for(outcome), error=str(outcome), cell=cell)
        else:
            self.trigger("planner_error", error=f"{type(outcome).__name__}: {outcome}")

    def _watch_drive(self, now: float) -> None:
        x, y = self.drive.position_xy()
        gx, gy = self.goal.goal_xy_m
        if math.hypot(gx - x, gy - y) <= self.goal.tolerance_m:
            self.trigger("goal_reached")
            return
        if self._must_wait(now, x, y):
            return
        blocked = self._first_lethal_cell_ahead(x, y)
        if blocked is not None:
            self.trigger("path_blocked", cell=blocked, position_xy_m=(x, y))
            return
        odometer = self.drive.odometer_m
        if self._slipping(x, y, odometer):
            return
        if odometer - self._progress_odometer_m >= 0.05:
            self._progress_odometer_m, self._progress_time_s = odometer, now
        elif now - self._progress_time_s >= self.goal.stall_timeout_s:
            self.trigger(
                "drive_stalled", position_xy_m=(x, y), still_for_s=now - self._progress_time_s
            )

    def _slipping(self, x: float, y: float, odometer_m: float) -> bool:
        """Adds this tick to the slip window; fires ``excessive_slip`` when the window holds
        ``slip_window_m`` of wheel travel and the slip over it exceeds ``max_slip``."""
        if self._last_xy is not None:
            self._covered_m += math.dist(self._last_xy, (x, y))
        self._last_xy = (x, y)
        samples, window_m = self._slip_samples, self.goal.slip_window_m
        samples.append((odometer_m, self._covered_m))
        while len(samples) > 1 and odometer_m - samples[1][0] >= window_m:
            samples.popleft()
        wheel_m = odometer_m - samples[0][0]
        if wheel_m < window_m or wheel_m <= 0.0:
            return False
        covered_m = self._covered_m - samples[0][1]
        slip = 1.0 - covered_m / wheel_m
        if slip <= self.goal.max_slip:
            return False
        self.trigger(
            "excessive_slip",
            slip=round(slip, 4),
            wheel_m=round(wheel_m, 3),
            covered_m=round(covered_m, 3),
            position_xy_m=(x, y),
        )
        return True

    def _must_wait(self, now: float, x: float, y: float) -> bool:
        """Fires the event that stops the rover to wait, if one is due."""
        status = self.status
        if status is not None:
            if status.drive_resets != self._resets_seen:
                self._resets_seen = status.drive_resets
                self.trigger("drive_reset", resets=status.drive_resets, position_xy_m=(x, y))
                return True
            age = now - status.last_frame_s
            if age > self.goal.frame_gap_s:
                self.trigger("frames_lost", frame_age_s=age, position_xy_m=(x, y))
                return True
        unknown = self._unknown_fraction_ahead(x, y)
        if unknown > self.goal.unknown_max_fraction:
            self.trigger("unknown_ahead", fraction=round(unknown, 3), position_xy_m=(x, y))
            return True
        return False

    def _watch_wait(self, now: float) -> None:
        """Waits until frames come, the ground ahead is known and the drive is back."""
        goal, status = self.goal, self.status
        waited = now - self._wait_since_s
        frame_age = 0.0 if status is None else now - status.last_frame_s
        frames_down = frame_age > goal.frame_gap_s
        drive_down = status is not None and not status.drive_ready
        if status is not None and status.drive_ready:
            self._resets_seen = status.drive_resets
        x, y = self.drive.position_xy()
        unknown = self._unknown_fraction_ahead(x, y)
        unknown_down = unknown > goal.unknown_max_fraction
        if frames_down and frame_age >= goal.dropout_timeout_s:
            self.trigger("sensor_dropout", frame_age_s=frame_age)
        elif drive_down and waited >= goal.reboot_timeout_s:
            self.trigger("drive_unresponsive", waited_s=waited)
        elif unknown_down and not frames_down and waited >= goal.unknown_timeout_s:
            self.trigger("view_unknown", fraction=round(unknown, 3), waited_s=waited)
        elif not (frames_down or drive_down or unknown_down):
            self.trigger("wait_over", waited_s=waited)

    def _cells_ahead(self, x: float, y: float) -> npt.NDArray[np.int32]:
        """The path's cells after the one nearest the rover."""
        cells = self._path_cells
        if len(cells) == 0:
            return cells
        centres = (cells[:, ::-1].astype(np.float64) + 0.5) * self.geometry.resolution_m
        nearest = int(np.argmin(np.hypot(centres[:, 0] - x, centres[:, 1] - y)))
        return cells[nearest + 1 :]

    def _unknown_fraction_ahead(self, x: float, y: float) -> float:
        """Share of the path's cells within ``unknown_lookahead_m`` ahead whose cost is NaN."""
        ahead = self._cells_ahead(x, y)
        if len(ahead) == 0 or self.goal.unknown_lookahead_m <= 0.0:
            return 0.0
        centres = (ahead[:, ::-1].astype(np.float64) + 0.5) * self.geometry.resolution_m
        steps = np.hypot(*np.diff(np.vstack([[x, y], centres]), axis=0).T)
        near = ahead[np.cumsum(steps) <= self.goal.unknown_lookahead_m]
        if len(near) == 0:
            return 0.0
        return float(np.isnan(self.costmap.cost[near[:, 0], near[:, 1]]).mean())

    def _first_lethal_cell_ahead(self, x: float, y: float) -> Cell | None:
        """The first cell of the path still ahead of the rover that has become lethal."""
        ahead = self._cells_ahead(x, y)
        if len(ahead) == 0:
            return None
        lethal = np.isinf(self.costmap.cost[ahead[:, 0], ahead[:, 1]])
        if not lethal.any():
            return None
        row, col = ahead[int(np.argmax(lethal))]
        return Cell(int(row), int(col))

    # ---- starting and stopping work -------------------------------------------------------
    def on_enter_traverse(self, event: EventData) -> None:
        if math.isnan(self._started_s):
            self._started_s = self.clock.now_s

    def on_enter_traverse_planning(self, event: EventData) -> None:
        self._submit_plan()

    def on_enter_traverse_replanning(self, event: EventData) -> None:
        self._submit_plan()

    def on_exit_traverse_planning(self, event: EventData) -> None:
        self._cancel_plan()

    def on_exit_traverse_replanning(self, event: EventData) -> None:
        self._cancel_plan()

    def on_enter_traverse_driving(self, event: EventData) -> None:
        plan: Plan = event.kwargs["plan"]
        self.plans.append((self.clock.now_s, plan))
        corners = plan.corners
        self._path_cells = plan.cells if plan.waypoints is None else polyline_cells(corners)
        centres = (corners[:, ::-1].astype(np.float64) + 0.5) * self.geometry.resolution_m
        centres[-1] = self.goal.goal_xy_m  # end on the target itself, not its cell centre
        self._progress_odometer_m = self.drive.odometer_m
        self._progress_time_s = self.clock.now_s
        if self.status is not None and self.status.drive_ready:
            self._resets_seen = self.status.drive_resets  # a reset already over: nothing lost
        self.drive.follow(centres)

    def on_exit_traverse_driving(self, event: EventData) -> None:
        self.drive.stop()

    def on_enter_traverse_waiting(self, event: EventData) -> None:
        self._wait_since_s = self.clock.now_s

    def on_enter_arrived(self, event: EventData) -> None:
        self.drive.stop()

    def on_enter_fault(self, event: EventData) -> None:
        self.drive.stop()

    def _submit_plan(self) -> None:
        x, y = self.drive.position_xy()
        costmap = self.costmap.cost.copy()  # a snapshot: perception keeps writing the map
        start = self._plan_start(costmap, self.geometry.cell_of(x, y))
        request = PlanRequest(
            costmap=costmap,
            start=start,
            goal=self.geometry.cell_of(*self.goal.goal_xy_m),
            # A wall-clock deadline would make simulated runs depend on the host's speed; with
            # a deterministic clock the mission's own time limit bounds the mission instead.
            timeout_s=0.0 if self.clock.deterministic else self.goal.plan_timeout_s,
        )
        self._job = self.jobs.submit(request, self.clock.now_s)

    def _plan_start(self, costmap: npt.NDArray[np.float32], here: Cell) -> Cell:
        """The rover's cell, or when that is lethal or unknown the nearest drivable cell
        within ``start_escape_m`` (ties: lowest row, then column)."""
        self._escaped_from = None
        rows, cols = costmap.shape
        row, col = here
        if not (0 <= row < rows and 0 <= col < cols) or math.isfinite(costmap[row, col]):
            return here
        reach = int(self.goal.start_escape_m / self.geometry.resolution_m)
        r0, r1 = max(0, row - reach), min(rows, row + reach + 1)
        c0, c1 = max(0, col - reach), min(cols, col + reach + 1)
        rr, cc = np.mgrid[r0:r1, c0:c1]
        distance = np.hypot(rr - row, cc - col)
        usable = np.isfinite(costmap[r0:r1, c0:c1]) & (distance <= reach + 1e-9)
        if not usable.any():
            return here
        best = np.flatnonzero(usable)[np.argmin(distance[usable])]
        self._escaped_from = here
        return Cell(int(rr.flat[best]), int(cc.flat[best]))

    def _cancel_plan(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    # ---- supervisor hooks ------------------------------------------------------------------
    def stop_work(self) -> None:
        self._cancel_plan()
        self.drive.stop()

    def restart_work(self) -> None:
        if self.state in (TraverseState.PLANNING, TraverseState.REPLANNING):
            self._submit_plan()
        elif self.state == TraverseState.DRIVING:
            self.trigger("replan", position_xy_m=self.drive.position_xy())

    def checkpoint_data(self) -> dict[str, Any]:
        return {
            "started_s": self._started_s,
            "wait_since_s": None if math.isnan(self._wait_since_s) else self._wait_since_s,
            "resets_seen": self._resets_seen,
        }

    def restore_data(self, data: dict[str, Any]) -> None:
        self._started_s = float(data.get("started_s", math.nan))
        wait_since = data.get("wait_since_s")
        self._wait_since_s = math.nan if wait_since is None else float(wait_since)
        self._resets_seen = int(data.get("resets_seen", self._resets_seen))
        self._slip_samples.clear()  # the slip window fills again from where the rover is
        self._last_xy = None

    # ---- records ----------------------------------------------------------------------------
    def describe(self, event: EventData) -> dict[str, Any]:
        detail = {k: v for k, v in event.kwargs.items() if k != "plan"}
        if "plan" in event.kwargs:
            plan: Plan = event.kwargs["plan"]
            detail.update(cost=plan.cost, cells=len(plan.cells), expansions=plan.expansions)
        return detail

    @property
    def replans(self) -> list[Transition]:
        return [t for t in self.transitions if t.event == "path_blocked"]


__all__ = [
    "FAULT_EVENTS",
    "STATES",
    "TRANSITIONS",
    "WAIT_EVENTS",
    "CostmapSource",
    "Drive",
    "RoverStatus",
    "RoverTraverse",
    "Transition",
    "TraverseGoal",
    "TraverseState",
]
