"""Sample collection (ILRS-2/-4): choose a site, approach it, deploy the scoop or the drill,
acquire within force, torque and depth limits, recover a stuck drill, seal and cache the sample,
and keep its chain of custody.

The behaviour is data: the state list and transition table below, run by ``transitions``'
HierarchicalMachine (queued; an exception in a callback leads to FAULT). States start work on
the drive, the tool or the sample cache when entered and cancel it when left; :meth:`tick` only
reads results and fires events. Time is the mission clock's.

    IDLE --start--> SELECTING_SITE --site_selected--> APPROACHING[PLANNING --path_ready-->
    DRIVING, DRIVING --path_blocked--> PLANNING] --site_reached--> DEPLOYING --tool_deployed-->
    ACQUIRING --depth_reached--> RETRACTING --tool_retracted--> SEALING --sealed--> CACHING
    --cached--> DONE
    ACQUIRING --drill_jammed--> RECOVERING (retract to the surface) --drill_freed--> ACQUIRING,
    at most ``max_retries`` times; the next jam is ``drill_stuck``.
    no_site, container_full, every planning failure, planner_error, drive_stalled,
    tool_deploy_failed, force_limit, drill_stuck, acquire_timeout, seal_failed,
    instrument_fault, sensor_dropout, an exception --> FAULT
    FAULT --safed (tool and rover stopped)--> SAFE

The chain of custody (:class:`CustodyLog`) is append-only: each record carries the hash of the
one before it and its own hash over its contents, so an edited or dropped record shows. It is
part of the behaviour's checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, fields
from enum import Enum
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt
from transitions import EventData

from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.mission.behaviour import Behaviour, Priority
from ilrs_auto.mission.clock import MissionClock
from ilrs_auto.mission.events import PLANNING_FAILURE_EVENTS, event_for
from ilrs_auto.mission.jobs import PlanJob, PlanJobRunner
from ilrs_auto.mission.rover_traverse import CostmapSource, Drive
from ilrs_auto.planning.base import Plan, PlanRequest
from ilrs_auto.planning.errors import PlanningError
from ilrs_auto.planning.smoothing import polyline_cells

# ---- what the tool and the cache report -----------------------------------------------------


class ToolPhase(str, Enum):
    STOWED = "stowed"
    DEPLOYING = "deploying"
    DEPLOYED = "deployed"  # at the surface, ready to dig or drill
    ACQUIRING = "acquiring"
    HOLDING = "holding"  # in the ground, not moving (at the target depth, or stuck)
    RETRACTING = "retracting"
    STOWING = "stowing"
    HALTED = "halted"  # stopped by a halt or a fault, wherever it stood


@dataclass(frozen=True)
class ToolReading:
    """What the tool reports: where it is, its loads, and a latched fault code."""

    time_s: float
    phase: ToolPhase
    depth_cm: float
    force_n: float  # NaN during a sensor dropout
    torque_nm: float  # NaN during a sensor dropout
    fault: str | None
    moving: bool

    @property
    def deployed(self) -> bool:
        return self.phase in (ToolPhase.DEPLOYED, ToolPhase.ACQUIRING, ToolPhase.HOLDING)

    @property
    def stowed(self) -> bool:
        return self.phase is ToolPhase.STOWED


@dataclass(frozen=True)
class SealStatus:
    done: bool
    ok: bool
    problem: str = ""  # "leak" or "overfilled" when done and not ok
    detail: str = ""


@dataclass(frozen=True)
class CacheStatus:
    done: bool
    mass_g: float = math.nan


class SamplingTool(Protocol):
    """An arm with a scoop, or a drill: the real one through the bridge, or the simulated one."""

    def deploy(self, now_s: float) -> None: ...
    def acquire(self, target_depth_cm: float, now_s: float) -> None: ...
    def retract(self, now_s: float) -> None: ...
    def stow(self, now_s: float) -> None: ...
    def halt(self, now_s: float) -> None: ...
    def reading(self, now_s: float) -> ToolReading: ...


class SampleStore(Protocol):
    """Sample containers, their sealing, and the cache with its balance."""

    def free_containers(self) -> tuple[int, ...]: ...
    def seal(self, container_id: int, now_s: float) -> None: ...
    def seal_status(self, now_s: float) -> SealStatus: ...
    def cache(self, container_id: int, now_s: float) -> None: ...
    def cache_status(self, now_s: float) -> CacheStatus: ...
    def halt(self, now_s: float) -> None: ...


# ---- the chain of custody -------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyRecord:
    """One sample: who took it, where, when, with what, how much, and where it is kept."""

    sequence: int  # 1, 2, ... in the order samples were cached
    robot_id: str
    site_x_m: float
    site_y_m: float
    science_value: float
    tool: str
    depth_cm: float
    acquired_s: float  # mission time the target depth was reached
    sealed_s: float
    cached_s: float
    mass_g: float  # as the cache's balance measured it
    container_id: int
    previous_hash: str
    hash: str = ""

    def content_hash(self) -> str:
        data = {k: v for k, v in asdict(self).items() if k != "hash"}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CustodyRecord:
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, kind in kinds.items():
            value = data[name]
            values[name] = (
                int(value) if kind == "int" else float(value) if kind == "float" else str(value)
            )
        return cls(**values)


GENESIS_HASH = "0" * 64


class CustodyLog:
    """The append-only chain of custody of one robot's samples."""

    def __init__(self, records: Sequence[CustodyRecord] = ()) -> None:
        self._records: list[CustodyRecord] = []
        for record in records:
            self._check_next(record)
            self._records.append(record)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[CustodyRecord]:
        return iter(tuple(self._records))

    @property
    def records(self) -> tuple[CustodyRecord, ...]:
        return tuple(self._records)

    @property
    def last_hash(self) -> str:
        return self._records[-1].hash if self._records else GENESIS_HASH

    def append(self, **values: Any) -> CustodyRecord:
        """Adds the next record (its sequence number and hashes are filled in here)."""
        unsigned = CustodyRecord(
            sequence=len(self._records) + 1, previous_hash=self.last_hash, **values
        )
        record = CustodyRecord(**{**asdict(unsigned), "hash": unsigned.content_hash()})
        self._records.append(record)
        return record

    def _check_next(self, record: CustodyRecord) -> None:
        expected = len(self._records) + 1
        if record.sequence != expected or record.previous_hash != self.last_hash:
            raise ValueError(
                f"chain of custody broken at record {record.sequence}: expected sequence "
                f"{expected} after hash {self.last_hash[:12]}"
            )
        if record.hash != record.content_hash():
            raise ValueError(
                f"chain of custody record {record.sequence} does not match its hash "
                "(edited after it was written)"
            )

    def extend_from(self, data: Sequence[dict[str, Any]]) -> None:
        """Takes a checkpoint's records: those already held must be the same (append-only),
        the rest must continue the chain."""
        incoming = [CustodyRecord.from_json(d) for d in data]
        held = len(self._records)
        if incoming[:held] != self._records[: len(incoming)]:
            raise ValueError("checkpoint's chain of custody differs from the records held")
        for record in incoming[held:]:
            self._check_next(record)
            self._records.append(record)

    def to_json(self) -> list[dict[str, Any]]:
        return [r.to_json() for r in self._records]


