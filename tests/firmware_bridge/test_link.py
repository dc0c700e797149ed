"""Authenticated commanding: every rejection path of the reference endpoint (counted, never
executed), and the CommandLink over a loopback: round trips, retries, duplicates, resync,
timeouts, telemetry."""

from __future__ import annotations

import struct
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from firmware_bridge.auth import KeyRing, load_key_file, sign_command
from firmware_bridge.dictionary import (
    Ack,
    AckStatus,
    Dictionary,
    EventRecord,
    TelemetryRecord,
    TmRecord,
    default_dictionary,
)
from firmware_bridge.framing import encode_frame
from firmware_bridge.link import (
    CommandLink,
    CommandOutcomeUnknownError,
    CommandRejectedError,
    CommandTimeoutError,
    RobotEndpoint,
    StaleSequenceError,
    decode_records,
)
from firmware_bridge.sim_mcu import RoverMcuModel
from firmware_bridge.space_packet import PacketType, SequenceFlags, SpacePacket
from firmware_bridge.testing import EndpointThread
from firmware_bridge.transport import ImpairedTransport, LoopbackTransport, Transport

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"
ROVER_R1 = 1


@pytest.fixture(scope="module")
def d() -> Dictionary:
    return default_dictionary()


@pytest.fixture(scope="module")
def keys(d: Dictionary) -> KeyRing:
    return load_key_file(TEST_KEYS, d)


class Clock:
    """A settable MCU clock, ms."""

    def __init__(self) -> None:
        self.now_ms = 1000

    def __call__(self) -> int:
        return self.now_ms


@dataclass
class Robot:
    endpoint: RobotEndpoint
    model: RoverMcuModel
    clock: Clock


@pytest.fixture
def robot(d: Dictionary, keys: KeyRing) -> Robot:
    # rover_r1 holds the CNSA, Roscosmos and SUPARCO keys, not NARIT's.
    model = RoverMcuModel()
    clock = Clock()
    endpoint = RobotEndpoint(d, keys.only(1, 2, 10, 20), ROVER_R1, model, clock_ms=clock)
    return Robot(endpoint, model, clock)


# ------------------------------------------------------------------------------------------
# Packet-level checks of the endpoint (PROTOCOL.md 3)
# ------------------------------------------------------------------------------------------


def tc_packet(
    keys: KeyRing,
    *,
    key_id: int = 1,
    robot_id: int = ROVER_R1,
    seq: int,
    opcode: int = 0x0001,
    args: bytes = b"",
    sign_with: bytes | None = None,
    count: int = 0,
) -> bytes:
    key = sign_with if sign_with is not None else keys[key_id]
    signed = sign_command(
        key, apid=0x100, key_id=key_id, robot_id=robot_id, seq=seq, opcode=opcode, args=args
    )
    return SpacePacket.build(
        apid=0x100, data=signed.data, packet_type=PacketType.TC, sequence_count=count
    ).encode()


def answer(d: Dictionary, robot: Robot, raw: bytes) -> tuple[Ack | None, list[TmRecord]]:
    records = decode_records(d, robot.endpoint.handle_packet(raw))
    acks = [r for r in records if isinstance(r, Ack)]
    assert len(acks) <= 1
    return (acks[0] if acks else None), [r for r in records if not isinstance(r, Ack)]


def drive_args(left: float = 0.1, right: float = 0.1, duration_ms: int = 1000) -> bytes:
    return struct.pack(">ffI", left, right, duration_ms)


def test_a_good_command_is_executed_once_and_acknowledged(
    d: Dictionary, keys: KeyRing, robot: Robot
) -> None:
    ack, after = answer(d, robot, tc_packet(keys, seq=1, opcode=0x10, args=drive_args()))
    assert ack is not None
    assert (ack.status, ack.seq, ack.key_id, ack.opcode, ack.repeat, ack.highest_seq) == (
        AckStatus.ACCEPTED,
        1,
        1,
        0x10,
        False,
        1,
    )
    assert after == []
    assert robot.model.executed == [
        (
            "DRIVE",
            {"left_mps": pytest.approx(0.1), "right_mps": pytest.approx(0.1), "duration_ms": 1000},
        )
    ]
    assert robot.endpoint.counters.accepted == 1


