"""Sequences: the parser and the validator. Every rule with its exact FILE:LINE message, every
problem reported at once, TOML as well as YAML, the shipped examples, and property tests: random
valid sequences validate, random mutations give problems with real line numbers, never a crash.
"""

from __future__ import annotations

import random
from pathlib import Path
from textwrap import dedent

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.mission.sequence import (
    Downlink,
    DriveTo,
    If,
    McuCommand,
    PowerModel,
    Repeat,
    Sample,
    SequenceError,
    Wait,
    parse_sequence,
    walk_steps,
)
from ilrs_auto.mission.sequence_validator import (
    load_sequence,
    validate_file,
    validate_text,
)

SEQUENCES = assets_dir() / "sequences"
EXAMPLE = SEQUENCES / "ilrs2_shoemaker_sampling.yaml"
BROKEN = SEQUENCES / "broken_traverse.yaml"


def problems(text: str, source: str = "seq.yaml") -> list[str]:
    """Every problem of a sequence text, without the file name."""
    report = validate_text(text, source)
    return [str(p).removeprefix(f"{source}:") for p in report.problems]


RULES = [
    pytest.param(
        "",
        [
            "1: the sequence file is empty",
        ],
        id="empty",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps: [
            """
        ),
        [
            "3: not valid YAML: expected the node content, but found '<stream end>'",
        ],
        id="yaml_syntax",
    ),
    pytest.param(
        dedent(
            """\
            - drive_to: {target: rim}
            """
        ),
        [
            (
                "1: sequence: expected a mapping of sequence keys (sequence, steps...), got a "
                "list of 1"
            ),
        ],
        id="not_mapping",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            step:
              - wait: {for_s: 1}
            """
        ),
        [
            "1: steps: required: the list of steps to run",
            (
                "2: step: unknown key (expected one of: sequence, description, robot, "
                "scenario, start_xy_m, power, contact_windows, contact_windows_file, targets, "
                "steps, contingencies); did you mean 'steps'?"
            ),
        ],
        id="header_unknown_key",
    ),
    pytest.param(
        dedent(
            """\
            description: nothing
            """
        ),
        [
            "1: sequence: required: the sequence's name",
            "1: steps: required: the list of steps to run",
        ],
        id="missing_name_and_steps",
    ),
    pytest.param(
        dedent(
            """\
            sequence: 'no spaces allowed'
            steps:
              - wait: {for_s: 1}
            """
        ),
        [
            (
                "1: sequence: 'no spaces allowed' is not a usable name (1 to 64 letters, "
                "digits, '.', '_' or '-', starting with a letter or digit)"
            ),
        ],
        id="bad_name",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            robot: rover_r3
            steps:
              - wait: {for_s: 1}
            """
        ),
        [
            (
                "2: robot: unknown robot 'rover_r3' (the dictionary has: rover_r1, rover_r2, "
                "tube_scout_t1); did you mean 'rover_r2'?"
            ),
        ],
        id="unknown_robot",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            power:
              battery_wh: 0
              idle_w: lots
              reserve_soc_pct: 96
              rail_w: {LIDAR: 5}
              rails_on: [RADIO, SONAR]
              solar_w: 10
            steps:
              - wait: {for_s: 1}
            """
        ),
        [
            "3: power.battery_wh: must be > 0 Wh, got 0",
            "4: power.idle_w: expected a number, got 'lots'",
            (
                "5: power.reserve_soc_pct: the reserve (96 %) must be below the initial state "
                "of charge (95 %)"
            ),
            (
                "6: power.rail_w.LIDAR: unknown rail (the dictionary has: PAYLOAD, HEATER, "
                "RADIO, CAMERA)"
            ),
            (
                "7: power.rails_on[1]: unknown rail 'SONAR' (the dictionary has: PAYLOAD, "
                "HEATER, RADIO, CAMERA)"
            ),
            (
                "8: power.solar_w: unknown key (expected one of: battery_wh, initial_soc_pct, "
                "reserve_soc_pct, idle_w, drive_w_per_mps, sample_w, downlink_w, "
                "detour_factor, rail_w, rails_on)"
            ),
        ],
        id="power",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            contact_windows:
              - [0, 600]
              - [500, 900]
              - [1000, 1000]
              - [2000]
              - [-5, 10]
            steps:
              - wait: {for_s: 1}
            """
        ),
        [
            (
                "4: contact_windows[1]: starts at 500 s, before the previous window ends (600 "
                "s); list windows in time order, without overlap"
            ),
            "5: contact_windows[2]: must end after it starts, got [1000, 1000]",
            "6: contact_windows[3]: expected [start_s, end_s], got a list of 1",
            "7: contact_windows[4]: must be >= 0 s, got -5",
        ],
        id="windows",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            contact_windows: [[0, 10]]
            contact_windows_file: w.yaml
            steps:
              - wait: {for_s: 1}
            """
        ),
        [
            "3: contact_windows_file: give contact_windows or contact_windows_file, not both",
        ],
        id="windows_both",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            targets:
              1rim: [540, 702]
              rim: [540]
              wall: {x_m: 546}
              ok: {x_m: 546, y_m: 692, z_m: 3}
            steps:
              - drive_to: {target: ok}
            """
        ),
        [
            (
                "3: targets.1rim: a target name is a letter or '_' then letters, digits or '_' "
                "(at most 64)"
            ),
            "4: targets.rim: expected [x, y] in metres, got a list of 1",
            "5: targets.wall.y_m: required",
            "6: targets.ok.z_m: unknown key (expected x_m and y_m)",
        ],
        id="targets",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - wait
              - label: nothing to do
              - wait: {for_s: 1}
                sample: {tool: scoop, container: 1}
              - set_power: {rail: CAMERA}
              - drive_too: {target: rim}
            """
        ),
        [
            "3: steps[0]: expected a step: a mapping with one command, got 'wait'",
            (
                "4: steps[1]: no command (expected one of: drive_to, wait, sample, safe_mode, "
                "explore_tube, downlink, if, repeat, or an MCU command: NOOP, DRIVE, STOP, "
                "CLEAR_SAFE, SET_POWER, REQUEST_HOUSEKEEPING, SET_HK_PERIOD)"
            ),
            "6: steps[2]: two commands in one step (wait and sample); give each its own step",
            "7: steps[3].set_power: unknown command or step key; did you mean 'SET_POWER'?",
            "8: steps[4].drive_too: unknown command or step key; did you mean 'drive_to'?",
        ],
        id="step_shapes",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - at: 10
                after: 5
                wait: {for_s: 1}
              - at: -1
                wait: {for_s: 1}
              - after: soon
                wait: {for_s: 1}
              - repeat: 2
                do:
                  - at: 100
                    wait: {for_s: 1}
            """
        ),
        [
            (
                "4: steps[0]: give at (absolute mission time) or after (seconds after the "
                "previous step), not both"
            ),
            "6: steps[1].at: must be >= 0 s, got -1",
            "8: steps[2].after: expected a number, got 'soon'",
            (
                "12: steps[3].do[0].at: an absolute time inside a repeat would be the same for "
                "every iteration; use after"
            ),
        ],
        id="timing",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - wait: {for_s: 1}
                then:
                  - wait: {for_s: 1}
              - needs_contact: true
                if: in_contact
                then:
                  - wait: {for_s: 1}
                do:
                  - wait: {for_s: 1}
            """
        ),
        [
            "4: steps[0].then: belongs to an 'if' step",
            (
                "6: steps[1].needs_contact: applies to commands, not to an 'if' block: mark "
                "its steps"
            ),
            "10: steps[1].do: belongs to a 'repeat' step",
        ],
        id="misplaced",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            targets: {rim: [540, 702]}
            steps:
              - drive_to: {target: rim, speed: 0.2, tolerance_m: 0.01, timeout_s: 0}
              - drive_to: {speed_mps: fast}
              - sample: {tool: shovel, container: 13, depth_cm: -1}
              - sample: {tool: scoop, container: 2, depth_cm: 8}
              - downlink: [300]
              - safe_mode: {reason: 3}
            """
        ),
        [
            (
                "4: steps[0].drive_to.speed: unknown argument of drive_to (it takes: target, "
                "speed_mps, tolerance_m, timeout_s); did you mean 'speed_mps'?"
            ),
            "4: steps[0].drive_to.tolerance_m: must be >= 0.1 m, got 0.01",
            "4: steps[0].drive_to.timeout_s: must be >= 1 s, got 0",
            "5: steps[1].drive_to.speed_mps: expected a number, got 'fast'",
            "5: steps[1].drive_to.target: required: a name under targets",
            "6: steps[2].sample.tool: expected one of scoop, drill, got 'shovel'",
            "6: steps[2].sample.container: must be <= 12, got 13",
            "6: steps[2].sample.depth_cm: must be >= 0 cm, got -1",
            "7: steps[3].sample.depth_cm: a scoop reaches at most 5 cm, got 8; use the drill",
            (
                "8: steps[4].downlink: expected the arguments of downlink as a mapping (or "
                "{}), got a list of 1"
            ),
            "9: steps[5].safe_mode.reason: expected text, got 3",
        ],
        id="high_level_args",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - wait: {}
              - wait: {for_s: 5, until: in_contact}
              - wait: {until: in_contact}
              - wait: {for_s: 5, timeout_s: 9}
              - wait: {until: batery_soc_pct < 30, timeout_s: 60}
            """
        ),
        [
            "3: steps[0].wait: give for_s (a fixed wait) or until (a condition), one of them",
            "4: steps[1].wait: give for_s (a fixed wait) or until (a condition), one of them",
            "5: steps[2].wait: a wait until a condition needs timeout_s: it may never hold",
            "6: steps[3].wait.timeout_s: goes with until; a wait for_s ends by itself",
            (
                "7: steps[4].wait.until: in 'batery_soc_pct < 30': unknown variable "
                "'batery_soc_pct' at column 1 (known: battery_soc_pct, battery_wh, in_contact, "
                "mode, odometer_m, state, time_s, x_m, y_m); did you mean 'battery_soc_pct'?"
            ),
        ],
        id="waits",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - repeat: {until: in_contact}
                do:
                  - wait: {for_s: 1}
              - repeat: {times: 2, until: in_contact, max_times: 3}
                do:
                  - wait: {for_s: 1}
              - repeat: {max_times: 3}
                do:
                  - wait: {for_s: 1}
              - repeat: forever
                do:
                  - wait: {for_s: 1}
              - repeat: 0
                do:
                  - wait: {for_s: 1}
              - repeat: 1001
                do: []
              - repeat: {}
            """
        ),
        [
            (
                "3: steps[0].repeat: a loop needs a bound: give max_times, the most iterations "
                "it may run"
            ),
            "6: steps[1].repeat: give times, or until with max_times, not both",
            "9: steps[2].repeat: max_times goes with until: give until, or use times",
            (
                "12: steps[3].repeat: expected a number of times or {until, max_times}, got "
                "'forever'; a loop needs a bound"
            ),
            "15: steps[4].repeat: must be >= 1, got 0",
            "18: steps[5].repeat: must be <= 1000, got 1001",
            "19: steps[5].do: no steps: give at least one",
            "20: steps[6].repeat: a loop needs a bound: give times, or until with max_times",
            "20: steps[6].do: required: the steps to repeat",
        ],
        id="repeats",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - if: state == arived
                then:
                  - wait: {for_s: 1}
              - if: in_contact
              - if: [in_contact]
                then:
                  - wait: {for_s: 1}
            """
        ),
        [
            (
                "3: steps[0].if: in 'state == arived': state has no value 'arived' at column "
                "10 (values: idle, traverse_planning, traverse_driving, traverse_replanning, "
                "traverse_waiting, arrived, fault, safe); did you mean 'arrived'?"
            ),
            "6: steps[1].then: required: the steps to run when the condition holds",
            "7: steps[2].if: expected a condition, got a list of 1",
        ],
        id="ifs",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - SET_POWER: {rail: LIDAR, "on": yes}
              - SET_POWER: {rail: 7, "on": 1}
              - DRIVE: {left_mps: 0.7, right_mps: 0.1, duration_ms: 1.5}
              - DRIVE: {left_mps: 0.1, right_mps: 0.1}
              - SET_HK_PERIOD: {period_ms: 50, extra: 1}
              - NOOP: now
              - SET_HK_PERIOD: {period_ms: '100'}
            """
        ),
        [
            (
                "3: steps[0].SET_POWER.rail: expected one of PAYLOAD, HEATER, RADIO, CAMERA, "
                "got 'LIDAR'"
            ),
            "4: steps[1].SET_POWER.rail: expected one of PAYLOAD, HEATER, RADIO, CAMERA, got 7",
            "4: steps[1].SET_POWER.on: expected true or false, got 1",
            (
                "5: steps[2].DRIVE.left_mps: out of range [-0.5, 0.5] m/s (rover_mcu "
                "dictionary), got 0.7"
            ),
            "5: steps[2].DRIVE.duration_ms: expected a whole number (u32), got 1.5",
            "6: steps[3].DRIVE.duration_ms: required: a whole number in [0, 600000] ms",
            (
                "7: steps[4].SET_HK_PERIOD.period_ms: out of range [100, 60000] ms (rover_mcu "
                "dictionary), got 50"
            ),
            (
                "7: steps[4].SET_HK_PERIOD.extra: unknown argument of MCU command "
                "SET_HK_PERIOD (it takes: period_ms)"
            ),
            "8: steps[5].NOOP: expected the arguments of NOOP as a mapping (or {}), got 'now'",
            (
                "9: steps[6].SET_HK_PERIOD.period_ms: expected a whole number in [100, 60000] "
                "ms, got '100'"
            ),
        ],
        id="mcu",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - wait: {for_s: 1}
            contingencies:
              - on: stalled
                do:
                  - safe_mode: {}
              - do:
                  - safe_mode: {}
              - on: battery_low
                then: panic
                else: []
              - on: battery_low
                do: []
              - wait
            """
        ),
        [
            (
                "5: contingencies[0].on: unknown event 'stalled' (known: drive_stalled, "
                "drive_unresponsive, exception, excessive_slip, goal_on_hazard, "
                "goal_outside_map, hazard_at_start, mission_timeout, no_path, plan_cancelled, "
                "plan_timed_out, planner_error, power_critical, sensor_dropout, "
                "start_outside_map, view_unknown, energy_critical, link_lost, relay_exhausted, "
                "tether_limit, battery_low, wait_timeout, contact_lost, command_rejected, "
                "sample_failed); "
                "did you mean 'drive_stalled'?"
            ),
            "8: contingencies[1].on: required: the event to handle",
            "10: contingencies[2].do: required: the steps to run",
            "11: contingencies[2].then: expected one of abort, resume, safe_mode, got 'panic'",
            "12: contingencies[2].else: unknown key (expected on, do and then)",
            "14: contingencies[3].do: no steps: give at least one",
            "15: contingencies[4]: expected a mapping with on, do and then, got 'wait'",
        ],
        id="contingency_shapes",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            sequence: u
            steps:
              - wait: {for_s: 1, for_s: 2}
            """
        ),
        [
            "2: sequence: given twice in one mapping (only the first is read)",
            "4: steps[0].wait.for_s: given twice in one mapping (only the first is read)",
        ],
        id="duplicates",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            targets:
              rim: [540, 702]
              wall: [546, 692]
            steps:
              - drive_to: {target: rimm}
              - drive_to: {target: rim}
            """
        ),
        [
            "4: targets.wall: warning: no drive_to uses this target",
            (
                "6: steps[0].drive_to.target: undefined target 'rimm' (targets: rim, wall); "
                "did you mean 'rim'?"
            ),
        ],
        id="undefined_target",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - at: 100
                wait: {for_s: 1}
              - at: 50
                wait: {for_s: 1}
            """
        ),
        [
            "5: steps[1].at: absolute times out of order: 50 s comes after at 100 s (line 3)",
        ],
        id="at_order",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - wait: {for_s: 100}
              - at: 50
                NOOP: {}
              - wait: {until: in_contact, timeout_s: 600}
              - at: 300
                NOOP: {}
            """
        ),
        [
            (
                "4: steps[1].at: 50 s is before the steps before it can end (100 s at the "
                "earliest): it would always start late"
            ),
            (
                "7: steps[3].at: warning: may start late: the steps before it may run until "
                "701 s in the worst case"
            ),
        ],
        id="at_late",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - safe_mode: {}
              - wait: {for_s: 1}
              - wait: {for_s: 2}
              - if: in_contact
                then:
                  - safe_mode: {}
                else:
                  - safe_mode: {}
            """
        ),
        [
            (
                "4: steps[1]: never runs: the sequence has ended in safe_mode (line 3) on "
                "every path before it"
            ),
        ],
        id="never_runs",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            power: {battery_wh: 100, initial_soc_pct: 100, reserve_soc_pct: 20, idle_w: 40}
            steps:
              - wait: {for_s: 3600}
              - wait: {for_s: 3600}
              - wait: {for_s: 3600}
            """
        ),
        [
            (
                "5: steps[1]: energy: in the worst case the battery falls to its 20 % reserve "
                "during this step: 112 Wh used by t = 7200 s, 80 Wh usable (100 Wh from 100 % "
                "to 20 %)"
            ),
        ],
        id="energy",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            power: {battery_wh: 100, initial_soc_pct: 100, reserve_soc_pct: 20, idle_w: 40}
            steps:
              - NOOP: {}
              - at: 10000
                NOOP: {}
            """
        ),
        [
            (
                "5: steps[1]: energy: in the worst case the battery falls to its 20 % reserve "
                "while it waits for its start time: 156 Wh used by t = 10000 s, 80 Wh usable "
                "(100 Wh from 100 % to 20 %)"
            ),
        ],
        id="energy_at",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            power: {battery_wh: 100, initial_soc_pct: 100, reserve_soc_pct: 20, idle_w: 40}
            steps:
              - repeat: 10
                do:
                  - wait: {for_s: 1800}
            """
        ),
        [
            (
                "6: steps[0].do[0]: energy: in the worst case the battery falls to its 20 % "
                "reserve during this step (iteration 3 of the repeat at line 4): 84 Wh used by "
                "t = 5400 s, 80 Wh usable (100 Wh from 100 % to 20 %)"
            ),
        ],
        id="energy_loop",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            power: {battery_wh: 100, reserve_soc_pct: 10}
            targets: {rim: [540, 702]}
            steps:
              - drive_to: {target: rim}
            contingencies:
              - on: no_path
                do:
                  - wait: {for_s: 3600}
            """
        ),
        [
            (
                "7: contingencies[0]: energy: in the worst case this contingency needs 136 Wh, "
                "more than the 10 Wh reserve (10 % of 100 Wh) it runs on"
            ),
        ],
        id="energy_contingency",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - needs_contact: true
                NOOP: {}
              - downlink: {}
            """
        ),
        [
            (
                "3: steps[0]: needs contact, but the sequence gives no contact windows "
                "(contact_windows or contact_windows_file)"
            ),
            (
                "5: steps[1]: a downlink needs contact, but the sequence gives no contact "
                "windows (contact_windows or contact_windows_file)"
            ),
        ],
        id="contact_none",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            contact_windows: [[0, 600], [3600, 5400]]
            steps:
              - needs_contact: true
                NOOP: {}
              - wait: {until: in_contact, timeout_s: 3000}
              - downlink: {duration_s: 900}
              - at: 3600
                downlink: {duration_s: 1800}
              - repeat: 3
                do:
                  - wait: {for_s: 600}
                  - needs_contact: true
                    NOOP: {}
            """
        ),
        [
            (
                "7: steps[2]: a downlink needs contact from 1 s to 3901 s (earliest start to "
                "latest end), and no contact window covers that (windows: 0-600 s, 3600-5400 "
                "s)"
            ),
            (
                "8: steps[3].at: warning: may start late: the steps before it may run until "
                "3901 s in the worst case"
            ),
            (
                "8: steps[3]: a downlink needs contact from 3600 s to 5701 s (earliest start "
                "to latest end), and no contact window covers that (windows: 0-600 s, "
                "3600-5400 s)"
            ),
            (
                "13: steps[4].do[1]: needs contact from 6000 s to 6302 s (earliest start to "
                "latest end) (iteration 1 of the repeat at line 10), and no contact window "
                "covers that (windows: 0-600 s, 3600-5400 s)"
            ),
        ],
        id="contact_window",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - if: in_contact
                then:
                  - sample: {tool: scoop, container: 1}
                else:
                  - sample: {tool: drill, container: 1}
              - sample: {tool: drill, container: 1}
              - repeat: {until: in_contact, max_times: 2}
                do:
                  - sample: {tool: scoop, container: 2}
            """
        ),
        [
            (
                "8: steps[1].sample.container: container 1 already holds the sample of line 5; "
                "every sample needs its own container"
            ),
            (
                "11: steps[2].do[0].sample.container: inside a repeat that may run 2 times, "
                "every iteration would use container 2"
            ),
        ],
        id="samples",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            steps:
              - wait: {for_s: 1}
            contingencies:
              - on: battery_low
                do:
                  - safe_mode: {}
              - on: drive_stalled
                do:
                  - safe_mode: {}
              - on: battery_low
                do:
                  - safe_mode: {}
              - on: command_rejected
                do:
                  - safe_mode: {}
              - on: contact_lost
                do:
                  - safe_mode: {}
            """
        ),
        [
            (
                "8: contingencies[1].on: unreachable: no step of the sequence can raise "
                "drive_stalled (it comes from drive_to steps)"
            ),
            (
                "11: contingencies[2].on: unreachable: contingencies[0] (line 5) already "
                "handles battery_low"
            ),
            (
                "14: contingencies[3].on: unreachable: no step of the sequence can raise "
                "command_rejected (it comes from MCU commands)"
            ),
            (
                "17: contingencies[4].on: unreachable: no step of the sequence can raise "
                "contact_lost (it comes from steps that need contact)"
            ),
        ],
        id="contingency_reach",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            targets: {rim: [540, 702]}
            steps:
              - drive_to: {target: rim, speed_mps: 0.1, timeout_s: 100}
            """
        ),
        [
            (
                "4: steps[0].drive_to.timeout_s: 100 s is shorter than the drive itself: 20.1 "
                "m at 0.1 m/s takes at least 201 s"
            ),
        ],
        id="drive_timeout",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            scenario: nowhere.yaml
            steps:
              - wait: {for_s: 1}
            """
        ),
        [
            "2: scenario: nowhere.yaml: no such scenario file",
        ],
        id="scenario_missing",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            start_xy_m: [-5, 700]
            targets: {moon_far_side: [9000, 9000]}
            steps:
              - drive_to: {target: moon_far_side}
            """
        ),
        [
            (
                "2: start_xy_m: (-5, 700) is outside the map of the scenario (x in [0, 1280), "
                "y in [0, 1280) m)"
            ),
            (
                "3: targets.moon_far_side: (9000, 9000) is outside the map of the scenario (x "
                "in [0, 1280), y in [0, 1280) m)"
            ),
            (
                "5: steps[0]: energy: in the worst case the battery falls to its 20 % reserve "
                "during this step: 3780 Wh used by t = 122587 s, 400 Wh usable (534 Wh from 95 "
                "% to 20 %)"
            ),
        ],
        id="off_map",
    ),
    pytest.param(
        dedent(
            """\
            sequence: t
            power: {battery_wh: 1000000}
            steps:
              - repeat: 1000
                do:
                  - repeat: 1000
                    do:
                      - NOOP: {}
            """
        ),
        [
            (
                "3: steps: the worst case runs more than 50000 steps (loops unrolled); split "
                "the sequence"
            ),
        ],
        id="too_large",
    ),
]


