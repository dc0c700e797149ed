"""Tests for ilrs_auto/perception/traversability.py (over cpp/src/perception/hazard_layers.cpp
and costmap.cpp): the hazard layers and costs against an independent numpy reference, region
updates against full recomputation, lethal and unknown semantics, and input validation."""

from __future__ import annotations

import math
import tracemalloc
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.lib.stride_tricks import sliding_window_view

from ilrs_auto.assets import assets_dir
from ilrs_auto.geometry import Region
from ilrs_auto.perception.elevation import ElevationMap
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap
from ilrs_auto.terrain import read_dem

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

LAYERS = ("slope_deg", "roughness_m", "step_m", "belly_m")


# --- Independent reference -----------------------------------------------------------------


def half_width_cells(radius_m: float, resolution_m: float) -> int:
    """round(radius / resolution), halves away from zero, at least 1 (the C++ header's rule)."""
    return max(1, math.floor(radius_m / resolution_m + 0.5))


def reference_layers(
    z: F32, resolution_m: float, radius_cells: int, min_known_fraction: float
) -> dict[str, F64]:
    """Slope, roughness and step of every cell, by an SVD least-squares plane per window.

    Windows are (2p+1)^2 cells around each cell, padded beyond the map with "not in map"; the
    fit uses the known in-map heights. A window whose known cells are collinear has no unique
    plane: the core then takes the horizontal plane through their mean, and so does this.
    """
    rows, cols = z.shape
    p = radius_cells
    side = 2 * p + 1
    heights = np.pad(z.astype(np.float64), p, constant_values=np.nan)
    in_map = np.pad(np.ones(z.shape, bool), p, constant_values=False)
    window = sliding_window_view(heights, (side, side)).reshape(rows * cols, side * side)
    window_in_map = sliding_window_view(in_map, (side, side)).reshape(rows * cols, side * side)
    known = np.isfinite(window)

    dy, dx = np.mgrid[-p : p + 1, -p : p + 1] * resolution_m
    design = np.stack([dx.ravel(), dy.ravel(), np.ones(side * side)], axis=-1)  # (K, 3)
    masked_design = design[None, :, :] * known[:, :, None]  # (N, K, 3)
    masked_z = np.where(known, window, 0.0)

    coef = np.einsum("nik,nk->ni", np.linalg.pinv(masked_design), masked_z)
    n_known = known.sum(axis=1)
    collinear = np.linalg.matrix_rank(masked_design) < 3
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_z = masked_z.sum(axis=1) / n_known
    coef[collinear] = 0.0
    coef[collinear, 2] = mean_z[collinear]

    residual = np.where(known, window - np.einsum("kj,nj->nk", design, coef), np.nan)
    assessed = (
        np.isfinite(z.ravel())
        & (n_known >= min_known_fraction * window_in_map.sum(axis=1))
        & (n_known >= 3)
    )
    res_known = np.where(known, residual, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = np.degrees(np.arctan(np.hypot(coef[:, 0], coef[:, 1])))
        roughness = np.sqrt((res_known**2).sum(axis=1) / n_known)
        step = np.where(known, residual, -np.inf).max(axis=1) - np.where(
            known, residual, np.inf
        ).min(axis=1)
    belly = reference_belly(z, radius_cells).ravel()
    out = {}
    for name, layer in zip(LAYERS, (slope, roughness, step, belly), strict=True):
        out[name] = np.where(assessed, layer, np.nan).reshape(rows, cols)
    return out


def reference_belly(z: F32, radius_cells: int) -> F64:
    """Belly of every cell (hazard_layers.h): the highest known height of the footprint
    [r - b, r + b] x [c - b, c + b] (clipped to the map) above the least-squares plane through
    its four corner cells, solved with numpy's lstsq per cell; NaN if a corner is unknown."""
    rows, cols = z.shape
    b = radius_cells
    heights = z.astype(np.float64)
    out = np.full((rows, cols), np.nan)
    for r in range(rows):
        r0, r1 = max(0, r - b), min(rows - 1, r + b)
        for c in range(cols):
            c0, c1 = max(0, c - b), min(cols - 1, c + b)
            corners = [(r0, c0), (r0, c1), (r1, c0), (r1, c1)]
            zc = np.array([heights[i, j] for i, j in corners])
            if np.isnan(zc).any():
                continue
            design = np.array([[j, i, 1.0] for i, j in corners])
            coef, *_ = np.linalg.lstsq(design, zc, rcond=None)
            ii, jj = np.mgrid[r0 : r1 + 1, c0 : c1 + 1]
            residual = heights[r0 : r1 + 1, c0 : c1 + 1] - (coef[0] * jj + coef[1] * ii + coef[2])
            out[r, c] = np.nanmax(residual)
    return out


def reference_cost(tmap: TraversabilityMap, config: HazardConfig) -> F32:
    """The cost rule of costmap.h applied to the map's own layers (so float32 ties agree)."""
    s = tmap.slope_deg.astype(np.float64) / config.max_slope_deg
    g = tmap.roughness_m.astype(np.float64) / config.max_roughness_m
    t = tmap.step_m.astype(np.float64) / config.max_step_m
    b = tmap.belly_m.astype(np.float64) / config.belly_clearance_m
    cost = (
        1.0
        + config.slope_weight * s
        + config.roughness_weight * g
        + config.step_weight * t
        + config.belly_weight * b
    )
    # Lethal if any layer is at its limit, even if another is unknown; else unknown if any is.
    cost = np.where(np.isnan(s) | np.isnan(g) | np.isnan(t) | np.isnan(b), np.nan, cost)
    cost = np.where((s >= 1.0) | (g >= 1.0) | (t >= 1.0) | (b >= 1.0), np.inf, cost)
    return cost.astype(np.float32)


def assert_layers_match(tmap: TraversabilityMap, ref: dict[str, F64], atol: float) -> None:
    for name in LAYERS:
        got = getattr(tmap, name)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(ref[name]), err_msg=name)
        np.testing.assert_allclose(got, ref[name], rtol=1e-5, atol=atol, err_msg=name)


