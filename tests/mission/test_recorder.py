"""The MCAP mission log: channels with JSON schemas that standard tools read, mission time as
log time, one sequence over all channels, the .part name until closed, and what survives a
crash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcap.reader import make_reader

from ilrs_auto.errors import InputError
from ilrs_auto.mission.recorder import TOPICS, McapRecorder, dumps, read_log, salvage
from ilrs_auto.sim.patrol import Patrol, PatrolConfig


def test_a_patrol_log_opens_in_the_standard_reader(tmp_path: Path) -> None:
    path = tmp_path / "patrol.mcap"
    patrol = Patrol(PatrolConfig(), log_path=path, checkpoint_path=tmp_path / "ckpt")
    try:
        patrol.run()
    finally:
        patrol.close()
    with open(path, "rb") as stream:
        reader = make_reader(stream)
        summary = reader.get_summary()
        assert summary is not None
        channels = {c.topic: c for c in summary.channels.values()}
        assert set(channels) == set(TOPICS)
        for channel in channels.values():
            schema = summary.schemas[channel.schema_id]
            assert channel.message_encoding == "json" and schema.encoding == "jsonschema"
            assert json.loads(schema.data)["type"] == "object"
        counts = summary.statistics.channel_message_counts if summary.statistics else {}
        by_topic = {channels_topic: counts[c.id] for channels_topic, c in channels.items()}
    assert by_topic["/mission/transitions"] == len(patrol.supervisor.transitions)
    assert by_topic["/mission/commands"] == len(patrol.supervisor.commands)

    log = read_log(path)
    assert [m.sequence for m in log.messages] == list(range(len(log.messages)))
    transitions = log.on("/mission/transitions")
    assert transitions == json.loads(dumps(patrol.supervisor.transition_log()))
    for message in log.messages:
        assert message.log_time_ns == round(message.payload["time_s"] * 1e9)
        required = _required(channels[message.topic].schema_id, path)
        assert required <= set(message.payload), message.topic


def _required(schema_id: int, path: Path) -> set[str]:
    with open(path, "rb") as stream:
        summary = make_reader(stream).get_summary()
        assert summary is not None
        return set(json.loads(summary.schemas[schema_id].data)["required"])


def test_the_log_has_its_final_name_only_once_closed(tmp_path: Path) -> None:
    path = tmp_path / "run.mcap"
    recorder = McapRecorder(path)
    recorder.write("/mission/commands", 1.5, {"time_s": 1.5, "target": "t", "command": "stop",
                                               "args": {}})  # fmt: skip
    assert not path.exists() and recorder.partial_path.exists()
    recorder.close()
    assert path.exists() and not recorder.partial_path.exists()
    assert read_log(path).on("/mission/commands")[0]["command"] == "stop"
    with pytest.raises(RuntimeError, match="closed"):
        recorder.write("/mission/commands", 2.0, {})


def test_what_was_synced_survives_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "run.mcap"
    recorder = McapRecorder(path)
    for i in range(5):
        recorder.write("/mission/telemetry", float(i), {"time_s": float(i), "topic": "a",
                                                        "values": {"i": i},
                                                        "in_transition": False})  # fmt: skip
    assert recorder.sync() == 5
    recorder.write("/mission/telemetry", 9.0, {"time_s": 9.0, "topic": "a", "values": {},
                                               "in_transition": False})  # fmt: skip
    # The disk as a kill -9 now would leave it: the synced bytes and a torn record after them.
    crashed = tmp_path / "crashed.mcap.part"
    crashed.write_bytes(recorder.partial_path.read_bytes() + b"\x06\xff\xff\xff\x7f")
    recorder.close()
    log = salvage(crashed)
    assert not log.complete
    assert [m.payload["values"].get("i") for m in log.messages] == [0, 1, 2, 3, 4]


def test_non_finite_numbers_are_written_as_strict_json(tmp_path: Path) -> None:
    path = tmp_path / "run.mcap"
    recorder = McapRecorder(path)
    recorder.write("/mission/supervisor", 0.0, {"time_s": 0.0, "kind": "x", "behaviour": None,
                                                "detail": {"cost": float("inf")}})  # fmt: skip
    recorder.close()
    with open(path, "rb") as stream:
        _, _, message = next(iter(make_reader(stream).iter_messages()))
    assert json.loads(message.data, parse_constant=pytest.fail)["detail"] == {"cost": "inf"}


def test_bad_logs_are_input_errors_naming_the_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mcap"
    garbage.write_bytes(b"not an mcap file at all")
    with pytest.raises(InputError, match=r"garbage\.mcap: not a readable MCAP file"):
        read_log(garbage)
    with pytest.raises(InputError, match=r"missing\.mcap: cannot read the log"):
        read_log(tmp_path / "missing.mcap")
    other = tmp_path / "other.mcap"
    from mcap.writer import Writer

    with open(other, "wb") as stream:
        writer = Writer(stream)
        writer.start(profile="ros2", library="test")
        writer.finish()
    with pytest.raises(InputError, match=r"other\.mcap: not an ilrs mission log"):
        read_log(other)