@pytest.mark.parametrize(("text", "expected"), RULES)
def test_each_rule_reports_file_line_path_and_problem(text: str, expected: list[str]) -> None:
    assert problems(text) == expected


def test_the_shipped_example_is_valid_and_summarised() -> None:
    report = validate_file(EXAMPLE)
    assert report.valid and report.problems == ()
    summary = report.summary
    assert summary is not None and report.sequence is not None
    assert summary.steps == 15 and summary.contingencies == 3 and summary.targets == 3
    assert summary.best_end_s == summary.worst_end_s == 4501.0  # the downlink is at 3600 s
    assert 0 < summary.worst_energy_wh < summary.usable_wh
    assert summary.lowest_soc_pct > report.sequence.power.reserve_soc_pct


def test_every_problem_of_the_broken_example_is_reported_at_once() -> None:
    report = validate_file(BROKEN)
    source = str(BROKEN)
    assert [str(p).removeprefix(f"{source}:") for p in report.problems] == [
        "15: targets.ejecta_block: warning: no drive_to uses this target",
        (
            "17: targets.far_crater: (5200, 700) is outside the map of the scenario "
            "(x in [0, 1280), y in [0, 1280) m)"
        ),
        "21: steps[0].SET_POWER.level: unknown argument of MCU command SET_POWER (it takes: "
        "rail, on)",
        "22: steps[1].drive_to.target: undefined target 'ejecta_blok' (targets: ejecta_block, "
        "lander, far_crater); did you mean 'ejecta_block'?",
        "23: steps[2].DRIVE.left_mps: out of range [-0.5, 0.5] m/s (rover_mcu dictionary), got 0.7",
        "24: steps[3].if: in 'battery_soc_pct > 40 and sun_elevation_deg > 2': unknown "
        "variable 'sun_elevation_deg' at column 26 (known: battery_soc_pct, battery_wh, "
        "in_contact, mode, odometer_m, state, time_s, x_m, y_m)",
        "27: steps[4].repeat: a loop needs a bound: give max_times, the most iterations it may run",
        "30: steps[5].sample.container: container 1 already holds the sample of line 26; "
        "every sample needs its own container",
        "30: steps[5]: energy: in the worst case the battery falls to its 20 % reserve during "
        "this step: 107 Wh used by t = 2700 s, 90 Wh usable (120 Wh from 95 % to 20 %)",
        "32: steps[6].at: absolute times out of order: 1200 s comes after at 1800 s (line 30)",
        "32: steps[6]: needs contact from 2700 s to 2701 s (earliest start to latest end), and "
        "no contact window covers that (windows: 0-600 s, 3600-5400 s)",
        "35: steps[7].drive_to.timeout_s: 10 s is shorter than the drive itself: 4.5 m at "
        "0.2 m/s takes at least 22 s",
        "39: contingencies[0].on: unreachable: no step of the sequence can raise wait_timeout "
        "(it comes from waits with until)",
    ]
    assert len(report.errors) == 12 and len(report.warnings) == 1
    lines = [p.line for p in report.problems]
    assert lines == sorted(lines)
    with pytest.raises(SequenceError) as raised:
        load_sequence(BROKEN)
    assert len(raised.value.problems) == 12
    assert str(raised.value).count("\n") == 11


