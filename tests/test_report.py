"""Reports are written all or nothing."""

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
