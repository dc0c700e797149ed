"""The mission log: every transition, supervisor event, command, telemetry point and external
input of a run, in MCAP (the log format Foxglove, the ``mcap`` CLI and ROS tools open).

Each channel is JSON-encoded with a JSON schema; the log time of a message is the mission time
in nanoseconds, and its MCAP ``sequence`` is one counter over all channels (the order things
happened in, which replay follows). Channels:

==========================  ==================================================================
``/mission/manifest``        the clock, then one message per behaviour added (key, name,
                             priority, what replay needs to rebuild it)
``/mission/inputs``          what came from outside the behaviours: supervisor ticks, events
                             fired into a behaviour from outside a transition (name and
                             arguments), exceptions raised by a behaviour's tick
``/mission/transitions``     every transition of every behaviour
``/mission/supervisor``      control handed over, preemptions, resumptions, faults, checkpoints
``/mission/commands``        commands sent to actuators
``/mission/telemetry``       telemetry points received
==========================  ==================================================================

The file is written as ``NAME.part`` and renamed to ``NAME`` when closed, so a crash never
leaves a truncated file under the final name. :meth:`McapRecorder.sync` makes everything
recorded so far durable (a checkpoint calls it); :func:`salvage` reads what a crashed run left
in its ``.part`` file.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from mcap.exceptions import McapError
from mcap.reader import make_reader
from mcap.records import Channel, Message
from mcap.stream_reader import StreamReader
from mcap.writer import Writer

from ilrs_auto.errors import InputError
from ilrs_auto.mission.durable import fsync_directory

PROFILE = "ilrs-mission"

_TIME = {"type": "number", "description": "mission time in seconds"}
_OBJECT = {"type": "object"}

_SCHEMAS: dict[str, dict[str, Any]] = {
    "/mission/manifest": {
        "title": "ilrs.MissionManifest",
        "properties": {
            "time_s": _TIME,
            "kind": {"enum": ["clock", "behaviour"]},
            "behaviour": {"type": "string"},
            "name": {"type": "string"},
            "priority": {"type": "integer"},
            "deterministic": {"type": "boolean"},
            "replay": {"type": ["object", "null"]},
        },
        "required": ["time_s", "kind"],
    },
    "/mission/inputs": {
        "title": "ilrs.MissionInput",
        "properties": {
            "time_s": _TIME,
            "kind": {"enum": ["tick", "event", "exception"]},
            "behaviour": {"type": "string"},
            "phase": {"enum": ["outside", "watch", "control"]},
            "event": {"type": "string"},
            "args": {"type": "array"},
            "kwargs": _OBJECT,
            "error_type": {"type": "string"},
            "error": {"type": "string"},
        },
        "required": ["time_s", "kind"],
    },
    "/mission/transitions": {
        "title": "ilrs.Transition",
        "properties": {
            "time_s": _TIME,
            "behaviour": {"type": "string"},
            "event": {"type": "string"},
            "source": {"type": "string"},
            "dest": {"type": "string"},
            "detail": _OBJECT,
        },
        "required": ["time_s", "behaviour", "event", "source", "dest", "detail"],
    },
    "/mission/supervisor": {
        "title": "ilrs.SupervisorEvent",
        "properties": {
            "time_s": _TIME,
            "kind": {"type": "string"},
            "behaviour": {"type": ["string", "null"]},
            "detail": _OBJECT,
        },
        "required": ["time_s", "kind", "behaviour", "detail"],
    },
    "/mission/commands": {
        "title": "ilrs.Command",
        "properties": {
            "time_s": _TIME,
            "target": {"type": "string"},
            "command": {"type": "string"},
            "args": _OBJECT,
        },
        "required": ["time_s", "target", "command", "args"],
    },
    "/mission/telemetry": {
        "title": "ilrs.Telemetry",
        "properties": {
            "time_s": _TIME,
            "topic": {"type": "string"},
            "values": _OBJECT,
            "in_transition": {"type": "boolean"},
        },
        "required": ["time_s", "topic", "values", "in_transition"],
    },
}

TOPICS: tuple[str, ...] = tuple(_SCHEMAS)


def clean(value: Any) -> Any:
    """``value`` as strict JSON: non-finite floats as the strings ``"inf"``, ``"-inf"``,
    ``"nan"`` (JSON has no such numbers), tuples as lists, numpy scalars as numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return clean(value.item())
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    return str(value)