def test_the_tree_carries_lines_paths_and_dictionary_values() -> None:
    sequence, found = parse_sequence(EXAMPLE.read_text(), str(EXAMPLE))
    assert found == [] and sequence is not None
    steps = list(walk_steps(sequence.steps))
    text_lines = EXAMPLE.read_text().splitlines()
    for step in steps:  # each step's line holds its command or one of its keys
        assert step.line >= 1
        assert any(
            key in text_lines[step.line - 1]
            for key in (step.keyword, "at:", "label:", "needs_contact:", "after:")
        )
    first = sequence.steps[0]
    assert isinstance(first.command, McuCommand)
    assert first.command.args == {"rail": 3, "on": True}  # CAMERA is rail 3 in the dictionary
    assert first.at_s == 0.0 and first.label == "camera on for the traverse"
    drive = sequence.steps[3].command
    assert isinstance(drive, DriveTo) and drive.target == "ejecta_block"
    branch = sequence.steps[4].command
    assert isinstance(branch, If) and branch.condition is not None
    assert branch.condition.text == "state == arrived"
    assert isinstance(branch.then[1].command, Sample) and branch.then[1].path == "steps[4].then[1]"
    assert isinstance(sequence.steps[8].command, Downlink) and sequence.steps[8].needs_link
    assert sequence.targets["lander"].line == text_lines.index("  lander: [524, 698]") + 1
    assert [w.start_s for w in sequence.contact_windows] == [0.0, 3600.0]
    assert [c.event for c in sequence.contingencies] == ["drive_stalled", "no_path", "battery_low"]


