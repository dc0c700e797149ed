"""Mission sequences: the file format, its typed tree, and the parser.

A sequence is a YAML (or TOML) file that an integrator writes, validates before uplink
(:mod:`ilrs_auto.mission.sequence_validator`), dry-runs in simulation
(:mod:`ilrs_auto.mission.sequence_executor`) and runs on the robot. The language reference
with a worked example is ``docs/sequences.md``; in short::

    sequence: rim-sample               # name
    robot: rover_r1                    # a robot of the rover_mcu dictionary (optional)
    scenario: scenarios/shoemaker_traverse.yaml   # the simulated world of a dry run
    start_xy_m: [520, 700]             # where the rover starts (default: the scenario's)
    power: {battery_wh: 534, reserve_soc_pct: 20}  # the power model (all keys optional)
    contact_windows: [[0, 900], [3600, 5400]]      # mission times with a link to Earth
    targets:
      rim: [540, 702]                  # site frame, metres east and north
    steps:
      - at: 0
        SET_POWER: {rail: CAMERA, "on": true}      # an MCU command of the dictionary
      - drive_to: {target: rim, speed_mps: 0.2, timeout_s: 600}
      - if: state == arrived
        then:
          - sample: {tool: scoop, depth_cm: 3, container: 1}
        else:
          - safe_mode: {reason: did not reach the rim}
      - repeat: {until: in_contact, max_times: 10}
        do:
          - wait: {for_s: 60}
      - after: 10
        needs_contact: true
        downlink: {duration_s: 300}
    contingencies:
      - on: drive_stalled
        do:
          - safe_mode: {}

Parsing never stops at the first problem: :func:`parse_sequence` returns the tree it could build
and every local problem (unknown keys and commands, wrong types, values out of range, timing
keys in the wrong place, unbounded loops and waits). Problems that need the whole sequence
(undefined targets, time order, energy, contact windows, unreachable contingencies) are found by
the validator. Every node carries the line it starts on and its path (``steps[2].then[0]``).
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal, TypeAlias

from firmware_bridge import sim_mcu
from firmware_bridge.dictionary import ArgumentError, CommandDef, FieldDef, default_dictionary
from ilrs_auto.errors import InputError
from ilrs_auto.located import (
    LEntry,
    LMap,
    LNode,
    Located,
    LScalar,
    LSeq,
    duplicate_keys,
    kind_of,
    located_toml,
    located_yaml,
)
from ilrs_auto.mission.conditions import Checked, check_condition
from ilrs_auto.mission.rover_traverse import FAULT_EVENTS

MAX_REPEAT = 1000
"""Largest bound of a ``repeat``."""
MAX_TIME_S = 10 * 86400.0
"""Latest absolute time and longest duration accepted anywhere, s (ten days)."""
MCU_COMMAND_S = 1.0
"""Mission time one MCU command takes (sent, executed, acknowledged), s."""
MAX_FILE_BYTES = 4_000_000

Severity: TypeAlias = Literal["error", "warning"]


# ---- problems -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One problem of a sequence: ``SOURCE:LINE: path: message``."""

    source: str
    line: int
    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        where = f"{self.source}:{self.line}" if self.line > 0 else self.source
        return (
            f"{where}: {self.path}: {label}{self.message}"
            if self.path
            else f"{where}: {label}{self.message}"
        )


def sort_problems(problems: Sequence[Problem]) -> list[Problem]:
    """By source file (the sequence first), then line; found order within a line."""
    files = list(dict.fromkeys(p.source for p in problems))
    return sorted(problems, key=lambda p: (files.index(p.source), p.line))


class SequenceError(InputError):
    """A sequence with problems; ``str()`` lists every one, one per line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# ---- the power model ----------------------------------------------------------------------

_MCU_MID_VOLTAGE_V = (sim_mcu.BATTERY_V_EMPTY + sim_mcu.BATTERY_V_FULL) / 2


def _rails() -> tuple[str, ...]:
    return tuple(default_dictionary().enums["rail"].values)


def rail_name(number: int) -> str:
    """The dictionary's name of power rail ``number``."""
    name = default_dictionary().enums["rail"].name_of(number)
    return name if name is not None else str(number)


def _default_rail_w() -> dict[str, float]:
    values = default_dictionary().enums["rail"].values
    return {
        name: round(sim_mcu.RAIL_CURRENT_A[number] * _MCU_MID_VOLTAGE_V, 1)
        for name, number in values.items()
        if number < len(sim_mcu.RAIL_CURRENT_A)
    }


def _default_reserve_pct() -> float:
    limits = default_dictionary().housekeeping.points.field("battery_soc_pct").limits
    return limits.yellow_low if limits is not None else 20.0


@dataclass(frozen=True)
class PowerModel:
    """Power drawn while a sequence runs (documented in ``docs/sequences.md``).

    ``P = idle_w + sum(rail_w of the rails on) + drive_w_per_mps * speed (while driving)
    + sample_w (while sampling) + downlink_w (while downlinking)``; no solar input is counted,
    so the energy check is a worst case. Defaults: the battery and rails of the rover MCU model
    (``firmware_bridge.sim_mcu``: 20 Ah at 26.7 V; rail currents at that voltage), the reserve
    at the dictionary's yellow-low limit of ``battery_soc_pct``.
    """

    battery_wh: float = round(sim_mcu.BATTERY_CAPACITY_AH * _MCU_MID_VOLTAGE_V, 1)
    initial_soc_pct: float = 95.0
    reserve_soc_pct: float = field(default_factory=_default_reserve_pct)
    idle_w: float = 45.0
    drive_w_per_mps: float = 250.0
    sample_w: float = 120.0
    downlink_w: float = 30.0
    rail_w: Mapping[str, float] = field(default_factory=_default_rail_w)
    rails_on: frozenset[str] = frozenset({"RADIO"})
    detour_factor: float = 2.0

    @property
    def usable_wh(self) -> float:
        """Energy above the reserve at the start."""
        return self.battery_wh * (self.initial_soc_pct - self.reserve_soc_pct) / 100.0

    @property
    def reserve_wh(self) -> float:
        return self.battery_wh * self.reserve_soc_pct / 100.0

    def base_w(self, rails_on: frozenset[str]) -> float:
        """Power with the robot standing still: idle plus the rails switched on."""
        return self.idle_w + sum(self.rail_w.get(rail, 0.0) for rail in rails_on)

    def default_drive_timeout_s(self, distance_m: float, speed_mps: float) -> float:
        """A drive_to's timeout when the sequence gives none."""
        return math.ceil(self.detour_factor * distance_m / speed_mps) + 120.0