def assert_cost_matches(tmap: TraversabilityMap, config: HazardConfig) -> None:
    expected = reference_cost(tmap, config)
    np.testing.assert_array_equal(np.isnan(tmap.cost), np.isnan(expected))
    np.testing.assert_array_equal(np.isposinf(tmap.cost), np.isposinf(expected))
    np.testing.assert_allclose(tmap.cost, expected, rtol=1e-6)


def assert_same_maps(a: TraversabilityMap, b: TraversabilityMap) -> None:
    """Bit-for-bit equal layers and costs (NaN where NaN, inf where inf)."""
    for name in (*LAYERS, "cost"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


# --- The real LOLA tile --------------------------------------------------------------------


@pytest.fixture(scope="module")
def lola() -> F32:
    dem = read_dem(assets_dir() / "terrain" / "shoemaker_5mpp.tif")
    assert dem.resolution_m == 5.0
    return np.ascontiguousarray(dem.heights_m)


def test_layers_and_cost_match_reference_on_lola_tile(lola: F32) -> None:
    # Limits at LOLA scale, so the tile has cheap, costly and lethal cells.
    config = HazardConfig(
        footprint_radius_m=10.0,
        max_slope_deg=8.0,
        max_step_m=1.0,
        max_roughness_m=0.3,
        belly_clearance_m=0.5,
        belly_weight=1.0,
    )
    tmap = TraversabilityMap(lola, 5.0, config)
    ref = reference_layers(lola, 5.0, 2, config.min_known_fraction)

    assert_layers_match(tmap, ref, atol=1e-4)
    assert_cost_matches(tmap, config)
    # The tile is real, varied terrain: the comparison covered every kind of cell.
    assert 0.05 < tmap.lethal().mean() < 0.95
    # ... including cells that only the belly rules out.
    no_belly = TraversabilityMap(lola, 5.0, replace(config, belly_clearance_m=1e6))
    assert (tmap.lethal() & ~no_belly.lethal()).sum() > 1000
    assert np.ptp(tmap.cost[~tmap.lethal()]) > 1.0
    assert not np.isnan(tmap.cost).any()


def test_lola_tile_edges_use_clipped_windows(lola: F32) -> None:
    """Corner and edge cells fit the plane over the in-map part of their window only."""
    config = HazardConfig(footprint_radius_m=10.0)
    tmap = TraversabilityMap(lola, 5.0, config)
    corner = lola[:3, :3].astype(np.float64)  # the corner cell's clipped 3x3 window
    yy, xx = np.mgrid[0:3, 0:3] * 5.0
    design = np.column_stack([xx.ravel(), yy.ravel(), np.ones(9)])
    coef, *_ = np.linalg.lstsq(design, corner.ravel(), rcond=None)
    slope = math.degrees(math.atan(math.hypot(coef[0], coef[1])))
    rms = math.sqrt(np.mean((corner.ravel() - design @ coef) ** 2))
    assert tmap.slope_deg[0, 0] == pytest.approx(slope, rel=1e-5)
    assert tmap.roughness_m[0, 0] == pytest.approx(rms, rel=1e-4, abs=1e-5)


# --- Random small grids --------------------------------------------------------------------


@st.composite
def grids_with_holes(draw: st.DrawFn) -> F32:
    rows = draw(st.integers(1, 9))
    cols = draw(st.integers(1, 9))
    heights = draw(
        hnp.arrays(
            np.float32, (rows, cols), elements=st.floats(-3.0, 3.0, width=32, allow_subnormal=False)
        )
    )
    holes = draw(hnp.arrays(np.bool_, (rows, cols), elements=st.booleans()))
    # Mostly known, sometimes riddled with holes.
    if draw(st.booleans()):
        holes &= draw(hnp.arrays(np.bool_, (rows, cols), elements=st.booleans()))
    heights[holes] = np.nan
    return heights


configs = st.builds(
    HazardConfig,
    footprint_radius_m=st.floats(0.05, 4.0),
    max_slope_deg=st.floats(1.0, 89.0),
    max_step_m=st.floats(0.01, 5.0),
    max_roughness_m=st.floats(0.005, 2.0),
    slope_weight=st.floats(0.0, 10.0),
    roughness_weight=st.floats(0.0, 10.0),
    step_weight=st.floats(0.0, 10.0),
    min_known_fraction=st.floats(0.01, 1.0),
    belly_clearance_m=st.floats(0.01, 5.0),
    belly_weight=st.floats(0.0, 10.0),
)


@settings(max_examples=200, deadline=None)
@given(z=grids_with_holes(), config=configs, resolution_m=st.floats(0.05, 2.0))
def test_layers_and_cost_match_reference_on_random_grids(
    z: F32, config: HazardConfig, resolution_m: float
) -> None:
    p = half_width_cells(config.footprint_radius_m, resolution_m)
    if p > 4:  # keep the windows small; larger ones add nothing but time
        config = replace(config, footprint_radius_m=4 * resolution_m)
        p = 4
    tmap = TraversabilityMap(z, resolution_m, config)
    assert_layers_match(
        tmap, reference_layers(z, resolution_m, p, config.min_known_fraction), atol=2e-5
    )
    assert_cost_matches(tmap, config)


def test_reference_sees_window_size_and_known_fraction() -> None:
    """Two grids on which a wrong window half-width or known-fraction rule changes the result."""
    z = np.zeros((7, 7), np.float32)
    z[0, 0] = 1.0
    # Half-width 2 cells: the centre cell's window reaches the corner spike, 1 cell would not.
    tmap = TraversabilityMap(z, 0.5, HazardConfig(footprint_radius_m=1.0))
    assert tmap.step_m[2, 2] > 0.5
    assert tmap.step_m[3, 3] == 0.0
    # 5 of the 9 cells of (1, 1)'s window known (the centre and the corners, where the
    # wheels stand): assessed at 0.5, unknown at 0.6.
    z = np.full((3, 3), np.nan, np.float32)
    z[1, 1] = z[0, 0] = z[2, 2] = z[0, 2] = z[2, 0] = 0.0
    assert not np.isnan(
        TraversabilityMap(
            z, 1.0, HazardConfig(footprint_radius_m=1.0, min_known_fraction=0.5)
        ).cost[1, 1]
    )
    assert np.isnan(
        TraversabilityMap(
            z, 1.0, HazardConfig(footprint_radius_m=1.0, min_known_fraction=0.6)
        ).cost[1, 1]
    )


# --- Region updates ------------------------------------------------------------------------


@st.composite
def edits(draw: st.DrawFn) -> tuple[F32, Region, F32]:
    rows = draw(st.integers(2, 14))
    cols = draw(st.integers(2, 14))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    z = rng.normal(0.0, 0.3, (rows, cols)).astype(np.float32)
    z[rng.random((rows, cols)) < draw(st.sampled_from([0.0, 0.1, 0.4]))] = np.nan
    r0 = draw(st.integers(0, rows - 1))
    c0 = draw(st.integers(0, cols - 1))
    r1 = draw(st.integers(r0 + 1, rows))
    c1 = draw(st.integers(c0 + 1, cols))
    block = rng.normal(0.0, 1.0, (r1 - r0, c1 - c0)).astype(np.float32)
    block[rng.random(block.shape) < draw(st.sampled_from([0.0, 0.3]))] = np.nan
    return z, Region(r0, c0, r1, c1), block


@settings(max_examples=150, deadline=None)
@given(
    edit=edits(),
    resolution_m=st.sampled_from([0.125, 0.25, 0.5, 1.0, 2.0]),
    half_cells=st.integers(1, 9),  # radius = half_cells / 2 cells: halves included
    min_known_fraction=st.sampled_from([0.2, 0.5, 0.9]),
)
@example(
    edit=(np.zeros((12, 12), np.float32), Region(6, 6, 7, 7), np.ones((1, 1), np.float32)),
    resolution_m=0.5,
    half_cells=5,
    min_known_fraction=0.5,
)  # radius 1.25 m at 0.5 m: the window is 2.5 -> 3 cells wide
def test_region_update_equals_full_recompute(
    edit: tuple[F32, Region, F32],
    resolution_m: float,
    half_cells: int,
    min_known_fraction: float,
) -> None:
    z, changed, block = edit
    z = z.copy()
    config = HazardConfig(
        footprint_radius_m=half_cells / 2 * resolution_m,
        max_step_m=0.5,
        min_known_fraction=min_known_fraction,
    )
    tmap = TraversabilityMap(z, resolution_m, config)  # reads z live
    z[changed.row_begin : changed.row_end, changed.col_begin : changed.col_end] = block

    updated = tmap.update(changed)

    assert_same_maps(tmap, TraversabilityMap(z.copy(), resolution_m, config))
    # The returned region holds the edit and stays inside the map.
    assert updated.row_begin <= changed.row_begin and updated.col_begin <= changed.col_begin
    assert updated.row_end >= changed.row_end and updated.col_end >= changed.col_end
    assert updated.row_begin >= 0 and updated.col_begin >= 0
    assert (updated.row_end, updated.col_end) <= z.shape


def test_update_touches_only_the_returned_region() -> None:
    z = np.zeros((20, 20), np.float32)
    tmap = TraversabilityMap(z, 0.25, HazardConfig(footprint_radius_m=0.5))
    before = {name: getattr(tmap, name).copy() for name in (*LAYERS, "cost")}
    z[10, 10] = 5.0
    updated = tmap.update(Region(10, 10, 11, 11))
    assert updated == Region(8, 8, 13, 13)
    outside = np.ones(z.shape, bool)
    outside[8:13, 8:13] = False
    for name, old in before.items():
        np.testing.assert_array_equal(getattr(tmap, name)[outside], old[outside], err_msg=name)
    assert np.isinf(tmap.cost[8:13, 8:13]).all()


def test_empty_update_changes_nothing() -> None:
    z = np.zeros((6, 6), np.float32)
    tmap = TraversabilityMap(z, 1.0, HazardConfig())
    z[:] = 100.0 * np.arange(36, dtype=np.float32).reshape(6, 6)
    assert tmap.update(Region(3, 3, 3, 5)) == Region(3, 3, 3, 5)
    assert (tmap.cost == 1.0).all()


# --- Following a rolling elevation window ---------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(3, 24), st.integers(3, 24)),
    shifts=st.lists(st.tuples(st.integers(-9, 9), st.integers(-9, 9)), min_size=1, max_size=4),
    half_cells=st.integers(1, 6),
)
def test_shift_after_a_window_move_equals_a_full_recompute(
    seed: int, shape: tuple[int, int], shifts: list[tuple[int, int]], half_cells: int
) -> None:
    rng = np.random.default_rng(seed)
    prior = rng.normal(0.0, 0.2, shape).astype(np.float32)
    prior[rng.random(shape) < 0.15] = np.nan
    emap = ElevationMap.from_prior(prior, 0.25)
    config = HazardConfig(footprint_radius_m=half_cells / 2 * 0.25, max_step_m=0.5)
    tmap = TraversabilityMap(emap.height_m, 0.25, config)
    origin = (0, 0)
    for d_rows, d_cols in shifts:
        origin = (origin[0] + d_rows, origin[1] + d_cols)
        shift = emap.move_origin(origin)
        tmap.shift(shift)
        assert_same_maps(tmap, TraversabilityMap(np.array(emap.height_m), 0.25, config))


