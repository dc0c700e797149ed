"""The committed type stubs of ilrs_auto._core match what the built module declares.

Regenerate after changing a binding: ``pybind11-stubgen ilrs_auto._core -o .``
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ilrs_auto


def test_core_stubs_have_not_drifted(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pybind11_stubgen", "ilrs_auto._core", "-o", str(tmp_path)],
        cwd=tmp_path,  # import the installed package, not the source tree
        check=True,
        capture_output=True,
        text=True,
    )
    generated = (tmp_path / "ilrs_auto" / "_core.pyi").read_text()
    committed = (Path(ilrs_auto.__file__).parent / "_core.pyi").read_text()
    assert generated == committed, "ilrs_auto/_core.pyi is stale: regenerate it (see docstring)"
