"""The lander as command centre (ILRS-1): it distributes power, relays telecommands and telemetry
between Earth and the robots that report to it, and supervises those robots.

**Power.** The lander's bus (:class:`PowerBus`) has solar generation that follows an
illumination input over mission time, a battery, and switched loads. Loads request power with a
class (:class:`LoadClass`: survival heaters > communications > robot charging > instruments).
Each tick the lander grants loads in priority order while they fit a budget: the bus capacity,
and generation plus what the battery can give over one control period without falling below its
reserve (:func:`power_budget_w`, :func:`allocate`). The first load that does not fit, and every
load after it, is shed, so a load is never powered while one of higher priority is shed. At
night (generation under ``night_below_w`` until it rises above ``day_above_w``) only survival
and communications are eligible; in FAULT and SAFE only survival.

**Relay.** Commands from Earth arrive on the Earth link during contact windows (intervals of
mission time), are journalled to the durable store and queued; each is forwarded through
``firmware_bridge``'s :class:`~firmware_bridge.link.CommandLink` (signed with the lander's key,
acknowledged) to its robot when that robot's link is up (communications powered, robot heard
within its heartbeat timeout), and its outcome is stored as an ``ack`` record for Earth.
Everything for Earth - robot telemetry, acks, notices - goes first to :class:`TelemetryStore`,
an append-only file, and is downlinked only in contact windows, oldest first, the store's
position advancing record by record as each is written to the Earth link: nothing lost, nothing
sent twice, even when the link fails mid-downlink.

**Supervision.** Any telemetry from a robot is its heartbeat. Silence longer than
``heartbeat_timeout_s`` (counted only while communications are powered) raises ``robot_silent``
and a notice; longer than ``lost_timeout_s`` raises ``robot_lost``. A robot reporting SAFE mode
(housekeeping ``mode`` SAFE, or a BROWNOUT event) raises ``robot_safe`` and a notice for Earth,
which goes down at the next contact.

States as data::

    IDLE --start--> OPERATING[NOMINAL <-loads_shed/loads_restored-> LOAD_SHEDDING,
                              NOMINAL|LOAD_SHEDDING --sunset--> NIGHT --sunrise--> NOMINAL,
                              NOMINAL|LOAD_SHEDDING|NIGHT --contact_start--> DOWNLINKING
                              --contact_end--> NIGHT or NOMINAL]
    battery_critical, bus_overload, relay_failed, robot_lost, store_full, link_error,
    an exception --> FAULT --safed (loads shed to survival)--> SAFE --resume--> OPERATING

Entering OPERATING switches the loads on; entering DOWNLINKING opens the downlink session and
leaving it closes it; entering FAULT or SAFE sheds every load but survival. The tick reads the
bus's measurements and the links' received data, and fires events. I/O in the tick is
non-blocking except forwarding one command, which waits for its acknowledgement up to
``link_timeout_s * (link_retries + 1)``.

**Priority.** One behaviour has one supervisor priority: the lander runs at POWER_THERMAL,
because its first duty is the bus that keeps itself and its robots alive. Its relay duty is
contact-window work (CONTACT) and its supervision is monitoring, not actuation; both ride under
the power priority because they need the radio load the power duty grants, and they stop when
the power duty sheds it. A SAFETY behaviour (safe mode, hibernation) preempts the lander:
suspended, it sheds to survival, keeps its queues and store, and on resume listens afresh.
Science on the lander (ILRS-5 instruments) asks for power through :meth:`request_power` rather
than competing for control: the lander never finishes (SAFE waits for Earth's ``resume``).
"""

from __future__ import annotations

import json
import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, IntEnum
from pathlib import Path
from typing import IO, Any, Final

from transitions import EventData

from firmware_bridge.auth import KeyRing
from firmware_bridge.dictionary import (
    AckStatus,
    CommandError,
    Dictionary,
    EventRecord,
    TelemetryRecord,
    TmRecord,
    Value,
)
from firmware_bridge.framing import Deframer, DeframeStatus, encode_frame
from firmware_bridge.link import CommandLink, LinkError
from firmware_bridge.space_packet import (
    SEQUENCE_COUNT_MODULUS,
    PacketError,
    PacketType,
    SpacePacket,
)
from firmware_bridge.transport import Transport, TransportError
from ilrs_auto.errors import InputError
from ilrs_auto.mission.behaviour import Behaviour, Priority
from ilrs_auto.mission.clock import MissionClock

# ---- power ----------------------------------------------------------------------------------


class LoadClass(IntEnum):
    """Who keeps power when there is not enough: a lower value has the higher priority."""

    SURVIVAL = 0
    COMMUNICATIONS = 1
    ROBOT_CHARGING = 2
    INSTRUMENTS = 3


@dataclass(frozen=True)
class LoadRequest:
    """A load asking the lander's bus for ``power_w`` watts."""

    name: str
    load_class: LoadClass
    power_w: float

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a load needs a name")
        if not (math.isfinite(self.power_w) and self.power_w >= 0.0):
            raise ValueError(f"load {self.name!r}: power_w must be >= 0, got {self.power_w}")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "class": self.load_class.name, "power_w": self.power_w}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LoadRequest:
        return cls(str(data["name"]), LoadClass[str(data["class"])], float(data["power_w"]))


def priority_order(requests: Iterable[LoadRequest]) -> list[LoadRequest]:
    """Requests by class, then by name: the order in which power is granted."""
    return sorted(requests, key=lambda r: (r.load_class, r.name))


