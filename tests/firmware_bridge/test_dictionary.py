"""The rover_mcu dictionary: validation errors name file:line and field, command encoding with
range checks, telemetry decoding, and the compatibility lock."""

from __future__ import annotations

import contextlib
import json
import math
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.dictionary import (
    DEFAULT_DICTIONARY_PATH,
    DEFAULT_LOCK_PATH,
    Ack,
    AckStatus,
    ArgumentError,
    CommandDef,
    Dictionary,
    DictionaryError,
    EventRecord,
    Layout,
    TelemetryLengthError,
    TelemetryRecord,
    TmRecord,
    UnknownApidError,
    UnknownCommandError,
    UnknownEventError,
    compare_layouts,
    default_dictionary,
    load_dictionary,
    main,
    parse_dictionary,
    read_lock,
    to_f32,
    wire_layout,
)

# The committed files in this checkout (not an installed copy).
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "firmware_bridge"
DICTIONARY = PACKAGE_DIR / "dictionary" / "rover_mcu.yaml"
LOCK = PACKAGE_DIR / "dictionary" / "rover_mcu.lock.json"
YAML_TEXT = DICTIONARY.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def d() -> Dictionary:
    return default_dictionary()


# ------------------------------------------------------------------------------------------
# The committed dictionary
# ------------------------------------------------------------------------------------------


def test_the_packaged_dictionary_is_the_committed_one(d: Dictionary) -> None:
    assert DEFAULT_DICTIONARY_PATH.read_text(encoding="utf-8") == YAML_TEXT
    assert DEFAULT_LOCK_PATH.read_text(encoding="utf-8") == LOCK.read_text(encoding="utf-8")


def test_the_committed_dictionary_has_the_protocol_numbers(d: Dictionary) -> None:
    assert (d.apids.command, d.apids.ack, d.apids.housekeeping, d.apids.event) == (
        0x100,
        0x101,
        0x102,
        0x103,
    )
    opcodes = {c.name: c.opcode for c in d.commands}
    assert opcodes["NOOP"] == 0x0001
    assert opcodes["DRIVE"] == 0x0010
    drive = d.command("DRIVE")
    assert [(f.name, f.type.name, f.offset) for f in drive.args.fields] == [
        ("left_mps", "f32", 0),
        ("right_mps", "f32", 4),
        ("duration_ms", "u32", 8),
    ]
    assert (drive.args.field("duration_ms").minimum, drive.args.field("duration_ms").maximum) == (
        0,
        600000,
    )
    assert d.housekeeping.points.size == 58
    assert d.ack.points.size == 20
    assert d.max_tc_packet_len == 6 + 24 + 12
    assert d.housekeeping.points.field("battery_v").limits is not None


def test_authorization_rule_table(d: Dictionary) -> None:
    noop, drive = d.command("NOOP").opcode, d.command("DRIVE").opcode
    assert d.is_authorized(1, 1, drive)  # CNSA may drive rover_r1
    assert not d.is_authorized(10, 1, noop)  # Roscosmos may not command rover_r1
    assert d.is_authorized(10, 2, drive)
    assert d.is_authorized(20, 1, noop)  # SUPARCO: housekeeping-type commands only
    assert not d.is_authorized(20, 1, drive)
    assert not d.is_authorized(99, 1, noop)  # unknown key


# ------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------


def _arg_strategy(command: CommandDef) -> st.SearchStrategy[dict[str, Any]]:
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for item in command.args.fields:
        if item.type.is_bool:
            parts[item.name] = st.booleans()
        elif item.enum is not None:
            parts[item.name] = st.sampled_from(sorted(item.enum.values.values()))
        elif item.type.is_float:
            parts[item.name] = st.floats(item.minimum, item.maximum, width=32)
        else:
            parts[item.name] = st.integers(int(item.minimum), int(item.maximum))
    return st.fixed_dictionaries(parts)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_command_round_trips_through_its_wire_layout(d: Dictionary, data: Any) -> None:
    command = data.draw(st.sampled_from(d.commands))
    args = data.draw(_arg_strategy(command))
    found, packed = d.encode_args(command.name, args)
    assert found is command
    assert len(packed) == command.args.size
    decoded = d.decode_args(command, packed)
    assert command.args.first_bad(decoded) is None
    for name, value in args.items():
        assert decoded[name] == (to_f32(value) if isinstance(value, float) else value)


