"""The sequence executor: timing, branches, loops, events and contingencies on a scripted robot,
the simulated robot's MCU model, and a dry run of the shipped example on the real terrain."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

import pytest

from ilrs_auto.assets import assets_dir, default_scenario_path
from ilrs_auto.mission.sequence import McuCommand, Sample, SequenceFile, parse_sequence
from ilrs_auto.mission.sequence_executor import (
    DriveResult,
    McuResult,
    Outcome,
    RunLog,
    SampleResult,
    SequenceExecutor,
    write_log,
)
from ilrs_auto.mission.sequence_validator import load_sequence, validate_text
from ilrs_auto.sim.scenario import load_scenario
from ilrs_auto.sim.sequence_robot import SimulatedRobot, dry_run

EXAMPLE = assets_dir() / "sequences" / "ilrs2_shoemaker_sampling.yaml"


@dataclass
class ScriptedRobot:
    """Arrives instantly at straight-line speed unless told to fail a target; the MCU accepts
    every command unless told to reject one."""

    fail_drives: dict[tuple[float, float], str] = field(default_factory=dict)
    reject: set[str] = field(default_factory=set)
    x: float = 520.0
    y: float = 700.0
    odometer: float = 0.0
    commands: list[str] = field(default_factory=list)

    @property
    def position_xy_m(self) -> tuple[float, float]:
        return (self.x, self.y)

    @property
    def odometer_m(self) -> float:
        return self.odometer

    @property
    def mcu_mode(self) -> str:
        return "IDLE"

    def drive_to(
        self, goal_xy_m: tuple[float, float], speed_mps: float, tolerance_m: float, timeout_s: float
    ) -> DriveResult:
        self.commands.append(f"drive_to {goal_xy_m}")
        distance = math.dist((self.x, self.y), goal_xy_m)
        event = self.fail_drives.get(goal_xy_m)
        if event is not None:
            return DriveResult(False, 30.0, 2.0, "safe", event, f"{event} after 2.0 m")
        self.x, self.y = goal_xy_m
        self.odometer += distance
        transitions = ((0.0, "start", "idle", "traverse_planning"),)
        return DriveResult(
            True, distance / speed_mps, distance, "arrived", None, "arrived", transitions
        )

    def mcu_command(self, command: McuCommand, now_s: float) -> McuResult:
        self.commands.append(command.name)
        if command.name in self.reject:
            return McuResult(False, "EXECUTION_FAILED", 1.0, "MCU: EXECUTION_FAILED")
        return McuResult(True, "EXECUTED", 1.0, "MCU: EXECUTED")

    def stop(self, now_s: float) -> None:
        self.commands.append("stop")


HEADER = """\
sequence: t
start_xy_m: [520, 700]
power: {battery_wh: 1000, initial_soc_pct: 100, reserve_soc_pct: 20, idle_w: 40, rails_on: []}
contact_windows: [[0, 100], [500, 900]]
targets:
  a: [540, 700]
  b: [540, 720]
