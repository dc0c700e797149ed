"""Safe mode and lunar-night hibernation: the checkpoint before the night, hibernate -> kill -9
-> restart -> resume with nothing lost or repeated, and a kill in the middle of a checkpoint
write that leaves the previous checkpoint whole."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ilrs_auto.errors import InputError
from ilrs_auto.mission import durable
from ilrs_auto.mission.clock import SimClock
from ilrs_auto.mission.recorder import MissionLog, read_log, salvage
from ilrs_auto.mission.safe_mode import SafeMode, dark_between
from ilrs_auto.mission.supervisor import Supervisor, load_checkpoint
from ilrs_auto.sim.patrol import Patrol, PatrolConfig

NIGHTS = ((50.0, 110.0), (130.0, 140.0))

# The mission under test, run in a child process: `run`, `hibernate` (stops, powered down,
# once asleep in the first night, for the parent to kill), `restore` (from the checkpoint),
# or `kill-at STEP` (kills itself at a step of the second checkpoint's durable write).
CHILD = f"""
import json, os, signal, sys, time
from pathlib import Path
from ilrs_auto.mission import durable
from ilrs_auto.sim.patrol import Patrol, PatrolConfig

mode, log, checkpoint = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
if mode == "kill-at":
    writes = []
    def hook(step):
        if step == sys.argv[4]:
            writes.append(step)
            if len(writes) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
    durable.fault_hook = hook
patrol = Patrol(PatrolConfig(nights_s={NIGHTS!r}), log_path=log, checkpoint_path=checkpoint)
if mode == "restore":
    patrol.supervisor.restore(checkpoint)
while not patrol.done:
    patrol.step()
    if mode == "hibernate" and patrol.safe_mode.state == "hibernation_asleep":
        print("HIBERNATING", flush=True)
        time.sleep(600)