def test_drive_packs_big_endian_f32_and_u32(d: Dictionary) -> None:
    _, packed = d.encode_args("drive", {"left_mps": 0.25, "right_mps": -0.25, "duration_ms": 1500})
    assert packed.hex(" ") == "3e 80 00 00 be 80 00 00 00 00 05 dc"


def test_command_line_strings_are_accepted(d: Dictionary) -> None:
    _, packed = d.encode_args("SET_POWER", {"rail": "heater", "on": "true"})
    assert packed == b"\x01\x01"
    _, packed = d.encode_args("SET_HK_PERIOD", {"period_ms": "0x3e8"})
    assert packed == struct.pack(">H", 1000)


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        (
            "DRIVE",
            {"left_mps": 0.6, "right_mps": 0, "duration_ms": 1},
            "DRIVE: left_mps: 0.6 is out of range [-0.5, 0.5] m/s",
        ),
        (
            "DRIVE",
            {"left_mps": 0, "right_mps": math.nan, "duration_ms": 1},
            "DRIVE: right_mps: NaN",
        ),
        (
            "DRIVE",
            {"left_mps": 0, "right_mps": 0, "duration_ms": 600001},
            "DRIVE: duration_ms: 600001 is out of range [0, 600000] ms",
        ),
        (
            "DRIVE",
            {"left_mps": 0, "right_mps": 0, "duration_ms": 1.5},
            "DRIVE: duration_ms: 1.5 is not an integer",
        ),
        ("DRIVE", {"left_mps": 0, "right_mps": 0}, "DRIVE: duration_ms: missing"),
        (
            "DRIVE",
            {"left_mps": "fast", "right_mps": 0, "duration_ms": 1},
            "DRIVE: left_mps: 'fast' is not a number",
        ),
        ("NOOP", {"x": 1}, "NOOP: x: unexpected argument (takes: no arguments)"),
        ("SET_POWER", {"rail": 9, "on": True}, "SET_POWER: rail: 9 is not one of {PAYLOAD=0"),
        ("SET_POWER", {"rail": "LASER", "on": True}, "SET_POWER: rail: 'LASER' is not one of"),
        ("SET_POWER", {"rail": 0, "on": 2}, "SET_POWER: on: 2 is not a bool"),
        (
            "SET_HK_PERIOD",
            {"period_ms": 99},
            "SET_HK_PERIOD: period_ms: 99 is out of range [100, 60000] ms",
        ),
        ("SET_HK_PERIOD", {"period_ms": True}, "SET_HK_PERIOD: period_ms: True (bool) is not"),
    ],
)
def test_bad_arguments_name_command_and_argument(
    d: Dictionary, name: str, args: dict[str, Any], message: str
) -> None:
    with pytest.raises(ArgumentError) as caught:
        d.encode_args(name, args)
    assert str(caught.value).startswith(message)


def test_unknown_command_lists_the_known_ones(d: Dictionary) -> None:
    with pytest.raises(UnknownCommandError, match=r"unknown command 'LAUNCH' \(known: NOOP, DRIVE"):
        d.encode_args("LAUNCH", {})


def test_receiver_side_checks_reject_what_the_encoder_would(d: Dictionary) -> None:
    drive = d.command("DRIVE")
    raw = struct.pack(">ffI", 0.5000001, 0.0, 10)
    assert drive.args.first_bad(drive.args.unpack(raw)) == 0
    raw = struct.pack(">ffI", 0.0, math.nan, 10)
    assert drive.args.first_bad(drive.args.unpack(raw)) == 1
    power = d.command("SET_POWER")
    assert power.args.first_bad(power.args.unpack(b"\x04\x01")) == 0
    assert power.args.first_bad(power.args.unpack(b"\x00\x02")) == 1