def test_power_model_defaults_come_from_the_mcu_model_and_dictionary() -> None:
    power = PowerModel()
    assert power.battery_wh == 534.0  # 20 Ah at 26.7 V (firmware_bridge.sim_mcu)
    assert power.reserve_soc_pct == 20.0  # yellow_low of battery_soc_pct
    assert set(power.rail_w) == {"PAYLOAD", "HEATER", "RADIO", "CAMERA"}
    assert power.rails_on == {"RADIO"}
    assert power.usable_wh == pytest.approx(534 * 0.75)
    assert power.base_w(frozenset({"CAMERA"})) == 45.0 + power.rail_w["CAMERA"]
    assert power.default_drive_timeout_s(20.0, 0.2) == 320.0


def test_toml_reads_like_yaml_with_its_own_lines(tmp_path: Path) -> None:
    path = tmp_path / "seq.toml"
    path.write_text(
        dedent(
            """\
            sequence = "toml-example"
            contact_windows = [[0, 900]]

            [targets]
            rim = [540, 702]

            [[steps]]
            at = 0
            SET_POWER = { rail = "CAMERA", on = true }

            [[steps]]
            drive_to = { target = "rimm", speed_mps = 0.9 }

            [[steps]]
            if = "state == arrived"
            [[steps.then]]
            sample = { tool = "scoop", container = 1 }

            [[steps]]
            repeat = { until = "in_contact" }
            [[steps.do]]
            wait = { for_s = 60 }
            """
        )
    )
    found = [str(p).removeprefix(f"{path}:") for p in validate_file(path).problems]
    assert found == [
        "5: targets.rim: warning: no drive_to uses this target",
        "12: steps[1].drive_to.speed_mps: must be <= 0.5 m/s, got 0.9",
        "12: steps[1].drive_to.target: undefined target 'rimm' (targets: rim); did you mean 'rim'?",
        "20: steps[3].repeat: a loop needs a bound: give max_times, the most iterations it may run",
    ]
    path.write_text('sequence = "x"\nsteps = [\n')
    (problem,) = validate_file(path).problems
    assert problem.line >= 1 and "not valid TOML" in problem.message


