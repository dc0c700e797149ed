"""Deterministic replay: a recorded run's inputs fired back through the supervisor give the
same transitions at the same mission times and the same commands; a tampered log is caught at
its first differing transition."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilrs_auto.mission.codec import decode, encode
from ilrs_auto.mission.recorder import McapRecorder, MissionLog, dumps, read_log
from ilrs_auto.mission.replay import ReplayError, replay
from ilrs_auto.sim.patrol import Patrol, PatrolConfig

NIGHTS = ((50.0, 110.0), (130.0, 140.0))


def record(tmp_path: Path, config: PatrolConfig | None = None) -> tuple[Path, Patrol]:
    path = tmp_path / "patrol.mcap"
    patrol = Patrol(config or PatrolConfig(nights_s=NIGHTS), log_path=path,
                    checkpoint_path=tmp_path / "ckpt")  # fmt: skip
    try:
        patrol.run()
    finally:
        patrol.close()
    return path, patrol


def rewrite(log: MissionLog, path: Path, edit: Callable[[int, str, dict[str, Any]], None]) -> Path:
    """A copy of ``log`` with ``edit(index, topic, payload)`` applied to each message."""
    recorder = McapRecorder(path)
    for i, message in enumerate(log.messages):
        payload = dict(message.payload)
        edit(i, message.topic, payload)
        recorder.write(message.topic, float(payload["time_s"]), payload)
    recorder.close()
    return path


def test_replay_of_a_simulated_patrol_gives_the_same_transitions_and_commands(
    tmp_path: Path,
) -> None:
    path, patrol = record(tmp_path)
    result = replay(read_log(path))
    assert result.divergence is None and result.matched
    assert result.replayed_transitions == _json(patrol.supervisor.transition_log())
    # 3 legs (5 + 4 + 4 with the replans), 2 nights (3 each), 2 replans after them.
    assert result.transitions == len(patrol.supervisor.transitions) == 23
    assert result.commands == len(patrol.supervisor.commands)
    kinds = {e.kind for e in patrol.supervisor.events}
    assert {"preempt", "resume", "checkpoint"} <= kinds  # the supervisor's own doing, again


def _json(value: Any) -> Any:
    import json

    return json.loads(dumps(value))


def test_a_tampered_transition_is_named_as_the_first_divergence(tmp_path: Path) -> None:
    path, _ = record(tmp_path)
    log = read_log(path)
    target = [i for i, m in enumerate(log.messages) if m.topic == "/mission/transitions"][4]
    when = float(log.messages[target].payload["time_s"])
    assert log.messages[target].payload["event"] == "path_blocked"

    def later(i: int, topic: str, payload: dict[str, Any]) -> None:
        if i == target:
            payload["time_s"] += 0.5

    result = replay(read_log(rewrite(log, tmp_path / "tampered.mcap", later)))
    assert not result.matched
    assert result.divergence is not None
    assert result.divergence.startswith(
        f"transition 4 differs: recorded t={when + 0.5:.1f} s leg0: path_blocked "
        "traverse_driving -> "
    )
    assert (
        f"; replayed t={when:.1f} s leg0: path_blocked traverse_driving -> traverse_replanning"
        in result.divergence
    )


def test_a_tampered_input_changes_what_the_replay_does(tmp_path: Path) -> None:
    path, _ = record(tmp_path)
    log = read_log(path)

    def other_cell(i: int, topic: str, payload: dict[str, Any]) -> None:
        if topic == "/mission/inputs" and payload.get("event") == "path_blocked":
            payload["kwargs"] = {**payload["kwargs"], "cell": [1, 1]}

    transitions = [m.payload for m in log.messages if m.topic == "/mission/transitions"]
    first = next(i for i, t in enumerate(transitions) if t["event"] == "path_blocked")
    result = replay(read_log(rewrite(log, tmp_path / "tampered.mcap", other_cell)))
    assert result.divergence is not None
    assert result.divergence.startswith(
        f"transition {first} differs: recorded t={transitions[first]['time_s']:.1f} s leg0: "
        "path_blocked"
    )
    assert '"cell":[1,1]' in result.divergence


def test_a_dropped_command_is_a_divergence(tmp_path: Path) -> None:
    path, _ = record(tmp_path)
    log = read_log(path)
    kept = MissionLog(
        log.path,
        [
            m
            for m in log.messages
            if not (m.topic == "/mission/commands" and m.payload["time_s"] == 50.0)
        ],
        complete=True,
    )
    result = replay(kept)
    assert result.divergence is not None
    assert result.divergence == (
        "command 8 differs: recorded t=110.5 s rover/drive: stop {}; "
        "replayed t=50.0 s rover/drive: stop {}"
    )


def test_an_exception_in_a_tick_replays(tmp_path: Path) -> None:
    class Flaky(Patrol):
        def step(self) -> None:
            if self.clock.now_s == 20.0:
                original = self.drive.drive.position_xy

                def broken() -> tuple[float, float]:
                    self.drive.drive.position_xy = original  # type: ignore[method-assign]
                    raise OSError("wheel odometry bus timeout")

                self.drive.drive.position_xy = broken  # type: ignore[method-assign]
            super().step()

    path = tmp_path / "flaky.mcap"
    patrol = Flaky(PatrolConfig(nights_s=()), log_path=path, checkpoint_path=tmp_path / "c")
    try:
        patrol.run()
    finally:
        patrol.close()
    leg0 = patrol.legs[0][1]
    assert leg0.fault is not None and leg0.fault.detail == {
        "error": "OSError: wheel odometry bus timeout"
    }
    assert patrol.safe_mode.state == "holding"  # tripped by the fault
    result = replay(read_log(path))
    assert result.matched, result.divergence


def test_a_log_that_is_not_a_whole_run_is_refused(tmp_path: Path) -> None:
    path, _ = record(tmp_path)
    log = read_log(path)
    no_manifest = MissionLog(
        log.path, [m for m in log.messages if m.topic != "/mission/manifest"], complete=True
    )
    with pytest.raises(ReplayError, match="no mission manifest"):
        replay(no_manifest)
    with pytest.raises(ReplayError, match="unfinished log"):
        replay(MissionLog(log.path, log.messages, complete=False))

    def unknown(i: int, topic: str, payload: dict[str, Any]) -> None:
        if topic == "/mission/manifest" and payload.get("behaviour") == "leg1":
            payload["name"] = "moon_buggy"

    with pytest.raises(ReplayError, match="'leg1' \\(moon_buggy\\) has no replay adapter"):
        replay(read_log(rewrite(log, tmp_path / "unknown.mcap", unknown)))


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**62), 2**62)
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6).filter(lambda k: k != "__type__"), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(values)
def test_event_arguments_survive_the_codec_exactly(value: Any) -> None:
    import json

    text = json.dumps(encode(value), allow_nan=False)
    back = decode(json.loads(text))
    assert _same(back, value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, float) and math.isnan(b):
        return isinstance(a, float) and math.isnan(a)
    if isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in b)
    return type(a) is type(b) and bool(a == b)


def test_arrays_keep_dtype_and_shape() -> None:
    array = np.arange(6, dtype=np.int32).reshape(3, 2)
    back = decode(encode(array))
    assert back.dtype == np.int32 and back.shape == (3, 2) and (back == array).all()