def test_shift_recomputes_only_bands_along_the_edges() -> None:
    rng = np.random.default_rng(2)
    emap = ElevationMap.from_prior(rng.normal(0.0, 0.05, (40, 50)).astype(np.float32), 0.25)
    tmap = TraversabilityMap(emap.height_m, 0.25, HazardConfig(footprint_radius_m=0.5))
    assert tmap.reach_cells == 2
    # One row north: the exposed row plus 2 at the north edge, 2 at the south edge.
    regions = tmap.shift(emap.move_origin((1, 0)))
    assert regions == [Region(0, 0, 2, 50), Region(37, 0, 40, 50)]
    assert np.isnan(tmap.cost[39]).all()  # exposed: unknown
    assert np.isnan(tmap.belly_m[37:39]).all()  # wheels on the exposed row: unknown belly
    assert not np.isnan(tmap.cost[:37]).any()
    # Two columns west, one row south: column bands only over the rows left out.
    regions = tmap.shift(emap.move_origin((0, -2)))
    assert regions == [
        Region(0, 0, 3, 50),
        Region(38, 0, 40, 50),
        Region(3, 0, 38, 4),
        Region(3, 48, 38, 50),
    ]
    assert sum((r.row_end - r.row_begin) * (r.col_end - r.col_begin) for r in regions) < 600
    assert tmap.shift((0, 0)) == []
    # A jump beyond the window: everything is recomputed, and everything is unknown.
    assert tmap.shift(emap.move_origin((100, 100))) == [Region(0, 0, 40, 50)]
    assert np.isnan(tmap.cost).all()


