"""Safe mode and lunar-night hibernation: the SAFETY behaviour every robot runs.

    IDLE --trip (a behaviour fell into fault, or a request)--> HOLDING --clear (ground)--> IDLE
    IDLE --hibernate (night or long shadow ahead)--> HIBERNATION[CHECKPOINTING
         --checkpoint_written--> ASLEEP] --wake (daylight)--> IDLE
    CHECKPOINTING --checkpoint_failed--> ASLEEP (recorded: the night comes regardless)
    an exception, or an event the state does not accept --> FAULT --safed--> SAFE

Idle, it does not want control. In any other state it does, and as a SAFETY behaviour the
supervisor then suspends every other started behaviour (their work stopped, their state kept)
and resumes the one it preempted when safe mode goes back to idle.

Hibernation: :meth:`SafeMode.watch` (called by the supervisor every tick, in control or not)
fires ``hibernate`` when ``dark(now_s)`` turns true; ``dark`` says, from the mission clock,
whether the robot must be asleep (the night, a long shadow, with any lead time built in:
:func:`dark_between` makes one from times). Entering CHECKPOINTING asks the supervisor for a
checkpoint of the whole mission, which it writes durably at the end of that tick; the next tick
reads the result and goes ASLEEP. Asleep, the tick only watches the clock and fires ``wake``
once ``dark`` is false again. A restart in the night restores the checkpoint
(:meth:`~ilrs_auto.mission.supervisor.Supervisor.restore`) and goes on exactly from it.

Any behaviour falls into safe mode: the supervisor calls :meth:`SafeMode.peer_fault` when one
reaches ``fault`` (when ``trip_on_fault``), and anyone may call :meth:`SafeMode.request`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ilrs_auto.mission.behaviour import Behaviour, Priority, Transition
from ilrs_auto.mission.clock import MissionClock
from ilrs_auto.mission.supervisor import CheckpointJob, CheckpointRequests

Dark = Callable[[float], bool]

STATES: list[Any] = [
    "idle",
    "holding",
    {"name": "hibernation", "children": ["checkpointing", "asleep"], "initial": "checkpointing"},
    "fault",
    "safe",
]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "trip", "source": ["idle", "hibernation"], "dest": "holding"},
    {"trigger": "trip", "source": "holding", "dest": None},  # already holding: stay
    {"trigger": "clear", "source": "holding", "dest": "idle"},
    {"trigger": "hibernate", "source": "idle", "dest": "hibernation"},
    {
        "trigger": "checkpoint_written",
        "source": "hibernation_checkpointing",
        "dest": "hibernation_asleep",
    },
    {
        "trigger": "checkpoint_failed",
        "source": "hibernation_checkpointing",
        "dest": "hibernation_asleep",
    },
    {"trigger": "wake", "source": "hibernation_asleep", "dest": "idle"},
    {"trigger": "safed", "source": "fault", "dest": "safe"},
]


def dark_between(start_s: float, end_s: float) -> Dark:
    """Dark (asleep) from ``start_s`` until ``end_s`` of mission time."""
    if not end_s > start_s:
        raise ValueError(f"the night must end after it starts, got {start_s} s .. {end_s} s")
    return lambda now_s: start_s <= now_s < end_s


def never_dark(now_s: float) -> bool:
    return False


class SafeMode(Behaviour):
    """Safe hold and hibernation for one robot (its ``checkpoints`` are the supervisor's)."""

    name = "safe_mode"
    priority = Priority.SAFETY
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    FINAL_STATES = frozenset({"safe"})

    # Bound by the state machine (declared here for type checkers, as transitions documents).
    trip: Callable[..., bool]
    clear: Callable[..., bool]
    hibernate: Callable[..., bool]

    def __init__(
        self,
        clock: MissionClock,
        checkpoints: CheckpointRequests,
        dark: Dark = never_dark,
        trip_on_fault: bool = True,
    ) -> None:
        self.checkpoints = checkpoints
        self.dark = dark
        self.trip_on_fault = trip_on_fault
        self.job: CheckpointJob | None = None
        self.nights = 0
        super().__init__(clock)

    @property
    def wants_control(self) -> bool:
        return self.state != "idle" and not self.finished

    # ---- reading results ------------------------------------------------------------------
    def watch(self) -> None:
        """Called every tick in control or not: claims control before the dark."""
        if self.state == "idle" and self.dark(self.clock.now_s):
            self.hibernate(night=self.nights + 1)

    def tick(self) -> None:
        state = self.state
        if state == "hibernation_checkpointing":
            job = self.job
            if job is None:
                return
            if job.done:
                self.trigger("checkpoint_written", checkpoint=job.number)
            elif job.error is not None:
                self.trigger("checkpoint_failed", error=job.error)
        elif state == "hibernation_asleep":
            if not self.dark(self.clock.now_s):
                self.trigger("wake", night=self.nights)
        elif state == "fault":
            self.trigger("safed")

    # ---- falling into safe mode -------------------------------------------------------------
    def peer_fault(self, key: str, transition: Transition) -> None:
        """The supervisor's notice that behaviour ``key`` reached fault."""
        if self.trip_on_fault and self.state not in ("fault", "safe"):
            self.trip(source=key, reason=transition.event)

    def request(self, reason: str) -> bool:
        """Anyone asks for safe mode (a ground command, a sensor alarm)."""
        return self.trip(source="request", reason=reason)

    # ---- starting and stopping work -------------------------------------------------------
    def on_enter_hibernation(self, event: Any) -> None:
        self.nights += 1

    def on_enter_hibernation_checkpointing(self, event: Any) -> None:
        self.job = self.checkpoints.request(self.clock.now_s)

    def on_exit_hibernation_checkpointing(self, event: Any) -> None:
        self.job = None

    def restart_work(self) -> None:
        if self.state == "hibernation_checkpointing" and (self.job is None or not self.job.done):
            self.job = self.checkpoints.request(self.clock.now_s)

    def checkpoint_data(self) -> dict[str, Any]:
        return {"nights": self.nights, "job": None if self.job is None else self.job.to_json()}

    def restore_data(self, data: dict[str, Any]) -> None:
        self.nights = int(data.get("nights", 0))
        job = data.get("job")
        self.job = None if job is None else CheckpointJob.from_json(job)


__all__ = ["STATES", "TRANSITIONS", "Dark", "SafeMode", "dark_between", "never_dark"]
