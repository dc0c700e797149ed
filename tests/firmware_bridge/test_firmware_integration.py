"""The C reference firmware (firmware_bridge/firmware/), built with its Makefile and booted on
the host (over TCP and over a pty) and on an emulated Cortex-M3 board (qemu-system-arm -M
mps2-an385, UART0 on a TCP socket on 127.0.0.1), commanded by the Python CommandLink.

One test body runs against every target: each command is acknowledged, no TM packet is lost
(per-APID sequence counts, and the board's own packet counters), housekeeping follows the
commands, and a forged MAC, an altered byte and a replayed command are rejected, counted and
never executed. A missing tool skips the target with a reason that names it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

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
from firmware_bridge.framing import Deframer, DeframeStatus, encode_frame
from firmware_bridge.link import CommandLink
from firmware_bridge.space_packet import PacketType, SequenceGapTracker, SpacePacket
from firmware_bridge.testing import (
    FIRMWARE_TARGETS,
    FirmwareError,
    FirmwareProcess,
    FirmwareUnavailableError,
    build_firmware,
    require_firmware_tools,
)
from firmware_bridge.transport import Transport

TEST_KEYS = Path(__file__).parent / "data" / "test_keys.txt"
ROVER_R1 = 1
KEY_ID = 1  # CNSA, which may command rover_r1
TM_TIMEOUT_S = 3.0

# The models' settling times: wheels accelerate at 0.5 m/s^2, so 0.2 m/s takes 0.4 s.
SETTLE_S = 0.7
RAIL_HEATER = 1
RAIL_RADIO = 2
MODE_IDLE, MODE_DRIVING = 0, 1


# ------------------------------------------------------------------------------------------
# Builds
# ------------------------------------------------------------------------------------------


def _build(build_dir: Path, target: str, tool_missing: Callable[[str], NoReturn]) -> Path:
    try:
        return build_firmware(build_dir, target, TEST_KEYS, ROVER_R1)
    except FirmwareUnavailableError as error:
        tool_missing(str(error))
    except FirmwareError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("firmware-build")


@pytest.fixture(scope="module")
def host_image(build_dir: Path, tool_missing: Callable[[str], NoReturn]) -> Path:
    return _build(build_dir, "host-tcp", tool_missing)


@pytest.fixture(scope="module")
def board_image(build_dir: Path, tool_missing: Callable[[str], NoReturn]) -> Path:
    return _build(build_dir, "mps2-an385-qemu", tool_missing)


@pytest.fixture(scope="module")
def d() -> Dictionary:
    return default_dictionary()


@pytest.fixture(scope="module")
def keys(d: Dictionary) -> KeyRing:
    return load_key_file(TEST_KEYS, d)


# ------------------------------------------------------------------------------------------
# The tapped link
# ------------------------------------------------------------------------------------------


@dataclass
class Tap(Transport):
    """Passes bytes through and decodes, independently of the link, every TM packet received,
    acks included (the link keeps only the acks it waits for)."""

    inner: Transport
    d: Dictionary
    sent: list[bytes] = field(default_factory=list)
    packets: list[SpacePacket] = field(default_factory=list)
    records: list[TmRecord] = field(default_factory=list)
    gaps: SequenceGapTracker = field(default_factory=SequenceGapTracker)
    bad_frames: int = 0
    _deframer: Deframer = field(default_factory=Deframer)

    @property
    def name(self) -> str:
        return f"tap({self.inner.name})"

    def send(self, data: bytes) -> None:
        self.sent.append(bytes(data))
        self.inner.send(data)

    def receive(self, timeout_s: float) -> bytes:
        data = self.inner.receive(timeout_s)
        for event in self._deframer.feed(data):
            if event.status is DeframeStatus.FRAME:
                packet = SpacePacket.decode(event.payload)
                self.gaps.observe(packet)
                self.packets.append(packet)
                self.records.append(self.d.decode_tm(packet.apid, packet.data))
            elif event.status in (DeframeStatus.BAD_CRC, DeframeStatus.BAD_LENGTH):
                self.bad_frames += 1
        return data

    def close(self) -> None:
        self.inner.close()


@dataclass
class Board:
    link: CommandLink
    tap: Tap

    def pump(self, seconds: float) -> None:
        """Let the board run for ``seconds`` while reading everything it sends."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self.link.poll(remaining)

    def wait_for(self, found: Callable[[TmRecord], bool], start: int = 0) -> int:
        """Index in ``tap.records`` of the first record from ``start`` on that ``found`` accepts."""
        deadline = time.monotonic() + TM_TIMEOUT_S
        while True:
            for index in range(start, len(self.tap.records)):
                if found(self.tap.records[index]):
                    return index
            if time.monotonic() > deadline:
                pytest.fail(f"no such TM within {TM_TIMEOUT_S} s: {self.tap.records[start:]}")
            self.link.poll(0.05)

    def housekeeping(self) -> tuple[int, TelemetryRecord]:
        """Request housekeeping; return the packet that answers it and its index."""
        mark = len(self.tap.records)
        result = self.link.send("REQUEST_HOUSEKEEPING")
        assert result.status == AckStatus.EXECUTED
        index = self.wait_for(
            lambda r: isinstance(r, TelemetryRecord) and r["uptime_ms"] >= result.ack.uptime_ms,
            mark,
        )
        record = self.tap.records[index]
        assert isinstance(record, TelemetryRecord)
        return index, record

    def inject(self, frame: bytes, key_id: int, seq: int) -> Ack:
        """Send a frame behind the link's back; return the board's ack for (key_id, seq)."""
        mark = len(self.tap.records)
        self.link.transport.send(frame)
        index = self.wait_for(
            lambda r: isinstance(r, Ack) and (r.key_id, r.seq) == (key_id, seq), mark
        )
        ack = self.tap.records[index]
        assert isinstance(ack, Ack)
        return ack


