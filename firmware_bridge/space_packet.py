"""CCSDS Space Packets (CCSDS 133.0-B-2): primary header, packet, stream walking, gap tracking.

A Space Packet is a 6-byte big-endian primary header followed by a packet data field of
1..65536 bytes::

    bits  3        1      1        11      2           14              16
        +-------+------+--------+------+-----------+----------------+-------------------+
        |version| type | sechdr | APID | seq flags | sequence count | data length - 1   |
        +-------+------+--------+------+-----------+----------------+-------------------+
        |<----------- packet identification ---->|<-- sequence control --->|

Construction validates every field, so an out-of-range value raises before any byte is written.
Decoding reads only the bytes the header says belong to the packet and raises a typed
:class:`PacketError` (never an ``IndexError``) that names the byte offset of the problem.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final, NamedTuple, TypeAlias

BytesLike: TypeAlias = bytes | bytearray | memoryview

PRIMARY_HEADER_LEN: Final = 6
"""Bytes in the primary header."""
MIN_DATA_LEN: Final = 1
"""Smallest packet data field (the length field stores ``len - 1``)."""
MAX_DATA_LEN: Final = 65536
"""Largest packet data field."""
MIN_PACKET_LEN: Final = PRIMARY_HEADER_LEN + MIN_DATA_LEN
MAX_PACKET_LEN: Final = PRIMARY_HEADER_LEN + MAX_DATA_LEN
MAX_APID: Final = 0x7FF
IDLE_APID: Final = 0x7FF
"""APID reserved for idle packets."""
SEQUENCE_COUNT_MODULUS: Final = 0x4000
"""The 14-bit sequence count wraps from 16383 to 0."""
SUPPORTED_VERSION: Final = 0
"""Packet version number '000' (version 1 in CCSDS prose), the only one defined."""

_HEADER: Final = struct.Struct(">HHH")


class PacketType(IntEnum):
    """Packet type bit: telemetry (reporting) or telecommand (requesting)."""

    TM = 0
    TC = 1


class SequenceFlags(IntEnum):
    """Sequence flags: where this packet sits in a segmented user-data set."""

    CONTINUATION = 0
    FIRST = 1
    LAST = 2
    UNSEGMENTED = 3


# --------------------------------------------------------------------------------------------
# Errors: one taxonomy, every message names the offending values and, when decoding, the offset.
# --------------------------------------------------------------------------------------------


class PacketError(ValueError):
    """Base of every Space Packet error. ``offset`` is the byte offset in the decoded buffer."""

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


class FieldValueError(PacketError):
    """A header field or the data field is out of its allowed range."""

    def __init__(self, field_name: str, value: object, allowed: str) -> None:
        super().__init__(f"{field_name}={value!r} is out of range (allowed: {allowed})")
        self.field_name = field_name
        self.value = value


class DataLengthMismatchError(PacketError):
    """The header's data_length disagrees with the size of the data given with it."""

    def __init__(self, data_length: int, data_size: int) -> None:
        super().__init__(
            f"header data_length={data_length} requires {data_length + 1} data bytes, "
            f"got {data_size}"
        )
        self.data_length = data_length
        self.data_size = data_size


class TruncatedHeaderError(PacketError):
    """Fewer than 6 bytes remain where a primary header should start."""

    def __init__(self, offset: int, available: int) -> None:
        super().__init__(
            f"truncated primary header at byte offset {offset}: need {PRIMARY_HEADER_LEN} "
            f"bytes, {available} available",
            offset=offset,
        )
        self.available = available


class TruncatedPacketError(PacketError):
    """The header declares more bytes than remain in the buffer."""

    def __init__(self, offset: int, packet_len: int, available: int) -> None:
        super().__init__(
            f"truncated packet at byte offset {offset}: header declares {packet_len} bytes, "
            f"{available} available",
            offset=offset,
        )
        self.packet_len = packet_len
        self.available = available


class UnsupportedVersionError(PacketError):
    """The version field is not 0 (the only version CCSDS 133.0-B-2 defines)."""

    def __init__(self, offset: int, version: int) -> None:
        super().__init__(
            f"unsupported packet version {version} at byte offset {offset} "
            f"(only {SUPPORTED_VERSION} is defined)",
            offset=offset,
        )
        self.version = version


class TrailingBytesError(PacketError):
    """Bytes follow a complete packet where exactly one packet was expected."""

    def __init__(self, offset: int, extra: int) -> None:
        super().__init__(
            f"{extra} trailing byte(s) after the packet, starting at byte offset {offset}",
            offset=offset,
        )
        self.extra = extra


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        raise FieldValueError(name, value, f"{lo}..{hi}")
    return value