# ------------------------------------------------------------------------------------------
# Decoding
# ------------------------------------------------------------------------------------------


def test_ack_housekeeping_and_event_decode_to_typed_records(d: Dictionary) -> None:
    ack = d.decode_tm(0x101, bytes.fromhex("000004d2 01 01 00000002 0001 00 00 0000 00000002"))
    assert not isinstance(ack, TelemetryRecord | EventRecord)
    assert d.decode_ack(ack.encode()) == ack
    assert (ack.uptime_ms, ack.seq, ack.opcode, ack.status, ack.repeat) == (
        1234,
        2,
        1,
        AckStatus.EXECUTED,
        False,
    )
    values = {f.name: 0 for f in d.housekeeping.points.fields}
    values.update(battery_v=21.5, mode=2, rails=0b0101, last_rejected_reason=9)
    hk = d.decode_tm(0x102, d.encode_fixed("housekeeping", values))
    assert isinstance(hk, TelemetryRecord)
    assert hk["battery_v"] == 21.5
    assert hk.limit_state("battery_v") == "red"
    assert hk.text("mode") == "SAFE"
    assert hk.text("rails") == "PAYLOAD|RADIO"
    assert hk.text("last_rejected_reason") == "ARG_OUT_OF_RANGE"
    event = d.decode_tm(0x103, d.encode_event("RAIL_SWITCHED", 77, {"rail": 1, "on": True}))
    assert isinstance(event, EventRecord)
    assert (event.name, event.uptime_ms, event.severity) == ("RAIL_SWITCHED", 77, "INFO")
    assert event.text() == "RAIL_SWITCHED(rail=HEATER, on=true)"


def test_bad_telemetry_raises_typed_errors_naming_apid_and_lengths(d: Dictionary) -> None:
    with pytest.raises(UnknownApidError, match="APID 0x1FF is not a telemetry APID"):
        d.decode_tm(0x1FF, b"\x00")
    with pytest.raises(UnknownApidError):
        d.decode_tm(0x100, b"\x00" * 24)  # the command APID is not telemetry
    with pytest.raises(
        TelemetryLengthError, match="ack on APID 0x101: data field is 19 bytes, expected 20"
    ):
        d.decode_tm(0x101, b"\x00" * 19)
    with pytest.raises(TelemetryLengthError, match="expected 58"):
        d.decode_tm(0x102, b"\x00" * 59)
    with pytest.raises(TelemetryLengthError, match="event on APID 0x103"):
        d.decode_tm(0x103, b"\x00" * 6)
    with pytest.raises(UnknownEventError, match="0x7777"):
        d.decode_tm(0x103, struct.pack(">IHB", 0, 0x7777, 1))
    with pytest.raises(TelemetryLengthError, match=r"event BOOT .* expected 12"):
        d.decode_tm(0x103, struct.pack(">IHB", 0, 1, 1) + b"\x00" * 4)


@settings(max_examples=300, deadline=None)
@given(apid=st.sampled_from([0x101, 0x102, 0x103, 0x104]), data=st.binary(max_size=80))
def test_decoding_arbitrary_bytes_never_fails_untyped(
    d: Dictionary, apid: int, data: bytes
) -> None:
    with contextlib.suppress(UnknownApidError, TelemetryLengthError, UnknownEventError):
        d.decode_tm(apid, data)


