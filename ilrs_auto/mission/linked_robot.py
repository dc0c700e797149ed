"""The robot a sequence commands on hardware: its microcontroller, reached through
``firmware_bridge`` (serial or TCP), with authenticated, acknowledged commands.

What reaches the robot this way is what its MCU does: the dictionary's commands (power rails,
drive at wheel speeds for a duration, housekeeping, stop). What the MCU reports comes from its
housekeeping telemetry: mode, state of charge, odometer. Commands that need the autonomy stack
on the robot (``drive_to`` with perception and planning, ``sample`` with the arm, ``downlink``
through the radio, ``explore_tube``) are not reachable through an MCU link:
:func:`unsupported_steps` lists them so that a run refuses such a sequence before anything is
sent, and :meth:`LinkedRobot.drive_to` answers a failed result if one is called anyway.

Time is real: the executor's paced clock (:class:`ilrs_auto.mission.clock.PacedClock`) waits
out each step's duration, so a ``DRIVE`` of 3000 ms holds the sequence 3 s, as on the robot.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from firmware_bridge.dictionary import AckStatus, TelemetryRecord, Value
from firmware_bridge.link import CommandFailedError, CommandLink, LinkError
from ilrs_auto.mission.sequence import (
    Command,
    If,
    McuCommand,
    Repeat,
    SafeMode,
    Sample,
    SequenceFile,
    Step,
    Wait,
)
from ilrs_auto.mission.sequence_executor import DriveResult, McuResult, SampleResult

HOUSEKEEPING_WAIT_S = 2.0
"""How long :meth:`LinkedRobot.refresh` waits for a housekeeping packet."""

_MCU_STEPS = (McuCommand, Wait, If, Repeat, SafeMode)
_NEEDS_AUTONOMY = "needs the autonomy stack on the robot; an MCU link only reaches its MCU"


class LinkedRobot:
    """A :class:`~ilrs_auto.mission.sequence_executor.SequenceRobot` behind a command link.

    ``start_xy_m`` is where the sequence says the robot stands: an MCU reports no position.
    """

    def __init__(self, link: CommandLink, start_xy_m: tuple[float, float]) -> None:
        self.link = link
        self._xy = (float(start_xy_m[0]), float(start_xy_m[1]))
        self.sent: list[tuple[str, int, str]] = []  # (command, sequence number, ack status)
        self._stale = True  # no housekeeping since the last command

    # ---- what the executor reads -----------------------------------------------------------
    @property
    def position_xy_m(self) -> tuple[float, float]:
        return self._xy

    @property
    def odometer_m(self) -> float:
        value = self._housekeeping("odometer_m")
        return float(value) if value is not None else 0.0

    @property
    def mcu_mode(self) -> str:
        value = self._housekeeping("mode")
        if value is None:
            return "unknown"
        name = self.link.dictionary.enums["mode"].name_of(int(value))
        return name or str(value)

    @property
    def measured_soc_pct(self) -> float | None:
        """The MCU's own state of charge, when housekeeping has been received."""
        value = self._housekeeping("battery_soc_pct")
        return float(value) if value is not None else None

    def _housekeeping(self, field: str) -> Value | None:
        """A housekeeping value, asked for afresh when a command was sent since the last."""
        if self._stale:
            self._stale = not self.refresh()
        self.link.poll(0.0)
        record: TelemetryRecord | None = self.link.latest_housekeeping
        return None if record is None else record.values.get(field)

    def refresh(self, timeout_s: float = HOUSEKEEPING_WAIT_S) -> bool:
        """Asks for housekeeping and waits for it; True when a fresh packet arrived."""
        before = self.link.latest_housekeeping
        try:
            self.link.send("REQUEST_HOUSEKEEPING", {})
        except (CommandFailedError, LinkError):
            return False
        waited = 0.0
        while self.link.latest_housekeeping is before and waited < timeout_s:
            self.link.poll(0.05)
            waited += 0.05
        return self.link.latest_housekeeping is not before

    # ---- what the executor commands --------------------------------------------------------
    def drive_to(
        self, goal_xy_m: tuple[float, float], speed_mps: float, tolerance_m: float, timeout_s: float
    ) -> DriveResult:
        return DriveResult(False, 0.0, 0.0, "fault", "not_supported", _NEEDS_AUTONOMY)

    def explore_tube(self, time_limit_s: float, link_gap_limit_s: float | None) -> DriveResult:
        return DriveResult(False, 0.0, 0.0, "fault", "not_supported", _NEEDS_AUTONOMY)

    def sample(self, command: Sample, now_s: float) -> SampleResult:
        return SampleResult(False, 0.0, "fault", "not_supported", _NEEDS_AUTONOMY)

    def mcu_command(self, command: McuCommand, now_s: float) -> McuResult:
        self._stale = True
        try:
            result = self.link.send(command.name, command.args, check=False)
        except CommandFailedError as error:  # no ack, or an outcome that cannot be known
            self.sent.append((command.name, error.seq, "NO_ACK"))
            return McuResult(False, "NO_ACK", 0.0, str(error))
        except LinkError as error:
            return McuResult(False, "LINK_ERROR", 0.0, str(error))
        status = AckStatus(result.status).name if isinstance(result.status, AckStatus) else ""
        status = status or str(result.status)
        self.sent.append((command.name, result.seq, status))
        detail = (
            f"{status} by the robot (seq {result.seq}, {result.attempts} transmission(s), "
            f"{result.round_trip_s * 1000:.1f} ms)"
        )
        # The round trip has already passed in real time; a drive holds for its duration.
        duration_s = 0.0
        if command.name == "DRIVE" and result.succeeded:
            duration_s = int(command.args["duration_ms"]) / 1000.0
        return McuResult(result.succeeded, status, duration_s, detail)

    def stop(self, now_s: float) -> None:
        # If the link is down, the MCU's own watchdog stops the wheels when commands stop.
        with contextlib.suppress(CommandFailedError, LinkError):
            self.link.send("STOP", {}, check=False)


def unsupported_steps(sequence: SequenceFile) -> list[str]:
    """``FILE:LINE: keyword`` of every step (contingencies included) an MCU link cannot run."""
    found: list[str] = []
    for step in _all_steps(sequence):
        if not isinstance(step.command, _MCU_STEPS):
            found.append(
                f"{sequence.source}:{step.line}: {step.keyword}: needs the autonomy stack on "
                "the robot (an MCU link runs MCU commands, waits, ifs, repeats and safe_mode)"
            )
    return found


def _all_steps(sequence: SequenceFile) -> Iterator[Step]:
    yield from _walk(sequence.steps)
    for contingency in sequence.contingencies:
        yield from _walk(contingency.body)


def _walk(steps: Sequence[Step]) -> Iterator[Step]:
    for step in steps:
        yield step
        command: Command = step.command
        if isinstance(command, If):
            yield from _walk(command.then)
            yield from _walk(command.otherwise)
        elif isinstance(command, Repeat):
            yield from _walk(command.body)


__all__ = ["LinkedRobot", "unsupported_steps"]
