"""The packet and framing layers against real spacecraft telemetry (tests/data/ccsds/).

Golden values: packet counts and APID sets are those stated in the dataset's SOURCE.md (101 is
also asserted by ccsdspy's own test suite). Per-APID counts, first/last sequence counts and
sequence gaps were computed once with ccsdspy 2.0.1 (``ccsdspy.utils.read_primary_headers``,
gap = ``(diff - 1) mod 16384`` per APID) in a scratch environment and written here as constants;
ccsdspy is not needed to run these tests. Per-APID split digests are the SHA-256 of the split
files ccsdspy ships as its expected output (``SHA256SUMS`` of the shared dataset).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from firmware_bridge.framing import Deframer, DeframeStatus, crc16_ccitt_false, encode_frame
from firmware_bridge.space_packet import (
    PacketType,
    SequenceFlags,
    SequenceGap,
    SequenceGapTracker,
    SpacePacket,
    iter_packets,
    split_by_apid,
    split_stream,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "ccsds"
CYGNSS = "CYGNSS_F7_L0_2022_086_10_15_V01_F__first101pkts.tlm"
ECM = "ecm_raw2.bin"
CSA = "apid00400.tlm"

FILE_SHA256 = {
    CYGNSS: "b370114855eeeec10155d9761e9cf1951bedded914210a136cc92df759deef11",
    ECM: "b72089379d201e3458d02244fefbed48aee515de1d8b06cb5ad6aceeff29b9cb",
    CSA: "4ace66d809ff89d7173c90fe6330e9840b9f1457ac8716b88df3e578cdf90bea",
}


@cache
def load(name: str) -> bytes:
    return (DATA / name).read_bytes()


@cache
def packets_of(name: str) -> tuple[SpacePacket, ...]:
    return tuple(iter_packets(load(name)))


@pytest.mark.parametrize("name", sorted(FILE_SHA256))
def test_data_files_are_the_documented_ones(name: str) -> None:
    assert hashlib.sha256(load(name)).hexdigest() == FILE_SHA256[name]


# ------------------------------------------------------------------------------------------
# CYGNSS FM07 flight Level-0, first 101 packets, mixed APIDs
# ------------------------------------------------------------------------------------------

CYGNSS_APID_COUNTS = {384: 4, 386: 4, 391: 1, 392: 4, 393: 40, 394: 39, 1313: 9}
CYGNSS_DATA_LENGTH = {384: 253, 386: 97, 391: 1673, 392: 161, 393: 133, 394: 69, 1313: 265}
# (first count, last count, gaps, missing) per APID; 384/386/392 step by 10.
CYGNSS_SEQUENCE = {
    384: (5380, 5410, 3, 27),
    386: (5330, 5360, 3, 27),
    391: (0, 0, 0, 0),
    392: (1740, 1770, 3, 27),
    393: (1757, 1796, 0, 0),
    394: (8411, 8449, 0, 0),
    1313: (1208, 1216, 0, 0),
}
CYGNSS_SPLIT_SHA256 = {
    384: "7a5e89558ed9f65fbf231aaefd3a9ff230ca3e5908e1d234ad516a784f7bc681",
    386: "aefee3ed5e606d2a7d6ee694037a35f231994f1aeab041994b34b93040158365",
    391: "5ffbc1d7003280442944ca7a3393db58731104a8f5bb5bd5168739212622233d",
    392: "fabaf181f5a9730380887d11525a3952224b39ae978277543320f1b873884116",
    393: "7fa9afaffb9916f3e664d343ed6777dc2bd37b594c9f1e92accfab6777d4ad40",
    394: "3bdce16430eb3d06c9e622baea15a7b23d1ceb17eeb79f8e2a8d1bb9ead588c5",
    1313: "04750910011d44b0a227ae43be5b66587003b3e65a67dbbf3e822d4f2540e114",
}


def test_cygnss_packets_and_headers() -> None:
    packets = packets_of(CYGNSS)
    assert len(packets) == 101
    assert Counter(p.apid for p in packets) == CYGNSS_APID_COUNTS
    for p in packets:
        assert p.header.version == 0
        assert p.header.packet_type is PacketType.TM
        assert p.header.secondary_header_flag is True
        assert p.header.sequence_flags is SequenceFlags.UNSEGMENTED
        assert p.header.data_length == CYGNSS_DATA_LENGTH[p.apid]  # fixed length per APID
    assert b"".join(p.encode() for p in packets) == load(CYGNSS)


def test_cygnss_split_by_apid_matches_ccsdspy_expected_files() -> None:
    split = split_by_apid(load(CYGNSS))
    digests = {apid: hashlib.sha256(chunk).hexdigest() for apid, chunk in split.items()}
    assert digests == CYGNSS_SPLIT_SHA256


def test_cygnss_sequence_gaps() -> None:
    tracker = SequenceGapTracker()
    gaps = tracker.observe_all(packets_of(CYGNSS))
    assert tracker.total_packets == 101
    assert tracker.apids == tuple(sorted(CYGNSS_APID_COUNTS))
    for apid, (first, last, n_gaps, missing) in CYGNSS_SEQUENCE.items():
        stats = tracker.stats(apid)
        assert stats.packets == CYGNSS_APID_COUNTS[apid]
        assert (stats.first_count, stats.last_count) == (first, last)
        assert (stats.gaps, stats.missing) == (n_gaps, missing)
        assert (stats.duplicates, stats.rollovers) == (0, 0)
    assert (tracker.total_gaps, tracker.total_missing) == (9, 81)
    assert [(g.apid, g.expected, g.received, g.missing) for g in gaps if g.apid == 384] == [
        (384, 5381, 5390, 9),
        (384, 5391, 5400, 9),
        (384, 5401, 5410, 9),
    ]
    assert all(isinstance(g, SequenceGap) and g.missing == 9 for g in gaps)


# ------------------------------------------------------------------------------------------
# Europa Clipper ECM magnetometer, 1,030 packets, mixed APIDs, CRC-protected packets
# ------------------------------------------------------------------------------------------

ECM_APID_COUNTS = {1216: 944, 1217: 4, 1219: 22, 1223: 22, 1227: 22, 1232: 16}
ECM_FIRST_LAST = {
    1216: (10037, 10980),
    1217: (0, 3),
    1219: (0, 21),
    1223: (0, 21),
    1227: (0, 21),
    1232: (0, 15),
}
ECM_SPLIT_SHA256 = {
    1216: "b13d0ce2cae5d3173540abc28c723ede8bb69034e67a9c2a099e1b8a9b08e132",
    1217: "46b3eb1909aec627882c29097ee592d9f7b1e35eb291b0655080460b74ee3e25",
    1219: "5760c0bb197448771be6f56022ac7f4ad9bf25fa30f18293b1b18f8fc3194c2f",
    1223: "f120a059a6377fa451e2233e598d162be279460dbe1a251e64c6a705e22ce59b",
    1227: "09f904f844dc49b6be5105883a89700b62acf41c97d60e225f8e1b18d6e24f2a",
    1232: "71489b632e4f9ecd6cb1f6dd1eda1454fce5d11f2a423c430e87c40bd0a567fb",
}


def test_ecm_packets_split_and_no_gaps() -> None:
    packets = packets_of(ECM)
    assert len(packets) == 1030
    assert Counter(p.apid for p in packets) == ECM_APID_COUNTS
    assert {p.header.data_length for p in packets if p.apid == 1232} == {17, 29, 77}
    digests = {a: hashlib.sha256(c).hexdigest() for a, c in split_by_apid(load(ECM)).items()}
    assert digests == ECM_SPLIT_SHA256

    tracker = SequenceGapTracker()
    assert tracker.observe_all(packets) == []
    for apid, (first, last) in ECM_FIRST_LAST.items():
        stats = tracker.stats(apid)
        assert (stats.first_count, stats.last_count, stats.gaps) == (first, last, 0)


def test_ecm_decoded_fields_match_ccsdspy_regression_values() -> None:
    # ccsdspy test_regression.py: "Accountability ID" (uint32 after a 6-byte SCLK) == 400 and
    # FGx_CH1_134 (int24; 160 samples x channels 3, 2, 1 after a 10-byte prefix) == -88.
    ch1_134 = 10 + (134 * 3 + 2) * 3
    for packet in (p for p in packets_of(ECM) if p.apid == 1227):
        assert int.from_bytes(packet.data[6:10], "big") == 400
        assert int.from_bytes(packet.data[ch1_134 : ch1_134 + 3], "big", signed=True) == -88


def test_ecm_packet_crc_is_crc16_ccitt_false() -> None:
    # Each ECM packet ends with a "PEC (CRC-16-CCITT)" computed by the instrument over the rest
    # of the packet; our CRC must agree with the flight hardware on every one.
    for packet in packets_of(ECM):
        raw = packet.encode()
        assert crc16_ccitt_false(raw[:-2]) == int.from_bytes(raw[-2:], "big")


def test_ecm_through_framing_in_chunks() -> None:
    packets = packets_of(ECM)
    stream = b"".join(encode_frame(p.encode()) for p in packets)
    deframer = Deframer()
    received = []
    for at in range(0, len(stream), 1000):
        for event in deframer.feed(stream[at : at + 1000]):
            if event.status is DeframeStatus.FRAME:
                received.append(SpacePacket.decode(event.payload))
    assert received == list(packets)
    counters = deframer.counters
    assert (counters.frames_ok, counters.bytes_discarded, counters.bytes_buffered) == (1030, 0, 0)
    assert counters.frame_bytes == len(load(ECM)) + 8 * 1030


def test_ecm_split_stream_in_chunks() -> None:
    raw = load(ECM)
    packets: list[SpacePacket] = []
    carry = b""
    for at in range(0, len(raw), 4093):
        split = split_stream(carry + raw[at : at + 4093])
        packets.extend(split.packets)
        carry = split.remainder
    assert carry == b""
    assert tuple(packets) == packets_of(ECM)


# ------------------------------------------------------------------------------------------
# CSA APID 400, 3,444 packets: sparse sequence counts that wrap 71 times
# ------------------------------------------------------------------------------------------


def test_csa_packets_and_wrapping_gaps() -> None:
    packets = packets_of(CSA)
    assert len(packets) == 3444
    assert {p.apid for p in packets} == {400}
    assert {p.header.data_length for p in packets} == {139}
    assert not any(p.header.secondary_header_flag for p in packets)

    tracker = SequenceGapTracker(max_recorded_gaps=10)
    tracker.observe_all(packets)
    stats = tracker.stats(400)
    assert (stats.packets, stats.first_count, stats.last_count) == (3444, 8650, 12147)
    assert (stats.gaps, stats.missing, stats.rollovers, stats.duplicates) == (3443, 1163318, 71, 0)
    # Total advance of the counter = received steps + missing = whole wraps + net change.
    assert 3443 + 1163318 == 71 * 16384 + (12147 - 8650)
    assert len(tracker.gaps) == 10


def test_csa_bit_fields_match_ccsdspy_regression_values() -> None:
    # ccsdspy test_regression.py: 7-bit uints at data-field bits 954 and 970 are 32 and 31.
    for packet in packets_of(CSA):
        value = int.from_bytes(packet.data, "big")
        bits = len(packet.data) * 8
        assert (value >> (bits - 954 - 7)) & 0x7F == 32
        assert (value >> (bits - 970 - 7)) & 0x7F == 31
