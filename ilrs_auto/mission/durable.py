"""Durable replacement of a file: what is on disk under the final name is always a whole file,
either the previous one or the new one, even if the process is killed (kill -9) or the board
loses power in the middle.

The new bytes go to ``NAME.tmp`` in the same directory, are flushed and fsynced, the temporary
file is renamed over ``NAME`` (an atomic replacement on POSIX), and the directory is fsynced so
the rename itself survives a power cut.

``fault_hook``, when set, is called with the name of each step (``"partial"`` once half of the
bytes are on disk, ``"before_rename"``, ``"renamed"``); tests set it to kill the process at one
of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

fault_hook: Callable[[str], None] | None = None


def _step(name: str) -> None:
    if fault_hook is not None:
        fault_hook(name)


def fsync_directory(directory: Path) -> None:
    """Makes a rename or a new file in ``directory`` durable (a no-op where directories cannot
    be opened, as on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Replaces ``path`` with ``data``: temp file, fsync, rename, fsync of the directory."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as out:
        half = len(data) // 2
        out.write(data[:half])
        out.flush()
        os.fsync(out.fileno())
        _step("partial")
        out.write(data[half:])
        out.flush()
        os.fsync(out.fileno())
    _step("before_rename")
    os.replace(tmp, path)
    fsync_directory(path.parent)
    _step("renamed")
