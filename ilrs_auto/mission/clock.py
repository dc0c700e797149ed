"""The mission clock: the only source of time in mission logic, so every run replays exactly.

A simulated clock moves only when told to; a real clock follows the monotonic system clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class MissionClock(Protocol):
    @property
    def now_s(self) -> float: ...

    @property
    def deterministic(self) -> bool:
        """True when results may be awaited at fixed mission times (simulation)."""
        ...


class StepClock(MissionClock, Protocol):
    """A mission clock that a sequence executor moves on by each step's duration."""

    def advance(self, dt_s: float) -> float: ...


class SimClock:
    def __init__(self, start_s: float = 0.0) -> None:
        self._now_s = float(start_s)

    @property
    def now_s(self) -> float:
        return self._now_s

    @property
    def deterministic(self) -> bool:
        return True

    def advance(self, dt_s: float) -> float:
        if not dt_s > 0.0:
            raise ValueError(f"dt_s must be > 0, got {dt_s}")
        self._now_s += dt_s
        return self._now_s

    def set_now_s(self, now_s: float) -> None:
        """Sets the time exactly (a restored checkpoint's, a replayed log's)."""
        self._now_s = float(now_s)


class RealClock:
    """Seconds since construction, from the monotonic clock (for runs on hardware)."""

    def __init__(self) -> None:
        self._t0 = time.monotonic()

    @property
    def now_s(self) -> float:
        return time.monotonic() - self._t0

    def set_now_s(self, now_s: float) -> None:
        """Mission time goes on from ``now_s`` (a restored checkpoint's): the time the robot
        spent powered off is not counted."""
        self._t0 = time.monotonic() - float(now_s)

    @property
    def deterministic(self) -> bool:
        return False


class PacedClock:
    """Real time that can also be waited on: :meth:`advance` sleeps until ``dt_s`` after the
    current time (for sequence steps run on hardware, where a step's duration really passes).
    Time spent elsewhere (a command's round trip) counts too, as it does on the robot."""

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._t0 = time.monotonic()
        self._sleep = sleep

    @property
    def now_s(self) -> float:
        return time.monotonic() - self._t0

    @property
    def deterministic(self) -> bool:
        return False

    def advance(self, dt_s: float) -> float:
        if not dt_s > 0.0:
            raise ValueError(f"dt_s must be > 0, got {dt_s}")
        target = self.now_s + dt_s
        while (left := target - self.now_s) > 0.0:
            self._sleep(left)
        return self.now_s