# ---- site choice ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteChoice:
    cell: Cell
    xy_m: tuple[float, float]
    value: float
    candidates: int  # eligible cells among which it was chosen


def choose_site(
    cost: npt.NDArray[np.float32],
    value: npt.NDArray[np.floating[Any]],
    geometry: GridGeometry,
    rover_xy_m: tuple[float, float],
    centre_xy_m: tuple[float, float],
    radius_m: float,
    min_value: float = -math.inf,
) -> SiteChoice | None:
    """The best science value among cells within ``radius_m`` of ``centre_xy_m`` that are
    known and not lethal (finite cost), have a finite value of at least ``min_value``, and are
    reachable from the rover's cell through known, non-lethal cells (4-connected, which the
    planners' moves include). Ties go to the cell nearest the rover, then the lowest (row, col).
    None when no cell qualifies."""
    if cost.shape != geometry.shape or value.shape != geometry.shape:
        raise ValueError(
            f"cost {cost.shape} and value {value.shape} must both be the map's {geometry.shape}"
        )
    start = geometry.cell_of(*rover_xy_m)
    if not geometry.contains(start):
        return None
    res = geometry.resolution_m
    cx, cy = centre_xy_m
    r_cells = math.ceil(radius_m / res) + 1
    ccell = geometry.cell_of(cx, cy)
    r0, r1 = max(0, ccell.row - r_cells), min(geometry.rows, ccell.row + r_cells + 1)
    c0, c1 = max(0, ccell.col - r_cells), min(geometry.cols, ccell.col + r_cells + 1)
    if r0 >= r1 or c0 >= c1:
        return None
    free = np.isfinite(cost)
    if not free[start]:
        return None
    _, labels = cv2.connectedComponents(free.astype(np.uint8), connectivity=4)
    rows, cols = np.mgrid[r0:r1, c0:c1]
    xs, ys = (cols + 0.5) * res, (rows + 0.5) * res
    window = np.asarray(value[r0:r1, c0:c1], np.float64)
    eligible = (
        (np.hypot(xs - cx, ys - cy) <= radius_m)
        & (labels[r0:r1, c0:c1] == labels[start])
        & np.isfinite(window)
        & (window >= min_value)
    )
    if not eligible.any():
        return None
    best = window[eligible].max()
    ties = eligible & (window == best)
    rover_d = np.hypot(xs - rover_xy_m[0], ys - rover_xy_m[1])
    order = np.lexsort((cols[ties], rows[ties], rover_d[ties]))
    row, col = int(rows[ties][order[0]]), int(cols[ties][order[0]])
    cell = Cell(row, col)
    return SiteChoice(cell, geometry.centre_of(cell), float(best), int(eligible.sum()))