def _rejection_cases(keys: KeyRing) -> Iterator[tuple[str, bytes, AckStatus, int]]:
    good = tc_packet(keys, seq=50, opcode=0x10, args=drive_args())
    forged = bytearray(good)
    forged[-16:] = bytes(16)
    yield "forged MAC", bytes(forged), AckStatus.BAD_MAC, 0
    altered = bytearray(good)
    altered[6 + 8] ^= 0x40  # left_mps 0.1 -> a different speed
    yield "altered argument byte", bytes(altered), AckStatus.BAD_MAC, 0
    altered_hdr = bytearray(good)
    altered_hdr[6 + 1] = 2  # retarget to rover_r2 without re-signing
    yield "altered robot id", bytes(altered_hdr), AckStatus.BAD_MAC, 0
    yield "wrong key", tc_packet(keys, seq=51, sign_with=keys[2]), AckStatus.BAD_MAC, 0
    yield (
        "key unknown to the dictionary",
        tc_packet(keys, key_id=99, seq=1, sign_with=keys[1]),
        AckStatus.UNKNOWN_KEY,
        0,
    )
    yield (
        "key this robot does not hold",
        tc_packet(keys, key_id=30, seq=1),
        AckStatus.UNKNOWN_KEY,
        0,
    )
    yield (
        "partner not allowed on this robot",
        tc_packet(keys, key_id=10, seq=1),
        AckStatus.NOT_AUTHORIZED,
        0,
    )
    yield (
        "partner not allowed this command",
        tc_packet(keys, key_id=20, seq=1, opcode=0x10, args=drive_args()),
        AckStatus.NOT_AUTHORIZED,
        0,
    )
    yield (
        "addressed to another robot",
        tc_packet(keys, robot_id=2, seq=52),
        AckStatus.WRONG_TARGET,
        2,
    )
    yield "unknown opcode", tc_packet(keys, seq=53, opcode=0x0777), AckStatus.UNKNOWN_OPCODE, 0
    yield (
        "argument bytes missing",
        tc_packet(keys, seq=54, opcode=0x10, args=drive_args()[:-1]),
        AckStatus.BAD_LENGTH,
        36,
    )
    yield (
        "argument bytes extra",
        tc_packet(keys, seq=55, opcode=0x01, args=b"\x00"),
        AckStatus.BAD_LENGTH,
        24,
    )
    yield (
        "speed out of range",
        tc_packet(keys, seq=56, opcode=0x10, args=drive_args(right=0.6)),
        AckStatus.ARG_OUT_OF_RANGE,
        1,
    )
    yield (
        "NaN speed",
        tc_packet(keys, seq=57, opcode=0x10, args=struct.pack(">ffI", float("nan"), 0.0, 1)),
        AckStatus.ARG_OUT_OF_RANGE,
        0,
    )
    yield (
        "duration out of range",
        tc_packet(keys, seq=58, opcode=0x10, args=drive_args(duration_ms=600_001)),
        AckStatus.ARG_OUT_OF_RANGE,
        2,
    )
    yield (
        "enum out of range",
        tc_packet(keys, seq=59, opcode=0x20, args=b"\x04\x01"),
        AckStatus.ARG_OUT_OF_RANGE,
        0,
    )
    yield (
        "bool out of range",
        tc_packet(keys, seq=60, opcode=0x20, args=b"\x00\x02"),
        AckStatus.ARG_OUT_OF_RANGE,
        1,
    )
    yield (
        "period out of range",
        tc_packet(keys, seq=61, opcode=0x31, args=struct.pack(">H", 99)),
        AckStatus.ARG_OUT_OF_RANGE,
        0,
    )
    yield "sequence number zero", _seq_zero(keys), AckStatus.REPLAY, 0
    short = SpacePacket.build(
        apid=0x100, data=bytes.fromhex("0101000000aa00"), packet_type=PacketType.TC
    ).encode()
    yield "data field too short", short, AckStatus.BAD_LENGTH, 24


def _seq_zero(keys: KeyRing) -> bytes:
    # sign_command refuses seq 0, so build the packet by hand with a valid MAC.
    from firmware_bridge.auth import compute_mac

    body = struct.pack(">BBIH", 1, ROVER_R1, 0, 1)
    header = SpacePacket.build(
        apid=0x100, data=bytes(len(body) + 16), packet_type=PacketType.TC
    ).encode()[:6]
    return header + body + compute_mac(keys[1], header, body)


CASES = list(_rejection_cases(load_key_file(TEST_KEYS)))


