"""A simulated stereo camera pair: 8-bit grey images of the terrain lit by the Sun (and,
optionally, the rover's light), ray cast in the C++ core (``cpp/include/ilrs/sim/stereo_render.h``).

Light model, per pixel: the surface's albedo (a seeded texture fixed to the ground, mean
``base_albedo``) times its irradiance, relative to full sunlight at normal incidence:

- the Sun: ``sun_irradiance * max(0, n . s)``, and nothing where a shadow ray towards the Sun
  meets the terrain (rocks included; they are in the heights grid);
- the rover light, a point light midway between the cameras:
  ``rover_light_intensity * max(0, n . l) / r**2`` (r the distance to it, metres).

Grey level = ``255 * exposure * radiance`` plus Gaussian read noise (``noise_dn``), rounded and
clipped to 0..255: a surface in shadow is black but for the noise, so stereo has nothing to
match there. The exposure is fixed, or automatic: the left image's 98th-percentile radiance
maps to grey level 200 (at most ``max_exposure``), and the right image uses the same.

The pair is rectified by construction: both cameras share the intrinsics and the orientation,
the right one ``baseline_m`` along the left one's x axis (OpenCV convention: x right, y down,
z forward), so :meth:`StereoCamera.rectified` feeds ``ilrs_auto.perception.stereo`` directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ilrs_auto import _core
from ilrs_auto.perception.elevation import CameraPose, PinholeCamera
from ilrs_auto.perception.stereo import RectifiedStereoCamera

FloatGrid = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

__all__ = ["SceneLight", "StereoCamera", "StereoCameraConfig", "StereoFrame", "StereoSensor"]


@dataclass(frozen=True)
class SceneLight:
    """The Sun over the scene.

    Attributes:
        sun_direction: unit vector towards the Sun in the site frame (x east, y north, z up).
        sun_irradiance: fraction of full sunlight reaching the scene (0 at night or when far
            terrain hides the Sun; the visible fraction of its disk otherwise).
        cast_shadows: trace shadow rays through the heights grid.
        shadow_max_distance_m: shadow rays that travel this far without meeting the ground
            count as lit (farther terrain is the horizon's business: ``ilrs_auto.sim.light``).
    """

    sun_direction: tuple[float, float, float]
    sun_irradiance: float = 1.0
    cast_shadows: bool = True
    shadow_max_distance_m: float = 200.0

    def __post_init__(self) -> None:
        d = self.sun_direction
        if len(d) != 3 or not all(math.isfinite(v) for v in d) or not any(d):
            raise ValueError(
                f"SceneLight.sun_direction must be a finite non-zero 3-vector, got {d}"
            )
        if not (math.isfinite(self.sun_irradiance) and self.sun_irradiance >= 0.0):
            raise ValueError(f"SceneLight.sun_irradiance must be >= 0, got {self.sun_irradiance}")
        if not (math.isfinite(self.shadow_max_distance_m) and self.shadow_max_distance_m > 0.0):
            raise ValueError(
                f"SceneLight.shadow_max_distance_m must be > 0, got {self.shadow_max_distance_m}"
            )

    @classmethod
    def from_sky(
        cls, azimuth_deg: float, elevation_deg: float, sun_irradiance: float = 1.0
    ) -> SceneLight:
        """The Sun at a site-frame azimuth (clockwise from +y, grid north) and elevation."""
        az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
        direction = (
            math.cos(el) * math.sin(az),
            math.cos(el) * math.cos(az),
            math.sin(el),
        )
        return cls(direction, sun_irradiance)

    @classmethod
    def night(cls) -> SceneLight:
        """No sunlight at all."""
        return cls((0.0, 0.0, 1.0), 0.0)

    def to_core(
        self, light_position_m: npt.ArrayLike = (0.0, 0.0, 0.0), light_intensity: float = 0.0
    ) -> _core.SceneLighting:
        core = _core.SceneLighting()
        core.sun_direction = self.sun_direction
        core.sun_irradiance = self.sun_irradiance
        core.cast_shadows = self.cast_shadows
        core.shadow_max_distance_m = self.shadow_max_distance_m
        x, y, z = (float(v) for v in np.asarray(light_position_m, np.float64).reshape(3))
        core.light_position_m = (x, y, z)
        core.light_intensity = light_intensity
        return core


def _check_range(name: str, value: float, lo: float, hi: float, lo_open: bool = False) -> None:
    ok = math.isfinite(value) and (value > lo if lo_open else value >= lo) and value <= hi
    if not ok:
        relation = "(" if lo_open else "["
        raise ValueError(f"StereoCameraConfig.{name} must be in {relation}{lo}, {hi}], got {value}")


@dataclass(frozen=True)
class StereoCameraConfig:
    """A stereo pair on the rover's mast (units in the names; angles in degrees)."""

    width_px: int = 640
    height_px: int = 480
    hfov_deg: float = 70.0
    baseline_m: float = 0.3
    mast_height_m: float = 1.5
    pitch_deg: float = 25.0
    max_range_m: float = 20.0
    exposure: float | None = None  # grey = 255 * exposure * radiance; None: automatic
    max_exposure: float = 2000.0  # the automatic exposure's limit (in the dark: noise only)
    noise_dn: float = 1.5  # read noise, grey levels (1 sigma)
    base_albedo: float = 0.12
    texture_contrast: float = 0.35
    texture_cell_m: float = 0.08
    rover_light_intensity: float = 0.0  # irradiance at 1 m, fraction of full sunlight
    texture_seed: int = field(default=0)

    def __post_init__(self) -> None:
        for name in ("width_px", "height_px"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 2 <= value <= 8192:
                raise ValueError(f"StereoCameraConfig.{name} must be an int in [2, 8192]")
        _check_range("hfov_deg", self.hfov_deg, 5.0, 170.0)
        _check_range("baseline_m", self.baseline_m, 0.0, 5.0, lo_open=True)
        _check_range("mast_height_m", self.mast_height_m, 0.0, 20.0, lo_open=True)
        _check_range("pitch_deg", self.pitch_deg, -89.0, 89.0)
        _check_range("max_range_m", self.max_range_m, 0.5, 1000.0)
        if self.exposure is not None:
            _check_range("exposure", self.exposure, 0.0, 1e6, lo_open=True)
        _check_range("max_exposure", self.max_exposure, 0.0, 1e6, lo_open=True)
        _check_range("noise_dn", self.noise_dn, 0.0, 255.0)
        _check_range("base_albedo", self.base_albedo, 0.0, 1.0, lo_open=True)
        _check_range("texture_contrast", self.texture_contrast, 0.0, 0.99)
        _check_range("texture_cell_m", self.texture_cell_m, 0.0, 100.0, lo_open=True)
        _check_range("rover_light_intensity", self.rover_light_intensity, 0.0, 1e6)
        if not isinstance(self.texture_seed, int) or not 0 <= self.texture_seed < 2**32:
            raise ValueError("StereoCameraConfig.texture_seed must be an int in [0, 2**32)")


@dataclass(frozen=True, eq=False)
class StereoFrame:
    """One rendered pair, with the truth behind it.

    Attributes:
        left, right: uint8 grey images (height, width).
        depth_m: true depth of each left pixel along the optical axis (NaN: no surface hit).
        irradiance: light reaching the surface seen by each left pixel (fraction of full sun).
        left_pose, right_pose: the cameras' poses in the site frame.
        exposure: the exposure both images were taken with.
    """

    left: U8
    right: U8
    depth_m: FloatGrid
    irradiance: FloatGrid
    left_pose: CameraPose
    right_pose: CameraPose
    exposure: float


class StereoSensor:
    """What every simulated stereo pair shares, whatever it renders: where the right camera
    is, and how radiance becomes 8-bit grey (exposure, read noise). Subclasses set
    ``config`` and ``_rng``."""

    config: StereoCameraConfig
    _rng: np.random.Generator

    def right_pose(self, left_pose: CameraPose) -> CameraPose:
        """The right camera: ``baseline_m`` along the left camera's x axis, same orientation."""
        offset = self.config.baseline_m * left_pose.rotation[:, 0]
        return CameraPose(left_pose.position_m + offset, left_pose.rotation)

    def _exposure(self, radiance: FloatGrid) -> float:
        if self.config.exposure is not None:
            return self.config.exposure
        lit = radiance[radiance > 0.0]
        if lit.size == 0:
            return self.config.max_exposure
        bright = float(np.percentile(lit, 98.0))
        return min(self.config.max_exposure, 200.0 / (255.0 * bright))

    def _grey(self, radiance: FloatGrid, exposure: float) -> U8:
        grey = (255.0 * exposure) * radiance.astype(np.float64)
        if self.config.noise_dn > 0.0:
            grey += self.config.noise_dn * self._rng.standard_normal(grey.shape)
        return np.clip(np.rint(grey), 0, 255).astype(np.uint8)


class StereoCamera(StereoSensor):
    """Renders stereo pairs; noise comes from ``rng`` so a seeded run repeats exactly."""

    def __init__(
        self, config: StereoCameraConfig, resolution_m: float, rng: np.random.Generator
    ) -> None:
        if not (math.isfinite(resolution_m) and resolution_m > 0.0):
            raise ValueError(f"resolution_m must be > 0, got {resolution_m}")
        self.config = config
        self.intrinsics = PinholeCamera.from_fov(config.width_px, config.height_px, config.hfov_deg)
        self._core_intrinsics = self.intrinsics.to_core()
        self._params = _core.RaycastParams()
        self._params.resolution_m = resolution_m
        self._params.max_range_m = config.max_range_m
        self._surface = _core.SurfaceParams()
        self._surface.base_albedo = config.base_albedo
        self._surface.texture_contrast = config.texture_contrast
        self._surface.texture_cell_m = config.texture_cell_m
        self._surface.texture_seed = config.texture_seed
        self._rng = rng

    @property
    def rectified(self) -> RectifiedStereoCamera:
        """The pair as the stereo front end sees it (already rectified)."""
        k = self.intrinsics
        return RectifiedStereoCamera(
            k.width_px, k.height_px, k.fx, k.cx, k.cy, self.config.baseline_m
        )

    def pose(self, x_m: float, y_m: float, ground_z_m: float, heading_rad: float) -> CameraPose:
        """The left camera's pose on a level rover at (x, y) facing ``heading_rad`` (from east,
        counter-clockwise)."""
        return CameraPose.looking(
            (x_m, y_m, ground_z_m + self.config.mast_height_m),
            heading_rad,
            math.radians(self.config.pitch_deg),
        )

    def _radiance(
        self, heights_m: FloatGrid, pose: CameraPose, lighting: _core.SceneLighting
    ) -> tuple[FloatGrid, FloatGrid, FloatGrid]:
        depth, irradiance, radiance = _core.render_scene(
            heights_m,
            self._core_intrinsics,
            pose.position_m,
            pose.rotation,
            self._params,
            lighting,
            self._surface,
        )
        return depth, irradiance, radiance

    def render(self, heights_m: FloatGrid, left_pose: CameraPose, light: SceneLight) -> StereoFrame:
        """Both images of the pair at ``left_pose`` under ``light``."""
        right_pose = self.right_pose(left_pose)
        lamp_at = 0.5 * (left_pose.position_m + right_pose.position_m)
        lighting = light.to_core(lamp_at, self.config.rover_light_intensity)
        depth, irradiance, left_radiance = self._radiance(heights_m, left_pose, lighting)
        _, _, right_radiance = self._radiance(heights_m, right_pose, lighting)
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
