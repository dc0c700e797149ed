"""``ilrs-auto traverse``: a route picture on the shipped tile; bad points exit 2 in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.cli import main


def test_plans_and_draws_a_route(tmp_path: Path) -> None:
    out = tmp_path / "route.png"
    result = CliRunner().invoke(
        main, ["traverse", "--from", "300,640", "--to", "1050,560", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert " Wh, steepest " in result.output
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_bad_points_are_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for args, message in (
        (["--from", "1x", "--to", "1,1"], "--from: expected X,Y in metres, got '1x'"),
        (["--from", "1,1", "--to", "9000,1"], "--to: (9000, 1) is outside the DEM"),
        (["--from", "1,1", "--to", "1,1", "--dem", str(tmp_path / "none.tif")], "no such file"),
        (["--from", "1,1", "--to", "9,9", "--out", str(tmp_path / "r.txt")], "write a .png"),
        (["--from", "1,1", "--to", "9,9", "--out", "/proc/no/r.png"], "--out: /proc/no/r.png"),
    ):
        cwd = tmp_path / "cwd"
        cwd.mkdir(exist_ok=True)
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(main, ["traverse", *args])
        assert result.exit_code == 2
        assert message in result.output and len(result.output.strip().splitlines()) == 1
        assert list(cwd.iterdir()) == []  # nothing written on bad input