@pytest.mark.parametrize(
    ("raw", "status", "detail"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_rejection_is_acknowledged_counted_and_never_executed(
    d: Dictionary, robot: Robot, raw: bytes, status: AckStatus, detail: int
) -> None:
    ack, after = answer(d, robot, raw)
    assert ack is not None
    assert (ack.status, ack.detail, ack.repeat) == (status, detail, False)
    assert robot.model.executed == []
    assert robot.endpoint.counters.rejected == {status.name: 1}
    assert robot.endpoint.counters.accepted == 0
    (event,) = after
    assert isinstance(event, EventRecord)
    assert event.name == "CMD_REJECTED"
    assert event.args["status"] == status
    hk = d.decode_housekeeping(SpacePacket.decode(robot.endpoint.housekeeping_packet()).data)
    assert (hk["commands_rejected"], hk["last_rejected_reason"]) == (1, status)


def test_rejections_before_the_mac_check_do_not_move_the_window(
    d: Dictionary, keys: KeyRing, robot: Robot
) -> None:
    forged = bytearray(tc_packet(keys, seq=1000))
    forged[-1] ^= 1
    ack, _ = answer(d, robot, bytes(forged))
    assert ack is not None and ack.status == AckStatus.BAD_MAC
    ack, _ = answer(d, robot, tc_packet(keys, seq=5))
    assert ack is not None and ack.status == AckStatus.EXECUTED
    assert ack.highest_seq == 5  # the forged 1000 never counted


def test_a_duplicate_gets_the_original_ack_repeated_and_is_not_executed(
    d: Dictionary, keys: KeyRing, robot: Robot
) -> None:
    first = tc_packet(keys, seq=7, opcode=0x20, args=b"\x01\x01", count=3)
    ack1, events1 = answer(d, robot, first)
    retry = tc_packet(keys, seq=7, opcode=0x20, args=b"\x01\x01", count=4)  # new packet count
    robot.clock.now_ms += 250
    ack2, events2 = answer(d, robot, retry)
    assert ack1 is not None and ack2 is not None
    assert (ack2.status, ack2.opcode, ack2.detail, ack2.seq) == (
        ack1.status,
        ack1.opcode,
        ack1.detail,
        7,
    )
    assert ack2.repeat and not ack1.repeat
    assert ack2.uptime_ms == ack1.uptime_ms + 250
    assert [e.name for e in events1 if isinstance(e, EventRecord)] == ["RAIL_SWITCHED"]
    assert events2 == []
    assert robot.model.executed == [("SET_POWER", {"rail": 1, "on": True})]
    assert robot.endpoint.counters.duplicates == 1
    # A rejected command's duplicate repeats the rejection, again without executing.
    bad = tc_packet(keys, seq=8, opcode=0x10, args=drive_args(left=0.9))
    answer(d, robot, bad)
    ack3, _ = answer(d, robot, bad)
    assert ack3 is not None and ack3.repeat and ack3.status == AckStatus.ARG_OUT_OF_RANGE
    assert len(robot.model.executed) == 1


def test_replays_below_the_window_are_rejected_and_out_of_order_within_it_accepted(
    d: Dictionary, keys: KeyRing, robot: Robot
) -> None:
    early = tc_packet(keys, seq=10)
    for seq in (10, 100):
        ack, _ = answer(d, robot, tc_packet(keys, seq=seq))
        assert ack is not None and ack.status == AckStatus.EXECUTED
    ack, _ = answer(d, robot, early)
    assert ack is not None and (ack.status, ack.highest_seq) == (AckStatus.REPLAY, 100)
    ack, _ = answer(d, robot, tc_packet(keys, seq=37))  # 63 behind: inside the window, unseen
    assert ack is not None and ack.status == AckStatus.EXECUTED
    ack, _ = answer(d, robot, tc_packet(keys, seq=36))  # 64 behind: outside
    assert ack is not None and ack.status == AckStatus.REPLAY
    assert len(robot.model.executed) == 3
    # Windows are per key: key 2 starts fresh.
    ack, _ = answer(d, robot, tc_packet(keys, key_id=2, seq=1))
    assert ack is not None and (ack.status, ack.highest_seq) == (AckStatus.EXECUTED, 1)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: SpacePacket.build(apid=0x100, data=p.data, packet_type=PacketType.TM),
        lambda p: SpacePacket.build(apid=0x0FF, data=p.data, packet_type=PacketType.TC),
        lambda p: SpacePacket.build(
            apid=0x100, data=p.data, packet_type=PacketType.TC, sequence_flags=SequenceFlags.FIRST
        ),
        lambda p: SpacePacket.build(
            apid=0x100, data=p.data, packet_type=PacketType.TC, secondary_header_flag=True
        ),
    ],
    ids=["telemetry type", "other APID", "segmented", "secondary header flag"],
)
def test_packets_that_are_not_commands_for_us_are_dropped_silently(
    d: Dictionary, keys: KeyRing, robot: Robot, mutate: Any
) -> None:
    packet = mutate(SpacePacket.decode(tc_packet(keys, seq=1)))
    assert robot.endpoint.handle_packet(packet.encode()) == []
    assert robot.endpoint.handle_packet(b"\xe0\x00\x00\x00\x00\x00\x00") == []  # version 7
    assert robot.endpoint.counters.dropped == 2
    assert robot.model.executed == []


