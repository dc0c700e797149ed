"""``ilrs-auto light``: the lit map and the contact timeline on the shipped tile; bad input ends
in one line and exit status 2, with nothing written."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.cli import entry, main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def light_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("light") / "out"
    result = CliRunner().invoke(
        main,
        ["light", "--days", "3", "--step-min", "60", "--out", str(out), "--quiet"],
    )
    assert result.exit_code == 0, result.output
    return result.output, out


def test_writes_the_lit_map_and_the_contact_timeline(light_run: tuple[str, Path]) -> None:
    output, out = light_run
    assert output.strip() == str(out)
    for name in ("lit_map.png", "contact_timeline.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 20_000
    with (out / "contact_timeline.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 3 * 24 + 1
    assert rows[0]["time_utc"] == "2024-08-12T00:00:00Z"
    assert rows[-1]["time_utc"] == "2024-08-15T00:00:00Z"
    for row in rows:
        contact = float(row["earth_elevation_deg"]) > float(row["earth_horizon_deg"])
        assert row["contact"] == str(int(contact))
        assert 0.0 <= float(row["sun_lit_fraction"]) <= 1.0
    # The default site is the lander of the default scenario, in sunlight on 2024-08-12..15
    # (the Sun 1.2..1.6 deg up, the table shipped with the tile) and out of contact (Earth
    # below -2 deg).
    assert all(float(r["sun_lit_fraction"]) > 0.9 for r in rows)
    assert all(r["contact"] == "0" for r in rows)
    with (out / "contact_windows.csv").open() as f:
        assert next(csv.reader(f)) == [
            "start_utc",
            "end_utc",
            "duration_h",
            "open_start",
            "open_end",
        ]


def test_other_site_and_time(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "light",
            "--time",
            "2024-08-29 12:00",
            "--site",
            "1000,600",
            "--start",
            "2024-08-28",
            "--days",
            "1",
            "--step-min",
            "120",
            "--no-far",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "(1000, 600) m" in result.output  # the summary table goes to stderr, mixed in here
    with (tmp_path / "contact_timeline.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 13
    # On 2024-08-29 Earth stands ~8 deg up: the floor of the small crater east still sees it.
    assert all(r["contact"] == "1" for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time", "noon"], "time 'noon': expected UTC as YYYY-MM-DD"),
        (["--time", "2051-01-01"], "must lie in 1900-01-02 .. 2049-12-31"),
        (["--start", "2049-12-30", "--days", "5"], "must lie in 1900-01-02 .. 2049-12-31"),
        (["--days", "3000", "--step-min", "1"], "makes 4320001 samples, more than 200000"),
        (["--site", "1,2,3"], "--site: expected X,Y in metres, got '1,2,3'"),
        (["--site", "5000,10"], "--site: (5000, 10) is outside the DEM (0..1280 x 0..1280 m)"),
        (["--dem", "/nonexistent/tile.tif"], "no such file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["light", *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "ilrs-auto light: Invalid value for '--days'"),
        (["--step-min", "x"], "ilrs-auto light: Invalid value for '--step-min'"),
        (["--out", "{file}"], "Invalid value for '--out': Directory"),
    ],
)
def test_click_usage_errors_are_one_line_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(SystemExit) as exit_info:
        entry(["light", *(a.format(file=a_file) for a in args)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("ilrs-auto: error: ") and message in err
    assert len(err.strip().splitlines()) == 1
