"""A simple rover wheel-and-power model behind the Python reference endpoint.

:class:`RoverMcuModel` is a :class:`~firmware_bridge.link.CommandHandler`: it carries out the
rover_mcu commands (PROTOCOL.md 2.1) on a small model - wheels that follow their commanded
speed with a first-order lag, switched power rails, a battery whose voltage sags with load and
state of charge - and reports its housekeeping points. It stands in for the board in tests, the
benchmark and ``ilrs-auto bridge`` demos; the C reference firmware runs its own model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from firmware_bridge.dictionary import AckStatus, CommandDef, Value
from firmware_bridge.link import EventSpec, ExecResult, TickResult

WHEEL_TIME_CONSTANT_S = 0.2
"""Wheel speed lag behind the command, s."""
BATTERY_CAPACITY_AH = 20.0
BATTERY_V_EMPTY = 24.0
BATTERY_V_FULL = 29.4
BUS_RESISTANCE_OHM = 0.05
BASE_CURRENT_A = 0.4
RAIL_CURRENT_A = (0.8, 1.5, 0.6, 0.5)  # PAYLOAD, HEATER, RADIO, CAMERA
WHEEL_CURRENT_A_PER_MPS = 6.0
BROWNOUT_V = 22.0
RADIO_RAIL = 2
SAFE_DRIVE_REFUSED = 1
BATTERY_LOW_REFUSED = 2
CLEAR_SAFE_MIN_V = 24.0


class RoverMcuModel:
    """The rover MCU's wheels and power (a :class:`CommandHandler`). Times in ms of uptime."""

    def __init__(self, *, battery_soc_pct: float = 90.0, hk_period_ms: int = 1000) -> None:
        self.mode = 0  # IDLE
        self.target = (0.0, 0.0)  # m/s
        self.wheels = [0.0, 0.0]  # m/s
        self.drive_end_ms: int | None = None
        self.odometer_m = 0.0
        self.rails = 1 << RADIO_RAIL
        self.battery_soc_pct = battery_soc_pct
        self.board_temp_c = 20.0
        self.hk_period_ms = hk_period_ms
        self._last_ms: int | None = None
        self._next_hk_ms = 0
        self.executed: list[tuple[str, dict[str, Value]]] = []
        """Every command carried out, in order (for tests: nothing else ever gets here)."""

    # -- CommandHandler --------------------------------------------------------------------

    def execute(self, command: CommandDef, args: Mapping[str, Value], now_ms: int) -> ExecResult:
        self._advance(now_ms)
        self.executed.append((command.name, dict(args)))
        name = command.name
        if name == "DRIVE":
            return self._drive(args, now_ms)
        if name == "STOP":
            return ExecResult(events=self._stop(early=True))
        if name == "CLEAR_SAFE":
            if self.mode == 2 and self.battery_v < CLEAR_SAFE_MIN_V:
                return ExecResult(AckStatus.EXECUTION_FAILED, BATTERY_LOW_REFUSED)
            if self.mode == 2:
                self.mode = 0
            return ExecResult()
        if name == "SET_POWER":
            rail, on = int(args["rail"]), bool(args["on"])
            before = self.rails
            self.rails = (self.rails | 1 << rail) if on else (self.rails & ~(1 << rail))
            changed = before != self.rails
            return ExecResult(
                events=(("RAIL_SWITCHED", {"rail": rail, "on": on}),) if changed else ()
            )
        if name == "REQUEST_HOUSEKEEPING":
            return ExecResult(send_housekeeping=True)
        if name == "SET_HK_PERIOD":
            self.hk_period_ms = int(args["period_ms"])
            self._next_hk_ms = now_ms + self.hk_period_ms
            return ExecResult()
        return ExecResult()  # NOOP

    def _drive(self, args: Mapping[str, Value], now_ms: int) -> ExecResult:
        if self.mode == 2:
            return ExecResult(AckStatus.EXECUTION_FAILED, SAFE_DRIVE_REFUSED)
        events = self._stop(early=True)
        duration = int(args["duration_ms"])
        if duration == 0:
            return ExecResult(events=events)
        self.target = (float(args["left_mps"]), float(args["right_mps"]))
        self.drive_end_ms = now_ms + duration
        self.mode = 1
        return ExecResult(AckStatus.ACCEPTED, events=events)

    def _stop(self, *, early: bool) -> tuple[EventSpec, ...]:
        was_driving = self.drive_end_ms is not None
        self.target = (0.0, 0.0)
        self.drive_end_ms = None
        if self.mode == 1:
            self.mode = 0
        if not was_driving:
            return ()
        return (("DRIVE_DONE", {"odometer_m": self.odometer_m, "stopped_early": early}),)

    def tick(self, now_ms: int) -> TickResult:
        events = list(self._advance(now_ms))
        due = now_ms >= self._next_hk_ms
        if due:
            self._next_hk_ms = now_ms + self.hk_period_ms
        return TickResult(tuple(events), due)

    def housekeeping(self, now_ms: int) -> Mapping[str, Value]:
        return {
            "mode": self.mode,
            "battery_v": self.battery_v,
            "battery_soc_pct": self.battery_soc_pct,
            "bus_current_a": self.bus_current_a,
            "left_wheel_mps": self.wheels[0],
            "right_wheel_mps": self.wheels[1],
            "odometer_m": self.odometer_m,
            "board_temp_c": self.board_temp_c,
            "rails": self.rails,
            "hk_period_ms": self.hk_period_ms,
        }

    # -- model -----------------------------------------------------------------------------

    @property
    def bus_current_a(self) -> float:
        rails = sum(a for bit, a in enumerate(RAIL_CURRENT_A) if self.rails >> bit & 1)
        wheels = WHEEL_CURRENT_A_PER_MPS * (abs(self.wheels[0]) + abs(self.wheels[1]))
        return BASE_CURRENT_A + rails + wheels

    @property
    def battery_v(self) -> float:
        soc = min(max(self.battery_soc_pct, 0.0), 100.0) / 100.0
        open_circuit = BATTERY_V_EMPTY + (BATTERY_V_FULL - BATTERY_V_EMPTY) * soc
        if soc < 0.1:
            open_circuit -= (0.1 - soc) * 40.0  # the knee of an empty battery
        return open_circuit - BUS_RESISTANCE_OHM * self.bus_current_a

    def _advance(self, now_ms: int) -> tuple[EventSpec, ...]:
        events: list[EventSpec] = []
        last = self._last_ms if self._last_ms is not None else now_ms
        self._last_ms = now_ms
        if self.drive_end_ms is not None and now_ms >= self.drive_end_ms:
            events.extend(self._stop(early=False))
        dt_s = max(0, now_ms - last) / 1000.0
        if dt_s > 0:
            blend = 1.0 - math.exp(-dt_s / WHEEL_TIME_CONSTANT_S)
            for i in (0, 1):
                self.wheels[i] += (self.target[i] - self.wheels[i]) * blend
            self.odometer_m += abs(self.wheels[0] + self.wheels[1]) / 2.0 * dt_s
            used_ah = self.bus_current_a * dt_s / 3600.0
            self.battery_soc_pct = max(
                0.0, self.battery_soc_pct - 100.0 * used_ah / BATTERY_CAPACITY_AH
            )
        if self.mode != 2 and self.battery_v < BROWNOUT_V:
            volts = self.battery_v
            events.extend(self._stop(early=True))
            self.rails = 1 << RADIO_RAIL
            self.mode = 2
            events.append(("BROWNOUT", {"battery_v": volts}))
        return tuple(events)
