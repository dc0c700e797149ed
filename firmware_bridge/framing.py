"""Checked framing of Space Packets on a byte link, and a pure deframer.

Frame layout (all fields big-endian)::

    +---------------------+------------+-------------------------+-------------+
    | sync 1A CF FC 1D    | length L   | payload: one packet     | CRC-16      |
    | 4 bytes             | 2 bytes    | L bytes (1..65535)      | 2 bytes     |
    +---------------------+------------+-------------------------+-------------+
                          |<-------- CRC-16/CCITT-FALSE covers -->|

The sync word is the CCSDS attached sync marker. The CRC is CRC-16/CCITT-FALSE (polynomial
0x1021, initial value 0xFFFF, no reflection, no final XOR) over the length field and payload.

:class:`Deframer` is fed bytes and returns statuses; it never raises on any input bytes, never
reads past what it was given, and holds at most one maximum-size frame in its buffer.
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass
from enum import Enum
from typing import ClassVar, Final, TypeAlias

BytesLike: TypeAlias = bytes | bytearray | memoryview

SYNC_MARKER: Final = b"\x1a\xcf\xfc\x1d"
SYNC_LEN: Final = 4
LENGTH_FIELD_LEN: Final = 2
CRC_LEN: Final = 2
FRAME_HEADER_LEN: Final = SYNC_LEN + LENGTH_FIELD_LEN
FRAME_OVERHEAD: Final = FRAME_HEADER_LEN + CRC_LEN
MAX_FRAME_PAYLOAD_LEN: Final = 0xFFFF
"""Largest payload the 16-bit length field can describe."""

CRC16_POLY: Final = 0x1021
CRC16_INIT: Final = 0xFFFF
CRC16_CHECK: Final = 0x29B1
"""CRC-16/CCITT-FALSE of b"123456789" (the catalogue check value)."""

# Space Packet facts the deframer's optional consistency check needs (kept local so framing
# stays usable on its own).
_PACKET_HEADER_LEN: Final = 6
_PACKET_LENGTH_FIELD_AT: Final = FRAME_HEADER_LEN + 4
_MIN_PACKET_LEN: Final = _PACKET_HEADER_LEN + 1
_SYNC_WORD: Final = int.from_bytes(SYNC_MARKER, "big")
_PLAIN_HEAD: Final = struct.Struct(">IH")  # sync, length
_CHECKED_HEAD: Final = struct.Struct(">IH4xH")  # sync, length, the packet's length field


def crc16_ccitt_false(data: BytesLike, crc: int = CRC16_INIT) -> int:
    """CRC-16/CCITT-FALSE of ``data``.

    Pass a previous result as ``crc`` to continue over more data. ``binascii.crc_hqx`` is this
    CRC (polynomial 0x1021, MSB first, no final XOR) with the initial value as its argument;
    it runs in C, about 25 times faster than a table loop in Python.
    """
    return binascii.crc_hqx(data, crc)


class FramingError(ValueError):
    """Bad arguments to the framing layer (never raised for received bytes)."""


def encode_frame(payload: BytesLike) -> bytes:
    """Wrap ``payload`` (1..65535 bytes, normally one encoded Space Packet) in a frame."""
    body = bytes(memoryview(payload).cast("B"))
    if not 1 <= len(body) <= MAX_FRAME_PAYLOAD_LEN:
        raise FramingError(
            f"frame payload length {len(body)} is out of range (allowed: "
            f"1..{MAX_FRAME_PAYLOAD_LEN})"
        )
    checked = len(body).to_bytes(LENGTH_FIELD_LEN, "big") + body
    return SYNC_MARKER + checked + crc16_ccitt_false(checked).to_bytes(CRC_LEN, "big")


class DeframeStatus(Enum):
    """What one deframing step found."""

    FRAME = "frame"
    """A frame passed every check; ``payload`` holds it."""
    NEED_MORE = "need_more"
    """Every buffered byte has been examined; feed more. ``size`` = bytes still buffered."""
    BAD_CRC = "bad_crc"
    """A complete candidate frame failed its CRC; the deframer slid one byte past its sync."""
    BAD_LENGTH = "bad_length"
    """A candidate's length was out of range, disagreed with the packet inside, or the stream
    ended inside it; the deframer slid one byte past its sync."""
    RESYNC = "resync"
    """A sync marker was found after skipping ``size`` bytes."""


@dataclass(frozen=True)
class DeframeResult:
    """One deframing event.

    ``stream_offset`` is the position, counted from the first byte ever fed, where the event's
    bytes start (the sync marker of a frame or candidate; the first skipped byte of a resync).
    ``size`` is, by status: FRAME, BAD_CRC, BAD_LENGTH - the declared payload length; RESYNC -
    bytes skipped; NEED_MORE - bytes still buffered. ``reason`` explains a BAD_* status with the
    offending values.
    """

    status: DeframeStatus
    stream_offset: int
    size: int = 0
    payload: bytes = b""
    reason: str = ""


_new_object: Final = object.__new__


def _frame_result(stream_offset: int, payload: bytes) -> DeframeResult:
    """``DeframeResult(FRAME, stream_offset, len(payload), payload)``, built in about half the
    time: the generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__``, which is most of the per-frame cost of :meth:`Deframer.feed`. The
    instance is the same in every respect (type, fields, equality, hash, immutability)."""
    result: DeframeResult = _new_object(DeframeResult)
    result.__dict__.update(
        status=DeframeStatus.FRAME,
        stream_offset=stream_offset,
        size=len(payload),
        payload=payload,
        reason="",
    )
    return result


@dataclass(frozen=True)
class DeframerCounters:
    """Totals since construction or :meth:`Deframer.reset`.

    Every byte fed is in exactly one of three places, so
    ``bytes_fed == frame_bytes + bytes_discarded + bytes_buffered``.
    """

    bytes_fed: int
    frames_ok: int
    frame_bytes: int
    bad_crc: int
    bad_length: int
    bytes_discarded: int
    resyncs: int
    bytes_buffered: int


class Deframer:
    """Recovers frame payloads from a byte stream that may be chunked, corrupted or noisy.

    After a bad CRC or length the search restarts one byte past the rejected sync marker, so a
    corrupted frame never hides a good frame behind it. With ``check_space_packet`` (default)
    each payload must also be exactly one Space Packet: the packet's own length field must match
    the frame length. That check runs as soon as 12 bytes are in, so a corrupted length field
    is rejected without waiting for the bytes it claims, and a single flipped bit anywhere in a
    frame can never yield a wrong FRAME.
    """

    def __init__(
        self,
        *,
        max_payload_len: int = MAX_FRAME_PAYLOAD_LEN,
        min_payload_len: int = 1,
        check_space_packet: bool = True,
    ) -> None:
        for name, value in (
            ("max_payload_len", max_payload_len),
            ("min_payload_len", min_payload_len),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, got {value!r}")
        if not 1 <= max_payload_len <= MAX_FRAME_PAYLOAD_LEN:
            raise FramingError(
                f"max_payload_len={max_payload_len} is out of range (allowed: "
                f"1..{MAX_FRAME_PAYLOAD_LEN}, the 16-bit length field)"
            )
        if not 1 <= min_payload_len <= max_payload_len:
            raise FramingError(
                f"min_payload_len={min_payload_len} is out of range (allowed: "
                f"1..max_payload_len={max_payload_len})"
            )
        if check_space_packet:
            min_payload_len = max(min_payload_len, _MIN_PACKET_LEN)
            if min_payload_len > max_payload_len:
                raise FramingError(
                    f"max_payload_len={max_payload_len} cannot hold a Space Packet "
                    f"(at least {_MIN_PACKET_LEN} bytes)"
                )
        self._max_payload = max_payload_len
        self._min_payload = min_payload_len
        self._check_packet = check_space_packet
        # The buffer never holds more than one maximum-size frame (see feed()).
        self._capacity = FRAME_OVERHEAD + max_payload_len
        self.reset()

    @property
    def max_payload_len(self) -> int:
        return self._max_payload

    @property
    def min_payload_len(self) -> int:
        """Smallest accepted payload (raised to 7 when Space Packets are checked)."""
        return self._min_payload

    @property
    def capacity(self) -> int:
        """Upper bound on buffered bytes: one maximum-size frame."""
        return self._capacity

    @property
    def buffered(self) -> int:
        """Bytes held waiting for more input."""
        return len(self._buf) - self._start

    @property
    def counters(self) -> DeframerCounters:
        return DeframerCounters(
            bytes_fed=self._bytes_fed,
            frames_ok=self._frames_ok,
            frame_bytes=self._frame_bytes,
            bad_crc=self._bad_crc,
            bad_length=self._bad_length,
            bytes_discarded=self._bytes_discarded,
            resyncs=self._resyncs,
            bytes_buffered=self.buffered,
        )

    def reset(self) -> None:
        """Drop buffered bytes and zero every counter."""
        self._buf = bytearray()
        self._start = 0
        self._pos = 0  # stream offset of self._buf[self._start]
        self._skip_run = 0  # bytes skipped since the last sync marker was taken
        self._skip_offset = 0
        self._bytes_fed = 0
        self._frames_ok = 0
        self._frame_bytes = 0
        self._bad_crc = 0
        self._bad_length = 0
        self._bytes_discarded = 0
        self._resyncs = 0

    def feed(self, data: BytesLike) -> list[DeframeResult]:
        """Take more bytes; return the events they complete, always ending with NEED_MORE.

        Large inputs are taken in pieces no bigger than the free buffer space, so the buffer
        stays within :attr:`capacity` whatever the input size.
        """
        results: list[DeframeResult] = []
        self._feed(data, results, [])
        results.append(self._need_more())
        return results

    def feed_payloads(self, data: BytesLike) -> list[bytes]:
        """Take more bytes; return the payloads of the good frames they complete, in order.

        For bulk receivers: the deframer does exactly what :meth:`feed` does (same frames,
        same rejections, same counters, same buffered bytes), but builds no
        :class:`DeframeResult`. Rejected candidates and resyncs show only in :attr:`counters`.
        """
        payloads: list[bytes] = []
        self._feed(data, None, payloads)
        return payloads

    def flush(self) -> list[DeframeResult]:
        """Declare the end of the stream (or a link timeout) and settle every buffered byte.

        A frame cut short is reported as BAD_LENGTH and the bytes after its sync marker are
        searched again. The buffer is empty afterwards; the list ends with NEED_MORE.
        """
        results: list[DeframeResult] = []
        self._drain(results, [], final=True)
        self._skip_run = 0
        results.append(self._need_more())
        return results

    # ---------------------------------------------------------------------------------------

    def _feed(
        self, data: BytesLike, results: list[DeframeResult] | None, payloads: list[bytes]
    ) -> None:
        view = memoryview(data).cast("B")
        taken = 0
        while True:
            room = self._capacity - self.buffered
            piece = min(room, len(view) - taken)
            if piece > 0:
                self._append(view[taken : taken + piece])
                taken += piece
            self._drain(results, payloads, final=False)
            if taken >= len(view):
                break

    def _append(self, piece: memoryview) -> None:
        if self._start:
            del self._buf[: self._start]
            self._start = 0
        self._buf += piece
        self._bytes_fed += len(piece)

    def _need_more(self) -> DeframeResult:
        return DeframeResult(DeframeStatus.NEED_MORE, self._pos, size=self.buffered)

    def _drain(
        self, results: list[DeframeResult] | None, payloads: list[bytes], *, final: bool
    ) -> None:
        """Settle what the buffer holds. Every event goes to ``results``; with ``results``
        None, only the payloads of good frames are kept, in ``payloads``."""
        offsets: list[int] | None = [] if results is not None else None
        while True:
            if self._skip_run == 0 and self._fast_path:
                first = len(payloads)
                self._take_frames(payloads, offsets)
                if results is not None and offsets:
                    results.extend(map(_frame_result, offsets, payloads[first:]))
                    offsets.clear()
            result = self._step(final)
            if result is None:
                return
            if results is not None:
                results.append(result)
            elif result.status is DeframeStatus.FRAME:
                payloads.append(result.payload)

    _fast_path: ClassVar[bool] = True
    """Take runs of good frames in :meth:`_take_frames`. Tests turn it off to check that the
    fast path changes nothing: :meth:`_step` alone decides every byte the same way."""

    def _take_frames(self, payloads: list[bytes], offsets: list[int] | None) -> None:
        """Take every complete good frame that starts at the buffer's start, one after another.

        The hot path: it stops at the first byte that is not the start of such a frame (no
        sync marker, a bad length, a bad CRC, too few bytes) and leaves that to :meth:`_step`,
        which decides it (and reports it) exactly as if this method did not exist. It only
        ever takes frames :meth:`_step` would take, by the same checks, so events, counters
        and buffer contents are unchanged. The CRC is checked as a CRC over the checked bytes
        and the received CRC together, which is 0 exactly when the two CRCs are equal.
        """
        buf = self._buf
        start = self._start
        end = len(buf)
        lo = self._min_payload
        hi = self._max_payload
        check = self._check_packet
        # With the Space Packet check a frame is at least 15 bytes, so its first 12 (sync,
        # length, packet header up to its length field) can be read in one go.
        head = _CHECKED_HEAD if check else _PLAIN_HEAD
        unpack = head.unpack_from
        crc = binascii.crc_hqx
        offset_of = self._pos - start  # stream offset = offset_of + buffer index
        taken = len(payloads)
        with memoryview(buf) as view:
            while end - start >= head.size:
                if check:
                    sync, length, packet_length = unpack(buf, start)
                    if packet_length + _MIN_PACKET_LEN != length:
                        break
                else:
                    sync, length = unpack(buf, start)
                frame_end = start + FRAME_OVERHEAD + length
                if (
                    sync != _SYNC_WORD
                    or not lo <= length <= hi
                    or frame_end > end
                    or crc(view[start + SYNC_LEN : frame_end], CRC16_INIT)
                ):
                    break
                payloads.append(bytes(view[start + FRAME_HEADER_LEN : frame_end - CRC_LEN]))
                if offsets is not None:
                    offsets.append(offset_of + start)
                start = frame_end
        if start != self._start:
            self._frames_ok += len(payloads) - taken
            self._frame_bytes += start - self._start
            self._pos += start - self._start
            self._start = start

    def _discard(self, count: int) -> None:
        if self._skip_run == 0:
            self._skip_offset = self._pos
        self._skip_run += count
        self._bytes_discarded += count
        self._start += count
        self._pos += count

    def _reject(self, status: DeframeStatus, length: int, reason: str) -> DeframeResult:
        if status is DeframeStatus.BAD_CRC:
            self._bad_crc += 1
        else:
            self._bad_length += 1
        result = DeframeResult(status, self._pos, size=length, reason=reason)
        # Slide one byte past the rejected sync marker and search again from there.
        self._discard(1)
        return result

    def _step(self, final: bool) -> DeframeResult | None:
        """Advance by one event; None when nothing more can be decided with the bytes held."""
        buf = self._buf
        start = self._start
        available = len(buf) - start
        if available == 0:
            return None

        # Hunt for the sync marker.
        at = buf.find(SYNC_MARKER, start)
        if at < 0:
            keep = 0 if final else _marker_prefix_at_end(buf, start)
            if available > keep:
                self._discard(available - keep)
            return None
        if at > start:
            self._discard(at - start)
        if self._skip_run:
            result = DeframeResult(DeframeStatus.RESYNC, self._skip_offset, size=self._skip_run)
            self._resyncs += 1
            self._skip_run = 0
            return result

        # A sync marker is at start. Bounds are checked against what is buffered before any
        # byte is read, and the declared length against max_payload_len before it is used in
        # any size, so no size is computed from an unchecked value.
        start = self._start
        available = len(buf) - start
        if available < FRAME_HEADER_LEN:
            return self._truncated(0, available) if final else None
        length = (buf[start + SYNC_LEN] << 8) | buf[start + SYNC_LEN + 1]
        if not self._min_payload <= length <= self._max_payload:
            return self._reject(
                DeframeStatus.BAD_LENGTH,
                length,
                f"length {length} outside {self._min_payload}..{self._max_payload}",
            )
        if self._check_packet:
            if available < _PACKET_LENGTH_FIELD_AT + 2:
                return self._truncated(length, available) if final else None
            field_at = start + _PACKET_LENGTH_FIELD_AT
            packet_len = ((buf[field_at] << 8) | buf[field_at + 1]) + _MIN_PACKET_LEN
            if packet_len != length:
                return self._reject(
                    DeframeStatus.BAD_LENGTH,
                    length,
                    f"frame length {length} != space packet length {packet_len}",
                )
        frame_len = FRAME_OVERHEAD + length  # <= self._capacity
        if available < frame_len:
            return self._truncated(length, available) if final else None

        crc_at = start + FRAME_HEADER_LEN + length
        computed = crc16_ccitt_false(buf[start + SYNC_LEN : crc_at])
        received = (buf[crc_at] << 8) | buf[crc_at + 1]
        if computed != received:
            return self._reject(
                DeframeStatus.BAD_CRC,
                length,
                f"CRC 0x{received:04X} received, 0x{computed:04X} computed",
            )
        result = DeframeResult(
            DeframeStatus.FRAME,
            self._pos,
            size=length,
            payload=bytes(buf[start + FRAME_HEADER_LEN : crc_at]),
        )
        self._frames_ok += 1
        self._frame_bytes += frame_len
        self._start += frame_len
        self._pos += frame_len
        return result

    def _truncated(self, length: int, available: int) -> DeframeResult:
        need = f"a {FRAME_OVERHEAD + length}-byte frame" if length else "a frame header"
        return self._reject(
            DeframeStatus.BAD_LENGTH,
            length,
            f"stream ended {available} bytes into {need}",
        )


def _marker_prefix_at_end(buf: bytearray, start: int) -> int:
    """Length of the longest proper prefix of the sync marker that ends ``buf[start:]``."""
    for keep in range(min(SYNC_LEN - 1, len(buf) - start), 0, -1):
        if buf[len(buf) - keep :] == SYNC_MARKER[:keep]:
            return keep
    return 0
