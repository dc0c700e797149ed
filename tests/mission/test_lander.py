"""The lander command centre: power distribution (property-based), relay of commands and
telemetry through the durable store, robot supervision, every FAULT path by fault injection, a
simulated day with contact windows, and checkpoints that neither lose nor repeat anything."""

from __future__ import annotations

import contextlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.framing import encode_frame
from firmware_bridge.space_packet import PacketType, SpacePacket
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.lander import (
    EARTH_UPLINK_APID,
    FAULT_EVENTS,
    ContactWindows,
    EarthLink,
    LanderCommandCentre,
    LanderConfig,
    LanderState,
    LoadClass,
    LoadRequest,
    PowerBus,
    PowerConfig,
    RecordKind,
    RelayCommand,
    StoreBehindCheckpointError,
    StoreCorruptError,
    TelemetryStore,
    UplinkError,
    allocate,
    parse_uplink,
    power_budget_w,
)
from ilrs_auto.sim.lander_sim import LanderSim, SimEarth, sim_keys

DAY_S = 86400.0
PERIOD_S = 300.0
CONFIG = LanderConfig(period_s=PERIOD_S, heartbeat_timeout_s=900.0, lost_timeout_s=3600.0)
WINDOWS = [(3600.0, 7200.0), (30000.0, 33600.0), (60000.0, 63600.0), (82800.0, 86400.0)]


def sun(t: float) -> float:
    return max(0.0, math.sin(2.0 * math.pi * t / DAY_S))


def make_sim(tmp_path: Path, **kwargs: Any) -> LanderSim:
    kwargs.setdefault("config", CONFIG)
    return LanderSim(tmp_path / "store.jsonl", **kwargs)


def events(lander: LanderCommandCentre) -> list[tuple[float, str, str]]:
    return [(t.time_s, t.event, t.dest) for t in lander.transitions]


def assert_exactly_once(received: list[Any]) -> None:
    numbers = [r.n for r in received]
    assert numbers == list(range(len(numbers))), "downlink out of order, repeated or lost"


# ---- power distribution ----------------------------------------------------------------------


def test_loads_are_granted_in_priority_order_and_the_first_misfit_sheds_all_after_it() -> None:
    requests = [
        LoadRequest("spectrometer", LoadClass.INSTRUMENTS, 10.0),
        LoadRequest("charge_r1", LoadClass.ROBOT_CHARGING, 300.0),
        LoadRequest("heaters", LoadClass.SURVIVAL, 150.0),
        LoadRequest("radio", LoadClass.COMMUNICATIONS, 80.0),
    ]
    granted, shed = allocate(requests, 400.0, LoadClass.INSTRUMENTS)
    # The spectrometer would fit in what is left, but a lower load never runs while a
    # higher one is shed.
    assert [r.name for r in granted] == ["heaters", "radio"]
    assert [r.name for r in shed] == ["charge_r1", "spectrometer"]
    granted, shed = allocate(requests, 1000.0, LoadClass.COMMUNICATIONS)
    assert [r.name for r in granted] == ["heaters", "radio"]
    granted, _ = allocate(requests, 540.0, LoadClass.INSTRUMENTS)
    assert [r.name for r in granted] == ["heaters", "radio", "charge_r1", "spectrometer"]


def test_the_budget_is_capped_by_the_bus_and_by_the_battery_above_its_reserve() -> None:
    assert power_budget_w(500.0, 5000.0, 1000.0, 1200.0, 60.0) == 1200.0
    # 10 Wh above the reserve over 360 s is 100 W on top of generation.
    assert power_budget_w(50.0, 1010.0, 1000.0, 1200.0, 360.0) == pytest.approx(150.0)
    assert power_budget_w(50.0, 900.0, 1000.0, 1200.0, 360.0) == 50.0


def test_the_bus_integrates_the_battery_and_curtails_what_a_full_one_cannot_take() -> None:
    config = PowerConfig(
        battery_capacity_wh=1000.0,
        battery_reserve_wh=100.0,
        battery_initial_wh=500.0,
        panel_peak_w=1000.0,
    )
    bus = PowerBus(config, lambda t: 0.5 if t < 3600.0 else 0.0)
    bus.switch({"a": 100.0})
    bus.advance(3600.0)  # +500 W - 100 W for an hour
    assert bus.soc_wh == pytest.approx(900.0)
    assert bus.generation_w == 0.0
    bus.advance(7200.0)
    assert bus.soc_wh == pytest.approx(800.0)
    bus.forced_w = 50.0
    bus.overdraw_w["a"] = 25.0
    assert bus.draw_w == 175.0
    full = PowerBus(config, lambda t: 1.0)
    full.advance(7200.0)
    assert full.soc_wh == 1000.0
    assert full.curtailed_wh == pytest.approx(1500.0)
    with pytest.raises(ValueError, match=r"illumination at t=0.0 s is 1.5"):
        PowerBus(config, lambda t: 1.5)


