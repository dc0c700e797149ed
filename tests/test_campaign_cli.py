"""``ilrs-auto campaign``: a small campaign locally and through a real Dask cluster on
127.0.0.1 gives the same table; bad arguments exit 2 in one line and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.cli import entry, main

SHORT = """
name: short-campaign
seed: 11
rocks:
  cumulative_fractional_area: 0.06
  field_margin_m: 10
mission:
  start_xy_m: [520, 700]
  goal_xy_m: [550, 704]
  time_limit_s: 1200
"""
VARY = ["--vary", "rocks.cumulative_fractional_area=0.02:0.1"]


def _campaign(tmp_path: Path, out: str, *args: str) -> dict[str, object]:
    scenario = tmp_path / "short.yaml"
    scenario.write_text(SHORT)
    result = CliRunner().invoke(
        main, ["campaign", str(scenario), "--runs", "4", *VARY, "--out", str(tmp_path / out), *args]
    )
    assert result.exit_code == 0, result.output
    assert "4 runs, " in result.output
    document: dict[str, object] = json.loads((tmp_path / out / "campaign.json").read_text())
    return document


def test_a_campaign_on_a_local_dask_cluster_matches_the_local_one(tmp_path: Path) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="the 'distributed' package (Dask) is not installed"
    )
    local = _campaign(tmp_path, "local", "--workers", "2")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        on_dask = _campaign(tmp_path, "dask", "--scheduler", address)
        # every run went to one of the cluster's workers
        assert len(client.scheduler_info()["workers"]) == 2
    assert on_dask["executor"] == f"dask scheduler {address}"
    assert on_dask["rows"] == local["rows"] and len(local["rows"]) == 4  # type: ignore[arg-type]
    assert (tmp_path / "dask" / "runs.csv").read_text() == (
        tmp_path / "local" / "runs.csv"
    ).read_text()


def test_bad_arguments_are_one_line_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "short.yaml"
    scenario.write_text(SHORT)
    (tmp_path / "a_file").write_text("")
    (tmp_path / "a_folder").mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    s = str(scenario)
    for args, message in (
        ([s, "--runs", "0"], "--runs"),
        ([s, "--runs", "2", "--workers", "0"], "--workers"),
        ([s, "--runs", "2", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "give one"),
        ([s, "--runs", "2", "--scheduler", "127.0.0.1"], "expected tcp://HOST:PORT"),
        ([s, "--runs", "2", "--vary", "rocks.size=1:2"], "rocks has no key 'size'"),
        ([s, "--runs", "2", *VARY, *VARY], "given twice"),
        ([str(tmp_path / "none.yaml"), "--runs", "2"], "none.yaml"),
        ([s, "--runs", "2", "--out", str(tmp_path / "a_file")], "is a file"),
        ([s, "--runs", "2", "--out", str(tmp_path / "a_folder")], "not a campaign folder"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            entry(["campaign", *args])
        assert exit_info.value.code == 2, args
        err = capsys.readouterr().err
        assert err.startswith("ilrs-auto: error: ") and message in err, (args, err)
        assert len(err.strip().splitlines()) == 1, err
        assert list(cwd.iterdir()) == []