# ---- the behaviour --------------------------------------------------------------------------


class SampleState(str, Enum):
    IDLE = "idle"
    SELECTING_SITE = "selecting_site"
    PLANNING = "approaching_planning"
    DRIVING = "approaching_driving"
    DEPLOYING = "deploying"
    ACQUIRING = "acquiring"
    RECOVERING = "recovering"
    RETRACTING = "retracting"
    SEALING = "sealing"
    CACHING = "caching"
    DONE = "done"
    FAULT = "fault"
    SAFE = "safe"


WORKING = [
    "selecting_site",
    "approaching",
    "deploying",
    "acquiring",
    "recovering",
    "retracting",
    "sealing",
    "caching",
]
TOOL_STATES = ["deploying", "acquiring", "recovering", "retracting", "sealing", "caching"]

STATES: list[Any] = [
    "idle",
    "selecting_site",
    {"name": "approaching", "children": ["planning", "driving"], "initial": "planning"},
    "deploying",
    "acquiring",
    "recovering",
    "retracting",
    "sealing",
    "caching",
    "done",
    "fault",
    "safe",
]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start", "source": "idle", "dest": "selecting_site"},
    {"trigger": "site_selected", "source": "selecting_site", "dest": "approaching"},
    {"trigger": "no_site", "source": "selecting_site", "dest": "fault"},
    {"trigger": "container_full", "source": ["selecting_site", "sealing"], "dest": "fault"},
    {"trigger": "path_ready", "source": "approaching_planning", "dest": "approaching_driving"},
    {"trigger": "path_blocked", "source": "approaching_driving", "dest": "approaching_planning"},
    {"trigger": "replan", "source": "approaching_driving", "dest": "approaching_planning"},
    {"trigger": "site_reached", "source": "approaching", "dest": "deploying"},
    *(
        {"trigger": event, "source": "approaching", "dest": "fault"}
        for event in PLANNING_FAILURE_EVENTS.values()
    ),
    {"trigger": "planner_error", "source": "approaching", "dest": "fault"},
    {"trigger": "drive_stalled", "source": "approaching_driving", "dest": "fault"},
    {"trigger": "tool_deployed", "source": "deploying", "dest": "acquiring"},
    {"trigger": "tool_deploy_failed", "source": "deploying", "dest": "fault"},
    {"trigger": "depth_reached", "source": "acquiring", "dest": "retracting"},
    {"trigger": "drill_jammed", "source": "acquiring", "dest": "recovering"},
    {"trigger": "drill_freed", "source": "recovering", "dest": "acquiring"},
    {
        "trigger": "drill_stuck",
        "source": ["acquiring", "recovering", "retracting"],
        "dest": "fault",
    },
    {"trigger": "force_limit", "source": ["acquiring", "recovering"], "dest": "fault"},
    {"trigger": "acquire_timeout", "source": ["acquiring", "recovering"], "dest": "fault"},
    {"trigger": "sensor_dropout", "source": ["acquiring", "recovering"], "dest": "fault"},
    {"trigger": "tool_retracted", "source": "retracting", "dest": "sealing"},
    {"trigger": "sealed", "source": "sealing", "dest": "caching"},
    {"trigger": "seal_failed", "source": "sealing", "dest": "fault"},
    {"trigger": "cached", "source": "caching", "dest": "done"},
    {"trigger": "instrument_fault", "source": TOOL_STATES, "dest": "fault"},
    {"trigger": "safed", "source": "fault", "dest": "safe"},
    {"trigger": "enter_safe_mode", "source": ["idle", *WORKING, "done"], "dest": "safe"},
]

