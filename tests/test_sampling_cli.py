"""``ilrs-auto run`` of the sampling scenario through the installed entry point: the report
folder with the chain of custody, the table, and one-line errors with FILE:LINE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ilrs_auto.assets import assets_dir

SCENARIO = assets_dir() / "scenarios" / "ilrs2_sampling.yaml"


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from ilrs_auto.cli import entry; entry()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_run_flies_the_sampling_scenario_and_writes_a_report(tmp_path: Path) -> None:
    result = cli(tmp_path, "run", str(SCENARIO), "--out", "report")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "report"
    assert "DONE" in result.stderr and "container 1" in result.stderr
    folder = tmp_path / "report"
    assert sorted(p.name for p in folder.iterdir()) == [
        "sampling.png",
        "summary.json",
        "timeline.json",
    ]
    assert (folder / "sampling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["final_state"] == "done" and summary["sample_cached"] is True
    (entry,) = summary["chain_of_custody"]
    assert entry["sequence"] == 1 and entry["tool"] == "drill" and entry["depth_cm"] == 30.0
    assert (
        entry["container_id"] == 1
        and [entry["site_x_m"], entry["site_y_m"]] == (summary["site"]["xy_m"])
    )
    timeline = json.loads((folder / "timeline.json").read_text())
    assert timeline == summary["timeline"]
    behaviours = [row["behaviour"] for row in timeline]
    assert behaviours[0] == "rover_traverse" and behaviours[-1] == "sample_collection"
    assert [row["event"] for row in timeline][-1] == "cached"
    assert entry["cached_s"] == timeline[-1]["time_s"] == summary["mission_time_s"]


def test_a_bad_sampling_key_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(SCENARIO.read_text().replace("  reach_m: 1.5", "  reach: 1.5"))
    result = cli(tmp_path, "run", str(bad))
    assert result.returncode == 2
    assert result.stderr.startswith(f"ilrs-auto: error: {bad}:48: sampling.reach: unknown key")
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == [bad]  # no report written
