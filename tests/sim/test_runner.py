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


@pytest.mark.parametrize("planner", ["grid_astar", "grid_bidirectional", "d_star_lite"])
def test_every_grid_planner_drives_the_rocky_mission_home(planner: str) -> None:
    scenario = short() + f"  planner: {planner}\n"
    record = run_mission(parse_scenario(scenario, "short.yaml"))
    assert record.final_state == "arrived"
    assert record.replan_causes  # it met rocks and planned around them
    assert record.entered_lethal == []


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
    # The rover never drives into a cell its map holds lethal at that moment.
    assert record.entered_lethal == []


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


# ---- power and injected faults, end to end (a 30 m drive: under a second each) -------------
FAULTY = """
name: faulty
seed: 5
rocks:
  cumulative_fractional_area: 0.04
  field_margin_m: 10
mission:
  start_xy_m: [520, 700]
  goal_xy_m: [550, 704]
  time_limit_s: 1200
"""


def fly(extra: str = "") -> Any:
    return run_mission(parse_scenario(FAULTY + extra, "faulty.yaml"))


def events(record: Any) -> list[tuple[float, str]]:
    return [(t.time_s, t.event) for t in record.transitions]


def test_a_clean_run_records_energy_charge_and_temperature() -> None:
    record = fly()
    assert record.arrived and record.faults_met == [] and record.link_lost_s == 0.0
    t = record.mission_time_s
    # loads between idle + camera all the time and everything on all the time
    assert 25.0 * t / 3600 < record.energy_used_wh < (25.0 + 15.0 + 50.0) * t / 3600
    assert record.energy_generated_wh > record.energy_used_wh  # lit all the way, ~280 W
    assert record.min_soc == record.initial_soc == 0.8 < record.final_soc <= 1.0
    low, high = record.temperature_range_k
    assert low == 283.0 < high < 300.0
    log = record.power_log
    assert log.shape[1] == 6 and (log[:, 5] == 1.0).all()  # lit fraction along the route


def test_a_short_sensor_dropout_stops_the_rover_until_frames_come_back() -> None:
    record = fly("faults:\n  - {type: sensor_dropout, time_s: 30, duration_s: 20}\n")
    # One frame a second from t = 0, except for the 20 s without frames (19 or 20 frames lost,
    # depending on where the dropout falls between two frames).
    assert record.arrived and record.frames <= record.mission_time_s + 1 - 19
    assert events(record)[2:5] == [(33.0, "frames_lost"), (50.5, "wait_over"), (52.5, "path_ready")]
    (met,) = record.faults_met
    assert (met.type, met.time_s, met.duration_s) == ("sensor_dropout", 30.0, 20.0)
    assert met.events == ((33.0, "frames_lost"), (50.5, "wait_over"))


def test_a_long_sensor_dropout_is_a_fault_and_the_rover_safes() -> None:
    record = fly(
        "faults:\n  - {type: sensor_dropout, time_s: 30, duration_s: 100}\n"
        "responses:\n  dropout_timeout_s: 30\n"
    )
    assert record.final_state == "safe"
    assert events(record)[2:] == [(33.0, "frames_lost"), (59.5, "sensor_dropout"), (60.0, "safed")]
    assert record.faults_met[0].events == ((33.0, "frames_lost"), (59.5, "sensor_dropout"))


def test_a_wheel_stuck_longer_than_the_stall_timeout_is_a_drive_stall() -> None:
    record = fly("faults:\n  - {type: wheel_stuck, time_s: 30, duration_s: 80}\n")
    assert record.final_state == "safe" and record.fault is not None
    assert (record.fault.event, record.fault.time_s) == ("drive_stalled", 89.5)
    assert record.faults_met[0].events == ((89.5, "drive_stalled"),)
    short = fly("faults:\n  - {type: wheel_stuck, time_s: 30, duration_s: 10}\n")
    assert short.arrived and short.mission_time_s == 160.0  # 10 s late, nothing else
    assert short.faults_met[0].events == ()


def test_a_link_loss_is_recorded_and_the_rover_carries_on() -> None:
    clean = fly()
    record = fly("faults:\n  - {type: link_loss, time_s: 30, duration_s: 50}\n")
    assert record.arrived and record.link_lost_s == 50.0
    assert events(record) == events(clean)
    assert record.faults_met[0].type == "link_loss" and record.faults_met[0].events == ()


def test_a_drive_mcu_reset_stops_the_rover_which_replans_after_the_reboot() -> None:
    record = fly("faults:\n  - {type: mcu_reset, time_s: 30, duration_s: 15}\n")
    assert record.arrived
    assert events(record)[2:5] == [(30.0, "drive_reset"), (45.0, "wait_over"), (47.0, "path_ready")]
    assert record.faults_met[0].events == ((30.0, "drive_reset"), (45.0, "wait_over"))
    # 15 s of reboot and a 2 s plan, plus whatever the replanned path adds or saves.
    assert 17.0 <= record.mission_time_s - fly().mission_time_s <= 25.0


def test_a_brownout_makes_the_rover_power_critical_and_safe() -> None:
    record = fly("faults:\n  - {type: brownout, time_s: 30}\n")
    assert record.final_state == "safe" and record.fault is not None
    assert record.fault.event == "power_critical" and record.fault.detail == {"reason": "brownout"}
    assert events(record)[2:] == [(30.0, "power_critical"), (30.5, "safed")]
    assert record.faults_met[0].duration_s == 1.0  # a brownout's default sag