@dataclass(frozen=True)
class _Range:
    doc: str
    lo: float
    hi: float
    unit: str = ""
    lo_open: bool = False
    integer: bool = False


_POWER_KEYS: Mapping[str, _Range] = {
    "battery_wh": _Range("usable battery capacity when full", 0.0, 1e6, "Wh", lo_open=True),
    "initial_soc_pct": _Range("state of charge when the sequence starts", 0.0, 100.0, "%"),
    "reserve_soc_pct": _Range("state of charge never planned below", 0.0, 100.0, "%"),
    "idle_w": _Range("computer, avionics and heaters, always on", 0.0, 5000.0, "W"),
    "drive_w_per_mps": _Range("extra wheel power per m/s of speed", 0.0, 1e5, "W/(m/s)"),
    "sample_w": _Range("extra power while sampling (arm, scoop or drill)", 0.0, 5000.0, "W"),
    "downlink_w": _Range("extra power while transmitting to Earth", 0.0, 5000.0, "W"),
    "detour_factor": _Range("path length / straight line, for default timeouts", 1.0, 10.0),
}


# ---- the tree -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    x_m: float
    y_m: float
    line: int
    path: str


@dataclass(frozen=True)
class TargetRef:
    """A use of a target by name (kept even when the rest of its step has problems)."""

    name: str
    line: int
    path: str


@dataclass(frozen=True)
class Condition:
    text: str
    checked: Checked
    line: int
    path: str


@dataclass(frozen=True)
class DriveTo:
    target: str
    target_line: int
    speed_mps: float
    tolerance_m: float
    timeout_s: float | None  # None: PowerModel.default_drive_timeout_s


@dataclass(frozen=True)
class Wait:
    for_s: float | None
    until: Condition | None
    timeout_s: float | None


@dataclass(frozen=True)
class Sample:
    tool: str
    depth_cm: float
    container: int
    duration_s: float


@dataclass(frozen=True)
class SafeMode:
    reason: str


@dataclass(frozen=True)
class Downlink:
    duration_s: float


@dataclass(frozen=True)
class McuCommand:
    """A command of the rover MCU dictionary, with its arguments checked against it."""

    name: str
    args: Mapping[str, int | float | bool]  # as packed on the wire (enums as numbers)
    definition: CommandDef


@dataclass(frozen=True)
class If:
    condition: Condition | None  # None only in a sequence with problems (never executed)
    then: tuple[Step, ...]
    otherwise: tuple[Step, ...]


@dataclass(frozen=True)
class Repeat:
    times: int | None  # exactly this many times, or
    max_times: int | None  # until ``until`` holds after an iteration, at most this many
    until: Condition | None
    body: tuple[Step, ...]

    @property
    def bound(self) -> int:
        """The most iterations it runs."""
        return self.times if self.times is not None else (self.max_times or 1)


@dataclass(frozen=True)
class ExploreTube:
    """Explore the lava tube of the sequence's scenario (descend, explore, come back up)."""

    time_limit_s: float
    link_gap_limit_s: float | None  # None: the scenario's


Command: TypeAlias = (
    DriveTo | Wait | Sample | SafeMode | Downlink | ExploreTube | McuCommand | If | Repeat
)


@dataclass(frozen=True)
class Step:
    keyword: str  # the command's key as written: drive_to, SET_POWER, if...
    command: Command
    line: int
    path: str
    at_s: float | None = None
    after_s: float | None = None
    needs_contact: bool = False
    label: str = ""

    @property
    def needs_link(self) -> bool:
        """Must run inside a contact window (``needs_contact``, or a downlink)."""
        return self.needs_contact or isinstance(self.command, Downlink)

    def children(self) -> Iterator[Step]:
        command = self.command
        if isinstance(command, If):
            yield from command.then
            yield from command.otherwise
        elif isinstance(command, Repeat):
            yield from command.body


def walk_steps(steps: Sequence[Step]) -> Iterator[Step]:
    """Every step, nested ones included, in file order."""
    for step in steps:
        yield step
        yield from walk_steps(tuple(step.children()))


@dataclass(frozen=True)
class ContactWindow:
    start_s: float
    end_s: float
    line: int
    source: str


@dataclass(frozen=True)
class Contingency:
    event: str
    body: tuple[Step, ...]
    then: str  # resume | abort | safe_mode
    line: int
    path: str


@dataclass(frozen=True)
class SequenceFile:
    """A parsed sequence. ``lines`` holds the line of each header key."""

    name: str
    source: str
    description: str = ""
    robot: str | None = None
    scenario: str | None = None  # as written
    start_xy_m: tuple[float, float] | None = None
    power: PowerModel = field(default_factory=PowerModel)
    contact_windows: tuple[ContactWindow, ...] = ()
    contact_windows_unread: bool = False  # a contact window file was named but not read
    targets: Mapping[str, Target] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    contingencies: tuple[Contingency, ...] = ()
    target_refs: tuple[TargetRef, ...] = ()
    lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, key: str) -> int:
        return self.lines.get(key, 1)

    def scenario_path(self) -> Path | None:
        """The scenario file: beside the sequence first, then in the shipped assets."""
        if self.scenario is None:
            return None
        return resolve_beside(self.source, self.scenario)


def resolve_beside(source: str, name: str) -> Path:
    """``name`` relative to the file ``source``, else to the shipped assets; the first that
    exists (the one beside ``source`` when neither does)."""
    from ilrs_auto.assets import assets_dir

    given = Path(name)
    if given.is_absolute():
        return given
    beside = Path(source).parent / given
    if beside.is_file():
        return beside
    try:
        shipped = assets_dir() / given
    except FileNotFoundError:
        return beside
    return shipped if shipped.is_file() else beside


# ---- command table --------------------------------------------------------------------------

ArgKind: TypeAlias = Literal["number", "integer", "text", "name", "condition", "choice"]


@dataclass(frozen=True)
class ArgSpec:
    """An argument of a high-level command: its type, range and default (None: required, or
    for ``optional`` ones, absent)."""

    kind: ArgKind
    doc: str
    lo: float = -math.inf
    hi: float = math.inf
    unit: str = ""
    lo_open: bool = False
    choices: tuple[str, ...] = ()
    default: float | str | None = None
    optional: bool = False

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional

    def range_text(self) -> str:
        left = "(" if self.lo_open else "["
        unit = f" {self.unit}" if self.unit else ""
        return f"{left}{_num(self.lo)}, {_num(self.hi)}]{unit}"