def lone_lander(
    tmp_path: Path, power: PowerConfig, illumination: Any, clock: SimClock
) -> tuple[LanderCommandCentre, PowerBus]:
    bus = PowerBus(power, illumination)
    earth = SimEarth()
    lander = LanderCommandCentre(
        LanderConfig(
            period_s=PERIOD_S,
            standing_loads=(
                LoadRequest("heaters", LoadClass.SURVIVAL, 150.0),
                LoadRequest("radio", LoadClass.COMMUNICATIONS, 80.0),
            ),
        ),
        power,
        bus,
        TelemetryStore(tmp_path / "s.jsonl", fsync=False),
        EarthLink(earth.lander_transport, ContactWindows([])),
        [],
        earth_dictionary(),
        sim_keys(earth_dictionary()),
        clock,
    )
    return lander, bus


def earth_dictionary() -> Any:
    from firmware_bridge.dictionary import default_dictionary

    return default_dictionary()


load_st = st.builds(
    LoadRequest,
    name=st.sampled_from(["a", "b", "c", "d", "e", "f"]),
    load_class=st.sampled_from(
        [LoadClass.COMMUNICATIONS, LoadClass.ROBOT_CHARGING, LoadClass.INSTRUMENTS]
    ),
    power_w=st.floats(0.0, 900.0),
)
tick_st = st.tuples(
    st.floats(0.0, 1.0),  # illumination over the next period
    st.lists(load_st, max_size=3),  # new or changed requests
    st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f"]), max_size=2),  # released
)


