"""Bulk telemetry decoding (firmware_bridge/batch.py) against the per-packet path.

The batch decoder must agree exactly with Dictionary.decode_tm on every packet it decodes, and
reject and count bad packets exactly as CommandLink.process does (same reasons, same totals,
same sequence gaps), however the stream is cut into chunks.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.auth import KeyRing
from firmware_bridge.batch import (
    BatchDecoder,
    BatchReceiver,
    EventColumns,
    PacketColumns,
    TmBatch,
    layout_dtype,
)
from firmware_bridge.dictionary import (
    Ack,
    AckStatus,
    Dictionary,
    EventRecord,
    TelemetryError,
    TelemetryRecord,
    TmRecord,
    default_dictionary,
)
from firmware_bridge.framing import Deframer, encode_frame
from firmware_bridge.link import CommandLink
from firmware_bridge.space_packet import PacketType, SpacePacket
from firmware_bridge.transport import Transport

KEYS = KeyRing({1: bytes(32)})
D = default_dictionary()
ACK, HK, EVENT = D.apids.ack, D.apids.housekeeping, D.apids.event


class _Silent(Transport):
    @property
    def name(self) -> str:
        return "silent"

    def send(self, data: bytes) -> None:
        pass

    def receive(self, timeout_s: float) -> bytes:
        return b""

    def close(self) -> None:
        pass


def _link() -> CommandLink:
    return CommandLink(_Silent(), D, KEYS, key_id=1, robot_id=1, telemetry_maxlen=100_000)


# ------------------------------------------------------------------------------------------
# Agreement with the per-packet decoder
# ------------------------------------------------------------------------------------------


def _same(expected: Any, got: Any) -> bool:
    """Equal values; NaN equals NaN (floats come from the same binary32 on both paths)."""
    if isinstance(expected, float) and math.isnan(expected):
        return bool(np.isnan(got))
    return bool(expected == got)


def assert_rows_match(d: Dictionary, payloads: list[bytes], batch: TmBatch) -> None:
    """Every table row equals the per-packet record of its packet, and every packet the
    per-packet decoder decodes is in exactly one table."""
    decoded: dict[int, TmRecord] = {}
    for at, payload in enumerate(payloads):
        try:
            packet = SpacePacket.decode(payload)
            if packet.header.packet_type is PacketType.TM:
                decoded[at] = d.decode_tm(packet.apid, packet.data)
        except (TelemetryError, ValueError):
            pass
    rows: list[int] = []
    for table in batch.telemetry.values():
        assert isinstance(table, PacketColumns)
        for row, at in enumerate(table.index.tolist()):
            rows.append(at)
            record = decoded[at]
            if isinstance(record, Ack):
                assert table.name == "ack"
                for name in d.ack.points.names:
                    assert _same(getattr(record, name), table[name][row]), name
            else:
                assert isinstance(record, TelemetryRecord) and record.name == table.name
                for name, value in record.values.items():
                    assert _same(value, table[name][row]), name
            assert (
                table.sequence_count[row] == SpacePacket.decode(payloads[at]).header.sequence_count
            )
    for events in batch.events.values():
        assert isinstance(events, EventColumns)
        for row, at in enumerate(events.index.tolist()):
            rows.append(at)
            record = decoded[at]
            assert isinstance(record, EventRecord) and record.name == events.name
            assert events["uptime_ms"][row] == record.uptime_ms
            code = int(events["severity"][row])
            assert events.severity_names.get(code, f"?{code}") == record.severity
            for name, value in record.args.items():
                assert _same(value, events[name][row]), name
    assert sorted(rows) == sorted(decoded)
    assert batch.decoded == len(decoded)


def _byte() -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from([0, 1, 2, 0x7F, 0x80, 0xFF]), st.integers(0, 255))


def _field(size: int) -> st.SearchStrategy[bytes]:
    return st.lists(_byte(), min_size=size, max_size=size).map(bytes)


@st.composite
def tm_packet(draw: st.DrawFn) -> tuple[int, bytes, PacketType]:
    """(apid, data field, type): mostly good packets, and each kind of bad one."""
    kind = draw(
        st.sampled_from(
            ["ack", "hk", "event", "event", "ack", "hk", "unknown_apid", "wrong_length",
             "unknown_event", "short_event", "bad_event_length", "tc"]
        )
    )  # fmt: skip
    if kind == "ack":
        return ACK, draw(_field(D.ack.points.size)), PacketType.TM
    if kind == "hk":
        return HK, draw(_field(D.housekeeping.points.size)), PacketType.TM
    if kind in ("event", "bad_event_length"):
        event = draw(st.sampled_from(D.events))
        size = event.args.size + (draw(st.sampled_from([-1, 1])) if kind != "event" else 0)
        header = struct.pack(">IH", draw(st.integers(0, 2**32 - 1)), event.event_id)
        return EVENT, header + draw(_field(1 + max(0, size))), PacketType.TM
    if kind == "unknown_event":
        header = struct.pack(">IHB", 0, draw(st.integers(0x0100, 0xFFFF)), 1)
        return EVENT, header + draw(st.binary(max_size=8)), PacketType.TM
    if kind == "short_event":
        return EVENT, draw(st.binary(min_size=1, max_size=6)), PacketType.TM
    if kind == "unknown_apid":
        apid = draw(st.sampled_from([0x000, 0x100, 0x104, 0x7FF]))
        return apid, draw(st.binary(min_size=1, max_size=30)), PacketType.TM
    if kind == "wrong_length":
        apid = draw(st.sampled_from([ACK, HK]))
        return apid, draw(st.binary(min_size=1, max_size=70)), PacketType.TM
    return D.apids.command, draw(st.binary(min_size=1, max_size=40)), PacketType.TC


@st.composite
def tm_stream(draw: st.DrawFn) -> bytes:
    """Framed TM with per-APID sequence counts that mostly follow on, sometimes skip or
    repeat; and now and then a damaged frame, garbage, or a packet with a bad header."""
    counts: dict[int, int] = {}
    frames: list[bytes] = []
    for apid, data, packet_type in draw(st.lists(tm_packet(), max_size=60)):
        step = draw(st.sampled_from([1, 1, 1, 1, 0, 2, 5, 16383]))
        count = (counts.get(apid, draw(st.integers(0, 16383))) + step) % 16384
        counts[apid] = count
        raw = SpacePacket.build(
            apid=apid, data=data, packet_type=packet_type, sequence_count=count
        ).encode()
        noise = draw(st.sampled_from(["none"] * 8 + ["crc", "garbage", "version"]))
        if noise == "version":
            raw = bytes([raw[0] | 0x20]) + raw[1:]
        frame = encode_frame(raw)
        if noise == "crc":
            frame = frame[:-1] + bytes([frame[-1] ^ 0x01])
        elif noise == "garbage":
            frame = draw(st.binary(min_size=1, max_size=12)) + frame
        frames.append(frame)
    return b"".join(frames)


chunk_sizes = st.lists(st.integers(1, 600), min_size=1, max_size=6)


def _chunks(stream: bytes, sizes: list[int]) -> list[bytes]:
    pieces = []
    at = 0
    step = 0
    while at < len(stream):
        size = sizes[step % len(sizes)]
        pieces.append(stream[at : at + size])
        at += size
        step += 1
    return pieces


@settings(max_examples=300, deadline=None, database=None)
@given(tm_stream(), chunk_sizes)
def test_batch_receiver_counts_like_the_link_and_rows_equal_per_packet_records(
    stream: bytes, sizes: list[int]
) -> None:
    link = _link()
    receiver = BatchReceiver(D)
    deframer = Deframer(max_payload_len=4096)
    decoder = BatchDecoder(D)
    for chunk in _chunks(stream, sizes):
        link.process(chunk)
        receiver.receive(chunk)
        payloads = deframer.feed_payloads(chunk)
        assert_rows_match(D, payloads, decoder.decode(payloads))
    expected, got = link.counters, receiver.counters
    assert got.tm_errors == expected.tm_errors
    assert (got.tm_packets, got.tm_gaps, got.tm_missing, got.tm_repeated) == (
        expected.tm_packets,
        expected.tm_gaps,
        expected.tm_missing,
        expected.tm_repeated,
    )
    assert (got.acks, got.housekeeping, got.events) == (
        expected.acks,
        expected.housekeeping,
        expected.events,
    )


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=40),  # anything, short packets included
            tm_packet().map(
                lambda p: SpacePacket.build(apid=p[0], data=p[1], packet_type=p[2]).encode()
            ),
        ),
        max_size=30,
    )
)
def test_batch_decoder_rejects_and_counts_any_payload_as_the_link_does(
    payloads: list[bytes],
) -> None:
    link = _link()
    for payload in payloads:
        link._decode(payload)  # the per-packet path of CommandLink.process, one frame payload
    batch = BatchDecoder(D).decode(payloads)
    assert batch.errors == link.counters.tm_errors
    assert batch.packets == link.counters.tm_packets
    assert_rows_match(D, payloads, batch)


# ------------------------------------------------------------------------------------------
# Known streams
# ------------------------------------------------------------------------------------------


def _tm(apid: int, data: bytes, count: int) -> bytes:
    return encode_frame(SpacePacket.build(apid=apid, data=data, sequence_count=count).encode())


def _hk(**values: float) -> bytes:
    fields = {f.name: 0 for f in D.housekeeping.points.fields}
    fields.update(values)
    return D.encode_fixed("housekeeping", fields)


def test_columns_hold_the_values_in_native_byte_order() -> None:
    ack = Ack(1234, 1, 1, 0x01020304, 0x0010, AckStatus.ACCEPTED, 1, 0xBEEF, 0x7FFFFFFF)
    with_nan_current = bytearray(_hk(uptime_ms=200, battery_v=-1.25))
    current_at = D.housekeeping.points.field("bus_current_a").offset
    with_nan_current[current_at : current_at + 4] = struct.pack(">f", float("nan"))
    stream = b"".join(
        [
            _tm(HK, _hk(uptime_ms=100, battery_v=28.5, rails=0b0101, hk_period_ms=1000), 0),
            _tm(ACK, ack.encode(), 0),
            _tm(HK, with_nan_current, 1),
            _tm(
                EVENT, D.encode_event("DRIVE_DONE", 77, {"odometer_m": 3.5, "stopped_early": 1}), 0
            ),
        ]
    )
    receiver = BatchReceiver(D)
    batch = receiver.receive(stream)
    hk = batch.telemetry["housekeeping"]
    assert len(hk) == 2 and hk.index.tolist() == [0, 2]
    assert hk["uptime_ms"].tolist() == [100, 200]
    assert hk["battery_v"].tolist() == [28.5, -1.25]
    assert np.isnan(hk["bus_current_a"][1])
    assert hk["rails"].tolist() == [0b0101, 0]
    assert hk["hk_period_ms"].tolist() == [1000, 0]
    for column in hk.columns.values():
        assert column.dtype.isnative and column.dtype.kind in "uif"
    assert list(hk.columns) == list(D.housekeeping.points.names)
    assert hk.sequence_count.tolist() == [0, 1]
    acks = batch.telemetry["ack"]
    assert acks["seq"].tolist() == [0x01020304]
    assert acks["status"].tolist() == [AckStatus.ACCEPTED]
    assert acks["detail"].tolist() == [0xBEEF] and acks["highest_seq"].tolist() == [0x7FFFFFFF]
    done = batch.events["DRIVE_DONE"]
    assert list(done.columns) == [
        "uptime_ms",
        "event_id",
        "severity",
        "odometer_m",
        "stopped_early",
    ]
    assert (done["uptime_ms"][0], done["odometer_m"][0], done["stopped_early"][0]) == (77, 3.5, 1)
    assert done.severity_names[int(done["severity"][0])] == "INFO"
    assert (batch.packets, batch.decoded, batch.errors) == (4, 4, Counter())
    assert (receiver.counters.housekeeping, receiver.counters.acks, receiver.counters.events) == (
        2,
        1,
        1,
    )


def test_the_receiver_counts_gaps_repeats_and_every_rejection_like_the_link() -> None:
    hk = _hk()
    ack = Ack(5, 1, 1, 77, 1, AckStatus.EXECUTED, 0, 0, 77).encode()
    event = D.encode_event("RAIL_SWITCHED", 5, {"rail": 1, "on": True})
    version_1 = bytearray(SpacePacket.build(apid=HK, data=hk).encode())
    version_1[0] |= 0x20
    bad_crc = bytearray(_tm(HK, hk, 9))
    bad_crc[-1] ^= 0x01
    stream = b"".join(
        [
            _tm(HK, hk, 16383), _tm(HK, hk, 0), _tm(HK, hk, 0), _tm(HK, hk, 4),
            _tm(ACK, ack, 7), _tm(ACK, ack, 9),
            encode_frame(SpacePacket.build(apid=0x100, data=b"tc", packet_type=PacketType.TC)
                         .encode()),
            encode_frame(bytes(version_1)),
            _tm(0x1FF, b"?", 0),
            _tm(ACK, ack[:-1], 10),
            _tm(EVENT, struct.pack(">IHB", 0, 0x7777, 1), 0),
            _tm(EVENT, event, 1),
            bytes(bad_crc),
            b"\x1a\xcf\xfc\x1d\xff\xff",  # a length over the limit
        ]
    )  # fmt: skip
    receiver = BatchReceiver(D)
    for at in range(0, len(stream), 50):  # gaps are tracked across chunks
        receiver.receive(stream[at : at + 50])
    counters = receiver.counters
    assert counters.tm_packets == 10
    assert (counters.tm_gaps, counters.tm_missing, counters.tm_repeated) == (2, 4, 1)
    assert (counters.housekeeping, counters.events, counters.acks) == (4, 1, 2)
    assert counters.tm_errors == {
        "not_tm": 1,
        "bad_packet_header": 1,
        "UnknownApidError": 1,
        "TelemetryLengthError": 1,
        "UnknownEventError": 1,
        "frame_bad_crc": 1,
        "frame_bad_length": 1,
    }


def test_nothing_in_nothing_out() -> None:
    batch = BatchDecoder(D).decode([])
    assert (batch.packets, batch.decoded, len(batch.apid), batch.errors) == (0, 0, 0, Counter())
    assert batch.telemetry == {} and batch.events == {}
    receiver = BatchReceiver(D)
    assert receiver.receive(b"").packets == 0
    assert receiver.receive(b"\x00" * 100).packets == 0
    assert receiver.counters.tm_errors == Counter()
    only_short = BatchDecoder(D).decode([b"", b"\x08", b"\x08\x02\x00\x00\x00"])
    assert only_short.errors == {"short_packet": 3}


@pytest.mark.parametrize("name", ["ack", "housekeeping"])
def test_layout_dtype_is_the_wire_layout(name: str) -> None:
    points = D.telemetry[name].points
    dtype = layout_dtype(points)
    assert dtype.itemsize == points.size
    assert dtype.names == points.names
    for item in points.fields:
        field_type, offset = dtype.fields[item.name][:2]  # type: ignore[index]
        assert (offset, field_type.itemsize) == (item.offset, item.type.size)
        assert field_type.byteorder in (">", "|")
    raw = bytes(range(points.size))
    record = np.frombuffer(raw, dtype=dtype)[0]
    assert tuple(record.tolist()) == points.struct.unpack(raw)


def test_event_dtype_puts_the_header_first() -> None:
    boot = next(e for e in D.events if e.name == "BOOT")
    dtype = layout_dtype(boot.args, [("uptime_ms", ">u4"), ("event_id", ">u2"), ("severity", "u1")])
    assert dtype.itemsize == 7 + boot.args.size
    data = D.encode_event("BOOT", 42, {"reset_cause": 2, "firmware_version": 0x0102,
                                       "dictionary_version": 1})  # fmt: skip
    record = np.frombuffer(data, dtype=dtype)[0]
    assert record.tolist() == (42, 1, 1, 2, 0x0102, 1)
