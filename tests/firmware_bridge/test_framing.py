"""CRC-16/CCITT-FALSE, frame encoding and the pure Deframer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.framing import (
    CRC16_CHECK,
    FRAME_OVERHEAD,
    MAX_FRAME_PAYLOAD_LEN,
    SYNC_MARKER,
    Deframer,
    DeframerCounters,
    DeframeResult,
    DeframeStatus,
    FramingError,
    crc16_ccitt_false,
    encode_frame,
)
from firmware_bridge.space_packet import PacketType, SequenceFlags, SpacePacket

FAST = settings(max_examples=400, deadline=None, database=None)

FRAME = DeframeStatus.FRAME
NEED_MORE = DeframeStatus.NEED_MORE
BAD_CRC = DeframeStatus.BAD_CRC
BAD_LENGTH = DeframeStatus.BAD_LENGTH
RESYNC = DeframeStatus.RESYNC


def crc_bitwise(data: bytes) -> int:
    """Reference CRC-16/CCITT-FALSE, one bit at a time (independent of the table)."""
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            feedback = ((crc >> 15) ^ (byte >> bit)) & 1
            crc = (crc << 1) & 0xFFFF
            if feedback:
                crc ^= 0x1021
    return crc


@st.composite
def packets(draw: st.DrawFn, max_data: int = 120) -> SpacePacket:
    return SpacePacket.build(
        apid=draw(st.integers(0, 2047)),
        data=draw(st.binary(min_size=1, max_size=max_data)),
        packet_type=draw(st.sampled_from(PacketType)),
        secondary_header_flag=draw(st.booleans()),
        sequence_flags=draw(st.sampled_from(SequenceFlags)),
        sequence_count=draw(st.integers(0, 16383)),
    )


def frame_of(packet: SpacePacket) -> bytes:
    return encode_frame(packet.encode())


def feed_in_chunks(deframer: Deframer, stream: bytes, sizes: list[int]) -> list[DeframeResult]:
    """Feed ``stream`` cut into pieces of the given sizes (cycled), checking the invariants."""
    results: list[DeframeResult] = []
    at = 0
    step = 0
    while at < len(stream):
        size = sizes[step % len(sizes)] if sizes else len(stream)
        step += 1
        chunk = stream[at : at + size]
        at += len(chunk)
        events = deframer.feed(chunk)
        assert events[-1].status is NEED_MORE
        assert all(e.status is not NEED_MORE for e in events[:-1])
        assert events[-1].size == deframer.buffered <= deframer.capacity
        assert_accounting(deframer)
        results.extend(events[:-1])
    return results


def finish(deframer: Deframer) -> list[DeframeResult]:
    events = deframer.flush()
    assert events[-1] == DeframeResult(NEED_MORE, deframer.counters.bytes_fed, size=0)
    assert deframer.buffered == 0
    assert_accounting(deframer)
    return events[:-1]


def assert_accounting(deframer: Deframer) -> None:
    c = deframer.counters
    assert c.bytes_fed == c.frame_bytes + c.bytes_discarded + c.bytes_buffered


def payloads(results: list[DeframeResult]) -> list[bytes]:
    return [r.payload for r in results if r.status is FRAME]


def statuses(results: list[DeframeResult]) -> list[DeframeStatus]:
    return [r.status for r in results]


# ------------------------------------------------------------------------------------------
# CRC
# ------------------------------------------------------------------------------------------


def test_crc_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == CRC16_CHECK == 0x29B1
    assert crc_bitwise(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@FAST
@given(st.binary(max_size=200), st.binary(max_size=50))
def test_crc_table_matches_bitwise_and_continues(head: bytes, tail: bytes) -> None:
    assert crc16_ccitt_false(head) == crc_bitwise(head)
    assert crc16_ccitt_false(tail, crc16_ccitt_false(head)) == crc16_ccitt_false(head + tail)
    # Appending the CRC (big-endian) leaves a zero remainder: no reflection, no final XOR.
    assert crc16_ccitt_false(head + crc16_ccitt_false(head).to_bytes(2, "big")) == 0


# ------------------------------------------------------------------------------------------
# Encoding
# ------------------------------------------------------------------------------------------


def test_frame_layout_known_bytes() -> None:
    frame = encode_frame(b"\x01\x02\x03")
    assert frame == bytes.fromhex("1acffc1d 0003 010203 ebe1")
    assert crc_bitwise(bytes.fromhex("0003010203")) == 0xEBE1
    packet = SpacePacket.build(apid=0x42, data=b"ILRS", sequence_count=1)
    assert frame_of(packet) == bytes.fromhex("1acffc1d 000a 0042c0010003 494c5253 b5f4")


def test_encode_frame_limits() -> None:
    assert len(encode_frame(bytes(MAX_FRAME_PAYLOAD_LEN))) == MAX_FRAME_PAYLOAD_LEN + 8
    with pytest.raises(FramingError, match=r"frame payload length 0 is out of range"):
        encode_frame(b"")
    with pytest.raises(FramingError, match=r"length 65536 is out of range \(allowed: 1..65535\)"):
        encode_frame(bytes(MAX_FRAME_PAYLOAD_LEN + 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_payload_len": 0}, "max_payload_len=0 is out of range"),
        ({"max_payload_len": 65536}, "max_payload_len=65536 is out of range"),
        ({"min_payload_len": 0}, "min_payload_len=0 is out of range"),
        ({"min_payload_len": 11, "max_payload_len": 10}, "min_payload_len=11 is out of range"),
        ({"max_payload_len": 6}, "max_payload_len=6 cannot hold a Space Packet"),
    ],
)
def test_deframer_config_errors(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(FramingError, match=message):
        Deframer(**kwargs)  # type: ignore[arg-type]


def test_deframer_config_types_and_effective_limits() -> None:
    with pytest.raises(TypeError, match="max_payload_len must be an int"):
        Deframer(max_payload_len=10.0)  # type: ignore[arg-type]
    assert Deframer().min_payload_len == 7
    assert Deframer(check_space_packet=False).min_payload_len == 1
    tiny = Deframer(max_payload_len=6, check_space_packet=False)
    assert (tiny.max_payload_len, tiny.capacity) == (6, 6 + FRAME_OVERHEAD)


# ------------------------------------------------------------------------------------------
# Deframer: each status, with offsets, sizes and reasons
# ------------------------------------------------------------------------------------------

PKT_A = SpacePacket.build(apid=1, data=b"alpha", sequence_count=1)
PKT_B = SpacePacket.build(apid=2, data=b"bravo-bravo", sequence_count=2)
FRAME_A = frame_of(PKT_A)  # 8 + 11 = 19 bytes
FRAME_B = frame_of(PKT_B)  # 8 + 17 = 25 bytes


def test_single_frame() -> None:
    deframer = Deframer()
    assert deframer.feed(FRAME_A) == [
        DeframeResult(FRAME, 0, size=11, payload=PKT_A.encode()),
        DeframeResult(NEED_MORE, 19, size=0),
    ]
    assert deframer.counters == DeframerCounters(
        bytes_fed=19,
        frames_ok=1,
        frame_bytes=19,
        bad_crc=0,
        bad_length=0,
        bytes_discarded=0,
        resyncs=0,
        bytes_buffered=0,
    )


def test_byte_at_a_time() -> None:
    deframer = Deframer()
    results = feed_in_chunks(deframer, FRAME_A + FRAME_B, [1])
    assert payloads(results) == [PKT_A.encode(), PKT_B.encode()]
    assert [r.stream_offset for r in results] == [0, 19]


def test_leading_garbage_resyncs() -> None:
    deframer = Deframer()
    results = deframer.feed(b"noise\x1a\xcf" + FRAME_A)
    assert results == [
        DeframeResult(RESYNC, 0, size=7),
        DeframeResult(FRAME, 7, size=11, payload=PKT_A.encode()),
        DeframeResult(NEED_MORE, 26, size=0),
    ]
    assert deframer.counters.resyncs == 1
    assert deframer.counters.bytes_discarded == 7


def test_garbage_run_split_over_feeds_is_one_resync() -> None:
    deframer = Deframer()
    assert deframer.feed(b"xyz") == [DeframeResult(NEED_MORE, 3, size=0)]
    assert deframer.feed(b"abc" + SYNC_MARKER[:3]) == [DeframeResult(NEED_MORE, 6, size=3)]
    assert deframer.buffered == 3
    results = deframer.feed(FRAME_A[3:])
    assert results[0] == DeframeResult(RESYNC, 0, size=6)
    assert results[1].status is FRAME
    assert deframer.counters.resyncs == 1


def test_bad_crc_then_next_frame() -> None:
    corrupted = bytearray(FRAME_A)
    corrupted[-1] ^= 0x01
    deframer = Deframer()
    results = deframer.feed(bytes(corrupted) + FRAME_B)
    computed = crc16_ccitt_false(FRAME_A[4:-2])
    assert results[0] == DeframeResult(
        BAD_CRC,
        0,
        size=11,
        reason=f"CRC 0x{computed ^ 1:04X} received, 0x{computed:04X} computed",
    )
    assert results[1] == DeframeResult(RESYNC, 0, size=19)
    assert results[2] == DeframeResult(FRAME, 19, size=17, payload=PKT_B.encode())
    c = deframer.counters
    assert (c.bad_crc, c.bad_length, c.resyncs, c.frames_ok, c.bytes_discarded) == (1, 0, 1, 1, 19)


def test_bad_length_zero_and_over_max() -> None:
    deframer = Deframer(check_space_packet=False, max_payload_len=100)
    results = deframer.feed(SYNC_MARKER + b"\x00\x00" + FRAME_A)
    assert results[0] == DeframeResult(BAD_LENGTH, 0, size=0, reason="length 0 outside 1..100")
    assert results[1] == DeframeResult(RESYNC, 0, size=6)
    assert payloads(results) == [PKT_A.encode()]

    results = deframer.feed(SYNC_MARKER + b"\x00\x65" + FRAME_B)
    assert results[0] == DeframeResult(BAD_LENGTH, 25, size=101, reason="length 101 outside 1..100")
    assert payloads(results) == [PKT_B.encode()]
    assert deframer.counters.bad_length == 2


def test_bad_length_packet_mismatch_is_caught_before_waiting() -> None:
    # A length field corrupted upwards would make a plain deframer wait for 60000 bytes.
    corrupted = bytearray(FRAME_A)
    corrupted[4:6] = (60000).to_bytes(2, "big")
    deframer = Deframer()
    results = deframer.feed(bytes(corrupted) + FRAME_B)
    assert results[0] == DeframeResult(
        BAD_LENGTH, 0, size=60000, reason="frame length 60000 != space packet length 11"
    )
    assert payloads(results) == [PKT_B.encode()]


def test_plain_deframer_waits_then_flush_recovers() -> None:
    corrupted = bytearray(FRAME_A)
    corrupted[4:6] = (60000).to_bytes(2, "big")
    deframer = Deframer(check_space_packet=False)
    assert payloads(deframer.feed(bytes(corrupted) + FRAME_B)) == []
    assert deframer.buffered == 44
    results = finish(deframer)
    assert results[0] == DeframeResult(
        BAD_LENGTH, 0, size=60000, reason="stream ended 44 bytes into a 60008-byte frame"
    )
    assert results[1:] == [
        DeframeResult(RESYNC, 0, size=19),
        DeframeResult(FRAME, 19, size=17, payload=PKT_B.encode()),
    ]


@pytest.mark.parametrize(
    ("tail", "reason"),
    [
        (FRAME_A[:5], "stream ended 5 bytes into a frame header"),
        (FRAME_A[:9], "stream ended 9 bytes into a 19-byte frame"),
        (FRAME_A[:18], "stream ended 18 bytes into a 19-byte frame"),
    ],
)
def test_flush_reports_truncated_frame(tail: bytes, reason: str) -> None:
    deframer = Deframer()
    assert payloads(deframer.feed(FRAME_B + tail)) == [PKT_B.encode()]
    results = finish(deframer)
    size = 11 if len(tail) >= 6 else 0
    assert results == [DeframeResult(BAD_LENGTH, 25, size=size, reason=reason)]
    assert deframer.counters.bytes_discarded == len(tail)


def test_flush_drops_partial_marker_and_garbage() -> None:
    deframer = Deframer()
    deframer.feed(b"garbage" + SYNC_MARKER[:2])
    assert deframer.buffered == 2
    assert finish(deframer) == []
    assert deframer.counters.bytes_discarded == 9
    # The deframer keeps working after a flush.
    assert payloads(deframer.feed(FRAME_A)) == [PKT_A.encode()]


def test_sync_marker_inside_payload_is_not_a_frame_boundary() -> None:
    packet = SpacePacket.build(apid=5, data=SYNC_MARKER * 3 + encode_frame(b"fake-inner"))
    deframer = Deframer()
    results = feed_in_chunks(deframer, frame_of(packet) * 2, [7])
    assert payloads(results) == [packet.encode()] * 2
    assert deframer.counters.bytes_discarded == 0


def test_reset() -> None:
    deframer = Deframer()
    deframer.feed(b"junk" + FRAME_A[:10])
    deframer.reset()
    assert deframer.counters.bytes_fed == 0
    assert deframer.buffered == 0
    assert deframer.feed(FRAME_A)[0].stream_offset == 0


def test_feed_accepts_bytes_like_and_rejects_str() -> None:
    deframer = Deframer()
    assert payloads(deframer.feed(bytearray(FRAME_A))) == [PKT_A.encode()]
    assert payloads(deframer.feed(memoryview(FRAME_B))) == [PKT_B.encode()]
    with pytest.raises(TypeError):
        deframer.feed("text")  # type: ignore[arg-type]


def test_buffer_stays_bounded_on_huge_hostile_input() -> None:
    # Markers followed by the largest allowed length, back to back: every candidate waits
    # for a full frame and fails. The buffer never exceeds one maximum frame.
    deframer = Deframer(max_payload_len=200, check_space_packet=False)
    hostile = (SYNC_MARKER + b"\x00\xc8" + bytes(range(256)) * 2) * 400
    results = deframer.feed(hostile)
    assert deframer.buffered <= deframer.capacity == 208
    assert payloads(results) == []
    assert deframer.counters.bad_crc == len(results) - 1 - deframer.counters.resyncs
    assert_accounting(deframer)
    finish(deframer)


def test_max_size_frame() -> None:
    packet = SpacePacket.build(apid=3, data=bytes(range(256)) * 255 + b"tail")  # 65,284 bytes
    deframer = Deframer()
    assert payloads(feed_in_chunks(deframer, frame_of(packet), [4096])) == [packet.encode()]
    generic = Deframer(check_space_packet=False)
    biggest = bytes(MAX_FRAME_PAYLOAD_LEN)
    assert payloads(generic.feed(encode_frame(biggest))) == [biggest]


# ------------------------------------------------------------------------------------------
# Properties
# ------------------------------------------------------------------------------------------

chunk_sizes = st.lists(st.integers(1, 64), min_size=1, max_size=8)


def garbage(*, with_markers: bool) -> st.SearchStrategy[bytes]:
    pieces = [st.binary(max_size=40), st.sampled_from([SYNC_MARKER[:1], SYNC_MARKER[:3]])]
    if with_markers:
        # A marker with an arbitrary length after it: a candidate that must be rejected.
        pieces.append(st.binary(min_size=0, max_size=4).map(lambda b: SYNC_MARKER + b))
    return st.lists(st.one_of(pieces), max_size=4).map(b"".join)


@FAST
@given(st.data(), st.lists(packets(), max_size=8), chunk_sizes, st.booleans())
def test_frames_between_garbage_all_recovered_in_order(
    data: st.DataObject, stream_packets: list[SpacePacket], sizes: list[int], check: bool
) -> None:
    # Without the packet check, a garbage marker's length goes unverified until a CRC, which a
    # random tail can pass with probability 2**-16; those adversarial markers are used only in
    # checked mode, where a false frame also needs a matching packet length.
    junk = garbage(with_markers=check)
    stream = b""
    offsets = []
    for packet in stream_packets:
        stream += data.draw(junk, label="garbage")
        offsets.append(len(stream))
        stream += frame_of(packet)
    stream += data.draw(junk, label="garbage")

    deframer = Deframer(check_space_packet=check)
    results = feed_in_chunks(deframer, stream, sizes) + finish(deframer)
    frames = [r for r in results if r.status is FRAME]
    assert [r.payload for r in frames] == [p.encode() for p in stream_packets]
    assert [r.stream_offset for r in frames] == offsets
    assert [SpacePacket.decode(r.payload) for r in frames] == stream_packets
    c = deframer.counters
    assert c.frames_ok == len(stream_packets)
    assert c.bytes_fed == len(stream)
    assert c.frame_bytes == sum(len(frame_of(p)) for p in stream_packets)
    assert c.bytes_discarded == len(stream) - c.frame_bytes


@FAST
@given(packets(), packets(), st.data(), chunk_sizes)
def test_single_bit_flip_is_detected_and_next_frame_recovered(
    first: SpacePacket, second: SpacePacket, data: st.DataObject, sizes: list[int]
) -> None:
    frame = bytearray(frame_of(first))
    bit = data.draw(st.integers(0, len(frame) * 8 - 1), label="bit")
    frame[bit // 8] ^= 0x80 >> (bit % 8)

    deframer = Deframer()
    results = feed_in_chunks(deframer, bytes(frame) + frame_of(second), sizes)
    # Checked mode needs no flush: a damaged length is caught by the packet length check.
    assert payloads(results) == [second.encode()]
    found = set(statuses(results))
    if bit < 32:
        assert RESYNC in found  # damaged sync marker: the frame is skipped while hunting
    else:
        assert found & {BAD_CRC, BAD_LENGTH}
    assert results[-1] == DeframeResult(
        FRAME, len(frame), size=len(second), payload=second.encode()
    )


@FAST
@given(packets(), packets(), st.data(), chunk_sizes)
def test_single_bit_flip_plain_deframer(
    first: SpacePacket, second: SpacePacket, data: st.DataObject, sizes: list[int]
) -> None:
    # Without the packet check, the CRC guarantees detection for flips outside the length
    # field (a damaged length moves where the CRC is read, so detection there is 1 - 2**-16).
    frame = bytearray(frame_of(first))
    bit_range = list(range(32)) + list(range(48, len(frame) * 8))
    bit = data.draw(st.sampled_from(bit_range), label="bit")
    frame[bit // 8] ^= 0x80 >> (bit % 8)

    deframer = Deframer(check_space_packet=False)
    results = feed_in_chunks(deframer, bytes(frame) + frame_of(second), sizes)
    results += finish(deframer)
    assert payloads(results) == [second.encode()]
    assert set(statuses(results)) & ({RESYNC} if bit < 32 else {BAD_CRC})


noisy_piece = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([SYNC_MARKER, SYNC_MARKER[:2], SYNC_MARKER + b"\x00\x07"]),
    packets(max_data=40).map(frame_of),
    st.tuples(packets(max_data=40), st.integers(1, 200)).map(lambda t: frame_of(t[0])[: t[1]]),
)


@FAST
@given(st.lists(noisy_piece, max_size=12).map(b"".join), chunk_sizes, st.booleans())
def test_any_bytes_never_raise_and_counters_add_up(
    stream: bytes, sizes: list[int], check: bool
) -> None:
    deframer = Deframer(check_space_packet=check, max_payload_len=300)
    results = feed_in_chunks(deframer, stream, sizes) + finish(deframer)
    c = deframer.counters
    assert c.bytes_fed == len(stream)
    assert c.bytes_fed == c.frame_bytes + c.bytes_discarded
    assert c.frames_ok == statuses(results).count(FRAME)
    assert c.bad_crc == statuses(results).count(BAD_CRC)
    assert c.bad_length == statuses(results).count(BAD_LENGTH)
    assert c.resyncs == statuses(results).count(RESYNC)
    assert c.frame_bytes == sum(r.size + FRAME_OVERHEAD for r in results if r.status is FRAME)
    assert sum(r.size for r in results if r.status is RESYNC) <= c.bytes_discarded
    for r in results:
        if r.status is FRAME:
            assert stream[r.stream_offset : r.stream_offset + r.size + 8] == encode_frame(r.payload)


@FAST
@given(st.lists(noisy_piece, max_size=12).map(b"".join), chunk_sizes, st.booleans())
def test_events_do_not_depend_on_chunking(stream: bytes, sizes: list[int], check: bool) -> None:
    whole = Deframer(check_space_packet=check)
    chunked = Deframer(check_space_packet=check)
    expected = feed_in_chunks(whole, stream, []) + finish(whole)
    assert feed_in_chunks(chunked, stream, sizes) + finish(chunked) == expected
    assert whole.counters == chunked.counters


@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=3000), chunk_sizes)
def test_random_bytes(stream: bytes, sizes: list[int]) -> None:
    deframer = Deframer()
    feed_in_chunks(deframer, stream, sizes)
    finish(deframer)
    assert deframer.counters.bytes_discarded + deframer.counters.frame_bytes == len(stream)


# ------------------------------------------------------------------------------------------
# The fast path and feed_payloads change nothing
# ------------------------------------------------------------------------------------------


class StepOnlyDeframer(Deframer):
    """The deframer with its fast path off: _step decides every byte."""

    _fast_path = False


@st.composite
def damaged_frame(draw: st.DrawFn) -> bytes:
    """A frame with one byte changed (sync, length, header, payload or CRC)."""
    frame = bytearray(frame_of(draw(packets(max_data=40))))
    at = draw(st.integers(0, len(frame) - 1))
    frame[at] ^= draw(st.integers(1, 255))
    return bytes(frame)


link_traffic = st.lists(
    st.one_of(
        packets(max_data=40).map(frame_of),
        packets(max_data=40).map(frame_of),
        damaged_frame(),
        noisy_piece,
        # A good frame carrying a payload that is not one Space Packet.
        st.binary(min_size=1, max_size=30).map(encode_frame),
    ),
    max_size=20,
).map(b"".join)


def _feed_payloads_in_chunks(deframer: Deframer, stream: bytes, sizes: list[int]) -> list[bytes]:
    found: list[bytes] = []
    at = 0
    step = 0
    while at < len(stream):
        size = sizes[step % len(sizes)] if sizes else len(stream)
        step += 1
        found += deframer.feed_payloads(stream[at : at + size])
        at += size
        assert deframer.buffered <= deframer.capacity
        assert_accounting(deframer)
    return found


@settings(max_examples=600, deadline=None, database=None)
@given(
    link_traffic,
    chunk_sizes,
    st.booleans(),
    st.sampled_from([(1, 300), (7, 25), (12, 60), (1, 65535)]),
)
def test_the_fast_path_decides_every_byte_as_step_does(
    stream: bytes, sizes: list[int], check: bool, bounds: tuple[int, int]
) -> None:
    limits = {"min_payload_len": bounds[0], "max_payload_len": bounds[1]}
    fast = Deframer(check_space_packet=check, **limits)
    reference = StepOnlyDeframer(check_space_packet=check, **limits)
    events = feed_in_chunks(fast, stream, sizes)
    assert events == feed_in_chunks(reference, stream, sizes)
    assert fast.counters == reference.counters

    # feed_payloads: the same frames, counters and buffered bytes, without the events.
    bulk = Deframer(check_space_packet=check, **limits)
    assert _feed_payloads_in_chunks(bulk, stream, sizes) == payloads(events)
    assert bulk.counters == fast.counters

    ending = finish(fast)
    assert ending == finish(reference) == finish(bulk)
    assert fast.counters == reference.counters == bulk.counters


def test_feed_payloads_counts_what_feed_reports() -> None:
    stream = b"junk" + FRAME_A + FRAME_B[:-1] + b"\x00" + FRAME_B + FRAME_A[:9]
    by_events = Deframer()
    by_payloads = Deframer()
    events = by_events.feed(stream)
    assert by_payloads.feed_payloads(stream) == payloads(events) == [PKT_A.encode(), PKT_B.encode()]
    assert by_payloads.counters == by_events.counters
    assert by_payloads.counters.bad_crc == 1 and by_payloads.counters.resyncs == 2
    assert by_payloads.buffered == 9
    assert by_payloads.feed_payloads(b"") == []


def test_frames_from_the_fast_path_are_ordinary_frozen_results() -> None:
    result = Deframer().feed(FRAME_A)[0]
    expected = DeframeResult(FRAME, 0, size=11, payload=PKT_A.encode())
    assert (result, hash(result), repr(result)) == (expected, hash(expected), repr(expected))
    assert type(result) is DeframeResult
    with pytest.raises(AttributeError):
        result.size = 3  # type: ignore[misc]
