"""Reader for baseline GeoTIFF digital elevation models (DEMs).

Pure Python and numpy. Reads the first image of a classic (not BigTIFF) TIFF file, little- or
big-endian, holding one uncompressed band of float32, float64, int16, uint16 or int32 heights in
strips or tiles, georeferenced by ModelPixelScale and ModelTiepoint, with optional GeoKeys and
GDAL_NODATA. Anything else is rejected with a :class:`DemError`.

The parser treats the file as untrusted bytes: every offset and length is checked against the file
size before it is used, and any content, however malformed, yields either a :class:`Dem` or a
:class:`DemError`, never another exception.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from ilrs_auto.errors import InputError

__all__ = ["Dem", "DemError", "parse_dem", "read_dem"]


class DemError(InputError):
    """A DEM file cannot be used. The message is one line: ``"<file>: <what is wrong>"``."""


@dataclass(frozen=True, eq=False)
class Dem:
    """A square-pixel elevation grid in a projected map frame.

    Attributes:
        heights_m: Heights in metres, float32, shape (rows, cols), C-contiguous. Row 0 is the
            SOUTH edge: the row index grows with map northing and the column index with easting.
            Cells without data are NaN. Arrays made by :func:`read_dem` are read-only.
        resolution_m: Side of one square cell in map units (metres).
        origin_xy_m: Map (x, y) of the south-west corner of the grid, i.e. the outer corner of
            cell (0, 0); cell (r, c) covers x in origin_x + [c, c + 1) * resolution_m and
            y in origin_y + [r, r + 1) * resolution_m.
        source: Where the grid came from (the file path for :func:`read_dem`).
        crs: Short human description of the map projection, or ``"unknown"``.
    """

    heights_m: npt.NDArray[np.float32]
    resolution_m: float
    origin_xy_m: tuple[float, float]
    source: str
    crs: str = "unknown"

    def __post_init__(self) -> None:
        h = self.heights_m
        source = _one_line(self.source)
        if not isinstance(h, np.ndarray) or h.dtype != np.float32 or h.ndim != 2:
            raise DemError(f"{source}: heights_m must be a 2-D float32 numpy array")
        if not h.flags.c_contiguous:
            raise DemError(f"{source}: heights_m must be C-contiguous")
        if h.shape[0] == 0 or h.shape[1] == 0:
            raise DemError(f"{source}: heights_m has a zero dimension {h.shape}")
        if not (math.isfinite(self.resolution_m) and self.resolution_m > 0.0):
            raise DemError(f"{source}: resolution_m must be positive, got {self.resolution_m}")
        if not all(math.isfinite(v) for v in self.origin_xy_m):
            raise DemError(f"{source}: origin_xy_m must be finite, got {self.origin_xy_m}")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        return (int(self.heights_m.shape[0]), int(self.heights_m.shape[1]))

    @property
    def width_m(self) -> float:
        """West-east extent in metres."""
        return self.shape[1] * self.resolution_m

    @property
    def height_m(self) -> float:
        """South-north extent in metres."""
        return self.shape[0] * self.resolution_m


def read_dem(path: str | os.PathLike[str]) -> Dem:
    """Read a GeoTIFF DEM file.

    Raises:
        DemError: the file is missing or unreadable, or is not a supported GeoTIFF DEM.
    """
    source = os.fspath(path)
    shown = _one_line(source)
    try:
        with open(source, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise DemError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise DemError(f"{shown}: is a directory, not a file") from None
    except OSError as e:
        raise DemError(f"{shown}: cannot read file ({_one_line(str(e.strerror))})") from None
    return parse_dem(data, source)


def parse_dem(data: bytes, source: str = "<bytes>") -> Dem:
    """Decode the bytes of a GeoTIFF DEM; ``source`` names them in messages and in the result.

    Raises:
        DemError: the bytes are not a supported GeoTIFF DEM.
    """
    return _Parser(bytes(data), source).parse()


# TIFF field types: size in bytes and struct format of one value (rationals are two values).
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INT_FORMATS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i", 13: "I"}
_FLOAT_FORMATS = {11: "f", 12: "d"}
_RATIONAL_FORMATS = {5: "I", 10: "i"}
_ASCII = 2

_IMAGE_WIDTH = 256
_IMAGE_LENGTH = 257
_BITS_PER_SAMPLE = 258
_COMPRESSION = 259
_STRIP_OFFSETS = 273
_SAMPLES_PER_PIXEL = 277
_ROWS_PER_STRIP = 278
_STRIP_BYTE_COUNTS = 279
_PLANAR_CONFIGURATION = 284
_TILE_WIDTH = 322
_TILE_LENGTH = 323
_TILE_OFFSETS = 324
_TILE_BYTE_COUNTS = 325
_SAMPLE_FORMAT = 339
_MODEL_PIXEL_SCALE = 33550
_MODEL_TIEPOINT = 33922
_MODEL_TRANSFORMATION = 34264
_GEO_KEY_DIRECTORY = 34735
_GEO_DOUBLE_PARAMS = 34736
_GEO_ASCII_PARAMS = 34737
_GDAL_NODATA = 42113

_TAG_NAMES = {
    _IMAGE_WIDTH: "ImageWidth",
    _IMAGE_LENGTH: "ImageLength",
    _BITS_PER_SAMPLE: "BitsPerSample",
    _COMPRESSION: "Compression",
    _STRIP_OFFSETS: "StripOffsets",
    _SAMPLES_PER_PIXEL: "SamplesPerPixel",
    _ROWS_PER_STRIP: "RowsPerStrip",
    _STRIP_BYTE_COUNTS: "StripByteCounts",
    _PLANAR_CONFIGURATION: "PlanarConfiguration",
    _TILE_WIDTH: "TileWidth",
    _TILE_LENGTH: "TileLength",
    _TILE_OFFSETS: "TileOffsets",
    _TILE_BYTE_COUNTS: "TileByteCounts",
    _SAMPLE_FORMAT: "SampleFormat",
    _MODEL_PIXEL_SCALE: "ModelPixelScale",
    _MODEL_TIEPOINT: "ModelTiepoint",
    _MODEL_TRANSFORMATION: "ModelTransformation",
    _GEO_KEY_DIRECTORY: "GeoKeyDirectory",
    _GEO_DOUBLE_PARAMS: "GeoDoubleParams",
    _GEO_ASCII_PARAMS: "GeoAsciiParams",
    _GDAL_NODATA: "GDAL_NODATA",
}

_COMPRESSION_NAMES = {
    2: "CCITT RLE",
    3: "CCITT Group 3",
    4: "CCITT Group 4",
    5: "LZW",
    6: "old-style JPEG",
    7: "JPEG",
    8: "Deflate",
    32773: "PackBits",
    32946: "Deflate",
    34887: "LERC",
    34925: "LZMA",
    50000: "Zstandard",
    50001: "WebP",
}

# (SampleFormat, BitsPerSample) -> numpy type code without byte order.
_SAMPLE_TYPES = {(1, 16): "u2", (2, 16): "i2", (2, 32): "i4", (3, 32): "f4", (3, 64): "f8"}
_SAMPLE_FORMAT_NAMES = {1: "unsigned integer", 2: "signed integer", 3: "floating point"}

# GeoKey ids used here (GeoTIFF 1.0 section 6.2).
_GT_MODEL_TYPE = 1024
_GT_RASTER_TYPE = 1025
_GEOGRAPHIC_TYPE = 2048
_GEOG_SEMI_MAJOR_AXIS = 2057
_GEOG_SEMI_MINOR_AXIS = 2058
_GEOG_INV_FLATTENING = 2059
_PROJECTED_CS_TYPE = 3072
_PROJ_COORD_TRANS = 3075
_PROJ_LINEAR_UNITS = 3076
_PROJ_NAT_ORIGIN_LONG = 3080
_PROJ_NAT_ORIGIN_LAT = 3081
_PROJ_FALSE_ORIGIN_LONG = 3084
_PROJ_FALSE_ORIGIN_LAT = 3085
_PROJ_CENTER_LONG = 3088
_PROJ_CENTER_LAT = 3089
_PROJ_SCALE_AT_NAT_ORIGIN = 3092
_PROJ_STRAIGHT_VERT_POLE_LONG = 3095

_MODEL_TYPE_GEOGRAPHIC = 2
_RASTER_PIXEL_IS_AREA = 1
_RASTER_PIXEL_IS_POINT = 2
_USER_DEFINED = 32767
_LINEAR_UNIT_METRE = 9001

_COORD_TRANS_NAMES = {
    1: "transverse Mercator",
    7: "Mercator",
    8: "Lambert conformal conic",
    9: "Lambert conformal conic",
    10: "Lambert azimuthal equal area",
    11: "Albers equal area",
    12: "azimuthal equidistant",
    14: "stereographic",
    15: "polar stereographic",
    16: "oblique stereographic",
    17: "equirectangular",
    21: "orthographic",
    24: "sinusoidal",
}

_GeoKeyValue: TypeAlias = int | float | str


class _Entry(NamedTuple):
    """One IFD entry; ``field_pos`` is the file offset of its 4-byte value/offset field."""

    type: int
    n_values: int
    field_pos: int


class _Parser:
    """Decodes one file's bytes; every method fails with DemError naming the file."""

    def __init__(self, data: bytes, source: str) -> None:
        self.data = data
        self.source = source
        self.endian = "<"
        self.entries: dict[int, _Entry] = {}

    def fail(self, what: str) -> DemError:
        return DemError(f"{_one_line(self.source)}: {what}")

    def parse(self) -> Dem:
        self.read_header_and_ifd()
        rows = self.single_int(_IMAGE_LENGTH)
        cols = self.single_int(_IMAGE_WIDTH)
        if rows == 0 or cols == 0:
            raise self.fail(f"image has zero dimensions ({cols} x {rows} pixels)")
        dtype = self.sample_dtype()
        geo_keys = self.geo_keys()
        resolution_m, origin = self.georeference(rows, geo_keys)
        crs = _describe_crs(geo_keys)
        raw = self.read_pixels(rows, cols, dtype)
        heights = self.to_heights(raw)
        return Dem(
            heights_m=heights,
            resolution_m=resolution_m,
            origin_xy_m=origin,
            source=self.source,
            crs=crs,
        )

    # --- TIFF structure -------------------------------------------------------------------

    def read_header_and_ifd(self) -> None:
        data = self.data
        size = len(data)
        if size == 0:
            raise self.fail("file is empty")
        if size < 8:
            raise self.fail(f"file is too short for a TIFF header ({size} < 8 bytes)")
        order = data[:2]
        if order == b"II":
            self.endian = "<"
        elif order == b"MM":
            self.endian = ">"
        else:
            raise self.fail(f"not a TIFF file (byte-order mark {order!r}, expected b'II' or b'MM')")
        magic = self.u16(2)
        if magic == 43:
            raise self.fail("BigTIFF files are not supported (only classic TIFF)")
        if magic != 42:
            raise self.fail(f"not a TIFF file (magic number {magic}, expected 42)")
        ifd = self.u32(4)
        if ifd < 8:
            raise self.fail(f"first IFD offset {ifd} points into the TIFF header")
        if ifd + 2 > size:
            raise self.fail(f"first IFD offset {ifd} is past the end of the file ({size} bytes)")
        n = self.u16(ifd)
        if n == 0:
            raise self.fail("first IFD has no entries")
        end = ifd + 2 + 12 * n + 4
        if end > size:
            raise self.fail(
                f"first IFD ({n} entries at offset {ifd}) runs past the end of the file "
                f"({end} > {size} bytes)"
            )
        for i in range(n):
            pos = ifd + 2 + 12 * i
            tag, typ, count = struct.unpack_from(self.endian + "HHI", data, pos)
            if tag in self.entries:
                raise self.fail(f"TIFF tag {_tag_name(tag)} appears twice in the first IFD")
            self.entries[tag] = _Entry(typ, count, pos + 8)

    def u16(self, pos: int) -> int:
        value: int = struct.unpack_from(self.endian + "H", self.data, pos)[0]
        return value

    def u32(self, pos: int) -> int:
        value: int = struct.unpack_from(self.endian + "I", self.data, pos)[0]
        return value

    def value_bytes(self, tag: int, entry: _Entry) -> tuple[int, int]:
        """(start, length) of a tag's values in the file, checked against the file size."""
        if entry.type not in _TYPE_SIZES:
            raise self.fail(f"TIFF tag {_tag_name(tag)}: unknown field type {entry.type}")
        length = entry.n_values * _TYPE_SIZES[entry.type]
        if length <= 4:
            return entry.field_pos, length
        start = self.u32(entry.field_pos)
        if start + length > len(self.data):
            raise self.fail(
                f"TIFF tag {_tag_name(tag)}: {entry.n_values} values run past the end of the file "
                f"(offset {start} + {length} > {len(self.data)} bytes)"
            )
        return start, length

    def numbers(self, tag: int) -> list[int] | list[float] | None:
        """All values of a numeric tag (None if absent): ints for integer types, else floats."""
        entry = self.entries.get(tag)
        if entry is None:
            return None
        start, _ = self.value_bytes(tag, entry)
        e, n = self.endian, entry.n_values
        if entry.type in _INT_FORMATS:
            ints: list[int] = list(
                struct.unpack_from(f"{e}{n}{_INT_FORMATS[entry.type]}", self.data, start)
            )
            return ints
        if entry.type in _FLOAT_FORMATS:
            floats: list[float] = list(
                struct.unpack_from(f"{e}{n}{_FLOAT_FORMATS[entry.type]}", self.data, start)
            )
            return floats
        if entry.type in _RATIONAL_FORMATS:
            pairs = struct.unpack_from(
                f"{e}{2 * n}{_RATIONAL_FORMATS[entry.type]}", self.data, start
            )
            if any(den == 0 for den in pairs[1::2]):
                raise self.fail(f"TIFF tag {_tag_name(tag)}: rational with a zero denominator")
            return [num / den for num, den in zip(pairs[0::2], pairs[1::2], strict=True)]
        raise self.fail(f"TIFF tag {_tag_name(tag)}: field type {entry.type} is not numeric")

    def ints(self, tag: int) -> list[int] | None:
        """All values of an unsigned-integer tag, or None if absent."""
        values = self.numbers(tag)
        if values is None:
            return None
        entry = self.entries[tag]
        if entry.type not in (1, 3, 4, 13):
            raise self.fail(
                f"TIFF tag {_tag_name(tag)}: field type {entry.type} is not an unsigned integer"
            )
        return [int(v) for v in values]

    def floats(self, tag: int) -> list[float] | None:
        values = self.numbers(tag)
        return None if values is None else [float(v) for v in values]

    def single_int(self, tag: int, default: int | None = None) -> int:
        values = self.ints(tag)
        if values is None:
            if default is None:
                raise self.fail(f"required TIFF tag {_tag_name(tag)} is missing")
            return default
        if len(values) != 1:
            raise self.fail(f"TIFF tag {_tag_name(tag)}: expected 1 value, found {len(values)}")
        return values[0]

    def ascii(self, tag: int) -> str | None:
        entry = self.entries.get(tag)
        if entry is None:
            return None
        if entry.type != _ASCII:
            raise self.fail(f"TIFF tag {_tag_name(tag)}: field type {entry.type} is not ASCII")
        start, length = self.value_bytes(tag, entry)
        return self.data[start : start + length].decode("latin-1")

    # --- pixel layout --------------------------------------------------------------------

    def sample_dtype(self) -> np.dtype[np.generic]:
        spp = self.single_int(_SAMPLES_PER_PIXEL, 1)
        if spp != 1:
            raise self.fail(f"{spp} samples per pixel; only single-band DEMs are supported")
        compression = self.single_int(_COMPRESSION, 1)
        if compression != 1:
            name = _COMPRESSION_NAMES.get(compression, "unknown")
            raise self.fail(
                f"TIFF tag Compression: code {compression} ({name}) is not supported; "
                "only uncompressed (1) files can be read"
            )
        planar = self.single_int(_PLANAR_CONFIGURATION, 1)
        # With one sample per pixel, planar (2) and chunky (1) layouts are the same bytes.
        if planar not in (1, 2):
            raise self.fail(f"TIFF tag PlanarConfiguration: unknown value {planar}")
        bits = self.single_int(_BITS_PER_SAMPLE)
        fmt = self.single_int(_SAMPLE_FORMAT, 1)
        code = _SAMPLE_TYPES.get((fmt, bits))
        if code is None:
            kind = _SAMPLE_FORMAT_NAMES.get(fmt, f"sample format {fmt}")
            raise self.fail(
                f"unsupported sample type: {bits}-bit {kind} (supported: float32, float64, "
                "int16, uint16, int32)"
            )
        return np.dtype(self.endian + code)

    def read_pixels(
        self, rows: int, cols: int, dtype: np.dtype[np.generic]
    ) -> npt.NDArray[np.generic]:
        """The raster in file order (row 0 = north), in the file's sample type."""
        if _TILE_OFFSETS in self.entries or _TILE_WIDTH in self.entries:
            return self.read_tiles(rows, cols, dtype)
        return self.read_strips(rows, cols, dtype)

    def chunk_table(
        self, offsets_tag: int, counts_tag: int, expected_chunks: int, noun: str
    ) -> tuple[list[int], list[int]]:
        tables: list[list[int]] = []
        for tag in (offsets_tag, counts_tag):
            entry = self.entries.get(tag)
            if entry is None:
                raise self.fail(f"required TIFF tag {_tag_name(tag)} is missing")
            # Checked before decoding so a bogus count cannot make a huge list.
            if entry.n_values != expected_chunks:
                raise self.fail(
                    f"TIFF tag {_tag_name(tag)}: {entry.n_values} values for "
                    f"{expected_chunks} {noun}s"
                )
            tables.append(self.ints(tag) or [])
        return tables[0], tables[1]

    def check_chunk(
        self, counts_tag: int, noun: str, index: int, offset: int, count: int, needed: int
    ) -> None:
        size = len(self.data)
        where = f"TIFF tag {_tag_name(counts_tag)}: {noun} {index}"
        if count < needed:
            raise self.fail(f"{where} holds {count} bytes, expected {needed}")
        if offset + count > size:
            raise self.fail(
                f"{where} runs past the end of the file (offset {offset} + {count} > {size} bytes)"
            )

    def check_total(self, total: int, rows: int, cols: int, dtype: np.dtype[np.generic]) -> None:
        # Uncompressed chunks must all lie in the file, so a raster bigger than the file is a
        # corrupt header; checking here also keeps huge bogus sizes from reaching numpy.
        if total > len(self.data):
            raise self.fail(
                f"{cols} x {rows} pixels of {dtype.name} need {total} bytes of pixel data but "
                f"the file has only {len(self.data)} bytes"
            )

    def read_strips(
        self, rows: int, cols: int, dtype: np.dtype[np.generic]
    ) -> npt.NDArray[np.generic]:
        rows_per_strip = min(self.single_int(_ROWS_PER_STRIP, 2**32 - 1), rows)
        if rows_per_strip == 0:
            raise self.fail("TIFF tag RowsPerStrip: value is 0")
        self.check_total(rows * cols * dtype.itemsize, rows, cols, dtype)
        n_strips = -(-rows // rows_per_strip)
        offsets, counts = self.chunk_table(_STRIP_OFFSETS, _STRIP_BYTE_COUNTS, n_strips, "strip")
        out = np.empty((rows, cols), dtype=dtype)
        for i in range(n_strips):
            r0 = i * rows_per_strip
            n_rows = min(rows_per_strip, rows - r0)
            needed = n_rows * cols * dtype.itemsize
            self.check_chunk(_STRIP_BYTE_COUNTS, "strip", i, offsets[i], counts[i], needed)
            strip = np.frombuffer(self.data, dtype=dtype, count=n_rows * cols, offset=offsets[i])
            out[r0 : r0 + n_rows] = strip.reshape(n_rows, cols)
        return out

    def read_tiles(
        self, rows: int, cols: int, dtype: np.dtype[np.generic]
    ) -> npt.NDArray[np.generic]:
        tile_w = self.single_int(_TILE_WIDTH)
        tile_h = self.single_int(_TILE_LENGTH)
        if tile_w == 0 or tile_h == 0:
            raise self.fail(f"tiles have zero dimensions ({tile_w} x {tile_h} pixels)")
        across = -(-cols // tile_w)
        down = -(-rows // tile_h)
        tile_bytes = tile_w * tile_h * dtype.itemsize
        self.check_total(across * down * tile_bytes, rows, cols, dtype)
        offsets, counts = self.chunk_table(_TILE_OFFSETS, _TILE_BYTE_COUNTS, across * down, "tile")
        out = np.empty((rows, cols), dtype=dtype)
        for i in range(across * down):
            self.check_chunk(_TILE_BYTE_COUNTS, "tile", i, offsets[i], counts[i], tile_bytes)
            r0 = (i // across) * tile_h
            c0 = (i % across) * tile_w
            n_rows = min(tile_h, rows - r0)
            n_cols = min(tile_w, cols - c0)
            tile = np.frombuffer(self.data, dtype=dtype, count=tile_h * tile_w, offset=offsets[i])
            out[r0 : r0 + n_rows, c0 : c0 + n_cols] = tile.reshape(tile_h, tile_w)[:n_rows, :n_cols]
        return out

    def to_heights(self, raw: npt.NDArray[np.generic]) -> npt.NDArray[np.float32]:
        """float32 heights, south row first, NaN where there is no data; read-only."""
        nodata = self.nodata()
        south_first = raw[::-1]
        with np.errstate(over="ignore", invalid="ignore"):
            heights = south_first.astype(np.float32, order="C")
            if nodata is not None and not math.isnan(nodata):
                mask = _nodata_mask(south_first, nodata)
                if mask is not None:
                    heights[mask] = np.nan
            heights[~np.isfinite(heights)] = np.nan
        if bool(np.isnan(heights).all()):
            raise self.fail(f"all {heights.size} cells are nodata or NaN")
        heights.flags.writeable = False
        return heights

    def nodata(self) -> float | None:
        text = self.ascii(_GDAL_NODATA)
        if text is None:
            return None
        text = text.split("\x00", 1)[0].strip()
        try:
            return float(text)
        except ValueError:
            raise self.fail(f"TIFF tag GDAL_NODATA: {text[:40]!r} is not a number") from None

    # --- georeferencing ------------------------------------------------------------------

    def geo_keys(self) -> dict[int, _GeoKeyValue]:
        directory = self.ints(_GEO_KEY_DIRECTORY)
        if directory is None:
            return {}
        where = "TIFF tag GeoKeyDirectory"
        if len(directory) < 4:
            raise self.fail(f"{where}: {len(directory)} values, too short for its header")
        n_keys = directory[3]
        if len(directory) < 4 + 4 * n_keys:
            raise self.fail(
                f"{where}: {n_keys} keys need {4 + 4 * n_keys} values, found {len(directory)}"
            )
        doubles = self.floats(_GEO_DOUBLE_PARAMS)
        text = self.ascii(_GEO_ASCII_PARAMS)
        keys: dict[int, _GeoKeyValue] = {}
        for i in range(n_keys):
            key, location, count, value = directory[4 + 4 * i : 8 + 4 * i]
            if location == 0:
                keys[key] = value
            elif location == _GEO_DOUBLE_PARAMS:
                if doubles is None or count == 0 or value + count > len(doubles):
                    raise self.fail(f"{where}: key {key} points outside GeoDoubleParams")
                keys[key] = doubles[value]
            elif location == _GEO_ASCII_PARAMS:
                if text is None or value + count > len(text):
                    raise self.fail(f"{where}: key {key} points outside GeoAsciiParams")
                keys[key] = text[value : value + count].rstrip("|\x00")
        return keys

    def georeference(
        self, rows: int, geo_keys: dict[int, _GeoKeyValue]
    ) -> tuple[float, tuple[float, float]]:
        """(resolution_m, south-west corner (x, y)) from the pixel scale and the tiepoint."""
        if geo_keys.get(_GT_MODEL_TYPE) == _MODEL_TYPE_GEOGRAPHIC:
            raise self.fail(
                "grid is in geographic (lat/lon) coordinates; a projected CRS in metres is required"
            )
        units = geo_keys.get(_PROJ_LINEAR_UNITS, _LINEAR_UNIT_METRE)
        if units != _LINEAR_UNIT_METRE:
            raise self.fail(f"GeoKey ProjLinearUnits: unit code {units} is not metres (9001)")
        scale = self.floats(_MODEL_PIXEL_SCALE)
        if scale is None:
            if _MODEL_TRANSFORMATION in self.entries:
                raise self.fail(
                    "georeferenced by ModelTransformation (a possibly rotated grid); "
                    "only ModelPixelScale + ModelTiepoint is supported"
                )
            raise self.fail("required TIFF tag ModelPixelScale is missing (not georeferenced)")
        if len(scale) < 2:
            raise self.fail(f"TIFF tag ModelPixelScale: {len(scale)} values, expected 3")
        sx, sy = scale[0], scale[1]
        if not (math.isfinite(sx) and math.isfinite(sy) and sx > 0.0 and sy > 0.0):
            raise self.fail(f"TIFF tag ModelPixelScale: pixel size {sx!r} x {sy!r} is not positive")
        if abs(sx - sy) > 1e-9 * max(sx, sy):
            raise self.fail(f"TIFF tag ModelPixelScale: pixels are not square ({sx!r} x {sy!r})")
        tie = self.floats(_MODEL_TIEPOINT)
        if tie is None:
            raise self.fail("required TIFF tag ModelTiepoint is missing (not georeferenced)")
        if len(tie) < 6:
            raise self.fail(f"TIFF tag ModelTiepoint: {len(tie)} values, expected 6")
        raster_type = geo_keys.get(_GT_RASTER_TYPE, _RASTER_PIXEL_IS_AREA)
        if raster_type == _RASTER_PIXEL_IS_AREA:
            corner = 0.0
        elif raster_type == _RASTER_PIXEL_IS_POINT:
            # Raster (0, 0) is the centre of the first pixel; its outer corner is half a pixel out.
            corner = -0.5
        else:
            raise self.fail(f"GeoKey GTRasterType: unknown value {raster_type!r}")
        i, j, x, y = tie[0], tie[1], tie[3], tie[4]
        west_x = x + (corner - i) * sx
        south_y = y - (corner - j) * sy - rows * sy
        if not (math.isfinite(west_x) and math.isfinite(south_y)):
            raise self.fail(
                f"TIFF tag ModelTiepoint: grid origin ({west_x}, {south_y}) is not finite"
            )
        return sx, (west_x, south_y)


def _nodata_mask(raw: npt.NDArray[np.generic], nodata: float) -> npt.NDArray[np.bool_] | None:
    """Cells of ``raw`` equal to the (non-NaN) nodata value, or None if none can be."""
    if raw.dtype.kind == "f":
        # Compare in the file's own precision, as the writer stored the value.
        return np.asarray(raw == raw.dtype.type(nodata), dtype=np.bool_)
    if not math.isfinite(nodata) or nodata != math.floor(nodata):
        return None
    bits = 8 * raw.dtype.itemsize
    low, high = (
        (0, 2**bits - 1) if raw.dtype.kind == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    if not low <= nodata <= high:
        return None
    return np.asarray(raw == int(nodata), dtype=np.bool_)


def _describe_crs(keys: dict[int, _GeoKeyValue]) -> str:
    """A short description such as ``"polar stereographic, lat0 -90, R 1737400 m"``."""
    pcs = keys.get(_PROJECTED_CS_TYPE)
    if isinstance(pcs, int) and 0 < pcs < _USER_DEFINED:
        return f"EPSG:{pcs}"
    trans = keys.get(_PROJ_COORD_TRANS)
    if not isinstance(trans, int):
        return "unknown"
    parts = [_COORD_TRANS_NAMES.get(trans, f"projection code {trans}")]

    def number(*candidates: int) -> float | None:
        for key in candidates:
            value = keys.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                return float(value)
        return None

    lat0 = number(_PROJ_NAT_ORIGIN_LAT, _PROJ_CENTER_LAT, _PROJ_FALSE_ORIGIN_LAT)
    lon0 = number(
        _PROJ_STRAIGHT_VERT_POLE_LONG,
        _PROJ_NAT_ORIGIN_LONG,
        _PROJ_CENTER_LONG,
        _PROJ_FALSE_ORIGIN_LONG,
    )
    k0 = number(_PROJ_SCALE_AT_NAT_ORIGIN)
    if lat0 is not None:
        parts.append(f"lat0 {_fmt(lat0)}")
    if lon0 is not None and lon0 != 0.0:
        parts.append(f"lon0 {_fmt(lon0)}")
    if k0 is not None and k0 != 1.0:
        parts.append(f"k0 {_fmt(k0)}")
    a = number(_GEOG_SEMI_MAJOR_AXIS)
    b = number(_GEOG_SEMI_MINOR_AXIS)
    inv_f = number(_GEOG_INV_FLATTENING)
    if a is not None:
        if (b is None or b == a) and not inv_f:
            parts.append(f"R {_fmt(a)} m")
        elif b is not None:
            parts.append(f"a {_fmt(a)} m, b {_fmt(b)} m")
        else:
            parts.append(f"a {_fmt(a)} m, 1/f {_fmt(inv_f or 0.0)}")
    else:
        gcs = keys.get(_GEOGRAPHIC_TYPE)
        if isinstance(gcs, int) and 0 < gcs < _USER_DEFINED:
            parts.append(f"datum EPSG:{gcs}")
    return ", ".join(parts)


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def _tag_name(tag: int) -> str:
    return _TAG_NAMES.get(tag, f"{tag}")


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")
