"""The static validator of mission sequences: every problem, with ``FILE:LINE: path: problem``.

Local rules (keys, types, ranges, timing keys, loop and wait bounds, conditions) are checked
while parsing (:mod:`ilrs_auto.mission.sequence`). The rules here need the whole sequence:

* references: every ``drive_to`` target is defined (an unused target is a warning); the
  scenario loads; the start and the targets lie on its map.
* time: a step's ``at`` is not before an earlier ``at``; and not before the earliest time the
  steps before it can end (it would always start late; a warning when only the worst case is
  late). No step follows a ``safe_mode`` that every path reaches.
* energy: the worst case of every step under the power model (longest durations, every
  branch's worst, loops at their bound) must not take the battery below its reserve; the error
  names the step during which it would. Each contingency's worst case must fit in the reserve.
* contact: a step that needs contact (``needs_contact`` or ``downlink``) must lie, from its
  earliest start to its latest end, inside one contact window.
* samples: no two samples share a container (unless they are in the two branches of one
  ``if``); a sample inside a repeat that runs more than once reuses its container.
* contingencies: each handles an event some step can raise, and no earlier one handles it.
* drive timeouts: a ``drive_to`` timeout shorter than the straight drive at its speed.

Timing is tracked as an interval, best case to worst case: ``drive_to`` takes between the
straight-line distance at its speed and its timeout; ``wait until`` between 0 and its timeout;
``repeat until`` between one iteration and ``max_times``; an ``if`` takes either branch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ilrs_auto.errors import InputError
from ilrs_auto.mission.sequence import (
    MCU_COMMAND_S,
    Contingency,
    Downlink,
    DriveTo,
    ExploreTube,
    If,
    McuCommand,
    Problem,
    Repeat,
    SafeMode,
    Sample,
    SequenceError,
    SequenceFile,
    Severity,
    Step,
    Wait,
    contingency_events,
    did_you_mean,
    parse_sequence,
    rail_name,
    read_sequence_text,
    sort_problems,
    walk_steps,
)

MAX_STEP_VISITS = 50_000
"""Largest number of step executions the worst case may have (loops unrolled)."""
_EPS = 1e-6


@dataclass(frozen=True)
class Summary:
    """What the validator worked out about a valid sequence."""

    steps: int
    contingencies: int
    targets: int
    best_end_s: float
    worst_end_s: float
    worst_energy_wh: float
    usable_wh: float
    battery_wh: float
    initial_soc_pct: float

    @property
    def lowest_soc_pct(self) -> float:
        """Worst-case state of charge at the end."""
        return self.initial_soc_pct - 100.0 * self.worst_energy_wh / self.battery_wh


@dataclass(frozen=True)
class Report:
    source: str
    sequence: SequenceFile | None
    problems: tuple[Problem, ...]
    summary: Summary | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def valid(self) -> bool:
        return self.sequence is not None and not self.errors


def validate_text(text: str, source: str = "<memory>") -> Report:
    """Parses and validates sequence text; never raises on bad input."""
    sequence, problems = parse_sequence(text, source)
    if sequence is None:
        return Report(source, None, tuple(problems))
    validator = _Validator(sequence)
    summary = validator.run()
    everything = sort_problems([*problems, *validator.problems])
    return Report(source, sequence, tuple(everything), summary)


def validate_file(path: str | Path) -> Report:
    """Reads and validates a sequence file; an unreadable file is the report's one problem."""
    source = str(path)
    try:
        text = read_sequence_text(path)
    except InputError as error:
        message = str(error).removeprefix(f"{source}: ")
        return Report(source, None, (Problem(source, 0, "", message),))
    return validate_text(text, source)


def load_sequence(path: str | Path) -> tuple[SequenceFile, Report]:
    """A valid sequence and its report; raises :class:`SequenceError` listing every error."""
    report = validate_file(path)
    if not report.valid or report.sequence is None:
        raise SequenceError(report.errors or list(report.problems))
    return report.sequence, report


# ---- the walk -------------------------------------------------------------------------------

Position = tuple[float, float]


@dataclass(frozen=True)
class _State:
    """Where the timeline stands: best and worst case, worst-case energy, where the rover may
    be, the rails that may be on, the last absolute time seen, and whether every path ended."""

    best_s: float
    worst_s: float
    energy_wh: float
    positions: frozenset[Position]
    rails: frozenset[str]
    last_at: tuple[float, int] | None = None
    ended_line: int | None = None


class _TooLargeError(Exception):
    pass