def _as_byte_view(buf: BytesLike) -> memoryview:
    if not isinstance(buf, bytes | bytearray | memoryview):
        raise TypeError(f"expected bytes-like data, got {type(buf).__name__}")
    return memoryview(buf).cast("B")


# --------------------------------------------------------------------------------------------
# Header and packet
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PrimaryHeader:
    """The 6-byte primary header. Every field is validated on construction.

    ``data_length`` is the raw field value: the packet data field holds ``data_length + 1``
    bytes. Enum fields also accept their integer values.
    """

    apid: int
    data_length: int
    packet_type: PacketType = PacketType.TM
    secondary_header_flag: bool = False
    sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED
    sequence_count: int = 0
    version: int = SUPPORTED_VERSION

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int):
            raise TypeError(f"version must be an int, got {self.version!r}")
        if self.version != SUPPORTED_VERSION:
            raise FieldValueError("version", self.version, f"{SUPPORTED_VERSION} only")
        _check_int("apid", self.apid, 0, MAX_APID)
        _check_int("sequence_count", self.sequence_count, 0, SEQUENCE_COUNT_MODULUS - 1)
        _check_int("data_length", self.data_length, 0, MAX_DATA_LEN - 1)
        ptype = _check_int("packet_type", self.packet_type, 0, 1)
        flags = _check_int("sequence_flags", self.sequence_flags, 0, 3)
        sec_flag: object = self.secondary_header_flag
        sec = _check_int(
            "secondary_header_flag", int(sec_flag) if isinstance(sec_flag, bool) else sec_flag, 0, 1
        )
        # Normalise integer inputs to the declared enum / bool types.
        object.__setattr__(self, "packet_type", PacketType(ptype))
        object.__setattr__(self, "sequence_flags", SequenceFlags(flags))
        object.__setattr__(self, "secondary_header_flag", bool(sec))

    @property
    def packet_length(self) -> int:
        """Total bytes of the packet this header starts (header + data field)."""
        return PRIMARY_HEADER_LEN + self.data_length + 1

    @property
    def is_idle(self) -> bool:
        """True for idle packets (APID 2047)."""
        return self.apid == IDLE_APID

    def encode(self) -> bytes:
        """The 6 header bytes, big-endian."""
        word0 = (
            (self.version << 13)
            | (int(self.packet_type) << 12)
            | (int(self.secondary_header_flag) << 11)
            | self.apid
        )
        word1 = (int(self.sequence_flags) << 14) | self.sequence_count
        return _HEADER.pack(word0, word1, self.data_length)

    @classmethod
    def decode(cls, buf: BytesLike, offset: int = 0) -> PrimaryHeader:
        """Decode the header at ``offset``; reads exactly 6 bytes.

        Raises :class:`TruncatedHeaderError` or :class:`UnsupportedVersionError`.
        """
        view = _as_byte_view(buf)
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        available = max(0, len(view) - offset)
        if available < PRIMARY_HEADER_LEN:
            raise TruncatedHeaderError(offset, available)
        word0, word1, data_length = _HEADER.unpack_from(view, offset)
        version = word0 >> 13
        if version != SUPPORTED_VERSION:
            raise UnsupportedVersionError(offset, version)
        return cls(
            version=version,
            packet_type=PacketType((word0 >> 12) & 0x1),
            secondary_header_flag=bool((word0 >> 11) & 0x1),
            apid=word0 & MAX_APID,
            sequence_flags=SequenceFlags(word1 >> 14),
            sequence_count=word1 & (SEQUENCE_COUNT_MODULUS - 1),
            data_length=data_length,
        )


