"""Scenario files: defaults, and a FILE:LINE: key message for every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from ilrs_auto.assets import default_scenario_path
from ilrs_auto.errors import InputError
from ilrs_auto.sim.scenario import load_scenario, parse_scenario

MINIMAL = "mission:\n  start_xy_m: [10, 20]\n  goal_xy_m: [30, 40]\n"


def test_the_shipped_default_scenario_loads() -> None:
    scenario = load_scenario(default_scenario_path())
    assert scenario.name == "shoemaker-rim-traverse"
    assert scenario.mission.start_xy_m == (520.0, 700.0)
    assert scenario.dem_path().is_file()


def test_missing_keys_take_their_defaults() -> None:
    scenario = parse_scenario(MINIMAL, "s.yaml")
    assert scenario.rover.max_step_m == 0.25
    assert scenario.mission.goal_xy_m == (30.0, 40.0)
    assert scenario.where("mission.goal_xy_m") == "s.yaml:3: mission.goal_xy_m"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "rover:\n  sped_mps: 1\n", r"s\.yaml:5: rover\.sped_mps: unknown key"),
        (MINIMAL + "wheels: 6\n", r"s\.yaml:4: wheels: unknown key"),
        (MINIMAL + "rover:\n  speed_mps: -0.1\n", r"s\.yaml:5: rover\.speed_mps: must be > 0"),
        (
            MINIMAL + "rover:\n  max_slope_deg: 75\n",
            r"s\.yaml:5: rover\.max_slope_deg: must be <= 60",
        ),
        (MINIMAL + "seed: 1.5\n", r"s\.yaml:4: seed: expected a whole number, got '1\.5'"),
        (MINIMAL + "seed: true\n", r"s\.yaml:4: seed: expected a whole number"),
        (
            MINIMAL + "rover:\n  speed_mps: fast\n",
            r"s\.yaml:5: rover\.speed_mps: expected a finite",
        ),
        (
            MINIMAL + "rover:\n  speed_mps: .nan\n",
            r"s\.yaml:5: rover\.speed_mps: expected a finite",
        ),
        (MINIMAL + "rover: 3\n", r"s\.yaml:4: rover: expected a mapping"),
        (MINIMAL + "rover:\n  speed_mps: [1]\n", r"s\.yaml:5: rover\.speed_mps: expected a single"),
        (
            "mission:\n  start_xy_m: [1, 2, 3]\n  goal_xy_m: [3, 4]\n",
            r"s\.yaml:2: mission\.start_xy_m: expected a pair",
        ),
        ("mission:\n  start_xy_m: [1, 2]\n", r"s\.yaml: mission\.goal_xy_m: required"),
        (MINIMAL + "seed: 1\nseed: 2\n", r"s\.yaml:5: seed: given twice"),
        ("? [a, b]\n: 1\n" + MINIMAL, r"s\.yaml:1: scenario: keys must be plain names"),
        ("mission:\n  {a: 1}: 2\n", r"s\.yaml:2: mission: keys must be plain names"),
        (MINIMAL + "  planner: hybrid_astar\n", r"s\.yaml:4: mission\.planner: hybrid_astar needs"),
        (
            MINIMAL + "camera:\n  noise_floor_m: 0\n",
            r"s\.yaml:5: camera\.noise_floor_m: must be > 0",
        ),
        (MINIMAL + "name: ../../evil\n", r"s\.yaml:4: name: '\.\./\.\./evil' is not a usable name"),
        (MINIMAL + "name: a/b\n", r"s\.yaml:4: name: 'a/b' is not a usable name"),
        (MINIMAL + "name: ''\n", r"s\.yaml:4: name: '' is not a usable name"),
        (
            MINIMAL + "  planner: rrt_star\n",
            r"s\.yaml:4: mission\.planner: unknown planner 'rrt_star'",
        ),
        ("- a\n- b\n", r"s\.yaml:1: scenario: expected a mapping"),
        ("", r"s\.yaml: scenario file is empty"),
        ("mission: [\n", r"s\.yaml:2: not valid YAML"),
        (
            MINIMAL + "rocks:\n  min_diameter_m: 2\n  max_diameter_m: 1\n",
            r"s\.yaml:6: rocks\.max_diameter_m: must be >= rocks\.min_diameter_m",
        ),
    ],
)
def test_bad_scenarios_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_scenario(text, "s.yaml")
    assert "\n" not in str(info.value)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.yaml: no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"binary\.yaml: cannot read scenario file"):
        load_scenario(binary)


def test_dem_paths_resolve_beside_the_scenario_first(tmp_path: Path) -> None:
    (tmp_path / "my.tif").write_bytes(b"")
    (tmp_path / "terrain").mkdir()
    (tmp_path / "terrain" / "shoemaker_5mpp.tif").write_bytes(b"")
    scenario_file = tmp_path / "s.yaml"
    scenario_file.write_text("terrain:\n  dem: my.tif\n" + MINIMAL)
    assert load_scenario(scenario_file).dem_path() == tmp_path / "my.tif"
    scenario_file.write_text(MINIMAL)
    assert load_scenario(scenario_file).dem_path() == tmp_path / "terrain" / "shoemaker_5mpp.tif"
    (tmp_path / "terrain" / "shoemaker_5mpp.tif").unlink()
    assert load_scenario(scenario_file).dem_path() == default_scenario_path().parent.parent / (
        "terrain/shoemaker_5mpp.tif"
    )


# ---- power, responses and faults ----------------------------------------------------------------
def test_faults_power_and_start_time_are_read_with_their_defaults() -> None:
    scenario = parse_scenario(
        MINIMAL
        + "power:\n  battery:\n    capacity_wh: 300\n  panel:\n    tracking: false\n"
        + "faults:\n"
        + "  - type: sensor_dropout\n    time_s: 100\n    duration_s: 20\n"
        + "  - {type: brownout, time_s: 400, sag_v: 15}\n",
        "s.yaml",
    )
    assert scenario.power.battery.capacity_wh == 300 and not scenario.power.panel.tracking
    assert scenario.power.battery.reserve_soc == 0.2  # untouched defaults
    assert scenario.mission.start_utc == "2024-08-14T12:00"
    first, second = scenario.faults
    assert (first.type, first.time_s, first.duration_s) == ("sensor_dropout", 100.0, 20.0)
    assert (second.type, second.duration_s, second.sag_v) == ("brownout", 1.0, 15.0)
    assert scenario.where("faults.1.sag_v") == "s.yaml:13: faults.1.sag_v"
    assert parse_scenario(MINIMAL, "s.yaml").faults == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "faults:\n  - {type: meteor, time_s: 5, duration_s: 1}\n",
            r"s\.yaml:5: faults\.0\.type: unknown fault type 'meteor' \(one of: wheel_stuck, ",
        ),
        (
            "faults:\n  - {type: link_loss, time_s: -5, duration_s: 1}\n",
            r"s\.yaml:5: faults\.0\.time_s: must be >= 0\.0, got -5\.0",
        ),
        (
            "faults:\n  - {type: link_loss, time_s: 5}\n  - {type: wheel_stuck}\n",
            r"s\.yaml:5: faults\.0: duration_s missing \(a link_loss lasts a given time\)",
        ),
        (
            "faults:\n  - {type: brownout}\n",
            r"s\.yaml:5: faults\.0: time_s missing",
        ),
        (
            "faults:\n  - time_s: 5\n    duration_s: 3\n",
            r"s\.yaml:5: faults\.0: type missing",
        ),
        (
            "faults:\n  - {type: mcu_reset, time_s: 5, duration_s: 0}\n",
            r"s\.yaml:5: faults\.0\.duration_s: must be > 0\.0",
        ),
        (
            "faults:\n  - {type: mcu_reset, time_s: 5, duration_s: 3, sag_v: 2}\n",
            r"s\.yaml:5: faults\.0\.sag_v: only a brownout has sag_v",
        ),
        (
            "faults:\n  - {type: mcu_reset, time_s: 5, reboot: 3}\n",
            r"s\.yaml:5: faults\.0\.reboot: unknown key",
        ),
        ("faults:\n  type: mcu_reset\n", r"s\.yaml:5: faults: expected a list"),
        (
            "power:\n  battery:\n    reserve_soc: 1.5\n",
            r"s\.yaml:6: power\.battery\.reserve_soc: must be <= 1",
        ),
        (
            "power:\n  battery:\n    empty_v: 40\n",
            r"s\.yaml:6: power\.battery\.empty_v: must be < power\.battery\.full_v",
        ),
        (
            "responses:\n  frame_gap_s: 0\n",
            r"s\.yaml:5: responses\.frame_gap_s: must be >= 0\.01",
        ),
    ],
)
def test_bad_faults_and_power_name_file_line_and_key(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_scenario(MINIMAL + text, "s.yaml")


def test_a_bad_start_time_names_its_line() -> None:
    text = "mission:\n  start_xy_m: [10, 20]\n  goal_xy_m: [30, 40]\n  start_utc: 2024-13-45\n"
    with pytest.raises(InputError, match=r"s\.yaml:4: mission\.start_utc: time '2024-13-45'"):
        parse_scenario(text, "s.yaml")