def _built_by_constructors(d: Dictionary, apid: int, data: bytes) -> TmRecord:
    """The decoder written plainly: one struct per layout, records made by their constructors."""
    if apid == d.apids.ack:
        v = struct.unpack(">IBBIHBBHI", data)
        known = {s.value for s in AckStatus}
        status = AckStatus(v[5]) if v[5] in known else v[5]
        return Ack(v[0], v[1], v[2], v[3], v[4], status, v[6], v[7], v[8])

    def values(layout: Layout, raw: bytes) -> dict[str, Any]:
        unpacked = struct.unpack(">" + "".join(f.type.code for f in layout.fields), raw)
        return {
            f.name: bool(x) if f.type.is_bool and x in (0, 1) else x
            for f, x in zip(layout.fields, unpacked, strict=True)
        }

    if apid == d.apids.housekeeping:
        return TelemetryRecord(d.housekeeping, values(d.housekeeping.points, data))
    uptime_ms, event_id, severity = struct.unpack(">IHB", data[:7])
    event = next(e for e in d.events if e.event_id == event_id)
    names = {number: name for name, number in d.enums["severity"].values.items()}
    severity_name = names.get(severity, f"?{severity}")
    return EventRecord(event, uptime_ms, severity_name, values(event.args, data[7:]))


def _field_bytes(size: int) -> st.SearchStrategy[bytes]:
    """``size`` bytes, each often a boundary value (0, 1, 2 for bools and enums; 0x7F, 0x80,
    0xFF for signs, NaNs and infinities) and otherwise any."""
    byte = st.one_of(st.sampled_from([0, 1, 2, 0x7F, 0x80, 0xFF]), st.integers(0, 255))
    return st.lists(byte, min_size=size, max_size=size).map(bytes)


@st.composite
def tm_data_fields(draw: st.DrawFn, d: Dictionary) -> tuple[int, bytes]:
    """A well-sized data field for the ack, housekeeping or one event, with random contents
    (bools beyond 0/1, unknown statuses and severities, NaNs included)."""
    kind = draw(st.sampled_from(["ack", "housekeeping", *(e.name for e in d.events)]))
    if kind in d.telemetry:
        definition = d.telemetry[kind]
        return definition.apid, draw(_field_bytes(definition.points.size))
    event = next(e for e in d.events if e.name == kind)
    header = struct.pack(">IH", draw(st.integers(0, 2**32 - 1)), event.event_id)
    return d.apids.event, header + draw(_field_bytes(1 + event.args.size))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_records_decoded_equal_records_built_by_their_constructors(
    d: Dictionary, data: st.DataObject
) -> None:
    apid, field = data.draw(tm_data_fields(d))
    decoded = d.decode_tm(apid, field)
    built = _built_by_constructors(d, apid, field)
    assert type(decoded) is type(built)
    assert repr(decoded) == repr(built)  # NaN-safe; == below when there is none
    if "nan" not in repr(built):
        assert decoded == built
    if isinstance(built, Ack):
        assert hash(decoded) == hash(built)
    with pytest.raises(AttributeError):
        decoded.definition = None  # type: ignore[misc, union-attr]


