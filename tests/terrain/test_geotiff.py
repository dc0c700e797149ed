"""Tests for ilrs_auto/terrain/geotiff.py: the shipped tile, synthetic GeoTIFFs, every failure."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilrs_auto.terrain import Dem, DemError, read_dem

SHIPPED = Path(__file__).resolve().parents[2] / "sim_assets" / "terrain" / "shoemaker_5mpp.tif"

SHORT, LONG, ASCII, DOUBLE = 3, 4, 2, 12
_FORMATS = {SHORT: "H", LONG: "I", DOUBLE: "d"}
_SAMPLE = {"f4": (3, 32), "f8": (3, 64), "i2": (2, 16), "u2": (1, 16), "i4": (2, 32), "u1": (1, 8)}

TagValue = tuple[int, list[int] | list[float] | bytes]
Endian = Literal["<", ">"]


def make_tiff(
    values: npt.NDArray[np.generic],
    *,
    endian: Endian = "<",
    tiles: tuple[int, int] | None = None,
    rows_per_strip: int = 2,
    nodata: str | None = None,
    scale: tuple[float, float] = (2.0, 2.0),
    tiepoint: tuple[float, float] = (1000.0, 2000.0),
    geokeys: bool = True,
    pixel_is_point: bool = False,
    overrides: dict[int, TagValue | None] | None = None,
) -> bytes:
    """A minimal GeoTIFF of ``values`` (row 0 = north, as stored), uncompressed.

    Layout: header, IFD, out-of-line tag values, pixel chunks. ``overrides`` replaces tags
    (None drops one); an overridden offsets tag is written as given.
    """
    rows, cols = values.shape
    stored = values.astype(values.dtype.newbyteorder(endian))
    fmt, bits = _SAMPLE[values.dtype.str[1:]]
    chunks: list[bytes] = []
    tags: dict[int, TagValue] = {
        256: (LONG, [cols]),
        257: (LONG, [rows]),
        258: (SHORT, [bits]),
        259: (SHORT, [1]),
        262: (SHORT, [1]),
        277: (SHORT, [1]),
        284: (SHORT, [1]),
        339: (SHORT, [fmt]),
        33550: (DOUBLE, [scale[0], scale[1], 0.0]),
        33922: (DOUBLE, [0.0, 0.0, 0.0, tiepoint[0], tiepoint[1], 0.0]),
    }
    if tiles is None:
        offsets_tag = 273
        for r0 in range(0, rows, rows_per_strip):
            chunks.append(stored[r0 : r0 + rows_per_strip].tobytes())
        tags[278] = (LONG, [rows_per_strip])
        tags[279] = (LONG, [len(c) for c in chunks])
    else:
        offsets_tag = 324
        tile_h, tile_w = tiles
        for r0 in range(0, rows, tile_h):
            for c0 in range(0, cols, tile_w):
                tile = np.zeros((tile_h, tile_w), dtype=stored.dtype)
                part = stored[r0 : r0 + tile_h, c0 : c0 + tile_w]
                tile[: part.shape[0], : part.shape[1]] = part
                chunks.append(tile.tobytes())
        tags[322] = (SHORT, [tile_w])
        tags[323] = (SHORT, [tile_h])
        tags[325] = (LONG, [len(c) for c in chunks])
    tags[offsets_tag] = (LONG, [0] * len(chunks))
    if geokeys:
        raster_type = 2 if pixel_is_point else 1
        keys = [
            [1024, 0, 1, 1],
            [1025, 0, 1, raster_type],
            [2057, 34736, 1, 1],
            [3075, 0, 1, 15],
            [3081, 34736, 1, 0],
        ]
        tags[34735] = (SHORT, [1, 1, 0, len(keys), *[v for key in keys for v in key]])
        tags[34736] = (DOUBLE, [-90.0, 1737400.0])
    if nodata is not None:
        tags[42113] = (ASCII, nodata.encode() + b"\0")
    for tag, override in (overrides or {}).items():
        if override is None:
            tags.pop(tag, None)
        else:
            tags[tag] = override

    def pack(tag_value: TagValue) -> bytes:
        typ, vals = tag_value
        if isinstance(vals, bytes):
            return vals
        return struct.pack(f"{endian}{len(vals)}{_FORMATS[typ]}", *vals)

    ifd_size = 2 + 12 * len(tags) + 4
    extra_size = sum(len(p) + len(p) % 2 for p in map(pack, tags.values()) if len(p) > 4)
    data_pos = 8 + ifd_size + extra_size
    if overrides is None or offsets_tag not in overrides:
        starts = np.cumsum([0] + [len(c) for c in chunks[:-1]]) + data_pos
        tags[offsets_tag] = (LONG, [int(s) for s in starts])

    order = b"II" if endian == "<" else b"MM"
    out = bytearray(order + struct.pack(f"{endian}HI", 42, 8))
    ifd = bytearray(struct.pack(f"{endian}H", len(tags)))
    extra = bytearray()
    for tag in sorted(tags):
        typ, _ = tags[tag]
        packed = pack(tags[tag])
        size = {SHORT: 2, LONG: 4, DOUBLE: 8, ASCII: 1}[typ]
        if len(packed) <= 4:
            field = packed.ljust(4, b"\0")
        else:
            field = struct.pack(f"{endian}I", 8 + ifd_size + len(extra))
            extra += packed + b"\0" * (len(packed) % 2)
        ifd += struct.pack(f"{endian}HHI", tag, typ, len(packed) // size) + field
    ifd += b"\0\0\0\0"
    out += ifd + extra
    assert len(out) == data_pos
    for chunk in chunks:
        out += chunk
    return bytes(out)


def heights(rows: int, cols: int, dtype: str, seed: int = 0) -> npt.NDArray[np.generic]:
    rng = np.random.default_rng(seed)
    if dtype.startswith("f"):
        return rng.uniform(-500.0, 500.0, (rows, cols)).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, (rows, cols), endpoint=True).astype(dtype)


def write(tmp_path: Path, blob: bytes, name: str = "dem.tif") -> Path:
    path = tmp_path / name
    path.write_bytes(blob)
    return path


def expect_error(path: Path, *fragments: str) -> str:
    with pytest.raises(DemError) as info:
        read_dem(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message
    return message


# --- the shipped tile ---------------------------------------------------------------------


def test_shipped_tile_reads_with_its_documented_geometry() -> None:
    dem = read_dem(SHIPPED)
    assert dem.shape == (256, 256)
    assert dem.heights_m.dtype == np.float32
    assert dem.heights_m.flags.c_contiguous
    assert dem.resolution_m == 5.0
    assert dem.origin_xy_m == (75360.0, 38360.0)
    assert dem.width_m == dem.height_m == 1280.0
    assert dem.source == str(SHIPPED)
    assert dem.crs == "polar stereographic, lat0 -90, R 1737400 m"
    assert not np.isnan(dem.heights_m).any()
    assert float(dem.heights_m.min()) >= 467.6
    assert float(dem.heights_m.max()) <= 593.5
    assert float(dem.heights_m.mean()) == pytest.approx(539.0, abs=0.05)


def test_shipped_tile_row_zero_is_the_south_edge() -> None:
    raw = SHIPPED.read_bytes()
    (ifd,) = struct.unpack_from("<I", raw, 4)
    (n,) = struct.unpack_from("<H", raw, ifd)
    entries = {}
    for i in range(n):
        tag, _, _, value = struct.unpack_from("<HHII", raw, ifd + 2 + 12 * i)
        entries[tag] = value
    (first_strip,) = struct.unpack_from("<I", raw, entries[273])
    north_row = np.frombuffer(raw, "<f4", count=256, offset=first_strip)

    dem = read_dem(SHIPPED)
    np.testing.assert_array_equal(dem.heights_m[-1], north_row)
    assert not np.array_equal(dem.heights_m[0], north_row)


def test_heights_are_read_only() -> None:
    dem = read_dem(SHIPPED)
    with pytest.raises(ValueError, match="read-only"):
        dem.heights_m[0, 0] = 0.0


# --- synthetic files ----------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["f4", "f8", "i2", "u2", "i4"])
@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("tiles", [None, (16, 16)], ids=["strips", "tiles"])
def test_round_trip(
    tmp_path: Path, dtype: str, endian: Endian, tiles: tuple[int, int] | None
) -> None:
    values = heights(20, 37, dtype)
    path = write(tmp_path, make_tiff(values, endian=endian, tiles=tiles, rows_per_strip=3))
    dem = read_dem(path)
    np.testing.assert_array_equal(dem.heights_m, np.flipud(values).astype(np.float32))
    assert dem.heights_m.dtype == np.float32
    assert dem.heights_m.flags.c_contiguous
    assert dem.shape == (20, 37)
    assert dem.resolution_m == 2.0
    assert dem.origin_xy_m == (1000.0, 2000.0 - 20 * 2.0)
    assert dem.width_m == 74.0
    assert dem.height_m == 40.0
    assert dem.source == str(path)


def test_big_endian_file_is_read(tmp_path: Path) -> None:
    values = np.array([[1.5, 2.5], [3.5, 4.5]], dtype="f4")
    blob = make_tiff(values, endian=">")
    assert blob[:4] == b"MM\0*"
    dem = read_dem(write(tmp_path, blob))
    np.testing.assert_array_equal(dem.heights_m, [[3.5, 4.5], [1.5, 2.5]])


def test_tiled_layout_with_partial_edge_tiles(tmp_path: Path) -> None:
    values = np.arange(17 * 33, dtype="f4").reshape(17, 33)
    dem = read_dem(write(tmp_path, make_tiff(values, tiles=(16, 32))))
    np.testing.assert_array_equal(dem.heights_m, np.flipud(values))


def test_int16_heights_convert_exactly(tmp_path: Path) -> None:
    values = np.array([[-32768, -1, 0], [1, 1234, 32767]], dtype="i2")
    dem = read_dem(write(tmp_path, make_tiff(values)))
    assert dem.heights_m.dtype == np.float32
    np.testing.assert_array_equal(dem.heights_m, [[1, 1234, 32767], [-32768, -1, 0]])


@pytest.mark.parametrize(
    ("dtype", "nodata", "fill"),
    [
        ("f4", "-9999", -9999),
        ("f4", "-3.4028234663852886e+38", -3.4028234663852886e38),
        ("i2", "-32768", -32768),
        ("u2", "0", 0),
        ("f8", "nan", np.nan),
    ],
)
def test_nodata_becomes_nan(tmp_path: Path, dtype: str, nodata: str, fill: float) -> None:
    values = heights(4, 5, dtype, seed=1)
    values[0, 0] = fill
    values[3, 4] = fill
    dem = read_dem(write(tmp_path, make_tiff(values, nodata=nodata)))
    mask = np.zeros((4, 5), dtype=bool)
    mask[3, 0] = mask[0, 4] = True  # flipped
    np.testing.assert_array_equal(np.isnan(dem.heights_m), mask)
    np.testing.assert_array_equal(dem.heights_m[~mask], np.flipud(values)[~mask].astype("f4"))


def test_nodata_outside_the_integer_range_masks_nothing(tmp_path: Path) -> None:
    values = np.array([[1, 2], [3, 4]], dtype="i2")
    dem = read_dem(write(tmp_path, make_tiff(values, nodata="-3.4e38")))
    assert not np.isnan(dem.heights_m).any()


def test_values_beyond_float32_and_infinities_become_nan(tmp_path: Path) -> None:
    values = np.array([[1e300, 1.0], [-np.inf, 2.0]], dtype="f8")
    dem = read_dem(write(tmp_path, make_tiff(values, nodata="1e39")))
    np.testing.assert_array_equal(np.isnan(dem.heights_m), [[True, False], [True, False]])


def test_crs_unknown_without_geokeys(tmp_path: Path) -> None:
    dem = read_dem(write(tmp_path, make_tiff(heights(3, 3, "f4"), geokeys=False)))
    assert dem.crs == "unknown"
    dem = read_dem(write(tmp_path, make_tiff(heights(3, 3, "f4"))))
    assert dem.crs == "polar stereographic, lat0 -90, R 1737400 m"


def test_pixel_is_point_origin_is_half_a_pixel_out(tmp_path: Path) -> None:
    values = heights(4, 6, "f4")
    dem = read_dem(write(tmp_path, make_tiff(values, pixel_is_point=True)))
    assert dem.origin_xy_m == (1000.0 - 1.0, 2000.0 + 1.0 - 4 * 2.0)


def test_single_strip_without_rows_per_strip(tmp_path: Path) -> None:
    values = heights(5, 4, "f4")
    blob = make_tiff(values, rows_per_strip=5, overrides={278: None})
    np.testing.assert_array_equal(read_dem(write(tmp_path, blob)).heights_m, np.flipud(values))


def test_accepts_os_pathlike_and_str(tmp_path: Path) -> None:
    path = write(tmp_path, make_tiff(heights(2, 2, "f4")))
    assert read_dem(str(path)).source == str(path)
    assert isinstance(read_dem(path), Dem)


# --- failures -----------------------------------------------------------------------------

F4 = heights(4, 5, "f4")


def _replace(blob: bytes, start: int, new: bytes) -> bytes:
    return blob[:start] + new + blob[start + len(new) :]


def _with_count(blob: bytes, tag: int, count: int) -> bytes:
    """Little-endian ``blob`` with the value count of ``tag``'s IFD entry replaced."""
    (n,) = struct.unpack_from("<H", blob, 8)
    for i in range(n):
        pos = 8 + 2 + 12 * i
        if struct.unpack_from("<H", blob, pos)[0] == tag:
            return _replace(blob, pos + 4, struct.pack("<I", count))
    raise AssertionError(f"tag {tag} not found")


