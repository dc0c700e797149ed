"""Output folders written all or nothing (mission reports, campaign results).

A folder is checked before any work (absent, or an earlier output of the same kind, in a
parent we can write in), assembled beside its destination under a hidden name, and swapped in
only once every file is written; an earlier folder is moved aside, not deleted, until then.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from ilrs_auto.errors import InputError


def check_output_folder(
    out_dir: str | os.PathLike[str], marker: str, not_ours: str, unwritable: str
) -> Path:
    """The folder, or InputError: ``not_ours`` (formatted with ``target``) if it exists without
    ``marker`` inside; ``unwritable`` (with ``target``, ``parent``, ``reason``) if no folder
    can be made in its parent."""
    target = Path(out_dir)
    if target.exists() and not (target.is_dir() and (target / marker).is_file()):
        raise InputError(not_ours.format(target=target))
    probe = target.parent / f".{target.name}.{uuid.uuid4().hex[:12]}.probe"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe.mkdir()  # the only sure test that a folder can be made here
        probe.rmdir()
    except OSError as error:
        raise InputError(
            unwritable.format(target=target, parent=target.parent, reason=error.strerror)
        ) from None
    return target


def write_folder(target: Path, fill: Callable[[Path], None]) -> Path:
    """Calls ``fill(staging)`` to write every file into a staging folder, then swaps it in."""
    tag = uuid.uuid4().hex[:12]
    staging = target.parent / f".{target.name}.{tag}.new"
    staging.mkdir()  # normal permissions, unlike a private temporary folder
    try:
        fill(staging)
        if target.exists():
            old = target.parent / f".{target.name}.{tag}.old"
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target
