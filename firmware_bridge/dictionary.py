"""The command/telemetry dictionary: load and validate the YAML, encode commands, decode TM.

The dictionary file (``firmware_bridge/dictionary/rover_mcu.yaml``) is the single source of the
link's numbers: APIDs, command opcodes and typed arguments with ranges, telemetry packets with
units and limits, events with severities, partner agencies, robots, key ids and the rule of
which partner may command which robot. The byte layouts are in ``firmware_bridge/PROTOCOL.md``.

Loading validates everything and raises :class:`DictionaryError` naming ``file:line`` and the
field (``commands[1].args[0].min``). Encoding raises a :class:`CommandError` subclass naming the
command and argument. Decoding raises a :class:`TelemetryError` subclass naming the APID and the
lengths. Nothing here does I/O except reading the dictionary and lock files.

Compatibility: :func:`wire_layout` snapshots what is on the wire; :func:`compare_layouts`
lists breaking changes (removed or renumbered opcodes, changed argument types or order, changed
APIDs...) and additions. ``python -m firmware_bridge.dictionary --update-lock`` rewrites the
committed snapshot ``rover_mcu.lock.json``, refusing breaking changes unless told otherwise.
"""

from __future__ import annotations

import argparse
import json
import math
import struct
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Final, TypeAlias

import yaml

DICTIONARY_DIR: Final = Path(__file__).resolve().parent / "dictionary"
DEFAULT_DICTIONARY_PATH: Final = DICTIONARY_DIR / "rover_mcu.yaml"
DEFAULT_LOCK_PATH: Final = DICTIONARY_DIR / "rover_mcu.lock.json"

Value: TypeAlias = int | float | bool
"""A decoded field: int (integers, enums, bitmasks), float (f32) or bool."""

# ------------------------------------------------------------------------------------------
# Protocol constants fixed by PROTOCOL.md (the dictionary is checked against them on load)
# ------------------------------------------------------------------------------------------

SECURITY_HEADER_LEN: Final = 6
"""key_id u8, robot_id u8, seq u32."""
OPCODE_LEN: Final = 2
MAC_LEN: Final = 16
"""HMAC-SHA256 truncated to its first 16 bytes."""
TC_FIXED_LEN: Final = SECURITY_HEADER_LEN + OPCODE_LEN + MAC_LEN
"""Bytes of a TC data field besides the arguments (24)."""
EVENT_HEADER_LEN: Final = 7
"""uptime_ms u32, event_id u16, severity u8."""
NO_OPCODE: Final = 0xFFFF
"""Opcode reported in an ack when the command packet was too short to hold one."""
MAX_ARGS_LEN: Final = 200
"""Largest argument block a command may have, bytes (keeps MCU buffers small)."""
KEY_LEN: Final = 32
REPLAY_WINDOW: Final = 64


class AckStatus(IntEnum):
    """Acknowledgement status codes (PROTOCOL.md 7.1); the YAML enum ``ack_status`` must match."""

    EXECUTED = 0
    ACCEPTED = 1
    BAD_MAC = 2
    REPLAY = 3
    UNKNOWN_KEY = 4
    WRONG_TARGET = 5
    NOT_AUTHORIZED = 6
    UNKNOWN_OPCODE = 7
    BAD_LENGTH = 8
    ARG_OUT_OF_RANGE = 9
    EXECUTION_FAILED = 10

    @property
    def succeeded(self) -> bool:
        """True for EXECUTED and ACCEPTED."""
        return self in (AckStatus.EXECUTED, AckStatus.ACCEPTED)


ACK_FLAG_REPEAT: Final = 0x01
"""Ack flags bit 0: this ack repeats the stored ack of a duplicate command."""

# The ack packet's fields are fixed by the protocol; the dictionary must declare exactly these.
_ACK_FIELDS: Final = (
    ("uptime_ms", "u32"),
    ("key_id", "u8"),
    ("robot_id", "u8"),
    ("seq", "u32"),
    ("opcode", "u16"),
    ("status", "u8"),
    ("flags", "u8"),
    ("detail", "u16"),
    ("highest_seq", "u32"),
)
_REQUIRED_APIDS: Final = ("command", "ack", "housekeeping", "event")


# ------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------


class DictionaryError(ValueError):
    """The dictionary (or lock) file is invalid. ``str()`` is ``file:line: field: problem``."""

    def __init__(self, path: str, line: int, field_name: str, problem: str) -> None:
        where = f"{path}:{line}" if line > 0 else path
        super().__init__(
            f"{where}: {field_name}: {problem}" if field_name else f"{where}: {problem}"
        )
        self.path = path
        self.line = line
        self.field_name = field_name
        self.problem = problem


class CommandError(ValueError):
    """A command could not be encoded. ``str()`` names the command and the argument."""


class UnknownCommandError(CommandError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown command {name!r} (known: {', '.join(known)})")
        self.name = name


class ArgumentError(CommandError):
    """An argument is missing, unexpected, of the wrong type or out of range."""

    def __init__(self, command: str, arg: str, problem: str) -> None:
        super().__init__(f"{command}: {arg}: {problem}")
        self.command = command
        self.arg = arg
        self.problem = problem


class TelemetryError(ValueError):
    """A TM packet could not be decoded."""


class UnknownApidError(TelemetryError):
    def __init__(self, apid: int, known: Sequence[int]) -> None:
        listed = ", ".join(f"0x{a:03X}" for a in known)
        super().__init__(f"APID 0x{apid:03X} is not a telemetry APID of this dictionary ({listed})")
        self.apid = apid


class TelemetryLengthError(TelemetryError):
    def __init__(self, what: str, apid: int, expected: int, got: int) -> None:
        super().__init__(
            f"{what} on APID 0x{apid:03X}: data field is {got} bytes, expected {expected}"
        )
        self.apid = apid
        self.expected = expected
        self.got = got


class UnknownEventError(TelemetryError):
    def __init__(self, event_id: int) -> None:
        super().__init__(f"event id 0x{event_id:04X} is not in the dictionary")
        self.event_id = event_id


# ------------------------------------------------------------------------------------------
# Wire types
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WireType:
    """A primitive wire type. ``lo``/``hi`` are the representable range (floats: f32 max)."""

    name: str
    size: int
    code: str  # struct format character
    lo: float
    hi: float
    is_float: bool = False
    is_bool: bool = False

    @property
    def is_integer(self) -> bool:
        return not self.is_float and not self.is_bool

    @property
    def is_unsigned(self) -> bool:
        return self.is_integer and self.lo == 0


_F32_MAX: Final = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]

