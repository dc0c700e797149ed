"""Draws docs/navcam_elevation.png: the stereo front end on the Curiosity Navcam pair of sol 1431,
fused into a 10 cm elevation map.

Run from anywhere: ``python docs/make_navcam_elevation.py``. Rig, pose and analysis are the ones
of ``tests/perception/test_stereo.py``: nominal Navcam (f = 1220 px, baseline 0.424 m), camera
1.9 m above the ground, taken as level and looking north (+y); the ground plane is fitted to the
fused heights within 25 m of the camera, and rock relief is a cell's height above the mean of
the 2.1 x 2.1 m around it. See tests/data/msl_navcam_sol1431/SOURCE.md for the data.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle

from ilrs_auto.perception import CameraPose, ElevationMap
from ilrs_auto.perception.stereo import (
    RectifiedStereoCamera,
    RowAlignment,
    StereoConfig,
    StereoFrontEnd,
    read_grey_image,
)

ROOT = Path(__file__).resolve().parents[1]
NAVCAM = ROOT / "tests" / "data" / "msl_navcam_sol1431"
OUT = ROOT / "docs" / "navcam_elevation.png"

CAMERA = RectifiedStereoCamera(1024, 1024, 1220.0, 511.5, 511.5, 0.424)
CONFIG = StereoConfig.for_depth_range(CAMERA, min_depth_m=5.0)
MAP_SHAPE = (600, 400)  # rows (north), cols (east)
RESOLUTION_M = 0.1
CAMERA_XY_M = (20.0, 0.5)
NEAR_FIELD_M = 25.0
RELIEF_WINDOW = (21, 21)  # cells


def main() -> None:
    left = read_grey_image(NAVCAM / "NLB_524534514EDR_F0562034NCAM00280M_.jpeg")
    right = read_grey_image(NAVCAM / "NRB_524534514EDR_F0562034NCAM00280M_.jpeg")
    alignment = RowAlignment.estimate(left, right)
    result = StereoFrontEnd(CAMERA, CONFIG).process(left, alignment.apply(right))
    pose = CameraPose.looking((*CAMERA_XY_M, 1.9), heading_rad=math.pi / 2, pitch_down_rad=0.0)
    emap = ElevationMap(MAP_SHAPE, RESOLUTION_M, CAMERA.fusion_config(CONFIG.disparity_sigma_px))
    emap.fuse_depth(result.depth_m, CAMERA.pinhole(), pose)

    height = np.asarray(emap.height_m, np.float64)
    known = np.isfinite(height)
    ys, xs = np.mgrid[0 : MAP_SHAPE[0], 0 : MAP_SHAPE[1]]
    x_m, y_m = (xs + 0.5) * RESOLUTION_M, (ys + 0.5) * RESOLUTION_M
    reach = np.hypot(x_m - CAMERA_XY_M[0], y_m - CAMERA_XY_M[1])

    # Local ground and relief: the mean of the known cells in the window around each cell.
    total = cv2.boxFilter(np.where(known, height, 0.0), -1, RELIEF_WINDOW, normalize=False)
    count = cv2.boxFilter(known.astype(np.float64), -1, RELIEF_WINDOW, normalize=False)
    relief = height - total / np.maximum(count, 1.0)
    near = known & (reach < NEAR_FIELD_M) & (count >= 0.3 * RELIEF_WINDOW[0] * RELIEF_WINDOW[1])

    # Ground plane z = a x + b y + c over the near field, robust least squares.
    a = np.column_stack([x_m[near], y_m[near], np.ones(near.sum())])
    z = height[near]
    keep = np.ones(len(z), bool)
    for _ in range(3):
        plane = np.linalg.lstsq(a[keep], z[keep], rcond=None)[0]
        residual = z - a @ plane
        keep = np.abs(residual) < 3 * 1.4826 * np.median(np.abs(residual))
    tilt_deg = math.degrees(math.atan(math.hypot(plane[0], plane[1])))
    rms_m = float(np.sqrt(np.mean(residual**2)))
    above = np.asarray(emap.max_height_m, np.float64)[near] - a @ plane

    fig, axes = plt.subplots(2, 2, figsize=(13, 12.5))
    ax = axes[0, 0]
    ax.imshow(left, cmap="gray")
    ax.set_title("Navcam left, sol 1431 (image: NASA/JPL-Caltech)")
    ax = axes[0, 1]
    ax.set_facecolor("0.8")
    shown = ax.imshow(result.depth_m, cmap="turbo", vmin=10, vmax=45)
    ax.set_title(
        f"depth (m), {result.stats.density:.0%} of pixels valid; grey: rejected\n"
        f"after removing a {alignment.offset_px:.1f} px row offset between the cameras"
    )
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
    for ax in axes[0]:
        ax.set_xticks([])
        ax.set_yticks([])

    extent = (0.0, MAP_SHAPE[1] * RESOLUTION_M, 0.0, MAP_SHAPE[0] * RESOLUTION_M)
    ax = axes[1, 0]
    ax.set_facecolor("0.8")
    shown = ax.imshow(height, origin="lower", extent=extent, cmap="terrain", vmin=-4.5, vmax=4.0)
    ax.plot(*CAMERA_XY_M, marker="^", color="red", markersize=10)
    ax.add_patch(Circle(CAMERA_XY_M, NEAR_FIELD_M, fill=False, ls="--", color="k", lw=0.8))
    ax.set_xlim(2, 38)
    ax.set_ylim(0, 42)
    ax.set_title(
        "elevation map (m, 10 cm cells; grey: unknown), camera at 1.9 m\n"
        f"ground within {NEAR_FIELD_M:.0f} m (dashed): plane tilt {tilt_deg:.1f} deg, "
        f"RMS {rms_m:.2f} m"
    )
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
    ax = axes[1, 1]
    ax.set_facecolor("0.8")
    shown = ax.imshow(
        np.where(near, relief, np.nan),
        origin="lower",
        extent=extent,
        cmap="RdBu_r",
        vmin=-0.5,
        vmax=0.5,
    )
    ax.plot(*CAMERA_XY_M, marker="^", color="red", markersize=10)
    ax.set_xlim(8, 32)
    ax.set_ylim(10, 27)
    ax.set_title(
        "rocks: height above the surrounding 2 x 2 m (m)\n"
        f"highest {np.nanmax(relief[near]):.2f} m; "
        f"{(relief[near] > 0.3).mean():.1%} of the cells over 0.3 m"
    )
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02)
    for ax in axes[1]:
        ax.set_xlabel("x (east), m")
        ax.set_ylabel("y (north), m")
    fig.tight_layout()
    fig.savefig(OUT, dpi=72)
    print(
        f"wrote {OUT}\n"
        f"density {result.stats.density:.3f}, row offset {alignment.offset_px:.2f} px "
        f"({alignment.matches} matches, {alignment.residual_rms_px:.2f} px RMS)\n"
        f"near field: {near.sum()} cells, plane tilt {tilt_deg:.2f} deg, RMS {rms_m:.3f} m, "
        f"max height above plane {above.max():.2f} m\n"
        f"relief: max {np.nanmax(relief[near]):.2f} m, "
        f"99th percentile {np.percentile(relief[near], 99):.2f} m, "
        f"over 0.3 m {(relief[near] > 0.3).mean():.4f}"
    )


if __name__ == "__main__":
    main()
