"""The command line: the default mission end to end, and bad input ending in one line, exit
status 2, no traceback and no report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from click.testing import CliRunner

from ilrs_auto.assets import assets_dir
from ilrs_auto.cli import main


@pytest.fixture(scope="module")
def default_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    cwd = tmp_path_factory.mktemp("default")
    result = subprocess.run(
        [sys.executable, "-m", "ilrs_auto.cli", "run"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return result, cwd / "ilrs-report-shoemaker-rim-traverse"


def test_default_mission_arrives_after_replanning_around_rocks(
    default_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, report = default_run
    assert result.returncode == 0, result.stderr
    summary = json.loads((report / "summary.json").read_text())
    assert summary["final_state"] == "arrived"
    assert summary["replans_caused_by_rocks"] >= 1
    assert all(not c["lethal_in_orbital_map"] for c in summary["replan_causes"])
    assert summary["distance_m"] >= summary["straight_line_m"]
    events = [t["event"] for t in summary["timeline"]]
    assert events[0] == "start" and events[-1] == "goal_reached" and "path_blocked" in events
    png = (report / "traverse.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 50_000
    assert str(report.name) in result.stdout
    assert f"{report.name}/mission.mcap" in result.stderr  # the summary table prints the log
    assert sorted(p.name for p in report.parent.iterdir()) == [report.name]  # no temporary left


def test_the_default_mission_log_replays_to_a_match(
    default_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    result, report = default_run
    assert result.returncode == 0, result.stderr
    replayed = subprocess.run(
        [sys.executable, "-m", "ilrs_auto.cli", "replay", str(report / "mission.mcap")],
        cwd=report.parent,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert ": match (" in replayed.stdout
    summary = json.loads((report / "summary.json").read_text())
    assert f"match ({len(summary['timeline'])} transitions" in replayed.stdout


def test_the_same_seed_writes_the_same_report_byte_for_byte(tmp_path: Path) -> None:
    scenario = write(tmp_path, GOOD)
    for out in ("a", "b"):
        result = CliRunner().invoke(
            main, ["run", str(scenario), "--out", str(tmp_path / out), "--quiet", "--seed", "4"]
        )
        assert result.exit_code == 0, result.output
    names = ["mission.mcap", "summary.json", "traverse.png"]
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == names
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "scenario.yaml"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


GOOD = "name: t\nmission:\n  start_xy_m: [520, 700]\n  goal_xy_m: [540, 700]\n"
BAD_INPUTS = {
    "missing file": (None, r"nothing\.yaml: no such scenario file"),
    "unknown key": (
        GOOD + "rover:\n  colour: red\n",
        r"scenario\.yaml:6: rover\.colour: unknown key",
    ),
    "goal outside": (
        GOOD.replace("[540, 700]", "[540, 9000]"),
        r"scenario\.yaml:4: mission\.goal_xy_m: \(540, 9000\) is outside the map",
    ),
    "goal on hazard": (
        GOOD.replace("[540, 700]", "[982.5, 462.5]"),
        r"scenario\.yaml:4: mission\.goal_xy_m: the goal .* is on a hazard",
    ),
    "start on obstacle": (
        GOOD.replace("[520, 700]", "[982.5, 462.5]"),
        r"scenario\.yaml:3: mission\.start_xy_m: the start .* is on a hazard",
    ),
    "missing dem": (
        "terrain:\n  dem: gone.tif\n" + GOOD,
        r"scenario\.yaml:2: terrain\.dem: no such file",
    ),
    "corrupt dem": (
        "terrain:\n  dem: corrupt.tif\n" + GOOD,
        r"scenario\.yaml:2: terrain\.dem: .*corrupt\.tif: ",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_report(tmp_path: Path, case: str) -> None:
    text, message = BAD_INPUTS[case]
    scenario = tmp_path / "nothing.yaml" if text is None else write(tmp_path, text)
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes((assets_dir() / "terrain" / "shoemaker_5mpp.tif").read_bytes()[:300])
    out = tmp_path / "report"
    result = subprocess.run(  # from tmp_path: `python -m` must not find the source tree
        [sys.executable, "-m", "ilrs_auto.cli", "run", str(scenario), "--out", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ilrs-auto: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []


def test_an_out_folder_that_is_not_a_report_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    result = CliRunner().invoke(main, ["run", str(write(tmp_path, GOOD)), "--out", str(out)])
    assert result.exit_code == 2
    assert "precious: exists and is not an ilrs_auto report folder" in result.output
    assert (out / "thesis.tex").read_text() == "years of work"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--seed", "-4"], "ilrs-auto run: Invalid value for '--seed': -4 is not in"),
        (["run", "--seed", "abc"], "ilrs-auto run: Invalid value for '--seed': 'abc' is not"),
        (["run", "."], "ilrs-auto run: Invalid value for '[SCENARIO]': File '.' is a directory"),
        (["fly"], "ilrs-auto: No such command 'fly'"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ilrs_auto.cli", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"ilrs-auto: error: {message}"), result.stderr
    assert "Traceback" not in result.stderr


def test_help_and_version_still_exit_0(tmp_path: Path) -> None:
    for flag in ("--help", "--version"):
        result = subprocess.run(
            [sys.executable, "-m", "ilrs_auto.cli", flag],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0 and result.stdout


def test_a_mission_that_does_not_arrive_exits_1_with_its_report(tmp_path: Path) -> None:
    scenario = write(tmp_path, GOOD.replace("[540, 700]", "[600, 700]") + "  time_limit_s: 20\n")
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out), "--quiet"])
    assert result.exit_code == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["final_state"] == "safe"
    assert summary["fault"]["event"] == "mission_timeout"
    assert (out / "mission.mcap").is_file()  # a failed mission's log is kept for replay


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0 and "ilrs-auto, version" in result.output


def test_entry_point_is_installed(tool_missing: Callable[[str], NoReturn]) -> None:
    exe = shutil.which("ilrs-auto")
    if exe is None:
        tool_missing("the ilrs-auto script is not on PATH (package not installed)")
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "run" in result.stdout


def test_an_unwritable_out_folder_is_refused_before_flying(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(
        main, ["run", str(write(tmp_path, GOOD)), "--out", str(blocker / "report")]
    )
    assert result.exit_code == 2
    assert "cannot write a report folder" in result.output
    assert "ARRIVED" not in result.output  # refused before the mission flew
