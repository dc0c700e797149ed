"""Draws docs/lava_tube_voxels.png: a generated lava tube scanned by a lidar from three poses
and fused into a 25 cm voxel map, with its frontiers.

Run from anywhere: ``python docs/make_lava_tube_voxels.py``. The scenario is the one of
``tests/perception/test_voxels.py``: tube seed 7 (radius 3-8 m, along x), a lidar 1.5 m above
the tube floor at x = 26, 30 and 34 m, 1.5 degree steps, 12 m range, 1 cm range noise.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

from ilrs_auto.perception import VoxelGrid, VoxelMap
from ilrs_auto.sim.lava_tube import LavaTube, spherical_directions

OUT = Path(__file__).resolve().parent / "lava_tube_voxels.png"
POSES_X_M = (26.0, 30.0, 34.0)
RANGE_M = 12.0
CROSS_SECTION_X_M = 30.0

# unknown, free, occupied, frontier
COLOURS = ListedColormap(["#2b2b2b", "#e8e4d8", "#a0522d", "#e0115f"])


def main() -> None:
    tube = LavaTube.generate(seed=7)
    grid = VoxelGrid.covering((-2.0, -9.0, -9.0), (62.0, 9.0, 9.0), 0.25)
    vmap = VoxelMap(grid)
    directions = spherical_directions(1.5, 1.5)
    rng = np.random.default_rng(1)
    sensors = []
    for x in POSES_X_M:
        sensor = np.array([x, 0.5, -float(tube.radius_at(x)) + 1.5])
        sensors.append(sensor)
        points = tube.scan(sensor, directions, RANGE_M, range_sigma_m=0.01, rng=rng)
        vmap.insert_point_cloud(points, sensor, RANGE_M)

    labels = vmap.free_mask.astype(np.uint8) + 2 * vmap.occupied_mask.astype(np.uint8)
    frontiers = vmap.frontiers()
    labels[tuple(frontiers.T)] = 3
    res = grid.resolution_m
    x0, y0, z0 = grid.origin_m
    x1, y1, z1 = grid.max_corner_m
    xs = np.linspace(x0, x1, 600)
    clusters = vmap.frontier_clusters(26)

    fig = plt.figure(figsize=(12, 8.5), constrained_layout=True)
    top = fig.add_subplot(2, 1, 1)
    row = int((0.0 - y0) / res)
    top.imshow(
        labels[:, row, :],
        origin="lower",
        extent=(x0, x1, z0, z1),
        cmap=COLOURS,
        vmin=0,
        vmax=3,
        interpolation="nearest",
    )
    top.plot(xs, tube.radius_at(xs), "c-", lw=0.8, label="analytic wall")
    top.plot(xs, -tube.radius_at(xs), "c-", lw=0.8)
    top.plot([s[0] for s in sensors], [s[2] for s in sensors], "w^", ms=7, label="lidar poses")
    for c in clusters[:2]:
        centre = grid.centers_m([c.goal])[0]
        top.plot(centre[0], centre[2], "y*", ms=12)
    top.set(
        xlabel="x along the tube (m)",
        ylabel="z (m)",
        title="Vertical slice through the axis (y = 0): unknown (dark), free, occupied (brown), "
        "frontier (red); stars: goals of the two largest frontier clusters",
    )
    top.legend(loc="upper right", fontsize=8)

    left = fig.add_subplot(2, 2, 3)
    col = int((CROSS_SECTION_X_M - x0) / res)
    left.imshow(
        labels[:, :, col],
        origin="lower",
        extent=(y0, y1, z0, z1),
        cmap=COLOURS,
        vmin=0,
        vmax=3,
        interpolation="nearest",
    )
    angle = np.linspace(0, 2 * np.pi, 200)
    r = float(tube.radius_at(CROSS_SECTION_X_M + 0.5 * res))
    left.plot(r * np.cos(angle), r * np.sin(angle), "c-", lw=0.8)
    left.set(
        xlabel="y (m)", ylabel="z (m)", title=f"Cross-section at x = {CROSS_SECTION_X_M:.0f} m"
    )

    right = fig.add_subplot(2, 2, 4, projection="3d")
    occupied = grid.centers_m(np.argwhere(vmap.occupied_mask))
    keep = rng.choice(occupied.shape[0], size=min(6000, occupied.shape[0]), replace=False)
    right.scatter(*occupied[keep].T, s=1, c=occupied[keep, 2], cmap="copper", alpha=0.5)
    for c, colour in zip(clusters[:2], ("#e0115f", "#ff7f0e"), strict=True):
        f = grid.centers_m(c.voxels)
        right.scatter(*f.T, s=2, c=colour, label=f"frontier cluster, {c.size} voxels")
    right.set(xlabel="x (m)", ylabel="y (m)", zlabel="z (m)", title="Occupied voxels and frontiers")
    right.set_box_aspect((x1 - x0 - 20, y1 - y0, z1 - z0))
    right.set_xlim(12, 48)
    right.legend(loc="upper left", fontsize=8)

    fig.savefig(OUT, dpi=110)
    print(
        f"wrote {OUT}: {vmap.occupied_count} occupied, {vmap.free_count} free, "
        f"{frontiers.shape[0]} frontier voxels in {len(clusters)} clusters"
    )


if __name__ == "__main__":
    main()
