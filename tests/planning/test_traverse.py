"""Long-range traverse planning: least energy against an independent Dijkstra, slope limits,
orbital hazards, failures."""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.perception import HazardConfig
from ilrs_auto.planning import GoalOccupied, NoPathFound, StartOutsideMap
from ilrs_auto.planning.traverse import (
    JOULES_PER_WH,
    EnergyModel,
    orbital_hazards,
    plan_traverse,
)


def reference_energy_j(
    z: np.ndarray,
    blocked: np.ndarray,
    res: float,
    start: tuple[int, int],
    goal: tuple[int, int],
    m: EnergyModel,
) -> float:
    rows, cols = z.shape

    def free(r: int, c: int) -> bool:
        return 0 <= r < rows and 0 <= c < cols and not blocked[r, c]

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
                if dr and dc and not (free(r + dr, c) and free(r, c + dc)):
                    continue
                h = math.hypot(dr, dc) * res
                dz = float(z[nr, nc]) - float(z[r, c])
                if math.degrees(math.atan(abs(dz) / h)) > m.max_slope_deg + 1e-9:
                    continue
                e = max(0.0, m.mass_kg * m.gravity_mps2 * (m.rolling_resistance * h + dz))
                e += m.idle_power_w / m.speed_mps * math.hypot(h, dz)
                if d + e < best.get((nr, nc), math.inf):
                    best[(nr, nc)] = d + e
                    heapq.heappush(queue, (d + e, (nr, nc)))
    return math.inf


@settings(max_examples=120, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(2, 18),
    cols=st.integers(2, 18),
    slope=st.floats(5.0, 40.0),
)
def test_route_is_of_least_energy(seed: int, rows: int, cols: int, slope: float) -> None:
    rng = np.random.default_rng(seed)
    z = np.cumsum(rng.normal(0, 0.8, (rows, cols)), axis=1).astype(np.float32)
    blocked = (rng.random((rows, cols)) < 0.1).astype(np.uint8)
    blocked[0, 0] = blocked[-1, -1] = 0
    model = EnergyModel(max_slope_deg=slope)
    goal_xy = ((cols - 0.5) * 5.0, (rows - 0.5) * 5.0)
    expected = reference_energy_j(z, blocked, 5.0, (0, 0), (rows - 1, cols - 1), model)
    if math.isinf(expected):
        with pytest.raises(NoPathFound):
            plan_traverse(z, 5.0, (2.5, 2.5), goal_xy, model, blocked)
        return
    route = plan_traverse(z, 5.0, (2.5, 2.5), goal_xy, model, blocked)
    assert route.energy_wh * JOULES_PER_WH == pytest.approx(expected, rel=1e-9)
    assert route.max_slope_deg <= slope + 1e-9
    assert not blocked[route.cells[:, 0], route.cells[:, 1]].any()
    assert tuple(route.cells[0]) == (0, 0) and tuple(route.cells[-1]) == (rows - 1, cols - 1)


def test_lola_route_into_the_crater_respects_the_slope_limit() -> None:
    from ilrs_auto.assets import assets_dir
    from ilrs_auto.terrain import read_dem

    dem = read_dem(assets_dir() / "terrain" / "shoemaker_5mpp.tif")
    heights = np.ascontiguousarray(dem.heights_m)
    blocked = orbital_hazards(heights, dem.resolution_m, HazardConfig(footprint_radius_m=5.0))
    route = plan_traverse(heights, 5.0, (300, 640), (1050, 560), EnergyModel(), blocked)
    assert route.max_slope_deg <= 20.0
    assert 750 < route.distance_m < 1000  # the crater floor is ~750 m away as the crow flies
    # A steeper limit never costs more energy (more moves are allowed).
    looser = plan_traverse(
        heights, 5.0, (300, 640), (1050, 560), EnergyModel(max_slope_deg=30), blocked
    )
    assert looser.energy_wh <= route.energy_wh + 1e-9


def test_orbital_hazards_are_slopes_only() -> None:
    x = np.arange(20, dtype=np.float32) * 5.0
    steep = np.tile(x * math.tan(math.radians(30)), (20, 1)).astype(np.float32)
    gentle = np.tile(x * math.tan(math.radians(10)), (20, 1)).astype(np.float32)
    config = HazardConfig(footprint_radius_m=5.0, max_step_m=0.01, max_roughness_m=0.001)
    assert orbital_hazards(steep, 5.0, config).all()
    assert not orbital_hazards(gentle, 5.0, config).any()  # steps/roughness ignored at 5 m


def test_failures_and_bad_input() -> None:
    z = np.zeros((5, 5), np.float32)
    with pytest.raises(StartOutsideMap):
        plan_traverse(z, 5.0, (-1.0, 2.0), (20.0, 20.0))
    blocked = np.zeros((5, 5), np.uint8)
    blocked[4, 4] = 1
    with pytest.raises(GoalOccupied):
        plan_traverse(z, 5.0, (2.0, 2.0), (22.0, 22.0), blocked=blocked)
    with pytest.raises(ValueError, match="blocked has shape"):
        plan_traverse(z, 5.0, (2.0, 2.0), (22.0, 22.0), blocked=np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="speed_mps must be > 0"):
        plan_traverse(z, 5.0, (2.0, 2.0), (22.0, 22.0), EnergyModel(speed_mps=0.0))
    z[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"not finite at \(row 1, col 1\)"):
        plan_traverse(z, 5.0, (2.0, 2.0), (22.0, 22.0))