@dataclass(frozen=True)
class CommandSpec:
    doc: str
    args: Mapping[str, ArgSpec]


@cache
def _max_wheel_speed_mps() -> float:
    return default_dictionary().command("DRIVE").args.field("left_mps").maximum


SCOOP_MAX_DEPTH_CM = 5.0
"""A scoop reaches this deep; deeper samples need the drill."""


@cache
def high_level_commands() -> Mapping[str, CommandSpec]:
    """The high-level commands, their arguments, ranges and defaults."""
    day = 86400.0
    return {
        "drive_to": CommandSpec(
            "drive to a named target with the traverse behaviour (plan, drive, replan)",
            {
                "target": ArgSpec("name", "a name under targets"),
                "speed_mps": ArgSpec(
                    "number",
                    "drive speed (at most the MCU's DRIVE wheel limit)",
                    0.0,
                    _max_wheel_speed_mps(),
                    "m/s",
                    lo_open=True,
                    default=0.2,
                ),
                "tolerance_m": ArgSpec("number", "arrival radius", 0.1, 50.0, "m", default=1.0),
                "timeout_s": ArgSpec(
                    "number",
                    "give up after this long (default: detour_factor x distance / speed + 120 s)",
                    1.0,
                    day,
                    "s",
                    optional=True,
                ),
            },
        ),
        "wait": CommandSpec(
            "wait a fixed time (for_s), or until a condition holds (until, with timeout_s)",
            {
                "for_s": ArgSpec("number", "how long", 0.0, day, "s", optional=True),
                "until": ArgSpec("condition", "a condition", optional=True),
                "timeout_s": ArgSpec(
                    "number", "longest wait for the condition", 1.0, day, "s", optional=True
                ),
            },
        ),
        "sample": CommandSpec(
            "collect a regolith sample into a sealed container",
            {
                "tool": ArgSpec("choice", "scoop or drill", choices=("scoop", "drill")),
                "depth_cm": ArgSpec(
                    "number", "sampling depth (scoop: at most 5)", 0.0, 100.0, "cm", default=2.0
                ),
                "container": ArgSpec("integer", "sample container number", 1, 12),
                "duration_s": ArgSpec(
                    "number", "time the tool works", 60.0, 7200.0, "s", default=900.0
                ),
            },
        ),
        "safe_mode": CommandSpec(
            "stop, enter safe mode and end the sequence",
            {"reason": ArgSpec("text", "why, for the log", default="")},
        ),
        "explore_tube": CommandSpec(
            "descend into the scenario's lava tube, explore it by frontiers with relays, and "
            "come back up (the tube exploration behaviour)",
            {
                "time_limit_s": ArgSpec(
                    "number",
                    "whole exploration, descent and ascent included",
                    60.0,
                    day,
                    "s",
                    default=7200.0,
                ),
                "link_gap_limit_s": ArgSpec(
                    "number",
                    "longest time without a link to the surface",
                    1.0,
                    3600.0,
                    "s",
                    optional=True,
                ),
            },
        ),
        "downlink": CommandSpec(
            "send stored data to Earth (needs a contact window)",
            {"duration_s": ArgSpec("number", "how long", 1.0, 36000.0, "s", default=600.0)},
        ),
    }


CONTROL_KEYS = ("if", "repeat")
TIMING_KEYS = ("at", "after")
STEP_KEYS = ("at", "after", "needs_contact", "label", "then", "else", "do")
CONTINGENCY_ENDINGS = ("abort", "resume", "safe_mode")

_SEQUENCE_EVENTS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "battery_low": ("the state of charge fell below reserve_soc_pct", ("*",)),
    "wait_timeout": ("a wait's condition did not hold within its timeout_s", ("wait",)),
    "contact_lost": ("a step needing contact started outside every contact window", ("link",)),
    "command_rejected": ("the MCU refused an MCU command (its ack was not a success)", ("mcu",)),
    "sample_failed": ("a sample could not be taken", ("sample",)),
}


@cache
def contingency_events() -> Mapping[str, tuple[str, tuple[str, ...]]]:
    """Events a contingency may handle: description, and which steps can raise it (``*``:
    every step; ``link``: steps needing contact; ``mcu``: MCU commands)."""
    drive = {
        event: (f"drive_to failed: the traverse behaviour raised {event}", ("drive_to",))
        for event in sorted(FAULT_EVENTS)
    }
    from ilrs_auto.mission.tube_exploration import FAULT_EVENTS as TUBE_FAULT_EVENTS

    tube = {
        event: (f"explore_tube failed: the tube behaviour raised {event}", ("explore_tube",))
        for event in sorted(TUBE_FAULT_EVENTS - set(drive))
    }
    return {**drive, **tube, **_SEQUENCE_EVENTS}


def mcu_command_names() -> tuple[str, ...]:
    return tuple(c.name for c in default_dictionary().commands)


def command_keys() -> tuple[str, ...]:
    return (*high_level_commands(), *mcu_command_names(), *CONTROL_KEYS)


# ---- reading ------------------------------------------------------------------------------