def test_bytes_level_feed_counts_bad_frames(d: Dictionary, keys: KeyRing, robot: Robot) -> None:
    good = encode_frame(tc_packet(keys, seq=1))
    bad = bytearray(encode_frame(tc_packet(keys, seq=2)))
    bad[-1] ^= 0xFF
    reply = robot.endpoint.feed(bytes(bad) + b"noise" + good)
    assert robot.endpoint.counters.frames_bad == 1
    assert robot.endpoint.counters.frames_ok == 1
    ground = CommandLink(
        LoopbackTransport.pair()[0], d, KeyRing({1: bytes(32)}), key_id=1, robot_id=1
    )
    assert ground.process(reply) == []  # the one ack is consumed by the link, not returned
    assert ground.counters.acks == 1


# ------------------------------------------------------------------------------------------
# CommandLink over a loopback to the endpoint in a thread
# ------------------------------------------------------------------------------------------


@dataclass
class Rig:
    link: CommandLink
    endpoint: RobotEndpoint
    model: RoverMcuModel
    server: EndpointThread


def make_rig(
    d: Dictionary,
    keys: KeyRing,
    *,
    key_id: int = 1,
    ground: Mapping[str, Any] | None = None,
    robot_transport: Any = None,
    link_transport: Any = None,
    model: RoverMcuModel | None = None,
    endpoint: RobotEndpoint | None = None,
) -> Rig:
    a, b = LoopbackTransport.pair()
    model = model or RoverMcuModel()
    endpoint = endpoint or RobotEndpoint(d, keys.only(1, 2, 10, 20), ROVER_R1, model)
    robot_side: Transport = robot_transport(b) if robot_transport else b
    ground_side: Transport = link_transport(a) if link_transport else a
    server = EndpointThread(endpoint, robot_side).start()
    options: dict[str, Any] = {"timeout_s": 0.2, "retries": 3}
    options.update(ground or {})
    link = CommandLink(ground_side, d, keys, key_id=key_id, robot_id=ROVER_R1, **options)
    return Rig(link, endpoint, model, server)


@pytest.fixture
def rig(d: Dictionary, keys: KeyRing) -> Iterator[Rig]:
    made = make_rig(d, keys)
    yield made
    made.server.stop()


SAMPLE_ARGS: dict[str, dict[str, Any]] = {
    "NOOP": {},
    "DRIVE": {"left_mps": 0.2, "right_mps": -0.1, "duration_ms": 50},
    "STOP": {},
    "CLEAR_SAFE": {},
    "SET_POWER": {"rail": "CAMERA", "on": True},
    "REQUEST_HOUSEKEEPING": {},
    "SET_HK_PERIOD": {"period_ms": 60000},
}


def test_every_command_round_trips_over_the_link(d: Dictionary, rig: Rig) -> None:
    assert set(SAMPLE_ARGS) == {c.name for c in d.commands}
    for command in d.commands:
        result = rig.link.send(command.name, SAMPLE_ARGS[command.name])
        assert result.succeeded, result
        assert result.attempts == 1
        assert result.ack.opcode == command.opcode
        expected = AckStatus.ACCEPTED if command.name == "DRIVE" else AckStatus.EXECUTED
        assert result.status == expected
    assert [name for name, _ in rig.model.executed] == [c.name for c in d.commands]
    assert rig.model.executed[1][1]["right_mps"] == pytest.approx(-0.1)
    assert rig.model.executed[4][1] == {"rail": 3, "on": True}
    assert rig.link.latest_housekeeping is not None  # REQUEST_HOUSEKEEPING delivered one
    assert rig.link.counters.succeeded == len(d.commands)
    assert rig.link.counters.retransmissions == 0
    assert rig.link.next_seq == len(d.commands) + 1


