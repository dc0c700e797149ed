"""3D paths through lava tubes and pits on a :class:`~ilrs_auto.perception.voxels.VoxelMap`
(C++ core; the GIL is released while it plans).

A body of radius ``clearance_m`` (the robot's bounding sphere) may enter a voxel when the voxel
is known free and the map's distance field there is at least
``clearance_m + sqrt(3) * resolution_m``: by the distance field's rule
(:meth:`VoxelMap.distance_field_m`) the body then clears every occupied voxel (and, by default,
every unknown one) wherever it is inside that voxel. The planner finds the shortest
26-connected voxel path (optimal A*, each move costing its length; a diagonal never cuts past
the edge or corner of a voxel it may not enter), then shortcuts it: from each waypoint it jumps
to the farthest later voxel of the path whose straight segment touches only enterable voxels.
The waypoints are voxel centres, starting and ending at the centres of the voxels holding
``start_m`` and ``goal_m``, and every segment between them crosses only enterable voxels.

Failures are the planning taxonomy of :mod:`ilrs_auto.planning.errors`; each carries
``.voxel`` = (layer, row, col) besides ``.cell``: ``StartOutsideMap`` / ``GoalOutsideMap``,
``StartOccupied`` / ``GoalOccupied`` (the message says occupied, unknown, or too close to an
obstacle), ``NoPathFound``, ``PlannerTimedOut``, ``PlanCancelled``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.perception.voxels import VoxelMap
from ilrs_auto.planning.base import CancelToken

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class TubePlan:
    waypoints_m: FloatArray  # (M, 3) site-frame voxel centres to fly or drive through, start first
    waypoint_voxels: IntArray  # (M, 3) their voxels (layer, row, col)
    voxels: IntArray  # (N, 3) the optimal 26-connected voxel path the waypoints shortcut
    length_m: float  # of the polyline through the waypoints
    lattice_length_m: float  # of the voxel path (the A* optimum)
    expansions: int
    elapsed_s: float  # search and shortcutting, in the core
    planner: str


def _point(value: npt.ArrayLike, name: str) -> tuple[float, float, float]:
    p = np.asarray(value, dtype=np.float64)
    if p.shape != (3,):
        raise ValueError(f"{name} must have 3 values (x, y, z), got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(f"{name} must be finite, got {p.tolist()}")
    return float(p[0]), float(p[1]), float(p[2])


class TubePlanner:
    """Shortest paths with clearance through a voxel map (see the module docstring).

    ``unknown_is_obstacle`` (default True) measures clearance from unknown voxels too, so the
    path keeps ``clearance_m`` from space that has not been seen; unknown voxels are never
    entered either way.
    """

    name = "tube_astar"

    def __init__(self, clearance_m: float, unknown_is_obstacle: bool = True) -> None:
        if not (math.isfinite(clearance_m) and clearance_m >= 0.0):
            raise ValueError(f"clearance_m must be finite and >= 0, got {clearance_m}")
        self.clearance_m = float(clearance_m)
        self.unknown_is_obstacle = bool(unknown_is_obstacle)

    def required_field_m(self, voxel_map: VoxelMap) -> float:
        """The distance-field value a voxel needs to be entered."""
        return self.clearance_m + math.sqrt(3.0) * voxel_map.grid.resolution_m

    def plan(
        self,
        voxel_map: VoxelMap,
        start_m: npt.ArrayLike,
        goal_m: npt.ArrayLike,
        timeout_s: float = 0.0,
        cancel: CancelToken | None = None,
    ) -> TubePlan:
        """Plans from ``start_m`` to ``goal_m`` (site frame, metres). ``timeout_s`` <= 0: no
        deadline. The map must not change until the plan returns (it is read in place, in
        another thread if this runs as a job)."""
        start, goal = _point(start_m, "start_m"), _point(goal_m, "goal_m")
        if not math.isfinite(timeout_s):
            raise ValueError(f"timeout_s must be finite, got {timeout_s}")
        field = voxel_map.distance_field_m(unknown_is_obstacle=self.unknown_is_obstacle)
        voxels, waypoints, lattice_length_m, length_m, expansions, elapsed_s = (
            _core.plan_voxel_path(
                voxel_map.grid.to_core(),
                voxel_map.free_mask,
                voxel_map.occupied_mask,
                field,
                start,
                goal,
                self.required_field_m(voxel_map),
                timeout_s,
                cancel,
            )
        )
        return TubePlan(
            waypoints_m=voxel_map.grid.centers_m(waypoints),
            waypoint_voxels=waypoints,
            voxels=voxels,
            length_m=float(length_m),
            lattice_length_m=float(lattice_length_m),
            expansions=int(expansions),
            elapsed_s=float(elapsed_s),
            planner=self.name,
        )
