"""Reliable, authenticated commanding over a transport, and a Python reference robot end.

:class:`CommandLink` is the ground/autonomy side: it signs each command with the next
sequence number of its key, frames and sends it, waits for the acknowledgement, retransmits
the same signed data field on timeout, suppresses duplicate acks, decodes telemetry as it
arrives and counts everything. A command ends in a :class:`CommandResult` or a typed
:class:`CommandFailedError`.

:class:`RobotEndpoint` is the robot side as PROTOCOL.md section 3 defines it, in Python: it
verifies the MAC, applies the anti-replay window, the target and the partner->robot
authorization rule, checks the opcode, length and arguments, executes through a
:class:`CommandHandler` and acknowledges. A forged, altered or replayed command is rejected and
counted and never reaches the handler. The C firmware implements the same rules; this class is
their executable reference and the stand-in for a board in tests.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, NoReturn, Protocol

from firmware_bridge.auth import (
    KeyRing,
    ReplayVerdict,
    ReplayWindow,
    SignedCommand,
    parse_tc_fields,
    sign_command,
    verify_mac,
)
from firmware_bridge.dictionary import (
    ACK_FLAG_REPEAT,
    NO_OPCODE,
    TC_FIXED_LEN,
    Ack,
    AckStatus,
    CommandDef,
    Dictionary,
    TelemetryError,
    TelemetryRecord,
    TmRecord,
    Value,
)
from firmware_bridge.framing import Deframer, DeframeStatus, encode_frame
from firmware_bridge.space_packet import (
    SEQUENCE_COUNT_MODULUS,
    PacketError,
    PacketType,
    SequenceFlags,
    SpacePacket,
)
from firmware_bridge.transport import Transport, TransportClosedError

log = logging.getLogger(__name__)

_PRIMARY_HEADER: Final = struct.Struct(">HHH")

_RETRYABLE: Final = frozenset({AckStatus.BAD_MAC})
"""Statuses after which the sequence number was not consumed, so resending is safe and useful."""


# ------------------------------------------------------------------------------------------
# Ground side
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandResult:
    """How one command ended. ``round_trip_s`` runs from its first transmission to the ack."""

    name: str
    opcode: int
    seq: int
    ack: Ack
    attempts: int
    round_trip_s: float
    resyncs: int = 0

    @property
    def status(self) -> AckStatus | int:
        return self.ack.status

    @property
    def succeeded(self) -> bool:
        return isinstance(self.ack.status, AckStatus) and self.ack.status.succeeded


class LinkError(Exception):
    """Base of the link's failures."""


class CommandFailedError(LinkError):
    """A command did not end in EXECUTED or ACCEPTED. ``name``, ``seq`` say which."""

    def __init__(self, message: str, *, name: str, seq: int) -> None:
        super().__init__(message)
        self.name = name
        self.seq = seq


class CommandRejectedError(CommandFailedError):
    """The robot acknowledged the command with a failure status (``result.ack``)."""

    def __init__(self, result: CommandResult) -> None:
        status = result.ack.status
        label = status.name if isinstance(status, AckStatus) else f"status {status}"
        super().__init__(
            f"{result.name} seq {result.seq} rejected: {label} (detail {result.ack.detail})",
            name=result.name,
            seq=result.seq,
        )
        self.result = result


class StaleSequenceError(CommandFailedError):
    """The robot had already used the command's sequence number; it was not executed.

    Raised only with ``resync=False`` (or after repeated resyncs); ``highest_seq`` is the
    robot's highest sequence number for the key.
    """

    def __init__(self, message: str, *, name: str, seq: int, highest_seq: int) -> None:
        super().__init__(message, name=name, seq=seq)
        self.highest_seq = highest_seq


class CommandOutcomeUnknownError(CommandFailedError):
    """The command may or may not have executed (no ack, or the window moved past it)."""


class CommandTimeoutError(CommandOutcomeUnknownError):
    """No ack after the last retransmission."""


