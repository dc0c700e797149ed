"""A simulated depth camera: ray casting in the C++ core against the true surface, plus noise
that grows with distance (sigma = noise_floor_m + noise_per_range2 * depth^2, depth measured
along the optical axis, as the camera reports it).

With ``lit_only`` (a passive sensor's view: stereo, structured light washed out by nothing), the
camera reports no depth where the surface it sees gets less than ``min_irradiance`` of full
sunlight from the Sun (with cast shadows, ``ilrs_auto.sim.stereo_camera.SceneLight``) plus the
rover light at the camera (``rover_light_intensity / r**2``). Off by default: then the scene's
light is not needed and the depth is as before."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.perception.elevation import CameraPose, PinholeCamera
from ilrs_auto.sim.scenario import DepthCameraConfig
from ilrs_auto.sim.stereo_camera import SceneLight

FloatGrid = npt.NDArray[np.float32]


class DepthCamera:
    def __init__(
        self, config: DepthCameraConfig, resolution_m: float, rng: np.random.Generator
    ) -> None:
        self.config = config
        self.intrinsics = PinholeCamera.from_fov(config.width_px, config.height_px, config.hfov_deg)
        self._core_intrinsics = self.intrinsics.to_core()
        self._params = _core.RaycastParams()
        self._params.resolution_m = resolution_m
        self._params.max_range_m = config.max_range_m
        self._rng = rng
        self._surface = _core.SurfaceParams()

    def pose(self, x_m: float, y_m: float, ground_z_m: float, heading_rad: float) -> CameraPose:
        return CameraPose.looking(
            (x_m, y_m, ground_z_m + self.config.mast_height_m),
            heading_rad,
            math.radians(self.config.pitch_deg),
        )

    def render(
        self, heights_m: FloatGrid, pose: CameraPose, light: SceneLight | None = None
    ) -> FloatGrid:
        """A depth image (metres along the optical axis, NaN where nothing was hit, or with
        ``lit_only`` where the surface is not lit). ``light`` is required with ``lit_only``."""
        if self.config.lit_only:
            if light is None:
                raise ValueError("a lit_only depth camera needs the scene's light to render")
            lighting = light.to_core(pose.position_m, self.config.rover_light_intensity)
            depth, irradiance, _ = _core.render_scene(
                heights_m,
                self._core_intrinsics,
                pose.position_m,
                pose.rotation,
                self._params,
                lighting,
                self._surface,
                with_radiance=False,
            )
            depth[irradiance < self.config.min_irradiance] = np.nan
        else:
            depth = _core.render_depth(
                heights_m, self._core_intrinsics, pose.position_m, pose.rotation, self._params
            )
        sigma = self.config.noise_floor_m + self.config.noise_per_range2 * np.square(depth)
        noise = self._rng.standard_normal(depth.shape).astype(np.float32)
        return (depth + np.nan_to_num(sigma) * noise).astype(np.float32)