def test_moving_and_shifting_allocate_no_grid() -> None:
    """The window moves in place: tracemalloc (which sees numpy's buffers) records nothing near
    the size of one layer (the C++ side is checked with a counting operator new in
    cpp/tests/perception/elevation_map_test.cpp and hazard_layers_test.cpp)."""
    rng = np.random.default_rng(5)
    emap = ElevationMap.from_prior(rng.normal(0.0, 0.05, (200, 200)).astype(np.float32), 0.05)
    tmap = TraversabilityMap(emap.height_m, 0.05, HazardConfig())
    layer_bytes = 200 * 200 * 4
    tmap.shift(emap.move_origin((7, -5)))  # warm-up
    tracemalloc.start()
    try:
        for origin in ((20, 3), (-4, -9), (0, 0)):
            tmap.shift(emap.move_origin(origin))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < layer_bytes // 20


# --- Lethal and unknown semantics ----------------------------------------------------------


def test_flat_ground_costs_one_everywhere() -> None:
    z = np.full((15, 17), 1737.4, np.float32)
    tmap = TraversabilityMap(z, 0.25, HazardConfig())
    assert (tmap.cost == 1.0).all()
    for name in LAYERS:
        assert (getattr(tmap, name) == 0.0).all(), name
    assert not tmap.lethal().any()