WIRE_TYPES: Final[Mapping[str, WireType]] = {
    t.name: t
    for t in (
        WireType("u8", 1, "B", 0, 0xFF),
        WireType("u16", 2, "H", 0, 0xFFFF),
        WireType("u32", 4, "I", 0, 0xFFFFFFFF),
        WireType("i8", 1, "b", -0x80, 0x7F),
        WireType("i16", 2, "h", -0x8000, 0x7FFF),
        WireType("i32", 4, "i", -0x80000000, 0x7FFFFFFF),
        WireType("f32", 4, "f", -_F32_MAX, _F32_MAX, is_float=True),
        WireType("bool", 1, "B", 0, 1, is_bool=True),
    )
}


def to_f32(value: float) -> float:
    """``value`` rounded to the nearest IEEE binary32 (what goes on the wire)."""
    result: float = struct.unpack(">f", struct.pack(">f", value))[0]
    return result


# ------------------------------------------------------------------------------------------
# Dictionary model
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EnumDef:
    """Named integer values carried in an unsigned integer wire type."""

    name: str
    base: WireType
    values: Mapping[str, int]
    description: str = ""

    def name_of(self, value: int) -> str | None:
        for key, number in self.values.items():
            if number == value:
                return key
        return None

    def value_of(self, name: str) -> int | None:
        upper = name.upper()
        for key, number in self.values.items():
            if key.upper() == upper:
                return number
        return None


@dataclass(frozen=True)
class Limits:
    """Alarm limits in the point's unit: red below red_low or above red_high, likewise yellow."""

    red_low: float
    yellow_low: float
    yellow_high: float
    red_high: float

    def state(self, value: float) -> str:
        """``"red"``, ``"yellow"`` or ``"ok"``; NaN is red."""
        if not (self.red_low <= value <= self.red_high):
            return "red"
        if not (self.yellow_low <= value <= self.yellow_high):
            return "yellow"
        return "ok"


@dataclass(frozen=True)
class FieldDef:
    """One argument or telemetry point: name, wire type, byte offset in its block, range.

    ``minimum``/``maximum`` are the inclusive allowed range in ``unit`` (the type's range when
    the dictionary gives none). ``enum`` restricts the value to an enum; ``bitmask`` says bit n
    stands for value n of that enum.
    """

    name: str
    type: WireType
    offset: int
    minimum: float
    maximum: float
    unit: str = ""
    description: str = ""
    enum: EnumDef | None = None
    bitmask: EnumDef | None = None
    limits: Limits | None = None
    has_range: bool = False

    def raw_ok(self, value: Value) -> bool:
        """Would the receiver accept this decoded value (enum member, bool 0/1, in range)?"""
        if self.type.is_bool:
            return value in (0, 1)
        if self.enum is not None:
            return self.enum.name_of(int(value)) is not None
        if self.type.is_float:
            lo, hi = to_f32(self.minimum), to_f32(self.maximum)
            return lo <= float(value) <= hi  # False for NaN
        return self.minimum <= value <= self.maximum

    def text(self, value: Value) -> str:
        """Human form of a decoded value: enum names, bitmask names, unit."""
        if self.enum is not None:
            name = self.enum.name_of(int(value))
            return name if name is not None else f"?{int(value)}"
        if self.bitmask is not None:
            names = [n for n, bit in self.bitmask.values.items() if int(value) >> bit & 1]
            return "|".join(names) if names else "-"
        if self.type.is_bool:
            return "true" if value else "false"
        number = f"{float(value):.4g}" if self.type.is_float else str(int(value))
        return f"{number} {self.unit}" if self.unit else number