@dataclass
class LinkCounters:
    """What a :class:`CommandLink` has done and seen since it was made."""

    commands: int = 0
    succeeded: int = 0
    rejected: int = 0
    outcome_unknown: int = 0
    transmissions: int = 0
    retransmissions: int = 0
    resyncs: int = 0
    acks: int = 0
    acks_repeat: int = 0
    acks_duplicate: int = 0
    acks_stale: int = 0
    tm_packets: int = 0
    tm_gaps: int = 0
    tm_missing: int = 0
    tm_repeated: int = 0
    housekeeping: int = 0
    events: int = 0
    tm_errors: Counter[str] = field(default_factory=Counter)


class CommandLink:
    """Ground side of the link to one robot's MCU, with one key.

    Single-threaded: :meth:`send` and :meth:`poll` must not run concurrently. ``timeout_s`` is
    how long to wait for an ack after each transmission, ``retries`` how many times to
    retransmit. ``first_seq`` is the next security sequence number; keep :attr:`next_seq`
    across restarts, or rely on ``resync``: a REPLAY or REPEAT ack to a command's first
    transmission proves it was not executed, so it is re-signed after the robot's
    ``highest_seq``.
    """

    def __init__(
        self,
        transport: Transport,
        dictionary: Dictionary,
        keys: KeyRing,
        *,
        key_id: int,
        robot_id: int,
        timeout_s: float = 0.5,
        retries: int = 3,
        first_seq: int = 1,
        resync: bool = True,
        telemetry_maxlen: int = 1000,
        on_telemetry: Callable[[TmRecord], None] | None = None,
    ) -> None:
        if key_id not in keys:
            raise ValueError(f"no key for key_id {key_id} (have {sorted(keys)})")
        if timeout_s <= 0 or retries < 0 or not 1 <= first_seq <= 0xFFFFFFFF:
            raise ValueError(
                f"bad timeout_s={timeout_s}, retries={retries} or first_seq={first_seq}"
            )
        self.transport = transport
        self.dictionary = dictionary
        self._key = keys[key_id]
        self.key_id = key_id
        self.robot_id = robot_id
        self.timeout_s = timeout_s
        self.retries = retries
        self.resync = resync
        self.next_seq = first_seq
        self.counters = LinkCounters()
        self.telemetry: deque[TmRecord] = deque(maxlen=telemetry_maxlen)
        self.latest_housekeeping: TelemetryRecord | None = None
        self._last_count: dict[int, int] = {}
        self._on_telemetry = on_telemetry
        self._deframer = Deframer(max_payload_len=4096)
        self._tc_count = 0
        self._pending: tuple[int, int] | None = None  # (key_id, seq) awaiting an ack
        self._pending_ack: Ack | None = None
        self._done: deque[tuple[int, int]] = deque(maxlen=256)

    @property
    def deframer(self) -> Deframer:
        return self._deframer

    # -- commanding ------------------------------------------------------------------------

    def send(
        self, name: str, args: Mapping[str, object] | None = None, *, check: bool = True
    ) -> CommandResult:
        """Send command ``name`` with ``args`` and return once it is acknowledged.

        Raises :class:`~firmware_bridge.dictionary.CommandError` for a bad name or argument
        (nothing is sent), :class:`CommandRejectedError` for a failure status (unless ``check`` is
        false, then the result is returned), :class:`CommandTimeoutError` or
        :class:`CommandOutcomeUnknownError` when the outcome cannot be known.
        """
        command, arg_bytes = self.dictionary.encode_args(name, args or {})
        self.counters.commands += 1
        signed = self._sign(command, arg_bytes)
        attempts = 0
        resyncs = 0
        started = time.monotonic()
        while True:
            attempts += 1
            if attempts > 1:
                self.counters.retransmissions += 1
            self._transmit(signed)
            ack = self._await_ack(signed, time.monotonic() + self.timeout_s)
            if ack is None:
                if attempts > self.retries:
                    self._fail_timeout(command, signed, attempts, started)
                log.info(
                    "%s seq %d: no ack within %.3f s, retransmitting",
                    command.name,
                    signed.seq,
                    self.timeout_s,
                )
                continue
            foreign = ack.repeat and ack.opcode != command.opcode
            stale = ack.status == AckStatus.REPLAY or foreign or (ack.repeat and attempts == 1)
            if stale and attempts == 1:
                # The robot had already seen this sequence number: our counter is behind.
                # Nothing was executed for this transmission.
                if not self.resync or resyncs >= 2:
                    self.counters.rejected += 1
                    raise StaleSequenceError(
                        f"{command.name} seq {signed.seq}: the robot already used this "
                        f"sequence number (its highest is {ack.highest_seq}); not executed",
                        name=command.name,
                        seq=signed.seq,
                        highest_seq=ack.highest_seq,
                    )
                resyncs += 1
                self.counters.resyncs += 1
                self.next_seq = max(self.next_seq, ack.highest_seq + 1)
                log.warning(
                    "%s: sequence %d already used on the robot, resyncing to %d",
                    command.name,
                    signed.seq,
                    self.next_seq,
                )
                signed = self._sign(command, arg_bytes)
                attempts = 0
                continue
            if stale:
                self.counters.outcome_unknown += 1
                raise CommandOutcomeUnknownError(
                    f"{command.name} seq {signed.seq}: the robot answered "
                    f"{_status_name(ack.status)} to transmission {attempts}: the window moved "
                    "past it; it may or may not have executed",
                    name=command.name,
                    seq=signed.seq,
                )
            if ack.status in _RETRYABLE and attempts <= self.retries:
                log.info(
                    "%s seq %d: %s, retransmitting",
                    command.name,
                    signed.seq,
                    _status_name(ack.status),
                )
                continue
            result = CommandResult(
                command.name,
                command.opcode,
                signed.seq,
                ack,
                attempts,
                time.monotonic() - started,
                resyncs,
            )
            if result.succeeded:
                self.counters.succeeded += 1
                return result
            self.counters.rejected += 1
            log.warning(
                "%s seq %d rejected: %s detail %d",
                command.name,
                signed.seq,
                _status_name(ack.status),
                ack.detail,
            )
            if check:
                raise CommandRejectedError(result)
            return result

    def _sign(self, command: CommandDef, arg_bytes: bytes) -> SignedCommand:
        seq = self.next_seq
        if seq > 0xFFFFFFFF:
            raise LinkError(f"key {self.key_id}: sequence numbers exhausted; replace the key")
        self.next_seq += 1
        return sign_command(
            self._key,
            apid=self.dictionary.apids.command,
            key_id=self.key_id,
            robot_id=self.robot_id,
            seq=seq,
            opcode=command.opcode,
            args=arg_bytes,
        )

    def _transmit(self, signed: SignedCommand) -> None:
        packet = SpacePacket.build(
            apid=self.dictionary.apids.command,
            data=signed.data,
            packet_type=PacketType.TC,
            sequence_count=self._tc_count,
        )
        self._tc_count = (self._tc_count + 1) % SEQUENCE_COUNT_MODULUS
        self.counters.transmissions += 1
        self.transport.send(encode_frame(packet.encode()))

    def _fail_timeout(
        self, command: CommandDef, signed: SignedCommand, attempts: int, started: float
    ) -> NoReturn:
        self.counters.outcome_unknown += 1
        self._done.append((signed.key_id, signed.seq))
        raise CommandTimeoutError(
            f"{command.name} seq {signed.seq}: no ack after {attempts} transmissions in "
            f"{time.monotonic() - started:.2f} s over {self.transport.name}; outcome unknown",
            name=command.name,
            seq=signed.seq,
        )

    def _await_ack(self, signed: SignedCommand, deadline: float) -> Ack | None:
        self._pending = (signed.key_id, signed.seq)
        self._pending_ack = None
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.poll(remaining)
                if self._pending_ack is not None:
                    return self._pending_ack
        finally:
            if self._pending_ack is not None:
                self._done.append(self._pending)
            self._pending = None

    # -- receiving -------------------------------------------------------------------------

    def poll(self, timeout_s: float) -> list[TmRecord]:
        """Read what arrives within ``timeout_s`` s (returns early once something came);
        process it; return the telemetry and events decoded (acks are consumed here)."""
        data = self.transport.receive(timeout_s)
        return self.process(data) if data else []

    def process(self, data: bytes) -> list[TmRecord]:
        """Deframe and decode received bytes; count every failure; never raises on bad bytes."""
        records: list[TmRecord] = []
        frame = DeframeStatus.FRAME
        decode = self._decode
        for event in self._deframer.feed(data):
            if event.status is frame:
                record = decode(event.payload)
                if record is not None:
                    records.append(record)
            elif event.status in (DeframeStatus.BAD_CRC, DeframeStatus.BAD_LENGTH):
                self.counters.tm_errors[f"frame_{event.status.value}"] += 1
                log.debug("rejected frame at %d: %s", event.stream_offset, event.reason)
        return records

    def _decode(self, payload: bytes) -> TmRecord | None:
        # The receive hot path, one call per frame. The deframer already checked that the
        # frame holds exactly one Space Packet, so the header is read directly.
        counters = self.counters
        if len(payload) < 7:
            counters.tm_errors["short_packet"] += 1
            return None
        word0, word1, data_length = _PRIMARY_HEADER.unpack_from(payload)
        if word0 >> 13 != 0 or len(payload) != 7 + data_length:
            counters.tm_errors["bad_packet_header"] += 1
            return None
        if word0 & 0x1000:
            counters.tm_errors["not_tm"] += 1
            return None
        apid = word0 & 0x7FF
        counters.tm_packets += 1
        count = word1 & 0x3FFF
        last = self._last_count.get(apid)
        self._last_count[apid] = count
        if last is not None and (count - last - 1) % SEQUENCE_COUNT_MODULUS:
            self._count_gap(apid, last, count)
        try:
            record = self.dictionary.decode_tm(apid, memoryview(payload)[6:])
        except TelemetryError as error:
            counters.tm_errors[type(error).__name__] += 1
            log.info("undecodable TM: %s", error)
            return None
        if isinstance(record, Ack):
            self._on_ack(record)
            return None
        if isinstance(record, TelemetryRecord):
            counters.housekeeping += 1
            self.latest_housekeeping = record
        else:
            counters.events += 1
        self.telemetry.append(record)
        if self._on_telemetry is not None:
            self._on_telemetry(record)
        return record

    def _count_gap(self, apid: int, last: int, count: int) -> None:
        """``count`` on ``apid`` does not follow ``last``: a repeat, or packets missing."""
        missing = (count - last - 1) % SEQUENCE_COUNT_MODULUS
        if missing == SEQUENCE_COUNT_MODULUS - 1:
            self.counters.tm_repeated += 1
        else:
            self.counters.tm_gaps += 1
            self.counters.tm_missing += missing
            log.info("APID 0x%03X: %d packets missing before count %d", apid, missing, count)

    def _on_ack(self, ack: Ack) -> None:
        self.counters.acks += 1
        if ack.repeat:
            self.counters.acks_repeat += 1
        ident = (ack.key_id, ack.seq)
        if ack.robot_id == self.robot_id and ident == self._pending and self._pending_ack is None:
            self._pending_ack = ack
        elif ident in self._done or ident == self._pending:
            self.counters.acks_duplicate += 1
        else:
            self.counters.acks_stale += 1

    def close(self) -> None:
        self.transport.close()