def test_rock_taller_than_max_step_is_lethal_around_it() -> None:
    config = HazardConfig(footprint_radius_m=0.5, max_step_m=0.25)  # 2 cells at 0.25 m
    z = np.zeros((21, 21), np.float32)
    z[10, 10] = 0.4
    tmap = TraversabilityMap(z, 0.25, config)
    near = np.zeros(z.shape, bool)
    near[8:13, 8:13] = True  # every cell whose window holds the rock
    assert tmap.lethal()[near].all()
    assert (tmap.step_m[near] >= 0.25).all()
    assert (tmap.cost[~near] == 1.0).all()


def test_rock_below_the_limits_costs_more_but_is_not_lethal() -> None:
    config = HazardConfig(footprint_radius_m=0.5, max_step_m=0.25)
    z = np.zeros((21, 21), np.float32)
    z[10, 10] = 0.1
    tmap = TraversabilityMap(z, 0.25, config)
    near = tmap.cost[8:13, 8:13]
    assert np.isfinite(near).all()
    assert (near > 1.0).all()
    assert tmap.step_m[10, 10] == pytest.approx(0.1, rel=1e-5)


def test_unknown_heights_give_unknown_cost() -> None:
    z = np.zeros((12, 12), np.float32)
    z[2:5, 2:5] = np.nan  # a hole
    z[8:, 8:] = np.nan
    z[10, 10] = 0.0  # one known cell in a sea of unknown: too few known neighbours
    tmap = TraversabilityMap(z, 0.5, HazardConfig(footprint_radius_m=0.5))
    assert np.isnan(tmap.cost[2:5, 2:5]).all()
    assert np.isnan(tmap.cost[10, 10])
    for name in LAYERS:
        assert np.isnan(getattr(tmap, name)[10, 10]), name
    assert not tmap.lethal()[np.isnan(z)].any()  # unknown is never "lethal" ...
    assert tmap.cost[0, 11] == 1.0  # ... and known ground away from holes is flat
    # The hole's neighbours are assessed from known cells, but a footprint with a wheel in the
    # hole, like (5, 5)'s (corners (4|6, 4|6)), has an unknown belly, hence an unknown cost.
    for name in ("slope_deg", "roughness_m", "step_m"):
        assert getattr(tmap, name)[5, 5] == 0.0, name
    assert np.isnan(tmap.belly_m[5, 5]) and np.isnan(tmap.cost[5, 5])
    assert tmap.cost[5, 6] == 1.0 and tmap.belly_m[5, 6] == 0.0


