"""A simulated stereo camera pair inside a lava tube: 8-bit grey images of the tube's wall lit by
the rover's light and, through a skylight, by the Sun, with the depth of the lit pixels; ray cast
in the C++ core (``cpp/include/ilrs/sim/tube_render.h``, which derives the wall's normal and
states the light model exactly).

Light model, per pixel: the wall's albedo (a seeded texture in (x along the axis, angle around
it), mean ``base_albedo``) times its irradiance, relative to full sunlight at normal incidence:

- the rover light, a point light midway between the cameras:
  ``rover_light_intensity * max(0, n . l) / r**2`` (r the distance to it, metres), nothing where
  the wall comes between (a waist);
- the Sun, only through a :class:`Skylight` (a vertical shaft from the ceiling to the surface):
  ``sun_irradiance * max(0, n . s)`` where the ray towards the Sun leaves through the opening and
  climbs the shaft without meeting its wall. Without a skylight no sunlight enters.

Grey level = ``255 * exposure * radiance`` plus Gaussian read noise, rounded and clipped to
0..255, as in :mod:`ilrs_auto.sim.stereo_camera` (the same :class:`StereoCameraConfig`; its
``mast_height_m`` is the height above the tube's floor and ``pitch_deg`` the downward tilt). The
frame's ``depth_m`` is lit-only: NaN where the irradiance is below ``min_irradiance`` (the dark:
no depth unless lit), where the wall is beyond ``max_range_m``, and where a pixel looks up the
skylight's shaft.

The pair is rectified by construction (same intrinsics and orientation, the right camera
``baseline_m`` along the left one's x axis), so :attr:`TubeStereoCamera.rectified` feeds
``ilrs_auto.perception.stereo`` directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.perception.elevation import CameraPose, PinholeCamera
from ilrs_auto.perception.stereo import RectifiedStereoCamera
from ilrs_auto.sim.lava_tube import LavaTube
from ilrs_auto.sim.stereo_camera import (
    SceneLight,
    StereoCameraConfig,
    StereoFrame,
    StereoSensor,
)

FloatGrid = npt.NDArray[np.float32]

__all__ = ["Skylight", "TubeStereoCamera"]


@dataclass(frozen=True)
class Skylight:
    """A vertical cylindrical shaft from the tube's ceiling up to the surface (site frame,
    metres): its wall points above the axis within ``radius_m`` of the vertical line through
    ``(center_x_m, center_y_m)`` are open, and the shaft ends at ``top_z_m``."""

    center_x_m: float
    center_y_m: float
    radius_m: float
    top_z_m: float

    def __post_init__(self) -> None:
        for name in ("center_x_m", "center_y_m", "top_z_m"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"Skylight.{name} must be finite, got {getattr(self, name)}")
        if not (math.isfinite(self.radius_m) and self.radius_m > 0.0):
            raise ValueError(f"Skylight.radius_m must be > 0, got {self.radius_m}")


class TubeStereoCamera(StereoSensor):
    """Renders stereo pairs inside ``tube``; noise comes from ``rng`` so a seeded run repeats
    exactly."""

    def __init__(
        self,
        config: StereoCameraConfig,
        tube: LavaTube,
        rng: np.random.Generator,
        skylight: Skylight | None = None,
        min_irradiance: float = 1e-3,
    ) -> None:
        if not (math.isfinite(min_irradiance) and min_irradiance >= 0.0):
            raise ValueError(f"min_irradiance must be >= 0, got {min_irradiance}")
        self.config = config
        self.tube = tube
        self.skylight = skylight
        self.min_irradiance = min_irradiance
        self.intrinsics = PinholeCamera.from_fov(config.width_px, config.height_px, config.hfov_deg)
        self._core_intrinsics = self.intrinsics.to_core()
        self._surface = _core.SurfaceParams()
        self._surface.base_albedo = config.base_albedo
        self._surface.texture_contrast = config.texture_contrast
        self._surface.texture_cell_m = config.texture_cell_m
        self._surface.texture_seed = config.texture_seed
        self._knots = np.ascontiguousarray(tube.knots_x_m, np.float64)
        self._radii = np.ascontiguousarray(tube.radii_m, np.float64)
        self._rng = rng

    @property
    def rectified(self) -> RectifiedStereoCamera:
        """The pair as the stereo front end sees it (already rectified)."""
        k = self.intrinsics
        return RectifiedStereoCamera(
            k.width_px, k.height_px, k.fx, k.cx, k.cy, self.config.baseline_m
        )

    def pose(self, x_m: float, heading_rad: float = 0.0, lateral_m: float = 0.0) -> CameraPose:
        """The left camera's pose on a rover standing on the tube's floor at ``x_m``,
        ``lateral_m`` to the side of the axis (site y), facing ``heading_rad`` (from +x,
        counter-clockwise), ``mast_height_m`` above the floor, tilted down ``pitch_deg``."""
        radius = float(self.tube.radius_at(x_m))
        if not abs(lateral_m) < radius:
            raise ValueError(
                f"lateral_m must be within the tube's radius {radius:.3f} m at x = {x_m} m, "
                f"got {lateral_m}"
            )
        floor_z = self.tube.axis_z_m - math.sqrt(radius**2 - lateral_m**2)
        return CameraPose.looking(
            (x_m, self.tube.axis_y_m + lateral_m, floor_z + self.config.mast_height_m),
            heading_rad,
            math.radians(self.config.pitch_deg),
        )

    def _render(
        self, pose: CameraPose, lamp_at: npt.NDArray[np.float64], sun: SceneLight | None
    ) -> tuple[FloatGrid, FloatGrid, FloatGrid]:
        sky = self.skylight
        skylight = (
            (sky.center_x_m, sky.center_y_m, sky.radius_m, sky.top_z_m)
            if sky is not None
            else (0.0, 0.0, 0.0, 0.0)
        )
        x, y, z = (float(v) for v in lamp_at)
        depth, irradiance, radiance = _core.render_tube_scene(
            self._knots,
            self._radii,
            float(self.tube.axis_y_m),
            float(self.tube.axis_z_m),
            self._core_intrinsics,
            pose.position_m,
            pose.rotation,
            self.config.max_range_m,
            self._surface,
            (x, y, z),
            self.config.rover_light_intensity,
            sun.sun_direction if sun is not None else (0.0, 0.0, 1.0),
            sun.sun_irradiance if sun is not None else 0.0,
            skylight,
            self.min_irradiance,
        )
        return depth, irradiance, radiance

    def render(self, left_pose: CameraPose, sun: SceneLight | None = None) -> StereoFrame:
        """Both images of the pair at ``left_pose``, by the rover's light and ``sun`` (which
        reaches the wall only through the skylight; None: no Sun). In the frame, depth is
        NaN where the wall point is not lit (irradiance below ``min_irradiance``), and
        irradiance is 0 where no wall lies within range."""
        right_pose = self.right_pose(left_pose)
        lamp_at = 0.5 * (left_pose.position_m + right_pose.position_m)
        depth, irradiance, left_radiance = self._render(left_pose, lamp_at, sun)
        _, _, right_radiance = self._render(right_pose, lamp_at, sun)
        exposure = self._exposure(left_radiance)
        return StereoFrame(
            self._grey(left_radiance, exposure),
            self._grey(right_radiance, exposure),
            depth,
            irradiance,
            left_pose,
            right_pose,
            exposure,
        )
