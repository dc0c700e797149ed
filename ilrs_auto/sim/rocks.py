"""Rocks the orbital DEM cannot show, placed with a realistic size-frequency distribution.

Golombek & Rapp (1997, JGR 102(E2)) model of rock populations on planetary surfaces: the
cumulative fractional area covered by rocks of diameter >= D is

    F_k(D) = k * exp(-q(k) * D),   q(k) = 1.79 + 0.152 / k,

with k the total fractional area covered by rocks. The number of rocks per square metre with
diameters in [D, D + dD] is therefore n(D) dD = q k exp(-q D) / (pi D^2 / 4) dD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto.geometry import GridGeometry

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RockField:
    """Rocks as parallel arrays (site frame, metres)."""

    x_m: FloatArray
    y_m: FloatArray
    diameter_m: FloatArray
    height_m: FloatArray

    def __len__(self) -> int:
        return int(self.x_m.size)

    def nearest(self, x_m: float, y_m: float) -> tuple[int, float]:
        """Index of the rock whose edge is closest to (x, y), and that edge distance."""
        if len(self) == 0:
            return -1, float("inf")
        edge = np.hypot(self.x_m - x_m, self.y_m - y_m) - self.diameter_m / 2
        i = int(np.argmin(edge))
        return i, float(max(edge[i], 0.0))


def golombek_q(k: float) -> float:
    return 1.79 + 0.152 / k


def expected_rock_density(k: float, d_min_m: float, d_max_m: float) -> float:
    """Rocks per square metre with diameters in [d_min_m, d_max_m]."""
    if k <= 0.0:
        return 0.0
    d, pdf = _number_density(k, d_min_m, d_max_m)
    return float(np.trapezoid(pdf, d))


def _number_density(k: float, d_min_m: float, d_max_m: float) -> tuple[FloatArray, FloatArray]:
    q = golombek_q(k)
    d = np.geomspace(d_min_m, d_max_m, 4001)  # dense where the 1/D^2 density is steep
    return d, q * k * np.exp(-q * d) / (np.pi * d * d / 4.0)


def place_rocks(
    rng: np.random.Generator,
    bounds_m: tuple[float, float, float, float],
    k: float,
    d_min_m: float,
    d_max_m: float,
    height_ratio: float,
    keep_clear: list[tuple[float, float, float]] | None = None,
) -> RockField:
    """Draws rocks in ``bounds_m`` = (x0, y0, x1, y1): a Poisson number of them, diameters by
    inverting the cumulative number distribution, no rock overlapping a (x, y, radius) circle
    of ``keep_clear``."""
    x0, y0, x1, y1 = bounds_m
    area = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    empty = np.empty(0)
    if k <= 0.0 or area == 0.0:
        return RockField(empty, empty, empty, empty)
    d, pdf = _number_density(k, d_min_m, d_max_m)
    cdf = np.concatenate([[0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2 * np.diff(d))])
    count = int(rng.poisson(cdf[-1] * area))
    diameters = np.interp(rng.uniform(0.0, cdf[-1], count), cdf, d)
    xs = rng.uniform(x0, x1, count)
    ys = rng.uniform(y0, y1, count)
    keep = np.ones(count, bool)
    for cx, cy, radius in keep_clear or []:
        keep &= np.hypot(xs - cx, ys - cy) - diameters / 2 > radius
    diameters = diameters[keep]
    return RockField(xs[keep], ys[keep], diameters, diameters * height_ratio)


def rasterize_rocks(
    ground_m: npt.NDArray[np.float32], geometry: GridGeometry, rocks: RockField
) -> npt.NDArray[np.float32]:
    """Ground plus rocks: each rock a half-ellipsoid (radius D/2, given height) on the ground
    under its centre, cells taking the highest surface at their centre."""
    heights: npt.NDArray[np.float32] = ground_m.copy()
    res = geometry.resolution_m
    for x, y, diameter, height in zip(
        rocks.x_m, rocks.y_m, rocks.diameter_m, rocks.height_m, strict=True
    ):
        radius = diameter / 2
        c0 = max(0, int(np.floor((x - radius) / res)))
        c1 = min(geometry.cols, int(np.ceil((x + radius) / res)) + 1)
        r0 = max(0, int(np.floor((y - radius) / res)))
        r1 = min(geometry.rows, int(np.ceil((y + radius) / res)) + 1)
        if c0 >= c1 or r0 >= r1:
            continue
        cx = (np.arange(c0, c1) + 0.5) * res - x
        cy = (np.arange(r0, r1) + 0.5) * res - y
        rr = (cy[:, None] ** 2 + cx[None, :] ** 2) / (radius * radius)
        inside = rr < 1.0
        if not inside.any():
            # A rock smaller than a cell still shows in the cell holding its centre.
            row, col = int(y // res), int(x // res)
            if 0 <= row < geometry.rows and 0 <= col < geometry.cols:
                heights[row, col] = max(heights[row, col], ground_m[row, col] + height)
            continue
        base = ground_m[
            min(max(int(y // res), 0), geometry.rows - 1),
            min(max(int(x // res), 0), geometry.cols - 1),
        ]
        top = (base + height * np.sqrt(np.clip(1.0 - rr, 0.0, 1.0))).astype(np.float32)
        block = heights[r0:r1, c0:c1]
        np.copyto(block, np.maximum(block, top), where=inside)
    return heights