_BATTERY_MARGIN: Final = 1.0 - 1e-9
"""Keeps the planned battery draw a hair inside the reserve, against rounding."""


def power_budget_w(
    generation_w: float,
    soc_wh: float,
    reserve_wh: float,
    bus_capacity_w: float,
    horizon_s: float,
) -> float:
    """What loads may draw over the next ``horizon_s`` seconds: no more than the bus carries,
    nor than generation plus the battery's energy above its reserve spread over the horizon."""
    battery_w = max(0.0, soc_wh - reserve_wh) * 3600.0 / horizon_s * _BATTERY_MARGIN
    return max(0.0, min(bus_capacity_w, generation_w + battery_w))


def allocate(
    requests: Iterable[LoadRequest], budget_w: float, eligible: LoadClass
) -> tuple[list[LoadRequest], list[LoadRequest]]:
    """(granted, shed): loads of class up to ``eligible`` are granted in priority order while
    they fit ``budget_w``; the first that does not fit and everything after it is shed."""
    granted: list[LoadRequest] = []
    shed: list[LoadRequest] = []
    total_w = 0.0
    for request in priority_order(requests):
        if not shed and request.load_class <= eligible and total_w + request.power_w <= budget_w:
            granted.append(request)
            total_w += request.power_w
        else:
            shed.append(request)
    return granted, shed


@dataclass(frozen=True)
class PowerConfig:
    panel_peak_w: float = 1500.0
    bus_capacity_w: float = 1200.0
    battery_capacity_wh: float = 5000.0
    battery_reserve_wh: float = 1000.0
    battery_initial_wh: float = 4000.0
    night_below_w: float = 50.0
    """Generation under which the lander goes into night mode."""
    day_above_w: float = 100.0
    """Generation over which it leaves night mode (hysteresis)."""

    def __post_init__(self) -> None:
        for name in ("panel_peak_w", "bus_capacity_w", "battery_capacity_wh"):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"power {name} must be > 0, got {getattr(self, name)}")
        if not 0.0 <= self.battery_reserve_wh <= self.battery_capacity_wh:
            raise ValueError(
                f"battery_reserve_wh {self.battery_reserve_wh} not in "
                f"[0, battery_capacity_wh {self.battery_capacity_wh}]"
            )
        if not 0.0 <= self.battery_initial_wh <= self.battery_capacity_wh:
            raise ValueError(
                f"battery_initial_wh {self.battery_initial_wh} not in "
                f"[0, battery_capacity_wh {self.battery_capacity_wh}]"
            )
        if not 0.0 <= self.night_below_w <= self.day_above_w:
            raise ValueError(
                f"need 0 <= night_below_w ({self.night_below_w}) <= day_above_w "
                f"({self.day_above_w})"
            )


class PowerBus:
    """The lander's power bus: solar panels (``illumination(t)`` in [0, 1] times
    ``panel_peak_w``), a battery, and switched loads.

    :meth:`advance` integrates the battery over the time since the last call with the loads
    then switched and the generation sampled then (held between samples, as the regulator sees
    it); the surplus a full battery cannot take is curtailed. ``forced_w`` (a draw no switch
    removes: a short, a stuck relay) and ``overdraw_w`` (a load drawing more than it asked)
    are how tests inject power faults; the lander sees them only as measured draw.
    """

    def __init__(
        self, config: PowerConfig, illumination: Callable[[float], float], start_s: float = 0.0
    ) -> None:
        self.config = config
        self.illumination = illumination
        self.soc_wh = config.battery_initial_wh
        self.forced_w = 0.0
        self.overdraw_w: dict[str, float] = {}
        self.measured_draw_w = 0.0
        self.curtailed_wh = 0.0
        self._switched: dict[str, float] = {}
        self._time_s = start_s
        self.generation_w = self._sample(start_s)

    def _sample(self, time_s: float) -> float:
        fraction = float(self.illumination(time_s))
        if not 0.0 <= fraction <= 1.0:
            raise ValueError(f"illumination at t={time_s} s is {fraction}, not in [0, 1]")
        return fraction * self.config.panel_peak_w

    @property
    def switched(self) -> dict[str, float]:
        """Loads switched on, with the power each asked for (W)."""
        return dict(self._switched)

    @property
    def draw_w(self) -> float:
        """What the loads draw now (switched loads, their overdraw, forced draw)."""
        over = sum(self.overdraw_w.get(name, 0.0) for name in self._switched)
        return sum(self._switched.values()) + over + self.forced_w

    def switch(self, loads: Mapping[str, float]) -> None:
        """Switch exactly ``loads`` on (name -> W), everything else off."""
        self._switched = dict(loads)

    def advance(self, now_s: float) -> None:
        dt_s = now_s - self._time_s
        if dt_s < 0.0:
            raise ValueError(f"power bus time goes back from {self._time_s} to {now_s}")
        draw_w = self.draw_w
        self.soc_wh += (self.generation_w - draw_w) * dt_s / 3600.0
        capacity = self.config.battery_capacity_wh
        if self.soc_wh > capacity:
            self.curtailed_wh += self.soc_wh - capacity
            self.soc_wh = capacity
        self.soc_wh = max(0.0, self.soc_wh)
        if dt_s > 0.0:
            self.measured_draw_w = draw_w
        self._time_s = now_s
        self.generation_w = self._sample(now_s)


