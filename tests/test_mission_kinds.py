"""``ilrs-auto run`` picks the mission from the file: a sequence is dry-run, a scenario's
``kind`` chooses its runner, and a wrong combination is one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.assets import assets_dir
from ilrs_auto.cli import main
from ilrs_auto.errors import InputError
from ilrs_auto.mission_kinds import SCENARIO_RUNNERS, kind_of
from ilrs_auto.sim.scenario import parse_scenario

SEQUENCE = assets_dir() / "sequences" / "ilrs2_shoemaker_sampling.yaml"
TRAVERSE = assets_dir() / "scenarios" / "shoemaker_traverse.yaml"


def test_kind_of_reads_the_file(tmp_path: Path) -> None:
    assert kind_of(SEQUENCE) == "sequence"
    assert kind_of(TRAVERSE) == "traverse"
    toml = tmp_path / "s.toml"
    toml.write_text('sequence = "x"\n')
    assert kind_of(toml) == "sequence"
    for kind in SCENARIO_RUNNERS:
        path = tmp_path / f"{kind}.yaml"
        path.write_text(f"name: x\nkind: {kind}\n")
        assert kind_of(path) == kind


def test_an_unknown_kind_names_its_line_and_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("name: x\n\nkind: rover_dance\n")
    with pytest.raises(InputError, match=r"k\.yaml:3: kind: unknown mission kind 'rover_dance' "):
        kind_of(path)
    with pytest.raises(InputError, match="no such scenario file"):
        kind_of(tmp_path / "missing.yaml")


def test_a_traverse_scenario_may_say_its_kind_but_not_another() -> None:
    base = "mission:\n  start_xy_m: [520, 700]\n  goal_xy_m: [540, 700]\n"
    assert parse_scenario("kind: traverse\n" + base).kind == "traverse"
    with pytest.raises(InputError, match=r"<memory>:1: kind: a 'sampling' scenario is not a"):
        parse_scenario("kind: sampling\n" + base)


def test_run_dry_runs_a_sequence_into_the_out_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--dry-run", str(SEQUENCE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    log = json.loads((out / "dryrun.json").read_text())
    assert log["sequence"] == "ilrs2-shoemaker-sampling" and log["result"] == "completed"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", str(SEQUENCE)], "is a mission sequence: run it with --dry-run"),
        (["run", "--dry-run", str(TRAVERSE)], "--dry-run runs mission sequences"),
    ],
)
def test_a_sequence_without_dry_run_or_a_scenario_with_it_is_refused(
    args: list[str], message: str
) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