@settings(max_examples=60, deadline=None)
@given(
    ticks=st.lists(tick_st, min_size=1, max_size=40),
    initial_wh=st.floats(1000.0, 3000.0),
    survival_w=st.floats(0.0, 400.0),
)
def test_power_invariants_hold_at_every_tick(
    tmp_path_factory: pytest.TempPathFactory,
    ticks: list[tuple[float, list[LoadRequest], list[str]]],
    initial_wh: float,
    survival_w: float,
) -> None:
    power = PowerConfig(
        panel_peak_w=800.0,
        bus_capacity_w=1000.0,
        battery_capacity_wh=3000.0,
        battery_reserve_wh=1000.0,
        battery_initial_wh=initial_wh,
    )
    levels = [t[0] for t in ticks]
    clock = SimClock()
    lander, bus = lone_lander(
        tmp_path_factory.mktemp("p"),
        power,
        lambda t: levels[min(int(t // PERIOD_S), len(levels) - 1)],
        clock,
    )
    lander.request_power(LoadRequest("heaters", LoadClass.SURVIVAL, survival_w))
    lander.start()
    for _, new, released in ticks:
        for request in new:
            lander.request_power(request)
        for name in released:
            lander.release_power(name)
        clock.advance(PERIOD_S)
        lander.tick()
        switched = bus.switched
        order = sorted(lander.requests.values(), key=lambda r: (r.load_class, r.name))
        powered = [r.name in switched for r in order]
        # Never over the bus, never under the reserve, never a lower load powered while a
        # higher one is shed.
        assert sum(switched.values()) <= power.bus_capacity_w
        assert bus.soc_wh >= power.battery_reserve_wh - 1e-6
        assert powered == sorted(powered, reverse=True), (order, switched)
        assert all(switched[r.name] == r.power_w for r in order if r.name in switched)
        assert lander.shed == {r.name for r in order if r.name not in switched}
        if lander.state == LanderState.NOMINAL:
            assert not lander.shed
        if lander.state == LanderState.LOAD_SHEDDING:
            assert lander.shed
        if lander.state in (LanderState.FAULT, LanderState.SAFE):
            assert set(switched) <= {"heaters"}
    if lander.fault is not None:
        # Only heaters that cannot be kept can fault a bus with no injected draw.
        assert lander.fault.event == "battery_critical"
        assert lander.fault.detail["shed"] == ["heaters"]


# ---- the durable store ----------------------------------------------------------------------


def test_the_store_reopens_where_it_stood_and_drops_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "store.jsonl"
    store = TelemetryStore(path, fsync=False)
    for i in range(5):
        store.append(float(i), RecordKind.TELEMETRY, "rover_r1", {"i": i})
    store.journal_uplink(RelayCommand("c1", "rover_r1", "NOOP"))
    store.append(5.0, RecordKind.ACK, "rover_r1", {"command": "c1", "status": "EXECUTED"})
    for record in store.pending(2):
        store.mark_downlinked(record)
    with pytest.raises(ValueError, match="not the oldest pending"):
        store.mark_downlinked(store.pending(3)[2])
    store.close()
    with path.open("a") as file:
        file.write('{"n": 6, "t": 6.0, "ki')  # a crash in the middle of a write
    again = TelemetryStore(path, fsync=False)
    assert (again.appended, again.downlinked, again.undelivered) == (6, 2, 4)
    assert [r.n for r in again.pending(10)] == [2, 3, 4, 5]
    assert again.uplinked == [RelayCommand("c1", "rover_r1", "NOOP")]
    assert again.acked == {"c1"}
    assert path.read_text().endswith("}\n")
    again.append(9.0, RecordKind.NOTICE, "rover_r2", {"notice": "robot_safe"})
    again.close()
    assert TelemetryStore(path, fsync=False).appended == 7


def test_a_corrupt_store_line_is_reported_with_its_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "store.jsonl"
    path.write_text('{"n":0,"t":0,"kind":"tm","robot":"r","body":{}}\nnot json\n{"mark":1}\n')
    with pytest.raises(StoreCorruptError, match=rf"{path}:2: "):
        TelemetryStore(path)
    path.write_text('{"n":0,"t":0,"kind":"tm","robot":"r","body":{}}\n{"mark":3}\n')
    with pytest.raises(StoreCorruptError, match="marked 3 records sent but holds 1"):
        TelemetryStore(path)
    path.write_text('{"n":1,"t":0,"kind":"tm","robot":"r","body":{}}\n')
    with pytest.raises(StoreCorruptError, match=r":1: record number 1, expected 0"):
        TelemetryStore(path)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_parse_uplink_rejects_any_garbage_with_an_uplink_error(data: bytes) -> None:
    with contextlib.suppress(UplinkError):
        parse_uplink(data)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1, 2]", "a command is an object"),
        (b'{"id": "x", "robot": "", "name": "NOOP"}', "'robot' must be a non-empty string"),
        (b'{"id": "x", "robot": "r", "name": "N", "args": {"a": "s"}}', "args must map"),
        (b'{"id": "x", "robot": "r", "name": "N", "when": 3}', r"unknown fields \['when'\]"),
        (b"\xff{", "not JSON"),
    ],
)
def test_parse_uplink_names_what_is_wrong(payload: bytes, message: str) -> None:
    raw = SpacePacket.build(apid=EARTH_UPLINK_APID, data=payload, packet_type=PacketType.TC)
    with pytest.raises(UplinkError, match=message):
        parse_uplink(raw.encode())


# ---- a simulated day ------------------------------------------------------------------------


def day_sim(tmp_path: Path, config: LanderConfig = CONFIG) -> LanderSim:
    tmp_path.mkdir(exist_ok=True)
    sim = make_sim(tmp_path, windows_s=WINDOWS, illumination=sun, config=config)
    sim.earth.send(RelayCommand("c1", "rover_r1", "REQUEST_HOUSEKEEPING"))
    sim.earth.send(RelayCommand("c2", "rover_r2", "SET_POWER", {"rail": 3, "on": True}))
    sim.earth.send(RelayCommand("c3", "rover_r1", "NOOP"))
    return sim


