"""The firmware harness in firmware_bridge/testing.py: tool checks, build and start failures.

Running the firmware for real is test_firmware_integration.py; here are the paths it does not
take: a missing tool, an unknown target, a failed build, a process that never says where to
connect.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from firmware_bridge.testing import (
    FIRMWARE_TARGETS,
    FirmwareError,
    FirmwareProcess,
    FirmwareUnavailableError,
    build_firmware,
    free_tcp_port,
    require_firmware_tools,
)

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"


@pytest.mark.parametrize("target", FIRMWARE_TARGETS)
def test_a_missing_tool_is_named(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(FirmwareUnavailableError, match=r"not on PATH: make, cc"):
        require_firmware_tools(target)
    if target == "mps2-an385-qemu":
        with pytest.raises(FirmwareUnavailableError, match=r"arm-none-eabi-gcc, qemu-system-arm"):
            require_firmware_tools(target)


def test_an_unknown_target_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown firmware target 'stm32'"):
        require_firmware_tools("stm32")
    with pytest.raises(ValueError, match=r"unknown firmware target 'stm32'"):
        FirmwareProcess("stm32", tmp_path / "image", TEST_KEYS, tmp_path / "log")


def test_a_failed_build_raises_with_makes_output(
    tmp_path: Path, tool_missing: Callable[[str], NoReturn]
) -> None:
    if shutil.which("make") is None or shutil.which("cc") is None:
        tool_missing("not on PATH: make or cc (needed to build the firmware)")
    (tmp_path / "host").write_text("a file where make wants a directory")
    with pytest.raises(FirmwareError, match=r"make rover_mcu_host failed:"):
        build_firmware(tmp_path, "host-tcp", TEST_KEYS)


def test_a_host_firmware_that_prints_no_address_is_stopped(tmp_path: Path) -> None:
    # A stand-in image that starts, says nothing useful and exits.
    image = tmp_path / "silent"
    image.write_text(f"#!{sys.executable}\nprint('hello')\n")
    image.chmod(0o755)
    firmware = FirmwareProcess("host-tcp", image, TEST_KEYS, tmp_path / "log")
    with pytest.raises(RuntimeError, match=r"not running"):
        _ = firmware.transport
    with pytest.raises(FirmwareError, match=r"printed no address \('hello'\)"):
        firmware.start()
    with pytest.raises(RuntimeError, match=r"not running"):
        _ = firmware.transport
    firmware.stop()  # idempotent


def test_a_board_that_never_listens_is_reported(tmp_path: Path) -> None:
    # A stand-in "QEMU" that exits at once: the harness gives up and shows the log.
    firmware = FirmwareProcess("mps2-an385-qemu", tmp_path / "image", TEST_KEYS, tmp_path / "log")
    firmware.command = [sys.executable, "-c", "import sys; sys.stderr.write('no board')"]
    with pytest.raises(FirmwareError, match=r"nothing listens on 127\.0\.0\.1:\d+: no board"):
        firmware.start()


def test_free_tcp_port_is_a_port() -> None:
    assert 0 < free_tcp_port() < 65536
