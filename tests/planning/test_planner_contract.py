"""The contract every grid planner meets (A*, the bidirectional search on one or two threads,
and D* Lite alike): the exact optimum against an independent Dijkstra, valid paths, every
failure typed with its cell, cancel and deadline, and the GIL released while it searches."""

from __future__ import annotations

import heapq
import itertools
import math
import sys
import threading
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.geometry import Cell
from ilrs_auto.planning import (
    CancelToken,
    DStarLite,
    GoalOccupied,
    GoalOutsideMap,
    GridAStar,
    GridBidirectional,
    NoPathFound,
    PlanCancelled,
    PlannerTimedOut,
    PlanningError,
    PlanRequest,
    StartOccupied,
    StartOutsideMap,
    make_planner,
    planner_names,
)
from ilrs_auto.planning.base import CostModel

SQRT2 = math.sqrt(2.0)
# GridAStar's default search is bidirectional for the entered-cell model and A* otherwise;
# the variants run each search under every model, the bidirectional one on one thread and on
# two.
MakePlanner = Callable[..., GridAStar | DStarLite]  # GridBidirectional is a GridAStar
PLANNERS: dict[str, MakePlanner] = {
    "grid_astar": GridAStar,
    "grid_astar-a_star": partial(GridAStar, search="a_star"),
    "grid_bidirectional": GridBidirectional,
    "grid_bidirectional-2_threads": partial(GridBidirectional, threads=2),
    "d_star_lite": DStarLite,
}
planners = pytest.mark.parametrize("make", list(PLANNERS.values()), ids=list(PLANNERS))


def move_cost(costmap: np.ndarray, frm: tuple[int, int], to: tuple[int, int], model: str) -> float:
    """The cost of one move under each model, as documented."""
    diagonal = frm[0] != to[0] and frm[1] != to[1]
    length = SQRT2 if diagonal else 1.0
    if model == "geometric":
        return length * float(costmap[to])
    if model == "entered_cell":
        return float(costmap[to])
    return length * (float(costmap[frm]) + float(costmap[to])) / 2  # midpoint


def dijkstra(
    costmap: np.ndarray, start: Cell, goal: Cell, model: str, corner_cutting: bool = False
) -> float:
    """Textbook Dijkstra over the same move rules, written without the planner's code."""
    rows, cols = costmap.shape

    def free(r: int, c: int) -> bool:
        return 0 <= r < rows and 0 <= c < cols and math.isfinite(costmap[r, c])

    best = {start: 0.0}
    queue = [(0.0, start)]
    while queue:
        d, (r, c) = heapq.heappop(queue)
        if (r, c) == goal:
            return d
        if d > best[(r, c)]:
            continue
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                nr, nc = r + dr, c + dc
                if (dr, dc) == (0, 0) or not free(nr, nc):
                    continue
                diagonal = dr != 0 and dc != 0
                if diagonal and not corner_cutting and not (free(r + dr, c) and free(r, c + dc)):
                    continue
                step = move_cost(costmap, (r, c), (nr, nc), model)
                if d + step < best.get((nr, nc), math.inf):
                    best[(nr, nc)] = d + step
                    heapq.heappush(queue, (d + step, Cell(nr, nc)))
    return math.inf


def path_cost(costmap: np.ndarray, cells: np.ndarray, model: str) -> float:
    return sum(move_cost(costmap, tuple(a), tuple(b), model) for a, b in itertools.pairwise(cells))


@st.composite
def random_maps(draw: st.DrawFn) -> tuple[np.ndarray, Cell, Cell]:
    rows = draw(st.integers(2, 24))
    cols = draw(st.integers(2, 24))
    seed = draw(st.integers(0, 2**32 - 1))
    obstacle_fraction = draw(st.sampled_from([0.0, 0.1, 0.25, 0.4]))
    rng = np.random.default_rng(seed)
    costmap = rng.uniform(1.0, 10.0, (rows, cols)).astype(np.float32)
    costmap[rng.random((rows, cols)) < obstacle_fraction] = np.inf
    start = Cell(draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1)))
    goal = Cell(draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1)))
    costmap[start] = rng.uniform(1.0, 10.0)
    costmap[goal] = rng.uniform(1.0, 10.0)
    return costmap, start, goal


