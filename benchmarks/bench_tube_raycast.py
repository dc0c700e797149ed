"""Lava-tube ray casting benchmark: rays per second of the C++ tube caster (what
``LavaTube.raycast`` runs) against the numpy analytic solution it replaced, on one core.

    python benchmarks/bench_tube_raycast.py
    python benchmarks/bench_tube_raycast.py --rays 65536 --repeat 5

Workload: the tube of the shipped lava-tube scenario (sim_assets/scenarios/ilrs2_lava_tube.yaml:
80 m, a knot every 6 m, radius 3.5-6 m, seed 11, built as the mission builds it), --rays unit
directions drawn uniformly on the sphere, cast from inside (seeded origins spread along the tube
within 0.8 of the local radius), at the scenario's 15 m sensor range and without a range limit.
The peer is the frusta's quadrics solved with numpy for all rays at once (every frustum per ray,
as ``LavaTube.raycast`` did before the C++ core). Before any ratio is printed the two must agree:
the same hits and misses, and ranges within 1e-9 m. Times are the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
from timing import best_of

from ilrs_auto.sim.lava_tube import FloatArray, LavaTube
from ilrs_auto.sim.tube_mission import build_tube_world, load_tube_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "sim_assets/scenarios/ilrs2_lava_tube.yaml"


def numpy_raycast(
    tube: LavaTube, origin_m: npt.ArrayLike, directions: FloatArray, max_range_m: float
) -> FloatArray:
    """The peer: every frustum's quadric for every ray, the smallest root in its frustum."""
    o = np.asarray(origin_m, np.float64).reshape(3)
    x_lo = np.concatenate([[-np.inf], tube.knots_x_m])
    x_hi = np.concatenate([tube.knots_x_m, [np.inf]])
    x_k = np.concatenate([[tube.knots_x_m[0]], tube.knots_x_m])
    a = np.concatenate([[tube.radii_m[0]], tube.radii_m])
    slope = np.concatenate([[0.0], np.diff(tube.radii_m) / np.diff(tube.knots_x_m), [0.0]])
    oy, oz = o[1] - tube.axis_y_m, o[2] - tube.axis_z_m
    dx, dy, dz = directions[:, 0:1], directions[:, 1:2], directions[:, 2:3]
    ra = a + slope * (o[0] - x_k)
    rb = slope * dx
    qa = dy * dy + dz * dz - rb * rb
    qb = 2.0 * (oy * dy + oz * dz - ra * rb)
    qc = oy * oy + oz * oz - ra * ra
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        disc = qb * qb - 4.0 * qa * qc
        sq = np.sqrt(np.maximum(disc, 0.0))
        quadratic = np.abs(qa) > 1e-12
        best = np.full(directions.shape[0], np.inf)
        for t in (
            np.where(quadratic, (-qb - sq) / (2.0 * qa), -qc / qb),
            np.where(quadratic, (-qb + sq) / (2.0 * qa), np.nan),
        ):
            x = o[0] + t * dx
            ok = (t > 1e-9) & (disc >= 0.0) & (x >= x_lo) & (x <= x_hi) & (ra + rb * t > 0.0)
            best = np.minimum(best, np.where(ok, t, np.inf).min(axis=1))
    best[best > max_range_m] = np.inf
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rays", type=int, default=65536)
    parser.add_argument("--origins", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    scenario = load_tube_scenario(SCENARIO)
    tube = build_tube_world(scenario).tube
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(args.rays, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    xs = rng.uniform(tube.knots_x_m[0], tube.knots_x_m[-1], args.origins)
    rho = 0.8 * np.sqrt(rng.uniform(0.0, 1.0, args.origins)) * tube.radius_at(xs)
    phi = rng.uniform(0.0, 2 * np.pi, args.origins)
    origins = np.column_stack(
        [xs, tube.axis_y_m + rho * np.cos(phi), tube.axis_z_m + rho * np.sin(phi)]
    )
    print(
        f"tube: {tube.length_m:g} m, {tube.knots_x_m.size} knots, radius "
        f"{tube.radii_m.min():.2f}-{tube.radii_m.max():.2f} m; {args.rays} rays from each of "
        f"{args.origins} origins; best of {args.repeat}"
    )
    for max_range_m in (scenario.robot.sensor_range_m, math.inf):
        hits = 0
        for origin in origins:
            got = tube.raycast(origin, directions, max_range_m)
            want = numpy_raycast(tube, origin, directions, max_range_m)
            same_hits = np.array_equal(np.isinf(got), np.isinf(want))
            finite = np.isfinite(want)
            if not same_hits or np.abs(got[finite] - want[finite]).max(initial=0.0) > 1e-9:
                raise SystemExit(f"disagreement from origin {origin} at {max_range_m} m")
            hits += int(finite.sum())

        def ours(r: float = max_range_m) -> object:
            return [tube.raycast(o, directions, r) for o in origins]

        def peer(r: float = max_range_m) -> object:
            return [numpy_raycast(tube, o, directions, r) for o in origins]

        t_ours, t_peer = best_of(args.repeat, ours), best_of(args.repeat, peer)
        total = args.rays * args.origins
        print(
            f"max range {max_range_m:g} m ({100.0 * hits / total:.1f} % hits, agree to 1e-9 m): "
            f"C++ {total / t_ours / 1e6:.2f} M rays/s, numpy {total / t_peer / 1e6:.3f} M rays/s, "
            f"ratio {t_peer / t_ours:.1f}x"
        )


if __name__ == "__main__":
    main()