def test_contact_windows_from_a_file_report_that_files_lines(tmp_path: Path) -> None:
    (tmp_path / "windows.yaml").write_text("# DSN passes\n- [0, 600]\n- [900, 300]\n")
    sequence = tmp_path / "seq.yaml"
    sequence.write_text(
        "sequence: t\ncontact_windows_file: windows.yaml\nsteps:\n"
        "  - at: 100\n    needs_contact: true\n    NOOP: {}\n"
    )
    report = validate_file(sequence)
    assert [str(p) for p in report.problems] == [
        f"{tmp_path / 'windows.yaml'}:3: contact_windows[1]: must end after it starts, "
        "got [900, 300]"
    ]
    (tmp_path / "windows.yaml").write_text("contact_windows:\n  - [0, 600]\n")
    report = validate_file(sequence)
    assert report.valid and report.sequence is not None
    assert report.sequence.contact_windows[0].end_s == 600.0
    (tmp_path / "windows.yaml").unlink()
    (problem,) = validate_file(sequence).problems
    assert problem.line == 2 and problem.path == "contact_windows_file"
    assert problem.message.endswith("windows.yaml: no such file")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\xff\xfe\x00sequence", "not UTF-8 text (invalid start byte at byte 0)"),
    ],
)
def test_unreadable_files_are_one_problem(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    path = tmp_path / "seq.yaml"
    if content is not None:
        path.write_bytes(content)
    report = validate_file(path)
    assert not report.valid
    (problem,) = report.problems
    assert str(problem) == f"{path}: {message}"


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",  # a recursive alias
        "a: &x [1, 2]\n"
        + "".join(
            f"b{i}: &x{i} [*x{i - 1 if i else ''}, *x{i - 1 if i else ''}]\n" for i in range(1, 4)
        ),
        "[" * 5000 + "]" * 5000,
        "sequence: t\nsteps: !!python/object:os.system [echo]\n",
        "sequence: t\nsteps:\n  - at: 2099-13-40\n    NOOP: {}\n",
    ],
)
def test_hostile_yaml_is_a_problem_not_a_crash(text: str) -> None:
    report = validate_text(text, "seq.yaml")
    assert not report.valid
    assert all(p.line >= 1 for p in report.problems)