@pytest.fixture(params=FIRMWARE_TARGETS)
def board(
    request: pytest.FixtureRequest,
    d: Dictionary,
    keys: KeyRing,
    tmp_path: Path,
    tool_missing: Callable[[str], NoReturn],
) -> Iterator[Board]:
    target: str = request.param
    try:
        require_firmware_tools(target)
    except FirmwareUnavailableError as error:
        tool_missing(str(error))
    image = request.getfixturevalue("board_image" if target == "mps2-an385-qemu" else "host_image")
    firmware = FirmwareProcess(
        target, image, TEST_KEYS, tmp_path / f"{target}.log", robot_id=ROVER_R1
    )
    try:
        firmware.start()
    except FirmwareError as error:
        pytest.fail(str(error))
    try:
        tap = Tap(firmware.transport, d)
        link = CommandLink(tap, d, keys, key_id=KEY_ID, robot_id=ROVER_R1, timeout_s=1.0)
        yield Board(link, tap)
    finally:
        firmware.stop()


# ------------------------------------------------------------------------------------------
# The test
# ------------------------------------------------------------------------------------------


def _frame(data: bytes, count: int = 0) -> bytes:
    packet = SpacePacket.build(
        apid=0x100, data=data, packet_type=PacketType.TC, sequence_count=count
    )
    return encode_frame(packet.encode())


def _events(board: Board, name: str) -> list[EventRecord]:
    return [r for r in board.tap.records if isinstance(r, EventRecord) and r.name == name]


