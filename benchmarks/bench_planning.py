"""Grid planning benchmark: our A* and bidirectional search against the planners in use today.

    pip install '.[bench]'
    python benchmarks/bench_planning.py                 # 512, 2048 and 4096 cells square
    python benchmarks/bench_planning.py --sizes 2048 --repeat 5

Workload (issue 4): costs smooth in [1, 10] with 20 % of cells lethal, start and goal in
opposite corners. Each peer is compared on its own cost model, and a ratio is printed only
after both sides report the same optimal cost:

- pyastar2d charges the entered cell's weight for every move, diagonal or not, and lets a
  diagonal cut the corner of a blocked cell: ours in ``entered_cell`` mode with corner cutting,
  three ways: A* (``search="a_star"``), the bidirectional search on one thread (the default
  for this model), and the same on two threads (``threads=2``; pyastar2d has one). The
  machine has two cores, shared: the two-thread row is the one most hurt by other load.
- scikit-image's MCP_Geometric charges length x the mean of the two cells' costs and also cuts
  corners: ours in ``midpoint`` mode with corner cutting.
- SciPy's csgraph.dijkstra runs on a graph built from the map with our default rules
  (``geometric``, no corner cutting); graph construction is timed separately.

Against MCP and SciPy ours runs the same three ways as against pyastar2d.

Then Hybrid-A* with 72 headings against our own 2D A* on a 400 x 400 map of the same kind.

And D* Lite: after a first plan, a 64 x 64 block near the start changes (half its cells
become lethal) and the repaired plan is timed against a fresh A* on the changed map, both
reporting the same optimum (the repair time includes finding the changed cells in Python).

Beside each time: nodes expanded per second and nanoseconds per node, against the machine's
memory latency measured first (a pointer chase at random over 256 MB), so the cost of a node
can be set against one miss to memory.

Each planner runs in its own process so that its peak memory (the growth of the process's
maximum resident set while it plans) is its own. Those processes keep numpy's OpenBLAS and
OpenCV to one thread: their idle worker threads otherwise spin on the same two cores for a
while after the map is made, and slowed every planner here by a quarter to a third. Times
are the best of --repeat runs; ratios are peer time / our time, measured in this one run on
this machine.
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing as mp
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

# Read by OpenBLAS when numpy loads, here and in each planner's (spawned) process.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

SQRT2 = math.sqrt(2.0)


def make_costmap(n: int, seed: int = 0) -> np.ndarray:
    """Smooth costs in [1, 10] (blurred noise), 20 % lethal cells, free 3 x 3 corners."""
    import cv2

    cv2.setNumThreads(1)  # no OpenCV workers left spinning beside the planners
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, n)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), n / 128)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    costs = (1.0 + 9.0 * smooth).astype(np.float32)
    costs[rng.random((n, n)) < 0.2] = np.inf
    costs[:3, :3] = np.minimum(costs[:3, :3], 10.0)  # start and goal are never walled in
    costs[-3:, -3:] = np.minimum(costs[-3:, -3:], 10.0)
    return costs


@dataclass
class Result:
    planner: str
    model: str
    cost: float
    seconds: float
    expansions: int | None
    peak_mb: float
    extra: str = ""


def _path_cost(costs: np.ndarray, path: np.ndarray, model: str) -> float:
    total = 0.0
    for (r0, c0), (r1, c1) in itertools.pairwise(path):
        length = SQRT2 if (r0 != r1 and c0 != c1) else 1.0
        if model == "entered_cell":
            total += float(costs[r1, c1])
        elif model == "midpoint":
            total += length * (float(costs[r0, c0]) + float(costs[r1, c1])) / 2
        else:
            total += length * float(costs[r1, c1])
    return total


def run_ours(
    costs: np.ndarray,
    model: str,
    corners: bool,
    repeat: int,
    search: str = "auto",
    threads: int = 1,
) -> Result:
    from ilrs_auto.geometry import Cell
    from ilrs_auto.planning import GridAStar, PlanRequest

    n = costs.shape[0]
    planner = GridAStar(
        model,  # type: ignore[arg-type]
        allow_corner_cutting=corners,
        search=search,  # type: ignore[arg-type]
        threads=threads,
    )
    request = PlanRequest(costs, Cell(0, 0), Cell(n - 1, n - 1))
    best, plan = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        plan = planner.plan(request)
        best = min(best, time.perf_counter() - t0)
    assert plan is not None
    how = {"a_star": "A*", "bidirectional": "bidir.", "auto": "auto"}[search]
    if threads == 2:
        how += " 2 thr"
    name = f"ilrs {how} ({model}{', corners' if corners else ''})"
    return Result(name, model, plan.cost, best, plan.expansions, 0.0)


def run_pyastar2d(costs: np.ndarray, repeat: int) -> Result:
    import pyastar2d

    n = costs.shape[0]
    best, path = math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        path = pyastar2d.astar_path(costs, (0, 0), (n - 1, n - 1), allow_diagonal=True)
        best = min(best, time.perf_counter() - t0)
    assert path is not None
    return Result(
        "pyastar2d", "entered_cell", _path_cost(costs, path, "entered_cell"), best, None, 0.0
    )


def run_mcp(costs: np.ndarray, repeat: int) -> Result:
    from skimage.graph import MCP_Geometric

    n = costs.shape[0]
    best, cost = math.inf, math.nan
    for _ in range(repeat):
        t0 = time.perf_counter()
        mcp = MCP_Geometric(costs, fully_connected=True)
        cumulative, _ = mcp.find_costs([(0, 0)], [(n - 1, n - 1)])
        path = np.asarray(mcp.traceback((n - 1, n - 1)))
        best = min(best, time.perf_counter() - t0)
        cost = float(cumulative[n - 1, n - 1])
    recomputed = _path_cost(costs, path, "midpoint")
    return Result(
        "skimage MCP_Geometric",
        "midpoint",
        cost,
        best,
        None,
        0.0,
        f"path re-costed {recomputed:.3f}",
    )


def run_scipy(costs: np.ndarray, repeat: int) -> Result:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    n = costs.shape[0]
    t0 = time.perf_counter()
    free = np.isfinite(costs)
    index = np.arange(n * n).reshape(n, n)
    rows, cols, weights = [], [], []
    for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0), (1, 1), (1, -1), (-1, 1), (-1, -1)):
        src = index[max(0, -dr) : n - max(0, dr), max(0, -dc) : n - max(0, dc)]
        dst = index[max(0, dr) : n - max(0, -dr) or n, max(0, dc) : n - max(0, -dc) or n]
        ok = free.ravel()[src] & free.ravel()[dst]
        if dr != 0 and dc != 0:  # no corner cutting, as in our default rules
            ok &= free.ravel()[src + dr * n] & free.ravel()[src + dc]
        length = SQRT2 if (dr != 0 and dc != 0) else 1.0
        rows.append(src[ok])
        cols.append(dst[ok])
        weights.append(length * costs.ravel()[dst[ok]].astype(np.float64))
    graph = csr_matrix(
        (np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n * n, n * n),
    )
    build_s = time.perf_counter() - t0
    best, cost = math.inf, math.nan
    for _ in range(repeat):
        t0 = time.perf_counter()
        dist = dijkstra(graph, indices=0, min_only=True)
        best = min(best, time.perf_counter() - t0)
        cost = float(dist[n * n - 1])
    return Result(
        "scipy csgraph.dijkstra", "geometric", cost, best, None, 0.0, f"graph build {build_s:.2f} s"
    )


RUNNERS: dict[str, Callable[..., Result]] = {
    "ours": run_ours,
    "pyastar2d": run_pyastar2d,
    "mcp": run_mcp,
    "scipy": run_scipy,
}


def run_repair(n: int, repeat: int) -> None:
    from ilrs_auto.geometry import Cell
    from ilrs_auto.planning import DStarLite, GridAStar, PlanRequest

    costs = make_costmap(n)
    start, goal = Cell(0, 0), Cell(n - 1, n - 1)
    changed = costs.copy()
    block = changed[16:80, 16:80]
    block[np.random.default_rng(1).random(block.shape) < 0.5] = np.inf
    best_repair, best_fresh, first_s = math.inf, math.inf, math.inf
    first = repaired = fresh = None
    for _ in range(repeat):
        planner = DStarLite()
        t0 = time.perf_counter()
        first = planner.plan(PlanRequest(costs, start, goal))
        first_s = min(first_s, time.perf_counter() - t0)
        t0 = time.perf_counter()
        repaired = planner.plan(PlanRequest(changed, start, goal))
        best_repair = min(best_repair, time.perf_counter() - t0)
        t0 = time.perf_counter()
        fresh = GridAStar().plan(PlanRequest(changed, start, goal))
        best_fresh = min(best_fresh, time.perf_counter() - t0)
    assert first is not None and repaired is not None and fresh is not None
    same = math.isclose(repaired.cost, fresh.cost, rel_tol=1e-9)
    verdict = (
        f"{best_fresh / best_repair:.1f}x faster, same optimum {fresh.cost:.3f}"
        if same
        else f"optimum differs ({repaired.cost} vs {fresh.cost}): no ratio"
    )
    print(
        f"{n:>6} D* Lite: first plan {first_s:.3f} s ({first.expansions} expansions); repair "
        f"after a 64 x 64 change near the start {best_repair * 1e3:.1f} ms "
        f"({repaired.expansions} expansions) vs fresh A* {best_fresh * 1e3:.1f} ms "
        f"({fresh.expansions}): {verdict}"
    )


def run_hybrid(repeat: int) -> None:
    """Hybrid-A* (72 headings) against our 2D A* on the same 400 x 400 map."""
    from ilrs_auto.geometry import Cell
    from ilrs_auto.planning import GridAStar, PlanRequest
    from ilrs_auto.planning.hybrid_astar import HybridAStar

    n = 400
    costs = make_costmap(n, seed=3)
    best_2d, best_hybrid, hybrid = math.inf, math.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        GridAStar().plan(PlanRequest(costs, Cell(1, 1), Cell(n - 2, n - 2)))
        best_2d = min(best_2d, time.perf_counter() - t0)
        t0 = time.perf_counter()
        hybrid = HybridAStar(headings=72).plan_poses(
            costs, (1.5, 1.5, math.pi / 4), (n - 1.5, n - 1.5, math.pi / 4)
        )
        best_hybrid = min(best_hybrid, time.perf_counter() - t0)
    assert hybrid is not None
    print(
        f"{n:>6} Hybrid-A* (72 headings, turning radius 4 cells): {best_hybrid * 1e3:.1f} ms "
        f"({hybrid.expansions} poses expanded, "
        f"{hybrid.expansions / best_hybrid / 1e6:.2f} M/s) vs our 2D A* {best_2d * 1e3:.1f} ms: "
        f"{best_hybrid / best_2d:.2f}x the 2D time"
    )


def _status_kb(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _child(queue: mp.Queue, name: str, n: int, args: tuple[object, ...]) -> None:  # type: ignore[type-arg]
    costs = make_costmap(n)
    # Linux: writing 5 to clear_refs resets the peak resident set (VmHWM) to the current one,
    # so the peak after planning less the resident set now is what the planner added.
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")
    before = _status_kb("VmRSS")
    try:
        result = RUNNERS[name](costs, *args)
        result.peak_mb = max(0, _status_kb("VmHWM") - before) / 1024
        queue.put(result)
    except Exception as error:  # reported, not raised: one missing peer must not end the run
        queue.put(f"{name}: {type(error).__name__}: {error}")


def measure(name: str, n: int, *args: object) -> Result | str:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(queue, name, n, args))
    process.start()
    outcome = queue.get()
    process.join()
    return outcome  # type: ignore[no-any-return]


def memory_latency_ns(megabytes: int = 256, steps: int = 1_000_000) -> float:
    """Latency of a dependent load at a random place in a large array: a pointer chase over a
    random cycle of `megabytes`, less the same loop over one that fits in L1 (what is left is
    the cache and TLB misses, not the interpreter)."""
    import array

    def chase(cells: int) -> float:
        order = np.random.default_rng(5).permutation(cells)
        following = np.empty(cells, np.int64)
        following[order] = np.roll(order, -1)  # one cycle through every cell
        table = array.array("q")
        table.frombytes(following.tobytes())
        i = int(order[0])
        t0 = time.perf_counter()
        for _ in range(steps):
            i = table[i]
        return (time.perf_counter() - t0) / steps

    return max(0.0, chase(megabytes * 2**20 // 8) - chase(512)) * 1e9


def _print_row(n: int, result: Result, ratio: str) -> None:
    rate, per = f"{'':>7}", f"{'':>6}"
    if result.expansions:
        rate = f"{result.expansions / result.seconds / 1e6:7.2f}"
        per = f"{result.seconds / result.expansions * 1e9:6.1f}"
    print(
        f"{n:>6} {result.planner:<42} {result.model:<13} {result.cost:12.3f} "
        f"{result.seconds:8.3f} {rate} {per} {result.peak_mb:8.1f} {ratio:>9}  {result.extra}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[512, 2048, 4096])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--scipy-max",
        type=int,
        default=2048,
        help="largest map for SciPy (its graph needs ~100 B per edge)",
    )
    args = parser.parse_args()

    print(
        f"memory latency (dependent loads at random over 256 MB): {memory_latency_ns():.0f} ns; "
        "compare ns/exp, the time per node expanded"
    )
    print(
        f"{'map':>6} {'planner':<42} {'model':<13} {'cost':>12} {'time s':>8} "
        f"{'Mexp/s':>7} {'ns/exp':>6} {'peak MB':>8} {'peer/ours':>9}  note"
    )
    for n in args.sizes:
        entered = ("entered_cell", True, args.repeat)
        groups: list[tuple[list[tuple[object, ...]], tuple[object, ...]]] = [
            (
                [
                    ("ours", n, *entered, "a_star", 1),
                    ("ours", n, *entered, "bidirectional", 1),
                    ("ours", n, *entered, "bidirectional", 2),
                ],
                ("pyastar2d", n, args.repeat),
            ),
            (
                [
                    ("ours", n, "midpoint", True, args.repeat, "a_star", 1),
                    ("ours", n, "midpoint", True, args.repeat, "bidirectional", 1),
                    ("ours", n, "midpoint", True, args.repeat, "bidirectional", 2),
                ],
                ("mcp", n, args.repeat),
            ),
        ]
        if n <= args.scipy_max:
            geometric = ("geometric", False, args.repeat)
            groups.append(
                (
                    [
                        ("ours", n, *geometric, "a_star", 1),
                        ("ours", n, *geometric, "bidirectional", 1),
                        ("ours", n, *geometric, "bidirectional", 2),
                    ],
                    ("scipy", n, args.repeat),
                )
            )
        for ours_args, peer_args in groups:
            peer = measure(*peer_args)  # type: ignore[arg-type]
            if isinstance(peer, str):
                print(f"{n:>6} {peer}")
                continue
            _print_row(n, peer, "")
            for variant in ours_args:
                ours = measure(*variant)  # type: ignore[arg-type]
                if isinstance(ours, str):
                    print(f"{n:>6} {ours}")
                    continue
                same = math.isclose(ours.cost, peer.cost, rel_tol=1e-5)
                _print_row(n, ours, f"{peer.seconds / ours.seconds:9.2f}" if same else "  differs")
                if not same:
                    print(
                        f"{'':>6} optimum differs: ours {ours.cost:.6f} vs {peer.planner} "
                        f"{peer.cost:.6f}: no ratio printed"
                    )
    print()
    for n in args.sizes:
        run_repair(n, args.repeat)
    print()
    run_hybrid(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