def test_a_day_relays_every_command_once_and_downlinks_everything_once_in_order(
    tmp_path: Path,
) -> None:
    sim = day_sim(tmp_path)
    lander = sim.lander
    lander.start()
    sim.run_until(40000.0)
    sim.earth.send(RelayCommand("c4", "rover_r2", "SET_HK_PERIOD", {"period_ms": 60000}))
    sim.run_until(DAY_S)
    received = sim.earth.receive()

    assert events(lander) == [
        (0.0, "start", "operating_nominal"),
        (300.0, "sunset", "operating_night"),  # the Sun is still under 50 W of panel
        (300.0, "loads_shed", "operating_night"),  # robot charging waits for the day
        (1200.0, "sunrise", "operating_nominal"),
        (1200.0, "loads_restored", "operating_nominal"),
        (3600.0, "contact_start", "operating_downlinking"),
        (7200.0, "contact_end", "operating_nominal"),
        (30000.0, "contact_start", "operating_downlinking"),
        (33600.0, "contact_end", "operating_nominal"),
        (42900.0, "sunset", "operating_night"),
        (42900.0, "loads_shed", "operating_night"),
        (60000.0, "contact_start", "operating_downlinking"),
        (63600.0, "contact_end", "operating_night"),
        (82800.0, "contact_start", "operating_downlinking"),
        (86400.0, "contact_end", "operating_night"),
    ]
    # Commands: the first three wait in the link until the first window opens at 3600 s,
    # are forwarded at the next tick; the fourth waits for the window at 60000 s.
    acks = [r for r in received if r.kind is RecordKind.ACK]
    assert [(r.time_s, r.body["command"], r.body["status"]) for r in acks] == [
        (3900.0, "c1", "EXECUTED"),
        (3900.0, "c2", "EXECUTED"),
        (3900.0, "c3", "EXECUTED"),
        (60300.0, "c4", "EXECUTED"),
    ]
    assert lander.relayed == 4
    assert sim.robots["rover_r1"].executed == ["REQUEST_HOUSEKEEPING", "NOOP"]
    assert sim.robots["rover_r2"].executed == ["SET_POWER", "SET_HK_PERIOD"]
    # Telemetry: each robot sends BOOT, then one housekeeping packet per 300 s step (288 in
    # the day); rover_r1 one more on request; rover_r2 a RAIL_SWITCHED event, and one fewer
    # housekeeping packet: SET_HK_PERIOD at 60300 s restarts its period, so none is due at
    # its 60300 s step.
    r1_tm, r2_tm = 1 + 288 + 1, 1 + 288 - 1 + 1
    stored = lander.store.appended
    assert stored == r1_tm + r2_tm + 4
    assert lander.store.undelivered == 2  # the last tick's housekeeping, after the window
    assert len(received) == stored - 2
    assert_exactly_once(received)
    telemetry = Counter(r.robot for r in received if r.kind is RecordKind.TELEMETRY)
    assert telemetry == {"rover_r1": r1_tm - 1, "rover_r2": r2_tm - 1}
    kinds = Counter(r.body.get("event") for r in received if r.kind is RecordKind.TELEMETRY)
    assert kinds["BOOT"] == 2 and kinds["RAIL_SWITCHED"] == 1
    assert sim.bus.soc_wh >= sim.power.battery_reserve_wh
    assert lander.fault is None


def test_records_are_downlinked_only_in_contact_windows(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(3000.0, 3600.0)])
    sim.lander.start()
    sim.run_until(2700.0)
    assert sim.earth.receive() == []
    held = sim.lander.store.appended
    assert held == 2 * 10  # BOOT + housekeeping at 0, then housekeeping every 300 s
    sim.run_until(3000.0)
    first = sim.earth.receive()
    assert [r.n for r in first] == list(range(held + 2))  # the backlog, oldest first
    sim.run_until(6000.0)
    assert [r.time_s for r in sim.earth.receive()] == [3300.0, 3300.0]  # 3600 is outside
    assert sim.lander.store.undelivered == 2 * 9  # the ticks from 3600 s to 6000 s


def test_the_downlink_rate_limits_records_per_tick(tmp_path: Path) -> None:
    config = LanderConfig(period_s=PERIOD_S, downlink_per_tick=5)
    sim = make_sim(tmp_path, windows_s=[(3000.0, 4000.0)], config=config)
    sim.lander.start()
    sim.run_until(3000.0)
    assert len(sim.earth.receive()) == 5
    sim.run_until(3900.0)
    assert len(sim.earth.receive()) == 15
    assert_exactly_once(sim.earth.received)


# ---- relay ----------------------------------------------------------------------------------


def test_commands_wait_for_the_robots_link_and_keep_their_order(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(0.0, DAY_S)])
    r2 = sim.robots["rover_r2"]
    r2.silent = True
    for i in range(3):
        sim.earth.send(RelayCommand(f"r2-{i}", "rover_r2", "NOOP"))
    sim.earth.send(RelayCommand("r1-0", "rover_r1", "STOP"))
    sim.lander.start()
    sim.run_until(1200.0)
    assert [c.id for c in sim.lander.queue] == ["r2-0", "r2-1", "r2-2"]
    assert not sim.lander.link_up("rover_r2")
    assert sim.robots["rover_r1"].executed == ["STOP"]
    r2.silent = False
    sim.run_until(1800.0)
    assert list(sim.lander.queue) == []
    assert r2.executed == ["NOOP", "NOOP", "NOOP"]
    acks = [r.body["command"] for r in sim.earth.receive() if r.kind is RecordKind.ACK]
    assert acks == ["r1-0", "r2-0", "r2-1", "r2-2"]