"""


def sequence(body: str) -> SequenceFile:
    """The parsed sequence (the executor's behaviour is tested on plans the validator may
    refuse, such as one that starts a step late)."""
    parsed, problems = parse_sequence(HEADER + dedent(body), "t.yaml")
    assert problems == [] and parsed is not None
    return parsed


def run(body: str, robot: ScriptedRobot | None = None) -> RunLog:
    return SequenceExecutor(sequence(body), robot or ScriptedRobot()).run()


def rows(log: RunLog) -> list[tuple[str, float, float, str]]:
    return [(r.path, r.start_s, r.end_s, r.outcome.value) for r in log.steps]


def test_steps_run_at_their_times_with_their_outcomes() -> None:
    log = run(
        """\
        steps:
          - at: 10
            SET_POWER: {rail: CAMERA, "on": true}
          - drive_to: {target: a, speed_mps: 0.2}
          - after: 5
            wait: {for_s: 20}
          - sample: {tool: scoop, container: 1, duration_s: 60}
          - at: 500
            downlink: {duration_s: 100}
          - at: 550
            NOOP: {}
        """
    )
    assert rows(log) == [
        ("steps[0]", 10.0, 11.0, "done"),
        ("steps[1]", 11.0, 111.0, "done"),
        ("steps[2]", 116.0, 136.0, "done"),
        ("steps[3]", 136.0, 196.0, "not simulated"),
        ("steps[4]", 500.0, 600.0, "not simulated"),
        ("steps[5]", 600.0, 601.0, "done"),
    ]
    assert log.steps[5].detail.startswith("started 50.0 s late; ")
    assert log.result == "completed" and log.end_s == 601.0
    assert log.odometer_m == 20.0
    assert log.transitions == [
        {"time_s": 11.0, "step": "steps[1]", "event": "start", "source": "idle",
         "dest": "traverse_planning"}
    ]  # fmt: skip
    # Energy: 40 W idle all along, the camera rail from t = 11 s, 50 W of wheels for 100 s,
    # 120 W of sampling for 60 s and 30 W of downlink for 100 s.
    camera_w = sequence("steps: [{NOOP: {}}]").power.rail_w["CAMERA"]
    used_wh = (40 * 601 + camera_w * 590 + 250 * 0.2 * 100 + 120 * 60 + 30 * 100) / 3600
    assert log.battery_soc_pct == pytest.approx(100 - used_wh / 10)


def test_branches_and_loops_follow_their_conditions() -> None:
    log = run(
        """\
        steps:
          - drive_to: {target: a}
          - if: state == arrived and x_m > 530
            then:
              - repeat: 2
                do:
                  - wait: {for_s: 10}
            else:
              - safe_mode: {}
          - if: in_contact
            then:
              - NOOP: {}
          - repeat: {until: in_contact, max_times: 20}
            do:
              - wait: {for_s: 100}
          - repeat: {until: time_s > 1e6, max_times: 2}
            do:
              - NOOP: {}
        """
    )
    assert [(r.path, r.iteration, r.outcome.value) for r in log.steps] == [
        ("steps[0]", (), "done"),
        ("steps[1]", (), "done"),
        ("steps[1].then[0]", (), "done"),
        ("steps[1].then[0].do[0]", (1,), "done"),
        ("steps[1].then[0].do[0]", (2,), "done"),
        ("steps[2]", (), "done"),
        ("steps[3]", (), "done"),
        *[("steps[3].do[0]", (i,), "done") for i in (1, 2, 3, 4)],
        ("steps[4]", (), "done"),
        ("steps[4].do[0]", (1,), "done"),
        ("steps[4].do[0]", (2,), "done"),
    ]
    details = {r.path: r.detail for r in log.steps}
    assert details["steps[1]"] == "took then"
    assert details["steps[2]"] == "took else (empty)"  # t = 120 s: between the windows
    assert details["steps[3]"] == "'in_contact' held after 4 iteration(s)"  # t = 520 s
    assert details["steps[4]"] == "stopped at max_times (2) without 'time_s > 1e6' holding"
    assert log.result == "completed"


def test_a_wait_until_ends_when_its_condition_holds_or_times_out() -> None:
    log = run(
        """\
        steps:
          - at: 200
            wait: {until: in_contact, timeout_s: 600}
          - wait: {until: not in_contact, timeout_s: 100}
        contingencies:
          - on: wait_timeout
            do:
              - NOOP: {}
            then: resume
        """
    )
    assert rows(log) == [
        ("steps[0]", 200.0, 500.0, "done"),
        ("steps[1]", 500.0, 600.0, "timed out"),
        ("contingencies[0]", 600.0, 601.0, "done"),
        ("contingencies[0].do[0]", 600.0, 601.0, "done"),
    ]
    assert log.steps[1].event == "wait_timeout"
    assert log.result == "completed"


def test_a_failed_drive_runs_its_contingency() -> None:
    robot = ScriptedRobot(fail_drives={(540.0, 720.0): "no_path"})
    log = run(
        """\
        steps:
          - drive_to: {target: b}
          - NOOP: {}
        contingencies:
          - on: no_path
            do:
              - drive_to: {target: a}
            then: abort
        """,
        robot,
    )
    assert [(r.path, r.outcome.value, r.event) for r in log.steps] == [
        ("steps[0]", "failed", "no_path"),
        ("contingencies[0]", "done", None),
        ("contingencies[0].do[0]", "done", None),
    ]
    assert log.steps[1].contingency and log.steps[1].command == "on no_path (line 9)"
    assert log.result == "aborted"
    assert log.reason == "contingency on no_path (line 12) aborted"
    assert robot.position_xy_m == (540.0, 700.0)


def test_unhandled_failures_end_in_safe_mode() -> None:
    robot = ScriptedRobot(reject={"SET_POWER"})
    log = run(
        """\
        steps:
          - SET_POWER: {rail: HEATER, "on": true}
          - NOOP: {}
        contingencies:
          - on: command_rejected
            do:
              - STOP: {}
              - SET_POWER: {rail: HEATER, "on": false}
        """,
        robot,
    )
    assert [(r.path, r.outcome.value) for r in log.steps] == [
        ("steps[0]", "failed"),
        ("contingencies[0]", "done"),
        ("contingencies[0].do[0]", "done"),
        ("contingencies[0].do[1]", "failed"),
    ]
    assert log.result == "safe_mode"
    assert log.reason == "command_rejected inside a contingency (line 15)"
    assert robot.commands == ["SET_POWER", "STOP", "SET_POWER", "stop"]

    stalls = ScriptedRobot(fail_drives={(540.0, 720.0): "drive_stalled"})
    log = run("steps:\n  - drive_to: {target: b}\n  - NOOP: {}\n", stalls)
    assert [r.outcome for r in log.steps] == [Outcome.FAILED]
    assert log.result == "safe_mode" and log.reason == "unhandled drive_stalled at line 9"


def test_a_step_needing_contact_outside_every_window_raises_contact_lost() -> None:
    body = """\
        steps:
          - at: 200
            wait: {for_s: 1}
          - at: 300
            needs_contact: true
            NOOP: {}
        contingencies:
          - on: contact_lost
            do:
              - wait: {for_s: 200}
            then: resume
        """
    report = validate_text(HEADER + dedent(body), "t.yaml")
    # The validator already says so; the executor still handles it when run.
    assert [p.message[:24] for p in report.errors] == ["needs contact from 300 s"]
    assert report.sequence is not None
    log = SequenceExecutor(report.sequence, ScriptedRobot()).run()
    assert [(r.path, r.outcome.value, r.event) for r in log.steps] == [
        ("steps[0]", "done", None),
        ("steps[1]", "failed", "contact_lost"),
        ("contingencies[0]", "done", None),
        ("contingencies[0].do[0]", "done", None),
    ]
    assert log.steps[1].detail == "no contact window at t = 300 s"
    assert log.result == "completed" and log.end_s == 500.0


def test_battery_low_is_raised_once_and_handled() -> None:
    # The validator refuses this plan (worst case below the reserve); run what was parsed.
    text = HEADER + dedent(
        """\
        steps:
          - wait: {for_s: 80000}
          - wait: {for_s: 80000}
        contingencies:
          - on: battery_low
            do:
              - NOOP: {}
            then: resume
        """
    )
    parsed, local = parse_sequence(text, "t.yaml")
    assert local == [] and parsed is not None
    assert [p.message[:8] for p in validate_text(text, "t.yaml").errors] == ["energy: "]
    log = SequenceExecutor(parsed, ScriptedRobot()).run()
    events = [(r.path, r.event) for r in log.steps if r.event]
    assert events == [("steps[0]", "battery_low")]  # 40 W for 80000 s: 889 Wh of 1000
    assert log.steps[0].battery_soc_pct == pytest.approx(100 - 40 * 80000 / 3600 / 10)
    assert [r.path for r in log.steps] == [
        "steps[0]",
        "contingencies[0]",
        "contingencies[0].do[0]",
        "steps[1]",
    ]
    assert log.result == "completed" and log.battery_soc_pct < 0  # the model lets it run on


def test_a_safe_mode_step_ends_the_sequence() -> None:
    robot = ScriptedRobot()
    log = run("steps:\n  - safe_mode: {reason: checkout done}\n", robot)
    assert log.result == "safe_mode" and log.reason == "safe_mode at line 9: checkout done"
    assert robot.commands == ["stop"]


def test_runs_replay_exactly_and_write_json(tmp_path: Path) -> None:
    body = (
        "steps:\n  - drive_to: {target: a}\n  - wait: {for_s: 3}\n"
        "  - sample: {tool: drill, container: 4}\n"
    )
    first, second = run(body), run(body)
    assert first.to_json() == second.to_json()
    path = write_log(first, tmp_path / "log.json")
    data = json.loads(path.read_text())
    assert data["result"] == "completed"
    assert [s["outcome"] for s in data["steps"]] == ["done", "done", "not simulated"]
    assert data["steps"][2]["detail"].startswith("the robot has no sampling instrument")


# ---- the simulated robot -------------------------------------------------------------------


def _mcu(name: str, **args: int | float | bool) -> McuCommand:
    from firmware_bridge.dictionary import default_dictionary

    return McuCommand(name, args, default_dictionary().command(name))


def test_mcu_commands_run_on_the_rover_mcu_model() -> None:
    robot = SimulatedRobot(load_scenario(default_scenario_path()))
    result = robot.mcu_command(_mcu("SET_POWER", rail=3, on=True), 0.0)
    assert result.succeeded and result.detail == "EXECUTED by the MCU model; events RAIL_SWITCHED"
    assert robot.mcu.rails == 0b1100  # RADIO (on at boot) and CAMERA
    drive = robot.mcu_command(_mcu("DRIVE", left_mps=0.1, right_mps=0.1, duration_ms=4000), 1.0)
    assert drive.succeeded and drive.status == "ACCEPTED" and drive.duration_s == 4.0
    assert "DRIVE_DONE" in drive.detail and "the terrain rover did not move" in drive.detail
    assert robot.position_xy_m == (520.0, 700.0)
    assert robot.mcu_mode == "IDLE"
    robot.mcu.mode = 2  # SAFE: the model refuses to drive
    refused = robot.mcu_command(_mcu("DRIVE", left_mps=0.1, right_mps=0.1, duration_ms=10), 6.0)
    assert not refused.succeeded
    assert refused.detail == "EXECUTION_FAILED by the MCU model (detail 1)"


def test_a_target_the_world_refuses_is_a_traverse_event() -> None:
    robot = SimulatedRobot(load_scenario(default_scenario_path()))
    result = robot.drive_to((5000.0, 700.0), 0.2, 1.0, 100.0)
    assert not result.arrived and result.event == "goal_outside_map"
    assert result.detail.startswith("(5000, 700) is outside the map")


@pytest.fixture(scope="module")
def example_run() -> RunLog:
    parsed, _ = load_sequence(EXAMPLE)
    return dry_run(parsed)


def test_the_example_dry_runs_to_completion(example_run: RunLog) -> None:
    log = example_run
    assert log.result == "completed", log.reason
    assert log.outcomes() == [
        ("steps[0]", "done"),
        ("steps[1]", "done"),
        ("steps[2]", "done"),
        ("steps[3]", "done"),
        ("steps[4]", "done"),
        ("steps[4].then[0]", "done"),
        ("steps[4].then[1]", "done"),  # scooped, sealed and cached in simulation
        ("steps[5]", "done"),
        ("steps[5].then[0]", "done"),
        ("steps[5].then[1]", "done"),  # drilled
        ("steps[6]", "done"),
        ("steps[7]", "done"),
        ("steps[8]", "not simulated"),
        ("steps[9]", "done"),
    ]
    drives = [r for r in log.steps if r.command.startswith("drive_to")]
    assert [d.detail.split(" after ")[0] for d in drives] == ["arrived"] * 3
    assert all(d.end_s - d.start_s < 400 for d in drives)
    downlink = log.steps[12]
    assert downlink.start_s == 3600.0 and downlink.end_s == 4500.0
    assert log.end_s == 4501.0
    starts = [r.start_s for r in log.steps]
    assert starts == sorted(starts)
    assert 45.0 < log.odometer_m < 80.0
    assert 20.0 < log.battery_soc_pct < 95.0
    events = [t["event"] for t in log.transitions]
    assert events.count("start") == 5 and events.count("goal_reached") == 3
    assert events.count("cached") == 2
    # The chain of custody: the scoop's sample, then the drill's, each in its own container.
    scoop, core = log.samples
    assert (scoop["step"], scoop["sequence"], scoop["tool"], scoop["depth_cm"]) == (
        "steps[4].then[1]", 1, "scoop", 3.0
    )  # fmt: skip
    assert (core["step"], core["sequence"], core["tool"], core["depth_cm"]) == (
        "steps[5].then[1]", 2, "drill", 30.0
    )  # fmt: skip
    assert (scoop["container_id"], core["container_id"]) == (1, 2)
    assert core["previous_hash"] == scoop["hash"]
    assert scoop["robot_id"] == core["robot_id"] == "rover_r1"
    for sample, target in ((scoop, (538, 706)), (core, (546, 692))):
        assert math.dist((sample["site_x_m"], sample["site_y_m"]), target) <= 3.0 + 1.0
        step = next(r for r in log.steps if r.path == sample["step"])
        assert step.start_s < sample["acquired_s"] < sample["sealed_s"] < sample["cached_s"]
        assert sample["cached_s"] == step.end_s
        assert f"{sample['mass_g']:.1f} g" in step.detail
    assert 80.0 < scoop["mass_g"] < 100.0 and 85.0 < core["mass_g"] < 100.0


@dataclass
class SamplingScriptedRobot(ScriptedRobot):
    """Takes samples in 100 s, or fails the container it is told to."""

    fail_container: int | None = None

    def sample(self, command: Sample, now_s: float) -> SampleResult:
        self.commands.append(f"sample {command.container}")
        if command.container == self.fail_container:
            return SampleResult(False, 40.0, "safe", "drill_stuck", "drill_stuck; ended safe")
        entry = {"sequence": 1, "container_id": command.container, "mass_g": 50.0}
        transitions = ((0.0, "start", "idle", "selecting_site"),)
        return SampleResult(True, 100.0, "done", None, "50.0 g", entry, 0.0, transitions)


def test_a_robot_that_samples_records_custody_and_a_failure_raises_sample_failed() -> None:
    body = """\
        steps:
          - sample: {tool: drill, container: 1, duration_s: 60}
          - sample: {tool: drill, container: 2, duration_s: 60}
          - NOOP: {}
        contingencies:
          - on: sample_failed
            do:
              - STOP: {}
            then: resume
        """
    robot = SamplingScriptedRobot(fail_container=2)
    log = run(body, robot)
    assert rows(log) == [
        ("steps[0]", 0.0, 100.0, "done"),
        ("steps[1]", 100.0, 140.0, "failed"),
        ("contingencies[0]", 140.0, 141.0, "done"),
        ("contingencies[0].do[0]", 140.0, 141.0, "done"),
        ("steps[2]", 141.0, 142.0, "done"),
    ]
    assert log.steps[1].event == "sample_failed" and log.steps[1].detail.startswith("drill_stuck")
    assert log.samples == [{"step": "steps[0]", "sequence": 1, "container_id": 1, "mass_g": 50.0}]
    assert log.transitions == [
        {"time_s": 0.0, "step": "steps[0]", "event": "start", "source": "idle",
         "dest": "selecting_site"},
    ]  # fmt: skip
    assert robot.commands == ["sample 1", "sample 2", "STOP", "NOOP"]
