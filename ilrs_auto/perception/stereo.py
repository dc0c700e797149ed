"""Stereo front end: calibration, rectification, semi-global matching and confidence checks.

The heavy lifting is OpenCV's (``cv2.stereoRectify``, ``cv2.initUndistortRectifyMap``,
``cv2.StereoSGBM``, ``cv2.filterSpeckles``); this module loads and checks what goes in, keeps the
per-calibration work out of the per-frame path, and rejects pixels whose match cannot be trusted.

Conventions (OpenCV's throughout):

- Pixels: x right, y down, the centre of the top-left pixel at (0, 0). Image sizes are given as
  ``(width, height)`` like ``cv2.Size``; array shapes are ``(height, width)``.
- Camera frame: x right, y down, z forward along the optical axis, metres.
- ``R``, ``T_m`` take a point from the left (first) camera frame to the right (second) one:
  ``X_right = R @ X_left + T_m``. For a left-right rig ``T_m[0] < 0``.
- Disparity ``d = x_left - x_right`` in rectified pixels, positive for points in front of the rig;
  depth is ``z = f * B / d`` along the rectified left camera's optical axis.

A frame goes through :class:`StereoFrontEnd`: rectify (when it holds a :class:`Rectification`),
match left-to-right and right-to-left with SGBM, reject pixels that fail any check
(:class:`Rejection`), and return a :class:`DepthResult` with depth, its standard deviation from
the disparity noise, ``sigma_z = z**2 / (f * B) * sigma_d``, and the valid mask.
"""

from __future__ import annotations

import enum
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, cast

import cv2
import numpy as np
import numpy.typing as npt
import yaml

from ilrs_auto.assets import assets_dir
from ilrs_auto.errors import InputError
from ilrs_auto.perception.elevation import CameraPose, FusionConfig, PinholeCamera

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
BoolGrid = npt.NDArray[np.bool_]

__all__ = [
    "CalibrationError",
    "DepthResult",
    "DepthStats",
    "Rectification",
    "RectifiedStereoCamera",
    "Rejection",
    "RowAlignment",
    "StereoCalibration",
    "StereoConfig",
    "StereoFrontEnd",
    "StereoImageError",
    "katwijk_calibration_path",
    "read_grey_image",
]


class CalibrationError(InputError):
    """A stereo calibration cannot be used. One line: ``"<source>: <field>: <what is wrong>"``."""


class StereoImageError(InputError):
    """A stereo image is unusable (type, dtype, shape, size). The message names the argument."""


# --- calibration --------------------------------------------------------------------------------

# Lengths of an OpenCV distortion vector: (k1 k2 p1 p2), + k3, + k4..k6, + s1..s4, + tau_x tau_y.
_DISTORTION_LENGTHS = (4, 5, 8, 12, 14)
_FIELDS = ("image_size_px", "K1", "D1", "K2", "D2", "R", "T_m")


def _readonly(array: npt.ArrayLike) -> F64:
    out = np.array(array, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, eq=False)
