"""A generated lava tube: the world model of a tube section for simulation and tests.

The tube runs along +x with its axis at ``(axis_y_m, axis_z_m)`` (site frame, metres). Its
cross-section is a circle whose radius varies piecewise linearly between knots: a chain of
conical frusta ("cylinder sections"), the radii drawn from a seed. Beyond the first and last
knot the end radii continue, so the tube has no end walls: a sensor sees only as far as its
range.

The wall is a surface of revolution, so the distance from a point to it equals the distance,
in the point's meridian half-plane (u = x, v = distance from the axis), to the radius profile
polyline: :meth:`LavaTube.sdf` is exact. Ray casting (:meth:`LavaTube.raycast`) solves each
frustum's quadric analytically in the C++ core (``cpp/include/ilrs/sim/tube_raycast.h``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.perception.voxels import VoxelGrid

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class LavaTube:
    knots_x_m: FloatArray  # increasing
    radii_m: FloatArray  # radius at each knot, > 0
    axis_y_m: float = 0.0
    axis_z_m: float = 0.0

    def __post_init__(self) -> None:
        x, r = np.asarray(self.knots_x_m), np.asarray(self.radii_m)
        if x.ndim != 1 or x.shape != r.shape or x.size < 2:
            raise ValueError(
                f"knots_x_m and radii_m must be 1D of equal length >= 2, got {x.shape}, {r.shape}"
            )
        if not np.all(np.diff(x) > 0.0):
            raise ValueError("knots_x_m must be strictly increasing")
        if not np.all(r > 0.0):
            raise ValueError("radii_m must be > 0")

    @classmethod
    def generate(
        cls,
        seed: int,
        length_m: float = 60.0,
        knot_spacing_m: float = 6.0,
        min_radius_m: float = 3.0,
        max_radius_m: float = 8.0,
        axis_y_m: float = 0.0,
        axis_z_m: float = 0.0,
    ) -> LavaTube:
        """A tube from x = 0 to ``length_m`` with a knot every ``knot_spacing_m`` and radii drawn
        uniformly in [min_radius_m, max_radius_m], the same for the same seed."""
        if not 0.0 < min_radius_m <= max_radius_m:
            raise ValueError(
                f"need 0 < min_radius_m <= max_radius_m, got {min_radius_m}, {max_radius_m}"
            )
        n = max(2, round(length_m / knot_spacing_m) + 1)
        rng = np.random.default_rng(seed)
        return cls(
            np.linspace(0.0, length_m, n),
            rng.uniform(min_radius_m, max_radius_m, n),
            axis_y_m,
            axis_z_m,
        )

    @property
    def length_m(self) -> float:
        return float(self.knots_x_m[-1] - self.knots_x_m[0])

    def radius_at(self, x_m: npt.ArrayLike) -> FloatArray:
        r: FloatArray = np.interp(np.asarray(x_m, np.float64), self.knots_x_m, self.radii_m)
        return r

    def _meridian(self, points_xyz_m: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        p = np.asarray(points_xyz_m, np.float64).reshape(-1, 3)
        return p[:, 0], np.hypot(p[:, 1] - self.axis_y_m, p[:, 2] - self.axis_z_m)

    def sdf(self, points_xyz_m: npt.ArrayLike) -> FloatArray:
        """Signed distance (metres) from (N, 3) points to the wall: < 0 in the tube's void,
        > 0 in the rock."""
        u, v = self._meridian(points_xyz_m)
        # Distance to each segment of the profile (u_k, r_k) - (u_k+1, r_k+1) ...
        u0, u1 = self.knots_x_m[:-1], self.knots_x_m[1:]
        r0, r1 = self.radii_m[:-1], self.radii_m[1:]
        du, dr = u1 - u0, r1 - r0
        best = np.full(u.shape, np.inf)
        for k in range(u0.size):
            t = np.clip(
                ((u - u0[k]) * du[k] + (v - r0[k]) * dr[k]) / (du[k] ** 2 + dr[k] ** 2), 0.0, 1.0
            )
            best = np.minimum(best, np.hypot(u - u0[k] - t * du[k], v - r0[k] - t * dr[k]))
        # ... and to the level continuations beyond both ends.
        before = np.where(u < u0[0], np.abs(v - r0[0]), np.hypot(u - u0[0], v - r0[0]))
        after = np.where(u > u1[-1], np.abs(v - r1[-1]), np.hypot(u - u1[-1], v - r1[-1]))
        best = np.minimum(best, np.minimum(before, after))
        sdf: FloatArray = np.where(v < self.radius_at(u), -best, best)
        return sdf

    def voxelise(self, grid: VoxelGrid) -> npt.NDArray[np.bool_]:
        """(layers, rows, cols) mask of the voxels whose centre lies in rock (outside the tube)."""
        layers, rows, cols = grid.shape
        x0, y0, z0 = grid.origin_m
        res = grid.resolution_m
        x = x0 + (np.arange(cols) + 0.5) * res
        y = y0 + (np.arange(rows) + 0.5) * res - self.axis_y_m
        z = z0 + (np.arange(layers) + 0.5) * res - self.axis_z_m
        rho = np.hypot(y[None, :, None], z[:, None, None])
        rock: npt.NDArray[np.bool_] = rho > self.radius_at(x)[None, None, :]
        return rock

    def raycast(
        self, origin_m: npt.ArrayLike, directions: npt.ArrayLike, max_range_m: float
    ) -> FloatArray:
        """Range (metres) along each of (N, 3) unit ``directions`` from ``origin_m`` (inside the
        tube) to the wall; +inf where the wall is farther than ``max_range_m``.

        Exact (the C++ core solves each frustum's quadric): a hit at exactly ``max_range_m``
        counts; a ray from the rock returns where it enters the void; a ray leaving along an
        open end has no hit."""
        o = np.asarray(origin_m, np.float64).reshape(3)
        d = np.ascontiguousarray(np.asarray(directions, np.float64).reshape(-1, 3))
        ranges: FloatArray = _core.cast_tube_rays(
            np.asarray(self.knots_x_m, np.float64),
            np.asarray(self.radii_m, np.float64),
            float(self.axis_y_m),
            float(self.axis_z_m),
            o,
            d,
            float(max_range_m),
        )
        return ranges

    def scan(
        self,
        origin_m: npt.ArrayLike,
        directions: npt.ArrayLike,
        max_range_m: float,
        range_sigma_m: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> FloatArray:
        """A range sensor's (N, 3) points: wall hits with Gaussian range noise, and for rays
        without a return within ``max_range_m`` a point at twice that range along the ray, which
        an occupancy map clears up to its max range without marking a hit."""
        o = np.asarray(origin_m, np.float64).reshape(3)
        d = np.asarray(directions, np.float64).reshape(-1, 3)
        ranges = self.raycast(o, d, max_range_m)
        hit = np.isfinite(ranges)
        if range_sigma_m > 0.0:
            noise = (rng or np.random.default_rng()).normal(0.0, range_sigma_m, ranges.shape)
            ranges = np.where(hit, ranges + noise, ranges)
        ranges = np.where(hit, ranges, 2.0 * max_range_m)
        points: FloatArray = o + d * ranges[:, None]
        return points


def spherical_directions(
    azimuth_step_deg: float, elevation_step_deg: float, max_elevation_deg: float = 80.0
) -> FloatArray:
    """(N, 3) unit directions of a spinning lidar: azimuths all round, elevations from
    -max_elevation_deg to +max_elevation_deg."""
    az = np.radians(np.arange(0.0, 360.0, azimuth_step_deg))
    n_el = math.floor(2 * max_elevation_deg / elevation_step_deg) + 1
    el = np.radians(np.linspace(-max_elevation_deg, max_elevation_deg, n_el))
    a, e = np.meshgrid(az, el)
    dirs: FloatArray = np.stack(
        [np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1
    ).reshape(-1, 3)
    return dirs