# ---- the durable store ----------------------------------------------------------------------


class StoreCorruptError(InputError):
    """A line of the store file is not a record (FILE:LINE: problem)."""


class StoreBehindCheckpointError(InputError):
    """The store file holds less than a checkpoint says it held: records were lost."""


class RecordKind(str, Enum):
    TELEMETRY = "tm"
    ACK = "ack"
    NOTICE = "notice"


@dataclass(frozen=True)
class StoredRecord:
    """One record for Earth: number ``n`` in the store (0, 1, 2, ...), when it was stored."""

    n: int
    time_s: float
    kind: RecordKind
    robot: str
    body: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "t": self.time_s,
            "kind": self.kind.value,
            "robot": self.robot,
            "body": dict(self.body),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredRecord:
        return cls(
            int(data["n"]),
            float(data["t"]),
            RecordKind(data["kind"]),
            str(data["robot"]),
            dict(data["body"]),
        )


class UplinkError(ValueError):
    """A packet from Earth is not a command the lander can relay."""


@dataclass(frozen=True)
class RelayCommand:
    """A telecommand from Earth for robot ``robot``: a dictionary command and its arguments.
    ``id`` is Earth's, unique; the ack record for Earth carries it."""

    id: str
    robot: str
    name: str
    args: Mapping[str, Value] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "robot": self.robot, "name": self.name, "args": dict(self.args)}

    @classmethod
    def from_json(cls, data: object) -> RelayCommand:
        """Raises :class:`UplinkError` naming the first bad field."""
        if not isinstance(data, dict):
            raise UplinkError(f"a command is an object, got {type(data).__name__}")
        for key in ("id", "robot", "name"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise UplinkError(f"command field {key!r} must be a non-empty string")
        args = data.get("args", {})
        if not isinstance(args, dict) or not all(
            isinstance(v, (int, float, bool)) for v in args.values()
        ):
            raise UplinkError(f"command {data['id']}: args must map names to numbers")
        unknown = set(data) - {"id", "robot", "name", "args"}
        if unknown:
            raise UplinkError(f"command {data['id']}: unknown fields {sorted(unknown)}")
        return cls(data["id"], data["robot"], data["name"], dict(args))


class TelemetryStore:
    """Append-only store of what goes to Earth, one JSON object a line.

    Lines are records for Earth (``{"n", "t", "kind", "robot", "body"}``), downlink marks
    (``{"mark": n}``: records below ``n`` have been sent) and the journal of commands received
    from Earth (``{"uplink": {...}}``). Reopening the file rebuilds everything: the records not
    yet sent (oldest first), the downlink position, the commands received and those
    acknowledged. A last line cut short by a crash is dropped (it was never acknowledged to
    anyone); any other bad line raises :class:`StoreCorruptError` with its line number.

    Every line is flushed to the operating system as it is written; :meth:`sync` (once a tick)
    makes them durable and closes the file, which the next write opens again (so a store
    holds no open file between ticks). ``capacity`` is the number of records not yet sent at
    which the lander declares ``store_full``; the store itself never refuses a record.
    """

    def __init__(self, path: Path, *, capacity: int = 100_000, fsync: bool = True) -> None:
        if capacity < 1:
            raise ValueError(f"store capacity must be >= 1, got {capacity}")
        self.path = Path(path)
        self.capacity = capacity
        self.fsync = fsync
        self.appended = 0
        self.downlinked = 0
        self.uplinked: list[RelayCommand] = []
        self.acked: set[str] = set()
        self.forwarded = 0
        """Commands a robot acknowledged (ack records with a sequence number)."""
        self._pending: deque[StoredRecord] = deque()
        self._load()
        self._file: IO[str] | None = None

    def _load(self) -> None:
        if not self.path.exists():
            return
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        good_len = len(raw)
        if lines and lines[-1]:  # no final newline: a write cut short
            good_len = len(raw) - len(lines[-1])
        lines = lines[:-1]
        records: list[StoredRecord] = []
        for number, line in enumerate(lines, start=1):
            try:
                data = json.loads(line)
                if "mark" in data:
                    self.downlinked = max(self.downlinked, int(data["mark"]))
                elif "uplink" in data:
                    self.uplinked.append(RelayCommand.from_json(data["uplink"]))
                else:
                    record = StoredRecord.from_json(data)
                    if record.n != len(records):
                        raise ValueError(f"record number {record.n}, expected {len(records)}")
                    records.append(record)
                    self._count(record)
            except (ValueError, KeyError, TypeError, UplinkError) as error:
                raise StoreCorruptError(f"{self.path}:{number}: {error}") from None
        if good_len != len(raw):
            with self.path.open("r+b") as file:
                file.truncate(good_len)
        if self.downlinked > len(records):
            raise StoreCorruptError(
                f"{self.path}: marked {self.downlinked} records sent but holds {len(records)}"
            )
        self.appended = len(records)
        self._pending.extend(records[self.downlinked :])

    def _write(self, data: Mapping[str, Any]) -> None:
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8")
        self._file.write(json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n")
        self._file.flush()

    def append(
        self, time_s: float, kind: RecordKind, robot: str, body: Mapping[str, Any]
    ) -> StoredRecord:
        record = StoredRecord(self.appended, time_s, kind, robot, dict(body))
        self._write(record.to_json())
        self.appended += 1
        self._pending.append(record)
        self._count(record)
        return record

    def _count(self, record: StoredRecord) -> None:
        if record.kind is RecordKind.ACK:
            self.acked.add(str(record.body["command"]))
            self.forwarded += "seq" in record.body

    def journal_uplink(self, command: RelayCommand) -> None:
        self._write({"uplink": command.to_json()})
        self.uplinked.append(command)

    def pending(self, limit: int) -> list[StoredRecord]:
        """Up to ``limit`` records not yet sent, oldest first."""
        return [self._pending[i] for i in range(min(limit, len(self._pending)))]

    def mark_downlinked(self, record: StoredRecord) -> None:
        """``record`` (the oldest pending one) has been sent."""
        if not self._pending or self._pending[0].n != record.n:
            raise ValueError(f"record {record.n} is not the oldest pending one")
        self._write({"mark": record.n + 1})
        self._pending.popleft()
        self.downlinked = record.n + 1

    @property
    def undelivered(self) -> int:
        return self.appended - self.downlinked

    def sync(self) -> None:
        """Make every line written so far durable (fsync unless ``fsync`` is off)."""
        file, self._file = self._file, None
        if file is None:
            return
        with file:
            file.flush()
            if self.fsync:
                os.fsync(file.fileno())

    def close(self) -> None:
        self.sync()


# ---- the Earth link -------------------------------------------------------------------------

EARTH_UPLINK_APID: Final = 0x300
"""Space Packets from Earth to the lander: one JSON :class:`RelayCommand` each."""
EARTH_DOWNLINK_APID: Final = 0x301
"""Space Packets from the lander to Earth: one JSON :class:`StoredRecord` each."""


def encode_uplink(command: RelayCommand, count: int) -> bytes:
    """The framed packet that carries ``command`` from Earth (``count``: its sequence count)."""
    data = json.dumps(command.to_json(), separators=(",", ":")).encode()
    packet = SpacePacket.build(
        apid=EARTH_UPLINK_APID,
        data=data,
        packet_type=PacketType.TC,
        sequence_count=count % SEQUENCE_COUNT_MODULUS,
    )
    return encode_frame(packet.encode())


def encode_downlink(record: StoredRecord) -> bytes:
    data = json.dumps(record.to_json(), separators=(",", ":"), allow_nan=False).encode()
    packet = SpacePacket.build(
        apid=EARTH_DOWNLINK_APID, data=data, sequence_count=record.n % SEQUENCE_COUNT_MODULUS
    )
    return encode_frame(packet.encode())


def decode_downlink(payload: bytes) -> StoredRecord:
    """The record in a downlink packet (what Earth's ground station does)."""
    packet = SpacePacket.decode(payload)
    if packet.apid != EARTH_DOWNLINK_APID:
        raise PacketError(f"APID 0x{packet.apid:03X} is not the lander's downlink")
    return StoredRecord.from_json(json.loads(packet.data))


def parse_uplink(payload: bytes) -> RelayCommand:
    try:
        packet = SpacePacket.decode(payload)
    except PacketError as error:
        raise UplinkError(f"bad packet: {error}") from None
    if packet.apid != EARTH_UPLINK_APID or packet.header.packet_type is not PacketType.TC:
        raise UplinkError(f"APID 0x{packet.apid:03X} is not the lander's uplink")
    try:
        data = json.loads(packet.data)
    except (ValueError, UnicodeDecodeError) as error:
        raise UplinkError(f"command is not JSON: {error}") from None
    return RelayCommand.from_json(data)


class ContactWindows:
    """When Earth is in view: half-open intervals [start, end) of mission time, in order."""

    def __init__(self, intervals_s: Sequence[tuple[float, float]]) -> None:
        previous_end = -math.inf
        for start, end in intervals_s:
            if not (math.isfinite(start) and math.isfinite(end) and start < end):
                raise ValueError(f"contact window ({start}, {end}) must have start < end")
            if start < previous_end:
                raise ValueError(f"contact window ({start}, {end}) overlaps or is out of order")
            previous_end = end
        self.intervals_s = [(float(a), float(b)) for a, b in intervals_s]

    def contains(self, time_s: float) -> bool:
        return any(start <= time_s < end for start, end in self.intervals_s)


@dataclass
class EarthLink:
    """The lander's link to Earth: bytes over ``transport``, usable during ``windows``."""

    transport: Transport
    windows: ContactWindows


@dataclass(frozen=True)
class RobotPort:
    """A robot reporting to the lander: its dictionary name and the transport to its MCU."""

    name: str
    transport: Transport


# ---- the behaviour --------------------------------------------------------------------------


@dataclass(frozen=True)
class LanderConfig:
    period_s: float = 60.0
    """Control period: the horizon over which a power budget must hold."""
    heartbeat_timeout_s: float = 900.0
    lost_timeout_s: float = 3600.0
    downlink_per_tick: int = 100
    """Records sent to Earth per tick at most (the downlink rate)."""
    key_id: int = 1
    """The lander's command key (its partner must be authorised for the robots)."""
    link_timeout_s: float = 0.5
    link_retries: int = 3
    standing_loads: tuple[LoadRequest, ...] = (
        LoadRequest("survival_heaters", LoadClass.SURVIVAL, 150.0),
        LoadRequest("radio", LoadClass.COMMUNICATIONS, 80.0),
    )
    radio_load: str = "radio"
    """The load without which no link, to Earth or to a robot, works."""

    def __post_init__(self) -> None:
        if not self.period_s > 0.0:
            raise ValueError(f"period_s must be > 0, got {self.period_s}")
        if not 0.0 < self.heartbeat_timeout_s < self.lost_timeout_s:
            raise ValueError(
                f"need 0 < heartbeat_timeout_s ({self.heartbeat_timeout_s}) < "
                f"lost_timeout_s ({self.lost_timeout_s})"
            )
        if self.downlink_per_tick < 1:
            raise ValueError(f"downlink_per_tick must be >= 1, got {self.downlink_per_tick}")
        if self.radio_load not in {load.name for load in self.standing_loads}:
            raise ValueError(f"radio_load {self.radio_load!r} is not a standing load")


class LanderState(str, Enum):
    IDLE = "idle"
    NOMINAL = "operating_nominal"
    LOAD_SHEDDING = "operating_load_shedding"
    NIGHT = "operating_night"
    DOWNLINKING = "operating_downlinking"
    FAULT = "fault"
    SAFE = "safe"


_OPERATING = [s.value for s in (LanderState.NOMINAL, LanderState.LOAD_SHEDDING)]
_NOT_DOWNLINKING = [*_OPERATING, LanderState.NIGHT.value]
_ALL_OPERATING = [*_NOT_DOWNLINKING, LanderState.DOWNLINKING.value]

FAULT_EVENTS: Final = (
    "battery_critical",
    "bus_overload",
    "relay_failed",
    "robot_lost",
    "store_full",
    "link_error",
)

STATES: list[Any] = [
    "idle",
    {
        "name": "operating",
        "children": ["nominal", "load_shedding", "night", "downlinking"],
        "initial": "nominal",
    },
    "fault",
    "safe",
]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "start", "source": "idle", "dest": "operating"},
    {"trigger": "loads_shed", "source": "operating_nominal", "dest": "operating_load_shedding"},
    {
        "trigger": "loads_shed",
        "source": ["operating_load_shedding", "operating_night", "operating_downlinking"],
        "dest": None,
    },
    {
        "trigger": "loads_restored",
        "source": "operating_load_shedding",
        "dest": "operating_nominal",
        "conditions": "_nothing_shed",
    },
    {"trigger": "loads_restored", "source": _ALL_OPERATING, "dest": None},
    {"trigger": "sunset", "source": _OPERATING, "dest": "operating_night"},
    {"trigger": "sunset", "source": "operating_downlinking", "dest": None},
    {"trigger": "sunrise", "source": "operating_night", "dest": "operating_nominal"},
    {"trigger": "sunrise", "source": "operating_downlinking", "dest": None},
    {"trigger": "contact_start", "source": _NOT_DOWNLINKING, "dest": "operating_downlinking"},
    {
        "trigger": "contact_end",
        "source": "operating_downlinking",
        "dest": "operating_night",
        "conditions": "_is_night",
    },
    {"trigger": "contact_end", "source": "operating_downlinking", "dest": "operating_nominal"},
    {"trigger": "robot_silent", "source": "operating", "dest": None},
    {"trigger": "robot_heard", "source": "operating", "dest": None},
    {"trigger": "robot_safe", "source": "operating", "dest": None},
    *({"trigger": event, "source": "operating", "dest": "fault"} for event in FAULT_EVENTS),
    {"trigger": "safed", "source": "fault", "dest": "safe"},
    {"trigger": "enter_safe_mode", "source": ["idle", "operating"], "dest": "safe"},
    {"trigger": "resume", "source": "safe", "dest": "operating"},
]

