"""``ilrs-auto run`` of the shipped lava-tube scenario, end to end in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ilrs_auto.assets import assets_dir

SCENARIO = assets_dir() / "scenarios" / "ilrs2_lava_tube.yaml"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ilrs_auto.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_shipped_scenario_runs_end_to_end_and_writes_its_report(tmp_path: Path) -> None:
    result = _run(["run", str(SCENARIO), "--out", "report"], tmp_path)
    assert result.returncode == 0, result.stderr
    shown = result.stdout + result.stderr  # the console may write to either
    assert "DONE" in shown and "longest link gap" in shown
    data = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert data["final_state"] == "done"
    assert data["max_link_gap_s"] <= data["link_gap_limit_s"]
    assert data["relays_dropped"] >= 2
    assert data["battery_end_wh"] >= data["reserve_wh"]
    assert data["coverage"] >= 0.9
    png = (tmp_path / "report" / "lava_tube.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / "report").iterdir()) == [
        "lava_tube.png",
        "summary.json",
    ]


def test_a_bad_key_is_one_line_with_file_and_line_and_exit_2(tmp_path: Path) -> None:
    text = SCENARIO.read_text().replace("  relays: 6\n", "  relais: 6\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    line = text.splitlines().index("  relais: 6") + 1
    result = _run(["run", str(bad), "--out", "report"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"bad.yaml:{line}: radio.relais: unknown key" in lines[0]
    assert not (tmp_path / "report").exists()


def test_a_failed_mission_exits_1_and_still_reports(tmp_path: Path) -> None:
    text = SCENARIO.read_text().replace("  tether_length_m: 40\n", "  tether_length_m: 10\n")
    (tmp_path / "short.yaml").write_text(text)
    result = _run(["run", "short.yaml", "--out", "report"], tmp_path)
    assert result.returncode == 1, result.stderr
    data = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert data["final_state"] == "safe" and data["fault"]["event"] == "tether_limit"


SEQUENCE = assets_dir() / "sequences" / "ilrs2_lava_tube.yaml"


def test_shipped_tube_sequence_validates_and_dry_runs_to_completion(tmp_path: Path) -> None:
    from ilrs_auto.mission.sequence_validator import validate_file
    from ilrs_auto.sim.sequence_robot import dry_run

    report = validate_file(SEQUENCE)
    assert report.sequence is not None
    assert [p for p in report.problems if p.severity == "error"] == []
    log = dry_run(report.sequence)
    assert log.result == "completed"
    assert log.outcomes()[0] == ("steps[0]", "done")
    assert log.transitions[-1]["event"] == "surfaced"
    result = _run(["run", "--dry-run", str(SEQUENCE)], tmp_path)
    assert result.returncode == 0, result.stderr


def test_broken_tube_sequences_give_file_line_messages(tmp_path: Path) -> None:
    from ilrs_auto.mission.sequence_validator import validate_file

    text = SEQUENCE.read_text()
    scenario = assets_dir() / "scenarios" / "ilrs2_lava_tube.yaml"
    text = text.replace("../scenarios/ilrs2_lava_tube.yaml", str(scenario))
    cases = {
        "time_limit_s: 3600": ("time_limit_s: 10", "steps[0].explore_tube.time_limit_s"),
        "link_gap_limit_s: 30": ("link_gap_limt_s: 30", "unknown argument of explore_tube"),
        "on: tether_limit": ("on: tether_limt", "contingencies[0].on"),
    }
    for old, (new, message) in cases.items():
        broken = tmp_path / "broken.yaml"
        broken.write_text(text.replace(old, new))
        line = text.splitlines().index(next(x for x in text.splitlines() if old in x)) + 1
        report = validate_file(broken)
        errors = [str(p) for p in report.problems if p.severity == "error"]
        assert any(e.startswith(f"{broken}:{line}: ") and message in e for e in errors), errors