def test_the_firmware_obeys_the_link_and_rejects_forged_altered_and_replayed_commands(
    board: Board, d: Dictionary, keys: KeyRing
) -> None:
    link, tap = board.link, board.tap
    # The board boots once the link is connected, so every TM packet since boot arrives.
    assert board.wait_for(lambda r: isinstance(r, EventRecord) and r.name == "BOOT") == 0

    _, hk = board.housekeeping()
    assert (hk["robot_id"], hk["mode"], hk["rails"]) == (ROVER_R1, MODE_IDLE, 1 << RAIL_RADIO)
    assert (hk["left_wheel_mps"], hk["right_wheel_mps"]) == (0.0, 0.0)
    assert (hk["commands_rejected"], hk["rx_frames_bad"]) == (0, 0)
    idle_a = float(hk["bus_current_a"])
    assert idle_a > 0

    # DRIVE: wheels reach the commanded speeds and draw current.
    drive = link.send("DRIVE", {"left_mps": 0.2, "right_mps": 0.1, "duration_ms": 60000})
    assert drive.status == AckStatus.ACCEPTED
    drive_frame = tap.sent[-1]
    board.pump(SETTLE_S)
    _, hk = board.housekeeping()
    assert hk["mode"] == MODE_DRIVING
    assert hk["left_wheel_mps"] == pytest.approx(0.2, abs=1e-3)
    assert hk["right_wheel_mps"] == pytest.approx(0.1, abs=1e-3)
    assert float(hk["bus_current_a"]) > idle_a + 1.0  # motors: 6 A per m/s + 0.2 A per wheel

    # STOP: the drive ends early, the wheels come to rest, the current falls back.
    assert link.send("STOP").status == AckStatus.EXECUTED
    board.pump(SETTLE_S)
    _, hk = board.housekeeping()
    assert (hk["mode"], hk["left_wheel_mps"], hk["right_wheel_mps"]) == (MODE_IDLE, 0.0, 0.0)
    assert float(hk["bus_current_a"]) == pytest.approx(idle_a, abs=1e-3)
    assert [e.args["stopped_early"] for e in _events(board, "DRIVE_DONE")] == [True]

    # SET_POWER: the heater rail comes on, draws its 1.5 A, and goes off again.
    heater_on = link.send("SET_POWER", {"rail": "HEATER", "on": True})
    assert heater_on.status == AckStatus.EXECUTED
    heater_on_frame = tap.sent[-1]
    _, hk = board.housekeeping()
    assert hk["rails"] == (1 << RAIL_RADIO) | (1 << RAIL_HEATER)
    assert float(hk["bus_current_a"]) == pytest.approx(idle_a + 1.5, abs=1e-3)
    assert link.send("SET_POWER", {"rail": "HEATER", "on": False}).status == AckStatus.EXECUTED
    _, hk = board.housekeeping()
    assert hk["rails"] == 1 << RAIL_RADIO
    assert [(e.args["rail"], e.args["on"]) for e in _events(board, "RAIL_SWITCHED")] == [
        (RAIL_HEATER, True),
        (RAIL_HEATER, False),
    ]

    # A retransmitted DRIVE (same seq, inside the window) gets its stored ack again, flagged
    # REPEAT, and is not executed a second time.
    ack = board.inject(drive_frame, KEY_ID, drive.seq)
    assert (ack.status, ack.repeat) == (AckStatus.ACCEPTED, True)

    # A forged MAC (a key the board does not hold for key_id 1) and an altered argument byte
    # (a tampered DRIVE with a recomputed frame CRC) fail the MAC check and do not consume the
    # sequence number, which the link then uses for a real command.
    args = d.encode_args("DRIVE", {"left_mps": 0.5, "right_mps": 0.5, "duration_ms": 60000})[1]
    fresh = link.next_seq
    forged = sign_command(
        bytes(32), apid=0x100, key_id=KEY_ID, robot_id=ROVER_R1, seq=fresh, opcode=0x10, args=args
    )
    ack = board.inject(_frame(forged.data), KEY_ID, fresh)
    assert (ack.status, ack.highest_seq) == (AckStatus.BAD_MAC, fresh - 1)
    genuine = sign_command(
        keys[KEY_ID], apid=0x100, key_id=KEY_ID, robot_id=ROVER_R1, seq=fresh, opcode=0x10,
        args=args,
    )  # fmt: skip
    altered = bytearray(genuine.data)
    altered[8] ^= 0x01  # first byte of left_mps
    ack = board.inject(_frame(bytes(altered)), KEY_ID, fresh)
    assert (ack.status, ack.highest_seq) == (AckStatus.BAD_MAC, fresh - 1)
    # The same altered byte on the wire, CRC not recomputed: the deframer drops it, no ack.
    wire = bytearray(_frame(genuine.data))
    wire[20] ^= 0x01
    link.transport.send(bytes(wire))

    # A replay from below the window: the link moves 100 sequence numbers on, then the
    # recorded SET_POWER(HEATER, on) comes back; it is refused and the heater stays off.
    link.next_seq += 100
    noop = link.send("NOOP")
    assert noop.status == AckStatus.EXECUTED
    ack = board.inject(heater_on_frame, KEY_ID, heater_on.seq)
    assert (ack.status, ack.highest_seq) == (AckStatus.REPLAY, noop.seq)

    board.pump(SETTLE_S)
    index, hk = board.housekeeping()
    # Nothing was executed for the rejected commands or the duplicate.
    assert (hk["mode"], hk["left_wheel_mps"], hk["right_wheel_mps"]) == (MODE_IDLE, 0.0, 0.0)
    assert hk["rails"] == 1 << RAIL_RADIO
    assert len(_events(board, "DRIVE_DONE")) == 1
    assert len(_events(board, "RAIL_SWITCHED")) == 2
    # ... and each was counted.
    assert hk["commands_rejected"] == 3
    assert hk["last_rejected_reason"] == AckStatus.REPLAY
    assert hk["last_rejected_opcode"] == d.command("SET_POWER").opcode
    assert hk["commands_duplicate"] == 1
    assert hk["rx_frames_bad"] == 1
    rejected = [(e.args["seq"], e.args["status"]) for e in _events(board, "CMD_REJECTED")]
    assert rejected == [
        (fresh, AckStatus.BAD_MAC),
        (fresh, AckStatus.BAD_MAC),
        (heater_on.seq, AckStatus.REPLAY),
    ]

    # Every command the link sent was acknowledged at its first transmission.
    counters = link.counters
    assert counters.succeeded == counters.commands == hk["commands_accepted"]
    assert counters.retransmissions == counters.rejected == counters.outcome_unknown == 0
    # The board received every frame the link and the test sent (one on purpose damaged) ...
    assert hk["rx_frames_ok"] == len(tap.sent) - 1
    assert hk["rx_packets_dropped"] == 0
    # ... and the link every TM packet the board sent: no gap on any APID, no bad frame,
    # and the board's count of packets sent (this one included) matches.
    assert tap.gaps.total_gaps == tap.gaps.total_missing == tap.bad_frames == 0
    assert counters.tm_gaps == counters.tm_missing == 0
    assert not counters.tm_errors
    assert hk["tm_packets_sent"] == index + 1
    assert sorted(tap.gaps.apids) == [0x101, 0x102, 0x103]
