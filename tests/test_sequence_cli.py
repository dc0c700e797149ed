"""``ilrs-auto validate`` and ``ilrs-auto sequence run --dry-run``: exit codes, every problem on
its own stderr line, no traceback, the step table and the JSON log."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.assets import assets_dir
from ilrs_auto.cli import main

SEQUENCES = assets_dir() / "sequences"
EXAMPLE = SEQUENCES / "ilrs2_shoemaker_sampling.yaml"
BROKEN = SEQUENCES / "broken_traverse.yaml"

# Runs in simulation without driving (a drive flies the terrain simulator: tested elsewhere).
QUICK = """\
sequence: quick-checkout
contact_windows: [[0, 600]]
steps:
  - at: 0
    SET_POWER: {rail: CAMERA, "on": true}
  - needs_contact: true
    REQUEST_HOUSEKEEPING: {}
  - wait: {until: time_s >= 30, timeout_s: 60}
  - sample: {tool: scoop, depth_cm: 2, container: 1, duration_s: 60}
  - at: 300
    downlink: {duration_s: 120}
"""


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # outside the source tree, through the installed entry point
        [sys.executable, "-c", "from ilrs_auto.cli import entry; entry()", *args],
        cwd=Path(args[-1]).parent if args and Path(args[-1]).is_absolute() else None,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_validate_a_valid_sequence_exits_0_with_a_summary() -> None:
    result = CliRunner().invoke(main, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{EXAMPLE}: valid sequence 'ilrs2-shoemaker-sampling'",
        "  15 steps, 3 contingencies, 3 targets, 2 contact windows",
        "  ends between 4501 s and 4501 s of mission time (best and worst case)",
        "  worst-case energy 192 Wh of 400 Wh usable; state of charge stays above 59 % "
        "(reserve 20 %)",
    ]
    assert result.stderr == ""


def test_validate_lists_every_problem_and_exits_2_without_traceback() -> None:
    result = cli("validate", str(BROKEN))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 14
    assert all(line.startswith(f"{BROKEN}:") for line in lines[:-1])
    assert lines[0] == f"{BROKEN}:15: targets.ejecta_block: warning: no drive_to uses this target"
    assert lines[-2].startswith(f"{BROKEN}:39: contingencies[0].on: unreachable")
    assert lines[-1] == (f"ilrs-auto: error: {BROKEN}: not a valid sequence (12 errors, 1 warning)")
    numbers = [int(line.split(":")[1]) for line in lines[:-1]]
    assert numbers == sorted(numbers)
    assert result.stdout == "" and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, ["{path}: no such file"]),
        ("", ["{path}:1: the sequence file is empty"]),
        (
            "sequence: [\n",
            ["{path}:2: not valid YAML: expected the node content, but found '<stream end>'"],
        ),
    ],
)
def test_validate_unreadable_or_empty_files(
    tmp_path: Path, content: str | None, expected: list[str]
) -> None:
    path = tmp_path / "seq.yaml"
    if content is not None:
        path.write_text(content)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        *(line.format(path=path) for line in expected),
        f"ilrs-auto: error: {path}: not a valid sequence (1 error)",
    ]


def test_warnings_go_to_stderr_and_keep_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "seq.yaml"
    path.write_text("sequence: t\ntargets: {rim: [540, 702]}\nsteps:\n  - NOOP: {}\n")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0
    assert result.stderr == f"{path}:2: targets.rim: warning: no drive_to uses this target\n"
    assert result.stdout.startswith(f"{path}: valid sequence 't'")


def test_sequence_validate_is_the_same_command() -> None:
    result = CliRunner().invoke(main, ["sequence", "validate", str(EXAMPLE)])
    assert result.exit_code == 0 and "valid sequence" in result.stdout


def test_dry_run_prints_the_steps_and_writes_a_json_log(tmp_path: Path) -> None:
    path = tmp_path / "quick.yaml"
    path.write_text(QUICK)
    log_path = tmp_path / "run.json"
    result = CliRunner().invoke(
        main, ["sequence", "run", "--dry-run", str(path), "--log", str(log_path)]
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("dry run of quick-checkout", "SET_POWER rail=CAMERA", "not simulated", "downlink"):
        assert text in out
    assert out.splitlines()[-2].startswith(
        "quick-checkout: completed at t = 420 s, 1.4 m driven, state of charge"
    )
    assert out.splitlines()[-1] == str(log_path)
    log = json.loads(log_path.read_text())
    assert log["result"] == "completed" and log["end_s"] == 420.0
    assert [(s["path"], s["outcome"]) for s in log["steps"]] == [
        ("steps[0]", "done"),
        ("steps[1]", "done"),
        ("steps[2]", "done"),
        ("steps[3]", "done"),  # the sample: a short approach to the site, then the scoop
        ("steps[4]", "not simulated"),
    ]
    assert [s["start_s"] for s in log["steps"]] == [0.0, 1.0, 2.0, 30.0, 300.0]


def test_dry_run_that_ends_in_safe_mode_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "safe.yaml"
    path.write_text("sequence: s\nsteps:\n  - NOOP: {}\n  - safe_mode: {reason: test}\n")
    result = CliRunner().invoke(
        main,
        ["sequence", "run", "--dry-run", "--quiet", str(path), "--log", str(tmp_path / "l.json")],
    )
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        "s: safe_mode (safe_mode at line 4: test) at t = 1 s, 0.0 m driven, state of charge 95 %"
    )


def test_dry_run_refuses_invalid_sequences_and_hardware_runs(tmp_path: Path) -> None:
    log_path = tmp_path / "never.json"
    result = CliRunner().invoke(
        main, ["sequence", "run", "--dry-run", str(BROKEN), "--log", str(log_path)]
    )
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("ilrs-auto: error: ")
    assert not log_path.exists()
    result = CliRunner().invoke(main, ["sequence", "run", str(EXAMPLE)])
    assert result.exit_code == 2
    assert result.stderr == (
        "ilrs-auto: error: sequence run: give --dry-run (simulation) or --port/--tcp (the "
        "robot), not neither\n"
    )
    result = CliRunner().invoke(
        main, ["sequence", "run", "--dry-run", "--tcp", "127.0.0.1:9", str(EXAMPLE)]
    )
    assert result.exit_code == 2 and result.stderr.endswith("not both\n")


def test_an_unwritable_log_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "quick.yaml"
    path.write_text(QUICK)
    result = CliRunner().invoke(
        main, ["sequence", "run", "--dry-run", str(path), "--log", str(tmp_path / "no" / "l.json")]
    )
    assert result.exit_code == 2
    assert (
        result.stderr.startswith("ilrs-auto: error: ") and "cannot write the log" in result.stderr
    )


# ---- on a robot, through its MCU link -------------------------------------------------------

MCU_ONLY = """\
sequence: mcu-checkout
robot: rover_r1
steps:
  - SET_POWER: {rail: CAMERA, "on": true}
  - DRIVE: {left_mps: 0.1, right_mps: 0.1, duration_ms: 300}
  - wait: {for_s: 1}
  - if: mode == IDLE
    then:
      - STOP: {}
    else:
      - safe_mode: {reason: still driving after the drive's time}
  - SET_POWER: {rail: CAMERA, "on": false}
"""
TEST_KEYS = Path(__file__).parent / "firmware_bridge" / "data" / "test_keys.txt"
RUN = ["sequence", "run", "--keys", str(TEST_KEYS), "--key-id", "1"]


def test_a_sequence_runs_on_the_robot_through_its_mcu_link(tmp_path: Path) -> None:
    from firmware_bridge.auth import load_key_file
    from firmware_bridge.dictionary import default_dictionary
    from firmware_bridge.link import RobotEndpoint
    from firmware_bridge.sim_mcu import RoverMcuModel
    from firmware_bridge.testing import TcpEndpointServer

    path = tmp_path / "checkout.yaml"
    path.write_text(MCU_ONLY)
    log_path = tmp_path / "run.json"
    dictionary = default_dictionary()
    model = RoverMcuModel()
    keys = load_key_file(TEST_KEYS, dictionary).only(1, 20)
    with TcpEndpointServer(RobotEndpoint(dictionary, keys, 1, model)) as server:
        result = CliRunner().invoke(
            main,
            [*RUN, str(path), "--tcp", f"127.0.0.1:{server.port}", "--log", str(log_path)],
        )
    assert result.exit_code == 0, result.output
    executed = [name for name, _ in model.executed if name != "REQUEST_HOUSEKEEPING"]
    assert executed == ["SET_POWER", "DRIVE", "STOP", "SET_POWER"]  # mode was IDLE again
    log = json.loads(log_path.read_text())
    assert log["result"] == "completed"
    steps = {s["line"]: s for s in log["steps"]}
    assert "ACCEPTED by the robot" in steps[5]["detail"]
    assert steps[5]["end_s"] - steps[5]["start_s"] >= 0.3  # the drive's time really passed
    assert steps[6]["end_s"] - steps[6]["start_s"] >= 1.0


def test_a_sequence_needing_the_autonomy_stack_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    log_path = tmp_path / "never.json"
    result = CliRunner().invoke(
        main,
        [*RUN, str(EXAMPLE), "--tcp", "127.0.0.1:9", "--log", str(log_path)],
    )
    assert result.exit_code == 2 and not log_path.exists()
    lines = result.stderr.splitlines()
    assert any(
        line.startswith(f"{EXAMPLE}:") and ": drive_to: needs the autonomy" in line
        for line in lines
    )
    assert lines[-1].startswith("ilrs-auto: error: ") and "cannot run over an MCU link" in lines[-1]


def test_an_unreachable_robot_is_one_line_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "checkout.yaml"
    path.write_text(MCU_ONLY)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(
        main,
        [*RUN, str(path), "--tcp", f"127.0.0.1:{port}"],
    )
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("ilrs-auto: error: ")
