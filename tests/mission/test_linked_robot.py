"""The sequence robot behind a command link: MCU commands reach the reference endpoint over TCP
authenticated and acknowledged, housekeeping feeds mode, odometer and state of charge, a paced
clock really waits, and steps an MCU link cannot run are listed before anything is sent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest

from firmware_bridge.auth import load_key_file
from firmware_bridge.dictionary import default_dictionary
from firmware_bridge.link import CommandLink, RobotEndpoint
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.testing import (
    FirmwareProcess,
    FirmwareUnavailableError,
    TcpEndpointServer,
    build_firmware,
    require_firmware_tools,
)
from firmware_bridge.transport import open_transport
from ilrs_auto.assets import assets_dir
from ilrs_auto.mission.clock import PacedClock
from ilrs_auto.mission.linked_robot import LinkedRobot, unsupported_steps
from ilrs_auto.mission.sequence import McuCommand, parse_sequence
from ilrs_auto.mission.sequence_executor import SequenceExecutor

TEST_KEYS = Path(__file__).parents[1] / "firmware_bridge" / "data" / "test_keys.txt"


@pytest.fixture
def robot() -> Iterator[tuple[LinkedRobot, RoverMcuModel]]:
    dictionary = default_dictionary()
    model = RoverMcuModel(battery_soc_pct=81.0)
    keys = load_key_file(TEST_KEYS, dictionary).only(1, 20)
    with TcpEndpointServer(RobotEndpoint(dictionary, keys, 1, model)) as server:
        transport = open_transport(f"tcp:127.0.0.1:{server.port}")
        link = CommandLink(transport, dictionary, keys, key_id=1, robot_id=1, timeout_s=1.0)
        try:
            yield LinkedRobot(link, (520.0, 700.0)), model
        finally:
            link.close()


def mcu(name: str, **args: int | float | bool) -> McuCommand:
    return McuCommand(name, dict(args), default_dictionary().command(name))


def test_commands_reach_the_mcu_and_acks_come_back(
    robot: tuple[LinkedRobot, RoverMcuModel],
) -> None:
    linked, model = robot
    on = linked.mcu_command(mcu("SET_POWER", rail=2, on=True), 0.0)
    drive = linked.mcu_command(mcu("DRIVE", left_mps=0.2, right_mps=0.2, duration_ms=1500), 0.0)
    assert on.succeeded and drive.succeeded
    assert drive.duration_s == 1.5 and on.duration_s == 0.0
    assert [name for name, _ in model.executed] == ["SET_POWER", "DRIVE"]
    assert [(name, seq) for name, seq, _ in linked.sent] == [("SET_POWER", 1), ("DRIVE", 2)]
    assert linked.refresh()
    assert linked.measured_soc_pct == pytest.approx(81.0, abs=1.0)
    assert linked.mcu_mode == "DRIVING"
    linked.stop(0.0)
    assert [name for name, _ in model.executed][-1] == "STOP"


def test_a_rejected_command_is_a_failed_result_not_an_exception(
    robot: tuple[LinkedRobot, RoverMcuModel],
) -> None:
    linked, model = robot
    model.battery_soc_pct = 3.0  # below what the MCU lets a drive start with
    result = linked.mcu_command(mcu("DRIVE", left_mps=0.2, right_mps=0.2, duration_ms=500), 0.0)
    assert not result.succeeded and result.status != "ACCEPTED"
    assert "by the robot (seq 1" in result.detail


def test_drive_to_over_an_mcu_link_fails_and_says_why(
    robot: tuple[LinkedRobot, RoverMcuModel],
) -> None:
    linked, _ = robot
    result = linked.drive_to((530.0, 700.0), 0.2, 1.0, 60.0)
    assert not result.arrived and result.event == "not_supported"
    assert "autonomy stack" in result.detail
    assert linked.explore_tube(600.0, None).event == "not_supported"


def test_unsupported_steps_lists_every_autonomy_step_with_its_line() -> None:
    path = assets_dir() / "sequences" / "ilrs2_shoemaker_sampling.yaml"
    sequence, problems = parse_sequence(path.read_text(), str(path))
    assert sequence is not None and not problems
    found = unsupported_steps(sequence)
    keywords = [line.split(": ")[1] for line in found]
    assert keywords.count("drive_to") == 4  # three in the steps, one in a contingency
    assert keywords.count("sample") == 2 and keywords.count("downlink") == 1
    assert all(line.startswith(f"{path}:") for line in found)
    mcu_only, problems = parse_sequence(
        "sequence: s\nrobot: rover_r1\nsteps:\n  - STOP: {}\n  - wait: {for_s: 1}\n", "m.yaml"
    )
    assert mcu_only is not None and not problems
    assert unsupported_steps(mcu_only) == []


def test_a_paced_clock_waits_out_each_step() -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    clock = PacedClock(sleep=sleep)
    started = time.monotonic()
    clock.advance(0.05)
    assert time.monotonic() - started >= 0.05 and clock.now_s >= 0.05
    assert slept and not clock.deterministic
    with pytest.raises(ValueError, match="dt_s must be > 0"):
        clock.advance(0.0)


CHECKOUT = """\
sequence: mcu-checkout
robot: rover_r1
steps:
  - SET_POWER: {rail: CAMERA, "on": true}
  - DRIVE: {left_mps: 0.2, right_mps: 0.2, duration_ms: 500}
  - wait: {for_s: 1}                  # the drive ends on the MCU's clock, not ours
  - if: mode == IDLE and battery_soc_pct > 5
    then:
      - SET_POWER: {rail: CAMERA, "on": false}
    else:
      - safe_mode: {reason: the drive did not end}
"""


@pytest.mark.parametrize("target", ["host-tcp", "mps2-an385-qemu"])
def test_the_same_sequence_runs_on_the_c_firmware(
    target: str, tmp_path: Path, tool_missing: Callable[[str], NoReturn]
) -> None:
    """The reference firmware on the host and on the emulated Cortex-M3 board."""
    try:
        require_firmware_tools(target)
        image = build_firmware(tmp_path / "build", target, TEST_KEYS, robot_id=1)
    except FirmwareUnavailableError as error:
        tool_missing(str(error))
    sequence, problems = parse_sequence(CHECKOUT, "checkout.yaml")
    assert sequence is not None and not problems
    dictionary = default_dictionary()
    keys = load_key_file(TEST_KEYS, dictionary)
    with FirmwareProcess(target, image, TEST_KEYS, tmp_path / "fw.log", robot_id=1) as firmware:
        link = CommandLink(
            firmware.transport, dictionary, keys, key_id=1, robot_id=1, timeout_s=1.0
        )
        robot = LinkedRobot(link, (0.0, 0.0))
        log = SequenceExecutor(sequence, robot, PacedClock()).run()
    assert log.result == "completed", log.reason
    assert [(name, status) for name, _, status in robot.sent if name != "REQUEST_HOUSEKEEPING"] == [
        ("SET_POWER", "EXECUTED"),
        ("DRIVE", "ACCEPTED"),
        ("SET_POWER", "EXECUTED"),
    ]
    drive = log.steps[1]
    assert drive.end_s - drive.start_s >= 0.5
    # As the MCU measured it: the wheels turned, and (with the motors' ramp) not beyond the
    # 0.1 m that 0.2 m/s for 0.5 s would give.
    assert 0.03 < log.odometer_m <= 0.1 + 1e-5  # float32 on the MCU