@dataclass
class _Validator:
    sequence: SequenceFile
    problems: list[Problem] = field(default_factory=list)
    visits: int = 0
    reported: set[tuple[str, str]] = field(default_factory=set)
    loops: list[tuple[int, int]] = field(default_factory=list)  # (line, iteration) stack
    seen_positions: set[Position] = field(default_factory=set)
    in_contingency: bool = False

    def error(
        self, line: int, path: str, message: str, severity: Severity = "error", rule: str = ""
    ) -> None:
        if rule:
            if (path, rule) in self.reported:
                return
            self.reported.add((path, rule))
        self.problems.append(Problem(self.sequence.source, line, path, message, severity))

    def run(self) -> Summary | None:
        sequence = self.sequence
        start = self._start()
        self._targets()
        self._samples()
        power = sequence.power
        initial = _State(0.0, 0.0, 0.0, frozenset({start}), power.rails_on)
        try:
            end = self.walk(sequence.steps, initial)
            self._contingencies(end)
        except _TooLargeError:
            self.error(
                sequence.line_of("steps"),
                "steps",
                f"the worst case runs more than {MAX_STEP_VISITS} steps (loops unrolled); "
                "split the sequence",
            )
            return None
        return Summary(
            steps=sum(1 for _ in walk_steps(sequence.steps)),
            contingencies=len(sequence.contingencies),
            targets=len(sequence.targets),
            best_end_s=end.best_s,
            worst_end_s=end.worst_s,
            worst_energy_wh=end.energy_wh,
            usable_wh=power.usable_wh,
            battery_wh=power.battery_wh,
            initial_soc_pct=power.initial_soc_pct,
        )

    # -- references --------------------------------------------------------------------------

    def _start(self) -> Position:
        """The start position, checking the scenario and the map when a scenario loads."""
        from ilrs_auto.assets import default_scenario_path
        from ilrs_auto.sim.scenario import load_scenario

        sequence = self.sequence
        path = sequence.scenario_path() or default_scenario_path()
        if _is_tube_scenario(path):
            return self._tube_start(path)
        try:
            scenario = load_scenario(path)
        except InputError as error:
            self.error(sequence.line_of("scenario"), "scenario", str(error))
            scenario = None
        start = sequence.start_xy_m
        if start is None:
            start = scenario.mission.start_xy_m if scenario is not None else (0.0, 0.0)
        if scenario is not None:
            self._on_map(scenario, start)
        return start

    def _tube_start(self, path: object) -> Position:
        """A lava-tube scenario: it must load; the robot starts before its skylight."""
        from ilrs_auto.sim.tube_mission import build_tube_world, load_tube_scenario

        sequence = self.sequence
        try:
            scenario = load_tube_scenario(str(path))
        except InputError as error:
            self.error(sequence.line_of("scenario"), "scenario", str(error))
            return sequence.start_xy_m or (0.0, 0.0)
        x, y, _ = build_tube_world(scenario).start_m
        return sequence.start_xy_m or (x, y)

    def _on_map(self, scenario: object, start: Position) -> None:
        from ilrs_auto.sim.scenario import Scenario
        from ilrs_auto.terrain import DemError, read_dem

        if not isinstance(scenario, Scenario):
            return
        sequence = self.sequence
        try:
            dem = read_dem(scenario.dem_path())
        except (InputError, DemError) as error:
            self.error(sequence.line_of("scenario"), "scenario", str(error))
            return
        width, height = dem.width_m, dem.height_m
        places = [("start_xy_m", sequence.line_of("start_xy_m"), start)]
        places += [(t.path, t.line, (t.x_m, t.y_m)) for t in sequence.targets.values()]
        for path, line, (x, y) in places:
            if not (0.0 <= x < width and 0.0 <= y < height):
                self.error(
                    line,
                    path,
                    f"({x:g}, {y:g}) is outside the map of the scenario "
                    f"(x in [0, {width:g}), y in [0, {height:g}) m)",
                )

    def _targets(self) -> None:
        sequence = self.sequence
        names = ", ".join(sequence.targets) or "none defined"
        for ref in sequence.target_refs:
            if ref.name not in sequence.targets:
                self.error(
                    ref.line,
                    ref.path,
                    f"undefined target {ref.name!r} (targets: {names})"
                    + did_you_mean(ref.name, list(sequence.targets)),
                )
        used = {ref.name for ref in sequence.target_refs}
        for target in sequence.targets.values():
            if target.name not in used:
                self.error(target.line, target.path, "no drive_to uses this target", "warning")

    def _samples(self) -> None:
        sequence = self.sequence
        first: dict[int, Step] = {}
        bodies = [*sequence.steps, *(s for c in sequence.contingencies for s in c.body)]
        for inner, repeats in _with_loops(bodies, 1):
            command = inner.command
            if not isinstance(command, Sample):
                continue
            if repeats > 1:
                self.error(
                    inner.line,
                    f"{inner.path}.sample.container",
                    f"inside a repeat that may run {repeats} times, every iteration would use "
                    f"container {command.container}",
                )
            earlier = first.get(command.container)
            if earlier is None:
                first[command.container] = inner
            elif not _exclusive(earlier.path, inner.path):
                self.error(
                    inner.line,
                    f"{inner.path}.sample.container",
                    f"container {command.container} already holds the sample of line "
                    f"{earlier.line}; every sample needs its own container",
                )

    def _contingencies(self, end: _State) -> None:
        sequence = self.sequence
        raised = _raised_events(sequence.steps)
        events = contingency_events()
        handled: dict[str, Contingency] = {}
        power = sequence.power
        for contingency in sequence.contingencies:
            earlier = handled.get(contingency.event)
            if earlier is not None:
                self.error(
                    contingency.line,
                    f"{contingency.path}.on",
                    f"unreachable: {earlier.path} (line {earlier.line}) already handles "
                    f"{contingency.event}",
                )
                continue
            handled[contingency.event] = contingency
            if contingency.event not in raised:
                sources = events[contingency.event][1]
                what = ", ".join(_SOURCE_WORDS.get(s, s + " steps") for s in sources)
                self.error(
                    contingency.line,
                    f"{contingency.path}.on",
                    f"unreachable: no step of the sequence can raise {contingency.event} "
                    f"(it comes from {what})",
                )
            # A contingency may start anywhere the rover may be, with any rail on, at a time
            # not known: its contact needs are checked when it runs, not here.
            positions = frozenset(self.seen_positions) or end.positions
            state = _State(0.0, 0.0, 0.0, positions, frozenset(power.rail_w))
            self.in_contingency = True
            try:
                after = self.walk(contingency.body, state)
            finally:
                self.in_contingency = False
            if after.energy_wh > power.reserve_wh + _EPS:
                self.error(
                    contingency.line,
                    contingency.path,
                    f"energy: in the worst case this contingency needs {after.energy_wh:.0f} Wh, "
                    f"more than the {power.reserve_wh:.0f} Wh reserve "
                    f"({power.reserve_soc_pct:g} % of {power.battery_wh:g} Wh) it runs on",
                )

    # -- timeline ----------------------------------------------------------------------------

    def walk(self, steps: Sequence[Step], state: _State) -> _State:
        for step in steps:
            if state.ended_line is not None:
                self.error(
                    step.line,
                    step.path,
                    f"never runs: the sequence has ended in safe_mode (line {state.ended_line}) "
                    "on every path before it",
                    rule="unreachable",
                )
                break
            self.visits += 1
            if self.visits > MAX_STEP_VISITS:
                raise _TooLargeError
            state = self._timing(step, state)
            state = self._run(step, state)
        return state

    def _timing(self, step: Step, state: _State) -> _State:
        power = self.sequence.power
        at, after = step.at_s, step.after_s
        if at is None:
            gap = after or 0.0
            best, worst = state.best_s + gap, state.worst_s + gap
            last_at = state.last_at
        else:
            if state.last_at is not None and at < state.last_at[0] - _EPS:
                self.error(
                    step.line,
                    f"{step.path}.at",
                    f"absolute times out of order: {at:g} s comes after at {state.last_at[0]:g} s "
                    f"(line {state.last_at[1]})",
                    rule="at-order",
                )
            elif state.best_s > at + _EPS:
                self.error(
                    step.line,
                    f"{step.path}.at",
                    f"{at:g} s is before the steps before it can end ({state.best_s:g} s at "
                    "the earliest): it would always start late",
                    rule="at-late",
                )
            elif state.worst_s > at + _EPS:
                self.error(
                    step.line,
                    f"{step.path}.at",
                    f"may start late: the steps before it may run until {state.worst_s:g} s "
                    "in the worst case",
                    "warning",
                    rule="at-late",
                )
            best, worst = max(at, state.best_s), max(at, state.worst_s)
            last_at = (at, step.line)
        energy = state.energy_wh + power.base_w(state.rails) * (worst - state.worst_s) / 3600.0
        state = replace(state, best_s=best, worst_s=worst, energy_wh=energy, last_at=last_at)
        self._check_energy(step, state, "while it waits for its start time")
        return state

    def _run(self, step: Step, state: _State) -> _State:
        command = step.command
        if isinstance(command, If):
            then = self.walk(command.then, state)
            otherwise = self.walk(command.otherwise, state)
            return _merge(then, otherwise)
        if isinstance(command, Repeat):
            return self._repeat(step, command, state)
        power = self.sequence.power
        best_s, worst_s, extra_w = self._duration(step, state)
        rails = state.rails
        if isinstance(command, McuCommand) and command.name == "SET_POWER":
            rail = rail_name(int(command.args["rail"]))
            rails = rails | {rail} if command.args["on"] else rails - {rail}
        energy = state.energy_wh + (power.base_w(state.rails) + extra_w) * worst_s / 3600.0
        positions = state.positions
        if isinstance(command, DriveTo) and command.target in self.sequence.targets:
            target = self.sequence.targets[command.target]
            positions = frozenset({(target.x_m, target.y_m)})
            self.seen_positions.add((target.x_m, target.y_m))
        self.seen_positions.update(state.positions)
        start = state
        state = replace(
            state,
            best_s=state.best_s + best_s,
            worst_s=state.worst_s + worst_s,
            energy_wh=energy,
            positions=positions,
            rails=rails,
            ended_line=step.line if isinstance(command, SafeMode) else None,
        )
        if step.needs_link:
            self._check_contact(step, start.best_s, state.worst_s)
        self._check_energy(step, state, "during this step")
        return state

    def _duration(self, step: Step, state: _State) -> tuple[float, float, float]:
        """Best and worst duration of a command, s, and its extra power over the base, W."""
        command = step.command
        power = self.sequence.power
        if isinstance(command, DriveTo):
            target = self.sequence.targets.get(command.target)
            distances = [
                math.dist(p, (target.x_m, target.y_m)) if target else 0.0 for p in state.positions
            ]
            near, far = min(distances, default=0.0), max(distances, default=0.0)
            speed = command.speed_mps
            timeout = command.timeout_s
            if timeout is None:
                timeout = power.default_drive_timeout_s(far, speed)
            elif timeout + _EPS < near / speed:
                self.error(
                    step.line,
                    f"{step.path}.drive_to.timeout_s",
                    f"{timeout:g} s is shorter than the drive itself: {near:.1f} m at "
                    f"{speed:g} m/s takes at least {near / speed:.0f} s",
                    rule="timeout",
                )
            return near / speed, timeout, power.drive_w_per_mps * speed
        if isinstance(command, Wait):
            if command.for_s is not None:
                return command.for_s, command.for_s, 0.0
            return 0.0, command.timeout_s or 0.0, 0.0
        if isinstance(command, Sample):
            return command.duration_s, command.duration_s, power.sample_w
        if isinstance(command, Downlink):
            return command.duration_s, command.duration_s, power.downlink_w
        if isinstance(command, ExploreTube):
            return 0.0, command.time_limit_s, 0.0
        if isinstance(command, McuCommand) and command.name == "DRIVE":
            duration = max(MCU_COMMAND_S, float(command.args["duration_ms"]) / 1000.0)
            speed = abs(float(command.args["left_mps"])) + abs(float(command.args["right_mps"]))
            return duration, duration, power.drive_w_per_mps * speed / 2.0
        if isinstance(command, McuCommand):
            return MCU_COMMAND_S, MCU_COMMAND_S, 0.0
        return 0.0, 0.0, 0.0  # safe_mode

    def _repeat(self, step: Step, command: Repeat, state: _State) -> _State:
        first: _State | None = None
        positions: set[Position] = set()
        rails: set[str] = set()
        current = state
        for iteration in range(1, command.bound + 1):
            self.loops.append((step.line, iteration))
            try:
                current = self.walk(command.body, current)
            finally:
                self.loops.pop()
            positions |= current.positions
            rails |= current.rails
            if first is None:
                first = current
            if current.ended_line is not None:
                break
        if first is None:
            return state
        if command.until is None:
            return current
        # An until loop may stop after any iteration: the best case is one iteration.
        return replace(
            current,
            best_s=first.best_s,
            positions=frozenset(positions),
            rails=frozenset(rails),
            ended_line=first.ended_line,
        )

    # -- resources ---------------------------------------------------------------------------

    def _where_in_loops(self) -> str:
        if not self.loops:
            return ""
        line, iteration = self.loops[-1]
        return f" (iteration {iteration} of the repeat at line {line})"

    def _check_energy(self, step: Step, state: _State, when: str) -> None:
        power = self.sequence.power
        if self.in_contingency:
            return
        if state.energy_wh <= power.usable_wh + _EPS or ("", "energy") in self.reported:
            return
        self.reported.add(("", "energy"))
        self.error(
            step.line,
            step.path,
            f"energy: in the worst case the battery falls to its {power.reserve_soc_pct:g} % "
            f"reserve {when}{self._where_in_loops()}: {state.energy_wh:.0f} Wh used by "
            f"t = {state.worst_s:.0f} s, {power.usable_wh:.0f} Wh usable "
            f"({power.battery_wh:g} Wh from {power.initial_soc_pct:g} % to "
            f"{power.reserve_soc_pct:g} %)",
        )

    def _check_contact(self, step: Step, earliest_s: float, latest_s: float) -> None:
        if self.in_contingency or self.sequence.contact_windows_unread:
            return  # not known here; an unread window file is its own problem
        windows = self.sequence.contact_windows
        what = "needs contact" if step.needs_contact else "a downlink needs contact"
        if not windows:
            self.error(
                step.line,
                step.path,
                f"{what}, but the sequence gives no contact windows "
                "(contact_windows or contact_windows_file)",
                rule="contact",
            )
            return
        for window in windows:
            if window.start_s <= earliest_s + _EPS and latest_s <= window.end_s + _EPS:
                return
        listed = ", ".join(f"{w.start_s:g}-{w.end_s:g} s" for w in windows)
        self.error(
            step.line,
            step.path,
            f"{what} from {earliest_s:g} s to {latest_s:g} s (earliest start to latest end)"
            f"{self._where_in_loops()}, and no contact window covers that (windows: {listed})",
            rule="contact",
        )


