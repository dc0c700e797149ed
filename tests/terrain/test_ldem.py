"""The PDS3 LDEM reader: the shipped LOLA south polar cap, and labels that do not add up."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.assets import assets_dir
from ilrs_auto.terrain.ldem import LdemError, read_ldem

CAP = assets_dir() / "terrain" / "ldem4_south_cap"


def test_reads_the_shipped_south_polar_cap() -> None:
    dem = read_ldem(CAP / "ldem4_south_cap.lbl")
    assert dem.heights_m.shape == (60, 1440)
    assert not dem.heights_m.flags.writeable
    assert dem.first_latitude_deg == -75.125 and dem.first_longitude_deg == 0.125
    assert dem.radius_m == 1737400.0 and dem.wraps_in_longitude
    assert dem.frame == "MEAN EARTH/POLAR AXIS OF DE421"
    assert float(dem.heights_m.min()) == -7518.0 and float(dem.heights_m.max()) == 6846.0
    # Cell centres sample exactly; longitudes wrap; the pole takes the last line's values.
    assert float(dem.sample(-75.125, 0.125)) == float(dem.heights_m[0, 0])
    assert float(dem.sample(-80.0, 360.125 + 0.25)) == float(dem.sample(-80.0, 0.375))
    assert float(dem.sample(-90.0, 10.125)) == float(dem.heights_m[59, 40])


def copy_cap(tmp_path: Path, label: str | None = None, image: bytes | None = None) -> Path:
    (tmp_path / "ldem4_south_cap.img").write_bytes(
        image if image is not None else (CAP / "ldem4_south_cap.img").read_bytes()
    )
    path = tmp_path / "cap.lbl"
    path.write_text(label if label is not None else (CAP / "ldem4_south_cap.lbl").read_text())
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("LINES                 = 60", "LINES                 = 61", "need 175680"),
        ("SAMPLE_TYPE           = LSB_INTEGER", "SAMPLE_TYPE = PC_REAL", "is not LSB_INTEGER"),
        ("SCALING_FACTOR        = 0.5", "SCALING_FACTOR = half", "is not a number"),
        ("MAP_RESOLUTION               = 4 <pix/deg>", "", "MAP_RESOLUTION is missing"),
        ('"SIMPLE CYLINDRICAL"', '"POLAR STEREOGRAPHIC"', "must be SIMPLE CYLINDRICAL"),
        ('"ldem4_south_cap.img"\n\n', '"../x.img"\n\n', "must name a file beside the label"),
        ("SAMPLE_BITS           = 16", "SAMPLE_BITS = 32", "SAMPLE_BITS = 32.0 is outside"),
    ],
)
def test_inconsistent_labels_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = (CAP / "ldem4_south_cap.lbl").read_text()
    assert old in text
    with pytest.raises(LdemError, match=message):
        read_ldem(copy_cap(tmp_path, text.replace(old, new)))


def test_missing_files(tmp_path: Path) -> None:
    with pytest.raises(LdemError, match="no such file"):
        read_ldem(tmp_path / "none.lbl")
    path = copy_cap(tmp_path)
    (tmp_path / "ldem4_south_cap.img").unlink()
    with pytest.raises(LdemError, match="cannot be read"):
        read_ldem(path)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400))
def test_garbage_labels_are_ldem_errors(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    folder = tmp_path_factory.mktemp("garbage")
    path = copy_cap(folder, text, image=np.zeros(4, np.int16).tobytes())
    with pytest.raises(LdemError):
        read_ldem(path)
