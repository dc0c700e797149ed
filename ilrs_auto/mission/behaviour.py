"""What every mission behaviour shares: a state machine built from its tables, a transition
log in mission time, exceptions turned into FAULT, preemption and checkpoints.

A behaviour subclass declares data (``STATES``, ``TRANSITIONS``, ``FINAL_STATES``, its ``name``
and ``priority``) and writes three kinds of methods: entry/exit callbacks that start and cancel
work, :meth:`Behaviour.tick` that reads results and fires events, and the hooks below. The
supervisor (:mod:`ilrs_auto.mission.supervisor`) runs behaviours under priorities and only ticks
the one in control; a preempted behaviour is suspended (its work stopped, its state kept) and
later resumed (its work restarted from where it stood).

Every behaviour has the states ``fault`` and ``safe``: an exception in any callback, or an
event the current state does not accept, records an ``exception`` transition and lands in
``fault``; from ``fault`` a behaviour reaches ``safe`` once its actuators are stopped.

Checkpoints are plain JSON-compatible dictionaries: the state, the transition log and what the
subclass adds through :meth:`Behaviour.checkpoint_data`. Restoring sets the state without
running entry callbacks; the supervisor then resumes the behaviour, which restarts its work.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar

from transitions import EventData
from transitions.extensions import HierarchicalMachine

from ilrs_auto.mission.clock import MissionClock


class Priority(IntEnum):
    """Who wins when two behaviours want the robot: a higher value preempts a lower one."""

    SCIENCE = 10
    CONTACT = 20
    POWER_THERMAL = 30
    SAFETY = 40


@dataclass(frozen=True)
class Transition:
    time_s: float
    event: str
    source: str
    dest: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "time_s": self.time_s,
            "event": self.event,
            "source": self.source,
            "dest": self.dest,
            "detail": _jsonable(self.detail),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transition:
        return cls(
            float(data["time_s"]),
            str(data["event"]),
            str(data["source"]),
            str(data["dest"]),
            dict(data.get("detail", {})),
        )


def _jsonable(value: Any) -> Any:
    """Tuples, numpy scalars and named tuples as JSON's lists and numbers."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


class Behaviour:
    """Base of every mission behaviour. Subclasses set the class attributes and callbacks."""

    name: ClassVar[str]
    priority: ClassVar[Priority]
    STATES: ClassVar[list[Any]]
    TRANSITIONS: ClassVar[list[dict[str, Any]]]
    INITIAL: ClassVar[str] = "idle"
    FINAL_STATES: ClassVar[frozenset[str]]

    # Bound by the state machine (declared here for type checkers, as transitions documents).
    state: str
    trigger: Callable[..., bool]

    def __init__(self, clock: MissionClock) -> None:
        self.clock = clock
        self.transitions: list[Transition] = []
        self.fault: Transition | None = None
        self.suspended = False
        self.listeners: list[Callable[[Behaviour, Transition], None]] = []
        self.machine = HierarchicalMachine(
            model=self,
            states=self.STATES,
            transitions=self.TRANSITIONS,
            initial=self.INITIAL,
            queued=True,
            send_event=True,
            auto_transitions=False,
            after_state_change="_record",
            on_exception="_on_exception",
        )

    # ---- what subclasses write ------------------------------------------------------------
    def tick(self) -> None:
        """Reads results and fires events; called once per control period while in control."""
        raise NotImplementedError

    def stop_work(self) -> None:
        """Cancels jobs and stops actuators (on an exception, on suspension, on close)."""

    def restart_work(self) -> None:
        """Restarts the work of the current state after a suspension or a restore."""

    @property
    def wants_control(self) -> bool:
        """True while the behaviour has work to do (the supervisor hands control by priority
        among the behaviours that want it)."""
        return not self.finished

    def checkpoint_data(self) -> dict[str, Any]:
        """What the subclass must keep across a restart, JSON-compatible."""
        return {}

    def restore_data(self, data: dict[str, Any]) -> None:
        """The inverse of :meth:`checkpoint_data`."""

    # ---- shared machinery -----------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.state in self.FINAL_STATES

    def suspend(self) -> None:
        """Preempted: stop work, keep the state."""
        if not self.suspended:
            self.suspended = True
            self.stop_work()

    def resume_work(self) -> None:
        """Back in control after a preemption or a restore."""
        if self.suspended:
            self.suspended = False
            self.restart_work()

    def checkpoint(self) -> dict[str, Any]:
        return {
            "behaviour": self.name,
            "state": self.state,
            "transitions": [t.to_json() for t in self.transitions],
            "fault": self.fault.to_json() if self.fault else None,
            "data": _jsonable(self.checkpoint_data()),
        }

    def restore(self, checkpoint: dict[str, Any]) -> None:
        """Puts the behaviour where the checkpoint left it, suspended: the supervisor's
        :meth:`resume_work` restarts its work."""
        if checkpoint.get("behaviour") != self.name:
            raise ValueError(
                f"checkpoint is of behaviour {checkpoint.get('behaviour')!r}, not {self.name!r}"
            )
        self.machine.set_state(checkpoint["state"], model=self)
        self.transitions = [Transition.from_json(t) for t in checkpoint["transitions"]]
        fault = checkpoint.get("fault")
        self.fault = Transition.from_json(fault) if fault else None
        self.restore_data(checkpoint.get("data", {}))
        self.suspended = True

    def _record(self, event: EventData) -> None:
        detail = self.describe(event)
        record = Transition(
            self.clock.now_s,
            event.event.name,
            event.transition.source if event.transition else "",
            self.state,
            detail,
        )
        self._append(record)
        if self.state == "fault":
            self.fault = record

    def describe(self, event: EventData) -> dict[str, Any]:
        """The detail recorded with a transition: the event's keyword arguments by default."""
        return dict(event.kwargs)

    def note(self, event: str, **detail: Any) -> None:
        """Records an event that changes no state (a relay dropped, a load shed) in the
        transition log, where listeners and the supervisor's recorder see it."""
        self._append(Transition(self.clock.now_s, event, self.state, self.state, detail))

    def _append(self, record: Transition) -> None:
        self.transitions.append(record)
        for listener in self.listeners:
            listener(self, record)

    def _on_exception(self, event: EventData) -> None:
        if event.error is not None:
            self.fail(event.error)

    def fail(self, error: BaseException) -> None:
        """Lands the behaviour in fault as an exception in one of its callbacks does: records an
        ``exception`` transition, sets the state without exit callbacks, stops its work."""
        record = Transition(
            self.clock.now_s,
            "exception",
            self.state,
            "fault",
            {"error": f"{type(error).__name__}: {error}"},
        )
        self._append(record)
        self.machine.set_state("fault", model=self)  # skips exit callbacks: stop work here
        self.fault = record
        self.stop_work()

    def close(self) -> None:
        """Stops work and detaches the state machine. ``transitions`` binds its triggers onto
        the model as partials holding the model, a cycle that would keep this behaviour and
        what it holds alive until a garbage collection; a closed behaviour takes no events."""
        self.stop_work()
        self.listeners.clear()
        self.machine.remove_model(self)
        for name, value in list(vars(self).items()):
            if isinstance(value, functools.partial):
                delattr(self, name)