@settings(max_examples=300, deadline=None)
@given(
    random_maps(),
    st.sampled_from(["geometric", "entered_cell", "midpoint"]),
    st.booleans(),
    st.sampled_from(list(PLANNERS.values())),
)
def test_cost_is_the_exact_optimum(
    case: tuple[np.ndarray, Cell, Cell], model: str, corner_cutting: bool, make: MakePlanner
) -> None:
    costmap, start, goal = case
    expected = dijkstra(costmap, start, goal, model, corner_cutting)
    planner = make(cost_model=model, allow_corner_cutting=corner_cutting)
    if math.isinf(expected):
        with pytest.raises(NoPathFound):
            planner.plan(PlanRequest(costmap, start, goal))
        return
    plan = planner.plan(PlanRequest(costmap, start, goal))
    assert plan.cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
    # The path is real: starts and ends right, legal moves, free cells, and costs what it says.
    cells = plan.cells
    assert tuple(cells[0]) == start and tuple(cells[-1]) == goal
    steps = np.abs(np.diff(cells, axis=0))
    assert steps.max(initial=0) <= 1 and (steps.sum(axis=1) > 0).all()
    assert np.isfinite(costmap[cells[:, 0], cells[:, 1]]).all()
    for (r0, c0), (r1, c1) in itertools.pairwise(cells):
        if r0 != r1 and c0 != c1 and not corner_cutting:
            assert math.isfinite(costmap[r0, c1]) and math.isfinite(costmap[r1, c0])
    assert path_cost(costmap, cells, model) == pytest.approx(plan.cost, rel=1e-9, abs=1e-9)


@planners
def test_unknown_cells_cost_what_the_planner_is_told(make: MakePlanner) -> None:
    costmap = np.ones((3, 5), np.float32)
    costmap[:, 2] = np.nan
    with pytest.raises(NoPathFound):
        make().plan(PlanRequest(costmap, Cell(1, 0), Cell(1, 4)))
    plan = make(unknown_cost=7.0).plan(PlanRequest(costmap, Cell(1, 0), Cell(1, 4)))
    assert plan.cost == pytest.approx(1 + 7 + 1 + 1)


FAILURES = [
    (Cell(-1, 0), Cell(4, 4), StartOutsideMap, (-1, 0)),
    (Cell(0, 0), Cell(4, 9), GoalOutsideMap, (4, 9)),
    (Cell(2, 2), Cell(4, 4), StartOccupied, (2, 2)),
    (Cell(0, 0), Cell(2, 2), GoalOccupied, (2, 2)),
]


@planners
@pytest.mark.parametrize(("start", "goal", "error", "cell"), FAILURES)
def test_each_failure_has_its_type_and_cell(
    make: MakePlanner, start: Cell, goal: Cell, error: type[Exception], cell: tuple[int, int]
) -> None:
    costmap = np.ones((5, 5), np.float32)
    costmap[2, 2] = np.inf
    with pytest.raises(error) as info:
        make().plan(PlanRequest(costmap, start, goal))
    assert isinstance(info.value, PlanningError)
    assert info.value.cell == cell
    assert f"row {cell[0]}, col {cell[1]}" in str(info.value)


@planners
def test_no_path_names_start_and_goal(make: MakePlanner) -> None:
    costmap = np.ones((5, 5), np.float32)
    costmap[2, :] = np.inf
    with pytest.raises(NoPathFound, match=r"no path from \(row 0, col 0\) to \(row 4, col 4\)"):
        make().plan(PlanRequest(costmap, Cell(0, 0), Cell(4, 4)))


@planners
def test_cancel_and_deadline_stop_the_search(make: MakePlanner) -> None:
    costmap = np.ones((400, 400), np.float32)
    token = CancelToken()
    token.cancel()
    with pytest.raises(PlanCancelled):
        make().plan(PlanRequest(costmap, Cell(0, 0), Cell(399, 399), cancel=token))
    token.reset()
    assert make().plan(PlanRequest(costmap, Cell(0, 0), Cell(399, 399), cancel=token))
    with pytest.raises(PlannerTimedOut, match="deadline"):
        make().plan(PlanRequest(costmap, Cell(0, 0), Cell(399, 399), timeout_s=1e-9))


