"""A rover with a simple kinematic model: a skid-steer unicycle that follows a path.

It drives at ``speed_mps`` towards a look-ahead point on its path, turning at most
``yaw_rate_dps``; when the point is more than ``turn_in_place_deg`` off its heading it stops and
turns on the spot. Time only moves when :meth:`step` is called with the mission clock's tick.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

PathXY = npt.NDArray[np.float64]


@dataclass
class RoverState:
    x_m: float
    y_m: float
    heading_rad: float
    odometer_m: float = 0.0


@dataclass
class SimRover:
    state: RoverState
    speed_mps: float
    yaw_rate_dps: float
    # Small, so the rover drives the planned corners instead of cutting inside them: plans
    # hug lethal cells at their corners, and a 1.5 m look-ahead cut up to a metre into them.
    lookahead_m: float = 0.4
    turn_in_place_deg: float = 35.0
    _path: PathXY = field(default_factory=lambda: np.empty((0, 2)))
    _index: int = 0

    def follow(self, path_xy_m: PathXY) -> None:
        """Starts following a new path, given as (N, 2) site-frame points."""
        self._path = np.asarray(path_xy_m, np.float64).reshape(-1, 2)
        self._index = 0

    def stop(self) -> None:
        self._path = np.empty((0, 2))
        self._index = 0

    @property
    def moving(self) -> bool:
        return self._index < len(self._path)

    def step(self, dt_s: float) -> None:
        if not self.moving:
            return
        s = self.state
        # Pass every waypoint already within the look-ahead distance.
        while (
            self._index < len(self._path) - 1
            and math.hypot(self._path[self._index, 0] - s.x_m, self._path[self._index, 1] - s.y_m)
            < self.lookahead_m
        ):
            self._index += 1
        tx, ty = self._path[self._index]
        distance = math.hypot(tx - s.x_m, ty - s.y_m)
        if self._index == len(self._path) - 1 and distance < 0.05:
            self._index = len(self._path)  # reached the end of the path
            return
        error = _wrap(math.atan2(ty - s.y_m, tx - s.x_m) - s.heading_rad)
        max_turn = math.radians(self.yaw_rate_dps) * dt_s
        turn = max(-max_turn, min(max_turn, error))
        s.heading_rad = _wrap(s.heading_rad + turn)
        if abs(error) > math.radians(self.turn_in_place_deg):
            return  # turning on the spot
        advance = min(self.speed_mps * dt_s, distance)
        s.x_m += advance * math.cos(s.heading_rad)
        s.y_m += advance * math.sin(s.heading_rad)
        s.odometer_m += advance


def _wrap(angle_rad: float) -> float:
    return (angle_rad + math.pi) % (2 * math.pi) - math.pi


class SimRoverDrive:
    """A SimRover seen through the traverse behaviour's Drive interface (position, follow,
    stop, moving, odometer)."""

    def __init__(self, rover: SimRover) -> None:
        self.rover = rover

    def position_xy(self) -> tuple[float, float]:
        return (self.rover.state.x_m, self.rover.state.y_m)

    def follow(self, path_xy_m: PathXY) -> None:
        self.rover.follow(path_xy_m)

    def stop(self) -> None:
        self.rover.stop()

    @property
    def moving(self) -> bool:
        return self.rover.moving

    @property
    def odometer_m(self) -> float:
        return self.rover.state.odometer_m