patrol.close()
Path(str(log) + ".transitions.json").write_text(json.dumps(patrol.supervisor.transition_log()))
print("DONE", patrol.waypoints_reached, flush=True)
"""


def child(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    script = tmp_path / "mission.py"
    script.write_text(CHILD)
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def reference(tmp_path: Path) -> tuple[MissionLog, Patrol]:
    patrol = Patrol(
        PatrolConfig(nights_s=NIGHTS),
        log_path=tmp_path / "reference.mcap",
        checkpoint_path=tmp_path / "reference.ckpt",
    )
    try:
        patrol.run()
    finally:
        patrol.close()
    return read_log(tmp_path / "reference.mcap"), patrol


def payloads(log: MissionLog, topic: str, before: int | None = None) -> list[dict[str, Any]]:
    return [
        m.payload
        for m in log.messages
        if m.topic == topic and (before is None or m.sequence < before)
    ]


def test_hibernation_checkpoints_the_whole_mission_before_the_night(tmp_path: Path) -> None:
    path = tmp_path / "mission.ckpt"
    patrol = Patrol(PatrolConfig(nights_s=NIGHTS), checkpoint_path=path)
    try:
        while patrol.safe_mode.state != "hibernation_asleep":
            patrol.step()
        checkpoint = load_checkpoint(path)
        assert checkpoint["clock_s"] == 50.0 and checkpoint["number"] == 1
        assert checkpoint["supervisor"]["in_control"] == "safe_mode"
        assert checkpoint["supervisor"]["suspended"] == ["leg1"]
        saved = checkpoint["behaviours"]
        assert saved["safe_mode"]["state"] == "hibernation_checkpointing"
        assert saved["safe_mode"]["data"]["job"]["done"] is True
        assert [saved[f"leg{i}"]["state"] for i in range(3)] == [
            "arrived",
            "traverse_driving",
            "idle",
        ]
        assert checkpoint["extras"]["world"]["rover"]["x_m"] == patrol.rover.state.x_m
        assert not path.with_name(path.name + ".tmp").exists()
        # Asleep through the night: no commands, no transitions until the morning.
        commands = len(patrol.supervisor.commands)
        while patrol.clock.now_s < 109.5:
            patrol.step()
        assert len(patrol.supervisor.commands) == commands
        assert patrol.safe_mode.state == "hibernation_asleep"
        patrol.step()
        assert patrol.safe_mode.state == "idle"
    finally:
        patrol.close()


def test_hibernate_kill_9_restore_resumes_with_nothing_lost_or_repeated(tmp_path: Path) -> None:
    ref_log, ref = reference(tmp_path)
    log1, log2 = tmp_path / "part1.mcap", tmp_path / "part2.mcap"
    checkpoint = tmp_path / "mission.ckpt"

    first = child(tmp_path, "hibernate", str(log1), str(checkpoint))
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "HIBERNATING"
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    assert not log1.exists()  # a killed run leaves no log under the final name...
    crashed = salvage(log1.with_name(log1.name + ".part"))  # ...but what it synced survives
    position = load_checkpoint(checkpoint)["recorder"]["sequence"]
    assert len(crashed.messages) >= position

    second = child(tmp_path, "restore", str(log2), str(checkpoint))
    assert finish(second).split() == ["DONE", "3"]
    resumed = read_log(log2)
    assert resumed.messages[0].sequence == position  # the log goes on where it was made durable

    for topic in ("/mission/transitions", "/mission/commands"):
        joined = payloads(crashed, topic, before=position) + payloads(resumed, topic)
        assert joined == payloads(ref_log, topic), topic
    # Whatever of the first run's log got past the checkpoint before the kill (the chunk in
    # memory is lost with the process) is no command and no transition but the asleep one,
    # which the second run makes again at the same mission time.
    late = [m for m in crashed.messages if m.sequence >= position]
    assert all(m.topic != "/mission/commands" for m in late)
    late_events = {m.payload["event"] for m in late if m.topic == "/mission/transitions"}
    assert late_events <= {"checkpoint_written"}
    # The restored process's whole transition log is the uninterrupted run's.
    restored = json.loads(Path(str(log2) + ".transitions.json").read_text())
    assert restored == json.loads(json.dumps(ref.supervisor.transition_log()))
    follows = [c for c in payloads(ref_log, "/mission/commands") if c["command"] == "follow"]
    # leg0: a path and two replans around the rocks; leg1 and leg2: a path, and a new one after
    # each night; every waypoint reached once.
    assert len(follows) == 7 and ref.waypoints_reached == 3


def test_a_kill_in_the_middle_of_a_checkpoint_write_leaves_the_previous_one(
    tmp_path: Path,
) -> None:
    _, ref = reference(tmp_path)
    checkpoint = tmp_path / "mission.ckpt"
    killed = child(tmp_path, "kill-at", str(tmp_path / "a.mcap"), str(checkpoint), "partial")
    killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL
    torn = checkpoint.with_name(checkpoint.name + ".tmp")
    assert torn.exists()
    with pytest.raises(json.JSONDecodeError):
        json.loads(torn.read_bytes())  # half a checkpoint...
    previous = load_checkpoint(checkpoint)  # ...and the one before it, whole
    assert previous["number"] == 1 and previous["clock_s"] == 50.0

    again = child(tmp_path, "restore", str(tmp_path / "b.mcap"), str(checkpoint))
    assert finish(again).split() == ["DONE", "3"]
    restored = json.loads(Path(str(tmp_path / "b.mcap") + ".transitions.json").read_text())
    assert restored == json.loads(json.dumps(ref.supervisor.transition_log()))


def test_a_failed_rename_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state.json"
    durable.write_durable(path, b'{"n": 1}')

    def power_cut(step: str) -> None:
        if step == "before_rename":
            raise OSError("power lost")

    monkeypatch.setattr(durable, "fault_hook", power_cut)
    with pytest.raises(OSError, match="power lost"):
        durable.write_durable(path, b'{"n": 2}')
    assert path.read_bytes() == b'{"n": 1}'


def test_a_checkpoint_that_cannot_be_written_is_recorded_and_the_robot_still_sleeps(
    tmp_path: Path,
) -> None:
    patrol = Patrol(PatrolConfig(nights_s=NIGHTS), checkpoint_path=tmp_path / "no" / "dir")
    try:
        while patrol.clock.now_s < 51.0:
            patrol.step()
    finally:
        patrol.close()
    last = patrol.safe_mode.transitions[-1]
    assert (last.event, last.dest) == ("checkpoint_failed", "hibernation_asleep")
    assert "No such file or directory" in last.detail["error"]
    assert [e.kind for e in patrol.supervisor.events][-1] == "checkpoint_failed"


def test_restore_rejects_a_checkpoint_of_another_mission(tmp_path: Path) -> None:
    path = tmp_path / "mission.ckpt"
    patrol = Patrol(PatrolConfig(nights_s=NIGHTS), checkpoint_path=path)
    try:
        while patrol.safe_mode.state != "hibernation_asleep":
            patrol.step()
    finally:
        patrol.close()
    clock = SimClock()
    other = Supervisor(clock)
    other.add(SafeMode(clock, other.checkpoints))
    with pytest.raises(InputError, match=r"mission.ckpt: checkpoint holds behaviours \['leg0'"):
        other.restore(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match=r"mission\.ckpt: not a checkpoint"):
        other.restore(path)


def test_request_puts_the_robot_in_safe_hold_and_clear_lets_it_go() -> None:
    clock = SimClock()
    supervisor = Supervisor(clock)
    safe = SafeMode(clock, supervisor.checkpoints, dark=dark_between(100.0, 200.0))
    supervisor.add(safe)
    assert not safe.wants_control
    safe.request("ground: dust storm alert")
    assert safe.state == "holding" and safe.wants_control
    safe.clear()
    assert safe.state == "idle"
    clock.advance(100.0)
    supervisor.tick()
    assert safe.state == "hibernation_checkpointing"  # no checkpoint path: fails, then sleeps
    with pytest.raises(ValueError, match="must end after it starts"):
        dark_between(5.0, 5.0)