def test_telemetry_and_events_are_decoded_as_they_arrive(rig: Rig) -> None:
    seen: list[TmRecord] = []
    rig.link._on_telemetry = seen.append
    rig.link.send("SET_HK_PERIOD", {"period_ms": 100})
    rig.link.send("SET_POWER", {"rail": "HEATER", "on": True})
    deadline = time.monotonic() + 2.0
    while rig.link.counters.housekeeping < 3 and time.monotonic() < deadline:
        rig.link.poll(0.05)
    assert rig.link.counters.housekeeping >= 3
    hk = rig.link.latest_housekeeping
    assert hk is not None and hk.text("rails") == "HEATER|RADIO"
    assert hk["commands_accepted"] == 2
    names = [r.name for r in seen if isinstance(r, EventRecord)]
    assert names[:2] == ["BOOT", "RAIL_SWITCHED"]
    assert all(isinstance(r, TelemetryRecord | EventRecord) for r in seen)
    assert rig.link.counters.tm_gaps == 0


def test_a_rejection_is_a_typed_failure(d: Dictionary, keys: KeyRing) -> None:
    rig = make_rig(d, keys, key_id=20)  # SUPARCO may not drive rover_r1
    try:
        with pytest.raises(
            CommandRejectedError, match="DRIVE seq 1 rejected: NOT_AUTHORIZED"
        ) as caught:
            rig.link.send("DRIVE", SAMPLE_ARGS["DRIVE"])
        assert caught.value.result.ack.status == AckStatus.NOT_AUTHORIZED
        result = rig.link.send("DRIVE", SAMPLE_ARGS["DRIVE"], check=False)
        assert not result.succeeded and result.seq == 2
        assert rig.link.send("NOOP").succeeded
        assert rig.model.executed == [("NOOP", {})]
        assert rig.link.counters.rejected == 2
    finally:
        rig.server.stop()


def test_no_robot_means_a_timeout_after_every_retry(d: Dictionary, keys: KeyRing) -> None:
    a, _b = LoopbackTransport.pair()
    link = CommandLink(a, d, keys, key_id=1, robot_id=1, timeout_s=0.02, retries=2)
    started = time.monotonic()
    with pytest.raises(
        CommandTimeoutError, match="NOOP seq 1: no ack after 3 transmissions"
    ) as caught:
        link.send("NOOP")
    assert isinstance(caught.value, CommandOutcomeUnknownError)
    assert time.monotonic() - started >= 0.06
    assert (link.counters.transmissions, link.counters.retransmissions) == (3, 2)
    assert link.counters.outcome_unknown == 1


def test_retries_over_a_lossy_loopback_deliver_each_command_exactly_once(
    d: Dictionary, keys: KeyRing
) -> None:
    rig = make_rig(
        d,
        keys,
        ground={"timeout_s": 0.03, "retries": 8},
        robot_transport=lambda t: ImpairedTransport(t, drop_rate=0.25, seed=1),
        link_transport=lambda t: ImpairedTransport(t, drop_rate=0.25, seed=2),
    )
    try:
        periods = [100 + i for i in range(60)]
        for period in periods:
            result = rig.link.send("SET_HK_PERIOD", {"period_ms": period})
            assert result.succeeded
        executed = [args["period_ms"] for name, args in rig.model.executed]
        assert executed == periods  # each exactly once, in order
        counters = rig.link.counters
        assert counters.retransmissions > 5
        assert counters.acks_repeat > 0  # some first acks were lost, the robot repeated them
        assert rig.endpoint.counters.duplicates >= counters.acks_repeat
    finally:
        rig.server.stop()


