"""Link between the autonomy computer and its microcontrollers.

This layer carries CCSDS Space Packets (:mod:`firmware_bridge.space_packet`) inside a checked
framing (:mod:`firmware_bridge.framing`): an attached sync marker, a length and a CRC-16, so a
byte stream that is chunked, noisy or corrupted yields exactly the packets that arrived intact.
Everything here is pure: no I/O, no clocks, no threads. Transports feed bytes in.

Typical receive path::

    deframer = Deframer()
    tracker = SequenceGapTracker()
    for event in deframer.feed(chunk):
        if event.status is DeframeStatus.FRAME:
            packet = SpacePacket.decode(event.payload)
            tracker.observe(packet)
"""

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
from firmware_bridge.space_packet import (
    IDLE_APID,
    MAX_APID,
    MAX_DATA_LEN,
    MAX_PACKET_LEN,
    MIN_PACKET_LEN,
    PRIMARY_HEADER_LEN,
    SEQUENCE_COUNT_MODULUS,
    ApidSequenceStats,
    DataLengthMismatchError,
    FieldValueError,
    PacketError,
    PacketType,
    PrimaryHeader,
    SequenceFlags,
    SequenceGap,
    SequenceGapTracker,
    SpacePacket,
    StreamSplit,
    TrailingBytesError,
    TruncatedHeaderError,
    TruncatedPacketError,
    UnsupportedVersionError,
    iter_packets,
    split_by_apid,
    split_stream,
)

__all__ = [
    "CRC16_CHECK",
    "FRAME_OVERHEAD",
    "IDLE_APID",
    "MAX_APID",
    "MAX_DATA_LEN",
    "MAX_FRAME_PAYLOAD_LEN",
    "MAX_PACKET_LEN",
    "MIN_PACKET_LEN",
    "PRIMARY_HEADER_LEN",
    "SEQUENCE_COUNT_MODULUS",
    "SYNC_MARKER",
    "ApidSequenceStats",
    "DataLengthMismatchError",
    "DeframeResult",
    "DeframeStatus",
    "Deframer",
    "DeframerCounters",
    "FieldValueError",
    "FramingError",
    "PacketError",
    "PacketType",
    "PrimaryHeader",
    "SequenceFlags",
    "SequenceGap",
    "SequenceGapTracker",
    "SpacePacket",
    "StreamSplit",
    "TrailingBytesError",
    "TruncatedHeaderError",
    "TruncatedPacketError",
    "UnsupportedVersionError",
    "crc16_ccitt_false",
    "encode_frame",
    "iter_packets",
    "split_by_apid",
    "split_stream",
]