SOC_TOLERANCE_WH: Final = 1e-6
"""Rounding slack below the reserve that is not yet a battery_critical."""


@dataclass
class RobotStatus:
    """What the lander knows of one robot that reports to it."""

    name: str
    robot_id: int
    link: CommandLink
    last_heard_s: float | None = None
    silent: bool = False
    safe: bool = False
    heard: int = 0
    inbox: list[TmRecord] = field(default_factory=list)


def _tm_body(record: TmRecord) -> dict[str, Any]:
    if isinstance(record, TelemetryRecord):
        return {"packet": record.name, "values": dict(record.values)}
    if isinstance(record, EventRecord):
        return {
            "event": record.name,
            "uptime_ms": record.uptime_ms,
            "severity": record.severity,
            "args": dict(record.args),
        }
    return {"ack_seq": record.seq, "status": int(record.status)}


class LanderCommandCentre(Behaviour):
    """The lander's power, relay and supervision. Call :meth:`tick` once per control period."""

    name = "lander"
    priority = Priority.POWER_THERMAL
    STATES = STATES
    TRANSITIONS = TRANSITIONS
    FINAL_STATES = frozenset[str]()

    # Bound by the state machine (declared here for type checkers, as transitions documents).
    start: Callable[..., bool]
    enter_safe_mode: Callable[..., bool]
    resume: Callable[..., bool]

    def __init__(
        self,
        config: LanderConfig,
        power: PowerConfig,
        bus: PowerBus,
        store: TelemetryStore,
        earth: EarthLink,
        robots: Sequence[RobotPort],
        dictionary: Dictionary,
        keys: KeyRing,
        clock: MissionClock,
    ) -> None:
        self.config = config
        self.power = power
        self.bus = bus
        self.store = store
        self.earth = earth
        self.dictionary = dictionary
        self.robots: dict[str, RobotStatus] = {}
        for port in robots:
            if port.name in self.robots:
                raise ValueError(f"robot {port.name!r} reports twice")
            robot_id = dictionary.robot(port.name).robot_id
            inbox: list[TmRecord] = []
            link = CommandLink(
                port.transport,
                dictionary,
                keys,
                key_id=config.key_id,
                robot_id=robot_id,
                timeout_s=config.link_timeout_s,
                retries=config.link_retries,
                on_telemetry=inbox.append,
            )
            self.robots[port.name] = RobotStatus(port.name, robot_id, link, inbox=inbox)
        self._requests: dict[str, LoadRequest] = {r.name: r for r in config.standing_loads}
        self.queue: deque[RelayCommand] = deque()
        self.rejected_uplinks = 0
        self._shed: frozenset[str] = frozenset()
        self._night = False
        self._session_open = False
        self._listening_since_s = math.nan
        self._uplink_deframer = Deframer()
        self._duty_at_s = math.nan
        super().__init__(clock)

    # ---- loads --------------------------------------------------------------------------------
    def request_power(self, request: LoadRequest) -> None:
        """Ask for power (replaces an earlier request of the same name)."""
        self._requests[request.name] = request

    def release_power(self, name: str) -> None:
        self._requests.pop(name, None)

    @property
    def requests(self) -> dict[str, LoadRequest]:
        return dict(self._requests)

    @property
    def shed(self) -> frozenset[str]:
        """Loads requested and not powered."""
        return self._shed

    @property
    def relayed(self) -> int:
        """Commands forwarded and acknowledged by their robot (from the store: survives
        restarts)."""
        return self.store.forwarded

    @property
    def night(self) -> bool:
        return self._night

    @property
    def wants_control(self) -> bool:
        """Control only while the power duty acts on the robots (loads shed, the night, a
        downlink, fault, safe); nominal operation runs in :meth:`watch` without it, so
        science behaviours under the same supervisor are not starved."""
        return self.state not in (LanderState.IDLE, LanderState.NOMINAL)

    def watch(self) -> None:
        """Under a supervisor: the power, relay and supervision duty runs every tick, in
        control or not (the lander serves every robot and instrument, whoever drives)."""
        if not self.suspended:
            self._duty()

    def _eligible(self) -> LoadClass:
        if self.state in (LanderState.FAULT, LanderState.SAFE):
            return LoadClass.SURVIVAL
        if self._night:
            return LoadClass.COMMUNICATIONS
        return LoadClass.INSTRUMENTS

    def _survival_names(self) -> set[str]:
        return {r.name for r in self._requests.values() if r.load_class is LoadClass.SURVIVAL}

    @property
    def comms_up(self) -> bool:
        return self.config.radio_load in self.bus.switched

    # ---- reading results ----------------------------------------------------------------------
    def tick(self) -> None:
        """Reads the bus and the links and fires the events they call for (once per mission
        time: a supervisor's :meth:`watch` may have done it already this tick)."""
        if self._duty_at_s != self.clock.now_s:
            self._duty()

    def _duty(self) -> None:
        now = self.clock.now_s
        self._duty_at_s = now
        state = self.state
        if state == LanderState.IDLE:
            return
        self.bus.advance(now)
        if state.startswith("operating"):
            self._operate(now)
        else:
            self._distribute(now)
            if state == LanderState.FAULT and set(self.bus.switched) <= self._survival_names():
                self.trigger("safed")
        self.store.sync()

    def _operate(self, now: float) -> None:
        if self._power_fault():
            return
        if self.comms_up:
            if self._receive_robots(now) or self._supervise(now) or self._forward(now):
                return
            if self._earth(now):
                return
        elif self.state == LanderState.DOWNLINKING:
            self.trigger("contact_end", reason="radio_shed")
        if self.store.undelivered >= self.store.capacity:
            self.trigger(
                "store_full", undelivered=self.store.undelivered, capacity=self.store.capacity
            )
            return
        self._day_and_night()
        self._distribute(now)

    def _power_fault(self) -> bool:
        bus, power = self.bus, self.power
        if bus.soc_wh < power.battery_reserve_wh - SOC_TOLERANCE_WH:
            self.trigger("battery_critical", soc_wh=bus.soc_wh, reserve_wh=power.battery_reserve_wh)
            return True
        if bus.measured_draw_w > power.bus_capacity_w:
            self.trigger(
                "bus_overload", draw_w=bus.measured_draw_w, capacity_w=power.bus_capacity_w
            )
            return True
        return False

    def _day_and_night(self) -> None:
        generation_w = self.bus.generation_w
        if not self._night and generation_w < self.power.night_below_w:
            self._night = True
            self.trigger("sunset", generation_w=generation_w)
        elif self._night and generation_w > self.power.day_above_w:
            self._night = False
            self.trigger("sunrise", generation_w=generation_w)

    def _distribute(self, now: float, *, report: bool = True) -> None:
        """Grant, shed and restore loads for the next control period; with ``report``, fire
        the events that say so (the state then says whether loads are shed)."""
        bus = self.bus
        unexplained_w = max(0.0, bus.measured_draw_w - sum(bus.switched.values()))
        budget_w = (
            power_budget_w(
                bus.generation_w,
                bus.soc_wh,
                self.power.battery_reserve_wh,
                self.power.bus_capacity_w,
                self.config.period_s,
            )
            - unexplained_w
        )
        granted, shed = allocate(self._requests.values(), budget_w, self._eligible())
        bus.switch({r.name: r.power_w for r in granted})
        shed_names = frozenset(r.name for r in shed)
        newly, restored = shed_names - self._shed, self._shed - shed_names
        self._shed = shed_names
        state = self.state
        if not report or not state.startswith("operating"):
            return
        survival_shed = sorted(shed_names & self._survival_names())
        if survival_shed:
            self.trigger("battery_critical", shed=survival_shed, budget_w=budget_w)
            return
        if newly or (state == LanderState.NOMINAL and shed_names):
            self.trigger("loads_shed", names=sorted(newly or shed_names), budget_w=budget_w)
        if restored or (state == LanderState.LOAD_SHEDDING and not shed_names):
            self.trigger("loads_restored", names=sorted(restored))

    def _nothing_shed(self, event: EventData) -> bool:
        return not self._shed

    def _is_night(self, event: EventData) -> bool:
        return self._night

    # ---- robots --------------------------------------------------------------------------------
    def _receive_robots(self, now: float) -> bool:
        for robot in self.robots.values():
            try:
                robot.link.poll(0.0)
            except TransportError as error:
                self.trigger("link_error", link=robot.name, error=str(error))
                return True
            self._read_inbox(robot, now)
        return False

    def _read_inbox(self, robot: RobotStatus, now: float) -> None:
        records, robot.inbox[:] = list(robot.inbox), []
        for record in records:
            self.store.append(now, RecordKind.TELEMETRY, robot.name, _tm_body(record))
        if not records:
            return
        robot.heard += len(records)
        robot.last_heard_s = now
        if robot.silent:
            robot.silent = False
            self.trigger("robot_heard", robot=robot.name)
        for record in records:
            safe = _reports_safe(record)
            if safe is None or safe == robot.safe:
                continue
            robot.safe = safe
            if safe:
                self.store.append(now, RecordKind.NOTICE, robot.name, {"notice": "robot_safe"})
                self.trigger("robot_safe", robot=robot.name)

    def _supervise(self, now: float) -> bool:
        for robot in self.robots.values():
            since = self._listening_since_s
            if robot.last_heard_s is not None:
                since = max(since, robot.last_heard_s)
            silent_for = now - since
            if silent_for >= self.config.lost_timeout_s:
                self.store.append(now, RecordKind.NOTICE, robot.name, {"notice": "robot_lost"})
                self.trigger("robot_lost", robot=robot.name, silent_for_s=silent_for)
                return True
            if silent_for >= self.config.heartbeat_timeout_s and not robot.silent:
                robot.silent = True
                self.store.append(now, RecordKind.NOTICE, robot.name, {"notice": "robot_silent"})
                self.trigger("robot_silent", robot=robot.name, silent_for_s=silent_for)
        return False

    def link_up(self, robot: str) -> bool:
        status = self.robots[robot]
        return self.comms_up and status.last_heard_s is not None and not status.silent

    def _forward(self, now: float) -> bool:
        """Forward the queued commands of every robot whose link is up, in order."""
        waiting: deque[RelayCommand] = deque()
        failed = False
        while self.queue and not failed:
            command = self.queue[0]
            robot = self.robots[command.robot]
            if not self.link_up(command.robot):
                waiting.append(self.queue.popleft())
                continue
            body: dict[str, Any] = {"command": command.id, "name": command.name}
            try:
                result = robot.link.send(command.name, command.args, check=False)
            except TransportError as error:
                self.queue.extendleft(reversed(waiting))
                self.trigger("link_error", link=robot.name, error=str(error))
                return True
            except LinkError as error:
                body.update(status="relay_failed", error=str(error))
                failed = True
            else:
                status = result.status
                body.update(
                    status=status.name if isinstance(status, AckStatus) else int(status),
                    seq=result.seq,
                    attempts=result.attempts,
                    detail=result.ack.detail,
                )
            self.store.append(now, RecordKind.ACK, robot.name, body)
            self.queue.popleft()
            self._read_inbox(robot, now)
            if failed:
                self.queue.extendleft(reversed(waiting))
                self.trigger("relay_failed", robot=robot.name, command=command.id)
                return True
        self.queue.extendleft(reversed(waiting))
        return False

    # ---- Earth --------------------------------------------------------------------------------
    def _earth(self, now: float) -> bool:
        in_contact = self.earth.windows.contains(now)
        downlinking = self.state == LanderState.DOWNLINKING
        if downlinking and not in_contact:
            self.trigger("contact_end", reason="window_closed")
            return False
        if in_contact and not downlinking:
            self.trigger("contact_start")
        if not self._session_open:
            return False
        try:
            self._uplink(now)
            for record in self.store.pending(self.config.downlink_per_tick):
                self.earth.transport.send(encode_downlink(record))
                self.store.mark_downlinked(record)
        except TransportError as error:
            self.trigger("link_error", link="earth", error=str(error))
            return True
        return False

    def _uplink(self, now: float) -> None:
        data = self.earth.transport.receive(0.0)
        if not data:
            return
        known = {c.id for c in self.store.uplinked}
        for event in self._uplink_deframer.feed(data):
            if event.status is not DeframeStatus.FRAME:
                continue
            try:
                command = parse_uplink(event.payload)
            except UplinkError as error:
                self._reject_uplink(now, "?", str(error))
                continue
            if command.id in known:
                continue  # Earth sent it again: it is already journalled
            known.add(command.id)
            if command.robot not in self.robots:
                self._reject_uplink(now, command.id, f"no robot {command.robot!r} reports here")
                continue
            try:
                self.dictionary.encode_args(command.name, command.args)
            except CommandError as error:
                self._reject_uplink(now, command.id, str(error))
                continue
            self.store.journal_uplink(command)
            self.queue.append(command)

    def _reject_uplink(self, now: float, ident: str, error: str) -> None:
        """A command Earth sent that cannot be relayed: Earth hears why."""
        self.rejected_uplinks += 1
        body = {"command": ident, "status": "rejected", "error": error}
        self.store.append(now, RecordKind.ACK, "", body)

    # ---- starting and stopping work -------------------------------------------------------
    def on_enter_operating(self, event: EventData) -> None:
        self._listening_since_s = self.clock.now_s
        self._distribute(self.clock.now_s, report=False)  # the next tick reports

    def on_enter_operating_downlinking(self, event: EventData) -> None:
        self._session_open = True

    def on_exit_operating_downlinking(self, event: EventData) -> None:
        self._session_open = False

    def on_enter_fault(self, event: EventData) -> None:
        self._shed_to_survival()

    def on_enter_safe(self, event: EventData) -> None:
        self._session_open = False
        self._shed_to_survival()

    def _shed_to_survival(self) -> None:
        survival = self._survival_names()
        self.bus.switch({k: w for k, w in self.bus.switched.items() if k in survival})

    # ---- supervisor hooks --------------------------------------------------------------------
    def stop_work(self) -> None:
        self._session_open = False
        self._shed_to_survival()

    def restart_work(self) -> None:
        """Back in control (after a suspension or a restore): listen afresh, take day or night
        from the bus as it is now (a checkpoint may be old), and switch the loads."""
        if self.state.startswith("operating"):
            self._listening_since_s = self.clock.now_s
            self._session_open = self.state == LanderState.DOWNLINKING
            self._day_and_night()
            self._distribute(self.clock.now_s)

    def checkpoint_data(self) -> dict[str, Any]:
        return {
            "queue": [c.to_json() for c in self.queue],
            "store": {"appended": self.store.appended, "downlinked": self.store.downlinked},
            "robots": {
                r.name: {
                    "last_heard_s": r.last_heard_s,
                    "silent": r.silent,
                    "safe": r.safe,
                    "heard": r.heard,
                    "next_seq": r.link.next_seq,
                }
                for r in self.robots.values()
            },
            "requests": [r.to_json() for r in self._requests.values()],
            "shed": sorted(self._shed),
            "night": self._night,
        }

    def restore_data(self, data: dict[str, Any]) -> None:
        """Restores from ``data`` and the store: the store is at least as recent as any
        checkpoint, so commands acknowledged since are not sent again, commands received since
        are queued, and the downlink goes on from the store's position."""
        held = data.get("store", {})
        if self.store.appended < int(held.get("appended", 0)) or self.store.downlinked < int(
            held.get("downlinked", 0)
        ):
            raise StoreBehindCheckpointError(
                f"{self.store.path}: holds {self.store.appended} records "
                f"({self.store.downlinked} sent), the checkpoint says {held.get('appended')} "
                f"({held.get('downlinked')} sent)"
            )
        acked = self.store.acked
        queue = [RelayCommand.from_json(c) for c in data.get("queue", [])]
        queued = {c.id for c in queue}
        queue += [c for c in self.store.uplinked if c.id not in queued]
        self.queue = deque(c for c in queue if c.id not in acked)
        for name, saved in data.get("robots", {}).items():
            robot = self.robots.get(name)
            if robot is None:
                continue
            heard = saved.get("last_heard_s")
            robot.last_heard_s = None if heard is None else float(heard)
            robot.silent = bool(saved.get("silent", False))
            robot.safe = bool(saved.get("safe", False))
            robot.heard = int(saved.get("heard", 0))
            robot.link.next_seq = max(robot.link.next_seq, int(saved.get("next_seq", 1)))
        if "requests" in data:
            requests = [LoadRequest.from_json(r) for r in data["requests"]]
            self._requests = {r.name: r for r in requests}
        self._shed = frozenset(data.get("shed", []))
        self._night = bool(data.get("night", False))


