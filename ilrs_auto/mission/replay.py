"""Deterministic replay: a recorded mission log run back through the supervisor gives the same
transitions at the same mission times, and the same commands.

It is a replay of the recorded inputs, not a new simulation. The behaviours are rebuilt from the
log's manifest with stand-ins in place of what they drive: a :class:`ReplayDrive` that records
the commands it is given and answers the behaviour's questions (where am I, how far have I
driven) with the answers recorded during the run, a :class:`ReplayJobs` that accepts plan
requests and never delivers (the outcomes are in the recorded events), a flat costmap. Then, in
the recorded order and at the recorded mission times, replay fires every external event (what
the behaviours' ticks and the outside world fired, with their arguments decoded: plans as their
arrays), lets the supervisor arbitrate at every recorded tick (so preemptions and resumptions
are the supervisor's own doing again), applies every recorded exception, and services
checkpoint requests. Events fired from inside callbacks are not in the inputs: the queued
machines fire them again themselves. The behaviours' ticks are not run: what they read came
from the world, and the world's answers are the recorded events.

The transition log, the commands and the supervisor's events are then compared with the
recorded ones; the first difference is reported with both sides.

A behaviour is replayable when an adapter says how to describe it in the manifest and rebuild
it from that description: :data:`ADAPTERS` (``rover_traverse`` and ``safe_mode`` here; add
yours with :func:`register_replay_adapter`). A traverse's drive must be wrapped in a
:class:`RecordedDrive` for its commands and answers to be recorded.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError
from ilrs_auto.geometry import GridGeometry
from ilrs_auto.mission.behaviour import Behaviour
from ilrs_auto.mission.codec import OpaqueValueError, decode
from ilrs_auto.mission.jobs import PlanJob, PlanJobRunner
from ilrs_auto.mission.recorder import MissionLog, dumps
from ilrs_auto.mission.rover_traverse import Drive, RoverTraverse, TraverseGoal
from ilrs_auto.mission.safe_mode import SafeMode
from ilrs_auto.mission.supervisor import Supervisor
from ilrs_auto.planning.base import CancelToken, PlanRequest


class ReplayError(InputError):
    """The log cannot be replayed (not a whole run, a behaviour without an adapter...)."""


class ReplayClock:
    """A mission clock replay sets to each recorded input's time."""

    def __init__(self, now_s: float = 0.0, deterministic: bool = True) -> None:
        self._now_s = now_s
        self._deterministic = deterministic

    @property
    def now_s(self) -> float:
        return self._now_s

    @property
    def deterministic(self) -> bool:
        return self._deterministic

    def set_now_s(self, now_s: float) -> None:
        self._now_s = now_s


# ---- recording side ------------------------------------------------------------------------
class RecordedDrive:
    """A live drive whose commands and answers the supervisor records (topic ``topic``).

    An answer given while a transition is under way (entry actions, a resume) is recorded every
    time: replay hands the same answers back in the same order. Answers read by a tick are
    recorded when they change (telemetry for people; replay does not need them)."""

    def __init__(self, drive: Drive, supervisor: Supervisor, topic: str) -> None:
        self.drive = drive
        self.supervisor = supervisor
        self.topic = topic
        self._last: dict[str, Any] | None = None

    def _observe(self) -> dict[str, Any]:
        x, y = self.drive.position_xy()
        snapshot = {
            "x_m": float(x),
            "y_m": float(y),
            "odometer_m": float(self.drive.odometer_m),
            "moving": bool(self.drive.moving),
        }
        if self.supervisor.in_transition or snapshot != self._last:
            self.supervisor.record_telemetry(self.topic, **snapshot)
            self._last = snapshot
        return snapshot

    def position_xy(self) -> tuple[float, float]:
        snapshot = self._observe()
        return (snapshot["x_m"], snapshot["y_m"])

    @property
    def moving(self) -> bool:
        return bool(self._observe()["moving"])

    @property
    def odometer_m(self) -> float:
        return float(self._observe()["odometer_m"])

    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None:
        path = np.asarray(path_xy_m, np.float64)
        self.supervisor.record_command(self.topic, "follow", path_xy_m=path.tolist())
        self.drive.follow(path)

    def stop(self) -> None:
        self.supervisor.record_command(self.topic, "stop")
        self.drive.stop()


# ---- replay stand-ins ----------------------------------------------------------------------
class ReplayDrive:
    """Takes commands (recorded through the replaying supervisor) and answers from the log."""

    def __init__(self, topic: str, answers: deque[dict[str, Any]], supervisor: Supervisor) -> None:
        self.topic = topic
        self.answers = answers
        self.supervisor = supervisor

    def _answer(self, question: str) -> dict[str, Any]:
        if not self.answers:
            raise ReplayDivergenceError(
                f"{self.topic}: the replayed behaviour asked {question} once more than the "
                "recorded one did"
            )
        return self.answers.popleft()

    def position_xy(self) -> tuple[float, float]:
        answer = self._answer("position_xy")
        return (float(answer["x_m"]), float(answer["y_m"]))

    @property
    def moving(self) -> bool:
        return bool(self._answer("moving")["moving"])

    @property
    def odometer_m(self) -> float:
        return float(self._answer("odometer_m")["odometer_m"])

    def follow(self, path_xy_m: npt.NDArray[np.float64]) -> None:
        path = np.asarray(path_xy_m, np.float64)
        self.supervisor.record_command(self.topic, "follow", path_xy_m=path.tolist())

    def stop(self) -> None:
        self.supervisor.record_command(self.topic, "stop")