class StereoCalibration:
    """A calibrated left-right camera pair in OpenCV's conventions.

    Attributes:
        image_size_px: ``(width, height)`` of the raw images, pixels.
        K1, K2: 3x3 camera matrices ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` of the left and the
            right camera, pixels (principal point 0-based, OpenCV's convention).
        D1, D2: distortion coefficients ``(k1, k2, p1, p2[, k3[, k4, k5, k6[, s1..s4[, tx, ty]]]])``
            (4, 5, 8, 12 or 14 numbers), unitless.
        R: 3x3 rotation taking left-camera coordinates to right-camera coordinates.
        T_m: translation of the same transform, metres: ``X_right = R @ X_left + T_m``.
        source: where the values came from (a file path), used in error messages.

    Every array is a read-only float64 copy. Construction checks shapes, finiteness, the form of
    K, that R is a rotation and that the rig is left-right; :meth:`from_file` reports every
    missing or ill-typed field of a file at once.
    """

    image_size_px: tuple[int, int]
    K1: F64
    D1: F64
    K2: F64
    D2: F64
    R: F64
    T_m: F64
    source: str = "<memory>"

    def __post_init__(self) -> None:
        problems: list[str] = []
        size = self.image_size_px
        if (
            not isinstance(size, tuple)
            or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
        ):
            problems.append(f"image_size_px: must be (width, height) positive ints, got {size!r}")
        for name, shape in (("K1", (3, 3)), ("K2", (3, 3)), ("R", (3, 3)), ("T_m", (3,))):
            value = np.asarray(getattr(self, name), dtype=np.float64)
            if value.shape != shape:
                problems.append(f"{name}: must have shape {shape}, got {value.shape}")
            elif not np.isfinite(value).all():
                problems.append(f"{name}: must be finite, got {_short(value)}")
            object.__setattr__(self, name, _readonly(value))
        for name in ("D1", "D2"):
            value = np.asarray(getattr(self, name), dtype=np.float64).reshape(-1)
            if value.size not in _DISTORTION_LENGTHS or not np.isfinite(value).all():
                problems.append(
                    f"{name}: must be {'/'.join(map(str, _DISTORTION_LENGTHS))} finite numbers, "
                    f"got {_short(value)}"
                )
            object.__setattr__(self, name, _readonly(value))
        if not problems:
            problems += _check_camera_matrix("K1", self.K1)
            problems += _check_camera_matrix("K2", self.K2)
            rotation_error = float(np.abs(self.R @ self.R.T - np.eye(3)).max())
            if rotation_error > 1e-6 or np.linalg.det(self.R) <= 0.0:
                problems.append(
                    f"R: is not a rotation (|R R^T - I| = {rotation_error:.2g}, "
                    f"det = {np.linalg.det(self.R):.6g})"
                )
            t = self.T_m
            if not (t[0] < 0.0 and abs(t[0]) >= 0.5 * float(np.linalg.norm(t))):
                problems.append(
                    f"T_m: must put the second camera to the right of the first "
                    f"(T_m[0] < 0, mostly horizontal), got {_short(t)} m"
                )
        if problems:
            raise CalibrationError(f"{_one_line(self.source)}: " + "; ".join(problems))

    @property
    def baseline_m(self) -> float:
        """Distance between the two optical centres, metres."""
        return float(np.linalg.norm(self.T_m))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> StereoCalibration:
        """Reads a calibration from a ``.json``, ``.yaml`` or ``.yml`` file.

        The file holds a mapping with the fields ``image_size_px`` ([width, height]), ``K1``,
        ``D1``, ``K2``, ``D2``, ``R`` and ``T_m`` (metres). Matrices are nested lists, flat lists
        in row-major order, or OpenCV ``FileStorage`` matrices (``{rows, cols, data}``, also with
        the ``%YAML:1.0`` header and ``!!opencv-matrix`` tags OpenCV writes). Raises
        :class:`CalibrationError` naming the file and every missing or ill-typed field.
        """
        source = os.fspath(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CalibrationError(f"{_one_line(source)}: cannot read: {error}") from None
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            try:
                data: object = json.loads(text)
            except json.JSONDecodeError as error:
                raise CalibrationError(
                    f"{_one_line(source)}: not valid JSON: {error.msg} at line {error.lineno}"
                ) from None
        elif suffix in (".yaml", ".yml"):
            data = _load_yaml(text, source)
        else:
            raise CalibrationError(
                f"{_one_line(source)}: unknown calibration format {suffix!r} "
                "(expected .json, .yaml or .yml)"
            )
        if not isinstance(data, Mapping):
            raise CalibrationError(
                f"{_one_line(source)}: must hold a mapping of fields, got {type(data).__name__}"
            )
        return cls.from_mapping(data, source)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, object], source: str = "<mapping>"
    ) -> StereoCalibration:
        """Builds a calibration from parsed file content (see :meth:`from_file` for the fields)."""
        problems: list[str] = []
        size = _image_size(data, problems)
        k1 = _matrix_field(data, "K1", (3, 3), problems)
        d1 = _vector_field(data, "D1", problems, lengths=_DISTORTION_LENGTHS)
        k2 = _matrix_field(data, "K2", (3, 3), problems)
        d2 = _vector_field(data, "D2", problems, lengths=_DISTORTION_LENGTHS)
        r = _matrix_field(data, "R", (3, 3), problems)
        t = _matrix_field(data, "T_m", (3,), problems)
        if "T_m" not in data and "T" in data:
            problems[-1] += " (found 'T' without a unit: give the translation as 'T_m', metres)"
        unknown = sorted(str(k) for k in data if k not in _FIELDS)
        if unknown:
            problems.append(f"unknown field(s) {', '.join(unknown)}")
        # Every None above left a problem; the second half of the test narrows the types.
        if problems or size is None or k1 is None or d1 is None or k2 is None or d2 is None:
            raise CalibrationError(f"{_one_line(source)}: " + "; ".join(problems))
        if r is None or t is None:
            raise CalibrationError(f"{_one_line(source)}: " + "; ".join(problems))
        return cls(size, k1, d1, k2, d2, r, t, source)

    def to_mapping(self) -> dict[str, object]:
        """The fields as plain lists, ready for ``json.dump`` or ``yaml.safe_dump``."""
        return {
            "image_size_px": list(self.image_size_px),
            "K1": self.K1.tolist(),
            "D1": self.D1.tolist(),
            "K2": self.K2.tolist(),
            "D2": self.D2.tolist(),
            "R": self.R.tolist(),
            "T_m": self.T_m.tolist(),
        }

    @classmethod
    def from_katwijk_json(
        cls,
        path: str | os.PathLike[str] | None = None,
        rig: Literal["LocCam", "PanCam"] = "LocCam",
        image_size_px: tuple[int, int] | None = None,
    ) -> StereoCalibration:
        """Loads an ESA Katwijk (HDPR rover) rig from the extracted MATLAB stereoParameters JSON.

        Converts MATLAB's conventions itself from the raw ``matlab_*`` values: K is the transpose
        of ``IntrinsicMatrix`` with the principal point moved by -1 px (MATLAB puts the centre of
        the first pixel at (1, 1), OpenCV at (0, 0)); R is the transpose of ``RotationOfCamera2``
        (MATLAB multiplies row vectors); T is ``TranslationOfCamera2`` in millimetres, turned into
        metres; distortion is ``(k1, k2, p1, p2[, k3])``. The file's own ``R_opencv...`` and
        ``T_opencv...`` are cross-checked against this.

        Args:
            path: the JSON file; defaults to the copy shipped in ``sim_assets/calibration/``.
            rig: ``"LocCam"`` (12 cm baseline) or ``"PanCam"`` (50 cm baseline).
            image_size_px: raw image ``(width, height)``. The calibration does not record it;
                LocCam defaults to (1024, 768) (Bumblebee2; its principal point and detected
                checkerboard corners agree). PanCam's size is not known: pass it.
        """
        file = Path(path) if path is not None else katwijk_calibration_path()
        source = f"{file}[{rig}]"
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as error:
            raise CalibrationError(f"{_one_line(str(file))}: cannot read: {error}") from None
        except json.JSONDecodeError as error:
            raise CalibrationError(
                f"{_one_line(str(file))}: not valid JSON: {error.msg} at line {error.lineno}"
            ) from None
        if image_size_px is None:
            if rig != "LocCam":
                raise ValueError(
                    f"image_size_px must be given for the Katwijk {rig!r} rig "
                    "(its calibration does not record the image size)"
                )
            image_size_px = _KATWIJK_LOCCAM_IMAGE_SIZE_PX
        if not isinstance(data, Mapping) or not isinstance(data.get(rig), Mapping):
            raise CalibrationError(f"{_one_line(source)}: no {rig!r} section")
        return _katwijk_rig(data[rig], source, image_size_px)

    def rectify(self, alpha: float = 0.0) -> Rectification:
        """Computes the rectification (once per calibration): see :class:`Rectification`."""
        return Rectification.compute(self, alpha)


_KATWIJK_LOCCAM_IMAGE_SIZE_PX = (1024, 768)


def katwijk_calibration_path() -> Path:
    """The shipped ESA Katwijk stereo calibration JSON (``sim_assets/calibration/SOURCE.md``)."""
    return assets_dir() / "calibration" / "katwijk_stereo_params.json"