# ---- property tests ----------------------------------------------------------------------

_TARGETS = {"lander": [524.0, 698.0], "block": [538.0, 706.0], "wall": [546.0, 692.0]}
_CONDITIONS = ["state == arrived", "battery_soc_pct > 30", "in_contact", "not in_contact"]


@st.composite
def _leaf(draw: st.DrawFn, containers: list[int]) -> dict[str, object]:
    kind = draw(st.sampled_from(["drive", "wait", "until", "mcu", "hk", "sample"]))
    step: dict[str, object]
    if kind == "drive":
        step = {"drive_to": {"target": draw(st.sampled_from(sorted(_TARGETS)))}}
    elif kind == "wait":
        step = {"wait": {"for_s": draw(st.integers(0, 120))}}
    elif kind == "until":
        step = {
            "wait": {
                "until": draw(st.sampled_from(_CONDITIONS)),
                "timeout_s": draw(st.integers(1, 300)),
            }
        }
    elif kind == "mcu":
        rail = draw(st.sampled_from(["PAYLOAD", "HEATER", "RADIO", "CAMERA"]))
        step = {"SET_POWER": {"rail": rail, "on": draw(st.booleans())}}
    elif kind == "hk":
        step = {"SET_HK_PERIOD": {"period_ms": draw(st.integers(100, 60000))}}
    else:
        containers.append(len(containers) + 1)
        step = {
            "sample": {
                "tool": "scoop",
                "depth_cm": 2,
                "container": containers[-1],
                "duration_s": 60,
            }
        }
    if draw(st.booleans()):
        step["after"] = draw(st.integers(0, 30))
    return step


