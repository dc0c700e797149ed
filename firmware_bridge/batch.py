"""Bulk telemetry decoding: every packet of one APID in a chunk at once, into numpy columns.

The per-packet path (:meth:`Dictionary.decode_tm`, :meth:`CommandLink.process`) builds one
typed record per packet, which suits commanding: each ack and event is acted on as it comes.
A ground system archiving or plotting telemetry wants columns instead, as ground systems
decode telemetry in bulk: all housekeeping packets of a chunk as one array per point. Here
each packet layout of the dictionary becomes a numpy structured dtype (big-endian, packed, the
offsets of the wire layout), the packets of one layout are gathered into one array and viewed
through it, and each point comes out as a column.

:class:`BatchDecoder` decodes a sequence of Space Packets (frame payloads) that way and rejects
and counts bad packets exactly as :meth:`CommandLink.process` does, by the same reasons
(``short_packet``, ``bad_packet_header``, ``not_tm``, ``UnknownApidError``,
``TelemetryLengthError``, ``UnknownEventError``). :class:`BatchReceiver` is the whole receive
path in bulk, the counterpart of :meth:`CommandLink.process`: deframe
(:meth:`Deframer.feed_payloads`), decode, and track per-APID sequence gaps, with the link's
counters.

Each table's ``records`` is a native-endian structured array (one record per packet, the
fields at their wire offsets), filled by one gather that also puts each field's bytes in host
order; ``columns`` are its fields, as views. They hold the values the per-packet decoder
returns, in these representations: integers in their wire type (``uint8``, ``uint16``...),
floats as ``float32`` (exactly the binary32 on the wire), ``bool`` points and the ack
``status`` as raw ``uint8`` (the per-packet decoder gives ``True``/``False`` for 0/1 and an
:class:`AckStatus` for a known status; other bytes stay integers in both), event severities as
their raw ``uint8`` code (:attr:`EventColumns.severity_names` maps them).
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias

import numpy as np
import numpy.typing as npt

from firmware_bridge.dictionary import (
    EVENT_HEADER_LEN,
    Dictionary,
    EventDef,
    Layout,
    TelemetryDef,
)
from firmware_bridge.framing import BytesLike, Deframer
from firmware_bridge.space_packet import SEQUENCE_COUNT_MODULUS

log = logging.getLogger(__name__)

Column: TypeAlias = npt.NDArray[Any]

_PRIMARY_HEADER_LEN: Final = 6
_MIN_PACKET_LEN: Final = 7
_NUMPY_CODES: Final[Mapping[str, str]] = {
    "B": "u1",
    "H": ">u2",
    "I": ">u4",
    "b": "i1",
    "h": ">i2",
    "i": ">i4",
    "f": ">f4",
}
"""numpy format of each struct code of the wire types (bool is carried as "B")."""

_HEADER_BYTES: Final = np.arange(_PRIMARY_HEADER_LEN)
_EVENT_HEADER_FIELDS: Final = (("uptime_ms", ">u4"), ("event_id", ">u2"), ("severity", "u1"))


def layout_dtype(layout: Layout, prefix: Sequence[tuple[str, str]] = ()) -> np.dtype[np.void]:
    """The packed big-endian structured dtype of ``layout``, after the fields of ``prefix``.

    ``prefix`` is (name, numpy format) pairs that precede the layout on the wire (an event's
    header). The dtype's item size is exactly the wire size: no padding, no alignment.
    """
    names: list[str] = []
    formats: list[str] = []
    offsets: list[int] = []
    offset = 0
    for name, fmt in prefix:
        names.append(name)
        formats.append(fmt)
        offsets.append(offset)
        offset += np.dtype(fmt).itemsize
    for item in layout.fields:
        names.append(item.name)
        formats.append(_NUMPY_CODES[item.type.code])
        offsets.append(offset + item.offset)
    size = offset + layout.size
    dtype: np.dtype[np.void] = np.dtype(
        {"names": names, "formats": formats, "offsets": offsets, "itemsize": size}
    )
    return dtype


@dataclass(frozen=True, eq=False)
class _Table:
    """How to turn the packed big-endian bytes of one layout into native-endian records: take
    the bytes in the order ``take`` (each field's bytes reversed on a little-endian host) and
    view them as ``dtype`` (the same fields and offsets, in native byte order)."""

    wire: np.dtype[np.void]
    dtype: np.dtype[np.void]
    take: npt.NDArray[np.intp]

    @classmethod
    def of(cls, wire: np.dtype[np.void]) -> _Table:
        if wire.names is None or wire.fields is None:
            raise TypeError(f"not a structured dtype: {wire}")
        take = np.arange(wire.itemsize)
        formats: list[np.dtype[Any]] = []
        offsets: list[int] = []
        for name in wire.names:
            field_type, offset = wire.fields[name][:2]
            formats.append(field_type.newbyteorder("="))
            offsets.append(offset)
            if sys.byteorder == "little":
                take[offset : offset + field_type.itemsize] = np.arange(
                    offset + field_type.itemsize - 1, offset - 1, -1
                )
        dtype: np.dtype[np.void] = np.dtype(
            {
                "names": list(wire.names),
                "formats": formats,
                "offsets": offsets,
                "itemsize": wire.itemsize,
            }
        )
        return cls(wire, dtype, take)


@dataclass(frozen=True, eq=False)
class PacketColumns:
    """The packets of one fixed layout (``ack``, ``housekeeping``...) in a batch.

    ``index`` is each packet's position in the decoded sequence, ``sequence_count`` its Space
    Packet sequence count, ``records`` the decoded packets (native-endian, one field per
    point), all of length ``len(self)``. ``table["battery_v"]`` and :attr:`columns` give the
    points as arrays (views of ``records``, no copy).
    """

    definition: TelemetryDef
    index: npt.NDArray[np.intp]
    sequence_count: npt.NDArray[np.uint16]
    records: npt.NDArray[np.void]

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def columns(self) -> dict[str, Column]:
        """One array per point, in wire order (views of ``records``)."""
        return {name: self.records[name] for name in self.definition.points.names}

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, point: str) -> Column:
        column: Column = self.records[point]
        return column


@dataclass(frozen=True, eq=False)
class EventColumns:
    """The events of one kind (one event id) in a batch: header and argument columns.

    ``records`` has the fields ``uptime_ms``, ``event_id``, ``severity`` (the raw code) and
    one per argument; ``events["severity"]`` and :attr:`columns` give them as arrays (views).
    """

    definition: EventDef
    index: npt.NDArray[np.intp]
    sequence_count: npt.NDArray[np.uint16]
    records: npt.NDArray[np.void]
    severity_names: Mapping[int, str]
    """Code -> name for the ``severity`` column (a code not in the dictionary is absent)."""

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def columns(self) -> dict[str, Column]:
        """The header fields, then one array per argument (views of ``records``)."""
        names = self.records.dtype.names or ()
        return {name: self.records[name] for name in names}

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, column: str) -> Column:
        result: Column = self.records[column]
        return result


@dataclass(frozen=True, eq=False)
class TmBatch:
    """What :meth:`BatchDecoder.decode` made of a sequence of packets.

    ``telemetry`` holds the fixed-layout packets by packet name (``ack``, ``housekeeping``),
    ``events`` the events by event name; only kinds that occurred are present. ``packets`` is
    the number of well-formed TM packets (a good primary header), ``apid`` and
    ``sequence_count`` are theirs in order (decodable or not: sequence gaps count them all),
    and ``errors`` counts every rejected packet by reason.
    """

    packets: int
    apid: npt.NDArray[np.uint16]
    sequence_count: npt.NDArray[np.uint16]
    telemetry: Mapping[str, PacketColumns]
    events: Mapping[str, EventColumns]
    errors: Counter[str]

    @property
    def decoded(self) -> int:
        """Packets decoded into a table."""
        return sum(len(t) for t in self.telemetry.values()) + sum(
            len(e) for e in self.events.values()
        )


class BatchDecoder:
    """Decodes many TM Space Packets at once into columns; stateless apart from the dictionary.

    The dtypes are built once from the dictionary. Decoding never raises on packet bytes.
    """

    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self._event_apid = dictionary.apids.event
        # The APID dispatch of Dictionary.decode_tm: the ack APID, then the event APID, then
        # the fixed-layout packets in the order declared (the first one wins an APID).
        fixed: dict[int, tuple[TelemetryDef, _Table]] = {}
        ack = dictionary.ack
        fixed[dictionary.apids.ack] = (ack, _Table.of(layout_dtype(ack.points)))
        for definition in dictionary.telemetry.values():
            if definition.apid not in fixed and definition.apid != self._event_apid:
                fixed[definition.apid] = (definition, _Table.of(layout_dtype(definition.points)))
        self._fixed = fixed
        self._events = {
            e.event_id: (e, _Table.of(layout_dtype(e.args, _EVENT_HEADER_FIELDS)))
            for e in dictionary.events
        }
        severity = dictionary.enums["severity"]
        names: dict[int, str] = {}
        for name, number in severity.values.items():
            names.setdefault(number, name)
        self._severity_names: Mapping[int, str] = names

    def decode(self, packets: Sequence[bytes]) -> TmBatch:
        """Decode ``packets`` (each one whole Space Packet, as frame payloads come)."""
        count = len(packets)
        lengths = np.fromiter(map(len, packets), dtype=np.intp, count=count)
        # Six zero bytes of padding: a primary header can be read at every packet's start,
        # even a short last one, without reading past the buffer; short packets are masked.
        blob = np.frombuffer(b"".join(packets) + bytes(_PRIMARY_HEADER_LEN), dtype=np.uint8)
        starts = np.zeros(count, dtype=np.intp)
        np.cumsum(lengths[:-1], out=starts[1:])
        errors: Counter[str] = Counter()

        # The primary header of every packet as three big-endian 16-bit words.
        words = blob[starts[:, None] + _HEADER_BYTES].view(">u2").astype(np.intp)
        word0 = words[:, 0]
        short = lengths < _MIN_PACKET_LEN
        bad_header = ((word0 >> 13) != 0) | (lengths != _MIN_PACKET_LEN + words[:, 2])
        bad_header &= ~short
        not_tm = (word0 & 0x1000) != 0
        rejected = short | bad_header | not_tm
        if rejected.any():
            not_tm &= ~short & ~bad_header
            for reason, mask in (
                ("short_packet", short),
                ("bad_packet_header", bad_header),
                ("not_tm", not_tm),
            ):
                if (found := int(np.count_nonzero(mask))) != 0:
                    errors[reason] += found
            good = np.flatnonzero(~rejected)
            apid = (word0[good] & 0x7FF).astype(np.uint16)
            sequence_count = (words[good, 1] & 0x3FFF).astype(np.uint16)
            data_start = starts[good] + _PRIMARY_HEADER_LEN
            data_len = lengths[good] - _PRIMARY_HEADER_LEN
        else:
            good = np.arange(count)
            apid = (word0 & 0x7FF).astype(np.uint16)
            sequence_count = (words[:, 1] & 0x3FFF).astype(np.uint16)
            data_start = starts + _PRIMARY_HEADER_LEN
            data_len = lengths - _PRIMARY_HEADER_LEN

        telemetry: dict[str, PacketColumns] = {}
        events: dict[str, EventColumns] = {}
        unclaimed = len(good)
        for packet_apid, (definition, table) in self._fixed.items():
            on_apid = apid == packet_apid
            if not (on_apid_count := int(np.count_nonzero(on_apid))):
                continue
            unclaimed -= on_apid_count
            chosen = np.flatnonzero(on_apid & (data_len == table.wire.itemsize))
            if len(chosen) != on_apid_count:
                errors["TelemetryLengthError"] += on_apid_count - len(chosen)
            if len(chosen):
                records = self._records(blob, data_start[chosen], table)
                telemetry[definition.name] = PacketColumns(
                    definition,
                    good[chosen],
                    sequence_count[chosen],
                    records,
                )
        if self._event_apid not in self._fixed:
            on_event = np.flatnonzero(apid == self._event_apid)
            unclaimed -= len(on_event)
            if len(on_event):
                self._decode_events(
                    blob, errors, events, good[on_event], sequence_count[on_event],
                    data_start[on_event], data_len[on_event],
                )  # fmt: skip
        if unclaimed:
            errors["UnknownApidError"] += unclaimed
        return TmBatch(len(good), apid, sequence_count, telemetry, events, errors)

    def _decode_events(
        self,
        blob: npt.NDArray[np.uint8],
        errors: Counter[str],
        events: dict[str, EventColumns],
        index: npt.NDArray[np.intp],
        sequence_count: npt.NDArray[np.uint16],
        data_start: npt.NDArray[np.intp],
        data_len: npt.NDArray[np.intp],
    ) -> None:
        """The event packets (arrays aligned, one entry per packet on the event APID)."""
        # Dictionary.decode_event's checks, in its order: the header fits, the id is known,
        # the length is the header plus that event's arguments.
        fits_header = data_len >= EVENT_HEADER_LEN
        if not fits_header.all():
            errors["TelemetryLengthError"] += int(np.count_nonzero(~fits_header))
            index, sequence_count = index[fits_header], sequence_count[fits_header]
            data_start, data_len = data_start[fits_header], data_len[fits_header]
        id_at = data_start + 4
        event_id = (blob[id_at].astype(np.intp) << 8) | blob[id_at + 1]
        unknown = len(event_id)
        for number in set(event_id.tolist()):
            if number not in self._events:
                continue
            definition, table = self._events[number]
            of_id = event_id == number
            unknown -= int(np.count_nonzero(of_id))
            chosen = np.flatnonzero(of_id & (data_len == table.wire.itemsize))
            if (wrong := int(np.count_nonzero(of_id)) - len(chosen)) != 0:
                errors["TelemetryLengthError"] += wrong
            if len(chosen):
                records = self._records(blob, data_start[chosen], table)
                events[definition.name] = EventColumns(
                    definition,
                    index[chosen],
                    sequence_count[chosen],
                    records,
                    self._severity_names,
                )
        if unknown:
            errors["UnknownEventError"] += unknown

    @staticmethod
    def _records(
        blob: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp], table: _Table
    ) -> npt.NDArray[np.void]:
        """The packed records at ``starts``, as native-endian records of ``table``: one gather
        (each record's bytes, each field's bytes in host order) and a view."""
        gathered = blob[starts[:, None] + table.take]
        records: npt.NDArray[np.void] = gathered.view(table.dtype)[:, 0]
        return records


@dataclass
class ReceiveCounters:
    """What a :class:`BatchReceiver` has seen; the receive counters of :class:`LinkCounters`."""

    tm_packets: int = 0
    tm_gaps: int = 0
    tm_missing: int = 0
    tm_repeated: int = 0
    acks: int = 0
    housekeeping: int = 0
    events: int = 0
    tm_errors: Counter[str] = field(default_factory=Counter)


class BatchReceiver:
    """The link's receive path in bulk: bytes in, :class:`TmBatch` out, counted like
    :meth:`CommandLink.process` (frame rejections, packet rejections by reason, per-APID
    sequence gaps, repeats and missing packets).

    Not thread-safe; one per link. Acks come back as a table, not matched to commands: use
    :class:`CommandLink` to command.
    """

    def __init__(self, dictionary: Dictionary, *, max_payload_len: int = 4096) -> None:
        self.dictionary = dictionary
        self.deframer = Deframer(max_payload_len=max_payload_len)
        self.decoder = BatchDecoder(dictionary)
        self.counters = ReceiveCounters()
        self._last_count: dict[int, int] = {}
        self._ack_name = dictionary.ack.name
        self._bad_crc = 0  # the deframer's counts already in counters.tm_errors
        self._bad_length = 0

    def receive(self, data: BytesLike) -> TmBatch:
        """Deframe and decode ``data``; count everything; never raises on bad bytes."""
        payloads = self.deframer.feed_payloads(data)
        counters = self.counters
        errors = counters.tm_errors
        framing = self.deframer.counters
        if framing.bad_crc != self._bad_crc:
            errors["frame_bad_crc"] += framing.bad_crc - self._bad_crc
            self._bad_crc = framing.bad_crc
        if framing.bad_length != self._bad_length:
            errors["frame_bad_length"] += framing.bad_length - self._bad_length
            self._bad_length = framing.bad_length
        batch = self.decoder.decode(payloads)
        if batch.errors:
            errors.update(batch.errors)
        counters.tm_packets += batch.packets
        for name, table in batch.telemetry.items():
            if name == self._ack_name:
                counters.acks += len(table)
            else:
                counters.housekeeping += len(table)
        for events in batch.events.values():
            counters.events += len(events)
        self._track_sequence(batch)
        return batch

    def _track_sequence(self, batch: TmBatch) -> None:
        """Per APID, each count should follow the last one seen (mod 16384), across chunks."""
        if not batch.packets:
            return
        # Sort by APID (stably: each APID's packets stay in order), then compare each count
        # with the one before it, or with the last count of the previous chunk for the first
        # packet of each APID.
        order = np.argsort(batch.apid, kind="stable")
        apids = batch.apid[order].astype(np.intp)
        counts = batch.sequence_count[order].astype(np.int64)
        previous = np.empty_like(counts)
        previous[1:] = counts[:-1]
        firsts = np.flatnonzero(np.diff(apids, prepend=-1) != 0)
        lasts = np.append(firsts[1:], len(counts)) - 1
        follows = np.ones(len(counts), dtype=bool)
        for first, last, apid in zip(
            firsts.tolist(), counts[lasts].tolist(), apids[firsts].tolist(), strict=True
        ):
            seen = self._last_count.get(apid)
            if seen is None:
                follows[first] = False
            else:
                previous[first] = seen
            self._last_count[apid] = last
        missing = (counts - previous - 1) % SEQUENCE_COUNT_MODULUS
        missing[~follows] = 0
        if missing.any():
            repeated = missing == SEQUENCE_COUNT_MODULUS - 1
            gaps = (missing != 0) & ~repeated
            self.counters.tm_repeated += int(np.count_nonzero(repeated))
            if gaps.any():
                self.counters.tm_gaps += int(np.count_nonzero(gaps))
                lost = int(missing[gaps].sum())
                self.counters.tm_missing += lost
                log.info("%d TM packets missing in %d gaps", lost, int(np.count_nonzero(gaps)))


__all__ = [
    "BatchDecoder",
    "BatchReceiver",
    "EventColumns",
    "PacketColumns",
    "ReceiveCounters",
    "TmBatch",
    "layout_dtype",
]
