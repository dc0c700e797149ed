"""The sequence executor: runs a validated sequence on the mission clock and records each step's
start, end and outcome.

What moves the robot is a :class:`SequenceRobot`; the simulated one
(:class:`ilrs_auto.sim.sequence_robot.SimulatedRobot`) flies each ``drive_to`` with the traverse
behaviour over the scenario's terrain and carries out MCU commands on the rover MCU model. The
executor itself does the timing (``at``, ``after``, waits), the branches and loops, the contact
windows, the battery under the sequence's power model (the same one the validator uses), and the
contingencies. A robot that can sample (a :class:`SamplingRobot`, as the simulated one is) takes
each ``sample`` with the sample-collection behaviour: the time it took and the power model's
sampling power are charged, its chain-of-custody record goes into the log's ``samples``, and a
failure raises ``sample_failed``. A command the robot cannot carry out (in simulation:
``downlink``; ``sample`` on a robot without instruments) is recorded as ``not simulated``, with
the time and energy the power model charges for it, never as done.

Events: a step that fails raises its event (a traverse fault, ``wait_timeout``,
``command_rejected``, ``contact_lost``); the state of charge falling below the reserve raises
``battery_low`` once. The first contingency on the event runs, then ends as it says (``resume``
the sequence after the step, ``abort`` it, or enter ``safe_mode``). An event with no contingency,
or any failure inside a contingency, ends the sequence in safe mode.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ilrs_auto.mission.clock import SimClock, StepClock
from ilrs_auto.mission.conditions import Env, evaluate
from ilrs_auto.mission.sequence import (
    Command,
    Condition,
    Contingency,
    Downlink,
    DriveTo,
    ExploreTube,
    If,
    McuCommand,
    Repeat,
    SafeMode,
    Sample,
    SequenceFile,
    Step,
    Wait,
    rail_name,
)

WAIT_POLL_S = 1.0
"""How often a wait re-evaluates its condition, mission seconds."""


class Outcome(str, Enum):
    DONE = "done"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    NOT_SIMULATED = "not simulated"


@dataclass(frozen=True)
class DriveResult:
    arrived: bool
    duration_s: float
    distance_m: float
    final_state: str  # of the traverse behaviour
    event: str | None  # the fault event when it did not arrive
    detail: str
    transitions: tuple[tuple[float, str, str, str], ...] = ()  # (time from start, event, src, dst)


@dataclass(frozen=True)
class McuResult:
    succeeded: bool
    status: str  # the ack status name
    duration_s: float
    detail: str


class SequenceRobot(Protocol):
    """What the executor commands: the simulated robot, or a real one through its MCU link
    (:class:`ilrs_auto.mission.linked_robot.LinkedRobot`)."""

    @property
    def position_xy_m(self) -> tuple[float, float]: ...
    @property
    def odometer_m(self) -> float: ...
    @property
    def mcu_mode(self) -> str: ...
    def drive_to(
        self, goal_xy_m: tuple[float, float], speed_mps: float, tolerance_m: float, timeout_s: float
    ) -> DriveResult: ...
    def mcu_command(self, command: McuCommand, now_s: float) -> McuResult: ...
    def stop(self, now_s: float) -> None: ...
    def explore_tube(self, time_limit_s: float, link_gap_limit_s: float | None) -> DriveResult:
        """Runs the tube exploration behaviour; ``arrived``: it came back up (done)."""
        ...


@dataclass(frozen=True)
class SampleResult:
    """What a ``sample`` step did: ``custody`` is the chain-of-custody record of a cached
    sample (JSON-ready), None when none was cached."""

    succeeded: bool
    duration_s: float
    final_state: str  # of the sample-collection behaviour
    event: str | None  # its fault event when it failed
    detail: str
    custody: dict[str, Any] | None = None
    distance_m: float = 0.0  # driven to approach the site
    transitions: tuple[tuple[float, str, str, str], ...] = ()  # (time from start, event, src, dst)


@runtime_checkable
class SamplingRobot(Protocol):
    """A robot that can carry out ``sample`` steps (others have them recorded as not
    simulated)."""

    def sample(self, command: Sample, now_s: float) -> SampleResult: ...


@dataclass
class StepRecord:
    """One step as it ran. Nested steps follow their if or repeat; ``iteration`` numbers the
    enclosing repeats' iterations (outermost first)."""

    path: str
    line: int
    command: str
    start_s: float
    end_s: float
    outcome: Outcome
    detail: str = ""
    event: str | None = None
    battery_soc_pct: float = math.nan
    iteration: tuple[int, ...] = ()
    contingency: bool = False


