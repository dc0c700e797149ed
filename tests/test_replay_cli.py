"""``ilrs-auto replay``: match (0), first divergence (1), bad file (2), one line each."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.cli import main
from ilrs_auto.mission.recorder import McapRecorder, read_log
from ilrs_auto.sim.patrol import Patrol, PatrolConfig


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("replay_cli")
    path = folder / "patrol.mcap"
    patrol = Patrol(PatrolConfig(), log_path=path, checkpoint_path=folder / "ckpt")
    try:
        patrol.run()
    finally:
        patrol.close()
    return path


def test_a_recorded_run_matches(recorded: Path) -> None:
    result = CliRunner().invoke(main, ["replay", str(recorded)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        f"{recorded}: match (18 transitions, 19 commands, 8 supervisor events)\n"
    )


def test_a_divergence_exits_1_naming_the_first_difference(recorded: Path, tmp_path: Path) -> None:
    log = read_log(recorded)
    tampered = tmp_path / "tampered.mcap"
    recorder = McapRecorder(tampered)
    transitions = [m.payload for m in log.messages if m.topic == "/mission/transitions"]
    index = next(i for i, t in enumerate(transitions) if t["event"] == "goal_reached")
    when = float(transitions[index]["time_s"])
    for message in log.messages:
        payload = dict(message.payload)
        if message.topic == "/mission/transitions" and payload["event"] == "goal_reached":
            payload["dest"] = "safe"
        recorder.write(message.topic, float(payload["time_s"]), payload)
    recorder.close()
    result = CliRunner().invoke(main, ["replay", str(tampered)])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"{tampered}: DIVERGED: transition {index} differs: recorded t={when:.1f} s leg0: "
        f"goal_reached traverse_driving -> safe {{}}; replayed t={when:.1f} s leg0: goal_reached "
        "traverse_driving -> arrived {}"
    )


def test_a_bad_file_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "notes.mcap"
    bad.write_text("these are not the logs you are looking for")
    result = CliRunner().invoke(main, ["replay", str(bad)])
    assert result.exit_code == 2
    assert result.output.startswith(f"ilrs-auto: error: {bad}: not a readable MCAP file")
    assert result.output.count("\n") == 1
    missing = CliRunner().invoke(main, ["replay", str(tmp_path / "none.mcap")])
    assert missing.exit_code == 2 and "cannot read the log" in missing.output
