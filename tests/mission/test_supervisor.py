"""The supervisor: control by priority, preemption and resumption in an exact order, a
preempted traverse that still arrives, exceptions that land a behaviour in fault while the
supervisor goes on, and what it records."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ilrs_auto.mission.behaviour import Behaviour, Priority
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.safe_mode import SafeMode
from ilrs_auto.mission.supervisor import Supervisor
from ilrs_auto.sim.patrol import Patrol, PatrolConfig


class Toy(Behaviour):
    """idle --start--> working --finish (after ``work_ticks`` ticks in control)--> done."""

    name = "toy"
    priority = Priority.SCIENCE
    STATES: ClassVar[list[Any]] = ["idle", "working", "done", "fault", "safe"]
    TRANSITIONS: ClassVar[list[dict[str, Any]]] = [
        {"trigger": "start", "source": "idle", "dest": "working"},
        {"trigger": "finish", "source": "working", "dest": "done"},
        {"trigger": "safed", "source": "fault", "dest": "safe"},
    ]
    FINAL_STATES = frozenset({"done", "safe"})

    start: Callable[..., bool]

    def __init__(self, clock: SimClock, label: str, priority: Priority, work_ticks: int) -> None:
        self.label = label
        self.priority = priority  # type: ignore[misc]  # per instance in this test
        self.work_ticks = work_ticks
        self.ticks = 0
        self.calls: list[str] = []
        self.want = False
        self.broken: Exception | None = None
        super().__init__(clock)

    @property
    def wants_control(self) -> bool:
        return self.want and not self.finished

    def tick(self) -> None:
        if self.broken is not None:
            raise self.broken
        if self.state == "idle":
            self.start()
        elif self.state == "working":
            self.ticks += 1
            if self.ticks >= self.work_ticks:
                self.trigger("finish", ticks=self.ticks)
        elif self.state == "fault":
            self.trigger("safed")

    def stop_work(self) -> None:
        self.calls.append(f"{self.label}.stop@{self.clock.now_s}")

    def restart_work(self) -> None:
        self.calls.append(f"{self.label}.restart@{self.clock.now_s}")


def three() -> tuple[Supervisor, SimClock, Toy, Toy, Toy]:
    clock = SimClock()
    supervisor = Supervisor(clock)
    science = Toy(clock, "science", Priority.SCIENCE, work_ticks=3)
    contact = Toy(clock, "contact", Priority.CONTACT, work_ticks=2)
    power = Toy(clock, "power", Priority.POWER_THERMAL, work_ticks=1)
    for toy in (science, contact, power):
        supervisor.add(toy, toy.label)
    return supervisor, clock, science, contact, power


def run(supervisor: Supervisor, clock: SimClock, ticks: int, before: Any = None) -> None:
    for i in range(ticks):
        clock.advance(1.0)
        if before is not None:
            before(i + 1)
        supervisor.tick()


def test_preemption_order_with_three_priorities() -> None:
    supervisor, clock, science, contact, power = three()
    science.want = True

    def arrivals(t: int) -> None:
        if t == 2:
            contact.want = True  # a contact window opens
        if t == 3:
            power.want = True  # the battery runs low

    run(supervisor, clock, 12, arrivals)
    events = [(e.time_s, e.kind, e.behaviour, e.detail) for e in supervisor.events]
    assert events == [
        (1.0, "control", "science", {"from": None}),
        (2.0, "preempt", "science", {"by": "contact"}),
        (2.0, "control", "contact", {"from": "science"}),
        (3.0, "preempt", "contact", {"by": "power"}),
        (3.0, "control", "power", {"from": "contact"}),
        (5.0, "control", "contact", {"from": "power"}),
        (5.0, "resume", "contact", {}),
        (7.0, "control", "science", {"from": "contact"}),
        (7.0, "resume", "science", {}),
        (10.0, "control", None, {"from": "science"}),
    ]
    log = [(b, t.time_s, t.event, t.dest) for b, t in supervisor.transitions]
    assert log == [
        ("science", 1.0, "start", "working"),
        ("contact", 2.0, "start", "working"),
        ("power", 3.0, "start", "working"),
        ("power", 4.0, "finish", "done"),
        ("contact", 6.0, "finish", "done"),
        ("science", 9.0, "finish", "done"),
    ]
    assert science.calls == ["science.stop@2.0", "science.restart@7.0"]
    assert contact.calls == ["contact.stop@3.0", "contact.restart@5.0"]
    assert power.calls == []
    # Only the behaviour in control is ticked: science started, then worked 3 ticks after.
    assert (science.ticks, contact.ticks, power.ticks) == (3, 2, 1)


def test_a_tie_goes_to_the_behaviour_added_first() -> None:
    supervisor, clock, _, contact, _ = three()
    second = Toy(clock, "second", Priority.CONTACT, work_ticks=1)
    supervisor.add(second, "second")
    contact.want = second.want = True
    run(supervisor, clock, 1)
    assert supervisor.in_control == "contact"


def test_a_preempted_traverse_resumes_and_still_arrives(tmp_path: Path) -> None:
    patrol = Patrol(PatrolConfig(nights_s=((50.0, 110.0),)), checkpoint_path=tmp_path / "ckpt")
    try:
        patrol.run()
    finally:
        patrol.close()
    supervisor = patrol.supervisor
    leg1 = [(e.time_s, e.kind) for e in supervisor.events if e.behaviour == "leg1"]
    assert leg1 == [(40.0, "control"), (50.0, "preempt"), (110.5, "control"), (110.5, "resume")]
    events = [(t.time_s, t.event, t.dest) for k, t in supervisor.transitions if k == "leg1"]
    # Driving when preempted: stopped, then on resume a replan from where it stood, then on.
    assert events[2:] == [
        (110.5, "replan", "traverse_replanning"),
        (111.5, "path_ready", "traverse_driving"),
        (131.5, "goal_reached", "arrived"),
    ]
    preempted_at = [c for c in supervisor.commands if c.time_s == 50.0]
    assert [c.command for c in preempted_at] == ["stop"]
    moving_at_night = [c for c in supervisor.commands if 50.0 < c.time_s < 110.5]
    assert moving_at_night == []
    assert patrol.waypoints_reached == 3


def test_an_exception_in_a_tick_is_a_fault_and_the_supervisor_goes_on() -> None:
    supervisor, clock, science, contact, _ = three()
    science.want = contact.want = True
    contact.broken = RuntimeError("antenna gimbal encoder lost")
    run(supervisor, clock, 1)
    assert contact.state == "fault"
    assert contact.fault is not None and contact.fault.event == "exception"
    assert contact.fault.detail == {"error": "RuntimeError: antenna gimbal encoder lost"}
    assert contact.calls == ["contact.stop@1.0"]
    assert [(e.kind, e.behaviour) for e in supervisor.events] == [
        ("control", "contact"),
        ("fault", "contact"),
    ]
    contact.broken = None
    run(supervisor, clock, 5)
    # The broken behaviour safed itself; the supervisor handed control on and science finished.
    assert contact.state == "safe"
    assert science.state == "done"


def test_an_exception_in_a_callback_is_a_fault_too() -> None:
    supervisor, clock, science, _, _ = three()
    science.want = True

    def broken_entry(event: object) -> None:
        raise ValueError("arm joint 3 over its limit")

    science.machine.get_state("working").add_callback("enter", broken_entry)
    run(supervisor, clock, 1)
    assert science.state == "fault"
    assert science.fault is not None
    assert "arm joint 3 over its limit" in science.fault.detail["error"]


def test_a_fault_trips_safe_mode_which_suspends_everyone_until_cleared() -> None:
    clock = SimClock()
    supervisor = Supervisor(clock)
    safe = SafeMode(clock, supervisor.checkpoints)
    science = Toy(clock, "science", Priority.SCIENCE, work_ticks=10)
    contact = Toy(clock, "contact", Priority.CONTACT, work_ticks=10)
    supervisor.add(safe)
    supervisor.add(science, "science")
    supervisor.add(contact, "contact")
    science.want = True
    run(supervisor, clock, 2)  # science working
    contact.want = True
    run(supervisor, clock, 1)  # contact preempts science and starts
    contact.broken = RuntimeError("transponder over temperature")
    run(supervisor, clock, 1)
    assert safe.state == "holding"
    assert safe.transitions[-1].detail == {"source": "contact", "reason": "exception"}
    run(supervisor, clock, 1)
    assert supervisor.in_control == "safe_mode"
    assert [(e.time_s, e.kind, e.behaviour) for e in supervisor.events[-2:]] == [
        (5.0, "preempt", "contact"),
        (5.0, "control", "safe_mode"),
    ]
    assert science.suspended and contact.suspended
    run(supervisor, clock, 3)
    assert (science.ticks, contact.ticks) == (1, 0)  # nothing ran while holding
    supervisor.fire("safe_mode", "clear")
    contact.broken = None
    run(supervisor, clock, 1)
    assert supervisor.in_control == "contact"
    assert contact.calls[-1] == "contact.restart@9.0"


def test_events_fired_from_outside_are_inputs_and_callbacks_are_not() -> None:
    supervisor, clock, science, _, _ = three()
    fired: list[str] = []
    original = supervisor._input

    def spy(payload: dict[str, Any]) -> None:
        fired.append(f"{payload['kind']}:{payload.get('event', '')}")
        original(payload)

    supervisor._input = spy  # type: ignore[method-assign]
    science.want = True
    science.machine.get_state("working").add_callback(
        "enter",
        lambda event: science.trigger("finish", early=True),  # queued, a consequence
    )
    run(supervisor, clock, 2)
    assert fired == ["tick:", "event:start", "tick:"]
    assert [(t.event, t.dest) for _, t in supervisor.transitions] == [
        ("start", "working"),
        ("finish", "done"),
    ]
    assert supervisor.in_transition is False


def test_keys_are_unique_and_the_clock_is_shared() -> None:
    clock = SimClock()
    supervisor = Supervisor(clock)
    supervisor.add(Toy(clock, "a", Priority.SCIENCE, 1), "a")
    with pytest.raises(ValueError, match="already supervised as 'a'"):
        supervisor.add(Toy(clock, "a", Priority.SCIENCE, 1), "a")
    with pytest.raises(ValueError, match="supervisor's clock"):
        supervisor.add(Toy(SimClock(), "b", Priority.SCIENCE, 1), "b")
