"""The supervisor: one per robot. It owns the mission clock, runs the robot's behaviours under
priorities, records everything, and checkpoints the whole mission to durable storage.

Each :meth:`Supervisor.tick`:

1. **watch**: every behaviour that defines ``watch()`` (safe mode watches for the night) is
   called, whether in control or not; it may fire events to claim control.
2. **arbitrate**: control goes to the behaviour of highest :class:`Priority` that
   ``wants_control`` (the first added wins a tie). The one losing control while it still wants it
   is preempted (``suspend()``: work stopped, state kept); one getting control back is resumed
   (``resume_work()``). When a behaviour of SAFETY priority takes control, every other started
   behaviour is suspended.
3. **control**: only the behaviour in control is ticked. An exception escaping its tick lands it
   in ``fault`` (as an exception in a callback does) and the supervisor goes on.
4. checkpoints requested during the tick are written (see below).

Recording (in memory, and in MCAP when a :class:`~ilrs_auto.mission.recorder.McapRecorder` is
given): every transition of every behaviour (through ``behaviour.listeners``), supervisor events
(control, preempt, suspend, resume, fault, checkpoint, restore), commands and telemetry
(:meth:`record_command`, :meth:`record_telemetry`) and the external inputs that replay needs:
each tick, each event fired into a behaviour from outside a transition (its name and arguments;
events fired from inside callbacks, which the queued machine runs afterwards, are consequences
and are not recorded as inputs) and each exception escaping a tick.

Checkpoints: a behaviour (safe mode, before the night) asks through :attr:`Supervisor.checkpoints`;
at the end of the tick the supervisor marks the request done, makes the log durable, and writes
the supervisor's state, every behaviour's ``checkpoint()``, the clock and the log position, plus
any state registered with :meth:`add_state`, with :func:`~ilrs_auto.mission.durable.write_durable`.
After a restart, build the same behaviours and call :meth:`Supervisor.restore`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ilrs_auto.errors import InputError
from ilrs_auto.mission.behaviour import Behaviour, Priority, Transition
from ilrs_auto.mission.clock import MissionClock
from ilrs_auto.mission.codec import encode
from ilrs_auto.mission.durable import write_durable
from ilrs_auto.mission.recorder import McapRecorder

CHECKPOINT_FORMAT = "ilrs-mission-checkpoint"
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class SupervisorEvent:
    time_s: float
    kind: str  # control, preempt, suspend, resume, fault, checkpoint, checkpoint_failed, restore
    behaviour: str | None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "time_s": self.time_s,
            "kind": self.kind,
            "behaviour": self.behaviour,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Command:
    time_s: float
    target: str
    command: str
    args: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"time_s": self.time_s, "target": self.target, "command": self.command,
                "args": self.args}  # fmt: skip


@dataclass
class CheckpointJob:
    """A checkpoint asked for by a behaviour; done (with its number) or failed (with why)."""

    requested_at_s: float
    done: bool = False
    number: int | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckpointJob:
        number = data.get("number")
        error = data.get("error")
        return cls(
            float(data["requested_at_s"]),
            bool(data.get("done", False)),
            None if number is None else int(number),
            None if error is None else str(error),
        )


class CheckpointRequests:
    """Where behaviours ask for a checkpoint of the whole mission (written at the end of the
    supervisor's tick, when every behaviour's state is settled)."""

    def __init__(self) -> None:
        self.pending: list[CheckpointJob] = []

    def request(self, now_s: float) -> CheckpointJob:
        job = CheckpointJob(now_s)
        self.pending.append(job)
        return job


@dataclass
class _ExtraState:
    save: Callable[[], dict[str, Any]]
    load: Callable[[dict[str, Any]], None]


class Supervisor:
    """Runs one robot's behaviours. ``checkpoint_path``: where checkpoints are written."""

    def __init__(
        self,
        clock: MissionClock,
        recorder: McapRecorder | None = None,
        checkpoint_path: Path | None = None,
    ) -> None:
        self.clock = clock
        self.recorder = recorder
        self.checkpoint_path = checkpoint_path
        self.behaviours: dict[str, Behaviour] = {}
        self.in_control: str | None = None
        self.transitions: list[tuple[str, Transition]] = []
        self.events: list[SupervisorEvent] = []
        self.commands: list[Command] = []
        self.checkpoints = CheckpointRequests()
        self.checkpoint_count = 0
        self.replaying = False  # set by replay: no inputs recorded, behaviours not ticked
        self._extras: dict[str, _ExtraState] = {}
        self._depth = 0  # > 0 inside an event or a supervisor action on a behaviour
        self._phase = "outside"
        # The manifest goes out with the first other message, so that a restored run's log
        # numbers it on from the checkpoint's position like everything else.
        self._manifest: list[dict[str, Any]] = [
            {"time_s": clock.now_s, "kind": "clock", "deterministic": clock.deterministic}
        ]

    # ---- set-up ----------------------------------------------------------------------------
    def add(self, behaviour: Behaviour, key: str | None = None) -> str:
        """Runs ``behaviour`` under this supervisor, known as ``key`` (default: its name)."""
        key = key or behaviour.name
        if key in self.behaviours:
            raise ValueError(f"a behaviour is already supervised as {key!r}")
        if behaviour.clock is not self.clock:
            raise ValueError(f"behaviour {key!r} does not run on the supervisor's clock")
        self.behaviours[key] = behaviour
        behaviour.listeners.append(functools.partial(self._on_transition, key))
        for name in _trigger_names(behaviour):
            original = getattr(behaviour, name)
            setattr(behaviour, name, functools.partial(self._fire, key, name, original))
        if self.recorder is not None:
            from ilrs_auto.mission.replay import replay_params

            self._manifest.append(
                {
                    "time_s": self.clock.now_s,
                    "kind": "behaviour",
                    "behaviour": key,
                    "name": behaviour.name,
                    "priority": int(behaviour.priority),
                    "replay": replay_params(key, behaviour),
                }
            )
        return key

    def add_state(
        self, name: str, save: Callable[[], dict[str, Any]], load: Callable[[dict[str, Any]], None]
    ) -> None:
        """State outside the behaviours that a checkpoint must carry (e.g. a simulated world)."""
        self._extras[name] = _ExtraState(save, load)

    @property
    def in_transition(self) -> bool:
        """True while an event is being processed or the supervisor acts on a behaviour: a
        query made now is part of a transition and is replayed from the log."""
        return self._depth > 0

    # ---- running ---------------------------------------------------------------------------
    def tick(self) -> None:
        self._phase = "watch"
        for key, behaviour in list(self.behaviours.items()):
            watch = getattr(behaviour, "watch", None)
            if callable(watch) and not behaviour.finished:
                self._guarded(key, watch)
        self._phase = "control"
        self._input({"kind": "tick"})
        self.arbitrate()
        if self.in_control is not None and not self.replaying:
            self._guarded(self.in_control, self.behaviours[self.in_control].tick)
        self._phase = "outside"
        self.service_checkpoints()

    def arbitrate(self) -> None:
        """Hands control to the highest-priority behaviour that wants it."""
        chosen: str | None = None
        best = -1
        for key, behaviour in list(self.behaviours.items()):
            try:
                wants = behaviour.wants_control
            except Exception as error:
                self._fail(key, error)
                continue
            if wants and int(behaviour.priority) > best:
                chosen, best = key, int(behaviour.priority)
        previous = self.in_control
        if chosen == previous:
            return
        with self._acting():
            if previous is not None:
                old = self.behaviours[previous]
                if not old.suspended and not old.finished and old.wants_control:
                    self._event("preempt", previous, {"by": chosen})
                    self._guarded_action(previous, old.suspend)
            if chosen is not None and self.behaviours[chosen].priority >= Priority.SAFETY:
                for key, other in self.behaviours.items():
                    if key == chosen or other.suspended or other.finished:
                        continue
                    if other.state == other.INITIAL:
                        continue  # never started: no work to stop
                    self._event("suspend", key, {"by": chosen})
                    self._guarded_action(key, other.suspend)
            self.in_control = chosen
            self._event("control", chosen, {"from": previous})
            if chosen is not None and self.behaviours[chosen].suspended:
                self._event("resume", chosen, {})
                self._guarded_action(chosen, self.behaviours[chosen].resume_work)

    def fire(self, key: str, event: str, **kwargs: Any) -> bool:
        """Fires ``event`` into the behaviour ``key`` from outside (a ground command, a sensor
        alarm): recorded as an input."""
        return bool(self.behaviours[key].trigger(event, **kwargs))

    # ---- records ---------------------------------------------------------------------------
    def record_command(self, target: str, command: str, **args: Any) -> None:
        """A command sent to an actuator (``target``: e.g. ``rover/drive``)."""
        record = Command(self.clock.now_s, target, command, args)
        self.commands.append(record)
        if self.recorder is not None:
            self._write("/mission/commands", record.time_s, record.to_json())

    def record_telemetry(self, topic: str, **values: Any) -> None:
        """A telemetry point received (recorded in the log only)."""
        if self.recorder is not None:
            now = self.clock.now_s
            self._write(
                "/mission/telemetry",
                now,
                {"time_s": now, "topic": topic, "values": values,
                 "in_transition": self.in_transition},
            )  # fmt: skip

    def transition_log(self) -> list[dict[str, Any]]:
        """Every transition so far as JSON, with the behaviour's key."""
        return [{"behaviour": key, **t.to_json()} for key, t in self.transitions]

    # ---- checkpoints -----------------------------------------------------------------------
    def service_checkpoints(self) -> None:
        while self.checkpoints.pending:
            job = self.checkpoints.pending.pop(0)
            number = self.checkpoint_count + 1
            if self.replaying:
                job.done, job.number, self.checkpoint_count = True, number, number
                self._event("checkpoint", None, {"number": number})
                continue
            if self.checkpoint_path is None:
                job.error = "the supervisor has no checkpoint path"
                self._event("checkpoint_failed", None, {"error": job.error})
                continue
            job.done, job.number, self.checkpoint_count = True, number, number
            self._event("checkpoint", None, {"number": number})
            try:
                self.write_checkpoint(self.checkpoint_path)
            except OSError as error:
                job.done, job.number, self.checkpoint_count = False, None, number - 1
                job.error = f"{self.checkpoint_path}: {error.strerror or error}"
                self._event("checkpoint_failed", None, {"error": job.error})

    def checkpoint_state(self) -> dict[str, Any]:
        """The whole mission state (the log made durable first, its position included)."""
        self._write_manifest()
        sequence = self.recorder.sync() if self.recorder is not None else 0
        index = {key: 0 for key in self.behaviours}
        order: list[str] = []
        for key, _ in self.transitions:
            order.append(key)
            index[key] += 1
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "number": self.checkpoint_count,
            "clock_s": self.clock.now_s,
            "supervisor": {
                "in_control": self.in_control,
                "suspended": [k for k, b in self.behaviours.items() if b.suspended],
                "checkpoint_count": self.checkpoint_count,
                "transition_order": order,
                "events": [e.to_json() for e in self.events],
                "commands_sent": len(self.commands),
            },
            "behaviours": {key: b.checkpoint() for key, b in self.behaviours.items()},
            "recorder": {
                "sequence": sequence,
                "file": self.recorder.path.name if self.recorder is not None else None,
            },
            "extras": {name: extra.save() for name, extra in self._extras.items()},
        }

    def write_checkpoint(self, path: Path) -> None:
        data = json.dumps(self.checkpoint_state(), separators=(",", ":")).encode()
        write_durable(Path(path), data)

    def restore(self, path: Path) -> dict[str, Any]:
        """Puts the mission back where the checkpoint at ``path`` left it: the clock, every
        behaviour (matched by key: build the same ones first), the supervisor's bookkeeping,
        registered extra state and the log position. The behaviour that was in control has its
        work restarted; the ones that were preempted are resumed when they get control back."""
        path = Path(path)
        checkpoint = load_checkpoint(path)
        saved = checkpoint["behaviours"]
        if set(saved) != set(self.behaviours):
            raise InputError(
                f"{path}: checkpoint holds behaviours {sorted(saved)}, "
                f"the supervisor runs {sorted(self.behaviours)}"
            )
        missing = sorted(set(self._extras) - set(checkpoint["extras"]))
        if missing:
            raise InputError(f"{path}: checkpoint has no state for {', '.join(missing)}")
        try:
            _set_clock(self.clock, float(checkpoint["clock_s"]))
            sup = checkpoint["supervisor"]
            for key, behaviour in self.behaviours.items():
                behaviour.restore(saved[key])
                behaviour.suspended = key in sup["suspended"]
            cursor = {key: 0 for key in self.behaviours}
            self.transitions = []
            for key in sup["transition_order"]:
                self.transitions.append((key, self.behaviours[key].transitions[cursor[key]]))
                cursor[key] += 1
            self.events = [
                SupervisorEvent(float(e["time_s"]), e["kind"], e["behaviour"], e["detail"])
                for e in sup["events"]
            ]
            self.in_control = sup["in_control"]
            self.checkpoint_count = int(sup["checkpoint_count"])
            for name, extra in self._extras.items():
                extra.load(checkpoint["extras"][name])
        except (KeyError, TypeError, ValueError, IndexError) as error:
            raise InputError(f"{path}: checkpoint does not fit this mission ({error})") from None
        if self.recorder is not None:
            self.recorder.sequence = int(checkpoint["recorder"]["sequence"])
        self._event("restore", self.in_control, {"number": self.checkpoint_count})
        if self.in_control is not None:
            behaviour = self.behaviours[self.in_control]
            behaviour.suspended = True  # its work did not survive the restart
            with self._acting():
                self._guarded_action(self.in_control, behaviour.resume_work)
        return checkpoint

    def close(self) -> None:
        """Stops every behaviour and finishes the log."""
        for behaviour in self.behaviours.values():
            behaviour.close()
        if self.recorder is not None:
            self._write_manifest()
            self.recorder.close()

    # ---- internals -------------------------------------------------------------------------
    @contextmanager
    def _acting(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def _fire(self, key: str, name: str, original: Callable[..., bool], *args: Any,
              **kwargs: Any) -> bool:  # fmt: skip
        if self._depth == 0 and not self.replaying:
            event, event_args = (args[0], args[1:]) if name == "trigger" else (name, args)
            self._input(
                {
                    "kind": "event",
                    "behaviour": key,
                    "phase": self._phase,
                    "event": str(event),
                    "args": [encode(a) for a in event_args],
                    "kwargs": {k: encode(v) for k, v in kwargs.items()},
                }
            )
        with self._acting():
            return original(*args, **kwargs)

    def _write_manifest(self) -> None:
        if self.recorder is not None and self._manifest:
            pending, self._manifest = self._manifest, []
            for entry in pending:
                self.recorder.write("/mission/manifest", float(entry["time_s"]), entry)

    def _write(self, topic: str, time_s: float, payload: dict[str, Any]) -> None:
        if self.recorder is not None:
            self._write_manifest()
            self.recorder.write(topic, time_s, payload)

    def _input(self, payload: dict[str, Any]) -> None:
        if self.recorder is not None and not self.replaying:
            now = self.clock.now_s
            self._write("/mission/inputs", now, {"time_s": now, **payload})

    def _event(self, kind: str, key: str | None, detail: dict[str, Any]) -> None:
        event = SupervisorEvent(self.clock.now_s, kind, key, detail)
        self.events.append(event)
        if self.recorder is not None:
            self._write("/mission/supervisor", event.time_s, event.to_json())

    def _on_transition(self, key: str, behaviour: Behaviour, record: Transition) -> None:
        self.transitions.append((key, record))
        if self.recorder is not None:
            self._write(
                "/mission/transitions", record.time_s, {"behaviour": key, **record.to_json()}
            )
        if record.dest == "fault":
            self._event("fault", key, {"event": record.event})
            with self._acting():
                for other_key, other in self.behaviours.items():
                    hook = getattr(other, "peer_fault", None)
                    if other_key != key and callable(hook):
                        hook(key, record)

    def _guarded(self, key: str, work: Callable[[], object]) -> None:
        """Runs a behaviour's own code; an exception lands the behaviour in fault."""
        try:
            work()
        except Exception as error:
            if not self.replaying:
                self._input(
                    {
                        "kind": "exception",
                        "behaviour": key,
                        "phase": self._phase,
                        "error_type": type(error).__name__,
                        "error": str(error),
                    }
                )
            self._fail(key, error)

    def _guarded_action(self, key: str, work: Callable[[], object]) -> None:
        """A supervisor action on a behaviour (suspend, resume): an exception is a fault."""
        try:
            work()
        except Exception as error:
            self._fail(key, error)

    def _fail(self, key: str, error: Exception) -> None:
        behaviour = self.behaviours[key]
        with self._acting():
            try:
                behaviour.fail(error)
            except Exception as stop_error:  # stopping the actuators failed as well
                self._event(
                    "stop_failed", key, {"error": f"{type(stop_error).__name__}: {stop_error}"}
                )

    def fail(self, key: str, error_type: str, error: str) -> None:
        """Lands ``key`` in fault as an exception of type ``error_type`` would (replay)."""
        self._fail(key, type(error_type, (Exception,), {})(error))


def _trigger_names(behaviour: Behaviour) -> list[str]:
    """The model attributes through which events are fired: ``trigger`` and one per event."""
    names = ["trigger"]
    names.extend(
        name
        for name in behaviour.machine.events
        if isinstance(getattr(behaviour, name, None), functools.partial)
    )
    return names


def load_checkpoint(path: Path) -> dict[str, Any]:
    """A checkpoint file's content; :class:`InputError` naming the file if it is not one."""
    try:
        checkpoint = json.loads(Path(path).read_bytes())
    except OSError as error:
        raise InputError(
            f"{path}: cannot read the checkpoint ({error.strerror or error})"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a checkpoint (bad JSON: {error})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"{path}: not a mission checkpoint (no format {CHECKPOINT_FORMAT!r})")
    if checkpoint.get("version") != CHECKPOINT_VERSION:
        raise InputError(
            f"{path}: checkpoint version {checkpoint.get('version')!r}, "
            f"this build reads {CHECKPOINT_VERSION}"
        )
    return checkpoint


def _set_clock(clock: MissionClock, now_s: float) -> None:
    """Sets the mission clock to a checkpoint's time."""
    setter = getattr(clock, "set_now_s", None)
    if not callable(setter):
        raise ValueError(f"cannot set a {type(clock).__name__} to the checkpoint's time")
    setter(now_s)


__all__ = [
    "CHECKPOINT_FORMAT",
    "CheckpointJob",
    "CheckpointRequests",
    "Command",
    "Supervisor",
    "SupervisorEvent",
    "load_checkpoint",
]