def test_a_battery_below_its_reserve_makes_the_rover_safe() -> None:
    record = fly(
        "power:\n  battery: {capacity_wh: 5, initial_soc: 0.25}\n  panel: {area_m2: 0.01}\n"
    )
    assert record.final_state == "safe" and record.fault is not None
    assert record.fault.detail == {"reason": "battery_reserve"}
    assert record.final_soc < 0.2 <= record.min_soc + 0.01


# ---- the supervisor's mission log, the rover's sensors and slip --------------------------------
def test_the_mission_log_is_deterministic_replays_and_carries_the_sensors(tmp_path: Path) -> None:
    from ilrs_auto.mission.recorder import read_log
    from ilrs_auto.mission.replay import replay

    scenario = parse_scenario(FAULTY, "faulty.yaml")
    first = run_mission(scenario, log_path=tmp_path / "a.mcap")
    run_mission(scenario, log_path=tmp_path / "b.mcap")
    assert first.log_path == tmp_path / "a.mcap" and first.arrived
    assert (tmp_path / "a.mcap").read_bytes() == (tmp_path / "b.mcap").read_bytes()
    unlogged = run_mission(scenario)  # the log changes nothing the mission does
    assert events(unlogged) == events(first) and unlogged.wheel_distance_m == first.wheel_distance_m
    log = read_log(tmp_path / "a.mcap")
    result = replay(log)
    assert result.matched, result.divergence
    assert result.transitions == len(first.transitions) == 3
    telemetry = [m.payload for m in log.messages if m.topic == "/mission/telemetry"]
    for topic in ("rover/imu", "rover/odometry", "rover/sun_sensor"):
        times = [p["time_s"] for p in telemetry if p["topic"] == topic]
        assert times == [0.5 + i for i in range(len(times))]  # 1 Hz from the first tick
        assert len(times) == int(first.mission_time_s)
    last = [p["values"] for p in telemetry if p["topic"] == "rover/odometry"][-1]
    # The wheels turn farther than the rover goes (slip), a few per cent on this gentle ground.
    assert first.distance_m < first.wheel_distance_m < 1.1 * first.distance_m
    assert last["wheel_total_m"] <= round(first.wheel_distance_m, 4)
    sun = [p["values"] for p in telemetry if p["topic"] == "rover/sun_sensor"]
    assert all(s["visible"] for s in sun)  # lit all the way (see the clean run above)
    imu = [p["values"] for p in telemetry if p["topic"] == "rover/imu"]
    assert all(abs(v["roll_deg"]) < 20 and abs(v["pitch_deg"]) < 20 for v in imu)


def test_jammed_wheels_turn_no_odometry() -> None:
    clean = fly()
    stuck = fly("faults:\n  - {type: wheel_stuck, time_s: 30, duration_s: 10}\n")
    # Ten seconds standing still: the same drive, and the wheels counted the same distance.
    assert stuck.mission_time_s == clean.mission_time_s + 10.0
    assert stuck.distance_m == pytest.approx(clean.distance_m, abs=1e-9)
    assert stuck.wheel_distance_m == pytest.approx(clean.wheel_distance_m, rel=0.01)


# A 20 m leg straight up a 12-degree slope west of the crater, nearly free of rocks.
STEEP = """
name: steep-uphill
seed: 3
rocks:
  cumulative_fractional_area: 0.01
  field_margin_m: 10
mission:
  start_xy_m: [720, 605]
  goal_xy_m: [700, 600]
  start_heading_deg: 194
  time_limit_s: 600
"""


def test_slip_on_a_steep_uphill_leg_stops_the_rover_in_fault(tmp_path: Path) -> None:
    from ilrs_auto.mission.recorder import read_log
    from ilrs_auto.mission.replay import replay
    from ilrs_auto.sim.sensors import OdometryConfig

    scenario = parse_scenario(STEEP, "steep.yaml")
    # Default slip model: 2 % + 1.5 % a degree uphill; the leg is climbed without a fault.
    assert run_mission(scenario).arrived
    # Soft regolith: 4 % a degree. The slip window (3 m of wheel travel) fills and trips.
    record = run_mission(
        scenario, log_path=tmp_path / "slip.mcap", odometry=OdometryConfig(slip_per_deg=0.04)
    )
    assert record.final_state == "safe" and record.fault is not None
    fault = record.fault
    assert fault.event == "excessive_slip" and fault.source == "traverse_driving"
    assert fault.detail["slip"] > scenario.responses.max_slip == 0.4
    assert fault.detail["wheel_m"] >= scenario.responses.slip_window_m
    assert fault.detail["covered_m"] == pytest.approx(
        fault.detail["wheel_m"] * (1 - fault.detail["slip"]), abs=2e-3
    )
    assert events(record)[-2:] == [(fault.time_s, "excessive_slip"), (fault.time_s + 0.5, "safed")]
    assert record.distance_m < 2.5  # stopped within the window, before digging in
    assert replay(read_log(tmp_path / "slip.mcap")).matched


def test_a_slip_limit_from_the_scenario_reaches_the_traverse() -> None:
    record = run_mission(parse_scenario(STEEP + "responses:\n  max_slip: 0.15\n", "steep.yaml"))
    assert record.fault is not None and record.fault.event == "excessive_slip"
    assert 0.15 < record.fault.detail["slip"] < 0.4