FAULT_EVENTS = frozenset(
    {
        "no_site",
        "container_full",
        *PLANNING_FAILURE_EVENTS.values(),
        "planner_error",
        "drive_stalled",
        "tool_deploy_failed",
        "force_limit",
        "drill_stuck",
        "acquire_timeout",
        "sensor_dropout",
        "seal_failed",
        "instrument_fault",
        "exception",
    }
)


@dataclass(frozen=True)
class SamplingTask:
    """One sample: where to look, what to take it with, and the limits to keep."""

    tool: str = "drill"  # scoop | drill
    depth_cm: float = 30.0
    container_id: int | None = None  # None: the lowest-numbered free container
    robot_id: str = "rover_r1"
    search_centre_xy_m: tuple[float, float] | None = None  # None: where the rover stands
    search_radius_m: float = 5.0
    min_science_value: float = -math.inf
    reach_m: float = 1.5  # the arm reaches a site this far from the rover's centre
    force_limit_n: float = 150.0
    torque_limit_nm: float = 8.0
    max_retries: int = 2
    stuck_window_s: float = 30.0  # no depth progress for this long while acquiring: jammed
    progress_cm: float = 0.05  # what counts as progress
    sensor_dropout_grace_s: float = 2.0
    deploy_timeout_s: float = 120.0
    acquire_time_limit_s: float = 3600.0  # acquiring and recovering together
    retract_timeout_s: float = 300.0
    seal_timeout_s: float = 300.0
    cache_timeout_s: float = 300.0
    stall_timeout_s: float = 60.0
    plan_timeout_s: float = 30.0