class ReplayJobs(PlanJobRunner):
    """Accepts plan requests and never delivers: the outcomes come from the recorded events."""

    def __init__(self) -> None:  # no worker thread
        self.requests: list[PlanRequest] = []
        self.deterministic = True
        self.latency_s = math.inf

    def submit(self, request: PlanRequest, now_s: float) -> PlanJob:
        self.requests.append(request)
        return PlanJob(Future(), CancelToken(), math.inf, True)

    def close(self) -> None:
        pass


class FlatCostmap:
    def __init__(self, geometry: GridGeometry) -> None:
        self.cost = np.ones(geometry.shape, np.float32)


class ReplayDivergenceError(RuntimeError):
    """The replayed behaviour did something the recorded one did not."""


# ---- adapters ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplayContext:
    clock: ReplayClock
    supervisor: Supervisor
    answers: dict[str, deque[dict[str, Any]]]

    def answers_for(self, topic: str) -> deque[dict[str, Any]]:
        return self.answers.setdefault(topic, deque())


@dataclass(frozen=True)
class ReplayAdapter:
    """How to describe a behaviour in the manifest (None: it cannot be replayed) and how to
    rebuild it from that description with replay stand-ins."""

    params: Callable[[str, Any], dict[str, Any] | None]
    build: Callable[[dict[str, Any], ReplayContext], Behaviour]


def _traverse_params(key: str, behaviour: RoverTraverse) -> dict[str, Any] | None:
    if not isinstance(behaviour.drive, RecordedDrive):
        return None
    g = behaviour.geometry
    return {
        "goal": asdict(behaviour.goal),
        "geometry": {"rows": g.rows, "cols": g.cols, "resolution_m": g.resolution_m},
        "drive_topic": behaviour.drive.topic,
    }


def _traverse_build(params: dict[str, Any], context: ReplayContext) -> Behaviour:
    goal = dict(params["goal"])
    goal["goal_xy_m"] = tuple(goal["goal_xy_m"])
    geometry = GridGeometry(**params["geometry"])
    topic = str(params["drive_topic"])
    drive = ReplayDrive(topic, context.answers_for(topic), context.supervisor)
    return RoverTraverse(
        TraverseGoal(**goal), geometry, FlatCostmap(geometry), drive, ReplayJobs(), context.clock
    )


def _safe_mode_params(key: str, behaviour: SafeMode) -> dict[str, Any]:
    return {"trip_on_fault": behaviour.trip_on_fault}


def _safe_mode_build(params: dict[str, Any], context: ReplayContext) -> Behaviour:
    return SafeMode(
        context.clock, context.supervisor.checkpoints, trip_on_fault=bool(params["trip_on_fault"])
    )


ADAPTERS: dict[str, ReplayAdapter] = {
    "rover_traverse": ReplayAdapter(_traverse_params, _traverse_build),
    "safe_mode": ReplayAdapter(_safe_mode_params, _safe_mode_build),
}


def register_replay_adapter(name: str, adapter: ReplayAdapter) -> None:
    if name in ADAPTERS:
        raise ValueError(f"a replay adapter for {name!r} is already registered")
    ADAPTERS[name] = adapter


def replay_params(key: str, behaviour: Behaviour) -> dict[str, Any] | None:
    """What the manifest records so replay can rebuild ``behaviour`` (None: it cannot)."""
    adapter = ADAPTERS.get(behaviour.name)
    return None if adapter is None else adapter.params(key, behaviour)


# ---- replay --------------------------------------------------------------------------------
@dataclass
class ReplayResult:
    transitions: int
    commands: int
    events: int
    divergence: str | None = None
    replayed_transitions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.divergence is None


def _describe(kind: str, item: dict[str, Any]) -> str:
    if kind == "transition":
        return (
            f"t={item['time_s']} s {item['behaviour']}: {item['event']} "
            f"{item['source']} -> {item['dest']} {dumps(item['detail'])}"
        )
    if kind == "command":
        args = dumps(item["args"])
        return f"t={item['time_s']} s {item['target']}: {item['command']} {args[:120]}"
    return f"t={item['time_s']} s {item['kind']} {item['behaviour']} {dumps(item['detail'])}"


def first_difference(
    kind: str, recorded: list[dict[str, Any]], replayed: list[dict[str, Any]]
) -> str | None:
    """The first item where two logs differ, both sides named; None when they are equal."""
    for i, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
        if dumps(a) != dumps(b):
            return (
                f"{kind} {i} differs: recorded {_describe(kind, a)}; replayed {_describe(kind, b)}"
            )
    if len(recorded) != len(replayed):
        n = min(len(recorded), len(replayed))
        extra = (recorded if len(recorded) > n else replayed)[n]
        side = "recorded only" if len(recorded) > n else "replayed only"
        return f"{kind} {n} is {side}: {_describe(kind, extra)}"
    return None


