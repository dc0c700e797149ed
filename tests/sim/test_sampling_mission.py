"""The sampling mission in simulation: the shipped scenario end to end on the LOLA terrain with
its exact chain of custody, a fault injected from the scenario, the science map, and the
scenario's sampling section read with FILE:LINE errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.mission.sample_collection import GENESIS_HASH, CustodyLog
from ilrs_auto.sim.instruments import FaultInjection
from ilrs_auto.sim.sampling_mission import (
    SamplingRecord,
    ScienceMapConfig,
    load_sampling_scenario,
    parse_sampling_scenario,
    run_sampling,
    science_map,
)
from ilrs_auto.sim.world import build_world

SCENARIO = assets_dir() / "scenarios" / "ilrs2_sampling.yaml"


@pytest.fixture(scope="module")
def shipped() -> SamplingRecord:
    return run_sampling(load_sampling_scenario(SCENARIO))


def test_the_shipped_scenario_drives_chooses_drills_seals_and_caches(
    shipped: SamplingRecord,
) -> None:
    record = shipped
    assert record.traverse.arrived and record.final_state == "done" and record.fault is None
    events = [t.event for t in record.transitions]
    assert events == [
        "start",
        "site_selected",
        "path_ready",
        "site_reached",
        "tool_deployed",
        "drill_jammed",  # the scenario injects a stuck drill 150 s into the leg
        "drill_freed",
        "depth_reached",
        "tool_retracted",
        "sealed",
        "cached",
    ]
    times = [t.time_s for t in record.transitions]
    assert times[0] == record.sampling_started_s == record.traverse.mission_time_s
    assert times == sorted(times)
    site = record.site
    assert site is not None
    stop = record.traverse.driven_xy_m[-1]
    assert np.hypot(*(np.asarray(site.xy_m) - stop)) <= 8.0
    # The site is the best reachable safe cell in the radius on the science map.
    assert site.value >= 0.3 and record.science[site.cell] == np.float32(site.value)
    (entry,) = record.custody
    expected = {
        "sequence": 1,
        "robot_id": "rover_r1",
        "site_x_m": site.xy_m[0],
        "site_y_m": site.xy_m[1],
        "science_value": site.value,
        "tool": "drill",
        "depth_cm": 30.0,
        "acquired_s": record.transitions[7].time_s,
        "sealed_s": record.transitions[9].time_s,
        "cached_s": record.transitions[10].time_s,
        "container_id": 1,
        "previous_hash": GENESIS_HASH,
    }
    data = entry.to_json()
    assert {k: data[k] for k in expected} == expected
    # A 2 cm2 core 30 cm long at 1.5 to 1.65 g/cm3, weighed to 0.1 g.
    assert 90.0 < entry.mass_g < 99.0 and round(entry.mass_g, 1) == entry.mass_g
    assert entry.hash == entry.content_hash()
    assert CustodyLog(record.custody).records == record.custody


def test_the_same_scenario_gives_the_same_record(shipped: SamplingRecord) -> None:
    again = run_sampling(load_sampling_scenario(SCENARIO))
    assert again.custody == shipped.custody
    assert again.timeline() == shipped.timeline()


def test_a_fault_from_the_scenario_ends_in_safe() -> None:
    scenario = load_sampling_scenario(SCENARIO)
    faulty = dataclasses.replace(scenario, faults=(FaultInjection(100.0, "instrument_fault"),))
    record = run_sampling(faulty)
    assert record.final_state == "safe" and record.custody == ()
    assert record.fault is not None and record.fault.event == "instrument_fault"


def test_the_science_map_scores_rims_and_rocks_and_is_seeded() -> None:
    scenario = load_sampling_scenario(SCENARIO)
    world = build_world(scenario.traverse)
    config = ScienceMapConfig()
    value = science_map(world, config, 7)
    assert value.shape == world.geometry.shape and value.dtype == np.float32
    assert value.min() >= 0.0 and value.max() <= 1.0
    assert np.array_equal(value, science_map(world, config, 7))
    assert not np.array_equal(value, science_map(world, config, 8))
    only_rocks = science_map(world, ScienceMapConfig(rim_weight=0, noise_weight=0), 7)
    on_rock = (world.heights_m - world.ground_m) > 0.02
    assert only_rocks[on_rock].mean() > 5 * only_rocks[~on_rock].mean()
    only_rims = science_map(world, ScienceMapConfig(rock_weight=0, noise_weight=0), 7)
    high = world.ground_m > np.percentile(world.ground_m, 90)
    assert only_rims[high].mean() > only_rims[~high].mean()


BASE = SCENARIO.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  reach_m: 1.5", "  reach_mm: 1.5", ":48: sampling.reach_mm: unknown key"),
        ("  tool: drill ", "  tool: spoon ", ":42: sampling.tool: expected scoop or drill"),
        ("  tool: drill ", "  tool: scoop ", ":43: sampling.depth_cm: a scoop reaches at most 5"),
        ("  max_retries: 2", "  max_retries: -1", ":52: sampling.max_retries: must be >= 0"),
        ("    rim_weight: 0.6", "    rim_weight: 2", ":58: sampling.science.rim_weight: must be"),
        ("at_s: 150}", "at_s: 150, kind: x}", ":69: sampling.faults[0].kind: given twice"),
        ("{kind: stuck_drill, at_s: 150}", "{kind: gremlins, at_s: 1}", ":69: sampling.faults[0]."),
        ("{kind: stuck_drill, at_s: 150}", "{kind: stuck_drill}", ":69: sampling.faults[0].at_s"),
        ("  planner: d_star_lite", "  planner: teleport", ":38: mission.planner: unknown planner"),
        ("  container: 0 ", "  container: 13 ", ":44: sampling.container: there are 12"),
    ],
)
def test_bad_sampling_scenarios_name_file_line_and_key(old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(InputError) as error:
        parse_sampling_scenario(BASE.replace(old, new, 1), "s.yaml")
    assert f"s.yaml{message}" in str(error.value) and "\n" not in str(error.value)


def test_a_sampling_scenario_needs_its_section(tmp_path: Path) -> None:
    start = BASE.index("sampling:\n")
    with pytest.raises(InputError, match=r"s.yaml: sampling: required section"):
        parse_sampling_scenario(BASE[:start], "s.yaml")
    with pytest.raises(InputError, match="no such scenario file"):
        load_sampling_scenario(tmp_path / "missing.yaml")