@dataclass(frozen=True)
class SpacePacket:
    """A primary header and its packet data field (secondary header + user data, opaque here)."""

    header: PrimaryHeader
    data: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.header, PrimaryHeader):
            raise TypeError(f"header must be a PrimaryHeader, got {type(self.header).__name__}")
        data = bytes(_as_byte_view(self.data))
        if not MIN_DATA_LEN <= len(data) <= MAX_DATA_LEN:
            raise FieldValueError("len(data)", len(data), f"{MIN_DATA_LEN}..{MAX_DATA_LEN}")
        if self.header.data_length != len(data) - 1:
            raise DataLengthMismatchError(self.header.data_length, len(data))
        object.__setattr__(self, "data", data)

    @classmethod
    def build(
        cls,
        *,
        apid: int,
        data: BytesLike,
        packet_type: PacketType = PacketType.TM,
        secondary_header_flag: bool = False,
        sequence_flags: SequenceFlags = SequenceFlags.UNSEGMENTED,
        sequence_count: int = 0,
    ) -> SpacePacket:
        """Make a packet, deriving ``data_length`` from ``data``."""
        view = _as_byte_view(data)
        size = len(view)
        if not MIN_DATA_LEN <= size <= MAX_DATA_LEN:
            raise FieldValueError("len(data)", size, f"{MIN_DATA_LEN}..{MAX_DATA_LEN}")
        header = PrimaryHeader(
            apid=apid,
            data_length=size - 1,
            packet_type=packet_type,
            secondary_header_flag=secondary_header_flag,
            sequence_flags=sequence_flags,
            sequence_count=sequence_count,
        )
        return cls(header, bytes(view))

    @property
    def apid(self) -> int:
        return self.header.apid

    @property
    def sequence_count(self) -> int:
        return self.header.sequence_count

    def __len__(self) -> int:
        """Total encoded size in bytes."""
        return self.header.packet_length

    def encode(self) -> bytes:
        """Header followed by the data field."""
        return self.header.encode() + self.data

    @classmethod
    def decode_from(cls, buf: BytesLike, offset: int = 0) -> tuple[SpacePacket, int]:
        """Decode the packet starting at ``offset``; return it and the offset just past it.

        Reads only the bytes the header declares; raises a :class:`PacketError` subclass if
        they are not all present.
        """
        view = _as_byte_view(buf)
        header = PrimaryHeader.decode(view, offset)
        end = offset + header.packet_length
        if end > len(view):
            raise TruncatedPacketError(offset, header.packet_length, len(view) - offset)
        return cls(header, bytes(view[offset + PRIMARY_HEADER_LEN : end])), end

    @classmethod
    def decode(cls, buf: BytesLike) -> SpacePacket:
        """Decode a buffer holding exactly one packet (:class:`TrailingBytesError` otherwise)."""
        view = _as_byte_view(buf)
        packet, end = cls.decode_from(view, 0)
        if end != len(view):
            raise TrailingBytesError(end, len(view) - end)
        return packet


# --------------------------------------------------------------------------------------------
# Walking a concatenated packet stream
# --------------------------------------------------------------------------------------------


class StreamSplit(NamedTuple):
    """Complete packets found at the front of a buffer, and the incomplete bytes after them."""

    packets: list[SpacePacket]
    remainder: bytes


def iter_packets(buf: BytesLike) -> Iterator[SpacePacket]:
    """Yield every packet of a buffer of back-to-back packets, in order.

    The whole buffer must be packets: a truncated last packet raises
    :class:`TruncatedHeaderError` / :class:`TruncatedPacketError` (after the complete ones were
    yielded), with the offset where it starts.
    """
    view = _as_byte_view(buf)
    offset = 0
    while offset < len(view):
        packet, offset = SpacePacket.decode_from(view, offset)
        yield packet


def split_stream(buf: BytesLike) -> StreamSplit:
    """Split the complete packets off the front of a chunk of a packet stream.

    Unlike :func:`iter_packets`, an incomplete packet at the end is not an error: its bytes are
    returned as ``remainder`` to be prepended to the next chunk. A bad version still raises
    :class:`UnsupportedVersionError`, since nothing after it can be trusted.
    """
    view = _as_byte_view(buf)
    packets: list[SpacePacket] = []
    offset = 0
    while offset < len(view):
        try:
            packet, offset = SpacePacket.decode_from(view, offset)
        except (TruncatedHeaderError, TruncatedPacketError):
            break
        packets.append(packet)
    return StreamSplit(packets, bytes(view[offset:]))


def split_by_apid(buf: BytesLike) -> dict[int, bytes]:
    """Group the packets of a stream by APID, keeping each packet's encoded bytes and order.

    Keys are in order of first appearance. Raises like :func:`iter_packets`.
    """
    view = _as_byte_view(buf)
    parts: dict[int, list[memoryview]] = {}
    offset = 0
    while offset < len(view):
        header = PrimaryHeader.decode(view, offset)
        end = offset + header.packet_length
        if end > len(view):
            raise TruncatedPacketError(offset, header.packet_length, len(view) - offset)
        parts.setdefault(header.apid, []).append(view[offset:end])
        offset = end
    return {apid: b"".join(chunks) for apid, chunks in parts.items()}


