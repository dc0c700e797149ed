"""Perception benchmark: hazard layers + costmap on a 2048 x 2048 DEM, and fusing a 640 x 480
depth frame into the elevation map, against peers written here, on one core.

    python benchmarks/bench_perception.py
    python benchmarks/bench_perception.py --repeat 5

(a) Hazard layers (slope, RMS roughness, step = range of residuals to the cell's plane, belly =
highest terrain above the plane through the footprint's corner cells) and the costmap over the
whole 2048 x 2048 grid: the LOLA Shoemaker tile (256 x 256 at 5 m) resized
with cv2.resize to 2048 x 2048 and treated as 0.5 m cells, with Gaussian rocks, 1 cm noise and
unknown (NaN) patches, at the default HazardConfig (0.75 m footprint: 5 x 5 windows). Peers:
  - numpy/scipy: window moments by scipy.ndimage.correlate, the plane solved per cell in numpy,
    roughness, step and belly from the residuals at each of the 25 window offsets (shifted
    arrays), the wheel planes from edge-padded corner arrays;
  - OpenCV: window moments by cv2.boxFilter / cv2.filter2D (float64, zero border), roughness
    from the moments in closed form, step and belly from cv2.subtract / cv2.min / cv2.max over
    the 25 shifted residual images. Exact, not an approximation.
Both peers compute the cost with the same numpy expression. All three results must agree
(same unknown and lethal cells, values within float tolerance) before any ratio is printed.

(b) One 640 x 480 depth frame (90 degree camera 1.5 m up, pitched 30 degrees down at rocky
ground, max range 10 m) fused into a 512 x 512 map of 5 cm cells: ours
(ElevationMap.fuse_depth: back-projection, highest point per cell, range-dependent variance,
Kalman update) against the same fusion in numpy, which must give the same map. And the
stereo step it follows: cv2.StereoSGBM on the Middlebury Cones pair resized to 640 x 480
(128 disparities, 5 x 5 blocks).

(c) The rover-centred rolling window: a 400 x 400 map of 5 cm cells (20 x 20 m, the default
0.75 m footprint: 31 x 31 windows) moved 1 m north-east. Ours: ElevationMap.move_origin (in
place) and TraversabilityMap.shift (layers shifted in place, only the edge bands recomputed).
Peers: numpy re-windowing (new NaN/inf arrays, overlap copied) and a full hazard recompute
after the move; the shifted layers must equal the full recompute bit for bit.

(d) Beside each time, the bytes the work must touch divided by the memory bandwidth measured
in this run (a 256 MB numpy copy): time / that bound says how far from memory-bound it is.

Every time is the best of --repeat runs (3 by default; the fusion ones of 3 x --repeat).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage  # type: ignore[import-untyped]
from timing import best_of

from ilrs_auto.assets import assets_dir
from ilrs_auto.geometry import Region
from ilrs_auto.perception import CameraPose, ElevationMap, PinholeCamera
from ilrs_auto.perception.elevation import FusionConfig
from ilrs_auto.perception.traversability import HazardConfig, TraversabilityMap
from ilrs_auto.terrain import read_dem

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Layers = dict[str, F64]

SIZE = 2048
RESOLUTION_M = 0.5
MIDDLEBURY = Path(__file__).resolve().parent.parent / "tests" / "data" / "middlebury_cones"


def memory_bandwidth_bps() -> float:
    """Read + write bytes per second of a 256 MB numpy copy, best of 5."""
    src = np.ones(32 * 1024 * 1024, np.float64)
    dst = np.empty_like(src)
    return 2 * src.nbytes / best_of(5, lambda: np.copyto(dst, src))


# --- (a) hazard layers ------------------------------------------------------------------------


def make_dem(seed: int = 1) -> F32:
    tile = read_dem(assets_dir() / "terrain" / "shoemaker_5mpp.tif").heights_m
    dem = cv2.resize(np.asarray(tile, np.float32), (SIZE, SIZE), interpolation=cv2.INTER_CUBIC)
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    for _ in range(3000):  # rocks: Gaussian bumps 0.1-0.6 m high, 0.5-1.5 m across
        r, c = rng.integers(0, SIZE, 2)
        sigma = rng.uniform(0.5, 1.5)
        r0, r1, c0, c1 = max(0, r - 4), min(SIZE, r + 5), max(0, c - 4), min(SIZE, c + 5)
        d2 = (yy[r0:r1, c0:c1] - r) ** 2 + (xx[r0:r1, c0:c1] - c) ** 2
        dem[r0:r1, c0:c1] += rng.uniform(0.1, 0.6) * np.exp(-d2 / (2 * sigma**2))
    dem += np.asarray(rng.normal(0.0, 0.01, dem.shape), np.float32)
    for _ in range(200):  # unknown patches (shadows), up to 12 x 12 cells
        r, c = rng.integers(0, SIZE - 12, 2)
        h, w = rng.integers(1, 13, 2)
        dem[r : r + h, c : c + w] = np.nan
    return np.ascontiguousarray(dem, np.float32)


def window_kernels(p: int, res: float) -> tuple[F64, F64]:
    dy, dx = np.mgrid[-p : p + 1, -p : p + 1].astype(np.float64) * res
    return dx, dy


def solve_planes(m: dict[str, F64], z0: F64) -> tuple[F64, F64, F64]:
    """Per-cell least-squares plane z - z0 = a x + b y + d from window moments (numpy)."""
    sxx, sxy, sx, syy, sy, n = m["xx"], m["xy"], m["x"], m["yy"], m["y"], m["n"]
    sz = m["z"] - z0 * n
    sxz = m["xz"] - z0 * sx
    syz = m["yz"] - z0 * sy
    c00, c01, c02 = syy * n - sy * sy, sx * sy - sxy * n, sxy * sy - syy * sx
    c11, c12, c22 = sxx * n - sx * sx, sxy * sx - sxx * sy, sxx * syy - sxy * sxy
    det = sxx * c00 + sxy * c01 + sx * c02
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = np.abs(det) > 1e-9 * sxx * syy * n
        a = np.where(ok, (c00 * sxz + c01 * syz + c02 * sz) / det, 0.0)
        b = np.where(ok, (c01 * sxz + c11 * syz + c12 * sz) / det, 0.0)
        d = np.where(ok, (c02 * sxz + c12 * syz + c22 * sz) / det, sz / n)
    return a, b, d


def wheel_planes(z: F64, b: int) -> tuple[F64, F64, F64]:
    """Per-cell plane through the four corner cells of the footprint [r-b, r+b] x [c-b, c+b]
    clipped to the grid (edge-replicated padding clamps the corners), relative to the cell's
    height: rising ax per cell along x, by along y, offset d at the cell (NaN if a corner is)."""
    rows, cols = z.shape
    padded = np.pad(z, b, mode="edge")
    z00 = padded[:rows, :cols]
    z01 = padded[:rows, 2 * b :]
    z10 = padded[2 * b :, :cols]
    z11 = padded[2 * b :, 2 * b :]
    c = np.arange(cols)
    r = np.arange(rows)
    x_lo, x_hi = np.maximum(c - b, 0) - c, np.minimum(c + b, cols - 1) - c
    y_lo, y_hi = np.maximum(r - b, 0) - r, np.minimum(r + b, rows - 1) - r
    width = (x_hi - x_lo).astype(np.float64)[None, :]
    height = (y_hi - y_lo).astype(np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        ax = np.where(width > 0, ((z01 + z11) - (z00 + z10)) / (2 * width), 0.0)
        by = np.where(height > 0, ((z10 + z11) - (z00 + z01)) / (2 * height), 0.0)
    mean = 0.25 * ((z00 + z01) + (z10 + z11)) - z
    d = mean - ax * (0.5 * (x_lo + x_hi))[None, :] - by * (0.5 * (y_lo + y_hi))[:, None]
    return ax, by, d


def assessed_mask(
    z: F32, n: F64, window_cells: F64, min_known_fraction: float
) -> npt.NDArray[np.bool_]:
    return np.isfinite(z) & (n >= min_known_fraction * window_cells) & (n >= 3)


def cost_from_layers(layers: Layers, config: HazardConfig) -> F32:
    s = layers["slope_deg"] / config.max_slope_deg
    g = layers["roughness_m"] / config.max_roughness_m
    t = layers["step_m"] / config.max_step_m
    b = layers["belly_m"] / config.belly_clearance_m
    with np.errstate(invalid="ignore"):
        cost = 1.0 + config.slope_weight * s + config.roughness_weight * g + config.step_weight * t
        cost = cost + config.belly_weight * b
        cost = np.where((s >= 1.0) | (g >= 1.0) | (t >= 1.0) | (b >= 1.0), np.inf, cost)
    return np.where(np.isnan(cost), np.nan, cost).astype(np.float32)


def numpy_hazards(z: F32, p: int, res: float, config: HazardConfig) -> tuple[Layers, F32]:
    """The hazard layers and cost with numpy and scipy.ndimage, float64."""
    known = np.isfinite(z)
    k = known.astype(np.float64)
    z64 = np.where(known, z, 0.0).astype(np.float64)
    dx, dy = window_kernels(p, res)
    ones = np.ones_like(dx)

    def corr(img: F64, kernel: F64) -> F64:
        out: F64 = ndimage.correlate(img, kernel, mode="constant", cval=0.0)
        return out

    m = {
        "n": corr(k, ones),
        "x": corr(k, dx),
        "y": corr(k, dy),
        "xx": corr(k, dx * dx),
        "yy": corr(k, dy * dy),
        "xy": corr(k, dx * dy),
        "z": corr(z64, ones),
        "xz": corr(z64, dx),
        "yz": corr(z64, dy),
    }
    in_map = corr(np.ones_like(k), ones)
    a, b, d = solve_planes(m, z64)
    z_nan = np.where(known, z, np.nan).astype(np.float64)
    wa, wb, wd = wheel_planes(z_nan, p)
    padded = np.pad(z_nan, p, constant_values=np.nan)
    sum_sq = np.zeros_like(z64)
    lo = np.full_like(z64, np.inf)
    hi = np.full_like(z64, -np.inf)
    belly = np.full_like(z64, -np.inf)
    rows, cols = z.shape
    for oy in range(-p, p + 1):
        for ox in range(-p, p + 1):
            shifted = padded[p + oy : p + oy + rows, p + ox : p + ox + cols]
            rel = shifted - z64
            e = rel - (a * (ox * res) + b * (oy * res) + d)
            ok = np.isfinite(e)
            sum_sq += np.where(ok, e * e, 0.0)
            lo = np.where(ok, np.minimum(lo, e), lo)
            hi = np.where(ok, np.maximum(hi, e), hi)
            eb = rel - (wa * ox + wb * oy + wd)
            belly = np.where(np.isfinite(eb), np.maximum(belly, eb), belly)
    ok = assessed_mask(z, m["n"], in_map, config.min_known_fraction)
    with np.errstate(invalid="ignore", divide="ignore"):
        layers = {
            "slope_deg": np.where(ok, np.degrees(np.arctan(np.hypot(a, b))), np.nan),
            "roughness_m": np.where(ok, np.sqrt(sum_sq / m["n"]), np.nan),
            "step_m": np.where(ok, hi - lo, np.nan),
            "belly_m": np.where(ok & np.isfinite(wd), belly, np.nan),
        }
    return layers, cost_from_layers(layers, config)


def opencv_hazards(z: F32, p: int, res: float, config: HazardConfig) -> tuple[Layers, F32]:
    """The hazard layers with OpenCV filters: moments by box filters, exact residual range."""
    border = cv2.BORDER_CONSTANT
    known = np.isfinite(z)
    k = known.astype(np.float64)
    z64 = np.where(known, z, 0.0).astype(np.float64)
    dx, dy = window_kernels(p, res)
    side = (2 * p + 1, 2 * p + 1)

    def box(img: F64) -> F64:
        return np.asarray(
            cv2.boxFilter(img, cv2.CV_64F, side, normalize=False, borderType=border), np.float64
        )

    def filt(img: F64, kernel: F64) -> F64:
        return np.asarray(cv2.filter2D(img, cv2.CV_64F, kernel, borderType=border), np.float64)

    # Heights about one global reference, so the squared moments keep their precision.
    zc = np.where(known, z64 - z64[known].mean(), 0.0)
    m = {
        "n": box(k),
        "x": filt(k, dx),
        "y": filt(k, dy),
        "xx": filt(k, dx * dx),
        "yy": filt(k, dy * dy),
        "xy": filt(k, dx * dy),
        "z": box(zc),
        "xz": filt(zc, dx),
        "yz": filt(zc, dy),
    }
    in_map = box(np.ones_like(k))
    a, b, d = solve_planes(m, zc)
    # Roughness in closed form: the sum of squared residuals about the cell's own height is
    # Szz - a Sxz - b Syz - d Sz at the least-squares plane.
    sz = m["z"] - zc * m["n"]
    sxz = m["xz"] - zc * m["x"]
    syz = m["yz"] - zc * m["y"]
    szz = box(zc * zc) - 2 * zc * m["z"] + zc * zc * m["n"]
    sum_sq = np.maximum(szz - a * sxz - b * syz - d * sz, 0.0)
    # Step: extremes of the residuals over the 25 offsets, with OpenCV arithmetic (float32).
    rows, cols = z.shape
    zf = z.astype(np.float32)
    z_or_max = cv2.copyMakeBorder(
        np.where(known, zf, np.inf).astype(np.float32), p, p, p, p, border, value=float("inf")
    )
    z_or_min = cv2.copyMakeBorder(
        np.where(known, zf, -np.inf).astype(np.float32), p, p, p, p, border, value=float("-inf")
    )
    a32, b32, d32 = (v.astype(np.float32) for v in (a, b, d))
    # Belly: wheel planes from the edge-replicated corners, then the highest residual above
    # them over the same offsets.
    wa, wb, wd = wheel_planes(np.where(known, z64, np.nan), p)
    wa32, wb32, wd32 = (v.astype(np.float32) for v in (wa, wb, np.nan_to_num(wd)))
    lo = np.full(z.shape, np.inf, np.float32)
    hi = np.full(z.shape, -np.inf, np.float32)
    belly = np.full(z.shape, -np.inf, np.float32)
    for oy in range(-p, p + 1):
        for ox in range(-p, p + 1):
            plane = cv2.add(cv2.addWeighted(a32, ox * res, b32, oy * res, 0.0), d32)
            rel_lo = cv2.subtract(z_or_max[p + oy : p + oy + rows, p + ox : p + ox + cols], zf)
            rel_hi = cv2.subtract(z_or_min[p + oy : p + oy + rows, p + ox : p + ox + cols], zf)
            lo = np.asarray(cv2.min(lo, cv2.subtract(rel_lo, plane)), np.float32)
            hi = np.asarray(cv2.max(hi, cv2.subtract(rel_hi, plane)), np.float32)
            wheel = cv2.add(cv2.addWeighted(wa32, float(ox), wb32, float(oy), 0.0), wd32)
            belly = np.asarray(cv2.max(belly, cv2.subtract(rel_hi, wheel)), np.float32)
    ok = assessed_mask(z, m["n"], in_map, config.min_known_fraction)
    with np.errstate(invalid="ignore", divide="ignore"):
        layers = {
            "slope_deg": np.where(ok, np.degrees(np.arctan(np.hypot(a, b))), np.nan),
            "roughness_m": np.where(ok, np.sqrt(sum_sq / m["n"]), np.nan),
            "step_m": np.where(ok, (hi - lo).astype(np.float64), np.nan),
            "belly_m": np.where(ok & np.isfinite(wd), belly.astype(np.float64), np.nan),
        }
    return layers, cost_from_layers(layers, config)


def check_agreement(
    name: str, ours: TraversabilityMap, layers: Layers, cost: F32, config: HazardConfig
) -> None:
    tol = {"slope_deg": 1e-3, "roughness_m": 1e-4, "step_m": 1e-4, "belly_m": 1e-4}
    for layer, atol in tol.items():
        got = getattr(ours, layer)
        if not np.array_equal(np.isnan(got), np.isnan(layers[layer])):
            raise SystemExit(f"{name}: unknown cells of {layer} differ")
        if not np.allclose(got, layers[layer], rtol=1e-4, atol=atol, equal_nan=True):
            worst = np.nanmax(np.abs(got - layers[layer]))
            raise SystemExit(f"{name}: {layer} differs by up to {worst}")
    if not np.array_equal(np.isnan(ours.cost), np.isnan(cost)):
        raise SystemExit(f"{name}: unknown costs differ")
    # A cell may be lethal on one side only if one of its layers sits on a limit (tolerance).
    differ = np.isinf(ours.cost) != np.isinf(cost)
    near = np.zeros_like(differ)
    for layer, limit in (
        ("slope_deg", config.max_slope_deg),
        ("roughness_m", config.max_roughness_m),
        ("step_m", config.max_step_m),
        ("belly_m", config.belly_clearance_m),
    ):
        near |= np.abs(getattr(ours, layer) - limit) <= 1e-3 * limit
    if np.any(differ & ~near):
        raise SystemExit(f"{name}: lethal cells differ away from the limits")
    both = np.isfinite(ours.cost) & np.isfinite(cost)
    if not np.allclose(ours.cost[both], cost[both], rtol=1e-3):
        raise SystemExit(f"{name}: costs differ")


# --- (b) depth fusion -------------------------------------------------------------------------

MAP_CELLS = 512
MAP_RES_M = 0.05


def ground_height(x: F64, y: F64) -> F64:
    out: F64 = (
        0.05 * np.sin(0.7 * x)
        + 0.04 * np.cos(0.9 * y)
        + 0.15 * np.exp(-((x - 15.0) ** 2 + (y - 13.5) ** 2) / 0.3)
    )
    return out


def make_depth(camera: PinholeCamera, pose: CameraPose, seed: int = 2) -> F32:
    """Depth of a gently undulating ground with a rock, by marching each pixel's ray."""
    u, v = np.meshgrid(np.arange(camera.width_px), np.arange(camera.height_px))
    rays = np.stack(
        [(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones(u.shape)], -1
    )
    dirs = rays @ pose.rotation.T  # map-frame direction per unit depth
    depth = np.full(u.shape, np.nan)
    prev = np.zeros(u.shape)
    for t in np.linspace(0.05, 10.0, 400):
        pts = pose.position_m + t * dirs
        below = (pts[..., 2] <= ground_height(pts[..., 0], pts[..., 1])) & np.isnan(depth)
        depth[below] = 0.5 * (t + prev[below])
        prev[:] = t
    rng = np.random.default_rng(seed)
    depth += rng.normal(0.0, 0.002, depth.shape) * depth
    return depth.astype(np.float32)


def numpy_fuse(
    height: F32,
    variance: F32,
    max_height: F32,
    depth: F32,
    camera: PinholeCamera,
    pose: CameraPose,
    fusion: FusionConfig,
) -> None:
    """The elevation map's fusion of one depth frame in numpy, in place."""
    rows, cols = height.shape
    v, u = np.nonzero(np.isfinite(depth) & (depth > 0))
    d = depth[v, u].astype(np.float64)
    cam = np.stack([(u - camera.cx) / camera.fx * d, (v - camera.cy) / camera.fy * d, d], -1)
    pts = (cam @ pose.rotation.T + pose.position_m).astype(np.float32)
    col = np.floor(pts[:, 0] / MAP_RES_M)
    row = np.floor(pts[:, 1] / MAP_RES_M)
    inside = (col >= 0) & (row >= 0) & (col < cols) & (row < rows)
    pts, cell = pts[inside], (row[inside] * cols + col[inside]).astype(np.int64)
    order = np.lexsort((pts[:, 2], cell))  # by cell, then height: the last of a cell is its top
    cell, pts = cell[order], pts[order]
    last = np.r_[cell[1:] != cell[:-1], True]
    cell, top = cell[last], pts[last]
    rng = np.sqrt(((top.astype(np.float64) - pose.position_m) ** 2).sum(axis=1)).astype(np.float32)
    sigma = fusion.noise_floor_m + fusion.noise_per_range2 * rng.astype(np.float64) ** 2
    meas = sigma * sigma
    h, var, mx = height.reshape(-1), variance.reshape(-1), max_height.reshape(-1)
    z = top[:, 2].astype(np.float64)
    prior = var[cell].astype(np.float64)
    fresh = np.isinf(prior) | np.isnan(h[cell])
    with np.errstate(invalid="ignore"):
        fused = (prior * z + meas * h[cell]) / (prior + meas)
        fused_var = prior * meas / (prior + meas)
    h[cell] = np.where(fresh, z, fused)
    var[cell] = np.maximum(np.where(fresh, meas, fused_var), 1e-6)
    mx[cell] = np.where(np.isnan(mx[cell]), z, np.maximum(mx[cell], z))


def sgbm_pair() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    size = (640, 480)
    images = []
    for name in ("left.tif", "right.tif"):
        image = cv2.imread(str(MIDDLEBURY / name), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise SystemExit(f"cannot read {MIDDLEBURY / name}")
        resized = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)
        images.append(np.asarray(resized, np.uint8))
    return images[0], images[1]


# --- Report -----------------------------------------------------------------------------------


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    bandwidth = memory_bandwidth_bps()
    print(f"memory bandwidth (numpy copy, read + write): {bandwidth / 1e9:.1f} GB/s; one core")

    # (a) hazard layers + costmap
    config = HazardConfig()
    dem = make_dem()
    ours = TraversabilityMap(dem, RESOLUTION_M, config)
    p = ours.reach_cells
    whole = Region(0, 0, SIZE, SIZE)
    t_ours = best_of(args.repeat, lambda: ours.update(whole))
    t_numpy = best_of(args.repeat, lambda: numpy_hazards(dem, p, RESOLUTION_M, config))
    t_cv = best_of(args.repeat, lambda: opencv_hazards(dem, p, RESOLUTION_M, config))
    np_layers, np_cost = numpy_hazards(dem, p, RESOLUTION_M, config)
    cv_layers, cv_cost = opencv_hazards(dem, p, RESOLUTION_M, config)
    check_agreement("numpy/scipy", ours, np_layers, np_cost, config)
    check_agreement("OpenCV", ours, cv_layers, cv_cost, config)
    # Least traffic: read the DEM, write slope, roughness, step, belly and cost (float32 each).
    hazard_bound = SIZE * SIZE * 4 * 6 / bandwidth
    print(
        f"\n(a) hazard layers + costmap, {SIZE} x {SIZE}, {2 * p + 1} x {2 * p + 1} windows, "
        f"{np.isnan(dem).mean():.1%} unknown; all three agree"
    )
    print(
        f"    memory bound (read DEM, write 5 layers = {SIZE * SIZE * 24 / 1e6:.0f} MB): "
        f"{fmt_ms(hazard_bound)}"
    )
    print("| implementation | time | time / memory bound | its time / ours |")
    print("|---|---|---|---|")
    for name, t in (("ours (C++)", t_ours), ("OpenCV (exact)", t_cv), ("numpy/scipy", t_numpy)):
        print(f"| {name} | {fmt_ms(t)} | {t / hazard_bound:.0f}x | {t / t_ours:.1f} |")

    # (b) depth fusion and SGBM
    camera = PinholeCamera.from_fov(640, 480, 90.0)
    pose = CameraPose.looking((12.8, 6.0, 1.5), math.radians(90.0), math.radians(30.0))
    depth = make_depth(camera, pose)
    fusion = FusionConfig()
    emap = ElevationMap((MAP_CELLS, MAP_CELLS), MAP_RES_M, fusion)
    emap.fuse_depth(depth, camera, pose)  # warm-up: the second frame is the steady state
    h = np.array(emap.height_m)
    var = np.array(emap.variance_m2)
    mx = np.array(emap.max_height_m)
    changed = emap.fuse_depth(depth, camera, pose)
    numpy_fuse(h, var, mx, depth, camera, pose, fusion)
    for name, ref, got in (
        ("height", h, emap.height_m),
        ("variance", var, emap.variance_m2),
        ("max height", mx, emap.max_height_m),
    ):
        if not np.allclose(got, ref, rtol=1e-5, atol=1e-5, equal_nan=True):
            raise SystemExit(f"fusion: {name} differs from the numpy fusion")
    t_fuse = best_of(args.repeat * 3, lambda: emap.fuse_depth(depth, camera, pose))
    t_np_fuse = best_of(
        args.repeat * 3, lambda: numpy_fuse(h, var, mx, depth, camera, pose, fusion)
    )
    left, right = sgbm_pair()
    sgbm = cv2.StereoSGBM.create(
        minDisparity=0,
        numDisparities=128,
        blockSize=5,
        P1=8 * 25,
        P2=32 * 25,
        mode=cv2.STEREO_SGBM_MODE_SGBM,
    )
    t_sgbm = best_of(args.repeat * 3, lambda: sgbm.compute(left, right))
    pixels = int(np.isfinite(depth).sum())
    cells = (changed.row_end - changed.row_begin) * (changed.col_end - changed.col_begin)
    # Least traffic: read the depth image, and read and write the changed cells' height,
    # variance, max and two scratch bins (4 B each); the points need not reach memory.
    fuse_bytes = depth.nbytes + cells * 5 * 4 * 2
    fuse_bound = fuse_bytes / bandwidth
    # SGBM: read both images, and its cost volume (W x H x D x 2 B) at least once.
    sgbm_bound = (2 * 640 * 480 + 640 * 480 * 128 * 2) / bandwidth
    print(
        f"\n(b) fusing a 640 x 480 depth frame ({pixels} valid pixels) into a "
        f"{MAP_CELLS} x {MAP_CELLS} map of {MAP_RES_M * 100:.0f} cm cells "
        f"({cells} cells in the changed region); same map as numpy"
    )
    print("| implementation | time | bytes | time / memory bound | its time / ours |")
    print("|---|---|---|---|---|")
    print(
        f"| ours (fuse_depth) | {fmt_ms(t_fuse)} | {fuse_bytes / 1e6:.1f} MB | "
        f"{t_fuse / fuse_bound:.0f}x | 1.0 |"
    )
    print(
        f"| numpy fusion | {fmt_ms(t_np_fuse)} | same | {t_np_fuse / fuse_bound:.0f}x | "
        f"{t_np_fuse / t_fuse:.1f} |"
    )
    print(
        f"| OpenCV StereoSGBM, 128 disparities | {fmt_ms(t_sgbm)} | "
        f"{(2 * 640 * 480 + 640 * 480 * 128 * 2) / 1e6:.1f} MB | "
        f"{t_sgbm / sgbm_bound:.0f}x | {t_sgbm / t_fuse:.1f} |"
    )
    print(f"fusion / SGBM time: {t_fuse / t_sgbm:.3f}")

    # (c) rolling window
    rolling_window(args.repeat * 3, bandwidth)


def numpy_rewindow(layers: list[F32], fills: list[float], shift: tuple[int, int]) -> list[F32]:
    """Moves a window the numpy way: new arrays, the overlap copied in."""
    dr, dc = shift
    out = []
    for layer, fill in zip(layers, fills, strict=True):
        rows, cols = layer.shape
        new = np.full_like(layer, fill)
        new[max(0, -dr) : rows - max(0, dr), max(0, -dc) : cols - max(0, dc)] = layer[
            max(0, dr) : rows + min(0, dr), max(0, dc) : cols + min(0, dc)
        ]
        out.append(new)
    return out


def rolling_window(repeat: int, bandwidth: float) -> None:
    cells, res, step = 400, 0.05, 20
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:cells, 0:cells] * res
    ground = (0.05 * np.sin(0.7 * xx) + 0.04 * np.cos(0.9 * yy)).astype(np.float32)
    ground += rng.normal(0.0, 0.003, ground.shape).astype(np.float32)
    config = HazardConfig()
    emap = ElevationMap.from_prior(ground, res)
    tmap = TraversabilityMap(emap.height_m, res, config)
    whole = Region(0, 0, cells, cells)
    # Warm-up, then one timed move per repeat, alternating direction so the map stays put.
    moves = [(step, step), (0, 0)]
    t_move = t_shift = math.inf
    for i in range(2 * repeat):
        origin = moves[i % 2]
        start = time.perf_counter()
        shift = emap.move_origin(origin)
        mid = time.perf_counter()
        tmap.shift(shift)
        end = time.perf_counter()
        t_move, t_shift = min(t_move, mid - start), min(t_shift, end - mid)
    emap.move_origin((step, step))
    tmap.shift((step, step))
    fresh = TraversabilityMap(np.array(emap.height_m), res, config)
    for name in ("slope_deg", "roughness_m", "step_m", "belly_m", "cost"):
        if not np.array_equal(getattr(tmap, name), getattr(fresh, name), equal_nan=True):
            raise SystemExit(f"rolling window: shifted {name} differs from a full recompute")
    layers = [np.array(emap.height_m), np.array(emap.variance_m2), np.array(emap.max_height_m)]
    t_np_move = best_of(
        repeat, lambda: numpy_rewindow(layers, [np.nan, np.inf, np.nan], (step, step))
    )
    t_full = best_of(repeat, lambda: tmap.update(whole))
    move_bound = cells * cells * 3 * 4 * 2 / bandwidth  # read and write three layers
    print(
        f"\n(c) rolling window: {cells} x {cells} cells of {res * 100:.0f} cm, moved "
        f"{step * res:.0f} m north-east; {2 * tmap.reach_cells + 1} x "
        f"{2 * tmap.reach_cells + 1} windows; shifted layers equal a full recompute"
    )
    print("| work | ours | peer | peer / ours | ours / memory bound |")
    print("|---|---|---|---|---|")
    print(
        f"| move the elevation window | {fmt_ms(t_move)} (in place) | "
        f"{fmt_ms(t_np_move)} (numpy re-window) | {t_np_move / t_move:.1f} | "
        f"{t_move / move_bound:.1f}x |"
    )
    print(
        f"| hazard layers + costmap after the move | {fmt_ms(t_shift)} (shift + edge bands) | "
        f"{fmt_ms(t_full)} (ours, full recompute) | {t_full / t_shift:.1f} | - |"
    )


if __name__ == "__main__":
    main()