@pytest.mark.parametrize(("slope_deg", "lethal"), [(25.0, True), (20.5, True), (15.0, False)])
def test_plane_slope_against_max_slope(slope_deg: float, lethal: bool) -> None:
    config = HazardConfig(footprint_radius_m=0.5, max_slope_deg=20.0)
    res = 0.25
    # Tilted in a direction that is neither along rows nor along columns.
    yy, xx = np.mgrid[0:16, 0:16] * res
    heading = math.radians(30.0)
    grade = math.tan(math.radians(slope_deg))
    z = (grade * (math.cos(heading) * xx + math.sin(heading) * yy)).astype(np.float32)
    tmap = TraversabilityMap(z, res, config)
    np.testing.assert_allclose(tmap.slope_deg, slope_deg, atol=1e-3)
    assert (tmap.step_m < 1e-3).all()  # a steady slope is not a step
    if lethal:
        assert tmap.lethal().all()
    else:
        np.testing.assert_allclose(
            tmap.cost, 1.0 + config.slope_weight * slope_deg / 20.0, rtol=1e-4
        )


@pytest.mark.parametrize(
    ("layer", "limit_field"),
    [
        ("slope_deg", "max_slope_deg"),
        ("roughness_m", "max_roughness_m"),
        ("step_m", "max_step_m"),
        ("belly_m", "belly_clearance_m"),
    ],
)
def test_reaching_a_limit_exactly_is_lethal(layer: str, limit_field: str) -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(0.0, 0.05, (12, 12)).astype(np.float32)
    z += (0.2 * np.arange(12, dtype=np.float32))[None, :]
    loose = {
        "footprint_radius_m": 1.0,
        "max_slope_deg": 89.0,
        "max_step_m": 5.0,
        "max_roughness_m": 5.0,
        "belly_clearance_m": 5.0,
    }
    values = getattr(TraversabilityMap(z, 0.5, HazardConfig(**loose)), layer)
    limit = float(values[6, 6])
    config = HazardConfig(**{**loose, limit_field: limit})
    tmap = TraversabilityMap(z, 0.5, config)
    assert tmap.lethal()[values >= limit].all()
    assert np.isfinite(tmap.cost[values < limit]).all()
    assert (values < limit).any()


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "elevation",
    [np.zeros(5, np.float32), np.zeros((2, 3, 4), np.float32), np.float32(1.0)],
    ids=["1d", "3d", "0d"],
)
def test_elevation_must_be_2d(elevation: F32) -> None:
    with pytest.raises(ValueError, match="elevation_m must be 2D"):
        TraversabilityMap(np.asarray(elevation), 1.0, HazardConfig())