_SOURCE_WORDS = {
    "*": "every step",
    "link": "steps that need contact",
    "mcu": "MCU commands",
    "wait": "waits with until",
}


def _raised_events(steps: Sequence[Step]) -> set[str]:
    """The events the steps can raise (contingency bodies raise nothing that is handled)."""
    raised = {"battery_low"}
    events = contingency_events()
    kinds: set[str] = {"*"}
    for step in walk_steps(steps):
        command = step.command
        if isinstance(command, DriveTo):
            kinds.add("drive_to")
        elif isinstance(command, Wait) and command.until is not None:
            kinds.add("wait")
        elif isinstance(command, Sample):
            kinds.add("sample")
        elif isinstance(command, ExploreTube):
            kinds.add("explore_tube")
        elif isinstance(command, McuCommand):
            kinds.add("mcu")
        if step.needs_link:
            kinds.add("link")
    for event, (_, sources) in events.items():
        if kinds.intersection(sources):
            raised.add(event)
    return raised


def _is_tube_scenario(path: object) -> bool:
    """Is the scenario file a lava-tube one (``kind: lava_tube``)? Unreadable: no (the
    traverse loader reports it)."""
    from pathlib import Path

    from ilrs_auto.mission_kinds import kind_of

    try:
        return kind_of(Path(str(path))) == "lava_tube"
    except InputError:
        return False