def test_bad_uplinks_are_answered_and_never_forwarded(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(0.0, DAY_S)])
    sim.earth.send(RelayCommand("a", "rover_r9", "NOOP"))
    sim.earth.send(RelayCommand("b", "rover_r1", "DRIVE", {"left_mps": 9.0}))
    sim.earth.send(RelayCommand("c", "rover_r1", "NOOP"))
    sim.earth.send(RelayCommand("c", "rover_r1", "NOOP"))  # Earth repeats itself
    bad = SpacePacket.build(apid=EARTH_UPLINK_APID, data=b"{", packet_type=PacketType.TC)
    sim.earth.send_raw(encode_frame(bad.encode()))
    sim.lander.start()
    sim.run_until(900.0)
    acks = {r.body["command"]: r.body for r in sim.earth.receive() if r.kind is RecordKind.ACK}
    assert acks["a"]["status"] == "rejected" and "rover_r9" in acks["a"]["error"]
    assert acks["b"]["status"] == "rejected" and "DRIVE" in acks["b"]["error"]
    assert acks["?"]["status"] == "rejected" and "not JSON" in acks["?"]["error"]
    assert acks["c"]["status"] == "EXECUTED"
    assert sim.robots["rover_r1"].executed == ["NOOP"]
    assert sim.lander.rejected_uplinks == 3
    assert sim.lander.fault is None


def test_a_robot_in_safe_mode_is_reported_to_earth_at_the_next_contact(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(3000.0, 4000.0)], charge_w=0.0)
    sim.lander.start()
    sim.run_until(900.0)
    sim.robots["rover_r2"].model.battery_soc_pct = 0.0  # browns out into SAFE
    sim.run_until(1500.0)
    assert (1200.0, "robot_safe", "operating_nominal") in events(sim.lander)
    assert sim.lander.robots["rover_r2"].safe
    assert sim.earth.receive() == []  # no contact yet
    sim.run_until(3000.0)
    notices = [r for r in sim.earth.receive() if r.kind is RecordKind.NOTICE]
    assert [(r.time_s, r.robot, r.body) for r in notices] == [
        (1200.0, "rover_r2", {"notice": "robot_safe"})
    ]
    assert sum(t.event == "robot_safe" for t in sim.lander.transitions) == 1
    assert sim.lander.fault is None


# ---- supervision and FAULT paths ------------------------------------------------------------


def test_a_robot_that_stops_sending_heartbeats_goes_silent_then_lost(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(0.0, DAY_S)])
    sim.lander.start()
    sim.run_until(1200.0)  # last heard at 1200 (its housekeeping of 900)
    sim.robots["rover_r1"].silent = True
    sim.run_until(6000.0)
    lander = sim.lander
    assert events(lander)[-3:] == [
        (2100.0, "robot_silent", "operating_downlinking"),  # last heard at 1200 s
        (4800.0, "robot_lost", "fault"),
        (5100.0, "safed", "safe"),
    ]
    assert lander.state == LanderState.SAFE
    assert lander.fault is not None and lander.fault.detail == {
        "robot": "rover_r1",
        "silent_for_s": 3600.0,
    }
    assert set(sim.bus.switched) == {"survival_heaters"}
    notices = [r.body["notice"] for r in lander.store.pending(1000) if r.kind is RecordKind.NOTICE]
    notices += [r.body["notice"] for r in sim.earth.receive() if r.kind is RecordKind.NOTICE]
    assert sorted(notices) == ["robot_lost", "robot_silent"]


def test_a_silent_robot_heard_again_is_back_and_gets_its_commands(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(0.0, DAY_S)])
    sim.lander.start()
    sim.run_until(600.0)
    sim.robots["rover_r1"].silent = True
    sim.run_until(2100.0)
    assert not sim.lander.link_up("rover_r1")
    sim.earth.send(RelayCommand("k", "rover_r1", "NOOP"))
    sim.run_until(2400.0)
    assert [c.id for c in sim.lander.queue] == ["k"]
    sim.robots["rover_r1"].silent = False
    sim.run_until(3000.0)
    assert [e for e in events(sim.lander) if e[1].startswith("robot_")] == [
        (1500.0, "robot_silent", "operating_downlinking"),
        (2700.0, "robot_heard", "operating_downlinking"),
    ]
    assert sim.robots["rover_r1"].executed == ["NOOP"]
    assert sim.lander.state == LanderState.DOWNLINKING


