"""The simulated tube mission: the world, the robot's radio, winch and battery, the scenario
file, and the whole mission end to end."""

from __future__ import annotations

import dataclasses as dc
import itertools

import numpy as np
import pytest

from ilrs_auto.errors import InputError
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.sim.lava_tube import LavaTube
from ilrs_auto.sim.tube_mission import (
    Fault,
    SimTubeRobot,
    TubeLineOfSight,
    TubeScenario,
    build_tube_world,
    parse_tube_scenario,
    run_tube_mission,
    summary,
)


def test_happy_path_explores_keeps_link_drops_relays_and_returns_with_reserve() -> None:
    scenario = dc.replace(
        TubeScenario(seed=5),
        tube=dc.replace(TubeScenario().tube, length_m=60.0),
        radio=dc.replace(TubeScenario().radio, range_m=16.0),
    )
    record = run_tube_mission(scenario)
    assert record.final_state == "done"
    assert record.max_link_gap_s <= scenario.radio.link_gap_limit_s
    assert len(record.relays_m) >= 2
    assert record.final_battery_wh >= scenario.power.reserve_wh
    assert record.coverage >= 0.9
    # Back on the surface at the skylight, having gone most of the way along the tube.
    assert np.allclose(record.position_m[-1], record.world.skylight_m, atol=0.3)
    assert record.position_m[:, 0].max() >= 0.6 * scenario.tube.length_m
    # Every relay was dropped inside the tube, in reach of the node before it.
    world = record.world
    los = TubeLineOfSight(world.tube)
    nodes = [world.surface_node_m, *record.relays_m]
    for before, relay in itertools.pairwise(nodes):
        assert np.linalg.norm(np.subtract(relay, before)) > 0.0
        assert world.tube.sdf(np.array([relay]))[0] < 0.0
        assert any(
            np.linalg.norm(np.subtract(relay, n)) <= scenario.radio.range_m and los.clear(relay, n)
            for n in nodes[: nodes.index(relay)]
        )
    data = summary(record)
    assert data["final_state"] == "done" and data["relays_dropped"] == len(record.relays_m)


def test_link_gaps_are_read_from_the_tick_log() -> None:
    record = run_tube_mission(TubeScenario(), [Fault(180.0, "link_loss", 12.0)])
    assert record.link_gaps() == [(180.0, 192.0)]
    assert record.max_link_gap_s == 12.0


def test_line_of_sight_through_the_true_tube() -> None:
    tube = LavaTube(np.array([0.0, 10.0, 20.0]), np.array([5.0, 1.0, 5.0]))
    los = TubeLineOfSight(tube)
    assert los.clear((2.0, 0.0, 0.0), (18.0, 0.0, 0.0))  # along the axis, through the neck
    assert not los.clear((2.0, 0.0, 3.0), (18.0, 0.0, 3.0))  # the neck's wall is in the way
    assert los.clear((2.0, 0.0, 3.0), (2.0, 0.0, 3.0))


def test_robot_winch_stops_at_the_tether_end_and_energy_is_paid() -> None:
    scenario = TubeScenario()
    world = build_tube_world(scenario)
    clock = SimClock()
    robot = SimTubeRobot(scenario, world, clock)
    start_wh = robot.battery_wh
    robot.winch_to(-100.0)
    for _ in range(400):
        clock.advance(1.0)
        robot.step(1.0)
    assert robot.position_m[2] == pytest.approx(-scenario.descent.tether_length_m)
    assert not robot.moving
    p = scenario.power
    winch_s = scenario.descent.tether_length_m / scenario.descent.rate_mps
    expected = (400 * p.hotel_w + winch_s * p.winch_w) / 3600.0
    assert start_wh - robot.battery_wh == pytest.approx(expected, abs=p.winch_w / 3600.0)


def test_robot_radio_needs_a_node_in_range_and_sight() -> None:
    scenario = TubeScenario()
    world = build_tube_world(scenario)
    clock = SimClock()
    robot = SimTubeRobot(scenario, world, clock)
    robot.step(1.0)
    assert robot.link_up  # on the surface
    far = np.array([[world.foot_m[0] + scenario.radio.range_m + 3.0, 0.0, world.foot_m[2]]])
    robot._pos = np.array(world.foot_m)
    robot.step(1.0)
    assert robot.link_up
    robot._pos = far[0].copy()
    robot.step(1.0)
    assert not robot.link_up
    robot.relays.append((far[0, 0] - 5.0, 0.0, world.foot_m[2]))
    robot.step(1.0)
    assert robot.link_up
    robot.inject(Fault(clock.now_s, "link_loss", 10.0))
    robot.step(1.0)
    assert not robot.link_up


def test_scenario_errors_name_file_line_and_key() -> None:
    good = "kind: lava_tube\nname: t\ntube:\n  length_m: 30\n"
    assert parse_tube_scenario(good, "s.yaml").tube.length_m == 30.0
    cases = {
        "kind: lava_tube\ntube:\n  lenght_m: 30\n": "s.yaml:3: tube.lenght_m: unknown key",
        "kind: lava_tube\nradio:\n  range_m: -4\n": "s.yaml:3: radio.range_m: must be >= 1.0",
        "kind: lava_tube\ndescent:\n  mode: rope\n": "s.yaml:3: descent.mode: expected tether",
        "kind: lava_tube\ntube:\n  min_radius_m: 6\n  max_radius_m: 4\n": "s.yaml:4: tube.max",
        "kind: traverse\n": "s.yaml:1: kind: expected lava_tube",
        "kind: lava_tube\ntube:\n  depth_m: 6\n": "s.yaml:3: tube.depth_m: the roof",
    }
    for text, message in cases.items():
        with pytest.raises(InputError) as error:
            parse_tube_scenario(text, "s.yaml")
        assert str(error.value).startswith(message), str(error.value)