def test_cancel_from_another_thread_ends_a_long_search() -> None:
    # A search of several seconds (A* on an open plateau, entered-cell model, a long detour);
    # the main thread cancels it once the worker is inside the planner.
    costmap = np.ones((3000, 3000), np.float32)
    costmap[1:, 1500] = np.inf
    token = CancelToken()
    outcome: list[BaseException] = []
    started = threading.Event()

    def search() -> None:
        started.set()
        try:
            GridAStar("entered_cell", search="a_star").plan(
                PlanRequest(costmap, Cell(2999, 0), Cell(2999, 2999), cancel=token)
            )
        except PlanningError as error:
            outcome.append(error)

    worker = threading.Thread(target=search)
    worker.start()
    started.wait()
    time.sleep(0.05)  # let it get into the search (the cancel is honoured either way)
    token.cancel()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], PlanCancelled)


def test_the_gil_is_released_while_planning() -> None:
    # With a very long switch interval, the main thread keeps the GIL unless it releases it
    # itself, so the counting thread can only run while the planner has let go of it.
    costmap = np.ones((1500, 1500), np.float32)
    costmap[1:, 750] = np.inf
    ticks = 0
    done = threading.Event()

    def count() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)  # releases the GIL between counts

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        counter = threading.Thread(target=count)
        counter.start()
        before = ticks
        GridAStar("entered_cell").plan(PlanRequest(costmap, Cell(1499, 0), Cell(1499, 1499)))
        during = ticks - before
        done.set()
        counter.join()
    finally:
        sys.setswitchinterval(interval)
    assert during > 0


@planners
def test_rejects_bad_costmaps(make: MakePlanner) -> None:
    with pytest.raises(ValueError, match="below the smallest cell cost"):
        make().plan(PlanRequest(np.zeros((3, 3), np.float32), Cell(0, 0), Cell(2, 2)))
    with pytest.raises(ValueError, match="float32"):
        make().plan(PlanRequest(np.ones((3, 3)), Cell(0, 0), Cell(2, 2)))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2D"):
        make().plan(PlanRequest(np.ones(9, np.float32), Cell(0, 0), Cell(2, 2)))
    with pytest.raises(ValueError, match="cost_model"):
        make("manhattan")


def test_grid_search_options_are_checked() -> None:
    with pytest.raises(ValueError, match="search must be"):
        GridAStar(search="dfs")  # type: ignore[arg-type]
    for threads in (0, 3, True):
        with pytest.raises(ValueError, match="threads must be 1 or 2"):
            GridAStar(threads=threads)
    for search, model in (("a_star", "entered_cell"), ("auto", "geometric")):
        with pytest.raises(ValueError, match="threads=2 needs the bidirectional search"):
            GridAStar(model, search=search, threads=2)  # type: ignore[arg-type]


@pytest.mark.parametrize("model", ["geometric", "entered_cell", "midpoint"])
def test_bidirectional_search_scans_fewer_cells_than_a_star_for_the_same_optimum(
    model: CostModel,
) -> None:
    # Costs well above the smallest one make A*'s heuristic weak: it scans nearly every cell.
    rng = np.random.default_rng(3)
    costmap = rng.uniform(4.0, 6.0, (300, 300)).astype(np.float32)
    costmap[rng.random((300, 300)) < 0.2] = np.inf
    costmap[0, 0] = costmap[-1, -1] = 1.0
    request = PlanRequest(costmap, Cell(0, 0), Cell(299, 299))
    a_star = GridAStar(model, search="a_star").plan(request)
    for threads in (1, 2):
        both_ends = GridAStar(model, search="bidirectional", threads=threads).plan(request)
        assert both_ends.cost == pytest.approx(a_star.cost, rel=1e-12)
        assert both_ends.expansions < 0.8 * a_star.expansions


def test_planners_are_chosen_by_name() -> None:
    assert {"grid_astar", "grid_bidirectional", "d_star_lite"} <= set(planner_names())
    assert isinstance(make_planner("grid_astar"), GridAStar)
    chosen = make_planner("grid_bidirectional")
    assert isinstance(chosen, GridBidirectional) and chosen.search == "bidirectional"
    assert isinstance(make_planner("d_star_lite"), DStarLite)
    with pytest.raises(ValueError, match="unknown planner 'rrt'"):
        make_planner("rrt")