@dataclass
class RunLog:
    sequence: str
    source: str
    result: str = "completed"  # completed | aborted | safe_mode
    reason: str = ""
    end_s: float = 0.0
    battery_soc_pct: float = math.nan
    odometer_m: float = 0.0
    steps: list[StepRecord] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)  # chain of custody, by step

    def outcomes(self) -> list[tuple[str, str]]:
        """(path, outcome) of every step, in the order they ran."""
        return [(r.path, r.outcome.value) for r in self.steps]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for record in data["steps"]:
            record["outcome"] = record["outcome"].value
            record["iteration"] = list(record["iteration"])
        finite: dict[str, Any] = finite_for_json(data)
        return finite


def write_log(log: RunLog, path: str | Path) -> Path:
    """Writes the run log as JSON (NaN as null)."""
    target = Path(path)
    target.write_text(json.dumps(log.to_json(), indent=2) + "\n", encoding="utf-8")
    return target


def finite_for_json(value: Any) -> Any:
    """``value`` with every non-finite float, however deep in dicts, lists and tuples, as None
    (JSON has no NaN or infinity)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_for_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_for_json(v) for v in value]
    return value


class _SequenceEnded(Exception):  # noqa: N818  (control flow, not an error)
    """Ends the sequence (safe mode or abort) from anywhere inside it."""

    def __init__(self, result: str, reason: str) -> None:
        super().__init__(reason)
        self.result = result
        self.reason = reason


class SequenceExecutor:
    """Runs one valid sequence (one the validator found no error in) once. The mission clock
    starts at 0 when the sequence starts; a simulated one moves only as steps take time, a
    paced one (on hardware) waits each step's time out in real time."""

    def __init__(
        self, sequence: SequenceFile, robot: SequenceRobot, clock: StepClock | None = None
    ) -> None:
        self.sequence = sequence
        self.robot = robot
        self.clock = clock or SimClock()
        self.power = sequence.power
        self.energy_wh = 0.0
        self.rails = set(sequence.power.rails_on)
        self.traverse_state = "idle"
        self.log = RunLog(sequence.name, sequence.source)
        self._battery_low_raised = False
        self._iteration: list[int] = []
        self._in_contingency = False
        self._start_odometer_m = robot.odometer_m

    # ---- the environment of conditions ---------------------------------------------------

    @property
    def soc_pct(self) -> float:
        """The robot's measured state of charge when it reports one (hardware), else the
        sequence's power model (simulation)."""
        measured: float | None = getattr(self.robot, "measured_soc_pct", None)
        if measured is not None:
            return measured
        return self.power.initial_soc_pct - 100.0 * self.energy_wh / self.power.battery_wh

    def in_contact(self, time_s: float) -> bool:
        return any(w.start_s <= time_s <= w.end_s for w in self.sequence.contact_windows)

    def env(self) -> Env:
        x, y = self.robot.position_xy_m
        now = self.clock.now_s
        return {
            "battery_soc_pct": self.soc_pct,
            "battery_wh": self.power.battery_wh * self.soc_pct / 100.0,
            "time_s": now,
            "odometer_m": self.robot.odometer_m - self._start_odometer_m,
            "x_m": x,
            "y_m": y,
            "in_contact": self.in_contact(now),
            "state": self.traverse_state,
            "mode": self.robot.mcu_mode,
        }

    def holds(self, condition: Condition) -> bool:
        return evaluate(condition.checked, self.env())

    # ---- running ---------------------------------------------------------------------------

    def run(self) -> RunLog:
        log = self.log
        try:
            self._block(self.sequence.steps)
        except _SequenceEnded as end:
            log.result, log.reason = end.result, end.reason
            if end.result == "safe_mode":
                self.robot.stop(self.clock.now_s)
                self.traverse_state = "safe"
        log.end_s = self.clock.now_s
        log.battery_soc_pct = self.soc_pct
        log.odometer_m = self.robot.odometer_m - self._start_odometer_m
        return log

    def _block(self, steps: Sequence[Step]) -> None:
        for step in steps:
            self._step(step)

    def _pass_time(self, duration_s: float, extra_w: float = 0.0) -> None:
        """Let mission time pass with the base load (and ``extra_w``) drawn."""
        if duration_s <= 0.0:
            return
        self.energy_wh += (self.power.base_w(frozenset(self.rails)) + extra_w) * duration_s / 3600
        self.clock.advance(duration_s)

    def _step(self, step: Step) -> None:
        now = self.clock.now_s
        if step.at_s is not None:
            self._pass_time(step.at_s - now)
        elif step.after_s is not None:
            self._pass_time(step.after_s)
        record = StepRecord(
            step.path,
            step.line,
            describe(step.command, step.keyword),
            self.clock.now_s,
            self.clock.now_s,
            Outcome.DONE,
            iteration=tuple(self._iteration),
            contingency=self._in_contingency,
        )
        if step.at_s is not None and now > step.at_s:
            record.detail = f"started {now - step.at_s:.1f} s late; "
        self.log.steps.append(record)
        failure: str | None = None
        if step.needs_link and not self.in_contact(self.clock.now_s):
            record.outcome = Outcome.FAILED
            record.detail += f"no contact window at t = {self.clock.now_s:g} s"
            failure = "contact_lost"
        else:
            failure = self._command(step, record)
        record.end_s = self.clock.now_s
        record.battery_soc_pct = self.soc_pct
        if failure is not None:
            record.event = failure
            self._raise(failure, step)
        if not self._battery_low_raised and self.soc_pct < self.power.reserve_soc_pct:
            self._battery_low_raised = True
            record.event = record.event or "battery_low"
            self._raise("battery_low", step)

    def _command(self, step: Step, record: StepRecord) -> str | None:
        command = step.command
        if isinstance(command, DriveTo):
            return self._drive(command, record)
        if isinstance(command, Wait):
            return self._wait(command, record)
        if isinstance(command, McuCommand):
            result = self.robot.mcu_command(command, self.clock.now_s)
            extra_w = 0.0
            if command.name == "DRIVE" and result.succeeded:
                speed = abs(float(command.args["left_mps"])) + abs(float(command.args["right_mps"]))
                extra_w = self.power.drive_w_per_mps * speed / 2.0
            self._pass_time(result.duration_s, extra_w)
            record.detail += result.detail
            if not result.succeeded:
                record.outcome = Outcome.FAILED
                return "command_rejected"
            if command.name == "SET_POWER":
                rail = rail_name(int(command.args["rail"]))
                if command.args["on"]:
                    self.rails.add(rail)
                else:
                    self.rails.discard(rail)
            return None
        if isinstance(command, Sample) and isinstance(self.robot, SamplingRobot):
            return self._sample(self.robot, command, record)
        if isinstance(command, Sample):
            self._pass_time(command.duration_s, self.power.sample_w)
            record.outcome = Outcome.NOT_SIMULATED
            record.detail += "the robot has no sampling instrument: time and energy charged"
            return None
        if isinstance(command, Downlink):
            self._pass_time(command.duration_s, self.power.downlink_w)
            record.outcome = Outcome.NOT_SIMULATED
            record.detail += (
                "in a contact window; no radio in the simulator yet: time and energy charged"
            )
            return None
        if isinstance(command, ExploreTube):
            return self._explore_tube(command, record)
        if isinstance(command, SafeMode):
            record.detail += command.reason or "safe_mode step"
            raise _SequenceEnded(
                "safe_mode", f"safe_mode at line {step.line}: {command.reason}".rstrip(": ")
            )
        if isinstance(command, If):
            if command.condition is None:
                raise TypeError(f"{step.path}: an if without a valid condition (not validated?)")
            branch = command.then if self.holds(command.condition) else command.otherwise
            taken = "then" if branch is command.then else "else"
            record.detail += f"took {taken}" + ("" if branch else " (empty)")
            self._block(branch)
            return None
        return self._repeat(command, record)

    def _drive(self, command: DriveTo, record: StepRecord) -> str | None:
        target = self.sequence.targets[command.target]
        goal = (target.x_m, target.y_m)
        timeout = command.timeout_s
        if timeout is None:
            distance = math.dist(self.robot.position_xy_m, goal)
            timeout = self.power.default_drive_timeout_s(distance, command.speed_mps)
        start = self.clock.now_s
        result = self.robot.drive_to(goal, command.speed_mps, command.tolerance_m, timeout)
        self._pass_time(result.duration_s)
        self.energy_wh += self.power.drive_w_per_mps * result.distance_m / 3600.0
        return self._leg_outcome(start, result, record)

    def _leg_outcome(self, start: float, result: DriveResult, record: StepRecord) -> str | None:
        """Logs a robot leg's transitions in mission time and ends its step: None if it
        arrived, else the event that ended it."""
        self.traverse_state = result.final_state
        for time_s, event, source, dest in result.transitions:
            self.log.transitions.append(
                {
                    "time_s": start + time_s,
                    "step": record.path,
                    "event": event,
                    "source": source,
                    "dest": dest,
                }
            )
        record.detail += result.detail
        if result.arrived:
            return None
        record.outcome = Outcome.FAILED
        return result.event or "mission_timeout"

    def _explore_tube(self, command: ExploreTube, record: StepRecord) -> str | None:
        start = self.clock.now_s
        result = self.robot.explore_tube(command.time_limit_s, command.link_gap_limit_s)
        self._pass_time(result.duration_s)  # the robot's own energy is in its result's detail
        return self._leg_outcome(start, result, record)

    def _sample(self, robot: SamplingRobot, command: Sample, record: StepRecord) -> str | None:
        start = self.clock.now_s
        result = robot.sample(command, start)
        self._pass_time(result.duration_s, self.power.sample_w)
        self.energy_wh += self.power.drive_w_per_mps * result.distance_m / 3600.0
        for time_s, event, source, dest in result.transitions:
            self.log.transitions.append(
                {
                    "time_s": start + time_s,
                    "step": record.path,
                    "event": event,
                    "source": source,
                    "dest": dest,
                }
            )
        record.detail += result.detail
        if result.custody is not None:
            self.log.samples.append({"step": record.path, **result.custody})
        if result.succeeded:
            return None
        record.outcome = Outcome.FAILED
        return "sample_failed"

    def _wait(self, command: Wait, record: StepRecord) -> str | None:
        if command.for_s is not None:
            self._pass_time(command.for_s)
            record.detail += f"waited {command.for_s:g} s"
            return None
        until = command.until
        timeout = command.timeout_s or 0.0
        if until is None:
            return None
        deadline = self.clock.now_s + timeout
        while not self.holds(until):
            if self.clock.now_s >= deadline - 1e-9:
                record.outcome = Outcome.TIMED_OUT
                record.detail += f"{until.text!r} did not hold within {timeout:g} s"
                return "wait_timeout"
            self._pass_time(min(WAIT_POLL_S, deadline - self.clock.now_s))
        record.detail += f"{until.text!r} held after {self.clock.now_s - record.start_s:g} s"
        return None

    def _repeat(self, command: Repeat, record: StepRecord) -> str | None:
        iterations = 0
        for iteration in range(1, command.bound + 1):
            iterations = iteration
            self._iteration.append(iteration)
            try:
                self._block(command.body)
            finally:
                self._iteration.pop()
            if command.until is not None and self.holds(command.until):
                record.detail += f"{command.until.text!r} held after {iteration} iteration(s)"
                return None
        if command.until is not None:
            record.detail += (
                f"stopped at max_times ({command.bound}) without {command.until.text!r} holding"
            )
        else:
            record.detail += f"{iterations} iteration(s)"
        return None

    # ---- events ----------------------------------------------------------------------------

    def _raise(self, event: str, step: Step) -> None:
        if self._in_contingency:
            raise _SequenceEnded("safe_mode", f"{event} inside a contingency (line {step.line})")
        handler = next((c for c in self.sequence.contingencies if c.event == event), None)
        if handler is None:
            raise _SequenceEnded("safe_mode", f"unhandled {event} at line {step.line}")
        self._contingency(handler, step)

    def _contingency(self, handler: Contingency, step: Step) -> None:
        now = self.clock.now_s
        record = StepRecord(
            handler.path,
            handler.line,
            f"on {handler.event} (line {step.line})",
            now,
            now,
            Outcome.DONE,
            contingency=True,
        )
        self.log.steps.append(record)
        self._in_contingency = True
        saved = self._iteration
        self._iteration = []
        try:
            self._block(handler.body)
        finally:
            self._in_contingency = False
            self._iteration = saved
            record.end_s = self.clock.now_s
            record.battery_soc_pct = self.soc_pct
        record.detail = f"then {handler.then}"
        if handler.then == "abort":
            raise _SequenceEnded(
                "aborted", f"contingency on {handler.event} (line {handler.line}) aborted"
            )
        if handler.then == "safe_mode":
            raise _SequenceEnded(
                "safe_mode", f"contingency on {handler.event} (line {handler.line})"
            )