def _katwijk_rig(
    rig: Mapping[str, object], source: str, image_size_px: tuple[int, int]
) -> StereoCalibration:
    problems: list[str] = []
    cams = []
    for name in ("cam1", "cam2"):
        cam = rig.get(name)
        if not isinstance(cam, Mapping):
            problems.append(f"{name}: is missing")
            continue
        m = _matrix_field(cam, "matlab_IntrinsicMatrix", (3, 3), problems, prefix=f"{name}.")
        radial = _vector_field(cam, "RadialDistortion_k1_k2", problems, prefix=f"{name}.")
        tangential = _vector_field(cam, "TangentialDistortion_p1_p2", problems, prefix=f"{name}.")
        if m is None or radial is None or tangential is None:
            continue
        if m[1, 0] != 0.0:
            problems.append(f"{name}.matlab_IntrinsicMatrix: has skew {m[1, 0]}, OpenCV has none")
        if radial.size not in (2, 3) or tangential.size != 2:
            problems.append(f"{name}: expected 2 or 3 radial and 2 tangential coefficients")
            continue
        k = m.T.copy()
        k[0, 2] -= 1.0  # MATLAB pixel centres are 1-based, OpenCV's 0-based
        k[1, 2] -= 1.0
        d = np.array([radial[0], radial[1], tangential[0], tangential[1], *radial[2:]])
        cams.append((k, d))
    r_matlab = _matrix_field(rig, "matlab_RotationOfCamera2", (3, 3), problems)
    t_mm = _matrix_field(rig, "matlab_TranslationOfCamera2_mm", (3,), problems)
    units = rig.get("WorldUnits", "mm")
    if units != "mm":
        problems.append(f"WorldUnits: expected 'mm', got {units!r}")
    if problems or r_matlab is None or t_mm is None or len(cams) != 2:
        raise CalibrationError(f"{_one_line(source)}: " + "; ".join(problems))
    r = r_matlab.T
    t_m = t_mm / 1000.0
    for key, ours in (("R_opencv_cam1_to_cam2", r), ("T_opencv_cam1_to_cam2_mm", t_mm)):
        if key in rig:
            theirs = _matrix_field(rig, key, ours.shape, problems)
            if theirs is not None and not np.allclose(theirs, ours, atol=1e-9):
                problems.append(f"{key}: disagrees with the converted MATLAB values")
    if problems:
        raise CalibrationError(f"{_one_line(source)}: " + "; ".join(problems))
    (k1, d1), (k2, d2) = cams
    return StereoCalibration(image_size_px, k1, d1, k2, d2, r, t_m, source)


class _OpenCvYamlLoader(yaml.SafeLoader):
    """Safe YAML that also reads OpenCV ``FileStorage`` output (``!!opencv-matrix`` mappings)."""


def _construct_opencv_matrix(loader: yaml.SafeLoader, node: yaml.Node) -> dict[object, object]:
    if not isinstance(node, yaml.MappingNode):
        raise yaml.constructor.ConstructorError(
            None, None, "an !!opencv-matrix must be a mapping", node.start_mark
        )
    return loader.construct_mapping(node, deep=True)


_OpenCvYamlLoader.add_constructor("tag:yaml.org,2002:opencv-matrix", _construct_opencv_matrix)
_OpenCvYamlLoader.add_constructor("tag:yaml.org,2002:opencv-nd-matrix", _construct_opencv_matrix)