# --------------------------------------------------------------------------------------------
# Sequence-count gap tracking
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SequenceGap:
    """Packets missing on one APID between two received packets.

    ``missing`` is ``(received - expected) mod 16384``; ``packet_index`` is the 0-based index,
    among all packets the tracker observed, of the packet that revealed the gap.
    """

    apid: int
    expected: int
    received: int
    missing: int
    packet_index: int


@dataclass(frozen=True)
class ApidSequenceStats:
    """What the tracker has seen on one APID."""

    apid: int
    packets: int
    gaps: int
    missing: int
    duplicates: int
    rollovers: int
    first_count: int
    last_count: int


@dataclass
class _ApidState:
    first_count: int
    last_count: int
    packets: int = 1
    gaps: int = 0
    missing: int = 0
    duplicates: int = 0
    rollovers: int = 0


@dataclass(eq=False)
class SequenceGapTracker:
    """Counts packets per APID and reports gaps in their 14-bit sequence counts.

    The count is expected to rise by one per packet, modulo 16384. A repeat of the last count is
    counted as a duplicate, not a gap. Packets are assumed to arrive in order: a late packet
    reads as a gap of nearly a full cycle. Idle packets (APID 2047) are ignored unless
    ``track_idle``. Only the most recent ``max_recorded_gaps`` gaps are kept in :attr:`gaps`;
    the totals cover all of them.
    """

    max_recorded_gaps: int = 1024
    track_idle: bool = False
    _apids: dict[int, _ApidState] = field(default_factory=dict, init=False, repr=False)
    _gaps: deque[SequenceGap] = field(init=False, repr=False)
    _observed: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        _check_int("max_recorded_gaps", self.max_recorded_gaps, 0, 2**31 - 1)
        self._gaps = deque(maxlen=self.max_recorded_gaps)

    def observe(self, item: SpacePacket | PrimaryHeader) -> SequenceGap | None:
        """Account for one packet; return the gap it reveals, if any."""
        header = item.header if isinstance(item, SpacePacket) else item
        if header.is_idle and not self.track_idle:
            return None
        index = self._observed
        self._observed += 1
        count = header.sequence_count
        state = self._apids.get(header.apid)
        if state is None:
            self._apids[header.apid] = _ApidState(first_count=count, last_count=count)
            return None
        state.packets += 1
        if count == state.last_count:
            state.duplicates += 1
            return None
        expected = (state.last_count + 1) % SEQUENCE_COUNT_MODULUS
        if count < state.last_count:
            state.rollovers += 1
        state.last_count = count
        missing = (count - expected) % SEQUENCE_COUNT_MODULUS
        if missing == 0:
            return None
        state.gaps += 1
        state.missing += missing
        gap = SequenceGap(header.apid, expected, count, missing, index)
        self._gaps.append(gap)
        return gap

    def observe_all(self, items: Iterable[SpacePacket | PrimaryHeader]) -> list[SequenceGap]:
        """Observe each item in order; return the gaps found."""
        found = (self.observe(item) for item in items)
        return [gap for gap in found if gap is not None]

    @property
    def apids(self) -> tuple[int, ...]:
        """APIDs seen so far, ascending."""
        return tuple(sorted(self._apids))

    @property
    def total_packets(self) -> int:
        return self._observed

    @property
    def total_gaps(self) -> int:
        return sum(state.gaps for state in self._apids.values())

    @property
    def total_missing(self) -> int:
        return sum(state.missing for state in self._apids.values())

    @property
    def gaps(self) -> tuple[SequenceGap, ...]:
        """The most recent recorded gaps, oldest first."""
        return tuple(self._gaps)

    def stats(self, apid: int) -> ApidSequenceStats:
        """Statistics for one APID; ``KeyError`` naming the APID if it was never seen."""
        state = self._apids.get(apid)
        if state is None:
            raise KeyError(f"APID {apid} not seen (seen: {list(self.apids)})")
        return ApidSequenceStats(
            apid=apid,
            packets=state.packets,
            gaps=state.gaps,
            missing=state.missing,
            duplicates=state.duplicates,
            rollovers=state.rollovers,
            first_count=state.first_count,
            last_count=state.last_count,
        )

    def stats_by_apid(self) -> dict[int, ApidSequenceStats]:
        """Statistics for every APID seen, ascending by APID."""
        return {apid: self.stats(apid) for apid in self.apids}

    def reset(self) -> None:
        """Forget everything observed."""
        self._apids.clear()
        self._gaps.clear()
        self._observed = 0