FAILURES: dict[str, tuple[Callable[[], bytes], tuple[str, ...]]] = {
    "empty": (lambda: b"", ("empty",)),
    "short": (lambda: b"II*\0", ("too short",)),
    "bad_byte_order": (lambda: _replace(make_tiff(F4), 0, b"XX"), ("not a TIFF", "b'XX'")),
    "bad_magic": (lambda: _replace(make_tiff(F4), 2, b"\x2b\x01"), ("magic number 299",)),
    "bigtiff": (lambda: b"II+\0\x08\0\0\0" + bytes(24), ("BigTIFF",)),
    "big_endian_bigtiff": (lambda: b"MM\0+\0\x08\0\0" + bytes(24), ("BigTIFF",)),
    "ifd_past_eof": (lambda: _replace(make_tiff(F4), 4, b"\xff\xff\0\0"), ("past the end",)),
    "truncated_ifd": (lambda: make_tiff(F4)[:40], ("IFD", "past the end")),
    "compressed": (lambda: make_tiff(F4, overrides={259: (SHORT, [5])}), ("Compression", "5")),
    "deflate": (lambda: make_tiff(F4, overrides={259: (SHORT, [8])}), ("code 8", "Deflate")),
    "multi_sample": (
        lambda: make_tiff(F4, overrides={277: (SHORT, [3]), 258: (SHORT, [32, 32, 32])}),
        ("3 samples per pixel",),
    ),
    "non_square": (lambda: make_tiff(F4, scale=(2.0, 3.0)), ("not square",)),
    "truncated_strip": (
        lambda: make_tiff(F4)[:-10],
        ("StripByteCounts", "strip 1", "past the end"),
    ),
    "truncated_tile": (
        lambda: make_tiff(F4, tiles=(16, 16))[:-1],
        ("TileByteCounts", "tile 0", "past the end"),
    ),
    "offset_past_eof": (
        lambda: make_tiff(F4, rows_per_strip=4, overrides={273: (LONG, [10**6])}),
        ("strip 0", "offset 1000000"),
    ),
    "short_strip_count": (
        lambda: make_tiff(F4, rows_per_strip=4, overrides={279: (LONG, [8])}),
        ("holds 8 bytes, expected 80",),
    ),
    "wrong_strip_table_length": (
        lambda: make_tiff(F4, overrides={279: (LONG, [40])}),
        ("1 values for 2 strips",),
    ),
    "all_nan": (lambda: make_tiff(np.full((3, 3), np.nan, dtype="f4")), ("all 9 cells",)),
    "all_nodata": (lambda: make_tiff(np.full((3, 3), 7, dtype="i2"), nodata="7"), ("all 9",)),
    "zero_width": (lambda: make_tiff(F4, overrides={256: (LONG, [0])}), ("zero dimensions",)),
    "huge_dimensions": (
        lambda: make_tiff(F4, overrides={256: (LONG, [2**31]), 257: (LONG, [2**31])}),
        ("need 18446744073709551616 bytes",),
    ),
    "uint8": (lambda: make_tiff(np.ones((3, 3), dtype="u1")), ("8-bit unsigned integer",)),
    "no_pixel_scale": (lambda: make_tiff(F4, overrides={33550: None}), ("ModelPixelScale",)),
    "no_tiepoint": (lambda: make_tiff(F4, overrides={33922: None}), ("ModelTiepoint",)),
    "no_strip_offsets": (lambda: make_tiff(F4, overrides={273: None}), ("StripOffsets",)),
    "zero_rows_per_strip": (lambda: make_tiff(F4, overrides={278: (LONG, [0])}), ("is 0",)),
    "bad_nodata": (lambda: make_tiff(F4, nodata="none"), ("GDAL_NODATA", "'none'")),
    "tag_values_past_eof": (
        lambda: _with_count(make_tiff(F4), 33922, 10**6),
        ("ModelTiepoint: 1000000 values run past the end",),
    ),
    "geographic": (
        lambda: make_tiff(F4, overrides={34735: (SHORT, [1, 1, 0, 1, 1024, 0, 1, 2])}),
        ("geographic",),
    ),
    "feet": (
        lambda: make_tiff(F4, overrides={34735: (SHORT, [1, 1, 0, 1, 3076, 0, 1, 9002])}),
        ("9002",),
    ),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failure_raises_dem_error_naming_the_file(tmp_path: Path, case: str) -> None:
    build, fragments = FAILURES[case]
    expect_error(write(tmp_path, build()), *fragments)


def test_missing_file(tmp_path: Path) -> None:
    expect_error(tmp_path / "nope.tif", "no such file")


def test_directory(tmp_path: Path) -> None:
    expect_error(tmp_path, "directory")


def test_dem_error_is_a_value_error() -> None:
    assert issubclass(DemError, ValueError)


def test_dem_rejects_bad_arrays() -> None:
    with pytest.raises(DemError, match="float32"):
        float64: Any = np.zeros((2, 2))
        Dem(float64, 1.0, (0.0, 0.0), "test")
    with pytest.raises(DemError, match="C-contiguous"):
        Dem(np.zeros((2, 4), dtype=np.float32)[:, ::2], 1.0, (0.0, 0.0), "test")
    with pytest.raises(DemError, match="resolution_m"):
        Dem(np.zeros((2, 2), dtype=np.float32), 0.0, (0.0, 0.0), "test")


# --- fuzzing ------------------------------------------------------------------------------

SEEDS = [
    make_tiff(heights(3, 4, "f4"), rows_per_strip=2, nodata="-9999"),
    make_tiff(heights(3, 4, "i2"), endian=">", tiles=(2, 2)),
    make_tiff(heights(2, 3, "f8"), endian=">", rows_per_strip=1),
]
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@st.composite
def mutated_tiffs(draw: st.DrawFn) -> bytes:
    """A seed with random bytes changed, 32-bit words set to edge values, then maybe cut short."""
    blob = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 8))):
        blob[draw(st.integers(0, len(blob) - 1))] = draw(st.integers(0, 255))
    edge_values = st.sampled_from([0, 1, 2, 3, 7, 8, 0xFFFF, 2**31, 2**32 - 1, len(blob)])
    for _ in range(draw(st.integers(0, 3))):
        pos = draw(st.integers(0, len(blob) - 4))
        blob[pos : pos + 4] = draw(edge_values).to_bytes(
            4, draw(st.sampled_from(["little", "big"]))
        )
    return bytes(blob[: draw(st.integers(0, len(blob)))]) if draw(st.booleans()) else bytes(blob)


def check_never_crashes(path: Path, blob: bytes) -> None:
    path.write_bytes(blob)
    try:
        dem = read_dem(path)
    except DemError as e:
        assert str(path) in str(e)
        assert "\n" not in str(e)
        return
    assert dem.heights_m.dtype == np.float32
    assert dem.heights_m.ndim == 2
    assert dem.heights_m.flags.c_contiguous
    assert not np.isnan(dem.heights_m).all()


@FUZZ
@given(blob=mutated_tiffs())
def test_fuzz_mutated_tiffs(tmp_path: Path, blob: bytes) -> None:
    check_never_crashes(tmp_path / "fuzz.tif", blob)


@FUZZ
@given(
    prefix=st.sampled_from([b"", b"II*\0", b"MM\0*", b"II*\0\x08\0\0\0"]),
    tail=st.binary(max_size=400),
)
def test_fuzz_garbage(tmp_path: Path, prefix: bytes, tail: bytes) -> None:
    check_never_crashes(tmp_path / "garbage.tif", prefix + tail)
