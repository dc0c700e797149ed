"""Voxel map benchmark: how fast lidar and depth clouds fuse into the 3D occupancy map, and what
the on-demand queries (frontier clusters, distance field) cost on the whole map.

    python benchmarks/bench_voxels.py
    python benchmarks/bench_voxels.py --repeat 5

Workloads, in the generated lava tube of the tests (seed 7, radius 3-8 m, 60 m long), from a
sensor 1.5 m above the floor at x = 30 m:

- a 128-beam spinning lidar (1024 azimuths x 128 beams over +-22.5 degrees, like an Ouster
  OS1-128), 131 072 points per scan, max range 20 m;
- a 640 x 480 depth camera (90 degree field of view) looking down the tube, 307 200 points,
  max range 10 m;

each fused into maps of 0.25 m and 0.10 m voxels covering the tube. Insertion is timed in a
fresh map (first scan: every voxel goes from unknown to known) and in a map that has already
seen the same scan (steady state). Reported: points per second, and voxel visits per second
(the rays' exact voxel paths, counted with the traversal), on one core. Times are the best of
--repeat runs.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from timing import best_of

from ilrs_auto.perception import CameraPose, PinholeCamera, VoxelGrid, VoxelMap
from ilrs_auto.sim.lava_tube import LavaTube


def lidar_directions() -> np.ndarray:
    az = np.radians(np.arange(1024) * 360.0 / 1024)
    el = np.radians(np.linspace(-22.5, 22.5, 128))
    a, e = np.meshgrid(az, el)
    return np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).reshape(-1, 3)


def camera_directions(camera: PinholeCamera, pose: CameraPose) -> np.ndarray:
    u, v = np.meshgrid(np.arange(camera.width_px), np.arange(camera.height_px))
    rays = np.stack(
        [(u - camera.cx) / camera.fx, (v - camera.cy) / camera.fy, np.ones(u.shape)], -1
    ).reshape(-1, 3)
    rays /= np.linalg.norm(rays, axis=1, keepdims=True)
    directions: np.ndarray = rays @ pose.rotation.T
    return directions


def voxel_visits(grid: VoxelGrid, sensor: np.ndarray, points: np.ndarray, max_range: float) -> int:
    """Voxels walked by the rays of one scan (sampled: every 50th ray, scaled up)."""
    sample = points[::50]
    total = 0
    for p in sample:
        d = p - sensor
        n = float(np.linalg.norm(d))
        end = p if n <= max_range else sensor + d * (max_range / n)
        total += grid.voxels_on_segment(sensor, end)[0].shape[0]
    return total * points.shape[0] // sample.shape[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    tube = LavaTube.generate(seed=7)
    sensor = np.array([30.0, 0.5, -float(tube.radius_at(30.0)) + 1.5])
    camera = PinholeCamera.from_fov(640, 480, 90.0)
    pose = CameraPose.looking((float(sensor[0]), float(sensor[1]), float(sensor[2])), 0.0, 0.1)
    clouds = {
        "lidar 128 x 1024, 20 m": (tube.scan(sensor, lidar_directions(), 20.0), 20.0),
        "depth 640 x 480, 10 m": (tube.scan(sensor, camera_directions(camera, pose), 10.0), 10.0),
    }
    print(
        f"{'cloud':26s} {'voxel':>6s} {'voxels':>11s} {'first scan':>22s} "
        f"{'steady state':>22s} {'visits/s':>10s}"
    )
    for name, (points, max_range) in clouds.items():
        points32 = points.astype(np.float32)
        for resolution in (0.25, 0.10):
            grid = VoxelGrid.covering((-2.0, -9.0, -9.0), (62.0, 9.0, 9.0), resolution)
            first = best_of(
                args.repeat,
                lambda g=grid: VoxelMap(g).insert_point_cloud(points32, sensor, max_range),  # noqa: B023
            )
            first -= best_of(args.repeat, lambda g=grid: VoxelMap(g))
            warm = VoxelMap(grid)
            warm.insert_point_cloud(points32, sensor, max_range)
            steady = best_of(
                args.repeat,
                lambda: warm.insert_point_cloud(points32, sensor, max_range),  # noqa: B023
            )
            visits = voxel_visits(grid, sensor, points, max_range)
            n = points.shape[0]
            print(
                f"{name:26s} {resolution:5.2f}m {math.prod(grid.shape):11,d} "
                f"{first * 1e3:7.1f} ms {n / first / 1e6:5.2f} Mpt/s "
                f"{steady * 1e3:7.1f} ms {n / steady / 1e6:5.2f} Mpt/s "
                f"{visits / steady / 1e6:7.0f} M"
            )

    # Whole-map queries after a few lidar scans along the tube (0.10 m voxels).
    grid = VoxelGrid.covering((-2.0, -9.0, -9.0), (62.0, 9.0, 9.0), 0.10)
    vmap = VoxelMap(grid)
    for x in (26.0, 30.0, 34.0):
        s = np.array([x, 0.5, -float(tube.radius_at(x)) + 1.5])
        vmap.insert_point_cloud(tube.scan(s, lidar_directions(), 20.0), s, 20.0)
    n = math.prod(grid.shape)
    t_front = best_of(args.repeat, vmap.frontiers)
    t_clusters = best_of(args.repeat, lambda: vmap.frontier_clusters(26))
    t_field = best_of(
        args.repeat, lambda: (vmap.set_log_odds(vmap.log_odds), vmap.distance_field_m())
    )
    t_set = best_of(args.repeat, lambda: vmap.set_log_odds(vmap.log_odds))
    print(f"\nwhole map of {n:,d} voxels (0.10 m), after three lidar scans:")
    print(f"  frontiers            {t_front * 1e3:7.1f} ms")
    print(
        f"  frontier clusters    {t_clusters * 1e3:7.1f} ms  ({len(vmap.frontier_clusters(26))} "
        "clusters)"
    )
    print(
        f"  distance field       {(t_field - t_set) * 1e3:7.1f} ms  "
        f"({(t_field - t_set) / n * 1e9:.1f} ns per voxel)"
    )


if __name__ == "__main__":
    main()
