"""Tests for ilrs_auto/sim/lava_tube.py: the generated tube, its exact SDF against a dense
sampling of the wall, the analytic ray casts landing on the wall through void and equal to an
independent numpy solution of the frusta's quadrics, the voxelisation, and the simulated range
scan."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ilrs_auto.perception.voxels import VoxelGrid
from ilrs_auto.sim.lava_tube import FloatArray, LavaTube, spherical_directions


def numpy_raycast(
    tube: LavaTube, origin_m: npt.ArrayLike, directions: npt.ArrayLike, max_range_m: float
) -> FloatArray:
    """The reference for the C++ caster: every frustum's quadric solved for every ray at once
    with the textbook quadratic formula, the smallest root in its frustum kept."""
    o = np.asarray(origin_m, np.float64).reshape(3)
    d = np.asarray(directions, np.float64).reshape(-1, 3)
    # Frusta: the profile's segments plus level cylinders beyond both ends, each a quadric
    #   (y - yc)^2 + (z - zc)^2 = (a + s (x - x_k))^2  on  x_lo <= x <= x_hi.
    x_lo = np.concatenate([[-np.inf], tube.knots_x_m])
    x_hi = np.concatenate([tube.knots_x_m, [np.inf]])
    x_k = np.concatenate([[tube.knots_x_m[0]], tube.knots_x_m])
    a = np.concatenate([[tube.radii_m[0]], tube.radii_m])
    slope = np.concatenate([[0.0], np.diff(tube.radii_m) / np.diff(tube.knots_x_m), [0.0]])
    oy, oz = o[1] - tube.axis_y_m, o[2] - tube.axis_z_m
    dx, dy, dz = d[:, 0:1], d[:, 1:2], d[:, 2:3]
    # Radius along the ray: R(t) = ra + rb t.
    ra = a + slope * (o[0] - x_k)
    rb = slope * dx
    qa = dy * dy + dz * dz - rb * rb
    qb = 2.0 * (oy * dy + oz * dz - ra * rb)
    qc = oy * oy + oz * oz - ra * ra
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        sq = np.sqrt(np.maximum(disc, 0.0))
        quadratic = np.abs(qa) > 1e-12
        roots = [
            np.where(quadratic, (-qb - sq) / (2.0 * qa), -qc / qb),
            np.where(quadratic, (-qb + sq) / (2.0 * qa), np.nan),
        ]
        best = np.full(d.shape[0], np.inf)
        for t in roots:
            x = o[0] + t * dx
            ok = (t > 1e-9) & (disc >= 0.0) & (x >= x_lo) & (x <= x_hi) & (ra + rb * t > 0.0)
            best = np.minimum(best, np.where(ok, t, np.inf).min(axis=1))
    best[best > max_range_m] = np.inf
    return best


def test_generation_is_seeded_and_within_the_radius_bounds() -> None:
    a, b = LavaTube.generate(5), LavaTube.generate(5)
    np.testing.assert_array_equal(a.radii_m, b.radii_m)
    assert not np.array_equal(a.radii_m, LavaTube.generate(6).radii_m)
    assert a.length_m == pytest.approx(60.0)
    assert a.radii_m.min() >= 3.0 and a.radii_m.max() <= 8.0
    # Between knots the radius is linear, beyond the ends it continues level.
    x0, x1 = a.knots_x_m[2], a.knots_x_m[3]
    assert a.radius_at((x0 + x1) / 2) == pytest.approx((a.radii_m[2] + a.radii_m[3]) / 2)
    assert a.radius_at(-10.0) == pytest.approx(a.radii_m[0])
    assert a.radius_at(100.0) == pytest.approx(a.radii_m[-1])


@pytest.mark.parametrize(
    ("knots", "radii"), [([0.0], [3.0]), ([0.0, 0.0], [3.0, 4.0]), ([0.0, 5.0], [3.0, 0.0])]
)
def test_bad_profiles_raise(knots: list[float], radii: list[float]) -> None:
    with pytest.raises(ValueError, match=r"knots_x_m|radii_m"):
        LavaTube(np.array(knots), np.array(radii))


def test_sdf_matches_the_distance_to_a_dense_sampling_of_the_wall() -> None:
    tube = LavaTube.generate(11, length_m=24.0, axis_y_m=1.0, axis_z_m=-2.0)
    # The wall sampled every ~2 cm along x and around, including the level continuations.
    x = np.linspace(-6.0, 30.0, 1801)
    angle = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    r = tube.radius_at(x)
    wall = np.stack(
        [
            np.repeat(x, angle.size),
            1.0 + np.outer(r, np.cos(angle)).ravel(),
            -2.0 + np.outer(r, np.sin(angle)).ravel(),
        ],
        axis=1,
    )
    rng = np.random.default_rng(2)
    queries = np.column_stack(
        [rng.uniform(-2.0, 26.0, 60), rng.uniform(-9.0, 11.0, 60), rng.uniform(-12.0, 8.0, 60)]
    )
    sdf = tube.sdf(queries)
    for q, s in zip(queries, sdf, strict=True):
        nearest = np.sqrt(((wall - q) ** 2).sum(axis=1)).min()
        # The sampled wall is at most ~half a sample spacing (<= 5 cm) farther than the wall.
        assert abs(s) == pytest.approx(nearest, abs=0.05)
        assert nearest >= abs(s) - 1e-9
    inside = np.hypot(queries[:, 1] - 1.0, queries[:, 2] + 2.0) < tube.radius_at(queries[:, 0])
    np.testing.assert_array_equal(sdf < 0, inside)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    x=st.floats(-10.0, 70.0),
    radial=st.floats(0.0, 0.95),
    angle=st.floats(0.0, 2 * np.pi),
)
def test_ray_casts_cross_void_and_land_on_the_wall(
    seed: int, x: float, radial: float, angle: float
) -> None:
    tube = LavaTube.generate(seed, axis_y_m=3.0, axis_z_m=1.0)
    rho = radial * float(tube.radius_at(x))
    origin = np.array([x, 3.0 + rho * np.cos(angle), 1.0 + rho * np.sin(angle)])
    directions = np.random.default_rng(seed).normal(size=(200, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    ranges = tube.raycast(origin, directions, 1e4)
    hit = np.isfinite(ranges)
    assert hit.mean() > 0.9  # only rays within a few degrees of the axis escape
    points = origin + directions[hit] * ranges[hit, None]
    np.testing.assert_allclose(tube.sdf(points), 0.0, atol=1e-7)
    # Nothing but void before the hit.
    for fraction in (0.1, 0.5, 0.9, 0.999):
        assert np.all(tube.sdf(origin + directions[hit] * (fraction * ranges[hit, None])) < 0)


@st.composite
def tubes(draw: st.DrawFn) -> LavaTube:
    n = draw(st.integers(2, 10))
    spacing = draw(st.lists(st.floats(0.3, 10.0), min_size=n - 1, max_size=n - 1))
    x0 = draw(st.floats(-20.0, 20.0))
    knots = x0 + np.concatenate([[0.0], np.cumsum(spacing)])
    radii = np.array(draw(st.lists(st.floats(0.5, 10.0), min_size=n, max_size=n)))
    return LavaTube(knots, radii, draw(st.floats(-5.0, 5.0)), draw(st.floats(-5.0, 5.0)))


@settings(max_examples=150, deadline=None)
@given(
    tube=tubes(),
    along=st.floats(-0.3, 1.3),
    radial=st.floats(0.0, 1.5),  # > 1: from the rock
    angle=st.floats(0.0, 2 * np.pi),
    ray_seed=st.integers(0, 2**32 - 1),
    max_range_m=st.floats(0.5, 100.0),
)
def test_the_core_caster_equals_the_numpy_reference(
    tube: LavaTube, along: float, radial: float, angle: float, ray_seed: int, max_range_m: float
) -> None:
    # Not from the wall itself: a ray grazing out of it into the rock is met by the wall at
    # once or never, as rounding falls (the caster says at the next knot, the reference never).
    assume(abs(radial - 1.0) > 1e-6)
    x = float(tube.knots_x_m[0]) + along * tube.length_m
    rho = radial * float(tube.radius_at(x))
    origin = np.array([x, tube.axis_y_m + rho * np.cos(angle), tube.axis_z_m + rho * np.sin(angle)])
    directions = np.random.default_rng(ray_seed).normal(size=(300, 3))
    # Rays along and across the axis, and nearly so.
    directions[:6] = np.array(
        [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, 0, -1], [1, 1e-7, 0], [-1, 0, 1e-5]], np.float64
    )
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    got = tube.raycast(origin, directions, max_range_m)
    want = numpy_raycast(tube, origin, directions, max_range_m)
    assert got.shape == (300,)
    # Hits and misses agree but where the hit is within rounding of max_range_m itself. (Not
    # beyond ~100 m: the reference's linear shortcut for |qa| < 1e-12 is wrong for rays within
    # 1e-6 rad of the axis, whose hits lie 1e5 m and more away.)
    nearby = numpy_raycast(tube, origin, directions, 2.0 * max_range_m)
    at_the_limit = np.abs(nearby - max_range_m) < 1e-9
    np.testing.assert_array_equal(np.isinf(got)[~at_the_limit], np.isinf(want)[~at_the_limit])
    finite = np.isfinite(want) & np.isfinite(got)
    np.testing.assert_allclose(got[finite], want[finite], rtol=0.0, atol=1e-9)


def test_raycast_takes_any_float_layout_and_rejects_bad_shapes() -> None:
    tube = LavaTube.generate(3)
    dirs = np.asfortranarray(spherical_directions(30.0, 30.0))
    want = numpy_raycast(tube, (30.0, 0.0, 0.0), dirs, 20.0)
    got = tube.raycast([30, 0, 0], dirs.astype(np.float32).astype(np.float64), 20.0)
    np.testing.assert_allclose(got, want, atol=1e-9)
    np.testing.assert_allclose(tube.raycast((30.0, 0.0, 0.0), dirs.tolist(), 20.0), want)
    assert tube.raycast((30.0, 0.0, 0.0), dirs[0], 20.0).shape == (1,)
    with pytest.raises(ValueError, match="reshape"):
        tube.raycast((30.0, 0.0, 0.0), np.ones((4, 2)), 20.0)


def test_rays_along_the_axis_and_beyond_max_range_return_nothing() -> None:
    tube = LavaTube.generate(1)
    dirs = np.array([[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    ranges = tube.raycast((30.0, 0.0, 0.0), dirs, 50.0)
    assert np.isinf(ranges[:2]).all()
    assert ranges[2] == pytest.approx(tube.radius_at(30.0))
    assert np.isinf(tube.raycast((30.0, 0.0, 0.0), dirs[2:], 0.5 * float(tube.radius_at(30.0))))


def test_scan_returns_wall_points_and_no_returns_beyond_range() -> None:
    tube = LavaTube.generate(4)
    origin = np.array([30.0, 0.0, 0.0])
    dirs = spherical_directions(10.0, 10.0)
    assert np.allclose(np.linalg.norm(dirs, axis=1), 1.0)
    points = tube.scan(origin, dirs, 12.0, 0.01, np.random.default_rng(0))
    ranges = np.linalg.norm(points - origin, axis=1)
    no_return = np.isclose(ranges, 24.0)
    assert 0 < no_return.sum() < dirs.shape[0] // 2
    assert np.abs(tube.sdf(points[~no_return])).max() < 0.06  # 1 cm noise, 6 sigma


def test_voxelise_marks_rock_by_the_sign_of_the_sdf_at_voxel_centres() -> None:
    tube = LavaTube.generate(9, length_m=12.0)
    grid = VoxelGrid((-1.0, -8.5, -8.5), 0.5, (34, 34, 28))
    rock = tube.voxelise(grid)
    assert rock.shape == grid.shape
    centres = grid.centers_m(np.argwhere(np.ones(grid.shape, bool)))
    np.testing.assert_array_equal(rock.ravel(), tube.sdf(centres) > 0)
    assert 0.2 < rock.mean() < 0.9