def test_silence_is_not_counted_while_the_radio_is_off(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    lander = sim.lander
    lander.start()
    sim.run_until(600.0)
    lander.suspend()  # a safety behaviour takes over: survival only, the radio is off
    assert set(sim.bus.switched) == {"survival_heaters"}
    sim.clock.advance(7200.0)
    lander.resume_work()
    assert lander.comms_up
    sim.run_until(sim.clock.now_s + 600.0)
    assert lander.fault is None
    assert not any(t.event.startswith("robot_") for t in lander.transitions)


def test_a_bus_overload_faults_and_sheds_to_survival(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    sim.lander.start()
    sim.run_until(600.0)
    sim.bus.forced_w = 1000.0  # a short on the bus
    sim.run_until(1200.0)
    lander = sim.lander
    assert events(lander)[-2:] == [(900.0, "bus_overload", "fault"), (1200.0, "safed", "safe")]
    assert lander.fault is not None and lander.fault.detail["capacity_w"] == 1200.0
    assert lander.fault.detail["draw_w"] == pytest.approx(150 + 80 + 2 * 100 + 1000)
    assert set(sim.bus.switched) == {"survival_heaters"}


def test_a_load_drawing_more_than_it_asked_overloads_the_bus(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, charge_w=400.0)
    sim.lander.start()
    sim.run_until(300.0)
    sim.bus.overdraw_w["charge_rover_r1"] = 400.0
    sim.run_until(600.0)
    assert sim.lander.fault is not None and sim.lander.fault.event == "bus_overload"


def drained_sim(tmp_path: Path, initial_wh: float) -> LanderSim:
    power = PowerConfig(
        battery_capacity_wh=2000.0, battery_reserve_wh=1000.0, battery_initial_wh=initial_wh
    )
    return make_sim(tmp_path, illumination=lambda t: 0.0, power=power, charge_w=0.0)


def test_a_forced_load_sheds_loads_then_survival_is_battery_critical(tmp_path: Path) -> None:
    sim = drained_sim(tmp_path, 1200.0)
    sim.lander.start()
    sim.lander.request_power(LoadRequest("camera", LoadClass.INSTRUMENTS, 100.0))
    sim.run_until(300.0)
    sim.bus.forced_w = 600.0  # a stuck relay the lander cannot switch off
    sim.run_until(1500.0)
    lander = sim.lander
    assert [e for e in events(lander) if e[0] > 0.0] == [
        (300.0, "sunset", "operating_night"),
        (300.0, "loads_shed", "operating_night"),  # the camera: night
        (900.0, "battery_critical", "fault"),
        (1200.0, "safed", "safe"),
    ]
    assert lander.fault is not None and lander.fault.detail["shed"] == ["survival_heaters"]


def test_a_battery_drained_below_its_reserve_is_battery_critical(tmp_path: Path) -> None:
    sim = drained_sim(tmp_path, 1050.0)
    sim.lander.start()
    sim.run_until(300.0)
    assert sim.bus.soc_wh >= 1000.0
    sim.bus.forced_w = 900.0
    sim.run_until(600.0)
    lander = sim.lander
    assert lander.fault is not None and lander.fault.event == "battery_critical"
    assert lander.fault.time_s == 600.0 and lander.fault.detail["soc_wh"] < 1000.0


def test_a_robot_that_never_acknowledges_is_relay_failed(tmp_path: Path) -> None:
    config = LanderConfig(period_s=PERIOD_S, link_timeout_s=0.02, link_retries=1)
    sim = make_sim(tmp_path, windows_s=[(0.0, DAY_S)], config=config)
    sim.robots["rover_r1"].deaf = True  # heartbeats go out, commands never arrive
    sim.earth.send(RelayCommand("x", "rover_r1", "NOOP"))
    sim.earth.send(RelayCommand("y", "rover_r1", "NOOP"))
    sim.lander.start()
    sim.run_until(900.0)
    lander = sim.lander
    assert lander.fault is not None and lander.fault.event == "relay_failed"
    assert lander.fault.detail == {"robot": "rover_r1", "command": "x"}
    assert [c.id for c in lander.queue] == ["y"]  # not lost; "x" is reported, not retried
    failed = [r.body for r in lander.store.pending(1000) if r.kind is RecordKind.ACK]
    assert failed[0]["command"] == "x" and failed[0]["status"] == "relay_failed"
    assert "no ack after 2 transmissions" in failed[0]["error"]
    assert lander.state == LanderState.SAFE


def test_a_robot_transport_that_fails_is_a_link_error(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    sim.lander.start()
    sim.run_until(600.0)
    sim.robots["rover_r2"].disconnect()  # the cable is cut
    sim.run_until(900.0)
    lander = sim.lander
    assert lander.fault is not None and lander.fault.event == "link_error"
    assert lander.fault.detail["link"] == "rover_r2"


def test_a_full_store_faults_and_loses_nothing(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, store_capacity=10)
    sim.lander.start()
    sim.run_until(3000.0)
    lander = sim.lander
    assert lander.fault is not None and lander.fault.event == "store_full"
    assert lander.fault.time_s == 1200.0 and lander.fault.detail["undelivered"] == 10
    assert TelemetryStore(sim.store_path).appended == 10  # everything heard is kept


def test_an_earth_link_drop_mid_downlink_loses_and_repeats_nothing(tmp_path: Path) -> None:
    sim = make_sim(tmp_path, windows_s=[(3000.0, 4000.0), (6900.0, 8000.0)])
    sim.earth_transport.break_after_sends = 7
    sim.lander.start()
    sim.run_until(3000.0)
    lander = sim.lander
    assert lander.fault is not None and lander.fault.event == "link_error"
    assert lander.fault.detail["link"] == "earth"
    sim.run_until(3300.0)
    assert lander.state == LanderState.SAFE
    assert len(sim.earth.receive()) == 7
    assert lander.store.downlinked == 7
    sim.earth_transport.heal()
    lander.resume()
    sim.run_until(8100.0)
    sim.earth.receive()
    assert_exactly_once(sim.earth.received)
    assert len(sim.earth.received) == lander.store.appended - 2  # all but the 8100 s tick's
    assert events(lander) == [
        (0.0, "start", "operating_nominal"),
        (3000.0, "contact_start", "operating_downlinking"),
        (3000.0, "link_error", "fault"),  # on the 8th record
        (3300.0, "safed", "safe"),
        (3300.0, "resume", "operating_nominal"),
        (3600.0, "contact_start", "operating_downlinking"),  # the rest of the window
        (4200.0, "contact_end", "operating_nominal"),
        (6900.0, "contact_start", "operating_downlinking"),
        (8100.0, "contact_end", "operating_nominal"),
    ]


def test_an_exception_in_the_work_faults_and_stops_it(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    sim.lander.start()
    sim.run_until(300.0)
    sim.lander.trigger("sunrise")  # not accepted in nominal
    assert sim.lander.state == LanderState.FAULT
    assert sim.lander.fault is not None and sim.lander.fault.event == "exception"
    assert set(sim.bus.switched) == {"survival_heaters"}
    sim.run_until(600.0)
    assert sim.lander.state == LanderState.SAFE


def test_every_fault_event_leads_from_operating_to_fault() -> None:
    from ilrs_auto.mission.lander import TRANSITIONS

    into_fault = {t["trigger"] for t in TRANSITIONS if t["dest"] == "fault"}
    assert into_fault == set(FAULT_EVENTS)


# ---- checkpoints ----------------------------------------------------------------------------


PATIENT = LanderConfig(period_s=PERIOD_S, heartbeat_timeout_s=900.0, lost_timeout_s=50000.0)
"""Silence is not yet loss after 40000 s."""


def checkpoint_run(
    tmp_path: Path, checkpoint_at_s: float | None, restart_at_s: float | None
) -> LanderSim:
    """The day with rover_r2 silent until 40000 s (its command waits in the queue) and a
    command uplinked at 20000 s; the lander is checkpointed (as JSON) at ``checkpoint_at_s``
    and at ``restart_at_s`` dropped and rebuilt from that checkpoint and the store file."""
    sim = day_sim(tmp_path, PATIENT)
    sim.robots["rover_r2"].silent = True
    actions = {
        20000.0: lambda: sim.earth.send(RelayCommand("late", "rover_r1", "NOOP")),
        40000.0: lambda: setattr(sim.robots["rover_r2"], "silent", False),
    }
    stops = sorted({*actions, DAY_S} | {t for t in (checkpoint_at_s, restart_at_s) if t})
    saved: dict[str, Any] = {}
    sim.lander.start()
    for t_s in stops:
        sim.run_until(t_s)
        if t_s == checkpoint_at_s:
            saved = json.loads(json.dumps(sim.lander.checkpoint()))
        if t_s == restart_at_s:
            sim.lander.store.close()
            sim.lander.close()
            sim.lander = sim.build_lander()
            sim.lander.restore(saved)
            sim.lander.resume_work()
        if t_s in actions:
            actions[t_s]()
    sim.earth.receive()
    return sim


def outcome(sim: LanderSim) -> tuple[Any, ...]:
    return (
        [(r.n, r.time_s, r.kind, r.robot, r.body) for r in sim.earth.received],
        {name: robot.executed for name, robot in sim.robots.items()},
        sim.lander.store.appended,
        sim.lander.relayed,
    )


def test_a_checkpoint_round_trip_continues_as_if_nothing_happened(tmp_path: Path) -> None:
    plain = checkpoint_run(tmp_path / "a", None, None)
    restarted = checkpoint_run(tmp_path / "b", 30000.0, 30000.0)
    assert restarted.lander.transitions == plain.lander.transitions
    assert outcome(restarted) == outcome(plain)
    assert_exactly_once(restarted.earth.received)
    # The queue crossed the restart: rover_r2's command waited and went once.
    assert restarted.robots["rover_r2"].executed == ["SET_POWER"]
    assert restarted.robots["rover_r1"].executed == ["REQUEST_HOUSEKEEPING", "NOOP", "NOOP"]


def test_a_checkpoint_holds_the_queue_and_the_store_position(tmp_path: Path) -> None:
    sim = day_sim(tmp_path, PATIENT)
    sim.robots["rover_r2"].silent = True
    sim.lander.start()
    sim.run_until(30000.0)
    data = sim.lander.checkpoint()["data"]
    assert [c["id"] for c in data["queue"]] == ["c2"]
    assert data["store"] == {
        "appended": sim.lander.store.appended,
        "downlinked": sim.lander.store.downlinked,
    }
    assert data["robots"]["rover_r1"]["next_seq"] == 3


def test_an_older_checkpoint_with_the_newer_store_repeats_nothing(tmp_path: Path) -> None:
    plain = checkpoint_run(tmp_path / "a", None, None)
    # Checkpointed at 20000 s, crashed at 70000 s: in between, rover_r2 came back, its
    # command and "late" were forwarded and a window downlinked; the store knows all that.
    stale = checkpoint_run(tmp_path / "b", 20000.0, 70000.0)
    assert_exactly_once(stale.earth.received)
    assert stale.robots["rover_r2"].executed == ["SET_POWER"]
    assert stale.robots["rover_r1"].executed == ["REQUEST_HOUSEKEEPING", "NOOP", "NOOP"]
    assert outcome(stale) == outcome(plain)
    # The transition log is the checkpoint's (the supervisor's recorder keeps the rest):
    # rover_r2, silent when it was taken, is heard again at the first tick after the restart.
    heard = [t.time_s for t in stale.lander.transitions if t.event == "robot_heard"]
    assert heard == [70200.0]


def test_a_store_behind_its_checkpoint_is_refused(tmp_path: Path) -> None:
    sim = make_sim(tmp_path)
    sim.lander.start()
    sim.run_until(900.0)
    saved = sim.lander.checkpoint()
    other = make_sim(tmp_path / "elsewhere")
    with pytest.raises(StoreBehindCheckpointError, match="holds 0 records"):
        other.lander.restore(saved)


def test_configuration_errors_name_the_value() -> None:
    with pytest.raises(ValueError, match="heartbeat_timeout_s"):
        LanderConfig(heartbeat_timeout_s=10.0, lost_timeout_s=5.0)
    with pytest.raises(ValueError, match="radio_load 'antenna'"):
        LanderConfig(radio_load="antenna")
    with pytest.raises(ValueError, match="battery_reserve_wh 9000"):
        PowerConfig(battery_reserve_wh=9000.0)
    with pytest.raises(ValueError, match="overlaps or is out of order"):
        ContactWindows([(10.0, 20.0), (15.0, 30.0)])
    with pytest.raises(ValueError, match="power_w must be >= 0"):
        LoadRequest("x", LoadClass.INSTRUMENTS, -1.0)