class SampleCollection(Behaviour):
    """Takes one sample per :meth:`start`. Call :meth:`tick` once per control period."""

    name = "sample_collection"
    priority = Priority.SCIENCE
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    FINAL_STATES = frozenset({SampleState.DONE.value, SampleState.SAFE.value})

    # Bound by the state machine (declared here for type checkers, as transitions documents).
    start: Callable[..., bool]
    enter_safe_mode: Callable[..., bool]

    def __init__(
        self,
        task: SamplingTask,
        geometry: GridGeometry,
        costmap: CostmapSource,
        science_value: npt.NDArray[np.floating[Any]],
        drive: Drive,
        jobs: PlanJobRunner,
        tool: SamplingTool,
        store: SampleStore,
        clock: MissionClock,
        custody: CustodyLog | None = None,
    ) -> None:
        if task.tool not in ("scoop", "drill"):
            raise ValueError(f"task.tool must be scoop or drill, got {task.tool!r}")
        if science_value.shape != geometry.shape:
            raise ValueError(f"science_value is {science_value.shape}, the map is {geometry.shape}")
        self.task = task
        self.geometry = geometry
        self.costmap = costmap
        self.science_value = science_value
        self.drive = drive
        self.jobs = jobs
        self.tool = tool
        self.store = store
        self.custody = custody if custody is not None else CustodyLog()
        self.plans: list[tuple[float, Plan]] = []
        self.site: SiteChoice | None = None
        self.container_id: int | None = None
        self.retries = 0
        self.acquired_s = math.nan
        self.sealed_s = math.nan
        self.acquired_depth_cm = math.nan
        self.record: CustodyRecord | None = None
        self._job: PlanJob | None = None
        self._selection: tuple[str, dict[str, Any]] | None = None
        self._path_cells: npt.NDArray[np.int32] = np.empty((0, 2), np.int32)
        self._entered_s = 0.0
        self._acquire_started_s = math.nan
        self._progress = (0.0, 0.0)  # (odometer m or depth cm, time s) of the last progress
        self._dropout_since: float | None = None
        super().__init__(clock)

    # ---- reading results ------------------------------------------------------------------
    def tick(self) -> None:
        now = self.clock.now_s
        state = self.state
        if state == SampleState.SELECTING_SITE:
            if self._selection is not None:
                event, detail = self._selection
                self._selection = None
                self.trigger(event, **detail)
        elif state == SampleState.PLANNING:
            self._read_plan(now)
        elif state == SampleState.DRIVING:
            self._watch_drive(now)
        elif state == SampleState.DEPLOYING:
            self._watch_deploy(now)
        elif state == SampleState.ACQUIRING:
            self._watch_acquire(now)
        elif state == SampleState.RECOVERING:
            self._watch_recover(now)
        elif state == SampleState.RETRACTING:
            self._watch_retract(now)
        elif state == SampleState.SEALING:
            self._watch_seal(now)
        elif state == SampleState.CACHING:
            self._watch_cache(now)
        elif state == SampleState.FAULT:
            reading = self.tool.reading(now)
            if not reading.moving and not self.drive.moving:
                self.trigger("safed", tool=reading.phase.value, depth_cm=reading.depth_cm)

    def _within_reach(self) -> bool:
        site = self.site
        if site is None:
            return False
        x, y = self.drive.position_xy()
        return math.dist((x, y), site.xy_m) <= self.task.reach_m

    def _read_plan(self, now: float) -> None:
        if self._within_reach():
            self.trigger("site_reached", position_xy_m=self.drive.position_xy())
            return
        job = self._job
        if job is None:
            return
        outcome = job.poll(now)
        if outcome is None:
            return
        self._job = None
        if isinstance(outcome, Plan):
            self.trigger("path_ready", plan=outcome)
        elif isinstance(outcome, PlanningError):
            cell = tuple(getattr(outcome, "cell", (-1, -1)))
            self.trigger(event_for(outcome), error=str(outcome), cell=cell)
        else:
            self.trigger("planner_error", error=f"{type(outcome).__name__}: {outcome}")

    def _watch_drive(self, now: float) -> None:
        x, y = self.drive.position_xy()
        if self._within_reach():
            self.trigger("site_reached", position_xy_m=(x, y))
            return
        blocked = self._first_lethal_cell_ahead(x, y)
        if blocked is not None:
            self.trigger("path_blocked", cell=blocked, position_xy_m=(x, y))
            return
        odometer = self.drive.odometer_m
        last, since = self._progress
        if odometer - last >= 0.05:
            self._progress = (odometer, now)
        elif now - since >= self.task.stall_timeout_s:
            self.trigger("drive_stalled", position_xy_m=(x, y), still_for_s=now - since)

    def _first_lethal_cell_ahead(self, x: float, y: float) -> Cell | None:
        cells = self._path_cells
        if len(cells) == 0:
            return None
        centres = (cells[:, ::-1].astype(np.float64) + 0.5) * self.geometry.resolution_m
        nearest = int(np.argmin(np.hypot(centres[:, 0] - x, centres[:, 1] - y)))
        ahead = cells[nearest + 1 :]
        lethal = np.isinf(self.costmap.cost[ahead[:, 0], ahead[:, 1]])
        if not lethal.any():
            return None
        row, col = ahead[int(np.argmax(lethal))]
        return Cell(int(row), int(col))

    def _tool_faulted(self, reading: ToolReading) -> bool:
        if reading.fault is not None:
            self.trigger("instrument_fault", fault=reading.fault, phase=reading.phase.value)
            return True
        return False

    def _watch_deploy(self, now: float) -> None:
        reading = self.tool.reading(now)
        if self._tool_faulted(reading):
            return
        if reading.deployed:
            self.trigger("tool_deployed")
        elif now - self._entered_s >= self.task.deploy_timeout_s:
            self.trigger(
                "tool_deploy_failed",
                phase=reading.phase.value,
                after_s=now - self._entered_s,
            )

    def _loads_ok(self, reading: ToolReading, now: float) -> bool:
        """Fires sensor_dropout or force_limit when the loads call for it."""
        task = self.task
        if math.isnan(reading.force_n) or math.isnan(reading.torque_nm):
            if self._dropout_since is None:
                self._dropout_since = now
            if now - self._dropout_since >= task.sensor_dropout_grace_s:
                self.trigger(
                    "sensor_dropout",
                    depth_cm=reading.depth_cm,
                    blind_for_s=now - self._dropout_since,
                )
                return False
            return True  # blind, but not yet for long: hold the verdict
        self._dropout_since = None
        if reading.force_n > task.force_limit_n:
            self.trigger(
                "force_limit",
                quantity="force_n",
                value=reading.force_n,
                limit=task.force_limit_n,
                depth_cm=reading.depth_cm,
            )
            return False
        if reading.torque_nm > task.torque_limit_nm:
            self.trigger(
                "force_limit",
                quantity="torque_nm",
                value=reading.torque_nm,
                limit=task.torque_limit_nm,
                depth_cm=reading.depth_cm,
            )
            return False
        return True

    def _over_time(self, now: float) -> bool:
        if now - self._acquire_started_s >= self.task.acquire_time_limit_s:
            self.trigger("acquire_timeout", limit_s=self.task.acquire_time_limit_s)
            return True
        return False

    def _watch_acquire(self, now: float) -> None:
        reading = self.tool.reading(now)
        if self._tool_faulted(reading) or not self._loads_ok(reading, now):
            return
        if self._dropout_since is not None:
            return
        target = self._target_depth_cm()
        if reading.depth_cm >= target - 1e-6 and not reading.moving:
            self.trigger("depth_reached", depth_cm=reading.depth_cm)
            return
        if self._over_time(now):
            return
        depth, since = self._progress
        if reading.depth_cm - depth >= self.task.progress_cm:
            self._progress = (reading.depth_cm, now)
        elif now - since >= self.task.stuck_window_s:
            detail = {
                "depth_cm": reading.depth_cm,
                "torque_nm": reading.torque_nm,
                "retries": self.retries,
            }
            if self.retries < self.task.max_retries:
                self.trigger("drill_jammed", **detail)
            else:
                self.trigger("drill_stuck", **detail)

    def _watch_recover(self, now: float) -> None:
        reading = self.tool.reading(now)
        if self._tool_faulted(reading) or not self._loads_ok(reading, now):
            return
        if reading.phase is ToolPhase.DEPLOYED and reading.depth_cm <= 0.0:
            self.trigger("drill_freed", attempt=self.retries)
        elif self._over_time(now):
            return
        elif now - self._entered_s >= self.task.retract_timeout_s:
            self.trigger("drill_stuck", depth_cm=reading.depth_cm, retries=self.retries)

    def _watch_retract(self, now: float) -> None:
        reading = self.tool.reading(now)
        if self._tool_faulted(reading):
            return
        if reading.stowed:
            self.trigger("tool_retracted")
        elif now - self._entered_s >= self.task.retract_timeout_s:
            self.trigger("drill_stuck", depth_cm=reading.depth_cm, retries=self.retries)

    def _watch_seal(self, now: float) -> None:
        status = self.store.seal_status(now)
        if status.done:
            if status.ok:
                self.trigger("sealed", container_id=self.container_id)
            elif status.problem == "overfilled":
                self.trigger("container_full", container_id=self.container_id, why=status.detail)
            else:
                self.trigger("seal_failed", container_id=self.container_id, why=status.detail)
        elif now - self._entered_s >= self.task.seal_timeout_s:
            self.trigger(
                "seal_failed", container_id=self.container_id, why="seal did not close in time"
            )

    def _watch_cache(self, now: float) -> None:
        status = self.store.cache_status(now)
        if status.done:
            self.trigger("cached", container_id=self.container_id, mass_g=status.mass_g)
        elif now - self._entered_s >= self.task.cache_timeout_s:
            self.trigger("instrument_fault", fault="cache_timeout", phase="caching")

    def _target_depth_cm(self) -> float:
        return self.task.depth_cm

    # ---- starting and stopping work -------------------------------------------------------
    def on_enter_selecting_site(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        free = self.store.free_containers()
        wanted = self.task.container_id
        if (wanted is not None and wanted not in free) or not free:
            self._selection = (
                "container_full",
                {"container_id": wanted, "free": list(free)},
            )
            return
        self.container_id = wanted if wanted is not None else free[0]
        rover = self.drive.position_xy()
        centre = self.task.search_centre_xy_m or rover
        site = choose_site(
            self.costmap.cost,
            self.science_value,
            self.geometry,
            rover,
            centre,
            self.task.search_radius_m,
            self.task.min_science_value,
        )
        if site is None:
            self._selection = (
                "no_site",
                {"centre_xy_m": centre, "radius_m": self.task.search_radius_m},
            )
            return
        self.site = site
        self._selection = (
            "site_selected",
            {
                "cell": site.cell,
                "site_xy_m": site.xy_m,
                "value": site.value,
                "candidates": site.candidates,
                "container_id": self.container_id,
            },
        )

    def on_enter_approaching_planning(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        if not self._within_reach():
            self._submit_plan()

    def on_exit_approaching_planning(self, event: EventData) -> None:
        self._cancel_plan()

    def on_enter_approaching_driving(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        plan: Plan = event.kwargs["plan"]
        self.plans.append((self.clock.now_s, plan))
        corners = plan.corners
        self._path_cells = plan.cells if plan.waypoints is None else polyline_cells(corners)
        centres = (corners[:, ::-1].astype(np.float64) + 0.5) * self.geometry.resolution_m
        self._progress = (self.drive.odometer_m, self.clock.now_s)
        self.drive.follow(centres)

    def on_exit_approaching_driving(self, event: EventData) -> None:
        self.drive.stop()

    def on_enter_deploying(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        self.drive.stop()
        self.tool.deploy(self.clock.now_s)

    def on_exit_deploying(self, event: EventData) -> None:
        self.tool.halt(self.clock.now_s)

    def on_enter_acquiring(self, event: EventData) -> None:
        now = self.clock.now_s
        self._entered_s = now
        if math.isnan(self._acquire_started_s):
            self._acquire_started_s = now
        reading = self.tool.reading(now)
        self._progress = (reading.depth_cm, now)
        self._dropout_since = None
        self.tool.acquire(self._target_depth_cm(), now)

    def on_exit_acquiring(self, event: EventData) -> None:
        self.tool.halt(self.clock.now_s)

    def on_enter_recovering(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        self.retries += 1
        self._dropout_since = None
        self.tool.retract(self.clock.now_s)

    def on_exit_recovering(self, event: EventData) -> None:
        self.tool.halt(self.clock.now_s)

    def on_enter_retracting(self, event: EventData) -> None:
        now = self.clock.now_s
        self._entered_s = now
        if event.event.name == "depth_reached":
            self.acquired_s = now
            self.acquired_depth_cm = float(event.kwargs.get("depth_cm", self.task.depth_cm))
        self.tool.stow(now)

    def on_exit_retracting(self, event: EventData) -> None:
        self.tool.halt(self.clock.now_s)

    def on_enter_sealing(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        if self.container_id is None:
            raise RuntimeError("sealing without a container (selection did not choose one)")
        self.store.seal(self.container_id, self.clock.now_s)

    def on_exit_sealing(self, event: EventData) -> None:
        if event.event.name == "sealed":
            self.sealed_s = self.clock.now_s

    def on_enter_caching(self, event: EventData) -> None:
        self._entered_s = self.clock.now_s
        if self.container_id is None:
            raise RuntimeError("caching without a container")
        self.store.cache(self.container_id, self.clock.now_s)

    def on_enter_done(self, event: EventData) -> None:
        site, container = self.site, self.container_id
        if site is None or container is None:
            raise RuntimeError("a sample cached without a site or a container")
        self.record = self.custody.append(
            robot_id=self.task.robot_id,
            site_x_m=site.xy_m[0],
            site_y_m=site.xy_m[1],
            science_value=site.value,
            tool=self.task.tool,
            depth_cm=self.acquired_depth_cm,
            acquired_s=self.acquired_s,
            sealed_s=self.sealed_s,
            cached_s=self.clock.now_s,
            mass_g=float(event.kwargs["mass_g"]),
            container_id=container,
        )

    def on_enter_fault(self, event: EventData) -> None:
        self._halt_everything()

    def on_enter_safe(self, event: EventData) -> None:
        self._halt_everything()

    def _halt_everything(self) -> None:
        now = self.clock.now_s
        self._cancel_plan()
        self.drive.stop()
        self.tool.halt(now)
        self.store.halt(now)

    def _submit_plan(self) -> None:
        site = self.site
        if site is None:
            raise RuntimeError("approaching without a site")
        x, y = self.drive.position_xy()
        request = PlanRequest(
            costmap=self.costmap.cost.copy(),
            start=self.geometry.cell_of(x, y),
            goal=site.cell,
            timeout_s=0.0 if self.clock.deterministic else self.task.plan_timeout_s,
        )
        self._job = self.jobs.submit(request, self.clock.now_s)

    def _cancel_plan(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None

    # ---- supervisor hooks ------------------------------------------------------------------
    def stop_work(self) -> None:
        self._halt_everything()

    def restart_work(self) -> None:
        """Starts the current state's work again from where things stand."""
        now = self.clock.now_s
        state = self.state
        self._entered_s = now
        if state == SampleState.SELECTING_SITE:
            self.on_enter_selecting_site(_NO_EVENT)
        elif state == SampleState.PLANNING:
            if not self._within_reach():
                self._submit_plan()
        elif state == SampleState.DRIVING:
            self.trigger("replan", position_xy_m=self.drive.position_xy())
        elif state == SampleState.DEPLOYING:
            self.tool.deploy(now)
        elif state == SampleState.ACQUIRING:
            self._progress = (self.tool.reading(now).depth_cm, now)
            self.tool.acquire(self._target_depth_cm(), now)
        elif state == SampleState.RECOVERING:
            self.tool.retract(now)
        elif state == SampleState.RETRACTING:
            self.tool.stow(now)
        elif state == SampleState.SEALING and self.container_id is not None:
            self.store.seal(self.container_id, now)
        elif state == SampleState.CACHING and self.container_id is not None:
            self.store.cache(self.container_id, now)

    def checkpoint_data(self) -> dict[str, Any]:
        site = self.site
        return {
            "site": None
            if site is None
            else {
                "cell": list(site.cell),
                "xy_m": list(site.xy_m),
                "value": site.value,
                "candidates": site.candidates,
            },
            "container_id": self.container_id,
            "retries": self.retries,
            "acquired_s": self.acquired_s,
            "acquired_depth_cm": self.acquired_depth_cm,
            "sealed_s": self.sealed_s,
            "acquire_started_s": self._acquire_started_s,
            "custody": self.custody.to_json(),
        }

    def restore_data(self, data: dict[str, Any]) -> None:
        site = data.get("site")
        self.site = (
            None
            if site is None
            else SiteChoice(
                Cell(*(int(v) for v in site["cell"])),
                (float(site["xy_m"][0]), float(site["xy_m"][1])),
                float(site["value"]),
                int(site["candidates"]),
            )
        )
        container = data.get("container_id")
        self.container_id = None if container is None else int(container)
        self.retries = int(data.get("retries", 0))
        self.acquired_s = _float(data.get("acquired_s"))
        self.acquired_depth_cm = _float(data.get("acquired_depth_cm"))
        self.sealed_s = _float(data.get("sealed_s"))
        self._acquire_started_s = _float(data.get("acquire_started_s"))
        self.custody.extend_from(data.get("custody", []))
        if self.custody.records and self.state == SampleState.DONE:
            self.record = self.custody.records[-1]

    # ---- records ----------------------------------------------------------------------------
    def describe(self, event: EventData) -> dict[str, Any]:
        detail = {k: v for k, v in event.kwargs.items() if k != "plan"}
        if "plan" in event.kwargs:
            plan: Plan = event.kwargs["plan"]
            detail.update(cost=plan.cost, cells=len(plan.cells), expansions=plan.expansions)
        return detail


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


class _NoEvent:
    """Stands in for the EventData of an entry callback re-run by :meth:`restart_work`."""

    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}


_NO_EVENT: Any = _NoEvent()


__all__ = [
    "FAULT_EVENTS",
    "GENESIS_HASH",
    "STATES",
    "TRANSITIONS",
    "CacheStatus",
    "CustodyLog",
    "CustodyRecord",
    "SampleCollection",
    "SampleState",
    "SampleStore",
    "SamplingTask",
    "SamplingTool",
    "SealStatus",
    "SiteChoice",
    "ToolPhase",
    "ToolReading",
    "choose_site",
]
