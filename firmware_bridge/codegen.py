"""Generate the firmware's C header from the dictionary.

``python -m firmware_bridge.codegen`` writes ``firmware/include/rover_mcu_dictionary.h``;
``--check`` exits 1 if the committed header differs from a fresh generation. The header holds
``#define``s (APIDs, opcodes, argument offsets, sizes and ranges, status codes, housekeeping,
ack and event offsets, robot, partner and key ids) and ``static const`` tables (commands,
arguments, keys, authorization rules) with two inline lookups. It is plain C99 and needs only
``<stdint.h>``. Offsets of command arguments are from the start of the argument block (add
``ROVER_MCU_TC_ARGS_OFFSET`` for the data field); offsets of telemetry points and event
arguments are from the start of the TM packet data field.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from firmware_bridge.dictionary import (
    DEFAULT_DICTIONARY_PATH,
    EVENT_HEADER_LEN,
    KEY_LEN,
    MAC_LEN,
    NO_OPCODE,
    OPCODE_LEN,
    REPLAY_WINDOW,
    SECURITY_HEADER_LEN,
    TC_FIXED_LEN,
    Dictionary,
    DictionaryError,
    FieldDef,
    Layout,
    load_dictionary,
)

DEFAULT_HEADER_PATH: Final = (
    Path(__file__).resolve().parent / "firmware" / "include" / "rover_mcu_dictionary.h"
)

_TYPE_IDS: Final = {"u8": 0, "u16": 1, "u32": 2, "i8": 3, "i16": 4, "i32": 5, "f32": 6, "bool": 7}
_CHECK_IDS: Final = {"none": 0, "range": 1, "enum": 2, "bool": 3}


def _float_literal(value: float) -> str:
    text = repr(float(value))
    if "e" not in text and "." not in text:
        text += ".0"
    return f"({text}f)" if value < 0 else f"{text}f"


def _int_literal(value: float, signed: bool) -> str:
    number = int(value)
    if signed:
        # INT32_MIN cannot be written as a plain literal.
        return (
            f"({number + 1} - 1)"
            if number == -(2**31)
            else f"({number})"
            if number < 0
            else str(number)
        )
    return f"{number}u"


def _id(text: str) -> str:
    return text.upper()


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        self.lines.append(line)

    def define(self, name: str, value: str, comment: str = "") -> None:
        tail = f"  /* {comment} */" if comment else ""
        self.lines.append(f"#define {name} {value}{tail}")

    def section(self, title: str) -> None:
        self.lines += ["", f"/* {'-' * 4} {title} {'-' * max(4, 88 - len(title))} */"]


def _range_defines(out: _Writer, prefix: str, item: FieldDef) -> None:
    wire = item.type
    if item.enum is not None or wire.is_bool or not item.has_range:
        return
    if wire.is_float:
        out.define(f"{prefix}_MIN", _float_literal(item.minimum), item.unit)
        out.define(f"{prefix}_MAX", _float_literal(item.maximum), item.unit)
    else:
        signed = wire.lo < 0
        out.define(f"{prefix}_MIN", _int_literal(item.minimum, signed), item.unit)
        out.define(f"{prefix}_MAX", _int_literal(item.maximum, signed), item.unit)


def _limit_defines(out: _Writer, prefix: str, item: FieldDef) -> None:
    if item.limits is None:
        return
    for name in ("red_low", "yellow_low", "yellow_high", "red_high"):
        out.define(f"{prefix}_{_id(name)}", _float_literal(getattr(item.limits, name)), item.unit)


def _layout_defines(out: _Writer, prefix: str, layout: Layout, base: int) -> None:
    for item in layout.fields:
        name = f"{prefix}_{_id(item.name)}"
        what = item.type.name + (f" enum {item.enum.name}" if item.enum else "")
        what += f" bitmask {item.bitmask.name}" if item.bitmask else ""
        what += f", {item.unit}" if item.unit else ""
        out.define(f"{name}_OFFSET", f"{base + item.offset}u", what)
        _range_defines(out, name, item)
        _limit_defines(out, name, item)


def generate_header(dictionary: Dictionary, source: str = "rover_mcu.yaml") -> str:
    """The complete header text for ``dictionary``; deterministic."""
    p = _id(dictionary.name)
    out = _Writer()
    out(f"/* {dictionary.name}_dictionary.h - GENERATED from {source} by")
    out(" *   python -m firmware_bridge.codegen")
    out(" * Do not edit: change the dictionary and regenerate.")
    out(" * Byte layouts: firmware_bridge/PROTOCOL.md.")
    out(" * Every multi-byte field on the wire is big-endian. */")
    out(f"#ifndef {p}_DICTIONARY_H")
    out(f"#define {p}_DICTIONARY_H")
    out()
    out("#include <stdint.h>")
    out()
    out("#if defined(__GNUC__) || defined(__clang__)")
    out(f"#define {p}_MAYBE_UNUSED __attribute__((unused))")
    out("#else")
    out(f"#define {p}_MAYBE_UNUSED")
    out("#endif")
    out()
    out.define(f"{p}_DICTIONARY_VERSION", f"{dictionary.version}u")

    out.section("APIDs")
    apids = dictionary.apids
    for name in ("command", "ack", "housekeeping", "event"):
        out.define(f"{p}_APID_{_id(name)}", f"0x{getattr(apids, name):03X}u")

    out.section("Telecommand data field (PROTOCOL.md 2)")
    out.define(f"{p}_TC_KEY_ID_OFFSET", "0u", "u8")
    out.define(f"{p}_TC_ROBOT_ID_OFFSET", "1u", "u8")
    out.define(f"{p}_TC_SEQ_OFFSET", "2u", "u32")
    out.define(f"{p}_TC_OPCODE_OFFSET", f"{SECURITY_HEADER_LEN}u", "u16")
    out.define(f"{p}_TC_ARGS_OFFSET", f"{SECURITY_HEADER_LEN + OPCODE_LEN}u")
    out.define(f"{p}_TC_SECURITY_HEADER_LEN", f"{SECURITY_HEADER_LEN}u")
    out.define(f"{p}_TC_FIXED_LEN", f"{TC_FIXED_LEN}u", "data field bytes besides the arguments")
    out.define(f"{p}_MAC_LEN", f"{MAC_LEN}u", "HMAC-SHA256 truncated to its first 16 bytes")
    out.define(f"{p}_KEY_LEN", f"{KEY_LEN}u")
    out.define(f"{p}_REPLAY_WINDOW", f"{REPLAY_WINDOW}u", "sequence numbers")
    out.define(f"{p}_MAC_HEADER_MASK_BYTE2", "0xC0u", "MAC input: h[2] & mask, h[3] -> 0")
    out.define(f"{p}_NO_OPCODE", f"0x{NO_OPCODE:04X}u")
    out.define(f"{p}_MAX_ARGS_LEN", f"{dictionary.max_args_len}u")
    out.define(f"{p}_MAX_TC_DATA_LEN", f"{TC_FIXED_LEN + dictionary.max_args_len}u")
    out.define(
        f"{p}_MAX_TC_PACKET_LEN", f"{dictionary.max_tc_packet_len}u", "primary header included"
    )

    out.section("Enums (for enums used as bitmasks, *_MASK is 1 << value)")
    bitmasks = {
        f.bitmask.name
        for layout in _all_layouts(dictionary)
        for f in layout.fields
        if f.bitmask is not None
    }
    for enum in dictionary.enums.values():
        out(f"/* {enum.name} ({enum.base.name}): {enum.description} */")
        for value_name, number in enum.values.items():
            out.define(f"{p}_{_id(enum.name)}_{value_name}", f"{number}u")
            if enum.name in bitmasks:
                out.define(f"{p}_{_id(enum.name)}_{value_name}_MASK", f"0x{1 << number:02X}u")
        out.define(f"{p}_{_id(enum.name)}_COUNT", f"{len(enum.values)}u", "number of values")

    out.section("Commands: opcodes, argument sizes, offsets (in the argument block), ranges")
    out.define(f"{p}_CMD_COUNT", f"{len(dictionary.commands)}u")
    for index, command in enumerate(dictionary.commands):
        name = f"{p}_CMD_{command.name}"
        out(f"/* {command.name}: {command.description} */")
        out.define(f"{p}_OP_{command.name}", f"0x{command.opcode:04X}u")
        out.define(f"{name}_INDEX", f"{index}u")
        out.define(f"{name}_ARGS_LEN", f"{command.args.size}u")
        out.define(f"{name}_DATA_LEN", f"{TC_FIXED_LEN + command.args.size}u", "TC data field")
        _layout_defines(out, f"{name}_ARG", command.args, 0)

    for packet in dictionary.telemetry.values():
        tag = "HK" if packet.name == "housekeeping" else _id(packet.name)
        out.section(f"{packet.name} packet (APID 0x{packet.apid:03X}): offsets in the data field")
        out.define(f"{p}_{tag}_LEN", f"{packet.points.size}u", "data field bytes")
        _layout_defines(out, f"{p}_{tag}", packet.points, 0)

    out.section("Events: header, then arguments (offsets in the data field)")
    out.define(f"{p}_EVT_HEADER_LEN", f"{EVENT_HEADER_LEN}u")
    out.define(f"{p}_EVT_UPTIME_MS_OFFSET", "0u", "u32, ms")
    out.define(f"{p}_EVT_ID_OFFSET", "4u", "u16")
    out.define(f"{p}_EVT_SEVERITY_OFFSET", "6u", "u8 enum severity")
    for event in dictionary.events:
        name = f"{p}_EVT_{event.name}"
        out(f"/* {event.name}: {event.description} */")
        out.define(f"{name}_ID", f"0x{event.event_id:04X}u")
        out.define(f"{name}_SEVERITY", f"{p}_SEVERITY_{event.severity}")
        out.define(f"{name}_LEN", f"{EVENT_HEADER_LEN + event.args.size}u", "data field bytes")
        _layout_defines(out, name, event.args, EVENT_HEADER_LEN)

    out.section("Robots, partners, keys (ids only, never key material)")
    for robot in dictionary.robots:
        out.define(f"{p}_ROBOT_{_id(robot.name)}", f"{robot.robot_id}u", robot.description)
    for partner in dictionary.partners:
        out.define(
            f"{p}_PARTNER_{_id(partner.name)}", f"{partner.partner_id}u", partner.description
        )
    out.define(f"{p}_KEY_COUNT", f"{len(dictionary.keys)}u")

    out.section("Tables")
    out(f"enum {{ {', '.join(f'{p}_TYPE_{_id(k)} = {v}' for k, v in _TYPE_IDS.items())} }};")
    out(f"enum {{ {', '.join(f'{p}_CHECK_{_id(k)} = {v}' for k, v in _CHECK_IDS.items())} }};")
    out()
    out("/* One argument: how to read it and how to check it. Integer ranges in min_int..max_int,")
    out(" * f32 ranges in min_f32..max_f32 (NaN fails), enums against")
    out(" * enum_values[0..enum_count). */")
    out("typedef struct {")
    out("    uint8_t type;            /* ROVER_MCU_TYPE_* */")
    out("    uint8_t offset;          /* in the argument block */")
    out("    uint8_t check;           /* ROVER_MCU_CHECK_* */")
    out("    uint8_t enum_count;")
    out("    const uint32_t *enum_values;")
    out("    int64_t min_int;")
    out("    int64_t max_int;")
    out("    float min_f32;")
    out("    float max_f32;")
    out(f"}} {dictionary.name}_arg_info_t;")
    out()
    out("typedef struct {")
    out("    uint16_t opcode;")
    out("    uint8_t args_len;")
    out("    uint8_t arg_count;")
    out(f"    const {dictionary.name}_arg_info_t *args;")
    out("    const char *name;")
    out(f"}} {dictionary.name}_command_info_t;")
    out()
    enum_arrays: dict[str, str] = {}
    for enum in dictionary.enums.values():
        values = ", ".join(f"{v}u" for v in enum.values.values())
        array = f"{p}_{_id(enum.name)}_VALUES"
        enum_arrays[enum.name] = array
        out(f"static const uint32_t {array}[] {p}_MAYBE_UNUSED = {{ {values} }};")
    out()
    for command in dictionary.commands:
        if not command.args.fields:
            continue
        out(
            f"static const {dictionary.name}_arg_info_t {p}_CMD_{command.name}_ARGS[] "
            f"{p}_MAYBE_UNUSED = {{"
        )
        for item in command.args.fields:
            out(f"    {_arg_row(p, item, enum_arrays)}, /* {item.name} */")
        out("};")
    out()
    out(
        f"static const {dictionary.name}_command_info_t {p}_COMMANDS[{p}_CMD_COUNT] "
        f"{p}_MAYBE_UNUSED = {{"
    )
    for command in dictionary.commands:
        args = f"{p}_CMD_{command.name}_ARGS" if command.args.fields else "0"
        out(
            f"    {{ {p}_OP_{command.name}, {command.args.size}u, {len(command.args.fields)}u, "
            f'{args}, "{command.name}" }},'
        )
    out("};")
    out()
    out("typedef struct {")
    out("    uint8_t key_id;")
    out("    uint8_t partner_id;")
    out(f"}} {dictionary.name}_key_info_t;")
    out()
    out(f"static const {dictionary.name}_key_info_t {p}_KEYS[{p}_KEY_COUNT] {p}_MAYBE_UNUSED = {{")
    for key in dictionary.keys:
        out(f"    {{ {key.key_id}u, {p}_PARTNER_{_id(key.partner)} }}, /* {key.description} */")
    out("};")
    out()
    out("/* partner_id may send the commands whose bit (1 << command index) is set in command_mask")
    out(" * to robot_id. */")
    out("typedef struct {")
    out("    uint8_t partner_id;")
    out("    uint8_t robot_id;")
    out("    uint32_t command_mask;")
    out(f"}} {dictionary.name}_auth_rule_t;")
    out()
    rows = []
    names = [c.name for c in dictionary.commands]
    if len(names) > 32:
        raise DictionaryError(dictionary.path, 0, "commands", "the C rule table holds 32 commands")
    for rule in dictionary.authorization:
        allowed = rule.commands if rule.commands is not None else tuple(names)
        mask = sum(1 << names.index(n) for n in allowed)
        for robot_name in rule.robots:
            rows.append(
                f"    {{ {p}_PARTNER_{_id(rule.partner)}, {p}_ROBOT_{_id(robot_name)}, "
                f"0x{mask:08X}u }},"
            )
    out.define(f"{p}_AUTH_RULE_COUNT", f"{len(rows)}u")
    out(
        f"static const {dictionary.name}_auth_rule_t {p}_AUTH_RULES[{p}_AUTH_RULE_COUNT] "
        f"{p}_MAYBE_UNUSED = {{"
    )
    out.lines.extend(rows)
    out("};")
    out()
    out("/* Index of opcode in ROVER_MCU_COMMANDS, or -1 if the opcode is unknown. */")
    out(f"static inline int {dictionary.name}_command_index(uint16_t opcode)")
    out("{")
    out(f"    for (int i = 0; i < (int){p}_CMD_COUNT; ++i) {{")
    out(f"        if ({p}_COMMANDS[i].opcode == opcode) {{")
    out("            return i;")
    out("        }")
    out("    }")
    out("    return -1;")
    out("}")
    out()
    out("/* Partner id holding key_id, or 0 if key_id is not in the dictionary. */")
    out(f"static inline uint8_t {dictionary.name}_key_partner(uint8_t key_id)")
    out("{")
    out(f"    for (unsigned i = 0; i < {p}_KEY_COUNT; ++i) {{")
    out(f"        if ({p}_KEYS[i].key_id == key_id) {{")
    out(f"            return {p}_KEYS[i].partner_id;")
    out("        }")
    out("    }")
    out("    return 0;")
    out("}")
    out()
    out("/* 1 if partner_id may send command index cmd_index to robot_id, else 0. */")
    out(
        f"static inline int {dictionary.name}_is_authorized(uint8_t partner_id, uint8_t robot_id, "
        "int cmd_index)"
    )
    out("{")
    out("    if (cmd_index < 0 || cmd_index >= 32) {")
    out("        return 0;")
    out("    }")
    out(f"    for (unsigned i = 0; i < {p}_AUTH_RULE_COUNT; ++i) {{")
    out(f"        const {dictionary.name}_auth_rule_t *rule = &{p}_AUTH_RULES[i];")
    out("        if (rule->partner_id == partner_id && rule->robot_id == robot_id &&")
    out("            ((rule->command_mask >> (unsigned)cmd_index) & 1u) != 0u) {")
    out("            return 1;")
    out("        }")
    out("    }")
    out("    return 0;")
    out("}")
    out()
    out(f"#endif /* {p}_DICTIONARY_H */")
    return "\n".join(out.lines) + "\n"


def _all_layouts(dictionary: Dictionary) -> list[Layout]:
    return (
        [c.args for c in dictionary.commands]
        + [t.points for t in dictionary.telemetry.values()]
        + [e.args for e in dictionary.events]
    )


def _arg_row(p: str, item: FieldDef, enum_arrays: dict[str, str]) -> str:
    wire = item.type
    if wire.is_bool:
        check = "bool"
    elif item.enum is not None:
        check = "enum"
    elif item.has_range or wire.is_float:
        check = "range"
    else:
        check = "none"
    enum_count = len(item.enum.values) if item.enum is not None else 0
    enum_values = enum_arrays[item.enum.name] if item.enum is not None else "0"
    if wire.is_float:
        min_int = max_int = "0"
        min_f, max_f = _float_literal(item.minimum), _float_literal(item.maximum)
    else:
        min_int = _int_literal(item.minimum, True) if not wire.is_bool else "0"
        max_int = _int_literal(item.maximum, True) if not wire.is_bool else "1"
        min_f = max_f = "0.0f"
    return (
        f"{{ {p}_TYPE_{_id(wire.name)}, {item.offset}u, {p}_CHECK_{_id(check)}, {enum_count}u, "
        f"{enum_values}, {min_int}, {max_int}, {min_f}, {max_f} }}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) the generated C header."""
    parser = argparse.ArgumentParser(
        prog="python -m firmware_bridge.codegen", description=main.__doc__
    )
    parser.add_argument("--dictionary", type=Path, default=DEFAULT_DICTIONARY_PATH)
    parser.add_argument("--out", type=Path, default=DEFAULT_HEADER_PATH)
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    options = parser.parse_args(argv)
    try:
        dictionary = load_dictionary(options.dictionary)
        text = generate_header(dictionary, options.dictionary.name)
    except DictionaryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if options.check:
        current = options.out.read_text(encoding="utf-8") if options.out.exists() else ""
        if current != text:
            print(f"{options.out} is stale: run python -m firmware_bridge.codegen", file=sys.stderr)
            return 1
        return 0
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(text, encoding="utf-8")
    print(f"wrote {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
