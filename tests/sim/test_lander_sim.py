"""The lander's simulated counterparts: a robot that answers a real CommandLink over the
loopback in the caller's thread, its injected faults, Earth's station and a breakable link."""

from __future__ import annotations

import pytest

from firmware_bridge.dictionary import AckStatus, default_dictionary
from firmware_bridge.link import CommandLink, CommandTimeoutError
from firmware_bridge.transport import LoopbackTransport, TransportError
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.lander import RecordKind, RelayCommand, StoredRecord, encode_downlink
from ilrs_auto.sim.lander_sim import BATTERY_WH, BreakableTransport, SimEarth, SimRobot, sim_keys


def robot_and_link(
    timeout_s: float = 0.5, retries: int = 3
) -> tuple[SimRobot, CommandLink, SimClock]:
    dictionary = default_dictionary()
    keys = sim_keys(dictionary)
    clock = SimClock()
    robot = SimRobot("rover_r2", dictionary, keys, clock)
    link = CommandLink(
        robot.lander_transport,
        dictionary,
        keys,
        key_id=1,
        robot_id=2,
        timeout_s=timeout_s,
        retries=retries,
    )
    return robot, link, clock


def test_a_sim_robot_answers_commands_in_the_callers_thread() -> None:
    robot, link, _ = robot_and_link()
    result = link.send("SET_POWER", {"rail": 3, "on": True})
    assert result.status is AckStatus.EXECUTED and result.attempts == 1
    assert robot.executed == ["SET_POWER"]
    assert link.counters.events == 1  # RAIL_SWITCHED came with the ack


def test_a_sim_robot_sends_boot_then_housekeeping_on_the_mission_clock() -> None:
    robot, link, clock = robot_and_link()
    robot.step()
    clock.advance(30.0)
    robot.step()  # not due: 60 s period
    clock.advance(30.0)
    robot.step()
    records = link.poll(0.0)
    assert [getattr(r, "name", "ack") for r in records] == ["BOOT", "housekeeping", "housekeeping"]
    assert [getattr(r, "values", {}).get("uptime_ms") for r in records[1:]] == [0, 60000]


def test_a_silent_robot_sends_nothing_and_a_deaf_one_never_acknowledges() -> None:
    robot, link, _ = robot_and_link(timeout_s=0.01, retries=1)
    robot.silent = True
    robot.step()
    assert link.poll(0.0) == []
    robot.silent = False
    robot.deaf = True
    robot.step()
    assert len(link.poll(0.0)) == 2  # heartbeats still go out
    with pytest.raises(CommandTimeoutError):
        link.send("NOOP")
    assert robot.executed == []


def test_a_sim_robot_charges_at_the_power_it_is_given() -> None:
    robot, _, clock = robot_and_link()
    robot.model.battery_soc_pct = 50.0
    robot.step()
    robot.charge_w = BATTERY_WH / 10.0  # a tenth of the battery an hour
    clock.advance(3600.0)
    robot.step()
    # Less the model's own draw over that hour: 1 A of its 20 Ah.
    assert robot.model.battery_soc_pct == pytest.approx(60.0 - 100.0 * 1.0 / 20.0, abs=0.5)


def test_a_disconnected_robot_closes_the_landers_end() -> None:
    robot, link, _ = robot_and_link()
    robot.disconnect()
    with pytest.raises(TransportError):
        link.poll(0.0)


def test_a_breakable_transport_fails_after_n_writes_and_heals() -> None:
    a, b = LoopbackTransport.pair()
    link = BreakableTransport(a, break_after_sends=2)
    link.send(b"1")
    link.send(b"2")
    with pytest.raises(TransportError, match="link down"):
        link.send(b"3")
    assert b.receive(0.0) == b"12"  # nothing of the failed write arrived
    link.heal()
    link.send(b"4")
    assert b.receive(0.0) == b"4"


def test_sim_earth_uplinks_commands_and_collects_downlinked_records() -> None:
    earth = SimEarth()
    earth.send(RelayCommand("c1", "rover_r1", "NOOP"))
    assert earth.lander_transport.receive(0.0)  # waits in the link for the lander
    record = StoredRecord(0, 5.0, RecordKind.NOTICE, "rover_r1", {"notice": "robot_safe"})
    frame = encode_downlink(record)
    earth.lander_transport.send(frame[:7])  # arrives in pieces
    earth.lander_transport.send(frame[7:])
    assert earth.receive() == [record]
    assert earth.received == [record]