def describe(command: Command, keyword: str) -> str:
    """A short text of a step's command, for tables and logs."""
    if isinstance(command, DriveTo):
        return f"drive_to {command.target} at {command.speed_mps:g} m/s"
    if isinstance(command, Wait):
        if command.for_s is not None:
            return f"wait {command.for_s:g} s"
        until = command.until.text if command.until else "?"
        return f"wait until {until} (<= {command.timeout_s or 0:g} s)"
    if isinstance(command, Sample):
        return f"sample {command.tool} {command.depth_cm:g} cm -> container {command.container}"
    if isinstance(command, Downlink):
        return f"downlink {command.duration_s:g} s"
    if isinstance(command, ExploreTube):
        return f"explore_tube (<= {command.time_limit_s:g} s)"
    if isinstance(command, SafeMode):
        return "safe_mode"
    if isinstance(command, McuCommand):
        args = " ".join(f"{k}={_arg_text(command, k)}" for k in command.args)
        return f"{command.name} {args}".rstrip()
    if isinstance(command, If):
        return f"if {command.condition.text if command.condition else '?'}"
    bound = (
        f"{command.times} times"
        if command.times is not None
        else f"until {command.until.text if command.until else '?'} (<= {command.max_times})"
    )
    return f"repeat {bound}"


def _arg_text(command: McuCommand, name: str) -> str:
    value = command.args[name]
    spec = command.definition.args.field(name)
    if spec.enum is not None:
        return spec.enum.name_of(int(value)) or str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


__all__ = [
    "WAIT_POLL_S",
    "DriveResult",
    "McuResult",
    "Outcome",
    "RunLog",
    "SampleResult",
    "SamplingRobot",
    "SequenceExecutor",
    "SequenceRobot",
    "StepRecord",
    "describe",
    "write_log",
]
