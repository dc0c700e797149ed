"""Campaigns on local worker processes: one row per run, the same table every time, a run that
raises recorded as an error row, and the results folder written whole."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ilrs_auto.errors import InputError
from ilrs_auto.sim.campaign import (
    CAMPAIGN_NAME,
    CSV_NAME,
    PLOT_NAME,
    Campaign,
    LocalExecutor,
    parse_varied,
    run_campaign,
    to_csv,
    write_campaign,
)
from ilrs_auto.sim.scenario import parse_scenario

# A 30 m drive west of the crater (about a second of simulation per run).
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


def short_campaign(runs: int = 4) -> Campaign:
    varied = (parse_varied("rocks.cumulative_fractional_area=0.02:0.1"),)
    return Campaign(parse_scenario(SHORT, "short.yaml"), runs, base_seed=11, varied=varied)


def test_runs_vary_seed_and_parameters_reproducibly() -> None:
    specs = short_campaign(6).specs()
    assert [s.index for s in specs] == list(range(6))
    assert [s.seed for s in specs] == [s.scenario.seed for s in specs] == list(range(11, 17))
    values = [s.params["rocks.cumulative_fractional_area"] for s in specs]
    assert all(0.02 <= v <= 0.1 for v in values) and len(set(values)) == 6
    assert [s.scenario.rocks.cumulative_fractional_area for s in specs] == values
    assert short_campaign(6).specs() == specs
    # a run's inputs depend on its index only, not on how many runs there are
    assert short_campaign(3).specs() == specs[:3]


def test_local_campaign_gives_the_same_table_twice_and_records_a_failed_run(
    tmp_path: Path,
) -> None:
    campaign = short_campaign(4)
    first = run_campaign(campaign, LocalExecutor(2))
    second = run_campaign(campaign, LocalExecutor(2))
    assert [r.index for r in first.rows] == [0, 1, 2, 3]
    assert first.rows == second.rows
    assert to_csv(first) == to_csv(second)
    for row in first.rows:
        assert row.error == "" and row.final_state in ("arrived", "safe", "fault")
        assert row.distance_m > 20 and row.mission_time_s > 0
        # the loads' energy: at least idle + camera over the whole mission, in Wh
        assert row.energy_wh >= 25.0 * row.mission_time_s / 3600
        assert 0.8 <= row.final_soc <= 1.0 and row.faults_met == ()  # lit, charging
    assert sum(r.arrived for r in first.rows) >= 3

    specs = campaign.specs()
    missing = dataclasses.replace(specs[2].scenario.terrain, dem="no/such/dem.tif")
    specs[2] = dataclasses.replace(
        specs[2], scenario=dataclasses.replace(specs[2].scenario, terrain=missing)
    )
    broken = run_campaign(campaign, LocalExecutor(2), specs=specs)
    assert [r.index for r in broken.rows] == [0, 1, 2, 3]
    assert broken.rows[2].final_state == "error" and not broken.rows[2].arrived
    assert (
        broken.rows[2].error.startswith("InputError: ") and "no such file" in broken.rows[2].error
    )
    assert [broken.rows[i] for i in (0, 1, 3)] == [first.rows[i] for i in (0, 1, 3)]

    out = write_campaign(broken, tmp_path / "out")
    assert sorted(p.name for p in out.iterdir()) == sorted([CAMPAIGN_NAME, CSV_NAME, PLOT_NAME])
    document = json.loads((out / CAMPAIGN_NAME).read_text())
    assert document["summary"]["runs"] == 4 and document["summary"]["errors"] == 1
    assert document["rows"][2]["distance_m"] is None
    lines = (out / CSV_NAME).read_text().splitlines()
    assert lines[0].split(",")[:3] == ["index", "seed", "rocks.cumulative_fractional_area"]
    assert lines[0].split(",")[-4:] == ["energy_wh", "final_soc", "faults_met", "error"]
    assert len(lines) == 5 and lines[3].split(",")[3] == "error"
    assert (out / PLOT_NAME).read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left behind

    # a second campaign replaces the first whole; a folder that is not a campaign's is refused
    write_campaign(first, out)
    assert json.loads((out / CAMPAIGN_NAME).read_text())["summary"]["errors"] == 0
    (tmp_path / "other").mkdir()
    with pytest.raises(InputError, match="not a campaign folder"):
        write_campaign(first, tmp_path / "other")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rocks.cumulative_fractional_area", "expected SECTION.KEY=LO:HI"),
        ("stones.size=1:2", "no scenario section 'stones'"),
        ("rocks.colour=1:2", "rocks has no key 'colour'"),
        ("mission.planner=1:2", "is not a real number"),
        ("rover.speed_mps=a:b", "must be numbers"),
        ("rover.speed_mps=0.3:0.1", "need finite LO <= HI"),
        ("rover.speed_mps=0:0.3", "must lie in (0.0, 5.0]"),
        ("rocks.cumulative_fractional_area=0.1:0.9", "must lie in [0.0, 0.4]"),
    ],
)
def test_bad_variations_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_varied(text)
    assert message in str(caught.value) and text in str(caught.value)


def test_fault_times_vary_and_each_row_lists_the_faults_met(tmp_path: Path) -> None:
    text = SHORT + "faults:\n  - {type: mcu_reset, time_s: 20, duration_s: 10}\n"
    scenario = parse_scenario(text, "short.yaml")
    varied = (parse_varied("faults.0.time_s=10:40"),)
    campaign = Campaign(scenario, 2, base_seed=11, varied=varied)
    specs = campaign.specs()
    onsets = [s.scenario.faults[0].time_s for s in specs]
    assert onsets == [s.params["faults.0.time_s"] for s in specs] and len(set(onsets)) == 2
    assert all(10 <= t <= 40 for t in onsets)
    result = run_campaign(campaign, LocalExecutor(1))
    for row, onset in zip(result.rows, onsets, strict=True):
        (met,) = row.faults_met
        assert met["type"] == "mcu_reset" and met["time_s"] == round(onset, 3)
        events = [e["event"] for e in met["events"]]
        assert events == ["drive_reset", "wait_over"]
        assert met["events"][1]["time_s"] - met["events"][0]["time_s"] == pytest.approx(10, abs=0.5)
    stats = json.loads((write_campaign(result, tmp_path / "f") / CAMPAIGN_NAME).read_text())
    assert stats["summary"]["faults_met"] == {
        "mcu_reset": {"struck": 2, "drive_reset": 2, "wait_over": 2}
    }
    assert stats["rows"][0]["faults_met"][0]["events"][0]["event"] == "drive_reset"
    csv_rows = (tmp_path / "f" / CSV_NAME).read_text().splitlines()
    assert "mcu_reset@" in csv_rows[1] and "drive_reset@" in csv_rows[1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("faults.x.time_s=1:2", "expected faults.N.KEY=LO:HI"),
        ("faults.0.type=1:2", "faults.0.type is not a real number"),
        ("faults.0.time_s=-1:2", "must lie in [0.0, "),
        ("power.batt.capacity_wh=1:2", "power has no section 'batt'"),
    ],
)
def test_bad_fault_and_nested_variations_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_varied(text)
    assert message in str(caught.value)


def test_nested_sections_vary_and_a_missing_fault_is_refused() -> None:
    campaign = Campaign(
        parse_scenario(SHORT, "short.yaml"),
        2,
        3,
        (parse_varied("power.battery.capacity_wh=300:600"),),
    )
    values = [s.scenario.power.battery.capacity_wh for s in campaign.specs()]
    assert all(300 <= v <= 600 for v in values) and len(set(values)) == 2
    with pytest.raises(
        InputError, match=r"faults\.0\.time_s: the scenario short\.yaml has 0 faults"
    ):
        Campaign(parse_scenario(SHORT, "short.yaml"), 2, 3, (parse_varied("faults.0.time_s=1:2"),))
