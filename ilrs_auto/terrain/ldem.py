"""Reader for LOLA gridded DEMs in simple cylindrical projection (PDS3 ``LDEM_*`` products).

Reads the detached PDS3 label (the handful of keywords that place the grid) and the raw image it
describes: LSB or MSB 16-bit integers, heights = DN x SCALING_FACTOR above a sphere of radius
OFFSET. The label is untrusted text: a keyword that is missing or out of range, or an image whose
size disagrees with it, is a :class:`LdemError` naming the file and the keyword.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError

__all__ = ["CylindricalDem", "LdemError", "read_ldem"]


class LdemError(InputError):
    """A PDS3 DEM label or image cannot be used. The message names the file and the keyword."""


@dataclass(frozen=True, eq=False)
class CylindricalDem:
    """Heights on a latitude/longitude grid of a spherical body.

    Attributes:
        heights_m: float32 (lines, samples), line 0 first as stored (northernmost for LOLA
            products), heights in metres above the sphere of ``radius_m``. Read-only.
        pixels_per_degree: grid spacing in both latitude and longitude.
        first_latitude_deg: latitude of the centre of line 0; lines go southwards.
        first_longitude_deg: east longitude of the centre of sample 0; samples go eastwards.
        radius_m: radius of the reference sphere.
        frame: the body-fixed frame the grid is in (from COORDINATE_SYSTEM_NAME).
        source: the label's path.
    """

    heights_m: npt.NDArray[np.float32]
    pixels_per_degree: float
    first_latitude_deg: float
    first_longitude_deg: float
    radius_m: float
    frame: str
    source: str

    @property
    def wraps_in_longitude(self) -> bool:
        """True when the samples cover all 360 degrees of longitude."""
        return bool(abs(self.heights_m.shape[1] / self.pixels_per_degree - 360.0) < 1e-9)

    def sample(
        self, latitude_deg: npt.ArrayLike, longitude_deg: npt.ArrayLike
    ) -> npt.NDArray[np.float64]:
        """Bilinear heights (m) at the given points (any matching shapes).

        Longitudes wrap when the grid covers the full circle; latitudes beyond the first or last
        line's centre take that line's values (the last quarter pixel around a pole); points
        outside a grid that does not wrap are NaN.
        """
        lat = np.asarray(latitude_deg, dtype=np.float64)
        lon = np.asarray(longitude_deg, dtype=np.float64)
        lines, samples = self.heights_m.shape
        i = np.clip((self.first_latitude_deg - lat) * self.pixels_per_degree, 0.0, lines - 1.0)
        j = (lon - self.first_longitude_deg) * self.pixels_per_degree
        if self.wraps_in_longitude:
            j = np.mod(j, samples)
            outside = np.zeros(j.shape, dtype=np.bool_)
        else:
            outside = (j < 0.0) | (j > samples - 1.0)
            j = np.clip(j, 0.0, samples - 1.0)
        i0 = np.minimum(np.floor(i).astype(np.int64), max(lines - 2, 0))
        j0 = np.floor(j).astype(np.int64)
        fi, fj = i - i0, j - j0
        i1 = np.minimum(i0 + 1, lines - 1)
        j1 = (j0 + 1) % samples if self.wraps_in_longitude else np.minimum(j0 + 1, samples - 1)
        j0 = j0 % samples
        h = self.heights_m
        value = (h[i0, j0] * (1.0 - fj) + h[i0, j1] * fj) * (1.0 - fi) + (
            h[i1, j0] * (1.0 - fj) + h[i1, j1] * fj
        ) * fi
        return np.where(outside, np.nan, value).astype(np.float64)


_KEYWORD = re.compile(r"^\s*(\^?[A-Z_][A-Z0-9_]*)\s*=\s*(.*?)\s*$")
_NUMBER = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?:<[^>]*>)?$")


def read_ldem(label_path: str | os.PathLike[str]) -> CylindricalDem:
    """Read a simple-cylindrical PDS3 DEM from its detached label (``.lbl``).

    Raises:
        LdemError: the label or its image is missing, unreadable or inconsistent.
    """
    label = Path(label_path)
    shown = str(label)
    try:
        text = label.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise LdemError(f"{shown}: no such file") from None
    except OSError as e:
        raise LdemError(f"{shown}: cannot read file ({e.strerror})") from None
    keys = _keywords(text)

    def text_of(name: str) -> str:
        if name not in keys:
            raise LdemError(f"{shown}: keyword {name} is missing")
        return keys[name].strip('"').strip()

    def number(name: str, lo: float, hi: float) -> float:
        match = _NUMBER.match(text_of(name))
        if match is None:
            raise LdemError(f"{shown}: {name} = {keys[name]!r} is not a number")
        value = float(match.group(1))
        if not (math.isfinite(value) and lo <= value <= hi):
            raise LdemError(f"{shown}: {name} = {value} is outside [{lo}, {hi}]")
        return value

    if text_of("MAP_PROJECTION_TYPE") != "SIMPLE CYLINDRICAL":
        raise LdemError(f"{shown}: MAP_PROJECTION_TYPE must be SIMPLE CYLINDRICAL")
    lines = int(number("LINES", 2, 1e6))
    samples = int(number("LINE_SAMPLES", 2, 1e6))
    bits = int(number("SAMPLE_BITS", 16, 16))
    sample_type = text_of("SAMPLE_TYPE")
    byte_order = {"LSB_INTEGER": "<", "MSB_INTEGER": ">"}.get(sample_type)
    if byte_order is None:
        raise LdemError(f"{shown}: SAMPLE_TYPE {sample_type} is not LSB_INTEGER or MSB_INTEGER")
    scale = number("SCALING_FACTOR", 1e-6, 1e6)
    radius_m = number("OFFSET", 1.0, 1e8)
    ppd = number("MAP_RESOLUTION", 1e-3, 1e5)
    line_offset = number("LINE_PROJECTION_OFFSET", -1e9, 1e9)
    sample_offset = number("SAMPLE_PROJECTION_OFFSET", -1e9, 1e9)
    center_lat = number("CENTER_LATITUDE", 0.0, 0.0)
    center_lon = number("CENTER_LONGITUDE", -360.0, 360.0)
    image_name = text_of("^IMAGE")
    if "/" in image_name or "\\" in image_name:
        raise LdemError(f"{shown}: ^IMAGE {image_name!r} must name a file beside the label")
    image = label.parent / image_name
    expected = lines * samples * bits // 8
    try:
        raw = image.read_bytes()
    except OSError:
        raise LdemError(f"{shown}: ^IMAGE file {image} cannot be read") from None
    if len(raw) != expected:
        raise LdemError(
            f"{image}: holds {len(raw)} bytes but the label's {lines} x {samples} x {bits} bits "
            f"need {expected}"
        )
    dn = np.frombuffer(raw, dtype=np.dtype(f"{byte_order}i2")).reshape(lines, samples)
    heights = (dn.astype(np.float32) * np.float32(scale)).astype(np.float32)
    heights.flags.writeable = False
    return CylindricalDem(
        heights_m=heights,
        pixels_per_degree=ppd,
        # PDS3 simple cylindrical: line index i (0-based) is centred at
        # CENTER_LATITUDE + (LINE_PROJECTION_OFFSET - i) / MAP_RESOLUTION, and sample j at
        # CENTER_LONGITUDE + (j - SAMPLE_PROJECTION_OFFSET) / MAP_RESOLUTION.
        first_latitude_deg=center_lat + line_offset / ppd,
        first_longitude_deg=center_lon - sample_offset / ppd,
        radius_m=radius_m,
        frame=keys.get("COORDINATE_SYSTEM_NAME", "unknown").strip('"'),
        source=shown,
    )


def _keywords(text: str) -> dict[str, str]:
    """Top-level ``KEY = value`` pairs of a PDS3 label (first occurrence wins; comments and
    multi-line values beyond their first line are ignored)."""
    keys: dict[str, str] = {}
    for line in re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL).splitlines():
        match = _KEYWORD.match(line)
        if match is not None and match.group(1) not in keys:
            keys[match.group(1)] = match.group(2)
    return keys
