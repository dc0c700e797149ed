"""3D lava tube benchmark: ilrs_auto's tube planner against OMPL's RRTConnect with path
simplification, on the same voxel map and the same validity rule.

    pip install '.[bench]'
    python benchmarks/bench_tube.py
    python benchmarks/bench_tube.py --repeat 5 --clearance 1.0

Workload (issue 4): a generated 500 m lava tube (ilrs_auto.sim.lava_tube, a knot every 6 m,
radius drawn in 3-8 m) voxelised at 0.25 m as known free inside and occupied rock outside
(2000 x 68 x 68 voxels). A voxel is enterable when free and its distance field (to occupied
or unknown voxels) is at least clearance + sqrt(3) x 0.25 m, so a body of radius --clearance
clears the rock wherever it is in that voxel. Two pairs of ends, each 498 m apart along the
tube: ``axis`` (on the axis, where a straight line is clear) and ``floor`` (the lowest
enterable voxel below the axis, so the path has to climb over every narrowing).

- ours: TubePlanner (optimal 26-connected A*, then line-of-sight shortcutting); the time is
  the whole call, including building the search grid from the map.
- OMPL: RRTConnect in the grid's bounding box (R^3), then SimpleSetup.simplifySolution()
  (OMPL's full simplifier: shortcutting, B-spline smoothing, vertex reduction). Its state
  validity is the same enterable test, one numpy lookup per state, with motions checked every
  half voxel. The time is its planning time plus its simplification time. RRTConnect is
  randomised: the repeats draw from one seeded stream, and the median time and length are
  printed (with their ranges).

Both sides start and end at the same voxel centres and receive the distance field already
computed (it is part of the map). Each planner runs in its own process so its peak memory
(growth of the maximum resident set while it plans) is its own. Ratios are measured in this
one run on this machine: OMPL time / our time, and our length / OMPL's length.
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing as mp
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ilrs_auto.perception.voxels import VoxelGrid, VoxelMap
from ilrs_auto.planning.tube import TubePlanner
from ilrs_auto.sim.lava_tube import LavaTube

RESOLUTION_M = 0.25
LENGTH_M = 500.0


@dataclass
class Workload:
    voxel_map: VoxelMap
    enterable: npt.NDArray[np.bool_]
    start_m: npt.NDArray[np.float64]
    goal_m: npt.NDArray[np.float64]


@dataclass
class Result:
    planner: str
    length_m: float
    seconds: float
    expansions: int | None
    blocked_voxels: int  # non-enterable voxels the returned path crosses
    peak_mb: float = 0.0
    lengths_m: list[float] = field(default_factory=list)
    extra: str = ""


def make_workload(ends: str, clearance_m: float, seed: int) -> Workload:
    tube = LavaTube.generate(seed, length_m=LENGTH_M, min_radius_m=3.0, max_radius_m=8.0)
    r = 8.0 + 2 * RESOLUTION_M
    grid = VoxelGrid.covering((0.0, -r, -r), (LENGTH_M, r, r), RESOLUTION_M)
    voxel_map = VoxelMap(grid)
    occ = voxel_map.occupancy
    voxel_map.set_log_odds(np.where(tube.voxelise(grid), occ.max_log_odds, occ.min_log_odds))
    planner = TubePlanner(clearance_m)
    distance = voxel_map.distance_field_m(unknown_is_obstacle=True)
    enterable = voxel_map.free_mask & (distance >= np.float32(planner.required_field_m(voxel_map)))

    def end(x_m: float) -> npt.NDArray[np.float64]:
        _, row, col = grid.voxel_of([(x_m, 0.0, 0.0)])[0]
        if ends == "axis":
            layer = grid.voxel_of([(x_m, 0.0, 0.0)])[0][0]
        else:
            layer = int(np.argmax(enterable[:, row, col]))
        centre: npt.NDArray[np.float64] = grid.centers_m([(layer, row, col)])[0]
        return centre

    return Workload(voxel_map, enterable, end(1.0), end(LENGTH_M - 1.0))


def blocked_voxels(work: Workload, waypoints_m: npt.NDArray[np.float64]) -> int:
    """Non-enterable voxels crossed by the polyline (exact voxel traversal of each segment)."""
    blocked = 0
    for a, b in itertools.pairwise(waypoints_m):
        voxels, _ = work.voxel_map.grid.voxels_on_segment(a, b)
        blocked += int((~work.enterable[voxels[:, 0], voxels[:, 1], voxels[:, 2]]).sum())
    return blocked


def run_ours(work: Workload, clearance_m: float, repeat: int) -> Result:
    planner = TubePlanner(clearance_m)
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        plan = planner.plan(work.voxel_map, work.start_m, work.goal_m)
        best = min(best, time.perf_counter() - t0)
    return Result(
        "ilrs_auto TubePlanner (A* + shortcut)",
        plan.length_m,
        best,
        plan.expansions,
        blocked_voxels(work, plan.waypoints_m),
        lengths_m=[plan.length_m],
        extra=f"{len(plan.waypoints_m)} waypoints, lattice path {plan.lattice_length_m:.2f} m",
    )


def run_ompl(work: Workload, clearance_m: float, repeat: int) -> Result:
    from ompl import base as ob  # type: ignore[import-untyped]
    from ompl import geometric as og
    from ompl import util as ou

    ou.setLogLevel(ou.LogLevel.LOG_WARN)
    grid = work.voxel_map.grid
    enterable = work.enterable
    ox, oy, oz = grid.origin_m
    inv = 1.0 / grid.resolution_m
    layers, rows, cols = grid.shape

    def valid(state: object) -> bool:
        s = state  # RealVectorStateType: s[0..2] are x, y, z
        c = math.floor((s[0] - ox) * inv)  # type: ignore[index]
        r = math.floor((s[1] - oy) * inv)  # type: ignore[index]
        lay = math.floor((s[2] - oz) * inv)  # type: ignore[index]
        if not (0 <= c < cols and 0 <= r < rows and 0 <= lay < layers):
            return False
        return bool(enterable[lay, r, c])

    seconds: list[float] = []
    lengths: list[float] = []
    blocked: list[int] = []
    ou.RNG.setSeed(1)  # once, before any sampling; each repeat continues the stream
    for _ in range(repeat):
        space = ob.RealVectorStateSpace(3)
        bounds = ob.RealVectorBounds(3)
        for axis, (lo, hi) in enumerate(zip(grid.origin_m, grid.max_corner_m, strict=True)):
            bounds.setLow(axis, lo)
            bounds.setHigh(axis, hi)
        space.setBounds(bounds)
        setup = og.SimpleSetup(space)
        setup.setStateValidityChecker(valid)
        info = setup.getSpaceInformation()
        info.setStateValidityCheckingResolution(0.5 * grid.resolution_m / space.getMaximumExtent())
        start, goal = space.allocState(), space.allocState()
        for axis in range(3):
            start[axis] = float(work.start_m[axis])
            goal[axis] = float(work.goal_m[axis])
        setup.setStartAndGoalStates(start, goal)
        setup.setPlanner(og.RRTConnect(info))
        status = setup.solve(120.0)
        if not setup.haveExactSolutionPath():
            raise RuntimeError(f"RRTConnect found no exact solution in 120 s ({status})")
        setup.simplifySolution()
        seconds.append(setup.getLastPlanComputationTime() + setup.getLastSimplificationTime())
        path = setup.getSolutionPath()
        points = np.array(
            [[path.getState(i)[k] for k in range(3)] for i in range(path.getStateCount())]
        )
        lengths.append(float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()))
        blocked.append(blocked_voxels(work, points))
    return Result(
        "OMPL RRTConnect + simplifySolution",
        statistics.median(lengths),
        statistics.median(seconds),
        None,
        max(blocked),
        lengths_m=lengths,
        extra=(
            f"median of {repeat} runs; length {min(lengths):.2f}-{max(lengths):.2f} m, "
            f"time {min(seconds):.3f}-{max(seconds):.3f} s"
        ),
    )


RUNNERS = {"ours": run_ours, "ompl": run_ompl}


def _status_kb(name: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {name}")


def _child(
    queue: mp.Queue,  # type: ignore[type-arg]
    name: str,
    ends: str,
    clearance_m: float,
    seed: int,
    repeat: int,
) -> None:
    work = make_workload(ends, clearance_m, seed)
    # Linux: writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one,
    # so the peak after planning less the resident set now is what the planner added.
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")
    before = _status_kb("VmRSS")
    try:
        result = RUNNERS[name](work, clearance_m, repeat)
        result.peak_mb = max(0, _status_kb("VmHWM") - before) / 1024
        queue.put(result)
    except Exception as error:  # reported, not raised: a missing peer must not end the run
        queue.put(f"{name}: {type(error).__name__}: {error}")


def measure(name: str, ends: str, clearance_m: float, seed: int, repeat: int) -> Result | str:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, name, ends, clearance_m, seed, repeat))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--clearance", type=float, default=1.0, help="body radius, metres")
    parser.add_argument("--seed", type=int, default=4, help="lava tube seed")
    parser.add_argument("--ends", nargs="+", default=["axis", "floor"], choices=["axis", "floor"])
    args = parser.parse_args()

    print(
        f"{'ends':<6} {'planner':<38} {'length m':>9} {'time s':>8} {'Mexp/s':>7} "
        f"{'peak MB':>8} {'blocked':>7} {'ratio':>14}  note"
    )
    failed = False
    for ends in args.ends:
        ours = measure("ours", ends, args.clearance, args.seed, args.repeat)
        ompl = measure("ompl", ends, args.clearance, args.seed, args.repeat)
        for result in (ours, ompl):
            if isinstance(result, str):
                print(f"{ends:<6} {result}")
                failed = True
        if isinstance(ours, str) or isinstance(ompl, str):
            continue
        for result in (ours, ompl):
            rate = (
                f"{result.expansions / result.seconds / 1e6:7.2f}"
                if result.expansions
                else f"{'':>7}"
            )
            ratio = (
                f"t {ompl.seconds / ours.seconds:5.1f}x L {ours.length_m / ompl.length_m:.3f}"
                if result is ompl
                else ""
            )
            print(
                f"{ends:<6} {result.planner:<38} {result.length_m:9.2f} {result.seconds:8.3f} "
                f"{rate} {result.peak_mb:8.1f} {result.blocked_voxels:7d} {ratio:>14}  "
                f"{result.extra}"
            )
        shorter = ours.length_m <= min(ompl.lengths_m) + 1e-9
        faster = ours.seconds <= ompl.seconds
        print(
            f"{'':<6} ours no longer than every OMPL path: {shorter}; "
            f"ours no slower than OMPL's median: {faster}"
        )
    print(
        "\nratio: t = OMPL time / our time, L = our length / OMPL median length; blocked = "
        "non-enterable voxels the path crosses (OMPL checks motions every half voxel)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