@dataclass(frozen=True)
class Layout:
    """A packed, big-endian block of fields."""

    fields: tuple[FieldDef, ...]
    struct: struct.Struct = field(init=False, repr=False, compare=False)
    names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """Field names in wire order."""
    _bools: tuple[tuple[int, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        codes = "".join(f.type.code for f in self.fields)
        object.__setattr__(self, "struct", struct.Struct(">" + codes))
        object.__setattr__(self, "names", tuple(f.name for f in self.fields))
        bools = tuple((i, f.name) for i, f in enumerate(self.fields) if f.type.is_bool)
        object.__setattr__(self, "_bools", bools)

    @property
    def size(self) -> int:
        return self.struct.size

    def field(self, name: str) -> FieldDef:
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(f"no field {name!r} (fields: {', '.join(f.name for f in self.fields)})")

    def unpack(self, data: bytes | bytearray | memoryview) -> dict[str, Value]:
        """Decode exactly :attr:`size` bytes (caller checks the length)."""
        raw = self.struct.unpack(data)
        values: dict[str, Value] = dict(zip(self.names, raw, strict=False))  # same length
        # A bool point holding 0 or 1 decodes to False or True; any other byte stays an int,
        # so the receiver can reject it.
        for index, name in self._bools:
            if raw[index] in (0, 1):
                values[name] = bool(raw[index])
        return values

    def first_bad(self, values: Mapping[str, Value]) -> int | None:
        """0-based index of the first field whose decoded value is not acceptable, or None."""
        for index, item in enumerate(self.fields):
            if not item.raw_ok(values[item.name]):
                return index
        return None


@dataclass(frozen=True)
class CommandDef:
    name: str
    opcode: int
    args: Layout
    description: str = ""


@dataclass(frozen=True)
class TelemetryDef:
    """A fixed-layout TM packet on one APID (``ack``, ``housekeeping``...)."""

    name: str
    apid: int
    points: Layout
    description: str = ""


@dataclass(frozen=True)
class EventDef:
    name: str
    event_id: int
    severity: str
    args: Layout
    description: str = ""


@dataclass(frozen=True)
class Partner:
    name: str
    partner_id: int
    description: str = ""


@dataclass(frozen=True)
class Robot:
    name: str
    robot_id: int
    description: str = ""


@dataclass(frozen=True)
class KeyInfo:
    """A key's id and its partner; the key material is never in the dictionary."""

    key_id: int
    partner: str
    description: str = ""


@dataclass(frozen=True)
class AuthRule:
    """``partner`` may send ``commands`` (None: every command) to each of ``robots``."""

    partner: str
    robots: tuple[str, ...]
    commands: tuple[str, ...] | None


@dataclass(frozen=True)
class Apids:
    command: int
    ack: int
    housekeeping: int
    event: int


# ------------------------------------------------------------------------------------------
# Decoded records
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ack:
    """A decoded acknowledgement (PROTOCOL.md 7.1). Times in ms of MCU uptime."""

    uptime_ms: int
    key_id: int
    robot_id: int
    seq: int
    opcode: int
    status: AckStatus | int
    flags: int
    detail: int
    highest_seq: int

    @property
    def repeat(self) -> bool:
        """True if this ack repeats the stored ack of a duplicate command."""
        return bool(self.flags & ACK_FLAG_REPEAT)

    def encode(self) -> bytes:
        return _ACK_STRUCT.pack(
            self.uptime_ms,
            self.key_id,
            self.robot_id,
            self.seq,
            self.opcode,
            int(self.status),
            self.flags,
            self.detail,
            self.highest_seq,
        )


_ACK_STRUCT: Final = struct.Struct(">IBBIHBBHI")
_ACK_NAMES: Final = (
    "uptime_ms", "key_id", "robot_id", "seq", "opcode", "status", "flags", "detail", "highest_seq",
)  # fmt: skip
_ACK_STATUS_OF: Final[Mapping[int, AckStatus]] = {s.value: s for s in AckStatus}
_EVENT_HEADER: Final = struct.Struct(">IHB")

# The receive path builds its frozen records without calling their generated __init__, which
# sets each field through object.__setattr__ and costs more than the decoding itself: it makes
# a bare instance and fills its __dict__. The result is the same instance in every respect
# (type, fields, equality, hash, immutability). Used only for Ack, TelemetryRecord and
# EventRecord, which have no __post_init__ and no slots.
_new_object: Final = object.__new__


@dataclass(frozen=True)
class TelemetryRecord:
    """A decoded fixed-layout TM packet (housekeeping). ``values`` by point name."""

    definition: TelemetryDef
    values: Mapping[str, Value]

    @property
    def name(self) -> str:
        return self.definition.name

    def __getitem__(self, point: str) -> Value:
        return self.values[point]

    def text(self, point: str) -> str:
        return self.definition.points.field(point).text(self.values[point])

    def limit_state(self, point: str) -> str:
        """``"red"``/``"yellow"``/``"ok"`` against the point's limits, ``"ok"`` if it has none."""
        item = self.definition.points.field(point)
        if item.limits is None:
            return "ok"
        return item.limits.state(float(self.values[point]))


@dataclass(frozen=True)
class EventRecord:
    """A decoded event. ``severity`` is the name carried on the wire (or ``?n``)."""

    definition: EventDef
    uptime_ms: int
    severity: str
    args: Mapping[str, Value]

    @property
    def name(self) -> str:
        return self.definition.name

    def text(self) -> str:
        parts = [f"{f.name}={f.text(self.args[f.name])}" for f in self.definition.args.fields]
        return f"{self.name}({', '.join(parts)})"


TmRecord: TypeAlias = Ack | TelemetryRecord | EventRecord


# ------------------------------------------------------------------------------------------
# The dictionary
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dictionary:
    """A validated dictionary. Build with :func:`load_dictionary`."""

    name: str
    version: int
    path: str
    apids: Apids
    enums: Mapping[str, EnumDef]
    commands: tuple[CommandDef, ...]
    telemetry: Mapping[str, TelemetryDef]
    events: tuple[EventDef, ...]
    partners: tuple[Partner, ...]
    robots: tuple[Robot, ...]
    keys: tuple[KeyInfo, ...]
    authorization: tuple[AuthRule, ...]
    _by_name: dict[str, CommandDef] = field(init=False, repr=False, compare=False)
    _by_opcode: dict[int, CommandDef] = field(init=False, repr=False, compare=False)
    _events_by_id: dict[int, EventDef] = field(init=False, repr=False, compare=False)
    _allowed: frozenset[tuple[int, int, int]] = field(init=False, repr=False, compare=False)
    _tm_decoders: dict[int, Callable[[memoryview], TmRecord]] = field(
        init=False, repr=False, compare=False
    )
    _severity_names: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # decode_tm's dispatch: the ack and event APIDs first, then the fixed-layout packets
        # (the first one declared wins an APID).
        decoders: dict[int, Callable[[memoryview], TmRecord]] = {
            self.apids.event: self.decode_event
        }
        decoders[self.apids.ack] = self.decode_ack
        for definition in self.telemetry.values():
            decoders.setdefault(definition.apid, partial(self._decode_fixed, definition))
        object.__setattr__(self, "_tm_decoders", decoders)
        severities: dict[int, str] = {}
        severity = self.enums.get("severity")  # required by the loader
        for name, number in severity.values.items() if severity is not None else ():
            severities.setdefault(number, name)  # name_of(): the first name of a value
        object.__setattr__(self, "_severity_names", severities)
        object.__setattr__(self, "_by_name", {c.name: c for c in self.commands})
        object.__setattr__(self, "_by_opcode", {c.opcode: c for c in self.commands})
        object.__setattr__(self, "_events_by_id", {e.event_id: e for e in self.events})
        partner_of = {k.key_id: k.partner for k in self.keys}
        robot_ids = {r.name: r.robot_id for r in self.robots}
        allowed: set[tuple[int, int, int]] = set()
        for rule in self.authorization:
            names = rule.commands if rule.commands is not None else tuple(self._by_name)
            for key_id, partner in partner_of.items():
                if partner != rule.partner:
                    continue
                for robot in rule.robots:
                    for command in names:
                        allowed.add((key_id, robot_ids[robot], self._by_name[command].opcode))
        object.__setattr__(self, "_allowed", frozenset(allowed))

    # -- lookups ---------------------------------------------------------------------------

    @property
    def ack(self) -> TelemetryDef:
        return self.telemetry["ack"]

    @property
    def housekeeping(self) -> TelemetryDef:
        return self.telemetry["housekeeping"]

    def command(self, name: str) -> CommandDef:
        """The command called ``name`` (case-insensitive); :class:`UnknownCommandError`."""
        found = self._by_name.get(name) or self._by_name.get(name.upper())
        if found is None:
            raise UnknownCommandError(name, list(self._by_name))
        return found

    def command_by_opcode(self, opcode: int) -> CommandDef | None:
        return self._by_opcode.get(opcode)

    def event_by_id(self, event_id: int) -> EventDef | None:
        return self._events_by_id.get(event_id)

    def robot(self, name_or_id: str | int) -> Robot:
        for robot in self.robots:
            if name_or_id in (robot.name, robot.robot_id):
                return robot
        known = ", ".join(f"{r.name} ({r.robot_id})" for r in self.robots)
        raise KeyError(f"unknown robot {name_or_id!r} (known: {known})")

    def key(self, key_id: int) -> KeyInfo | None:
        for key in self.keys:
            if key.key_id == key_id:
                return key
        return None

    def is_authorized(self, key_id: int, robot_id: int, opcode: int) -> bool:
        """May the partner holding ``key_id`` send ``opcode`` to ``robot_id``?"""
        return (key_id, robot_id, opcode) in self._allowed

    @property
    def max_args_len(self) -> int:
        return max((c.args.size for c in self.commands), default=0)

    @property
    def max_tc_packet_len(self) -> int:
        """Largest TC Space Packet, bytes (primary header + data field)."""
        return 6 + TC_FIXED_LEN + self.max_args_len

    # -- encoding --------------------------------------------------------------------------

    def encode_args(self, name: str, args: Mapping[str, object]) -> tuple[CommandDef, bytes]:
        """Range-check and pack ``args`` for command ``name``; return it and the arg bytes.

        Values may be numbers, bools, enum names (for enum arguments) or strings holding
        numbers (as typed on a command line). Raises :class:`UnknownCommandError` or
        :class:`ArgumentError` naming the command and the argument.
        """
        command = self.command(name)
        declared = {f.name for f in command.args.fields}
        for given in args:
            if given not in declared:
                expected = ", ".join(sorted(declared)) or "no arguments"
                raise ArgumentError(command.name, given, f"unexpected argument (takes: {expected})")
        raw: list[int | float] = []
        for item in command.args.fields:
            if item.name not in args:
                raise ArgumentError(command.name, item.name, "missing")
            raw.append(_coerce(command.name, item, args[item.name]))
        return command, command.args.struct.pack(*raw)

    def decode_args(self, command: CommandDef, data: bytes) -> dict[str, Value]:
        """Unpack argument bytes (must be exactly ``command.args.size`` long)."""
        if len(data) != command.args.size:
            raise CommandError(
                f"{command.name}: argument bytes are {len(data)}, expected {command.args.size}"
            )
        return command.args.unpack(data)

    # -- decoding --------------------------------------------------------------------------

    def decode_tm(self, apid: int, data: bytes | bytearray | memoryview) -> TmRecord:
        """Decode the data field of a TM packet on ``apid`` into a typed record.

        Raises :class:`UnknownApidError`, :class:`TelemetryLengthError` or
        :class:`UnknownEventError`; never reads past ``data``.
        """
        decoder = self._tm_decoders.get(apid)
        if decoder is None:
            raise UnknownApidError(apid, sorted(self._tm_decoders))
        return decoder(memoryview(data).cast("B"))

    def decode_ack(self, data: bytes | bytearray | memoryview) -> Ack:
        if len(data) != _ACK_STRUCT.size:
            raise TelemetryLengthError("ack", self.apids.ack, _ACK_STRUCT.size, len(data))
        values = _ACK_STRUCT.unpack(data)
        ack: Ack = _new_object(Ack)  # Ack(*values), see _new_object
        fields = ack.__dict__
        fields.update(zip(_ACK_NAMES, values, strict=False))  # same length
        fields["status"] = _ACK_STATUS_OF.get(values[5], values[5])  # an unknown status: int
        return ack

    def decode_housekeeping(self, data: bytes | bytearray | memoryview) -> TelemetryRecord:
        return self._decode_fixed(self.housekeeping, memoryview(data).cast("B"))

    def _decode_fixed(self, definition: TelemetryDef, data: memoryview) -> TelemetryRecord:
        if len(data) != definition.points.size:
            raise TelemetryLengthError(
                definition.name, definition.apid, definition.points.size, len(data)
            )
        record: TelemetryRecord = _new_object(TelemetryRecord)  # see _new_object
        record.__dict__.update(definition=definition, values=definition.points.unpack(data))
        return record

    def decode_event(self, data: bytes | bytearray | memoryview) -> EventRecord:
        if len(data) < EVENT_HEADER_LEN:
            raise TelemetryLengthError("event", self.apids.event, EVENT_HEADER_LEN, len(data))
        uptime_ms, event_id, severity = _EVENT_HEADER.unpack_from(data)
        definition = self._events_by_id.get(event_id)
        if definition is None:
            raise UnknownEventError(event_id)
        expected = EVENT_HEADER_LEN + definition.args.size
        if len(data) != expected:
            raise TelemetryLengthError(
                f"event {definition.name}", self.apids.event, expected, len(data)
            )
        severity_name = self._severity_names.get(severity) or f"?{severity}"
        args = definition.args.unpack(memoryview(data)[EVENT_HEADER_LEN:])
        record: EventRecord = _new_object(EventRecord)  # see _new_object
        record.__dict__.update(
            definition=definition, uptime_ms=uptime_ms, severity=severity_name, args=args
        )
        return record

    def encode_event(self, name: str, uptime_ms: int, args: Mapping[str, object]) -> bytes:
        """Event data field (used by the Python reference endpoint and tests)."""
        for event in self.events:
            if event.name == name:
                raw = [_coerce(name, f, args[f.name]) for f in event.args.fields]
                severity = self.enums["severity"].values[event.severity]
                header = struct.pack(">IHB", uptime_ms, event.event_id, severity)
                return header + event.args.struct.pack(*raw)
        raise KeyError(f"unknown event {name!r}")

    def encode_fixed(self, packet: str, values: Mapping[str, object]) -> bytes:
        """Data field of a fixed-layout TM packet such as housekeeping (reference endpoint)."""
        definition = self.telemetry[packet]
        raw = [
            _coerce(packet, f, values[f.name], check_range=False) for f in definition.points.fields
        ]
        return definition.points.struct.pack(*raw)


def _coerce(
    command: str, item: FieldDef, value: object, *, check_range: bool = True
) -> int | float:
    """Turn one user-given value into the number packed on the wire, or raise ArgumentError."""
    name = item.name
    wire = item.type
    if isinstance(value, str):
        text = value.strip()
        member = item.enum.value_of(text) if item.enum is not None else None
        if member is not None:
            return member
        if wire.is_bool and text.lower() in ("true", "false", "on", "off", "yes", "no", "1", "0"):
            return 1 if text.lower() in ("true", "on", "yes", "1") else 0
        try:
            value = float(text) if wire.is_float else int(text, 0)
        except ValueError:
            expected = _expected_text(item)
            raise ArgumentError(command, name, f"{value!r} is not {expected}") from None
    if wire.is_bool:
        if isinstance(value, bool) or (isinstance(value, int) and value in (0, 1)):
            return int(value)
        raise ArgumentError(command, name, f"{value!r} is not a bool (true/false/1/0)")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(
            command, name, f"{value!r} ({type(value).__name__}) is not {_expected_text(item)}"
        )
    if wire.is_float:
        real = float(value)
        if math.isnan(real):
            raise ArgumentError(command, name, "NaN is not allowed")
        if check_range and not item.minimum <= real <= item.maximum:
            raise ArgumentError(command, name, f"{value} is out of range {_range_text(item)}")
        if not -_F32_MAX <= real <= _F32_MAX:
            raise ArgumentError(command, name, f"{value} does not fit in f32")
        return real
    if isinstance(value, float):
        if not value.is_integer():
            raise ArgumentError(command, name, f"{value} is not an integer ({wire.name})")
        value = int(value)
    if item.enum is not None and check_range:
        if item.enum.name_of(value) is None:
            raise ArgumentError(command, name, f"{value} is not one of {_enum_text(item.enum)}")
        return value
    lo, hi = (item.minimum, item.maximum) if check_range else (wire.lo, wire.hi)
    if not lo <= value <= hi:
        raise ArgumentError(command, name, f"{value} is out of range {_range_text(item)}")
    if not wire.lo <= value <= wire.hi:
        raise ArgumentError(command, name, f"{value} does not fit in {wire.name}")
    return value


def _enum_text(enum: EnumDef) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in enum.values.items()) + "}"


def _range_text(item: FieldDef) -> str:
    lo = _num_text(item.minimum)
    hi = _num_text(item.maximum)
    unit = f" {item.unit}" if item.unit else ""
    return f"[{lo}, {hi}]{unit}"


def _num_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


def _expected_text(item: FieldDef) -> str:
    if item.enum is not None:
        return f"one of {_enum_text(item.enum)}"
    if item.type.is_bool:
        return "a bool (true/false/1/0)"
    return f"a number ({item.type.name} in {_range_text(item)})"


# ------------------------------------------------------------------------------------------
# YAML with line numbers
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A YAML value with where it came from. Mappings hold dict[str, _Node], lists list[_Node]."""

    value: Any
    line: int
    where: str  # dotted field path, e.g. commands[1].args[0].min


class _Reader:
    """Typed accessors over :class:`_Node`; every failure names file:line and the field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: _Node, problem: str) -> DictionaryError:
        return DictionaryError(self.path, node.line, node.where, problem)

    def parse(self, text: str) -> _Node:
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                raise DictionaryError(self.path, 1, "", "the file is empty")
            return self._convert(loader, root, "")
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line = mark.line + 1 if mark is not None else 0
            raise DictionaryError(self.path, line, "", f"not valid YAML: {error.problem}") from None
        except yaml.YAMLError as error:
            raise DictionaryError(self.path, 0, "", f"not valid YAML: {error}") from None
        finally:
            loader.dispose()

    def _convert(self, loader: yaml.SafeLoader, node: yaml.Node, where: str) -> _Node:
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, _Node] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    raise DictionaryError(
                        self.path,
                        key_node.start_mark.line + 1,
                        where,
                        f"key {key!r} is not a string",
                    )
                child = f"{where}.{key}" if where else key
                if key in out:
                    raise DictionaryError(
                        self.path, key_node.start_mark.line + 1, child, "duplicate key"
                    )
                out[key] = self._convert(loader, value_node, child)
            return _Node(out, line, where)
        if isinstance(node, yaml.SequenceNode):
            items = [self._convert(loader, n, f"{where}[{i}]") for i, n in enumerate(node.value)]
            return _Node(items, line, where)
        return _Node(loader.construct_object(node, deep=True), line, where)

    def mapping(
        self, node: _Node, required: Sequence[str], optional: Sequence[str] = ()
    ) -> dict[str, _Node]:
        if not isinstance(node.value, dict):
            raise self.fail(node, f"must be a mapping, got {_kind(node.value)}")
        allowed = set(required) | set(optional)
        for key, child in node.value.items():
            if key not in allowed:
                raise self.fail(child, f"unknown field (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in node.value:
                raise self.fail(node, f"missing field {key!r}")
        result: dict[str, _Node] = node.value
        return result

    def entries(self, node: _Node) -> dict[str, _Node]:
        """A mapping whose keys are names chosen by the dictionary author."""
        if not isinstance(node.value, dict):
            raise self.fail(node, f"must be a mapping, got {_kind(node.value)}")
        result: dict[str, _Node] = node.value
        return result

    def sequence(self, node: _Node) -> list[_Node]:
        if node.value is None:
            return []
        if not isinstance(node.value, list):
            raise self.fail(node, f"must be a list, got {_kind(node.value)}")
        result: list[_Node] = node.value
        return result

    def integer(self, node: _Node, lo: int, hi: int) -> int:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(node, f"must be an integer, got {_kind(value)} {value!r}")
        if not lo <= value <= hi:
            raise self.fail(node, f"{value} is out of range {lo}..{hi}")
        return value

    def number(self, node: _Node) -> float:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(node, f"must be a number, got {_kind(value)} {value!r}")
        if math.isnan(value) or math.isinf(value):
            raise self.fail(node, f"must be finite, got {value}")
        return float(value)

    def string(self, node: _Node) -> str:
        if not isinstance(node.value, str) or not node.value.strip():
            raise self.fail(
                node, f"must be a non-empty string, got {_kind(node.value)} {node.value!r}"
            )
        return node.value

    def text(self, node: dict[str, _Node], key: str) -> str:
        return self.string(node[key]) if key in node else ""

    def identifier(self, node: _Node, *, upper: bool | None) -> str:
        value = self.string(node)
        if not value.isidentifier() or not value.isascii():
            raise self.fail(node, f"{value!r} is not a C identifier")
        if upper is True and value != value.upper():
            raise self.fail(node, f"{value!r} must be UPPER_CASE")
        if upper is False and value != value.lower():
            raise self.fail(node, f"{value!r} must be lower_case")
        return value


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    return {dict: "a mapping", list: "a list", str: "a string", bool: "a bool"}.get(
        type(value), type(value).__name__
    )


def _unique(
    reader: _Reader, seen: dict[object, _Node], key: object, node: _Node, what: str
) -> None:
    if key in seen:
        raise reader.fail(node, f"duplicate {what} {key!r} (first at line {seen[key].line})")
    seen[key] = node


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------


def load_dictionary(path: str | Path = DEFAULT_DICTIONARY_PATH) -> Dictionary:
    """Read and validate a dictionary file. Raises :class:`DictionaryError` (file:line: field)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise DictionaryError(str(path), 0, "", f"cannot read: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise DictionaryError(str(path), 0, "", f"not UTF-8: {error.reason}") from None
    return parse_dictionary(text, str(path))


@lru_cache(maxsize=1)
def default_dictionary() -> Dictionary:
    """The packaged ``rover_mcu`` dictionary, loaded once."""
    return load_dictionary(DEFAULT_DICTIONARY_PATH)


def parse_dictionary(text: str, path: str = "<dictionary>") -> Dictionary:
    """Validate dictionary YAML text; ``path`` is only used in error messages."""
    reader = _Reader(path)
    root = reader.parse(text)
    top = reader.mapping(
        root,
        (
            "dictionary",
            "version",
            "apids",
            "security",
            "enums",
            "commands",
            "telemetry",
            "events",
            "partners",
            "robots",
            "keys",
            "authorization",
        ),
    )
    name = reader.identifier(top["dictionary"], upper=False)
    version = reader.integer(top["version"], 1, 0xFFFF)
    apids = _load_apids(reader, top["apids"])
    _load_security(reader, top["security"])
    enums = _load_enums(reader, top["enums"])
    commands = _load_commands(reader, top["commands"], enums)
    telemetry = _load_telemetry(reader, top["telemetry"], enums, apids)
    events = _load_events(reader, top["events"], enums)
    partners = _load_named_ids(reader, top["partners"], "partner", Partner)
    robots = _load_named_ids(reader, top["robots"], "robot", Robot)
    keys = _load_keys(reader, top["keys"], {p.name for p in partners})
    rules = _load_rules(
        reader,
        top["authorization"],
        {p.name for p in partners},
        {r.name for r in robots},
        {c.name for c in commands},
    )
    return Dictionary(
        name=name,
        version=version,
        path=path,
        apids=apids,
        enums=enums,
        commands=commands,
        telemetry=telemetry,
        events=events,
        partners=partners,
        robots=robots,
        keys=keys,
        authorization=rules,
    )


def _load_apids(reader: _Reader, node: _Node) -> Apids:
    items = reader.mapping(node, _REQUIRED_APIDS)
    seen: dict[object, _Node] = {}
    values = {}
    for key in _REQUIRED_APIDS:
        value = reader.integer(items[key], 0, 0x7FE)  # 0x7FF is the idle APID
        _unique(reader, seen, value, items[key], "APID")
        values[key] = value
    return Apids(**values)


def _load_security(reader: _Reader, node: _Node) -> None:
    items = reader.mapping(node, ("mac", "key_len_bytes", "replay_window"))
    fixed = {"mac": "HMAC-SHA256-128", "key_len_bytes": KEY_LEN, "replay_window": REPLAY_WINDOW}
    for key, expected in fixed.items():
        if items[key].value != expected:
            raise reader.fail(
                items[key], f"must be {expected!r} (fixed by PROTOCOL.md), got {items[key].value!r}"
            )


def _load_enums(reader: _Reader, node: _Node) -> dict[str, EnumDef]:
    items = reader.entries(node)
    enums: dict[str, EnumDef] = {}
    for enum_name, enum_node in items.items():
        reader.identifier(_Node(enum_name, enum_node.line, enum_node.where), upper=False)
        body = reader.mapping(enum_node, ("base", "values"), ("description",))
        base = _wire_type(reader, body["base"])
        if not base.is_unsigned:
            raise reader.fail(body["base"], f"enum base must be u8, u16 or u32, got {base.name}")
        values: dict[str, int] = {}
        seen: dict[object, _Node] = {}
        for value_name, value_node in reader.entries(body["values"]).items():
            reader.identifier(_Node(value_name, value_node.line, value_node.where), upper=True)
            number = reader.integer(value_node, 0, int(base.hi))
            _unique(reader, seen, number, value_node, "value")
            values[value_name] = number
        if not values:
            raise reader.fail(body["values"], "an enum needs at least one value")
        enums[enum_name] = EnumDef(enum_name, base, values, reader.text(body, "description"))
    for required in ("ack_status", "ack_flag", "severity"):
        if required not in enums:
            raise reader.fail(node, f"missing enum {required!r} (fixed by PROTOCOL.md)")
    ack_status = enums["ack_status"]
    expected = {s.name: s.value for s in AckStatus}
    if dict(ack_status.values) != expected or ack_status.base.name != "u8":
        raise reader.fail(
            items["ack_status"],
            f"must be u8 with exactly {expected} (fixed by PROTOCOL.md 7.1)",
        )
    if dict(enums["ack_flag"].values) != {"REPEAT": 0}:
        raise reader.fail(items["ack_flag"], "must be exactly {REPEAT: 0} (PROTOCOL.md 7.1)")
    if enums["severity"].base.name != "u8":
        raise reader.fail(items["severity"], "base must be u8 (PROTOCOL.md 7.3)")
    return enums


def _wire_type(reader: _Reader, node: _Node) -> WireType:
    name = reader.string(node)
    if name not in WIRE_TYPES:
        raise reader.fail(node, f"unknown type {name!r} (types: {', '.join(WIRE_TYPES)})")
    return WIRE_TYPES[name]


def _load_fields(
    reader: _Reader, node: _Node, enums: Mapping[str, EnumDef], *, is_command: bool
) -> Layout:
    fields: list[FieldDef] = []
    seen: dict[object, _Node] = {}
    offset = 0
    for item in reader.sequence(node):
        body = reader.mapping(
            item,
            ("name", "type"),
            ("min", "max", "unit", "description", "enum", "bitmask", "limits"),
        )
        name = reader.identifier(body["name"], upper=False)
        _unique(reader, seen, name, body["name"], "name")
        wire = _wire_type(reader, body["type"])
        enum = bitmask = None
        for key in ("enum", "bitmask"):
            if key not in body:
                continue
            ref = reader.string(body[key])
            if ref not in enums:
                raise reader.fail(body[key], f"unknown enum {ref!r} (enums: {', '.join(enums)})")
            if not wire.is_unsigned:
                raise reader.fail(body["type"], f"{key} needs an unsigned type, got {wire.name}")
            if key == "enum":
                enum = enums[ref]
                if max(enum.values.values()) > wire.hi:
                    raise reader.fail(
                        body[key], f"enum {ref} has values that do not fit {wire.name}"
                    )
            else:
                bitmask = enums[ref]
                if max(bitmask.values.values()) >= wire.size * 8:
                    raise reader.fail(body[key], f"enum {ref} has bits beyond {wire.name}")
        if enum is not None and bitmask is not None:
            raise reader.fail(item, "enum and bitmask are exclusive")
        has_range = "min" in body or "max" in body
        if has_range and (enum is not None or bitmask is not None or wire.is_bool):
            raise reader.fail(
                body.get("min") or body["max"], "min/max do not apply to enums, bitmasks or bools"
            )
        minimum, maximum = wire.lo, wire.hi
        if has_range:
            for key in ("min", "max"):
                if key not in body:
                    raise reader.fail(item, f"give both min and max (missing {key!r})")
            minimum = reader.number(body["min"])
            maximum = reader.number(body["max"])
            for key, value in (("min", minimum), ("max", maximum)):
                if not wire.lo <= value <= wire.hi:
                    raise reader.fail(body[key], f"{value} does not fit in {wire.name}")
                if wire.is_integer and not float(value).is_integer():
                    raise reader.fail(body[key], f"{value} is not an integer ({wire.name})")
            if minimum > maximum:
                raise reader.fail(body["min"], f"min {minimum} > max {maximum}")
            if wire.is_integer:
                minimum, maximum = int(minimum), int(maximum)
        elif is_command and wire.is_float:
            raise reader.fail(item, "an f32 argument needs min and max")
        limits = None
        if "limits" in body:
            if is_command:
                raise reader.fail(body["limits"], "limits are for telemetry points, not arguments")
            parts = reader.mapping(
                body["limits"], ("red_low", "yellow_low", "yellow_high", "red_high")
            )
            numbers = [
                reader.number(parts[k])
                for k in ("red_low", "yellow_low", "yellow_high", "red_high")
            ]
            if numbers != sorted(numbers):
                raise reader.fail(
                    body["limits"], "need red_low <= yellow_low <= yellow_high <= red_high"
                )
            limits = Limits(*numbers)
        fields.append(
            FieldDef(
                name=name,
                type=wire,
                offset=offset,
                minimum=minimum,
                maximum=maximum,
                unit=reader.text(body, "unit"),
                description=reader.text(body, "description"),
                enum=enum,
                bitmask=bitmask,
                limits=limits,
                has_range=has_range,
            )
        )
        offset += wire.size
    return Layout(tuple(fields))


def _load_commands(
    reader: _Reader, node: _Node, enums: Mapping[str, EnumDef]
) -> tuple[CommandDef, ...]:
    commands: list[CommandDef] = []
    names: dict[object, _Node] = {}
    opcodes: dict[object, _Node] = {}
    for item in reader.sequence(node):
        body = reader.mapping(item, ("name", "opcode", "args"), ("description",))
        name = reader.identifier(body["name"], upper=True)
        _unique(reader, names, name, body["name"], "command name")
        opcode = reader.integer(body["opcode"], 0, NO_OPCODE - 1)
        _unique(reader, opcodes, opcode, body["opcode"], "opcode")
        args = _load_fields(reader, body["args"], enums, is_command=True)
        if args.size > MAX_ARGS_LEN:
            raise reader.fail(
                body["args"], f"{args.size} bytes of arguments (at most {MAX_ARGS_LEN})"
            )
        commands.append(CommandDef(name, opcode, args, reader.text(body, "description")))
    if not commands:
        raise reader.fail(node, "at least one command is needed")
    return tuple(commands)


def _load_telemetry(
    reader: _Reader, node: _Node, enums: Mapping[str, EnumDef], apids: Apids
) -> dict[str, TelemetryDef]:
    items = reader.entries(node)
    for required in ("ack", "housekeeping"):
        if required not in items:
            raise reader.fail(node, f"missing packet {required!r}")
    packets: dict[str, TelemetryDef] = {}
    used: dict[object, _Node] = {}
    apid_names = {
        "command": apids.command,
        "ack": apids.ack,
        "housekeeping": apids.housekeeping,
        "event": apids.event,
    }
    for name, packet_node in items.items():
        reader.identifier(_Node(name, packet_node.line, packet_node.where), upper=False)
        body = reader.mapping(packet_node, ("apid", "points"), ("description",))
        ref = body["apid"].value
        if isinstance(ref, str):
            if ref not in apid_names:
                raise reader.fail(
                    body["apid"], f"unknown APID name {ref!r} (names: {', '.join(apid_names)})"
                )
            apid = apid_names[ref]
        else:
            apid = reader.integer(body["apid"], 0, 0x7FE)
        if apid in (apids.command, apids.event) or (apid == apids.ack) != (name == "ack"):
            raise reader.fail(body["apid"], f"APID 0x{apid:03X} belongs to another packet")
        _unique(reader, used, apid, body["apid"], "telemetry APID")
        points = _load_fields(reader, body["points"], enums, is_command=False)
        if not points.fields:
            raise reader.fail(body["points"], "a telemetry packet needs at least one point")
        packets[name] = TelemetryDef(name, apid, points, reader.text(body, "description"))
    if packets["housekeeping"].apid != apids.housekeeping:
        raise reader.fail(items["housekeeping"], "housekeeping must use apids.housekeeping")
    got = tuple((f.name, f.type.name) for f in packets["ack"].points.fields)
    if got != _ACK_FIELDS:
        raise reader.fail(
            items["ack"], f"ack points must be exactly {list(_ACK_FIELDS)} (PROTOCOL.md 7.1)"
        )
    return packets


def _load_events(
    reader: _Reader, node: _Node, enums: Mapping[str, EnumDef]
) -> tuple[EventDef, ...]:
    events: list[EventDef] = []
    names: dict[object, _Node] = {}
    ids: dict[object, _Node] = {}
    severities = enums["severity"].values
    for item in reader.sequence(node):
        body = reader.mapping(item, ("name", "id", "severity", "args"), ("description",))
        name = reader.identifier(body["name"], upper=True)
        _unique(reader, names, name, body["name"], "event name")
        event_id = reader.integer(body["id"], 0, 0xFFFF)
        _unique(reader, ids, event_id, body["id"], "event id")
        severity = reader.string(body["severity"])
        if severity not in severities:
            raise reader.fail(
                body["severity"], f"unknown severity {severity!r} ({', '.join(severities)})"
            )
        args = _load_fields(reader, body["args"], enums, is_command=False)
        events.append(EventDef(name, event_id, severity, args, reader.text(body, "description")))
    return tuple(events)


def _load_named_ids(reader: _Reader, node: _Node, what: str, kind: Any) -> tuple[Any, ...]:
    out = []
    names: dict[object, _Node] = {}
    ids: dict[object, _Node] = {}
    for item in reader.sequence(node):
        body = reader.mapping(item, ("name", "id"), ("description",))
        name = reader.identifier(body["name"], upper=None)
        _unique(reader, names, name, body["name"], f"{what} name")
        number = reader.integer(body["id"], 1, 0xFF)
        _unique(reader, ids, number, body["id"], f"{what} id")
        out.append(kind(name, number, reader.text(body, "description")))
    if not out:
        raise reader.fail(node, f"at least one {what} is needed")
    return tuple(out)


def _load_keys(reader: _Reader, node: _Node, partners: set[str]) -> tuple[KeyInfo, ...]:
    keys: list[KeyInfo] = []
    ids: dict[object, _Node] = {}
    for item in reader.sequence(node):
        body = reader.mapping(item, ("key_id", "partner"), ("description",))
        key_id = reader.integer(body["key_id"], 1, 0xFF)
        _unique(reader, ids, key_id, body["key_id"], "key_id")
        partner = reader.string(body["partner"])
        if partner not in partners:
            raise reader.fail(body["partner"], f"unknown partner {partner!r}")
        keys.append(KeyInfo(key_id, partner, reader.text(body, "description")))
    return tuple(keys)


def _load_rules(
    reader: _Reader,
    node: _Node,
    partners: set[str],
    robots: set[str],
    commands: set[str],
) -> tuple[AuthRule, ...]:
    rules: list[AuthRule] = []
    for item in reader.sequence(node):
        body = reader.mapping(item, ("partner", "robots", "commands"))
        partner = reader.string(body["partner"])
        if partner not in partners:
            raise reader.fail(body["partner"], f"unknown partner {partner!r}")
        robot_names = []
        for robot_node in reader.sequence(body["robots"]):
            robot = reader.string(robot_node)
            if robot not in robots:
                raise reader.fail(robot_node, f"unknown robot {robot!r}")
            robot_names.append(robot)
        allowed: tuple[str, ...] | None
        if body["commands"].value == "*":
            allowed = None
        else:
            names = []
            for command_node in reader.sequence(body["commands"]):
                command = reader.string(command_node)
                if command not in commands:
                    raise reader.fail(command_node, f"unknown command {command!r}")
                names.append(command)
            allowed = tuple(names)
        rules.append(AuthRule(partner, tuple(robot_names), allowed))
    return tuple(rules)


# ------------------------------------------------------------------------------------------
# Compatibility lock
# ------------------------------------------------------------------------------------------


def _field_layout(layout: Layout) -> list[list[str]]:
    rows = []
    for item in layout.fields:
        ref = item.enum or item.bitmask
        kind = "enum" if item.enum else "bitmask" if item.bitmask else ""
        rows.append([item.name, item.type.name, f"{kind}:{ref.name}" if ref else ""])
    return rows


def wire_layout(dictionary: Dictionary) -> dict[str, Any]:
    """What is on the wire, as JSON-able data: the content of the lock file."""
    return {
        "dictionary": dictionary.name,
        "apids": {
            "command": dictionary.apids.command,
            "ack": dictionary.apids.ack,
            "housekeeping": dictionary.apids.housekeeping,
            "event": dictionary.apids.event,
        },
        "enums": {
            e.name: {"base": e.base.name, "values": dict(e.values)}
            for e in dictionary.enums.values()
        },
        "commands": {
            c.name: {"opcode": c.opcode, "args": _field_layout(c.args)} for c in dictionary.commands
        },
        "telemetry": {
            t.name: {"apid": t.apid, "points": _field_layout(t.points)}
            for t in dictionary.telemetry.values()
        },
        "events": {
            e.name: {"id": e.event_id, "args": _field_layout(e.args)} for e in dictionary.events
        },
        "partners": {p.name: p.partner_id for p in dictionary.partners},
        "robots": {r.name: r.robot_id for r in dictionary.robots},
        "keys": {str(k.key_id): k.partner for k in dictionary.keys},
    }


@dataclass(frozen=True)
class Compatibility:
    """Differences from a locked layout: ``breaking`` must be empty for a compatible change."""

    breaking: tuple[str, ...]
    additions: tuple[str, ...]

    @property
    def compatible(self) -> bool:
        return not self.breaking


def compare_layouts(old: Mapping[str, Any], new: Mapping[str, Any]) -> Compatibility:
    """Compare a locked layout with a new one.

    Breaking: a changed dictionary name or APID; a removed or renumbered command, event,
    telemetry packet, enum value, partner or robot; any change to a command's arguments, an
    event's arguments or a packet's points (names, types, order, enums); a key id moved to
    another partner. Additions (new commands, events, packets, enum values, partners, robots,
    keys) are compatible. Removing a key (revocation) is compatible.
    """
    breaking: list[str] = []
    additions: list[str] = []
    if old.get("dictionary") != new.get("dictionary"):
        breaking.append(f"dictionary name {old.get('dictionary')!r} -> {new.get('dictionary')!r}")
    for key, value in old.get("apids", {}).items():
        if new.get("apids", {}).get(key) != value:
            breaking.append(f"apids.{key} {value} -> {new.get('apids', {}).get(key)}")

    def numbered(section: str, number_key: str | None, body_key: str | None) -> None:
        old_items = old.get(section, {})
        new_items = new.get(section, {})
        for name, before in old_items.items():
            if name not in new_items:
                breaking.append(f"{section}.{name} removed")
                continue
            after = new_items[name]
            if number_key is None:
                if before != after:
                    breaking.append(f"{section}.{name} {before} -> {after}")
                continue
            if before[number_key] != after[number_key]:
                breaking.append(
                    f"{section}.{name}.{number_key} {before[number_key]} -> {after[number_key]}"
                )
            if body_key is not None and before[body_key] != after[body_key]:
                breaking.append(
                    f"{section}.{name}.{body_key} changed: {_rows(before[body_key])} -> "
                    f"{_rows(after[body_key])}"
                )
        additions.extend(f"{section}.{name}" for name in new_items if name not in old_items)

    numbered("commands", "opcode", "args")
    numbered("telemetry", "apid", "points")
    numbered("events", "id", "args")
    numbered("partners", None, None)
    numbered("robots", None, None)
    for name, before in old.get("enums", {}).items():
        after = new.get("enums", {}).get(name)
        if after is None:
            breaking.append(f"enums.{name} removed")
            continue
        if before["base"] != after["base"]:
            breaking.append(f"enums.{name}.base {before['base']} -> {after['base']}")
        for value_name, number in before["values"].items():
            if after["values"].get(value_name) != number:
                breaking.append(
                    f"enums.{name}.{value_name} {number} -> {after['values'].get(value_name)}"
                )
        additions.extend(f"enums.{name}.{v}" for v in after["values"] if v not in before["values"])
    additions.extend(f"enums.{n}" for n in new.get("enums", {}) if n not in old.get("enums", {}))
    for key_id, partner in old.get("keys", {}).items():
        moved = new.get("keys", {}).get(key_id)
        if moved is not None and moved != partner:
            breaking.append(f"keys.{key_id} moved from {partner} to {moved}")
    additions.extend(f"keys.{k}" for k in new.get("keys", {}) if k not in old.get("keys", {}))
    return Compatibility(tuple(breaking), tuple(additions))


def _rows(rows: Sequence[Sequence[str]]) -> str:
    return "(" + ", ".join(" ".join(x for x in row if x) for row in rows) + ")"


def read_lock(path: str | Path = DEFAULT_LOCK_PATH) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise DictionaryError(str(path), 0, "", f"cannot read: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise DictionaryError(str(path), error.lineno, "", f"not valid JSON: {error.msg}") from None
    if not isinstance(data, dict):
        raise DictionaryError(str(path), 1, "", "must hold a JSON object")
    return data


def render_lock(dictionary: Dictionary) -> str:
    return json.dumps(wire_layout(dictionary), indent=1, sort_keys=False) + "\n"


def _iter_lines(compat: Compatibility) -> Iterator[str]:
    for item in compat.breaking:
        yield f"BREAKING {item}"
    for item in compat.additions:
        yield f"added    {item}"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m firmware_bridge.dictionary``: check or update the compatibility lock."""
    parser = argparse.ArgumentParser(
        prog="python -m firmware_bridge.dictionary", description=main.__doc__
    )
    parser.add_argument("--dictionary", type=Path, default=DEFAULT_DICTIONARY_PATH)
    parser.add_argument("--lock", type=Path, default=DEFAULT_LOCK_PATH)
    parser.add_argument("--update-lock", action="store_true", help="rewrite the lock file")
    parser.add_argument(
        "--allow-breaking", action="store_true", help="with --update-lock: accept breaking changes"
    )
    options = parser.parse_args(argv)
    try:
        dictionary = load_dictionary(options.dictionary)
        old = read_lock(options.lock) if options.lock.exists() else None
    except DictionaryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    compat = compare_layouts(old, wire_layout(dictionary)) if old is not None else None
    if compat is not None:
        for line in _iter_lines(compat):
            print(line)
    if options.update_lock:
        if compat is not None and not compat.compatible and not options.allow_breaking:
            print(
                "error: breaking changes; refusing to update the lock (--allow-breaking)",
                file=sys.stderr,
            )
            return 1
        options.lock.write_text(render_lock(dictionary), encoding="utf-8")
        print(f"wrote {options.lock}")
        return 0
    if compat is None:
        print(f"error: no lock file {options.lock}", file=sys.stderr)
        return 1
    return 0 if compat.compatible else 1


if __name__ == "__main__":
    sys.exit(main())