_HEADER_KEYS = (
    "sequence",
    "description",
    "robot",
    "scenario",
    "start_xy_m",
    "power",
    "contact_windows",
    "contact_windows_file",
    "targets",
    "steps",
    "contingencies",
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_SEQUENCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _num(value: float) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """``; did you mean 'X'?`` for a close match of ``word`` among ``choices``, else ''."""
    by_lower = {c.lower(): c for c in choices}
    if word.lower() in by_lower and by_lower[word.lower()] != word:
        return f"; did you mean {by_lower[word.lower()]!r}?"
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f"; did you mean {close[0]!r}?" if close else ""


@dataclass
class _Context:
    in_loop: bool = False
    in_contingency: bool = False
    depth: int = 0


MAX_NESTING = 16
"""Deepest nesting of if and repeat blocks."""


class _Reader:
    """Builds the tree from a located document, collecting every problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.target_refs: list[TargetRef] = []
        self.windows_unread = False

    def error(self, line: int, path: str, message: str, severity: Severity = "error") -> None:
        self.problems.append(Problem(self.source, line, path, message, severity))

    # -- scalars ---------------------------------------------------------------------------

    def number(self, node: LNode, path: str, spec: _Range | ArgSpec) -> float | None:
        integer = isinstance(spec, _Range) and spec.integer
        integer = integer or (isinstance(spec, ArgSpec) and spec.kind == "integer")
        value = node.value if isinstance(node, LScalar) else None
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and isinstance(value, float) and not math.isfinite(value):
            ok = False
        if ok and integer and not float(value).is_integer():  # type: ignore[arg-type]
            ok = False
        if not ok:
            wanted = "a whole number" if integer else "a number"
            self.error(node.line, path, f"expected {wanted}, got {kind_of(node)}")
            return None
        number = float(value)  # type: ignore[arg-type]  # checked above
        lo, hi, lo_open, unit = spec.lo, spec.hi, spec.lo_open, spec.unit
        unit_text = f" {unit}" if unit else ""
        if number < lo or (lo_open and number == lo):
            relation = ">" if lo_open else ">="
            self.error(
                node.line, path, f"must be {relation} {_num(lo)}{unit_text}, got {_num(number)}"
            )
            return None
        if number > hi:
            self.error(node.line, path, f"must be <= {_num(hi)}{unit_text}, got {_num(number)}")
            return None
        return number

    def text(self, node: LNode, path: str) -> str | None:
        if isinstance(node, LScalar) and isinstance(node.value, str):
            return node.value
        self.error(node.line, path, f"expected text, got {kind_of(node)}")
        return None

    def flag(self, node: LNode, path: str) -> bool | None:
        if isinstance(node, LScalar) and isinstance(node.value, bool):
            return node.value
        self.error(node.line, path, f"expected true or false, got {kind_of(node)}")
        return None

    def time(self, node: LNode, path: str) -> float | None:
        return self.number(node, path, _Range("", 0.0, MAX_TIME_S, "s"))

    def pair(self, node: LNode, path: str) -> tuple[float, float] | None:
        if not isinstance(node, LSeq) or len(node) != 2:
            self.error(node.line, path, f"expected [x, y] in metres, got {kind_of(node)}")
            return None
        where = _Range("", -1e7, 1e7, "m")
        x, y = (self.number(item, path, where) for item in node.items)
        return None if x is None or y is None else (x, y)

    def mapping(self, node: LNode, path: str, what: str) -> LMap | None:
        if isinstance(node, LMap):
            return node
        self.error(node.line, path, f"expected {what}, got {kind_of(node)}")
        return None

    def sequence(self, node: LNode, path: str, what: str) -> LSeq | None:
        if isinstance(node, LSeq):
            return node
        self.error(node.line, path, f"expected {what}, got {kind_of(node)}")
        return None

    def condition(self, node: LNode, path: str) -> Condition | None:
        if not isinstance(node, LScalar) or isinstance(node.value, dict | list):
            self.error(node.line, path, f"expected a condition, got {kind_of(node)}")
            return None
        text = node.text if not isinstance(node.value, str) else node.value
        checked, problems = check_condition(text)
        for problem in problems:
            self.error(node.line, path, f"in {text!r}: {problem}")
        return None if checked is None else Condition(text, checked, node.line, path)

    # -- the document ----------------------------------------------------------------------

    def document(self, root: LNode | None) -> SequenceFile | None:
        if root is None:
            self.error(1, "", "the sequence file is empty")
            return None
        top = self.mapping(root, "sequence", "a mapping of sequence keys (sequence, steps...)")
        if top is None:
            return None
        lines: dict[str, int] = {}
        for entry in top:
            lines[entry.key] = entry.line
            if entry.key not in _HEADER_KEYS:
                self.error(
                    entry.line,
                    entry.key,
                    f"unknown key (expected one of: {', '.join(_HEADER_KEYS)})"
                    + did_you_mean(entry.key, _HEADER_KEYS),
                )
        name = self._name(top)
        description = self._optional_text(top, "description") or ""
        robot = self._robot(top)
        scenario = self._optional_text(top, "scenario")
        start = top.get("start_xy_m")
        start_xy = self.pair(start.value, "start_xy_m") if start is not None else None
        power = self._power(top.get("power"))
        windows = self._windows(top)
        targets = self._targets(top.get("targets"))
        steps_entry = top.get("steps")
        steps: tuple[Step, ...] = ()
        if steps_entry is None:
            self.error(top.line, "steps", "required: the list of steps to run")
        else:
            steps = self.steps(steps_entry.value, "steps", _Context())
        contingencies = self._contingencies(top.get("contingencies"))
        return SequenceFile(
            name=name,
            source=self.source,
            description=description,
            robot=robot,
            scenario=scenario,
            start_xy_m=start_xy,
            power=power,
            contact_windows=windows,
            contact_windows_unread=self.windows_unread,
            targets=targets,
            steps=steps,
            contingencies=contingencies,
            target_refs=tuple(self.target_refs),
            lines=lines,
        )

    def _name(self, top: LMap) -> str:
        entry = top.get("sequence")
        if entry is None:
            self.error(top.line, "sequence", "required: the sequence's name")
            return "unnamed"
        name = self.text(entry.value, "sequence")
        if name is None:
            return "unnamed"
        if not _SEQUENCE_NAME.fullmatch(name):
            self.error(
                entry.line,
                "sequence",
                f"{name!r} is not a usable name (1 to 64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit)",
            )
        return name

    def _optional_text(self, top: LMap, key: str) -> str | None:
        entry = top.get(key)
        return None if entry is None else self.text(entry.value, key)

    def _robot(self, top: LMap) -> str | None:
        entry = top.get("robot")
        if entry is None:
            return None
        name = self.text(entry.value, "robot")
        robots = [r.name for r in default_dictionary().robots]
        if name is not None and name not in robots:
            self.error(
                entry.line,
                "robot",
                f"unknown robot {name!r} (the dictionary has: {', '.join(robots)})"
                + did_you_mean(name, robots),
            )
        return name

    def _power(self, entry: LEntry | None) -> PowerModel:
        if entry is None:
            return PowerModel()
        node = self.mapping(entry.value, "power", "a mapping of power model keys")
        if node is None:
            return PowerModel()
        known = (*_POWER_KEYS, "rail_w", "rails_on")
        values: dict[str, float] = {}
        rail_w = dict(PowerModel().rail_w)
        rails_on = PowerModel().rails_on
        for item in node:
            path = f"power.{item.key}"
            if item.key in _POWER_KEYS:
                number = self.number(item.value, path, _POWER_KEYS[item.key])
                if number is not None:
                    values[item.key] = number
            elif item.key == "rail_w":
                rail_w.update(self._rail_w(item.value, path))
            elif item.key == "rails_on":
                rails_on = self._rails_on(item.value, path)
            else:
                self.error(
                    item.line,
                    path,
                    f"unknown key (expected one of: {', '.join(known)})"
                    + did_you_mean(item.key, known),
                )
        model = PowerModel(rail_w=rail_w, rails_on=rails_on)
        initial = values.get("initial_soc_pct", model.initial_soc_pct)
        reserve = values.get("reserve_soc_pct", model.reserve_soc_pct)
        if reserve >= initial:  # reported, and the defaults used so nothing else cascades
            key = "reserve_soc_pct" if "reserve_soc_pct" in values else "initial_soc_pct"
            line = next((e.line for e in node if e.key == key), node.line)
            self.error(
                line,
                f"power.{key}",
                f"the reserve ({_num(reserve)} %) must be below the initial state of charge "
                f"({_num(initial)} %)",
            )
            initial, reserve = model.initial_soc_pct, model.reserve_soc_pct
        return PowerModel(
            battery_wh=values.get("battery_wh", model.battery_wh),
            initial_soc_pct=initial,
            reserve_soc_pct=reserve,
            idle_w=values.get("idle_w", model.idle_w),
            drive_w_per_mps=values.get("drive_w_per_mps", model.drive_w_per_mps),
            sample_w=values.get("sample_w", model.sample_w),
            downlink_w=values.get("downlink_w", model.downlink_w),
            rail_w=rail_w,
            rails_on=rails_on,
            detour_factor=values.get("detour_factor", model.detour_factor),
        )

    def _rail_w(self, node: LNode, path: str) -> dict[str, float]:
        table = self.mapping(node, path, "a mapping of rail names to watts")
        rails = _rails()
        result: dict[str, float] = {}
        for item in table or ():
            if item.key not in rails:
                self.error(
                    item.line,
                    f"{path}.{item.key}",
                    f"unknown rail (the dictionary has: {', '.join(rails)})"
                    + did_you_mean(item.key, rails),
                )
                continue
            number = self.number(item.value, f"{path}.{item.key}", _Range("", 0.0, 5000.0, "W"))
            if number is not None:
                result[item.key] = number
        return result

    def _rails_on(self, node: LNode, path: str) -> frozenset[str]:
        listed = self.sequence(node, path, "a list of rail names")
        rails = _rails()
        result: set[str] = set()
        for index, item in enumerate(listed or ()):
            name = self.text(item, f"{path}[{index}]")
            if name is not None and name not in rails:
                self.error(
                    item.line,
                    f"{path}[{index}]",
                    f"unknown rail {name!r} (the dictionary has: {', '.join(rails)})"
                    + did_you_mean(name, rails),
                )
            elif name is not None:
                result.add(name)
        return frozenset(result)

    def _windows(self, top: LMap) -> tuple[ContactWindow, ...]:
        inline, from_file = top.get("contact_windows"), top.get("contact_windows_file")
        if inline is not None and from_file is not None:
            self.error(
                from_file.line,
                "contact_windows_file",
                "give contact_windows or contact_windows_file, not both",
            )
            return ()
        if inline is not None:
            return self.windows(inline.value, "contact_windows")
        if from_file is None:
            return ()
        name = self.text(from_file.value, "contact_windows_file")
        if name is None:
            return ()
        path = resolve_beside(self.source, name)
        try:
            located = _locate(_read_text(path), str(path))
        except InputError as error:
            self.error(from_file.line, "contact_windows_file", str(error))
            self.windows_unread = True
            return ()
        reader = _Reader(str(path))
        node = located.root
        if isinstance(node, LMap) and node.get("contact_windows") is not None:
            entry = node.get("contact_windows")
            windows = reader.windows(entry.value, "contact_windows") if entry else ()
        elif node is None:
            reader.error(1, "", "the contact window file is empty")
            windows = ()
        else:
            windows = reader.windows(node, "contact_windows")
        self.problems.extend(reader.problems)
        return windows

    def windows(self, node: LNode, path: str) -> tuple[ContactWindow, ...]:
        listed = self.sequence(node, path, "a list of [start_s, end_s] pairs")
        windows: list[ContactWindow] = []
        for index, item in enumerate(listed or ()):
            where = f"{path}[{index}]"
            if not isinstance(item, LSeq) or len(item) != 2:
                self.error(item.line, where, f"expected [start_s, end_s], got {kind_of(item)}")
                continue
            start, end = (self.time(value, where) for value in item.items)
            if start is None or end is None:
                continue
            if end <= start:
                self.error(
                    item.line, where, f"must end after it starts, got [{_num(start)}, {_num(end)}]"
                )
                continue
            if windows and start < windows[-1].end_s:
                self.error(
                    item.line,
                    where,
                    f"starts at {_num(start)} s, before the previous window ends "
                    f"({_num(windows[-1].end_s)} s); list windows in time order, without overlap",
                )
                continue
            windows.append(ContactWindow(start, end, item.line, self.source))
        return tuple(windows)

    def _targets(self, entry: LEntry | None) -> dict[str, Target]:
        if entry is None:
            return {}
        node = self.mapping(entry.value, "targets", "a mapping of target names to [x, y]")
        targets: dict[str, Target] = {}
        for item in node or ():
            path = f"targets.{item.key}"
            if not _NAME.fullmatch(item.key):
                self.error(
                    item.line,
                    path,
                    "a target name is a letter or '_' then letters, digits or '_' (at most 64)",
                )
                continue
            value = item.value
            xy: tuple[float, float] | None
            if isinstance(value, LMap):
                xy = self._xy_mapping(value, path)
            else:
                xy = self.pair(value, path)
            if xy is not None:
                targets[item.key] = Target(item.key, xy[0], xy[1], item.line, path)
        return targets

    def _xy_mapping(self, node: LMap, path: str) -> tuple[float, float] | None:
        where = _Range("", -1e7, 1e7, "m")
        found: dict[str, float] = {}
        for item in node:
            if item.key not in ("x_m", "y_m"):
                self.error(item.line, f"{path}.{item.key}", "unknown key (expected x_m and y_m)")
                continue
            number = self.number(item.value, f"{path}.{item.key}", where)
            if number is not None:
                found[item.key] = number
        for key in ("x_m", "y_m"):
            if key not in (e.key for e in node):
                self.error(node.line, f"{path}.{key}", "required")
        if "x_m" in found and "y_m" in found:
            return found["x_m"], found["y_m"]
        return None

    def _contingencies(self, entry: LEntry | None) -> tuple[Contingency, ...]:
        if entry is None:
            return ()
        listed = self.sequence(entry.value, "contingencies", "a list of {on, do, then}")
        result: list[Contingency] = []
        events = contingency_events()
        for index, item in enumerate(listed or ()):
            path = f"contingencies[{index}]"
            node = self.mapping(item, path, "a mapping with on, do and then")
            if node is None:
                continue
            event: str | None = None
            body: tuple[Step, ...] = ()
            then = "abort"
            for key in node:
                where = f"{path}.{key.key}"
                if key.key == "on":
                    event = self.text(key.value, where)
                    if event is not None and event not in events:
                        self.error(
                            key.value.line,
                            where,
                            f"unknown event {event!r} (known: {', '.join(events)})"
                            + did_you_mean(event, list(events)),
                        )
                        event = None
                elif key.key == "do":
                    body = self.steps(key.value, where, _Context(in_contingency=True, depth=1))
                elif key.key == "then":
                    ending = self.text(key.value, where)
                    if ending is not None and ending not in CONTINGENCY_ENDINGS:
                        self.error(
                            key.value.line,
                            where,
                            f"expected one of {', '.join(CONTINGENCY_ENDINGS)}, got {ending!r}",
                        )
                    elif ending is not None:
                        then = ending
                else:
                    self.error(key.line, where, "unknown key (expected on, do and then)")
            if node.get("on") is None:
                self.error(node.line, f"{path}.on", "required: the event to handle")
            if node.get("do") is None:
                self.error(node.line, f"{path}.do", "required: the steps to run")
            if event is not None and node.get("do") is not None:
                result.append(Contingency(event, body, then, node.line, path))
        return tuple(result)

    # -- steps -----------------------------------------------------------------------------

    def steps(self, node: LNode, path: str, context: _Context) -> tuple[Step, ...]:
        listed = self.sequence(node, path, "a list of steps")
        if listed is None:
            return ()
        if len(listed) == 0:
            self.error(listed.line, path, "no steps: give at least one")
        result = []
        for index, item in enumerate(listed):
            step = self.step(item, f"{path}[{index}]", context)
            if step is not None:
                result.append(step)
        return tuple(result)

    def step(self, node: LNode, path: str, context: _Context) -> Step | None:
        mapping = self.mapping(node, path, "a step: a mapping with one command")
        if mapping is None:
            return None
        keys = command_keys()
        commands = [e for e in mapping if e.key in keys]
        for entry in mapping:
            if entry.key not in keys and entry.key not in STEP_KEYS:
                self.error(
                    entry.line,
                    f"{path}.{entry.key}",
                    "unknown command or step key" + did_you_mean(entry.key, (*keys, *STEP_KEYS)),
                )
        if not commands:
            if all(e.key in keys or e.key in STEP_KEYS for e in mapping):
                self.error(
                    mapping.line,
                    path,
                    f"no command (expected one of: {', '.join(high_level_commands())}, "
                    f"if, repeat, or an MCU command: {', '.join(mcu_command_names())})",
                )
            return None
        if len(commands) > 1:
            self.error(
                commands[1].line,
                path,
                f"two commands in one step ({commands[0].key} and {commands[1].key}); "
                "give each its own step",
            )
        entry = commands[0]
        at_s, after_s = self._timing(mapping, path, context)
        needs_contact = False
        label = ""
        for item in mapping:
            if item.key == "needs_contact":
                needs_contact = bool(self.flag(item.value, f"{path}.needs_contact"))
                if needs_contact and entry.key in CONTROL_KEYS:
                    self.error(
                        item.line,
                        f"{path}.needs_contact",
                        f"applies to commands, not to an '{entry.key}' block: mark its steps",
                    )
                    needs_contact = False
            elif item.key == "label":
                label = self.text(item.value, f"{path}.label") or ""
        command = self.command(entry, mapping, path, context)
        if command is None:
            return None
        return Step(entry.key, command, mapping.line, path, at_s, after_s, needs_contact, label)

    def _timing(
        self, node: LMap, path: str, context: _Context
    ) -> tuple[float | None, float | None]:
        at, after = node.get("at"), node.get("after")
        at_s = self.time(at.value, f"{path}.at") if at is not None else None
        after_s = self.time(after.value, f"{path}.after") if after is not None else None
        if at is not None and after is not None:
            self.error(
                after.line,
                path,
                "give at (absolute mission time) or after (seconds after the previous step), "
                "not both",
            )
            return at_s, None
        if at is not None and context.in_loop:
            self.error(
                at.line,
                f"{path}.at",
                "an absolute time inside a repeat would be the same for every iteration; use after",
            )
            return None, None
        if at is not None and context.in_contingency:
            self.error(
                at.line,
                f"{path}.at",
                "an absolute time inside a contingency: the event's time is not known; use after",
            )
            return None, None
        return at_s, after_s

    def command(self, entry: LEntry, step: LMap, path: str, context: _Context) -> Command | None:
        key = entry.key
        for extra in ("then", "else", "do"):
            owner = "an 'if'" if extra in ("then", "else") else "a 'repeat'"
            item = step.get(extra)
            if item is not None and owner != f"an '{key}'" and owner != f"a '{key}'":
                self.error(item.line, f"{path}.{extra}", f"belongs to {owner} step")
        if key == "if":
            return self._if(entry, step, path, context)
        if key == "repeat":
            return self._repeat(entry, step, path, context)
        where = f"{path}.{key}"
        if key in high_level_commands():
            return self._high_level(key, entry.value, where)
        return self._mcu(key, entry.value, where)

    def _nested(self, context: _Context, line: int, path: str, *, loop: bool) -> _Context | None:
        if context.depth >= MAX_NESTING:
            self.error(line, path, f"if and repeat blocks nested more than {MAX_NESTING} deep")
            return None
        return _Context(
            in_loop=context.in_loop or loop,
            in_contingency=context.in_contingency,
            depth=context.depth + 1,
        )

    def _if(self, entry: LEntry, step: LMap, path: str, context: _Context) -> If | None:
        condition = self.condition(entry.value, f"{path}.if")
        inner = self._nested(context, entry.line, path, loop=False)
        then_entry, else_entry = step.get("then"), step.get("else")
        if then_entry is None:
            self.error(
                step.line, f"{path}.then", "required: the steps to run when the condition holds"
            )
        if inner is None:
            return None
        then = self.steps(then_entry.value, f"{path}.then", inner) if then_entry else ()
        otherwise = self.steps(else_entry.value, f"{path}.else", inner) if else_entry else ()
        if then_entry is None:
            return None
        return If(condition, then, otherwise)  # kept with a bad condition: its steps are checked

    def _repeat(self, entry: LEntry, step: LMap, path: str, context: _Context) -> Repeat | None:
        where = f"{path}.repeat"
        bound = _Range("", 1, MAX_REPEAT, integer=True)
        times: int | None = None
        max_times: int | None = None
        until: Condition | None = None
        ok = True
        value = entry.value
        if isinstance(value, LScalar) and not isinstance(value.value, str):
            number = self.number(value, where, bound)
            ok = number is not None
            times = int(number) if number is not None else None
        elif isinstance(value, LMap):
            for item in value:
                if item.key in ("times", "max_times"):
                    number = self.number(item.value, f"{where}.{item.key}", bound)
                    ok = ok and number is not None
                    if number is not None and item.key == "times":
                        times = int(number)
                    elif number is not None:
                        max_times = int(number)
                elif item.key == "until":
                    until = self.condition(item.value, f"{where}.until")
                    ok = ok and until is not None
                else:
                    self.error(
                        item.line,
                        f"{where}.{item.key}",
                        "unknown key (expected times, or until with max_times)",
                    )
            has = {e.key for e in value}
            if "times" in has and ("max_times" in has or "until" in has):
                self.error(value.line, where, "give times, or until with max_times, not both")
                ok = False
            elif "until" in has and "max_times" not in has:
                self.error(
                    value.line,
                    where,
                    "a loop needs a bound: give max_times, the most iterations it may run",
                )
                ok = False
            elif "max_times" in has and "until" not in has:
                self.error(value.line, where, "max_times goes with until: give until, or use times")
                ok = False
            elif not has & {"times", "max_times"}:
                self.error(
                    value.line,
                    where,
                    "a loop needs a bound: give times, or until with max_times",
                )
                ok = False
        else:
            self.error(
                value.line,
                where,
                f"expected a number of times or {{until, max_times}}, got {kind_of(value)}; "
                "a loop needs a bound",
            )
            ok = False
        inner = self._nested(context, entry.line, path, loop=True)
        body_entry = step.get("do")
        if body_entry is None:
            self.error(step.line, f"{path}.do", "required: the steps to repeat")
        if inner is None:
            return None
        body = self.steps(body_entry.value, f"{path}.do", inner) if body_entry else ()
        if body_entry is None:
            return None
        if not ok:  # kept so that its steps are checked, as a loop of one iteration
            return Repeat(1, None, None, body)
        return Repeat(times, max_times, until, body)

    def _args(self, node: LNode, path: str, what: str) -> LMap | None:
        if isinstance(node, LScalar) and node.value is None:
            return LMap((), node.line)
        return self.mapping(node, path, f"the arguments of {what} as a mapping (or {{}})")

    def _high_level(self, name: str, node: LNode, path: str) -> Command | None:
        spec = high_level_commands()[name]
        args = self._args(node, path, name)
        if args is None:
            return None
        values: dict[str, float | str | Condition] = {}
        ok = True
        for item in args:
            where = f"{path}.{item.key}"
            arg = spec.args.get(item.key)
            if arg is None:
                self.error(
                    item.line,
                    where,
                    f"unknown argument of {name} (it takes: {', '.join(spec.args)})"
                    + did_you_mean(item.key, list(spec.args)),
                )
                ok = False
                continue
            value = self._arg(arg, item.value, where)
            if value is None:
                ok = False
            else:
                values[item.key] = value
            if arg.kind == "name" and isinstance(value, str):
                self.target_refs.append(TargetRef(value, item.value.line, where))
        for arg_name, arg in spec.args.items():
            if arg.required and args.get(arg_name) is None:
                self.error(args.line, f"{path}.{arg_name}", f"required: {arg.doc}")
                ok = False
        if not ok:
            return None
        return self._build(name, values, args, path)

    def _arg(self, spec: ArgSpec, node: LNode, path: str) -> float | str | Condition | None:
        if spec.kind in ("number", "integer"):
            return self.number(node, path, spec)
        if spec.kind == "condition":
            return self.condition(node, path)
        text = self.text(node, path)
        if text is None:
            return None
        if spec.kind == "choice" and text not in spec.choices:
            self.error(node.line, path, f"expected one of {', '.join(spec.choices)}, got {text!r}")
            return None
        if spec.kind == "name" and not _NAME.fullmatch(text):
            self.error(node.line, path, f"{text!r} is not a name")
            return None
        return text

    def _build(
        self, name: str, values: Mapping[str, float | str | Condition], args: LMap, path: str
    ) -> Command | None:
        spec = high_level_commands()[name]

        def number(key: str) -> float:
            value = values.get(key, spec.args[key].default)
            return float(value) if isinstance(value, int | float) else math.nan

        def optional(key: str) -> float | None:
            value = values.get(key)
            return float(value) if isinstance(value, int | float) else None

        if name == "drive_to":
            target = str(values["target"])
            entry = args.get("target")
            return DriveTo(
                target,
                entry.value.line if entry else args.line,
                number("speed_mps"),
                number("tolerance_m"),
                optional("timeout_s"),
            )
        if name == "wait":
            until = values.get("until")
            until = until if isinstance(until, Condition) else None
            for_s, timeout_s = optional("for_s"), optional("timeout_s")
            if (for_s is None) == (until is None):
                self.error(
                    args.line, path, "give for_s (a fixed wait) or until (a condition), one of them"
                )
                return None
            if until is not None and timeout_s is None:
                self.error(
                    args.line,
                    path,
                    "a wait until a condition needs timeout_s: it may never hold",
                )
                return None
            if for_s is not None and timeout_s is not None:
                entry = args.get("timeout_s")
                self.error(
                    entry.line if entry else args.line,
                    f"{path}.timeout_s",
                    "goes with until; a wait for_s ends by itself",
                )
                return None
            return Wait(for_s, until, timeout_s)
        if name == "sample":
            tool = str(values["tool"])
            depth = number("depth_cm")
            if tool == "scoop" and depth > SCOOP_MAX_DEPTH_CM:
                entry = args.get("depth_cm")
                self.error(
                    entry.value.line if entry else args.line,
                    f"{path}.depth_cm",
                    f"a scoop reaches at most {_num(SCOOP_MAX_DEPTH_CM)} cm, got {_num(depth)}; "
                    "use the drill",
                )
                return None
            return Sample(tool, depth, int(number("container")), number("duration_s"))
        if name == "explore_tube":
            return ExploreTube(number("time_limit_s"), optional("link_gap_limit_s"))
        if name == "safe_mode":
            return SafeMode(str(values.get("reason", "")))
        return Downlink(number("duration_s"))

    def _mcu(self, name: str, node: LNode, path: str) -> McuCommand | None:
        dictionary = default_dictionary()
        definition = dictionary.command(name)
        args = self._args(node, path, name)
        if args is None:
            return None
        fields = {f.name: f for f in definition.args.fields}
        values: dict[str, int | float | bool] = {}
        ok = True
        for item in args:
            where = f"{path}.{item.key}"
            spec = fields.get(item.key)
            if spec is None:
                takes = ", ".join(fields) or "no arguments"
                self.error(
                    item.line,
                    where,
                    f"unknown argument of MCU command {name} (it takes: {takes})"
                    + did_you_mean(item.key, list(fields)),
                )
                ok = False
                continue
            value = self._mcu_value(spec, item.value, where)
            if value is None:
                ok = False
            else:
                values[item.key] = value
        for field_name, spec in fields.items():
            if args.get(field_name) is None:
                self.error(args.line, f"{path}.{field_name}", f"required: {_mcu_expected(spec)}")
                ok = False
        if not ok:
            return None
        try:  # the dictionary has the last word on what goes on the wire
            dictionary.encode_args(name, values)
        except ArgumentError as error:
            self.error(args.line, f"{path}.{error.arg}", error.problem)
            return None
        return McuCommand(name, values, definition)

    def _mcu_value(self, spec: FieldDef, node: LNode, path: str) -> int | float | bool | None:
        value = node.value if isinstance(node, LScalar) else None
        wire = spec.type
        if wire.is_bool:
            if isinstance(value, bool):
                return value
            self.error(node.line, path, f"expected true or false, got {kind_of(node)}")
            return None
        if spec.enum is not None:
            number = spec.enum.value_of(value) if isinstance(value, str) else None
            if number is None and isinstance(value, int) and not isinstance(value, bool):
                number = value if spec.enum.name_of(value) is not None else None
            if number is None:
                names = ", ".join(spec.enum.values)
                self.error(node.line, path, f"expected one of {names}, got {kind_of(node)}")
            return number
        unit = f" {spec.unit}" if spec.unit else ""
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error(node.line, path, f"expected {_mcu_expected(spec)}, got {kind_of(node)}")
            return None
        if wire.is_integer and not float(value).is_integer():
            self.error(
                node.line, path, f"expected a whole number ({wire.name}), got {kind_of(node)}"
            )
            return None
        if not math.isfinite(value) or not spec.minimum <= value <= spec.maximum:
            self.error(
                node.line,
                path,
                f"out of range [{_num(spec.minimum)}, {_num(spec.maximum)}]{unit} "
                f"(rover_mcu dictionary), got {_num(float(value))}",
            )
            return None
        return int(value) if wire.is_integer else float(value)


def _mcu_expected(spec: FieldDef) -> str:
    if spec.type.is_bool:
        return "true or false"
    if spec.enum is not None:
        return f"one of {', '.join(spec.enum.values)}"
    unit = f" {spec.unit}" if spec.unit else ""
    kind = "a whole number" if spec.type.is_integer else "a number"
    return f"{kind} in [{_num(spec.minimum)}, {_num(spec.maximum)}]{unit}"


# ---- entry points ---------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None


def _locate(text: str, source: str) -> Located:
    if source.lower().endswith(".toml"):
        return located_toml(text, source)
    return located_yaml(text, source)


def parse_sequence(
    text: str, source: str = "<memory>"
) -> tuple[SequenceFile | None, list[Problem]]:
    """The sequence in ``text`` and every local problem found (sorted by line). TOML when
    ``source`` ends in ``.toml``, else YAML. A syntax error is the only problem when there is
    one (nothing else can be read)."""
    try:
        located = _locate(text, source)
    except InputError as error:
        return None, [_syntax_problem(str(error), source, text)]
    reader = _Reader(source)
    if located.root is not None:
        for line, key in duplicate_keys(located.root):
            reader.error(line, key, "given twice in one mapping (only the first is read)")
    sequence = reader.document(located.root)
    return sequence, sort_problems(reader.problems)


def _syntax_problem(message: str, source: str, text: str) -> Problem:
    """An InputError ``SOURCE[:LINE]: problem`` as a Problem, its line within the text."""
    rest = message[len(source) :] if message.startswith(source) else f": {message}"
    match = re.match(r":(\d+): (.*)", rest, re.DOTALL)
    last_line = text.count("\n") + 1
    if match:
        line = min(max(int(match.group(1)), 1), last_line)
        return Problem(source, line, "", match.group(2))
    return Problem(source, 1, "", rest.removeprefix(": "))


def read_sequence_text(path: str | os.PathLike[str]) -> str:
    """The text of a sequence file; InputError for a missing, unreadable or binary file."""
    return _read_text(Path(path))


__all__ = [
    "CONTINGENCY_ENDINGS",
    "MAX_REPEAT",
    "MCU_COMMAND_S",
    "ArgSpec",
    "Command",
    "CommandSpec",
    "Condition",
    "ContactWindow",
    "Contingency",
    "Downlink",
    "DriveTo",
    "ExploreTube",
    "If",
    "McuCommand",
    "PowerModel",
    "Problem",
    "Repeat",
    "SafeMode",
    "Sample",
    "SequenceError",
    "SequenceFile",
    "Step",
    "Target",
    "TargetRef",
    "Wait",
    "command_keys",
    "contingency_events",
    "did_you_mean",
    "high_level_commands",
    "mcu_command_names",
    "parse_sequence",
    "rail_name",
    "read_sequence_text",
    "resolve_beside",
    "sort_problems",
    "walk_steps",
]
