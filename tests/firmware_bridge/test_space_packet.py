"""Space Packet header, packet, stream walking and sequence-gap tracking."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.space_packet import (
    IDLE_APID,
    MAX_DATA_LEN,
    MAX_PACKET_LEN,
    SEQUENCE_COUNT_MODULUS,
    DataLengthMismatchError,
    FieldValueError,
    PacketError,
    PacketType,
    PrimaryHeader,
    SequenceFlags,
    SequenceGap,
    SequenceGapTracker,
    SpacePacket,
    TrailingBytesError,
    TruncatedHeaderError,
    TruncatedPacketError,
    UnsupportedVersionError,
    iter_packets,
    split_by_apid,
    split_stream,
)

FAST = settings(max_examples=300, deadline=None, database=None)

headers = st.builds(
    PrimaryHeader,
    apid=st.integers(0, 2047),
    data_length=st.integers(0, MAX_DATA_LEN - 1),
    packet_type=st.sampled_from(PacketType),
    secondary_header_flag=st.booleans(),
    sequence_flags=st.sampled_from(SequenceFlags),
    sequence_count=st.integers(0, SEQUENCE_COUNT_MODULUS - 1),
)


@st.composite
def packets(draw: st.DrawFn, max_data: int = 300) -> SpacePacket:
    return SpacePacket.build(
        apid=draw(st.integers(0, 2047)),
        data=draw(st.binary(min_size=1, max_size=max_data)),
        packet_type=draw(st.sampled_from(PacketType)),
        secondary_header_flag=draw(st.booleans()),
        sequence_flags=draw(st.sampled_from(SequenceFlags)),
        sequence_count=draw(st.integers(0, SEQUENCE_COUNT_MODULUS - 1)),
    )


# ------------------------------------------------------------------------------------------
# Known answers
# ------------------------------------------------------------------------------------------


def test_header_known_bytes() -> None:
    header = PrimaryHeader(
        apid=0x123,
        data_length=0x0102,
        packet_type=PacketType.TC,
        secondary_header_flag=True,
        sequence_flags=SequenceFlags.FIRST,
        sequence_count=0x2ABC,
    )
    # 000 1 1 00100100011 | 01 10101010111100 | 0000000100000010
    assert header.encode() == bytes([0x19, 0x23, 0x6A, 0xBC, 0x01, 0x02])
    assert header.packet_length == 6 + 0x0103


def test_header_defaults_and_extremes() -> None:
    header = PrimaryHeader(apid=IDLE_APID, data_length=MAX_DATA_LEN - 1, sequence_count=16383)
    assert header.encode() == bytes([0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    assert header.is_idle
    assert header.packet_length == MAX_PACKET_LEN
    assert header.packet_type is PacketType.TM
    assert header.sequence_flags is SequenceFlags.UNSEGMENTED
    assert PrimaryHeader(apid=0, data_length=0).encode() == bytes([0, 0, 0xC0, 0, 0, 0])


def test_enum_fields_accept_ints_and_normalise() -> None:
    header = PrimaryHeader(
        apid=5,
        data_length=0,
        packet_type=1,  # type: ignore[arg-type]
        sequence_flags=2,  # type: ignore[arg-type]
        secondary_header_flag=1,  # type: ignore[arg-type]
    )
    assert header.packet_type is PacketType.TC
    assert header.sequence_flags is SequenceFlags.LAST
    assert header.secondary_header_flag is True


def test_packet_build_and_properties() -> None:
    packet = SpacePacket.build(apid=42, data=bytearray(b"abc"), sequence_count=7)
    assert packet.header.data_length == 2
    assert packet.apid == 42
    assert packet.sequence_count == 7
    assert len(packet) == 9
    assert packet.data == b"abc"
    assert isinstance(packet.data, bytes)
    assert packet.encode() == bytes([0x00, 0x2A, 0xC0, 0x07, 0x00, 0x02]) + b"abc"
    assert SpacePacket.decode(memoryview(packet.encode())) == packet


# ------------------------------------------------------------------------------------------
# Round trips
# ------------------------------------------------------------------------------------------


@FAST
@given(headers)
def test_header_round_trip(header: PrimaryHeader) -> None:
    encoded = header.encode()
    assert len(encoded) == 6
    assert PrimaryHeader.decode(encoded) == header
    assert PrimaryHeader.decode(b"\xee" * 3 + encoded, offset=3) == header


@FAST
@given(packets())
def test_packet_round_trip(packet: SpacePacket) -> None:
    encoded = packet.encode()
    assert len(encoded) == len(packet)
    assert SpacePacket.decode(encoded) == packet
    assert SpacePacket.decode_from(encoded + b"tail", 0) == (packet, len(encoded))


@settings(max_examples=5, deadline=None, database=None)
@given(st.sampled_from([1, MAX_DATA_LEN]))
def test_packet_round_trip_size_limits(size: int) -> None:
    packet = SpacePacket.build(apid=1, data=bytes(size))
    assert SpacePacket.decode(packet.encode()) == packet


@FAST
@given(st.lists(packets(max_data=64), max_size=20), st.data())
def test_stream_walk_and_split(stream: list[SpacePacket], data: st.DataObject) -> None:
    raw = b"".join(p.encode() for p in stream)
    assert list(iter_packets(raw)) == stream

    cut = data.draw(st.integers(0, len(raw)), label="cut")
    first = split_stream(raw[:cut])
    second = split_stream(first.remainder + raw[cut:])
    assert first.packets + second.packets == stream
    assert second.remainder == b""

    by_apid = split_by_apid(raw)
    for apid, chunk in by_apid.items():
        assert chunk == b"".join(p.encode() for p in stream if p.apid == apid)
    assert list(by_apid) == list(dict.fromkeys(p.apid for p in stream))


# ------------------------------------------------------------------------------------------
# Failure paths: each error names the field / value / byte offset
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [
        ("apid", 2048, "0..2047"),
        ("apid", -1, "0..2047"),
        ("sequence_count", 16384, "0..16383"),
        ("data_length", 65536, "0..65535"),
        ("packet_type", 2, "0..1"),
        ("sequence_flags", 4, "0..3"),
        ("secondary_header_flag", 2, "0..1"),
        ("version", 1, "0 only"),
        ("version", 7, "0 only"),
    ],
)
def test_header_field_out_of_range(field: str, value: int, allowed: str) -> None:
    kwargs: dict[str, int] = {"apid": 1, "data_length": 0, field: value}
    with pytest.raises(FieldValueError) as info:
        PrimaryHeader(**kwargs)  # type: ignore[arg-type]
    assert info.value.field_name == field
    assert info.value.value == value
    assert str(info.value) == f"{field}={value} is out of range (allowed: {allowed})"
    assert isinstance(info.value, PacketError)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("field", "value"),
    [("apid", 1.0), ("apid", True), ("sequence_count", "3"), ("version", False)],
)
def test_header_field_wrong_type(field: str, value: object) -> None:
    kwargs: dict[str, object] = {"apid": 1, "data_length": 0, field: value}
    with pytest.raises(TypeError, match=field):
        PrimaryHeader(**kwargs)  # type: ignore[arg-type]


def test_build_rejects_bad_field_before_encoding() -> None:
    with pytest.raises(FieldValueError, match=r"sequence_count=20000 is out of range"):
        SpacePacket.build(apid=1, data=b"x", sequence_count=20000)


@pytest.mark.parametrize("size", [0, MAX_DATA_LEN + 1])
def test_data_size_out_of_range(size: int) -> None:
    allowed = f"1..{MAX_DATA_LEN}"
    with pytest.raises(FieldValueError, match=re.escape(f"len(data)={size} is out of range")):
        SpacePacket.build(apid=1, data=bytes(size))
    with pytest.raises(FieldValueError, match=re.escape(f"(allowed: {allowed})")):
        SpacePacket(PrimaryHeader(apid=1, data_length=0), bytes(size))


def test_data_length_mismatch() -> None:
    with pytest.raises(DataLengthMismatchError) as info:
        SpacePacket(PrimaryHeader(apid=1, data_length=4), b"abc")
    assert str(info.value) == "header data_length=4 requires 5 data bytes, got 3"
    assert (info.value.data_length, info.value.data_size) == (4, 3)


@pytest.mark.parametrize("available", [0, 1, 5])
def test_truncated_header(available: int) -> None:
    raw = PrimaryHeader(apid=1, data_length=0).encode()[:available]
    with pytest.raises(TruncatedHeaderError) as info:
        SpacePacket.decode(raw)
    assert info.value.offset == 0
    assert info.value.available == available
    assert str(info.value) == (
        f"truncated primary header at byte offset 0: need 6 bytes, {available} available"
    )


def test_truncated_header_at_offset_beyond_end() -> None:
    with pytest.raises(TruncatedHeaderError, match="at byte offset 10: need 6 bytes, 0 avail"):
        PrimaryHeader.decode(b"\x00" * 4, offset=10)


def test_negative_offset_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="offset must be >= 0, got -1"):
        PrimaryHeader.decode(bytes(6), offset=-1)


def test_truncated_packet_never_over_reads() -> None:
    raw = SpacePacket.build(apid=3, data=b"0123456789").encode()
    with pytest.raises(TruncatedPacketError) as info:
        SpacePacket.decode(raw[:-1])
    assert (info.value.offset, info.value.packet_len, info.value.available) == (0, 16, 15)
    assert str(info.value) == (
        "truncated packet at byte offset 0: header declares 16 bytes, 15 available"
    )


@pytest.mark.parametrize("version", range(1, 8))
def test_unsupported_version(version: int) -> None:
    raw = bytearray(SpacePacket.build(apid=3, data=b"x").encode())
    raw[0] |= version << 5
    with pytest.raises(UnsupportedVersionError) as info:
        SpacePacket.decode(raw)
    assert info.value.version == version
    assert info.value.offset == 0
    assert str(info.value) == (
        f"unsupported packet version {version} at byte offset 0 (only 0 is defined)"
    )


def test_trailing_bytes() -> None:
    raw = SpacePacket.build(apid=3, data=b"xy").encode()
    with pytest.raises(TrailingBytesError) as info:
        SpacePacket.decode(raw + b"\x00\x01\x02")
    assert (info.value.offset, info.value.extra) == (8, 3)
    assert str(info.value) == "3 trailing byte(s) after the packet, starting at byte offset 8"


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(TypeError, match="expected bytes-like data, got str"):
        SpacePacket.decode("abc")  # type: ignore[arg-type]


def test_iter_packets_reports_offset_of_bad_packet_after_good_ones() -> None:
    good = [SpacePacket.build(apid=i, data=bytes(i + 1)) for i in range(3)]
    raw = b"".join(p.encode() for p in good)  # 7 + 8 + 9 = 24 bytes
    seen: list[SpacePacket] = []
    with pytest.raises(TruncatedPacketError, match="at byte offset 24: header declares 7"):
        seen.extend(iter_packets(raw + good[0].encode()[:-1]))
    assert seen == good

    bad_version = bytearray(good[1].encode())
    bad_version[0] |= 0x20
    with pytest.raises(UnsupportedVersionError, match="version 1 at byte offset 7"):
        list(iter_packets(good[0].encode() + bytes(bad_version)))
    with pytest.raises(TruncatedHeaderError, match="at byte offset 24: need 6 bytes, 2"):
        list(iter_packets(raw + b"\x00\x00"))


def test_split_stream_keeps_incomplete_tail_but_rejects_bad_version() -> None:
    packet = SpacePacket.build(apid=9, data=b"hello")
    raw = packet.encode()
    assert split_stream(raw + raw[:3]) == ([packet], raw[:3])
    assert split_stream(raw[:8]) == ([], raw[:8])
    assert split_stream(b"") == ([], b"")
    with pytest.raises(UnsupportedVersionError, match="at byte offset 11"):
        split_stream(raw + b"\xe0" + raw[1:])


def test_split_by_apid_rejects_truncation() -> None:
    raw = SpacePacket.build(apid=9, data=b"hello").encode()
    with pytest.raises(TruncatedPacketError, match="at byte offset 11: header declares 11 bytes"):
        split_by_apid(raw + raw[:-1])


# ------------------------------------------------------------------------------------------
# Sequence-gap tracker
# ------------------------------------------------------------------------------------------


def _h(apid: int, count: int) -> PrimaryHeader:
    return PrimaryHeader(apid=apid, data_length=0, sequence_count=count)


def test_tracker_counts_gaps_per_apid_with_wrap() -> None:
    tracker = SequenceGapTracker()
    counts_a = [16380, 16381, 16383, 0, 1, 5]  # misses 16382, then 2..4; one rollover
    counts_b = [7, 8, 9]
    found = []
    for a, b in zip(counts_a, counts_b + [None] * 3, strict=True):
        found.append(tracker.observe(_h(1, a)))
        if b is not None:
            found.append(tracker.observe(SpacePacket(_h(2, b), b"\x00")))
    gaps = [gap for gap in found if gap is not None]
    assert gaps == [
        SequenceGap(apid=1, expected=16382, received=16383, missing=1, packet_index=4),
        SequenceGap(apid=1, expected=2, received=5, missing=3, packet_index=8),
    ]
    assert tracker.gaps == tuple(gaps)
    stats_a = tracker.stats(1)
    assert (stats_a.packets, stats_a.gaps, stats_a.missing, stats_a.rollovers) == (6, 2, 4, 1)
    assert (stats_a.first_count, stats_a.last_count, stats_a.duplicates) == (16380, 5, 0)
    stats_b = tracker.stats(2)
    assert (stats_b.packets, stats_b.gaps, stats_b.missing) == (3, 0, 0)
    assert tracker.apids == (1, 2)
    assert (tracker.total_packets, tracker.total_gaps, tracker.total_missing) == (9, 2, 4)


def test_tracker_wrap_gap_across_zero() -> None:
    tracker = SequenceGapTracker()
    gaps = tracker.observe_all([_h(3, 16383), _h(3, 2)])
    assert gaps == [SequenceGap(3, expected=0, received=2, missing=2, packet_index=1)]
    assert tracker.stats(3).rollovers == 1


def test_tracker_duplicate_and_late_packet() -> None:
    tracker = SequenceGapTracker()
    assert tracker.observe_all([_h(4, 10), _h(4, 10)]) == []
    assert tracker.stats(4).duplicates == 1
    # A late (out-of-order) packet is indistinguishable from a near-full-cycle gap.
    (gap,) = tracker.observe_all([_h(4, 9)])
    assert gap.missing == SEQUENCE_COUNT_MODULUS - 2


def test_tracker_idle_packets_and_reset() -> None:
    tracker = SequenceGapTracker()
    assert tracker.observe_all([_h(IDLE_APID, 0), _h(IDLE_APID, 9)]) == []
    assert tracker.total_packets == 0
    assert tracker.apids == ()
    with pytest.raises(KeyError, match="APID 2047 not seen"):
        tracker.stats(IDLE_APID)

    tracking = SequenceGapTracker(track_idle=True)
    assert len(tracking.observe_all([_h(IDLE_APID, 0), _h(IDLE_APID, 9)])) == 1
    tracking.reset()
    assert (tracking.total_packets, tracking.gaps, tracking.apids) == (0, (), ())


def test_tracker_bounds_recorded_gaps() -> None:
    tracker = SequenceGapTracker(max_recorded_gaps=2)
    tracker.observe_all([_h(1, c) for c in (0, 2, 4, 6, 8)])
    assert [gap.received for gap in tracker.gaps] == [6, 8]
    assert tracker.total_gaps == 4
    assert tracker.total_missing == 4
    with pytest.raises(FieldValueError, match="max_recorded_gaps=-1"):
        SequenceGapTracker(max_recorded_gaps=-1)


@FAST
@given(
    st.integers(0, SEQUENCE_COUNT_MODULUS - 1),
    st.lists(st.integers(1, 40000), min_size=1, max_size=30),
)
def test_tracker_missing_matches_total_advance(start: int, steps: list[int]) -> None:
    counts = [start]
    for step in steps:
        counts.append((counts[-1] + step) % SEQUENCE_COUNT_MODULUS)
    tracker = SequenceGapTracker()
    tracker.observe_all(_h(7, c) for c in counts)
    stats = tracker.stats(7)
    moves = [step % SEQUENCE_COUNT_MODULUS for step in steps]
    assert stats.duplicates == moves.count(0)
    assert stats.missing == sum(move - 1 for move in moves if move)
    assert stats.gaps == sum(1 for move in moves if move > 1)
    assert stats.packets == len(counts)
