"""``ilrs-auto bridge`` against the reference endpoint on 127.0.0.1: commands, live telemetry,
and one-line errors with exit status 2 for bad input."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from firmware_bridge.auth import load_key_file
from firmware_bridge.dictionary import default_dictionary
from firmware_bridge.link import RobotEndpoint
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.testing import TcpEndpointServer
from ilrs_auto.cli import main

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"


class Board:
    def __init__(self) -> None:
        d = default_dictionary()
        self.model = RoverMcuModel()
        keys = load_key_file(TEST_KEYS, d).only(1, 20)
        self.server = TcpEndpointServer(RobotEndpoint(d, keys, 1, self.model))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"


@pytest.fixture
def board() -> Iterator[Board]:
    made = Board()
    with made.server:
        yield made


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["bridge", *args])
    return result.exit_code, result.stdout, result.stderr


def test_sends_a_command_and_reports_the_ack(board: Board) -> None:
    code, out, err = run(
        "--tcp",
        board.address,
        "--keys",
        str(TEST_KEYS),
        "--key-id",
        "1",
        "--robot",
        "rover_r1",
        "DRIVE",
        "left_mps=0.2",
        "right_mps=0.2",
        "duration_ms=3000",
    )
    assert (code, err) == (0, "")
    assert out.startswith("DRIVE seq 1: ACCEPTED (1 transmission, ")
    assert board.model.executed[0][0] == "DRIVE"
    # A second invocation starts again at seq 1; the robot's repeated ack resyncs it.
    code, out, _ = run(
        "--tcp", board.address, "--keys", str(TEST_KEYS), "--key-id", "1", "--robot", "1", "STOP"
    )
    assert code == 0 and out.startswith("STOP seq 2: EXECUTED")
    assert [name for name, _ in board.model.executed] == ["DRIVE", "STOP"]


def test_watch_shows_live_housekeeping(board: Board) -> None:
    code, out, err = run(
        "--tcp",
        board.address,
        "--keys",
        str(TEST_KEYS),
        "--key-id",
        "1",
        "--robot",
        "rover_r1",
        "SET_HK_PERIOD",
        "period_ms=100",
        "--watch",
        "0.5",
    )
    assert code == 0, err
    assert "SET_HK_PERIOD seq 1: EXECUTED" in out
    assert "rover_mcu housekeeping" in out
    assert "battery_v" in out and "22 / 24 .. 33 / 34" in out
    assert "hk_period_ms" in out and "100 ms" in out


def test_a_command_the_robot_rejects_exits_1(board: Board) -> None:
    code, _, err = run(
        "--tcp",
        board.address,
        "--keys",
        str(TEST_KEYS),
        "--key-id",
        "2",
        "--robot",
        "rover_r1",
        "NOOP",
    )
    assert code == 1
    assert err.strip() == "ilrs-auto bridge: NOOP seq 1 rejected: UNKNOWN_KEY (detail 0)"
    assert board.model.executed == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["DRIVE", "left_mps=0.9", "right_mps=0", "duration_ms=1"],
            "DRIVE: left_mps: 0.9 is out of range [-0.5, 0.5] m/s",
        ),
        (["DRIVE", "left_mps=0.1", "right_mps=0"], "DRIVE: duration_ms: missing"),
        (["DRIVE", "left_mps", "right_mps=0"], "DRIVE: 'left_mps': arguments are NAME=VALUE"),
        (["SET_POWER", "rail=LASER", "on=1"], "SET_POWER: rail: 'LASER' is not one of {PAYLOAD=0"),
        (["NOOP", "x=1"], "NOOP: x: unexpected argument"),
        (["FLY"], "unknown command 'FLY'"),
        (["--robot", "rover_r9", "NOOP"], "--robot: unknown robot 'rover_r9'"),
        (
            ["--key-id", "20", "DRIVE", "left_mps=0", "right_mps=0", "duration_ms=1"],
            "DRIVE: key 20 (SUPARCO) may not send it to robot rover_r1",
        ),
        (["--key-id", "30", "NOOP"], "NOOP: key 30 (NARIT) may not send it to robot rover_r1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(board: Board, args: list[str], message: str) -> None:
    base = ["--tcp", board.address, "--keys", str(TEST_KEYS)]
    base += [] if "--robot" in args else ["--robot", "rover_r1"]
    base += [] if "--key-id" in args else ["--key-id", "1"]
    code, out, err = run(*base, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ilrs-auto bridge: error: ")
    assert message in lines[0]
    assert board.model.executed == []


def test_setup_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    keys = tmp_path / "k.txt"
    keys.write_text("1 " + "00" * 32 + "\n", encoding="ascii")
    keys.chmod(0o600)
    cases = [
        (["--keys", str(keys), "--watch", "1"], "give exactly one of --port DEVICE or --tcp"),
        (
            ["--tcp", "127.0.0.1:1", "--port", "/dev/null", "--keys", str(keys), "NOOP"],
            "give exactly one",
        ),
        (["--tcp", "127.0.0.1:1", "--keys", str(keys)], "nothing to do"),
        (
            ["--tcp", "127.0.0.1:1", "--keys", str(keys), "NOOP"],
            "give --robot NAME (one of rover_r1",
        ),
        (["--tcp", "127.0.0.1:1", "--robot", "1", "NOOP"], "give --keys FILE"),
        (
            ["--tcp", "127.0.0.1:1", "--robot", "1", "--keys", str(tmp_path / "none"), "NOOP"],
            "cannot read",
        ),
        (
            ["--tcp", "127.0.0.1:1", "--robot", "1", "--keys", str(keys), "--key-id", "2", "NOOP"],
            "--key-id 2: not in",
        ),
        (
            ["--tcp", "127.0.0.1:1", "--robot", "1", "--keys", str(TEST_KEYS), "NOOP"],
            "choose one with --key-id",
        ),
        (
            ["--tcp", "nowhere", "--robot", "1", "--keys", str(keys), "NOOP"],
            "tcp transport needs HOST:PORT",
        ),
        (
            ["--port", str(tmp_path / "tty0"), "--robot", "1", "--keys", str(keys), "NOOP"],
            "cannot open",
        ),
        (
            [
                "--tcp",
                "127.0.0.1:1",
                "--robot",
                "1",
                "--keys",
                str(keys),
                "--dictionary",
                str(keys),
                "NOOP",
            ],
            "k.txt",
        ),
    ]
    for args, message in cases:
        code, out, err = run(*args)
        assert code == 2, (args, out, err)
        assert len(err.strip().splitlines()) == 1, err
        assert message in err, (args, err)
        assert "Traceback" not in err


def test_connection_refused_is_one_line() -> None:
    # A port nobody listens on: bind one, close it, use it.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, _, err = run(
        "--tcp",
        f"127.0.0.1:{port}",
        "--robot",
        "1",
        "--keys",
        str(TEST_KEYS),
        "--key-id",
        "1",
        "NOOP",
    )
    assert code == 2
    assert err.startswith(f"ilrs-auto bridge: error: tcp:127.0.0.1:{port}: cannot connect")


def test_the_installed_command_runs_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(  # from tmp_path: `python -m` must not find the source tree
        [sys.executable, "-m", "ilrs_auto.cli", "bridge", "--tcp", "x:1", "FLY"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "ilrs-auto bridge: error: give --robot NAME (one of rover_r1, rover_r2, tube_scout_t1)\n"
    )
    assert "Traceback" not in result.stderr