def _status_name(status: AckStatus | int) -> str:
    return status.name if isinstance(status, AckStatus) else f"status {status}"


# ------------------------------------------------------------------------------------------
# Robot side (reference)
# ------------------------------------------------------------------------------------------

EventSpec = tuple[str, Mapping[str, Value]]
"""An event to send: its dictionary name and arguments."""


@dataclass(frozen=True)
class ExecResult:
    """What a handler did with a command that passed every check.

    ``status`` is EXECUTED, ACCEPTED or EXECUTION_FAILED; ``detail`` goes in the ack;
    ``events`` are sent after the ack; ``send_housekeeping`` sends one housekeeping packet
    after them.
    """

    status: AckStatus = AckStatus.EXECUTED
    detail: int = 0
    events: tuple[EventSpec, ...] = ()
    send_housekeeping: bool = False


@dataclass(frozen=True)
class TickResult:
    events: tuple[EventSpec, ...] = ()
    send_housekeeping: bool = False


class CommandHandler(Protocol):
    """What a robot does with valid commands; supplies its own housekeeping points."""

    def execute(self, command: CommandDef, args: Mapping[str, Value], now_ms: int) -> ExecResult:
        """Carry out a command whose arguments were checked."""

    def housekeeping(self, now_ms: int) -> Mapping[str, Value]:
        """Model points of the housekeeping packet (the endpoint fills the link counters)."""

    def tick(self, now_ms: int) -> TickResult:
        """Advance the model to ``now_ms``; events and whether periodic housekeeping is due."""