def _load_yaml(text: str, source: str) -> object:
    if text.startswith("%YAML:"):  # OpenCV's header; not a valid YAML directive
        text = text.split("\n", 1)[1] if "\n" in text else ""
    try:
        # A SafeLoader subclass: builds plain data only, never arbitrary objects.
        return yaml.load(text, Loader=_OpenCvYamlLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or type(error).__name__
        raise CalibrationError(f"{_one_line(source)}: not valid YAML: {problem}{where}") from None


def _numbers(value: object) -> F64 | None:
    """Nested lists of real numbers, or an OpenCV FileStorage matrix, as float64."""
    if isinstance(value, Mapping) and "data" in value:
        if {"rows", "cols"} <= set(value):  # !!opencv-matrix
            shape: object = [value["rows"], value["cols"]]
        else:  # !!opencv-nd-matrix
            shape = value.get("sizes")
        if not (isinstance(shape, list) and shape and all(_is_count(v) for v in shape)):
            return None
        flat = _numbers(value["data"])
        if flat is None or flat.size != math.prod(shape):
            return None
        return flat.reshape(shape)
    if not isinstance(value, (list, tuple, int, float)) or isinstance(value, bool):
        return None
    if not _all_real(value):
        return None
    try:
        return np.asarray(value, dtype=np.float64)
    except ValueError:  # ragged
        return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _all_real(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_all_real(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _matrix_field(
    data: Mapping[str, object],
    name: str,
    shape: tuple[int, ...],
    problems: list[str],
    prefix: str = "",
) -> F64 | None:
    if name not in data:
        problems.append(f"{prefix}{name}: is missing")
        return None
    array = _numbers(data[name])
    size = math.prod(shape)
    if (
        array is None
        or array.size != size
        or (array.ndim > 1 and array.shape != shape and array.squeeze().shape != shape)
    ):
        problems.append(
            f"{prefix}{name}: must be {' x '.join(map(str, shape))} numbers, "
            f"got {_short(data[name])}"
        )
        return None
    return array.reshape(shape)


def _vector_field(
    data: Mapping[str, object],
    name: str,
    problems: list[str],
    prefix: str = "",
    lengths: tuple[int, ...] = (),
) -> F64 | None:
    if name not in data:
        problems.append(f"{prefix}{name}: is missing")
        return None
    array = _numbers(data[name])
    if (
        array is None
        or array.ndim > 2
        or (array.ndim == 2 and min(array.shape) != 1)
        or (lengths and array.size not in lengths)
    ):
        count = "/".join(map(str, lengths)) + " " if lengths else ""
        problems.append(
            f"{prefix}{name}: must be a list of {count}numbers, got {_short(data[name])}"
        )
        return None
    return array.reshape(-1)


def _image_size(data: Mapping[str, object], problems: list[str]) -> tuple[int, int] | None:
    if "image_size_px" not in data:
        problems.append("image_size_px: is missing")
        return None
    value = data["image_size_px"]
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    ):
        return (int(value[0]), int(value[1]))
    problems.append(f"image_size_px: must be [width, height] positive ints, got {_short(value)}")
    return None


def _check_camera_matrix(name: str, k: F64) -> list[str]:
    fx, fy = k[0, 0], k[1, 1]
    if not (
        fx > 0
        and fy > 0
        and k[0, 1] == 0
        and k[1, 0] == 0
        and k[2, 0] == 0
        and k[2, 1] == 0
        and k[2, 2] == 1
    ):
        return [
            f"{name}: must be [[fx, 0, cx], [0, fy, cy], [0, 0, 1]] with fx, fy > 0, "
            f"got {_short(k)}"
        ]
    return []


def _short(value: object, limit: int = 80) -> str:
    text = " ".join(repr(value.tolist() if isinstance(value, np.ndarray) else value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- rectification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RectifiedStereoCamera:
    """The left camera of a rectified pair, and the baseline to the right one.

    Both rectified cameras share ``focal_px`` and the principal point; the right one sits
    ``baseline_m`` along +x of the left one, so a point at depth z (metres, rectified left
    frame) has disparity ``focal_px * baseline_m / z`` pixels.
    """

    width_px: int
    height_px: int
    focal_px: float
    cx_px: float
    cy_px: float
    baseline_m: float

    def __post_init__(self) -> None:
        for name in ("width_px", "height_px"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"RectifiedStereoCamera.{name} must be a positive int, got {value!r}"
                )
        for name in ("focal_px", "baseline_m"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"RectifiedStereoCamera.{name} must be finite and > 0, got {value!r}"
                )
        for name in ("cx_px", "cy_px"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"RectifiedStereoCamera.{name} must be finite, got {value!r}")

    @property
    def focal_baseline_px_m(self) -> float:
        """``f * B`` (pixel metres): depth in metres is this divided by disparity in pixels."""
        return self.focal_px * self.baseline_m

    def disparity_px(self, depth_m: float) -> float:
        """Disparity (pixels) of a point at ``depth_m`` along the optical axis."""
        return self.focal_baseline_px_m / depth_m

    def pinhole(self) -> PinholeCamera:
        """The rectified left camera as a :class:`PinholeCamera` (for ``ElevationMap``)."""
        return PinholeCamera(
            self.width_px, self.height_px, self.focal_px, self.focal_px, self.cx_px, self.cy_px
        )

    def fusion_config(
        self, disparity_sigma_px: float, noise_floor_m: float = 0.005
    ) -> FusionConfig:
        """Elevation-map fusion noise matching this rig: ``sigma = floor + sigma_d / (f B) r^2``.

        The map scales the noise with range r, which is never shorter than the depth, so this is
        the stereo depth noise or a little more.
        """
        return FusionConfig(
            noise_floor_m=noise_floor_m,
            noise_per_range2=disparity_sigma_px / self.focal_baseline_px_m,
        )


@dataclass(frozen=True, eq=False)
class Rectification:
    """Rectifying rotations, projections and remap tables of one calibration.

    Computed once (``cv2.stereoRectify`` with ``CALIB_ZERO_DISPARITY`` and
    ``cv2.initUndistortRectifyMap``), then applied to every frame by :meth:`rectify`. The
    rectified images have the calibration's image size.

    Attributes:
        calibration: the calibration it was computed from.
        R1, R2: 3x3 rotations from each raw camera frame to its rectified frame.
        P1, P2: 3x4 projections of the rectified cameras, in the rectified left frame.
        Q: 4x4 disparity-to-depth matrix (``cv2.reprojectImageTo3D``).
        roi_left, roi_right: ``(x, y, width, height)`` of the all-valid part of each image.
        camera: the rectified geometry the matcher works in.
    """

    calibration: StereoCalibration
    R1: F64
    R2: F64
    P1: F64
    P2: F64
    Q: F64
    roi_left: tuple[int, int, int, int]
    roi_right: tuple[int, int, int, int]
    camera: RectifiedStereoCamera
    _maps: tuple[
        npt.NDArray[np.int16], npt.NDArray[np.uint16], npt.NDArray[np.int16], npt.NDArray[np.uint16]
    ] = field(repr=False)

    @classmethod
    def compute(cls, calibration: StereoCalibration, alpha: float = 0.0) -> Rectification:
        """Rectifies ``calibration``.

        Args:
            alpha: OpenCV's free scaling: 0 keeps only valid pixels (zooms in), 1 keeps every
                source pixel (black borders).
        """
        if not (math.isfinite(alpha) and 0.0 <= alpha <= 1.0):
            raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
        c = calibration
        size = c.image_size_px
        r1, r2, p1, p2, q, roi1, roi2 = cv2.stereoRectify(
            c.K1,
            c.D1,
            c.K2,
            c.D2,
            size,
            c.R,
            c.T_m.reshape(3, 1),
            flags=cv2.CALIB_ZERO_DISPARITY,
            alpha=alpha,
            newImageSize=size,
        )
        p1a, p2a = np.asarray(p1, np.float64), np.asarray(p2, np.float64)
        if abs(p2a[1, 3]) > 1e-9 * abs(p2a[0, 3]) or p2a[0, 3] >= 0.0:
            raise CalibrationError(
                f"{_one_line(c.source)}: rectification is not left-right (P2 = {_short(p2a)})"
            )
        camera = RectifiedStereoCamera(
            width_px=size[0],
            height_px=size[1],
            focal_px=float(p1a[0, 0]),
            cx_px=float(p1a[0, 2]),
            cy_px=float(p1a[1, 2]),
            baseline_m=float(-p2a[0, 3] / p2a[0, 0]),
        )
        left = cv2.initUndistortRectifyMap(c.K1, c.D1, r1, p1a, size, cv2.CV_16SC2)
        right = cv2.initUndistortRectifyMap(c.K2, c.D2, r2, p2a, size, cv2.CV_16SC2)
        maps = tuple(np.asarray(m) for m in (*left, *right))
        return cls(
            calibration=c,
            R1=_readonly(r1),
            R2=_readonly(r2),
            P1=_readonly(p1a),
            P2=_readonly(p2a),
            Q=_readonly(q),
            roi_left=cast(tuple[int, int, int, int], tuple(int(v) for v in roi1)),
            roi_right=cast(tuple[int, int, int, int], tuple(int(v) for v in roi2)),
            camera=camera,
            _maps=cast(
                tuple[
                    npt.NDArray[np.int16],
                    npt.NDArray[np.uint16],
                    npt.NDArray[np.int16],
                    npt.NDArray[np.uint16],
                ],
                maps,
            ),
        )

    def rectify(self, left: U8, right: U8) -> tuple[U8, U8]:
        """Remaps a raw pair (calibration size, uint8) to the rectified pair (bilinear)."""
        size = self.calibration.image_size_px
        _check_pair(left, right, (size[1], size[0]), "the calibration image size")
        m1x, m1y, m2x, m2y = self._maps
        out_l = cv2.remap(left, m1x, m1y, cv2.INTER_LINEAR)
        out_r = cv2.remap(right, m2x, m2y, cv2.INTER_LINEAR)
        return np.asarray(out_l, np.uint8), np.asarray(out_r, np.uint8)

    def rectify_points(self, points_px: npt.ArrayLike, side: Literal["left", "right"]) -> F64:
        """Maps raw pixel positions (N, 2) of one camera to rectified pixel positions (N, 2)."""
        points = np.asarray(points_px, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"points_px must have shape (N, 2), got {points.shape}")
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', got {side!r}")
        c = self.calibration
        if side == "left":
            k, d, r, p = c.K1, c.D1, self.R1, self.P1
        else:
            k, d, r, p = c.K2, c.D2, self.R2, self.P2
        if points.shape[0] == 0:
            return np.zeros((0, 2))
        # Iterate the inverse distortion to convergence (OpenCV's default stops after 5 steps,
        # which leaves ~0.01 px near the corners of a strongly barrel-distorted lens).
        criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 100, 1e-12)
        out = cv2.undistortPoints(points.reshape(-1, 1, 2), k, d, R=r, P=p, criteria=criteria)
        return np.asarray(out, np.float64).reshape(-1, 2)

    def rectified_pose(self, raw_left_pose: CameraPose) -> CameraPose:
        """The rectified left camera's pose, given the raw left camera's pose in the site frame."""
        return CameraPose(raw_left_pose.position_m, raw_left_pose.rotation @ self.R1.T)


# --- matching -----------------------------------------------------------------------------------

SgbmMode = Literal["sgbm", "sgbm_3way", "hh", "hh4"]
_SGBM_MODES: dict[str, int] = {
    "sgbm": cv2.StereoSGBM_MODE_SGBM,
    "sgbm_3way": cv2.StereoSGBM_MODE_SGBM_3WAY,
    "hh": cv2.StereoSGBM_MODE_HH,
    "hh4": cv2.StereoSGBM_MODE_HH4,
}


@dataclass(frozen=True)
class StereoConfig:
    """Semi-global matching and confidence-check parameters.

    Use :meth:`for_image` or :meth:`for_depth_range` to derive them from the image size and the
    disparity range; the defaults of the checks were set on Middlebury Cones and the MSL Navcam
    pair (see
    ``docs/perception.md``).

    Attributes:
        num_disparities: size of the disparity search range, pixels; a positive multiple of 16.
        min_disparity_px: smallest disparity searched, pixels.
        block_size_px: odd side of the matching block (SGBM's ``blockSize``), 1..11. SGBM's
            smoothness penalties follow OpenCV's advice for one channel: ``P1 = 8 * block^2``,
            ``P2 = 32 * block^2``.
        uniqueness_ratio_pct: the best matching cost must beat the second best by this many
            percent (SGBM's ``uniquenessRatio``); 0 turns the check off.
        left_right_check: match right-to-left as well and keep a pixel only if both agree.
        lr_max_diff_px: largest left/right disparity disagreement kept, pixels.
        texture_min_std: smallest local standard deviation of the (3x3-smoothed) left image,
            grey levels; 0 turns the check off. The smoothing keeps sensor and JPEG noise in
            flat regions (sky, deep shadow) from passing as texture.
        texture_window_px: odd side of the window of that standard deviation, pixels.
        speckle_max_size_px: connected regions of similar disparity up to this many pixels are
            rejected as speckles (``cv2.filterSpeckles``); 0 turns the check off.
        speckle_max_diff_px: neighbours closer than this in disparity are one region, pixels.
        disparity_sigma_px: standard deviation of a valid pixel's disparity error, pixels;
            it sets ``DepthResult.depth_sigma_m``.
        mode: SGBM variant: ``"sgbm_3way"`` (default, fast), ``"sgbm"``, ``"hh"`` (full 8-path,
            slow), ``"hh4"``.
    """

    num_disparities: int
    min_disparity_px: int = 0
    block_size_px: int = 5
    uniqueness_ratio_pct: int = 10
    left_right_check: bool = True
    lr_max_diff_px: float = 1.0
    texture_min_std: float = 1.5
    texture_window_px: int = 9
    speckle_max_size_px: int = 100
    speckle_max_diff_px: float = 1.0
    disparity_sigma_px: float = 0.25
    mode: SgbmMode = "sgbm_3way"

    def __post_init__(self) -> None:
        def fail(name: str, rule: str) -> None:
            raise ValueError(f"StereoConfig.{name} must be {rule}, got {getattr(self, name)!r}")

        def is_int(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        num = self.num_disparities
        if not is_int(num) or num <= 0 or num % 16:
            fail("num_disparities", "a positive multiple of 16")
        if not is_int(self.min_disparity_px):
            fail("min_disparity_px", "an int")
        if (
            not is_int(self.block_size_px)
            or not 1 <= self.block_size_px <= 11
            or (self.block_size_px % 2 == 0)
        ):
            fail("block_size_px", "an odd int in [1, 11]")
        if not is_int(self.uniqueness_ratio_pct) or not 0 <= self.uniqueness_ratio_pct <= 100:
            fail("uniqueness_ratio_pct", "an int in [0, 100]")
        for name in ("lr_max_diff_px", "texture_min_std", "speckle_max_diff_px"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                fail(name, "finite and >= 0")
        if (
            not is_int(self.texture_window_px)
            or self.texture_window_px < 3
            or (self.texture_window_px % 2 == 0)
        ):
            fail("texture_window_px", "an odd int >= 3")
        if not is_int(self.speckle_max_size_px) or self.speckle_max_size_px < 0:
            fail("speckle_max_size_px", "an int >= 0")
        if not (math.isfinite(self.disparity_sigma_px) and self.disparity_sigma_px > 0):
            fail("disparity_sigma_px", "finite and > 0")
        if self.mode not in _SGBM_MODES:
            fail("mode", f"one of {sorted(_SGBM_MODES)}")

    @property
    def max_disparity_px(self) -> int:
        """Largest disparity searched, pixels."""
        return self.min_disparity_px + self.num_disparities - 1

    @property
    def p1(self) -> int:
        """SGBM penalty for a disparity change of 1 px between neighbours."""
        return 8 * self.block_size_px**2

    @property
    def p2(self) -> int:
        """SGBM penalty for a larger disparity jump between neighbours."""
        return 32 * self.block_size_px**2

    @classmethod
    def for_image(
        cls, width_px: int, height_px: int, max_disparity_px: float, min_disparity_px: int = 0
    ) -> StereoConfig:
        """Parameters for an image size and disparity range.

        The search covers ``[min_disparity_px, max_disparity_px]`` rounded up to a multiple of
        16; the block grows with the image width (3 px at 450, 5 at 640, 7 at 1024), so it spans
        about the same angle whatever the resolution; speckles are regions under 1/2000 of the
        image area.
        """
        if not (width_px > 0 and height_px > 0):
            raise ValueError(f"image size must be positive, got {width_px} x {height_px}")
        if not (math.isfinite(max_disparity_px) and max_disparity_px > min_disparity_px):
            raise ValueError(
                f"max_disparity_px must be finite and > min_disparity_px ({min_disparity_px}), "
                f"got {max_disparity_px!r}"
            )
        span = math.ceil(max_disparity_px) - min_disparity_px + 1
        num = 16 * math.ceil(span / 16)
        block = min(11, max(3, 2 * round(width_px / 320) + 1))
        return cls(
            num_disparities=num,
            min_disparity_px=min_disparity_px,
            block_size_px=block,
            speckle_max_size_px=max(20, width_px * height_px // 2000),
        )

    @classmethod
    def for_depth_range(cls, camera: RectifiedStereoCamera, min_depth_m: float) -> StereoConfig:
        """Parameters that see from ``min_depth_m`` (metres) out to infinity with ``camera``."""
        if not (math.isfinite(min_depth_m) and min_depth_m > 0):
            raise ValueError(f"min_depth_m must be finite and > 0, got {min_depth_m!r}")
        return cls.for_image(camera.width_px, camera.height_px, camera.disparity_px(min_depth_m))


class Rejection(enum.IntFlag):
    """Why a pixel has no depth (bits of ``DepthResult.rejected``; 0 = valid)."""

    BORDER = 1
    """The matching block would leave the right image: the match found is within half a block
    of its left edge, or SGBM found none in the left strip the search range partly leaves."""
    NO_MATCH = 2
    """SGBM found no match: the best cost is not unique by ``uniqueness_ratio_pct``."""
    LEFT_RIGHT = 4
    """Right-to-left matching disagrees by more than ``lr_max_diff_px`` (occlusion, mismatch)."""
    LOW_TEXTURE = 8
    """Local intensity standard deviation under ``texture_min_std``."""
    SPECKLE = 16
    """Part of a small isolated region of disparities (``speckle_max_size_px``)."""
    NOT_POSITIVE = 32
    """Disparity <= 0: at or beyond infinity, no finite depth."""


@dataclass(frozen=True)
class DepthStats:
    """Summary of one frame.

    Attributes:
        pixels: pixels in the frame.
        valid_px: pixels with a depth.
        density: ``valid_px / pixels``.
        rejected_fraction: per :class:`Rejection` name, the fraction of pixels carrying that
            flag (one pixel can fail several checks, so they may sum past ``1 - density``).
        median_depth_m: median depth of the valid pixels, metres (NaN if none).
    """

    pixels: int
    valid_px: int
    density: float
    rejected_fraction: Mapping[str, float]
    median_depth_m: float


@dataclass(frozen=True, eq=False)
class DepthResult:
    """Depth of one rectified stereo frame, in the rectified left camera's frame and pixels.

    All grids have shape ``(height, width)`` of the rectified image.

    Attributes:
        disparity_px: float32 disparity (pixels, 1/16 px steps), NaN where rejected.
        depth_m: float32 depth along the optical axis (metres), NaN where rejected.
        depth_sigma_m: float32 standard deviation of ``depth_m`` from the disparity noise,
            ``z**2 / (f * B) * disparity_sigma_px`` (metres), NaN where rejected.
        valid: bool mask of the pixels with a depth.
        rejected: uint8 :class:`Rejection` bits, 0 where valid.
        left_rectified: the rectified left image the depth belongs to (uint8).
        camera: the rectified geometry (``camera.pinhole()`` back-projects ``depth_m``).
        stats: counts and density.
    """

    disparity_px: F32
    depth_m: F32
    depth_sigma_m: F32
    valid: BoolGrid
    rejected: U8
    left_rectified: U8
    camera: RectifiedStereoCamera
    stats: DepthStats

    def points_m(self) -> F32:
        """(N, 3) float32 points of the valid pixels in the rectified left camera frame, metres."""
        v, u = np.nonzero(self.valid)
        z = self.depth_m[v, u].astype(np.float64)
        c = self.camera
        x = (u - c.cx_px) / c.focal_px * z
        y = (v - c.cy_px) / c.focal_px * z
        return np.column_stack([x, y, z]).astype(np.float32)


class StereoFrontEnd:
    """Rectify, match and check stereo frames; one instance per rig and configuration.

    Built on a :class:`Rectification`, :meth:`process` takes raw images of the calibration size;
    built on a :class:`RectifiedStereoCamera`, it takes images that are already rectified, of
    that camera's size. Either way images are 2-D uint8 (grey) arrays. An instance holds its
    SGBM matchers' buffers: use one per thread.
    """

    def __init__(
        self, geometry: Rectification | RectifiedStereoCamera, config: StereoConfig
    ) -> None:
        if isinstance(geometry, Rectification):
            self.rectification: Rectification | None = geometry
            self.camera = geometry.camera
        elif isinstance(geometry, RectifiedStereoCamera):
            self.rectification = None
            self.camera = geometry
        else:
            raise TypeError(
                "geometry must be a Rectification or a RectifiedStereoCamera, "
                f"got {type(geometry).__name__}"
            )
        if not isinstance(config, StereoConfig):
            raise TypeError(f"config must be a StereoConfig, got {type(config).__name__}")
        if config.min_disparity_px + config.num_disparities >= self.camera.width_px:
            raise ValueError(
                f"config searches disparities up to {config.max_disparity_px} px, which does not "
                f"fit in the {self.camera.width_px} px wide image"
            )
        self.config = config
        self._left_matcher = self._matcher()
        self._right_matcher = self._matcher()

    def _matcher(self) -> cv2.StereoSGBM:
        c = self.config
        return cv2.StereoSGBM.create(
            minDisparity=c.min_disparity_px,
            numDisparities=c.num_disparities,
            blockSize=c.block_size_px,
            P1=c.p1,
            P2=c.p2,
            disp12MaxDiff=-1,  # the left-right check is done here, with a real right matcher
            preFilterCap=63,
            uniquenessRatio=c.uniqueness_ratio_pct,
            speckleWindowSize=0,  # speckles are filtered here, after the other checks
            speckleRange=0,
            mode=_SGBM_MODES[c.mode],
        )

    def _match(self, matcher: cv2.StereoSGBM, left: U8, right: U8) -> npt.NDArray[np.int16]:
        """SGBM disparity (1/16 px) of ``left``, searched past the left edge of ``right``.

        SGBM gives up on the left strip where the search range leaves the image. Padding both
        images on the left by the search range lets it match the pixels whose true match is in
        view (disparity <= x); the rest fail the uniqueness or the left-right check.
        """
        pad = max(0, self.config.max_disparity_px + 1)
        padded = [
            cv2.copyMakeBorder(image, 0, 0, pad, 0, cv2.BORDER_CONSTANT, value=0)
            for image in (left, right)
        ]
        raw = np.asarray(matcher.compute(padded[0], padded[1]), np.int16)
        return np.ascontiguousarray(raw[:, pad:])

    @property
    def input_shape(self) -> tuple[int, int]:
        """``(height, width)`` that :meth:`process` expects."""
        if self.rectification is not None:
            w, h = self.rectification.calibration.image_size_px
            return (h, w)
        return (self.camera.height_px, self.camera.width_px)

    def process(self, left: U8, right: U8) -> DepthResult:
        """Depth of one frame; raises :class:`StereoImageError` for unusable images."""
        if self.rectification is not None:
            left, right = self.rectification.rectify(left, right)
        else:
            _check_pair(left, right, self.input_shape, "the rectified camera size")
        c = self.config
        rejected = np.zeros(left.shape, np.uint8)

        # Left-to-right SGBM: 16x fixed point; (min_disparity - 1) * 16 marks no match.
        invalid_raw = (c.min_disparity_px - 1) * 16
        raw = self._match(self._left_matcher, left, right)
        no_match = raw <= invalid_raw
        disparity = raw.astype(np.float32) / 16.0
        # Matched right column x - d: the whole matching block must lie in the right image.
        columns = np.arange(left.shape[1], dtype=np.float32)[None, :]
        half_block = c.block_size_px // 2
        strip = columns < c.max_disparity_px + half_block
        outside = ~no_match & (columns - disparity < half_block)
        rejected[(strip & no_match) | outside] |= np.uint8(Rejection.BORDER)
        rejected[~strip & no_match] |= np.uint8(Rejection.NO_MATCH)

        if c.left_right_check:
            # Right-to-left matching as left-to-right matching of the mirrored pair.
            mirrored = self._match(
                self._right_matcher,
                np.ascontiguousarray(right[:, ::-1]),
                np.ascontiguousarray(left[:, ::-1]),
            )
            disagree = _left_right_disagrees(raw, mirrored[:, ::-1], invalid_raw, c.lr_max_diff_px)
            rejected[disagree] |= np.uint8(Rejection.LEFT_RIGHT)

        if c.texture_min_std > 0:
            std = _local_std(left, c.texture_window_px)
            rejected[std < c.texture_min_std] |= np.uint8(Rejection.LOW_TEXTURE)

        rejected[~no_match & (raw <= 0)] |= np.uint8(Rejection.NOT_POSITIVE)

        if c.speckle_max_size_px > 0:
            kept = np.where(rejected == 0, raw, np.int16(invalid_raw)).astype(np.int16)
            filtered, _ = cv2.filterSpeckles(
                kept, invalid_raw, c.speckle_max_size_px, round(c.speckle_max_diff_px * 16)
            )
            speckle = (np.asarray(filtered) == invalid_raw) & (rejected == 0)
            rejected[speckle] |= np.uint8(Rejection.SPECKLE)

        valid = rejected == 0
        disparity[~valid] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            depth = (self.camera.focal_baseline_px_m / disparity).astype(np.float32)
        sigma = (depth * depth * (c.disparity_sigma_px / self.camera.focal_baseline_px_m)).astype(
            np.float32
        )
        return DepthResult(
            disparity_px=disparity,
            depth_m=depth,
            depth_sigma_m=sigma,
            valid=valid,
            rejected=rejected,
            left_rectified=left,
            camera=self.camera,
            stats=_stats(valid, rejected, depth),
        )


def _left_right_disagrees(
    raw_left: npt.NDArray[np.int16],
    raw_right: npt.NDArray[np.int16],
    invalid_raw: int,
    max_diff_px: float,
) -> BoolGrid:
    """Left pixels whose right-image match has no disparity or a different one."""
    w = raw_left.shape[1]
    d_left = raw_left.astype(np.float32) / 16.0
    cols = np.arange(w)[None, :] - np.rint(d_left).astype(np.int64)
    inside = (cols >= 0) & (cols < w)
    d_right_raw = np.take_along_axis(raw_right, np.clip(cols, 0, w - 1), axis=1)
    agree = (
        inside
        & (d_right_raw > invalid_raw)
        & (np.abs(d_right_raw.astype(np.float32) / 16.0 - d_left) <= max_diff_px)
    )
    return np.asarray((raw_left > invalid_raw) & ~agree, np.bool_)


def _local_std(image: U8, window_px: int) -> F32:
    """Standard deviation (grey levels) of the 3x3-box-smoothed image over a square window."""
    smooth = np.asarray(cv2.blur(image.astype(np.float32), (3, 3)), np.float32)
    k = (window_px, window_px)
    mean = np.asarray(cv2.boxFilter(smooth, -1, k), np.float32)
    mean_sq = np.asarray(cv2.boxFilter(smooth * smooth, -1, k), np.float32)
    variance: F32 = np.maximum(mean_sq - mean * mean, np.float32(0.0))
    return np.sqrt(variance)


def _stats(valid: BoolGrid, rejected: U8, depth: F32) -> DepthStats:
    pixels = int(valid.size)
    valid_px = int(valid.sum())
    fractions = {
        str(flag.name).lower(): float(((rejected & flag) != 0).sum()) / pixels for flag in Rejection
    }
    median = float(np.median(depth[valid])) if valid_px else math.nan
    return DepthStats(pixels, valid_px, valid_px / pixels, fractions, median)


def _check_image(image: object, name: str) -> U8:
    if not isinstance(image, np.ndarray):
        raise StereoImageError(f"{name}: must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise StereoImageError(
            f"{name}: must have dtype uint8 (8-bit grey), got {image.dtype} "
            "(scale it to 0..255 and convert with .astype(np.uint8))"
        )
    if image.ndim != 2:
        raise StereoImageError(
            f"{name}: must be a 2-D grey image, got shape {image.shape} "
            "(convert colour with cv2.cvtColor)"
        )
    if image.size == 0:
        raise StereoImageError(f"{name}: is empty (shape {image.shape})")
    return image


def _check_pair(left: object, right: object, shape: tuple[int, int], what: str) -> None:
    left_image = _check_image(left, "left")
    right_image = _check_image(right, "right")
    if left_image.shape != right_image.shape:
        raise StereoImageError(
            f"right: shape {right_image.shape} differs from left's {left_image.shape}"
        )
    if left_image.shape != shape:
        raise StereoImageError(
            f"left: shape {left_image.shape} (height, width) does not match {what} {shape}"
        )


def read_grey_image(path: str | os.PathLike[str]) -> U8:
    """Reads an image file as 8-bit grey (``cv2.imread``); :class:`StereoImageError` if it fails."""
    image = cv2.imread(os.fspath(path), cv2.IMREAD_GRAYSCALE)
    if image is None or image.size == 0:
        raise StereoImageError(f"{_one_line(os.fspath(path))}: cannot be read as an image")
    return np.asarray(image, np.uint8)


# --- nominally rectified pairs ------------------------------------------------------------------


@dataclass(frozen=True)
class RowAlignment:
    """Residual vertical misalignment of a nominally rectified pair, and its correction.

    A feature at left pixel (x, y) appears in the right image at row ``y + dy(x, y)`` with
    ``dy = offset_px + per_col * (x - cx) + per_row * (y - cy)`` (pixels; a small roll shows as
    ``per_col``, a scale or pitch difference as ``per_row``). SGBM searches along rows only, so a
    pair with more than about a pixel of ``dy`` loses matches; :meth:`apply` resamples the right
    image to take ``dy`` out. ``dy`` is evaluated at the left pixel, which is exact up to
    ``disparity * per_col`` pixels.

    Attributes:
        offset_px, per_col, per_row: the model above; ``centre_px`` is its (cx, cy).
        matches: feature matches the fit kept.
        residual_rms_px: RMS of the vertical residuals of those matches, pixels.
    """

    offset_px: float
    per_col: float
    per_row: float
    centre_px: tuple[float, float]
    matches: int
    residual_rms_px: float

    @classmethod
    def estimate(cls, left: U8, right: U8, max_features: int = 4000) -> RowAlignment:
        """Fits the model to SIFT matches (Lowe ratio 0.7, 3-sigma outlier rejection)."""
        _check_pair(
            left, right, left.shape if isinstance(left, np.ndarray) else (0, 0), "the left image"
        )
        sift = cv2.SIFT.create(nfeatures=max_features)
        kp_l, desc_l = sift.detectAndCompute(left, None)
        kp_r, desc_r = sift.detectAndCompute(right, None)
        if desc_l is None or desc_r is None or len(kp_l) < 2 or len(kp_r) < 2:
            raise StereoImageError("left/right: too little texture to measure row alignment")
        pairs = cv2.BFMatcher(cv2.NORM_L2).knnMatch(desc_l, desc_r, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.7 * p[1].distance]
        pl = np.array([kp_l[m.queryIdx].pt for m in good], np.float64).reshape(-1, 2)
        pr = np.array([kp_r[m.trainIdx].pt for m in good], np.float64).reshape(-1, 2)
        h, w = left.shape
        cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
        dy = pr[:, 1] - pl[:, 1]
        a = np.column_stack([np.ones(len(pl)), pl[:, 0] - cx, pl[:, 1] - cy])
        keep = (np.abs(dy) < 0.05 * h) & (pl[:, 0] - pr[:, 0] > -2.0)
        coef = np.zeros(3)
        for _ in range(5):
            if keep.sum() < 10:
                raise StereoImageError(
                    f"left/right: only {int(keep.sum())} consistent feature matches; "
                    "cannot measure row alignment"
                )
            coef = np.linalg.lstsq(a[keep], dy[keep], rcond=None)[0]
            residual = dy - a @ coef
            spread = 1.4826 * float(np.median(np.abs(residual[keep])))
            keep = np.abs(residual) <= max(3.0 * spread, 0.25)
        residual = (dy - a @ coef)[keep]
        return cls(
            offset_px=float(coef[0]),
            per_col=float(coef[1]),
            per_row=float(coef[2]),
            centre_px=(cx, cy),
            matches=int(keep.sum()),
            residual_rms_px=float(np.sqrt(np.mean(residual**2))),
        )

    def dy_px(self, x_px: npt.ArrayLike, y_px: npt.ArrayLike) -> F64:
        """Vertical offset (pixels) of the right image's match of left pixel (x, y)."""
        x = np.asarray(x_px, np.float64)
        y = np.asarray(y_px, np.float64)
        return np.asarray(
            self.offset_px
            + self.per_col * (x - self.centre_px[0])
            + self.per_row * (y - self.centre_px[1]),
            np.float64,
        )

    def apply(self, right: U8) -> U8:
        """The right image resampled (bilinear) so that matches lie on the left image's rows."""
        image = _check_image(right, "right")
        h, w = image.shape
        ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
        map_y = (ys + self.dy_px(xs, ys)).astype(np.float32)
        out = cv2.remap(image, xs, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        return np.asarray(out, np.uint8)
