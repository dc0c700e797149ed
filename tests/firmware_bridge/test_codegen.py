"""The generated C header: committed copy equals a fresh generation, and it compiles."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from firmware_bridge.codegen import generate_header, main
from firmware_bridge.dictionary import default_dictionary, load_dictionary

# The committed files in this checkout (not an installed copy).
PACKAGE_DIR = Path(__file__).resolve().parents[2] / "firmware_bridge"
HEADER = PACKAGE_DIR / "firmware" / "include" / "rover_mcu_dictionary.h"
DICTIONARY = PACKAGE_DIR / "dictionary" / "rover_mcu.yaml"


def test_committed_header_matches_the_dictionary() -> None:
    fresh = generate_header(load_dictionary(DICTIONARY))
    committed = HEADER.read_text(encoding="utf-8")
    assert committed == fresh, (
        "firmware/include/rover_mcu_dictionary.h is stale: run python -m firmware_bridge.codegen"
    )


def test_check_mode_reports_drift(tmp_path: Path) -> None:
    out = tmp_path / "h.h"
    assert main(["--out", str(out)]) == 0
    assert main(["--out", str(out), "--check"]) == 0
    out.write_text(out.read_text(encoding="utf-8").replace("0x0010u", "0x0099u"), encoding="utf-8")
    assert main(["--out", str(out), "--check"]) == 1


def test_header_carries_the_dictionary_numbers() -> None:
    d = default_dictionary()
    text = generate_header(d)
    defines = dict(re.findall(r"^#define (\w+) (.+?)(?:  /\*.*)?$", text, re.MULTILINE))
    assert defines["ROVER_MCU_APID_COMMAND"] == "0x100u"
    assert defines["ROVER_MCU_OP_DRIVE"] == "0x0010u"
    assert defines["ROVER_MCU_CMD_DRIVE_ARG_DURATION_MS_MAX"] == "600000u"
    assert defines["ROVER_MCU_CMD_DRIVE_ARG_LEFT_MPS_MIN"] == "(-0.5f)"
    assert defines["ROVER_MCU_ACK_STATUS_ARG_OUT_OF_RANGE"] == "9u"
    assert defines["ROVER_MCU_MAX_TC_PACKET_LEN"] == f"{d.max_tc_packet_len}u"
    for point in d.housekeeping.points.fields:
        assert defines[f"ROVER_MCU_HK_{point.name.upper()}_OFFSET"] == f"{point.offset}u"
    for field in d.ack.points.fields:
        assert defines[f"ROVER_MCU_ACK_{field.name.upper()}_OFFSET"] == f"{field.offset}u"


PROGRAM = r"""
#include "rover_mcu_dictionary.h"
#include <stdio.h>
int main(void)
{
    int drive = rover_mcu_command_index(ROVER_MCU_OP_DRIVE);
    printf("%d %d %d %d %u\n", drive, rover_mcu_command_index(0x7777),
           rover_mcu_is_authorized(rover_mcu_key_partner(20), ROVER_MCU_ROBOT_ROVER_R1,
                                   rover_mcu_command_index(ROVER_MCU_OP_NOOP)),
           rover_mcu_is_authorized(rover_mcu_key_partner(20), ROVER_MCU_ROBOT_ROVER_R1, drive),
           (unsigned)ROVER_MCU_COMMANDS[drive].args[2].max_int);
    return 0;
}
"""


def test_header_compiles_warning_free_and_agrees_on_lookups(
    tmp_path: Path, tool_missing: Callable[[str], NoReturn]
) -> None:
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        tool_missing("no C compiler on PATH (cc, gcc or clang)")
    source = tmp_path / "use.c"
    source.write_text(PROGRAM, encoding="utf-8")
    binary = tmp_path / "use"
    subprocess.run(
        [
            compiler,
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Wpedantic",
            "-Werror",
            f"-I{HEADER.parent}",
            str(source),
            "-o",
            str(binary),
        ],
        check=True,
        capture_output=True,
    )
    output = subprocess.run([str(binary)], check=True, capture_output=True, text=True).stdout
    assert output.split() == ["1", "-1", "1", "0", "600000"]
