"""Reports are written all or nothing, the mission log with them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ilrs_auto import report
from ilrs_auto.sim.runner import MissionRecord, run_mission
from ilrs_auto.sim.scenario import parse_scenario

SCENARIO = "name: tiny\nmission:\n  start_xy_m: [520, 700]\n  goal_xy_m: [530, 700]\n"


@pytest.fixture(scope="module")
def record() -> MissionRecord:
    return run_mission(parse_scenario(SCENARIO, "tiny.yaml"))


def test_report_has_picture_and_summary(tmp_path: Path, record: MissionRecord) -> None:
    out = report.write_report(record, tmp_path / "r")
    summary = json.loads((out / report.SUMMARY_NAME).read_text())
    assert summary["final_state"] == "arrived" and summary["scenario"] == "tiny"
    assert (out / report.MAP_NAME).read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_failed_write_leaves_the_previous_report_whole(
    tmp_path: Path, record: MissionRecord, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = report.write_report(record, tmp_path / "r")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(report, "draw_traverse", fail)
    with pytest.raises(OSError, match="disk full"):
        report.write_report(record, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no staging folder left


def test_the_mission_log_is_copied_into_the_report(tmp_path: Path) -> None:
    from ilrs_auto.mission.recorder import read_log

    log = tmp_path / "flying.mcap"
    record = run_mission(parse_scenario(SCENARIO, "tiny.yaml"), log_path=log)
    out = report.write_report(record, tmp_path / "r")
    assert (out / report.LOG_NAME).read_bytes() == log.read_bytes()
    assert read_log(out / report.LOG_NAME).complete
    summary = json.loads((out / report.SUMMARY_NAME).read_text())
    assert summary["mission_log"] == report.LOG_NAME
    assert summary["wheel_odometry_m"] > summary["distance_m"]  # wheels slip a little


def test_a_report_without_a_log_says_so(tmp_path: Path, record: MissionRecord) -> None:
    out = report.write_report(record, tmp_path / "r")
    assert not (out / report.LOG_NAME).exists()
    assert json.loads((out / report.SUMMARY_NAME).read_text())["mission_log"] is None


def test_a_failed_write_with_a_log_leaves_no_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = run_mission(parse_scenario(SCENARIO, "tiny.yaml"), log_path=tmp_path / "l.mcap")

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(report, "draw_traverse", fail)
    with pytest.raises(OSError, match="disk full"):
        report.write_report(record, tmp_path / "r")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["l.mcap"]  # no report, no staging