def dumps(value: Any) -> str:
    """Canonical strict JSON text of ``value`` (sorted keys), used for writing and comparing."""
    return json.dumps(clean(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _time_ns(time_s: float) -> int:
    return max(0, round(time_s * 1e9)) if math.isfinite(time_s) else 0


class McapRecorder:
    """Writes one mission log. ``sequence`` is the number of messages written so far (also
    counted on from a checkpoint when a restored run continues in a new file)."""

    def __init__(self, path: Path, sequence: int = 0) -> None:
        self.path = Path(path)
        self.partial_path = self.path.with_name(self.path.name + ".part")
        self.sequence = sequence
        self._file: IO[bytes] = open(self.partial_path, "wb")  # noqa: SIM115 (closed in close)
        self._writer = Writer(self._file)
        self._writer.start(profile=PROFILE, library="ilrs_auto")
        self._channels: dict[str, int] = {}
        for topic, schema in _SCHEMAS.items():
            body = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
            body.update(schema)
            schema_id = self._writer.register_schema(
                name=str(schema["title"]), encoding="jsonschema", data=json.dumps(body).encode()
            )
            self._channels[topic] = self._writer.register_channel(
                topic=topic, message_encoding="json", schema_id=schema_id
            )
        self.closed = False

    def write(self, topic: str, time_s: float, payload: dict[str, Any]) -> None:
        if self.closed:
            raise RuntimeError(f"{self.path}: the log is closed")
        stamp = _time_ns(time_s)
        self._writer.add_message(
            self._channels[topic],
            log_time=stamp,
            data=dumps(payload).encode(),
            publish_time=stamp,
            sequence=self.sequence,
        )
        self.sequence += 1

    def sync(self) -> int:
        """Writes out the chunk in progress and fsyncs the file: every message recorded so far
        survives a crash. Returns the number of messages that are now durable."""
        self._writer.flush()  # type: ignore[no-untyped-call]
        self._file.flush()
        os.fsync(self._file.fileno())
        return self.sequence

    def close(self) -> None:
        """Finishes the file (summary and index) and gives it its final name."""
        if self.closed:
            return
        self.closed = True
        self._writer.finish()  # type: ignore[no-untyped-call]
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.partial_path, self.path)
        fsync_directory(self.path.parent)


@dataclass(frozen=True)
class LogMessage:
    sequence: int
    topic: str
    log_time_ns: int
    payload: dict[str, Any]


@dataclass(frozen=True)
class MissionLog:
    path: Path
    messages: list[LogMessage]  # in sequence order
    complete: bool  # False for what was salvaged from a crashed run's .part file

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [m.payload for m in self.messages if m.topic == topic]


def _decode(path: Path, sequence: int, channel: Channel, message: Message) -> LogMessage:
    try:
        payload = json.loads(message.data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(
            f"{path}: message {sequence} on {channel.topic} is not JSON ({error})"
        ) from None
    if not isinstance(payload, dict):
        raise InputError(f"{path}: message {sequence} on {channel.topic} is not a JSON object")
    return LogMessage(message.sequence, channel.topic, message.log_time, payload)


def read_log(path: Path) -> MissionLog:
    """A finished mission log; :class:`InputError` naming the file if it is not one."""
    path = Path(path)
    messages: list[LogMessage] = []
    try:
        with open(path, "rb") as stream:
            reader = make_reader(stream)
            header = reader.get_header()
            if header.profile != PROFILE:
                raise InputError(
                    f"{path}: not an ilrs mission log (MCAP profile {header.profile!r}, "
                    f"expected {PROFILE!r})"
                )
            for _, channel, message in reader.iter_messages(log_time_order=False):
                messages.append(_decode(path, len(messages), channel, message))
    except OSError as error:
        raise InputError(f"{path}: cannot read the log ({error.strerror or error})") from None
    except (McapError, struct.error, ValueError, EOFError, KeyError) as error:
        if isinstance(error, InputError):
            raise
        raise InputError(f"{path}: not a readable MCAP file ({error})") from None
    messages.sort(key=lambda m: m.sequence)
    return MissionLog(path, messages, complete=True)


def salvage(path: Path) -> MissionLog:
    """What a crashed run's unfinished ``.part`` log holds, up to its last whole chunk."""
    path = Path(path)
    messages: list[LogMessage] = []
    channels: dict[int, Channel] = {}
    with open(path, "rb") as stream:
        records: Iterator[Any] = iter(StreamReader(stream, skip_magic=False).records)
        while True:
            try:
                record = next(records)
            except StopIteration:
                break
            except (McapError, struct.error, ValueError, EOFError):
                break  # the torn end of a crashed write
            if isinstance(record, Channel):
                channels[record.id] = record
            elif isinstance(record, Message) and record.channel_id in channels:
                messages.append(_decode(path, len(messages), channels[record.channel_id], record))
    messages.sort(key=lambda m: m.sequence)
    return MissionLog(path, messages, complete=False)


__all__ = [
    "PROFILE",
    "TOPICS",
    "LogMessage",
    "McapRecorder",
    "MissionLog",
    "clean",
    "dumps",
    "read_log",
    "salvage",
]