def _reports_safe(record: TmRecord) -> bool | None:
    """True if the record says the robot is in SAFE mode, False if it says it is not, None if
    it says nothing about it."""
    if isinstance(record, TelemetryRecord) and "mode" in record.values:
        return int(record.values["mode"]) == SAFE_MODE
    if isinstance(record, EventRecord) and record.name == "BROWNOUT":
        return True
    return None


SAFE_MODE: Final = 2
"""The dictionary's ``mode`` value SAFE."""


__all__ = [
    "EARTH_DOWNLINK_APID",
    "EARTH_UPLINK_APID",
    "FAULT_EVENTS",
    "STATES",
    "TRANSITIONS",
    "ContactWindows",
    "EarthLink",
    "LanderCommandCentre",
    "LanderConfig",
    "LanderState",
    "LoadClass",
    "LoadRequest",
    "PowerBus",
    "PowerConfig",
    "RecordKind",
    "RelayCommand",
    "RobotPort",
    "RobotStatus",
    "StoreBehindCheckpointError",
    "StoreCorruptError",
    "StoredRecord",
    "TelemetryStore",
    "UplinkError",
    "allocate",
    "decode_downlink",
    "encode_downlink",
    "encode_uplink",
    "parse_uplink",
    "power_budget_w",
    "priority_order",
]