def replay(log: MissionLog) -> ReplayResult:
    """Replays ``log`` and compares; :class:`ReplayError` if it cannot be replayed."""
    where = log.path
    if not log.complete:
        raise ReplayError(f"{where}: an unfinished log (a crashed run) cannot be replayed")
    if any(e["kind"] == "restore" for e in log.on("/mission/supervisor")):
        raise ReplayError(f"{where}: this log continues a run from a checkpoint, not a whole run")
    manifest = log.on("/mission/manifest")
    if not manifest or manifest[0].get("kind") != "clock":
        raise ReplayError(f"{where}: no mission manifest (was it written by the supervisor?)")
    clock = ReplayClock(float(manifest[0]["time_s"]), bool(manifest[0]["deterministic"]))
    supervisor = Supervisor(clock)
    supervisor.replaying = True
    answers: dict[str, deque[dict[str, Any]]] = {}
    for point in log.on("/mission/telemetry"):
        if point["in_transition"]:
            answers.setdefault(point["topic"], deque()).append(point["values"])
    context = ReplayContext(clock, supervisor, answers)

    try:
        tick_open = False  # a tick began and its end (checkpoints) is still to come
        for message in log.messages:
            payload = message.payload
            if message.topic == "/mission/manifest" and payload.get("kind") == "behaviour":
                _add(supervisor, payload, context, where)
            elif message.topic == "/mission/inputs":
                in_tick = payload.get("kind") != "tick" and payload.get("phase") == "control"
                if tick_open and not in_tick:
                    supervisor.service_checkpoints()  # the end of the previous tick
                    tick_open = False
                _apply(supervisor, clock, payload, where)
                tick_open = tick_open or payload.get("kind") == "tick"
        supervisor.service_checkpoints()
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, InputError):
            raise
        raise ReplayError(
            f"{where}: malformed mission input ({type(error).__name__}: {error})"
        ) from None
    finally:
        for behaviour in supervisor.behaviours.values():
            behaviour.close()

    recorded_transitions = log.on("/mission/transitions")
    replayed_transitions = supervisor.transition_log()
    recorded_commands = log.on("/mission/commands")
    replayed_commands = [c.to_json() for c in supervisor.commands]
    recorded_events = log.on("/mission/supervisor")
    replayed_events = [e.to_json() for e in supervisor.events]
    divergence = (
        first_difference("transition", recorded_transitions, replayed_transitions)
        or first_difference("command", recorded_commands, replayed_commands)
        or first_difference("supervisor event", recorded_events, replayed_events)
    )
    return ReplayResult(
        len(recorded_transitions),
        len(recorded_commands),
        len(recorded_events),
        divergence,
        replayed_transitions,
    )


def _add(
    supervisor: Supervisor, entry: dict[str, Any], context: ReplayContext, where: object
) -> None:
    key, name = str(entry["behaviour"]), str(entry["name"])
    adapter = ADAPTERS.get(name)
    if adapter is None:
        raise ReplayError(
            f"{where}: behaviour {key!r} ({name}) has no replay adapter "
            f"(known: {', '.join(sorted(ADAPTERS))})"
        )
    if entry.get("replay") is None:
        raise ReplayError(
            f"{where}: behaviour {key!r} ({name}) was recorded without what replay needs "
            "(e.g. a traverse whose drive is not a RecordedDrive)"
        )
    supervisor.add(adapter.build(entry["replay"], context), key)


def _apply(
    supervisor: Supervisor, clock: ReplayClock, entry: dict[str, Any], where: object
) -> None:
    kind = entry["kind"]
    clock.set_now_s(float(entry["time_s"]))
    if kind == "tick":
        supervisor.arbitrate()
        return
    key = str(entry["behaviour"])
    if key not in supervisor.behaviours:
        raise ReplayError(f"{where}: input for behaviour {key!r}, which the manifest never added")
    if kind == "exception":
        supervisor.fail(key, str(entry["error_type"]), str(entry["error"]))
    elif kind == "event":
        try:
            args = [decode(a) for a in entry["args"]]
            kwargs = {k: decode(v) for k, v in entry["kwargs"].items()}
        except OpaqueValueError as error:
            raise ReplayError(f"{where}: event {entry['event']!r} of {key!r}: {error}") from None
        supervisor.behaviours[key].trigger(str(entry["event"]), *args, **kwargs)
    else:
        raise ReplayError(f"{where}: unknown input kind {kind!r}")


__all__ = [
    "ADAPTERS",
    "FlatCostmap",
    "RecordedDrive",
    "ReplayAdapter",
    "ReplayClock",
    "ReplayContext",
    "ReplayDivergenceError",
    "ReplayDrive",
    "ReplayError",
    "ReplayJobs",
    "ReplayResult",
    "first_difference",
    "register_replay_adapter",
    "replay",
    "replay_params",
]
