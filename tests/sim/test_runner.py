"""Whole simulated missions: exact replay from a seed, and a mission that runs out of time."""

from __future__ import annotations

import gc
import json
import weakref
from pathlib import Path
from typing import Any

import pytest

from ilrs_auto.report import summarize
from ilrs_auto.sim.runner import run_mission
from ilrs_auto.sim.scenario import parse_scenario

# A 60 m drive through the rock field west of the crater, rocky enough to force replans.
SHORT = """
name: short-rocky
seed: {seed}
rocks:
  cumulative_fractional_area: 0.08
  field_margin_m: 15
mission:
  start_xy_m: [520, 700]
  goal_xy_m: [580, 708]
  time_limit_s: {limit}
"""


def short(seed: int = 2, limit: float = 3000) -> str:
    return SHORT.format(seed=seed, limit=limit)


def test_the_same_seed_replays_exactly() -> None:
    first = summarize(run_mission(parse_scenario(short(), "short.yaml")))
    second = summarize(run_mission(parse_scenario(short(), "short.yaml")))
    assert first["final_state"] == "arrived"
    assert first["replans"] >= 1
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    other = summarize(run_mission(parse_scenario(short(seed=3), "short.yaml")))
    assert other["timeline"] != first["timeline"] or other["distance_m"] != first["distance_m"]


def test_running_out_of_time_ends_in_safe_mode() -> None:
    record = run_mission(parse_scenario(short(limit=60), "short.yaml"))
    assert record.final_state == "safe"
    assert record.fault is not None and record.fault.event == "mission_timeout"
    assert record.fault.time_s == 60.0
    events = [t.event for t in record.transitions]
    assert events[-2:] == ["mission_timeout", "safed"]
    assert record.distance_m < 60 * 0.2 + 1e-9


def test_replans_are_caused_by_rocks_the_camera_saw(tmp_path: Path) -> None:
    record = run_mission(parse_scenario(short(), "short.yaml"))
    assert record.replan_causes
    for cause in record.replan_causes:
        assert not cause.lethal_in_prior  # not visible from orbit
        assert cause.cause == "rock" and cause.rock_diameter_m >= 0.3
    # The driven path never crosses a cell the rover knows is lethal.
    res = record.world.geometry.resolution_m
    cells = (record.driven_xy_m // res).astype(int)
    assert not (record.rover_cost[cells[:, 1], cells[:, 0]] == float("inf")).any()


def test_a_finished_mission_frees_its_maps_without_a_garbage_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # transitions binds triggers onto the behaviour as partials holding it; closing must break
    # that cycle, or every run's maps stay alive until a collection (campaigns ran out of memory).
    from ilrs_auto.mission import rover_traverse

    seen: list[weakref.ref[rover_traverse.RoverTraverse]] = []
    original = rover_traverse.RoverTraverse.__init__

    def spy(self: rover_traverse.RoverTraverse, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        seen.append(weakref.ref(self))

    monkeypatch.setattr(rover_traverse.RoverTraverse, "__init__", spy)
    gc.disable()
    try:
        run_mission(parse_scenario(short(limit=30), "short.yaml"))
        assert seen and seen[0]() is None
    finally:
        gc.enable()