def _merge(a: _State, b: _State) -> _State:
    last = [x for x in (a.last_at, b.last_at) if x is not None]
    both_end = a.ended_line is not None and b.ended_line is not None
    return _State(
        best_s=min(a.best_s, b.best_s),
        worst_s=max(a.worst_s, b.worst_s),
        energy_wh=max(a.energy_wh, b.energy_wh),
        positions=a.positions | b.positions,
        rails=a.rails | b.rails,
        last_at=max(last) if last else None,
        ended_line=a.ended_line if both_end else None,
    )


def _with_loops(steps: Sequence[Step], repeats: int) -> list[tuple[Step, int]]:
    """Every step with the most times it can run (the product of enclosing loop bounds)."""
    result: list[tuple[Step, int]] = []
    for step in steps:
        result.append((step, repeats))
        command = step.command
        if isinstance(command, Repeat):
            result.extend(_with_loops(command.body, repeats * command.bound))
        elif isinstance(command, If):
            result.extend(_with_loops((*command.then, *command.otherwise), repeats))
    return result


def _exclusive(first: str, second: str) -> bool:
    """Are two step paths in the two branches of one ``if`` (so only one of them runs)?"""
    a, b = first.split("."), second.split(".")
    for left, right in zip(a, b, strict=False):
        if left != right:
            kinds = {left.split("[")[0], right.split("[")[0]}
            return kinds == {"then", "else"}
    return False


__all__ = [
    "MAX_STEP_VISITS",
    "Report",
    "Summary",
    "load_sequence",
    "validate_file",
    "validate_text",
]