class Doubling(Transport):
    """Sends everything twice: every ack arrives twice."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return "doubling"

    def send(self, data: bytes) -> None:
        self.inner.send(data + data)

    def receive(self, timeout_s: float) -> bytes:
        return self.inner.receive(timeout_s)

    def close(self) -> None:
        self.inner.close()


def test_duplicate_acks_are_suppressed(d: Dictionary, keys: KeyRing) -> None:
    rig = make_rig(d, keys, robot_transport=Doubling)
    try:
        for _ in range(5):
            assert rig.link.send("NOOP").succeeded
        rig.link.poll(0.05)
        assert rig.link.counters.succeeded == 5
        assert rig.link.counters.acks_duplicate == 5
        assert len(rig.model.executed) == 5
    finally:
        rig.server.stop()


def test_a_restarted_ground_station_resyncs_its_sequence_numbers(
    d: Dictionary, keys: KeyRing
) -> None:
    model = RoverMcuModel()
    endpoint = RobotEndpoint(d, keys.only(1, 2), ROVER_R1, model)
    first = make_rig(d, keys, endpoint=endpoint, model=model)
    for _ in range(3):
        first.link.send("NOOP")
    first.server.stop()
    # Within the window: the robot answers with the repeated ack of the old NOOP seq 1.
    second = make_rig(d, keys, endpoint=endpoint, model=model)
    try:
        result = second.link.send("SET_POWER", {"rail": "PAYLOAD", "on": True})
        assert result.succeeded and result.seq == 4 and result.resyncs == 1
        assert [n for n, _ in model.executed] == ["NOOP"] * 3 + ["SET_POWER"]
    finally:
        second.server.stop()
    # Below the window: REPLAY, then resync.
    third = make_rig(d, keys, endpoint=endpoint, model=model)
    try:
        for _ in range(70):
            third.link.send("NOOP")
        fourth_link = CommandLink(
            third.link.transport, d, keys, key_id=1, robot_id=1, timeout_s=0.2
        )
        result = fourth_link.send("STOP")
        assert result.succeeded and result.resyncs == 1 and result.seq == 4 + 70 + 1
        no_resync = CommandLink(
            third.link.transport, d, keys, key_id=1, robot_id=1, timeout_s=0.2, resync=False
        )
        with pytest.raises(StaleSequenceError, match="already used") as caught:
            no_resync.send("STOP")
        assert caught.value.highest_seq == 75
        assert [n for n, _ in model.executed].count("STOP") == 1
    finally:
        third.server.stop()


class _Silent(Transport):
    """A transport nothing arrives on (the test feeds the link's receive path directly)."""

    @property
    def name(self) -> str:
        return "silent"

    def send(self, data: bytes) -> None:
        pass

    def receive(self, timeout_s: float) -> bytes:
        return b""

    def close(self) -> None:
        pass


def test_the_receive_path_counts_gaps_repeats_and_every_rejection(
    d: Dictionary, keys: KeyRing
) -> None:
    link = CommandLink(_Silent(), d, keys, key_id=1, robot_id=ROVER_R1)
    hk = d.encode_fixed("housekeeping", {f.name: 0 for f in d.housekeeping.points.fields})
    ack = Ack(5, 1, 1, 77, 1, AckStatus.EXECUTED, 0, 0, 77).encode()
    event = d.encode_event("RAIL_SWITCHED", 5, {"rail": 1, "on": True})

    def tm(apid: int, data: bytes, count: int) -> bytes:
        return encode_frame(SpacePacket.build(apid=apid, data=data, sequence_count=count).encode())

    version_1 = bytearray(SpacePacket.build(apid=0x102, data=hk).encode())
    version_1[0] |= 0x20
    bad_crc = bytearray(tm(0x102, hk, 9))
    bad_crc[-1] ^= 0x01
    stream = b"".join(
        [
            tm(0x102, hk, 16383), tm(0x102, hk, 0), tm(0x102, hk, 0),  # wrap, then a repeat
            tm(0x102, hk, 4),  # 3 missing
            tm(0x101, ack, 7), tm(0x101, ack, 9),  # 1 missing
            encode_frame(SpacePacket.build(apid=0x100, data=b"tc", packet_type=PacketType.TC)
                         .encode()),
            encode_frame(bytes(version_1)),
            tm(0x1FF, b"?", 0),
            tm(0x101, ack[:-1], 10),
            tm(0x103, struct.pack(">IHB", 0, 0x7777, 1), 0),
            tm(0x103, event, 1),
            bytes(bad_crc),
        ]
    )  # fmt: skip
    records = link.process(stream)
    counters = link.counters
    assert [type(r) for r in records] == [TelemetryRecord] * 4 + [EventRecord]
    assert counters.tm_packets == 10  # every packet with a good TM header, decodable or not
    assert (counters.tm_gaps, counters.tm_missing, counters.tm_repeated) == (2, 4, 1)
    assert (counters.housekeeping, counters.events, counters.acks) == (4, 1, 2)
    assert counters.tm_errors == {
        "not_tm": 1,
        "bad_packet_header": 1,
        "UnknownApidError": 1,
        "TelemetryLengthError": 1,
        "UnknownEventError": 1,
        "frame_bad_crc": 1,
    }