@dataclass
class EndpointCounters:
    """What a :class:`RobotEndpoint` received and did. ``rejected`` by status name."""

    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    dropped: int = 0
    frames_ok: int = 0
    frames_bad: int = 0
    tm_sent: int = 0


_ENDPOINT_POINTS: Final = (
    "uptime_ms",
    "robot_id",
    "commands_accepted",
    "commands_rejected",
    "commands_duplicate",
    "last_rejected_reason",
    "last_rejected_opcode",
    "last_command_seq",
    "rx_frames_ok",
    "rx_frames_bad",
    "rx_packets_dropped",
    "tm_packets_sent",
)


@dataclass
class _StoredAck:
    seq: int
    opcode: int
    status: AckStatus
    detail: int


class RobotEndpoint:
    """The robot end of the link (PROTOCOL.md 3), executing through ``handler``.

    ``keys`` are the keys this robot holds; ``robot_id`` its id. ``clock_ms`` returns MCU
    uptime in ms (default: monotonic time since construction). Not thread-safe; :meth:`serve`
    runs it on a transport in one thread.
    """

    def __init__(
        self,
        dictionary: Dictionary,
        keys: KeyRing,
        robot_id: int,
        handler: CommandHandler,
        *,
        clock_ms: Callable[[], int] | None = None,
        firmware_version: int = 0x0100,
    ) -> None:
        self.dictionary = dictionary
        self.keys = keys
        self.robot_id = robot_id
        self.handler = handler
        self.firmware_version = firmware_version
        start = time.monotonic()
        self._clock_ms = clock_ms or (lambda: int((time.monotonic() - start) * 1000))
        self.counters = EndpointCounters()
        self._windows: dict[int, ReplayWindow] = {}
        self._acks: dict[int, dict[int, _StoredAck]] = {}
        self._tm_counts: dict[int, int] = {}
        self._deframer = Deframer(max_payload_len=dictionary.max_tc_packet_len)
        self._last_rejected = (AckStatus.EXECUTED, NO_OPCODE)
        self._last_seq = 0
        self._partner_of = {k.key_id: k.partner for k in dictionary.keys}

    def now_ms(self) -> int:
        return self._clock_ms() & 0xFFFFFFFF

    # -- byte level ------------------------------------------------------------------------

    def feed(self, data: bytes) -> bytes:
        """Take received bytes; return the framed TM to send back."""
        out: list[bytes] = []
        for event in self._deframer.feed(data):
            if event.status is DeframeStatus.FRAME:
                self.counters.frames_ok += 1
                out.extend(self.handle_packet(event.payload))
            elif event.status in (DeframeStatus.BAD_CRC, DeframeStatus.BAD_LENGTH):
                self.counters.frames_bad += 1
        return b"".join(encode_frame(p) for p in out)

    def boot(self) -> bytes:
        """The framed BOOT event, sent first after a start."""
        args = {
            "reset_cause": 0,
            "firmware_version": self.firmware_version,
            "dictionary_version": self.dictionary.version,
        }
        return encode_frame(self._event("BOOT", args))

    def tick(self) -> bytes:
        """Advance the handler; return framed events and periodic housekeeping."""
        now = self.now_ms()
        result = self.handler.tick(now)
        packets = [self._event(name, args) for name, args in result.events]
        if result.send_housekeeping:
            packets.append(self.housekeeping_packet())
        return b"".join(encode_frame(p) for p in packets)

    def serve(
        self,
        transport: Transport,
        stop: threading.Event,
        *,
        poll_s: float = 0.005,
        announce: bool = True,
    ) -> None:
        """Answer on ``transport`` until ``stop`` is set or the transport closes; first send
        the BOOT event if ``announce``."""
        try:
            if announce:
                transport.send(self.boot())
            while not stop.is_set():
                data = transport.receive(poll_s)
                reply = self.feed(data) if data else b""
                reply += self.tick()
                if reply:
                    transport.send(reply)
        except TransportClosedError:
            return

    # -- packet level ----------------------------------------------------------------------

    def handle_packet(self, raw: bytes) -> list[bytes]:
        """Process one Space Packet (bytes); return the encoded TM packets it causes."""
        try:
            packet = SpacePacket.decode(raw)
        except PacketError:
            self.counters.dropped += 1
            return []
        header = packet.header
        if (
            header.packet_type is not PacketType.TC
            or header.apid != self.dictionary.apids.command
            or header.sequence_flags is not SequenceFlags.UNSEGMENTED
            or header.secondary_header_flag
        ):
            self.counters.dropped += 1
            return []
        return self._handle_tc(raw[:6], packet.data)

    def _handle_tc(self, header: bytes, data: bytes) -> list[bytes]:
        fields = parse_tc_fields(data)
        if fields is None:
            key_id, seq = (
                (data[0], struct.unpack_from(">I", data, 2)[0]) if len(data) >= 6 else (0, 0)
            )
            opcode = struct.unpack_from(">H", data, 6)[0] if len(data) >= 8 else NO_OPCODE
            return self._reject(key_id, seq, opcode, AckStatus.BAD_LENGTH, TC_FIXED_LEN, 0)
        key = self.keys.get(fields.key_id)
        if key is None:
            return self._reject(
                fields.key_id, fields.seq, fields.opcode, AckStatus.UNKNOWN_KEY, 0, 0
            )
        window = self._windows.setdefault(fields.key_id, ReplayWindow())
        if not verify_mac(key, header, data):
            return self._reject(
                fields.key_id, fields.seq, fields.opcode, AckStatus.BAD_MAC, 0, window.highest
            )
        self._last_seq = fields.seq
        verdict = window.check(fields.seq)
        if verdict is ReplayVerdict.REPLAY:
            return self._reject(
                fields.key_id, fields.seq, fields.opcode, AckStatus.REPLAY, 0, window.highest
            )
        store = self._acks.setdefault(fields.key_id, {})
        if verdict is ReplayVerdict.DUPLICATE:
            stored = store.get(fields.seq % 64)
            if stored is None or stored.seq != fields.seq:
                return self._reject(
                    fields.key_id, fields.seq, fields.opcode, AckStatus.REPLAY, 0, window.highest
                )
            self.counters.duplicates += 1
            return [
                self._ack(
                    fields.key_id,
                    fields.seq,
                    stored.opcode,
                    stored.status,
                    stored.detail,
                    window.highest,
                    repeat=True,
                )
            ]
        window.accept(fields.seq)
        status, detail, after = self._check_and_execute(
            fields.key_id, fields.robot_id, fields.opcode, fields.args
        )
        store[fields.seq % 64] = _StoredAck(fields.seq, fields.opcode, status, detail)
        if not status.succeeded:
            return self._reject(
                fields.key_id, fields.seq, fields.opcode, status, detail, window.highest
            )
        self.counters.accepted += 1
        ack = self._ack(fields.key_id, fields.seq, fields.opcode, status, detail, window.highest)
        return [ack, *after]

    def _check_and_execute(
        self, key_id: int, robot_id: int, opcode: int, arg_bytes: bytes
    ) -> tuple[AckStatus, int, list[bytes]]:
        """Steps 5..10 of PROTOCOL.md 3 for an authenticated, new command."""
        if robot_id != self.robot_id:
            return AckStatus.WRONG_TARGET, robot_id, []
        command = self.dictionary.command_by_opcode(opcode)
        if command is None:
            return AckStatus.UNKNOWN_OPCODE, 0, []
        if not self.dictionary.is_authorized(key_id, self.robot_id, opcode):
            return AckStatus.NOT_AUTHORIZED, 0, []
        if len(arg_bytes) != command.args.size:
            return AckStatus.BAD_LENGTH, TC_FIXED_LEN + command.args.size, []
        args = command.args.unpack(arg_bytes)
        bad = command.args.first_bad(args)
        if bad is not None:
            return AckStatus.ARG_OUT_OF_RANGE, bad, []
        result = self.handler.execute(command, args, self.now_ms())
        if result.status not in (
            AckStatus.EXECUTED,
            AckStatus.ACCEPTED,
            AckStatus.EXECUTION_FAILED,
        ):
            raise ValueError(f"handler returned {result.status!r} for {command.name}")
        after = [self._event(name, event_args) for name, event_args in result.events]
        if result.send_housekeeping:
            after.append(self.housekeeping_packet())
        return result.status, result.detail, after

    def _reject(
        self, key_id: int, seq: int, opcode: int, status: AckStatus, detail: int, highest: int
    ) -> list[bytes]:
        self.counters.rejected[status.name] += 1
        self._last_rejected = (status, opcode)
        log.info(
            "command rejected: key %d seq %d opcode 0x%04X: %s", key_id, seq, opcode, status.name
        )
        ack = self._ack(key_id, seq, opcode, status, detail, highest)
        event = self._event(
            "CMD_REJECTED",
            {"key_id": key_id, "seq": seq, "opcode": opcode, "status": int(status)},
        )
        return [ack, event]

    # -- TM building -----------------------------------------------------------------------

    def _tm(self, apid: int, data: bytes) -> bytes:
        count = self._tm_counts.get(apid, 0)
        self._tm_counts[apid] = (count + 1) % SEQUENCE_COUNT_MODULUS
        self.counters.tm_sent += 1
        return SpacePacket.build(apid=apid, data=data, sequence_count=count).encode()

    def _ack(
        self,
        key_id: int,
        seq: int,
        opcode: int,
        status: AckStatus,
        detail: int,
        highest: int,
        *,
        repeat: bool = False,
    ) -> bytes:
        ack = Ack(
            uptime_ms=self.now_ms(),
            key_id=key_id,
            robot_id=self.robot_id,
            seq=seq,
            opcode=opcode,
            status=status,
            flags=ACK_FLAG_REPEAT if repeat else 0,
            detail=detail & 0xFFFF,
            highest_seq=highest if key_id in self.keys else 0,
        )
        return self._tm(self.dictionary.apids.ack, ack.encode())

    def _event(self, name: str, args: Mapping[str, object]) -> bytes:
        data = self.dictionary.encode_event(name, self.now_ms(), args)
        return self._tm(self.dictionary.apids.event, data)

    def housekeeping_values(self) -> dict[str, Value]:
        """Every housekeeping point: the handler's model points and the endpoint's counters."""
        now = self.now_ms()
        values: dict[str, Value] = {f.name: 0 for f in self.dictionary.housekeeping.points.fields}
        values.update(self.handler.housekeeping(now))
        rejected = sum(self.counters.rejected.values())
        values.update(
            uptime_ms=now,
            robot_id=self.robot_id,
            commands_accepted=self.counters.accepted & 0xFFFF,
            commands_rejected=rejected & 0xFFFF,
            commands_duplicate=self.counters.duplicates & 0xFFFF,
            last_rejected_reason=int(self._last_rejected[0]),
            last_rejected_opcode=self._last_rejected[1],
            last_command_seq=self._last_seq,
            rx_frames_ok=self.counters.frames_ok & 0xFFFF,
            rx_frames_bad=self.counters.frames_bad & 0xFFFF,
            rx_packets_dropped=self.counters.dropped & 0xFFFF,
            tm_packets_sent=(self.counters.tm_sent + 1) & 0xFFFF,
        )
        return values

    def housekeeping_packet(self) -> bytes:
        data = self.dictionary.encode_fixed("housekeeping", self.housekeeping_values())
        return self._tm(self.dictionary.apids.housekeeping, data)


def decode_records(dictionary: Dictionary, packets: Sequence[bytes]) -> list[TmRecord]:
    """Decode encoded TM packets (as :meth:`RobotEndpoint.handle_packet` returns them)."""
    records: list[TmRecord] = []
    for raw in packets:
        packet = SpacePacket.decode(raw)
        records.append(dictionary.decode_tm(packet.apid, packet.data))
    return records


__all__ = [
    "CommandFailedError",
    "CommandHandler",
    "CommandLink",
    "CommandOutcomeUnknownError",
    "CommandRejectedError",
    "CommandResult",
    "CommandTimeoutError",
    "EndpointCounters",
    "ExecResult",
    "LinkCounters",
    "LinkError",
    "RobotEndpoint",
    "StaleSequenceError",
    "TickResult",
    "decode_records",
]