# ------------------------------------------------------------------------------------------
# Validation errors: file:line and field
# ------------------------------------------------------------------------------------------


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "field", "problem"),
    [
        ("opcode: 0x0011", "opcode: 0x0010", "commands[2].opcode", "duplicate opcode 16"),
        (
            "min: 100, max: 60000",
            "min: 100, max: 70000",
            "commands[6].args[0].max",
            "70000.0 does not fit in u16",
        ),
        (
            "type: u32, min: 0, max: 600000",
            "type: u33, min: 0, max: 600000",
            "commands[1].args[2].type",
            "unknown type 'u33'",
        ),
        (
            'enum: rail, description: Which rail.}\n      - {name: "on"',
            'enum: rails, description: Which rail.}\n      - {name: "on"',
            "commands[4].args[0].enum",
            "unknown enum 'rails'",
        ),
        (
            "  housekeeping: 0x102",
            "  housekeeping: 0x101",
            "apids.housekeeping",
            "duplicate APID 257",
        ),
        (
            "red_low: 22.0, yellow_low: 24.0",
            "red_low: 25.0, yellow_low: 24.0",
            "telemetry.housekeeping.points[3].limits",
            "red_low <= yellow_low",
        ),
        (
            "- {key_id: 2, partner: CNSA",
            "- {key_id: 2, partner: ESA",
            "keys[1].partner",
            "unknown partner 'ESA'",
        ),
        (
            "commands: [NOOP, REQUEST_HOUSEKEEPING, SET_HK_PERIOD]",
            "commands: [NOOP, SELF_DESTRUCT]",
            "authorization[2].commands[1]",
            "unknown command 'SELF_DESTRUCT'",
        ),
        (
            "severity: WARNING\n    description: A new",
            "severity: LOUD\n    description: A new",
            "events[1].severity",
            "unknown severity 'LOUD'",
        ),
        ("  - name: STOP\n", "  - name: Stop\n", "commands[2].name", "'Stop' must be UPPER_CASE"),
        (
            "    opcode: 0x0011\n",
            "    opcode: 0x0011\n    opcod: 3\n",
            "commands[2].opcod",
            "unknown field",
        ),
        ("      REPLAY: 3 ", "      REPLAY: 11 ", "enums.ack_status", "fixed by PROTOCOL.md"),
        ("mac: HMAC-SHA256-128", "mac: CRC32", "security.mac", "must be 'HMAC-SHA256-128'"),
    ],
)
def test_dictionary_errors_name_file_line_and_field(
    old: str, new: str, field: str, problem: str
) -> None:
    assert old in YAML_TEXT, old
    text = YAML_TEXT.replace(old, new, 1)
    with pytest.raises(DictionaryError) as caught:
        parse_dictionary(text, "rover.yaml")
    error = caught.value
    assert error.field_name == field
    assert problem in error.problem
    assert re.match(rf"rover\.yaml:{error.line}: {re.escape(field)}: ", str(error))
    # The line points into the changed region, not somewhere arbitrary.
    changed = _line_of(YAML_TEXT, old)
    assert changed <= error.line <= changed + new.count("\n") + 1 or field.startswith("enums")


def test_missing_and_malformed_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(DictionaryError, match=r"nope\.yaml: cannot read"):
        load_dictionary(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dictionary: rover_mcu\nversion: [1\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"bad.yaml:\d+: not valid YAML"):
        load_dictionary(bad)
    dup = YAML_TEXT.replace("version: 1\n", "version: 1\nversion: 2\n", 1)
    with pytest.raises(DictionaryError, match=r"x:\d+: version: duplicate key"):
        parse_dictionary(dup, "x")
    flow = YAML_TEXT.replace(
        'description: "Left wheel speed, forward positive."',
        "description: Left wheel speed, forward positive.",
    )
    with pytest.raises(
        DictionaryError, match=r"commands\[1\]\.args\[0\]\.forward positive\.: unknown field"
    ):
        parse_dictionary(flow, "x")


# ------------------------------------------------------------------------------------------
# Compatibility lock
# ------------------------------------------------------------------------------------------


def test_the_committed_lock_matches_the_dictionary() -> None:
    d = load_dictionary(DICTIONARY)
    lock = read_lock(LOCK)
    compat = compare_layouts(lock, wire_layout(d))
    assert compat.breaking == (), "breaking changes against rover_mcu.lock.json"
    assert compat.additions == (), (
        "additions not yet locked: run python -m firmware_bridge.dictionary --update-lock"
    )
    assert lock == json.loads(json.dumps(wire_layout(d)))


def _layout_of(text: str) -> dict[str, Any]:
    return json.loads(json.dumps(wire_layout(parse_dictionary(text, "x"))))


BASE = _layout_of(YAML_TEXT)
LEFT_ARG = (
    "      - {name: left_mps, type: f32, min: -0.5, max: 0.5, unit: m/s, "
    'description: "Left wheel speed, forward positive."}'
)
RIGHT_ARG = (
    "      - {name: right_mps, type: f32, min: -0.5, max: 0.5, unit: m/s, "
    'description: "Right wheel speed, forward positive."}'
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  - name: STOP\n    opcode: 0x0011\n"
            "    description: Stop both wheels now. Acknowledged EXECUTED.\n    args: []\n",
            "",
            "commands.STOP removed",
        ),
        ("opcode: 0x0011", "opcode: 0x0013", "commands.STOP.opcode 17 -> 19"),
        (
            "{name: duration_ms, type: u32",
            "{name: duration_ms, type: i32",
            "commands.DRIVE.args changed",
        ),
        (
            LEFT_ARG + "\n" + RIGHT_ARG,
            RIGHT_ARG + "\n" + LEFT_ARG,
            "commands.DRIVE.args changed",
        ),
        ("  event: 0x103 ", "  event: 0x104 ", "apids.event 259 -> 260"),
        ("CAMERA: 3}", "CAMERA: 4}", "enums.rail.CAMERA 3 -> 4"),
        (
            "{name: tm_packets_sent, type: u16,",
            "{name: tm_packets_sent, type: u32,",
            "telemetry.housekeeping.points changed",
        ),
        ("id: 0x0003", "id: 0x0009", "events.BROWNOUT.id 3 -> 9"),
        (
            "{key_id: 10, partner: ROSCOSMOS",
            "{key_id: 10, partner: NARIT",
            "keys.10 moved from ROSCOSMOS to NARIT",
        ),
        ("{name: rover_r2, id: 2", "{name: rover_r2, id: 7", "robots.rover_r2 2 -> 7"),
    ],
)
def test_breaking_changes_are_detected(old: str, new: str, expected: str) -> None:
    assert old in YAML_TEXT, old
    compat = compare_layouts(BASE, _layout_of(YAML_TEXT.replace(old, new, 1)))
    assert not compat.compatible
    assert any(item.startswith(expected) for item in compat.breaking), compat.breaking