@pytest.mark.parametrize(
    "elevation",
    [
        np.zeros((4, 4), np.float64),
        np.zeros((4, 4), np.int32),
        np.zeros((4, 8), np.float32)[:, ::2],
    ],
    ids=["float64", "int32", "strided"],
)
def test_elevation_must_be_contiguous_float32(elevation: F32) -> None:
    with pytest.raises(ValueError, match="C-contiguous float32"):
        TraversabilityMap(elevation, 1.0, HazardConfig())


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"footprint_radius_m": 0.0}, "footprint_radius_m"),
        ({"footprint_radius_m": math.nan}, "footprint_radius_m"),
        ({"min_known_fraction": 0.0}, "min_known_fraction"),
        ({"min_known_fraction": 1.5}, "min_known_fraction"),
        ({"max_slope_deg": 95.0}, "max_slope_deg"),
        ({"max_slope_deg": 0.0}, "max_slope_deg"),
        ({"max_step_m": -0.1}, "max_step_m"),
        ({"max_roughness_m": math.inf}, "max_roughness_m"),
        ({"slope_weight": -1.0}, "slope_weight"),
        ({"roughness_weight": math.nan}, "roughness_weight"),
        ({"step_weight": -0.5}, "step_weight"),
        ({"belly_clearance_m": 0.0}, "belly_clearance_m"),
        ({"belly_clearance_m": math.inf}, "belly_clearance_m"),
        ({"belly_weight": -1.0}, "belly_weight"),
    ],
)
def test_invalid_config_raises_value_error_naming_the_field(
    settings: dict[str, float], field: str
) -> None:
    with pytest.raises(ValueError, match=rf"(Params|HazardConfig)\.{field}\b"):
        TraversabilityMap(np.zeros((4, 4), np.float32), 0.5, HazardConfig(**settings))


@pytest.mark.parametrize("resolution_m", [0.0, -1.0, math.nan])
def test_invalid_resolution_raises_value_error(resolution_m: float) -> None:
    with pytest.raises(ValueError, match="resolution_m"):
        TraversabilityMap(np.zeros((4, 4), np.float32), resolution_m, HazardConfig())


def test_window_wider_than_64_cells_is_rejected() -> None:
    with pytest.raises(ValueError, match="wider than 64 cells"):
        TraversabilityMap(np.zeros((4, 4), np.float32), 0.01, HazardConfig(footprint_radius_m=1.0))
