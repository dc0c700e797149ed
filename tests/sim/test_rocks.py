"""Tests for ilrs_auto/sim/rocks.py: the Golombek-Rapp size-frequency model (density, counts, size
distribution, covered area) against its closed form, seeding, keep-clear circles, rasterisation
and the nearest-rock query."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.geometry import Cell, GridGeometry
from ilrs_auto.sim.rocks import (
    RockField,
    expected_rock_density,
    place_rocks,
    rasterize_rocks,
)

F64 = npt.NDArray[np.float64]


# --- The model, integrated independently -------------------------------------------------
# n(D) = q k exp(-q D) / (pi D^2 / 4), q = 1.79 + 0.152 / k (Golombek & Rapp 1997). Counts are
# integrated over log D (where the integrand is smooth), finely enough to be exact here.


def q_of(k: float) -> float:
    return 1.79 + 0.152 / k


def rocks_per_m2_below(k: float, d_lo: float, d_hi: F64) -> F64:
    """Rocks per square metre with diameters in [d_lo, d_hi], for each of an array of d_hi."""
    q = q_of(k)
    s = np.linspace(math.log(d_lo), math.log(float(np.max(d_hi))), 200_001)
    per_log_d = 4.0 * q * k / math.pi * np.exp(-q * np.exp(s) - s)  # n(D) * D
    cumulative = np.concatenate([[0.0], np.cumsum((per_log_d[1:] + per_log_d[:-1]) / 2)])
    result: F64 = np.interp(np.log(d_hi), s, cumulative * (s[1] - s[0]))
    return result


def rocks_per_m2(k: float, d_lo: float, d_hi: float) -> float:
    return float(rocks_per_m2_below(k, d_lo, np.array([d_hi]))[0])


def chi2_bounds(dof: int, sigmas: float = 5.0) -> tuple[float, float]:
    """Range holding a chi-squared(dof) variable but for `sigmas`-normal tails (Wilson-Hilferty)."""
    centre, spread = 1.0 - 2.0 / (9.0 * dof), math.sqrt(2.0 / (9.0 * dof))
    return dof * (centre - sigmas * spread) ** 3, dof * (centre + sigmas * spread) ** 3


def covered_fraction(k: float, d_min: float, d_max: float) -> float:
    """Area fraction covered by rocks in [d_min, d_max]: F_k(d_min) - F_k(d_max)."""
    q = q_of(k)
    return k * (math.exp(-q * d_min) - math.exp(-q * d_max))


BOUNDS = (0.0, 0.0, 60.0, 50.0)
AREA = 60.0 * 50.0


# --- Density and counts --------------------------------------------------------------------


@pytest.mark.parametrize("k", [0.01, 0.06, 0.15, 0.4])
@pytest.mark.parametrize(
    ("d_min", "d_max", "rel"),
    # The scenario's default sizes, then the widest ranges a scenario allows; on those the
    # trapezoid rule over 4001 linear steps overestimates the steep small-rock end by < 1 %.
    [(0.3, 2.5, 1e-4), (0.1, 2.0, 1e-4), (0.05, 10.0, 2e-3), (0.05, 20.0, 1e-2)],
)
def test_expected_density_is_the_golombek_integral(
    k: float, d_min: float, d_max: float, rel: float
) -> None:
    assert expected_rock_density(k, d_min, d_max) == pytest.approx(
        rocks_per_m2(k, d_min, d_max), rel=rel
    )


def test_no_rocks_without_coverage_or_area() -> None:
    assert expected_rock_density(0.0, 0.1, 2.0) == 0.0
    rng = np.random.default_rng(0)
    assert len(place_rocks(rng, BOUNDS, 0.0, 0.1, 2.0, 0.5)) == 0
    assert len(place_rocks(rng, (5.0, 5.0, 5.0, 20.0), 0.2, 0.1, 2.0, 0.5)) == 0
    assert len(place_rocks(rng, (5.0, 5.0, 1.0, 20.0), 0.2, 0.1, 2.0, 0.5)) == 0


@pytest.mark.parametrize("k", [0.02, 0.06, 0.15, 0.3])
@pytest.mark.parametrize("seed", [1, 2])
def test_rock_count_has_the_expected_mean(k: float, seed: int) -> None:
    bounds = (0.0, 0.0, 200.0, 150.0)  # large, so that 5 sigma is a fraction of a percent
    rocks = place_rocks(np.random.default_rng(seed), bounds, k, 0.1, 2.0, 0.5)
    mean = rocks_per_m2(k, 0.1, 2.0) * 200.0 * 150.0
    assert abs(len(rocks) - mean) <= 5.0 * math.sqrt(mean)


def test_rock_count_is_poisson_distributed() -> None:
    """Across many fields the counts scatter like a Poisson variable (variance = mean)."""
    bounds = (0.0, 0.0, 10.0, 10.0)
    mean = rocks_per_m2(0.06, 0.1, 2.0) * 100.0
    rng = np.random.default_rng(8)
    counts = np.array([len(place_rocks(rng, bounds, 0.06, 0.1, 2.0, 0.5)) for _ in range(300)])
    dispersion = float(np.sum((counts - mean) ** 2) / mean)  # chi-squared, 300 dof
    low, high = chi2_bounds(300)
    assert low < dispersion < high


@pytest.mark.parametrize("k", [0.03, 0.1, 0.3])
def test_size_distribution_matches_the_model(k: float) -> None:
    d_min, d_max = 0.1, 2.5
    rocks = place_rocks(np.random.default_rng(11), BOUNDS, k, d_min, d_max, 0.5)
    d = np.sort(rocks.diameter_m)
    n = d.size
    assert n > 1000
    assert d.min() >= d_min and d.max() <= d_max

    # Kolmogorov-Smirnov distance to the model's CDF; the 1e-6 critical value of the
    # two-sided statistic is about sqrt(ln(2e6) / (2n)).
    model_cdf = rocks_per_m2_below(k, d_min, d) / rocks_per_m2(k, d_min, d_max)
    ks = max(np.max(np.arange(1, n + 1) / n - model_cdf), np.max(model_cdf - np.arange(n) / n))
    assert ks < math.sqrt(math.log(2e6) / (2 * n))

    # The tail, where a KS test is blind: rocks at least D wide, each a Poisson count.
    for diameter in (0.3, 0.6, 1.0, 1.5):
        mean = rocks_per_m2(k, diameter, d_max) * AREA
        assert abs(np.count_nonzero(d >= diameter) - mean) <= 5.0 * math.sqrt(mean) + 1.0, diameter


@pytest.mark.parametrize("k", [0.05, 0.2])
def test_rocks_cover_the_model_area_fraction(k: float) -> None:
    """The defining property of k: the area covered by rocks (here those in [d_min, d_max])."""
    d_min, d_max = 0.1, 2.0
    rocks = place_rocks(np.random.default_rng(5), BOUNDS, k, d_min, d_max, 0.5)
    covered = float(np.sum(np.pi * rocks.diameter_m**2 / 4.0)) / AREA
    # Compound Poisson: the variance of the covered area is AREA * integral n(D) a(D)^2 dD.
    grid = np.linspace(d_min, d_max, 20001)
    q = q_of(k)
    a = np.pi * grid**2 / 4.0
    second_moment = np.trapezoid(q * k * np.exp(-q * grid) / a * a * a, grid)
    sigma = math.sqrt(AREA * second_moment) / AREA
    assert abs(covered - covered_fraction(k, d_min, d_max)) <= 5.0 * sigma


def test_rocks_lie_in_bounds_with_heights_from_the_ratio() -> None:
    bounds = (10.0, -5.0, 30.0, 15.0)
    rocks = place_rocks(np.random.default_rng(2), bounds, 0.1, 0.2, 1.5, 0.4)
    assert len(rocks) > 100
    assert (rocks.x_m >= 10.0).all() and (rocks.x_m <= 30.0).all()
    assert (rocks.y_m >= -5.0).all() and (rocks.y_m <= 15.0).all()
    np.testing.assert_allclose(rocks.height_m, 0.4 * rocks.diameter_m)
    # Uniform positions: each half of the box holds about half of the rocks.
    west = np.count_nonzero(rocks.x_m < 20.0)
    assert abs(west - len(rocks) / 2) <= 5.0 * math.sqrt(len(rocks) / 4)


# --- Seeds and keep-clear circles ----------------------------------------------------------


def fields_equal(a: RockField, b: RockField) -> bool:
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("x_m", "y_m", "diameter_m", "height_m")
    )


def test_same_seed_same_rocks_different_seed_different_rocks() -> None:
    def draw(seed: int) -> RockField:
        return place_rocks(
            np.random.default_rng(seed), BOUNDS, 0.08, 0.2, 2.0, 0.5, keep_clear=[(30.0, 25.0, 4.0)]
        )

    first, again, other = draw(42), draw(42), draw(43)
    assert len(first) > 100
    assert fields_equal(first, again)
    assert not fields_equal(first, other)
    assert not np.isin(first.x_m, other.x_m).any()


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    circles=st.lists(
        st.tuples(st.floats(-5.0, 45.0), st.floats(-5.0, 45.0), st.floats(0.0, 10.0)),
        min_size=1,
        max_size=4,
    ),
)
def test_keep_clear_circles_drop_exactly_the_overlapping_rocks(
    seed: int, circles: list[tuple[float, float, float]]
) -> None:
    bounds = (0.0, 0.0, 40.0, 40.0)
    free = place_rocks(np.random.default_rng(seed), bounds, 0.1, 0.2, 2.5, 0.5)
    kept = place_rocks(np.random.default_rng(seed), bounds, 0.1, 0.2, 2.5, 0.5, keep_clear=circles)

    def clear(x: F64, y: F64, d: F64) -> npt.NDArray[np.bool_]:
        ok = np.ones(x.size, bool)
        for cx, cy, radius in circles:
            ok &= np.hypot(x - cx, y - cy) - d / 2 > radius
        return ok

    # No kept rock touches a circle, and every rock that did not touch one was kept.
    assert clear(kept.x_m, kept.y_m, kept.diameter_m).all()
    expected = clear(free.x_m, free.y_m, free.diameter_m)
    np.testing.assert_array_equal(kept.x_m, free.x_m[expected])
    np.testing.assert_array_equal(kept.y_m, free.y_m[expected])
    np.testing.assert_array_equal(kept.diameter_m, free.diameter_m[expected])
    np.testing.assert_array_equal(kept.height_m, free.height_m[expected])


def test_keep_clear_empties_a_large_circle() -> None:
    rocks = place_rocks(
        np.random.default_rng(9),
        BOUNDS,
        0.15,
        0.1,
        2.0,
        0.5,
        keep_clear=[(20.0, 20.0, 8.0), (45.0, 30.0, 3.0)],
    )
    assert len(rocks) > 1000
    for cx, cy, radius in [(20.0, 20.0, 8.0), (45.0, 30.0, 3.0)]:
        gap = np.hypot(rocks.x_m - cx, rocks.y_m - cy) - rocks.diameter_m / 2
        assert gap.min() > radius
        assert gap.min() < radius + 1.0  # the clearing stops at the circle


# --- Rasterisation -------------------------------------------------------------------------


def one_rock(x: float, y: float, diameter: float, height: float) -> RockField:
    return RockField(np.array([x]), np.array([y]), np.array([diameter]), np.array([height]))


@pytest.fixture
def sloped_ground() -> tuple[npt.NDArray[np.float32], GridGeometry]:
    geometry = GridGeometry(30, 40, 0.25)
    yy, xx = np.mgrid[0:30, 0:40]
    ground = (100.0 + 0.05 * xx - 0.02 * yy).astype(np.float32)
    return ground, geometry


def test_rock_stands_on_the_ground_under_its_centre(
    sloped_ground: tuple[npt.NDArray[np.float32], GridGeometry],
) -> None:
    ground, geometry = sloped_ground
    original = ground.copy()
    row, col = 12, 20
    x, y = geometry.centre_of(Cell(row, col))
    heights = rasterize_rocks(ground, geometry, one_rock(x, y, 1.5, 0.6))

    np.testing.assert_array_equal(ground, original)  # input untouched
    assert heights.dtype == np.float32 and heights.shape == ground.shape
    assert heights[row, col] == pytest.approx(ground[row, col] + 0.6, abs=1e-4)
    # Half-ellipsoid: cells inside the footprint are raised, lower towards the rim.
    cy, cx = (np.mgrid[0:30, 0:40] + 0.5) * 0.25
    r2 = ((cx - x) ** 2 + (cy - y) ** 2) / 0.75**2
    inside = r2 < 1.0
    expected_top = ground[row, col] + 0.6 * np.sqrt(np.clip(1.0 - r2, 0.0, 1.0))
    np.testing.assert_allclose(heights[inside], np.maximum(ground, expected_top)[inside], atol=1e-4)
    assert inside.sum() > 20
    np.testing.assert_array_equal(heights[~inside], ground[~inside])  # elsewhere unchanged
    assert heights[row, col] == heights[inside].max()


def test_rock_smaller_than_a_cell_still_shows(
    sloped_ground: tuple[npt.NDArray[np.float32], GridGeometry],
) -> None:
    ground, geometry = sloped_ground
    # 5 cm wide, near a corner of cell (7, 9): no cell centre lies inside it.
    rocks = one_rock(9 * 0.25 + 0.02, 7 * 0.25 + 0.23, 0.05, 0.03)
    heights = rasterize_rocks(ground, geometry, rocks)
    assert heights[7, 9] == pytest.approx(ground[7, 9] + 0.03, abs=1e-5)
    changed = heights != ground
    assert changed.sum() == 1 and changed[7, 9]


def test_rocks_overlap_by_the_highest_surface_and_may_hang_off_the_map(
    sloped_ground: tuple[npt.NDArray[np.float32], GridGeometry],
) -> None:
    ground, geometry = sloped_ground
    rocks = RockField(
        np.array([5.125, 5.625, -0.3, 9.9]),
        np.array([3.125, 3.125, 2.0, 7.4]),
        np.array([1.0, 2.0, 1.0, 1.0]),
        np.array([0.8, 0.2, 0.4, 0.4]),
    )
    heights = rasterize_rocks(ground, geometry, rocks)
    both = heights[12, 20]  # centre of the first rock, inside the second
    assert both == pytest.approx(ground[12, 20] + 0.8, abs=1e-4)
    assert heights[8, 0] > ground[8, 0]  # the western rock's edge reaches into the map
    assert heights[29, 39] > ground[29, 39]  # the north-eastern one is clipped at the corner
    assert (heights >= ground).all()


def test_no_rocks_is_the_ground() -> None:
    ground = np.arange(12, dtype=np.float32).reshape(3, 4)
    empty = RockField(np.empty(0), np.empty(0), np.empty(0), np.empty(0))
    np.testing.assert_array_equal(rasterize_rocks(ground, GridGeometry(3, 4, 1.0), empty), ground)


# --- Nearest rock --------------------------------------------------------------------------


def test_nearest_is_by_edge_not_by_centre() -> None:
    rocks = RockField(
        np.array([3.0, 0.0, 10.0]),
        np.array([0.0, 6.0, 10.0]),
        np.array([0.4, 8.0, 1.0]),
        np.array([0.2, 4.0, 0.5]),
    )
    # From the origin: centres at 3.0 and 6.0 away, edges at 2.8 and 2.0.
    index, gap = rocks.nearest(0.0, 0.0)
    assert index == 1 and gap == pytest.approx(2.0)
    index, gap = rocks.nearest(3.5, 0.0)
    assert index == 0 and gap == pytest.approx(0.3)
    index, gap = rocks.nearest(10.2, 10.1)  # inside a rock
    assert index == 2 and gap == 0.0


def test_nearest_without_rocks() -> None:
    empty = RockField(np.empty(0), np.empty(0), np.empty(0), np.empty(0))
    assert empty.nearest(1.0, 2.0) == (-1, math.inf)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), x=st.floats(-5.0, 25.0), y=st.floats(-5.0, 25.0))
def test_nearest_edge_is_no_farther_than_any_rock(seed: int, x: float, y: float) -> None:
    rocks = place_rocks(np.random.default_rng(seed), (0.0, 0.0, 20.0, 20.0), 0.1, 0.2, 2.5, 0.5)
    index, gap = rocks.nearest(x, y)
    edges = np.hypot(rocks.x_m - x, rocks.y_m - y) - rocks.diameter_m / 2
    assert 0 <= index < len(rocks)
    assert edges[index] == edges.min()
    assert gap == max(edges.min(), 0.0)