def test_additions_are_compatible() -> None:
    text = YAML_TEXT.replace(
        "  - name: STOP\n",
        "  - name: BEEP\n    opcode: 0x0040\n    args: [{name: tone_hz, type: u16}]\n"
        "  - name: STOP\n",
        1,
    )
    text = text.replace("CAMERA: 3}", "CAMERA: 3, DRILL: 4}", 1)
    text = text.replace("  - {key_id: 30,", "  - {key_id: 31, partner: NARIT}\n  - {key_id: 30,", 1)
    text = text.replace(
        "  - {name: tube_scout_t1,", "  - {name: lander_l1, id: 9}\n  - {name: tube_scout_t1,", 1
    )
    compat = compare_layouts(BASE, _layout_of(text))
    assert compat.compatible, compat.breaking
    assert set(compat.additions) == {
        "commands.BEEP",
        "enums.rail.DRILL",
        "keys.31",
        "robots.lander_l1",
    }
    # Revoking a key is allowed too.
    revoked = YAML_TEXT.replace(
        "  - {key_id: 2, partner: CNSA, description: CNSA operations key 2 (rollover)}\n", "", 1
    )
    assert compare_layouts(BASE, _layout_of(revoked)).compatible


def test_lock_command_refuses_breaking_updates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "lock.json"
    dictionary = tmp_path / "d.yaml"
    dictionary.write_text(YAML_TEXT, encoding="utf-8")
    assert main(["--dictionary", str(dictionary), "--lock", str(lock), "--update-lock"]) == 0
    assert main(["--dictionary", str(dictionary), "--lock", str(lock)]) == 0
    dictionary.write_text(YAML_TEXT.replace("opcode: 0x0011", "opcode: 0x0013"), encoding="utf-8")
    assert main(["--dictionary", str(dictionary), "--lock", str(lock)]) == 1
    assert main(["--dictionary", str(dictionary), "--lock", str(lock), "--update-lock"]) == 1
    out = capsys.readouterr()
    assert "BREAKING commands.STOP.opcode 17 -> 19" in out.out
    assert "refusing" in out.err
    assert (
        main(
            [
                "--dictionary",
                str(dictionary),
                "--lock",
                str(lock),
                "--update-lock",
                "--allow-breaking",
            ]
        )
        == 0
    )