@st.composite
def _steps(draw: st.DrawFn, containers: list[int], depth: int, in_loop: bool) -> list[object]:
    steps: list[object] = []
    for _ in range(draw(st.integers(1, 4))):
        shape = draw(st.sampled_from(["leaf", "leaf", "if", "repeat"] if depth < 2 else ["leaf"]))
        if shape == "if":
            step: dict[str, object] = {
                "if": draw(st.sampled_from(_CONDITIONS)),
                "then": draw(_steps(containers, depth + 1, in_loop)),
            }
            if draw(st.booleans()):
                step["else"] = draw(_steps(containers, depth + 1, in_loop))
            steps.append(step)
        elif shape == "repeat":
            bound: object = (
                draw(st.integers(1, 3))
                if draw(st.booleans())
                else {
                    "until": draw(st.sampled_from(_CONDITIONS)),
                    "max_times": draw(st.integers(1, 3)),
                }
            )
            body = [s for s in draw(_steps([], depth + 1, True)) if "sample" not in str(s)]
            steps.append({"repeat": bound, "do": body or [{"wait": {"for_s": 1}}]})
        else:
            leaf = draw(_leaf([] if in_loop else containers))
            if in_loop and "sample" in leaf:
                leaf = {"wait": {"for_s": 5}}
            steps.append(leaf)
    return steps


@st.composite
def valid_sequences(draw: st.DrawFn) -> dict[str, object]:
    containers: list[int] = []
    steps = draw(_steps(containers, 0, False))
    if len(containers) > 12:
        steps = [s for s in steps if "sample" not in str(s)]
    steps.append({"drive_to": {"target": "lander"}})  # every target is used at least once
    steps[0:0] = [{"drive_to": {"target": "block"}}, {"drive_to": {"target": "wall"}}]
    return {
        "sequence": "generated",
        "start_xy_m": [520.0, 700.0],
        "power": {"battery_wh": 100000},
        "targets": _TARGETS,
        "steps": steps,
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_sequences())
def test_random_valid_sequences_always_validate(document: dict[str, object]) -> None:
    text = yaml.safe_dump(document, sort_keys=False)
    report = validate_text(text, "generated.yaml")
    assert [str(p) for p in report.problems] == []
    assert report.valid and report.summary is not None
    assert report.summary.best_end_s <= report.summary.worst_end_s


_MUTATIONS = ["delete", "duplicate", "swap", "word", "number", "indent", "truncate", "garbage"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(["example", "broken"]),
    st.lists(st.tuples(st.sampled_from(_MUTATIONS), st.integers(0, 10**6)), min_size=1, max_size=4),
    st.sampled_from(["x", "-1", "1e9", "true", "~", "[", "{a: 1}", "at: 5", "NOOP: {}", "&a"]),
)
def test_random_mutations_give_problems_on_real_lines_never_a_crash(
    which: str, mutations: list[tuple[str, int]], token: str
) -> None:
    lines = (EXAMPLE if which == "example" else BROKEN).read_text().splitlines()
    for mutation, seed in mutations:
        rng = random.Random(seed)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            break
        if mutation == "delete":
            del lines[i]
        elif mutation == "duplicate":
            lines.insert(i, lines[i])
        elif mutation == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif mutation == "word":
            words = lines[i].split(" ")
            words[rng.randrange(len(words))] = token
            lines[i] = " ".join(words)
        elif mutation == "number":
            lines[i] = lines[i].replace("0", token, 1)
        elif mutation == "indent":
            lines[i] = "  " + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
        elif mutation == "truncate":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        else:
            lines.insert(i, token)
    text = "\n".join(lines) + "\n"
    report = validate_text(text, "mutant.yaml")
    last = text.count("\n") + 1
    for problem in report.problems:
        assert 1 <= problem.line <= last, str(problem)
        assert str(problem).startswith(f"mutant.yaml:{problem.line}: ")
    assert [p.line for p in report.problems] == sorted(p.line for p in report.problems)


def test_a_mutation_of_a_value_is_found_on_its_line() -> None:
    text = EXAMPLE.read_text().replace("timeout_s: 500}", "timeout_s: -500}")
    line = 1 + text.splitlines().index(
        "  - drive_to: {target: lander, speed_mps: 0.2, timeout_s: -500}"
    )
    assert problems(text) == [f"{line}: steps[7].drive_to.timeout_s: must be >= 1 s, got -500"]


def test_nan_and_infinity_are_not_numbers() -> None:
    found = problems("sequence: t\nsteps:\n  - wait: {for_s: .nan}\n  - wait: {for_s: .inf}\n")
    assert found == [
        "3: steps[0].wait.for_s: expected a number, got .nan",
        "4: steps[1].wait.for_s: expected a number, got .inf",
    ]


def test_a_path_that_is_not_a_file_is_input_error() -> None:
    from ilrs_auto.mission.sequence import read_sequence_text

    with pytest.raises(InputError, match="cannot read"):
        read_sequence_text(SEQUENCES)


def test_flow_blocks_keep_their_bodies_and_bounds() -> None:
    sequence, found = parse_sequence(
        "sequence: t\nsteps:\n  - repeat: {until: in_contact, max_times: 4}\n"
        "    do: [{wait: {for_s: 1}}]\n  - repeat: 2\n    do: [{NOOP: {}}]\n"
    )
    assert found == [] and sequence is not None
    first, second = (step.command for step in sequence.steps)
    assert isinstance(first, Repeat) and first.bound == 4 and first.until is not None
    assert isinstance(first.body[0].command, Wait) and first.body[0].path == "steps[0].do[0]"
    assert isinstance(second, Repeat) and second.bound == 2 and second.until is None


def test_the_language_reference_covers_every_command_argument_event_and_variable() -> None:
    from ilrs_auto.mission.conditions import VARIABLES
    from ilrs_auto.mission.sequence import (
        contingency_events,
        high_level_commands,
        mcu_command_names,
    )

    doc = (Path(__file__).resolve().parents[2] / "docs" / "sequences.md").read_text()
    words = set(high_level_commands()) | set(mcu_command_names()) | set(contingency_events())
    words |= {arg for spec in high_level_commands().values() for arg in spec.args}
    words |= set(VARIABLES) | set(PowerModel.__dataclass_fields__)
    missing = sorted(w for w in words if f"`{w}`" not in doc and f"`{w}:" not in doc)
    assert missing == []
    for broken_line in validate_file(BROKEN).problems:  # the doc shows the real output
        shown = str(broken_line).replace(str(BROKEN), "sim_assets/sequences/broken_traverse.yaml")
        assert shown in doc


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["fuzz.yaml", "fuzz.toml"]))
def test_arbitrary_text_is_problems_never_a_crash(text: str, source: str) -> None:
    report = validate_text(text, source)
    assert report.valid or report.problems
    assert all(p.line >= 1 and str(p).startswith(f"{source}:") for p in report.problems)
