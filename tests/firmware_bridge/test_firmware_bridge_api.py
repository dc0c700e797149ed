"""The package's public surface: every re-exported name exists and is the submodule's object."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from firmware_bridge import framing, space_packet

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "firmware_bridge"


def load_package_init() -> ModuleType:
    # Loaded from its file so the check does not depend on how the package is installed.
    spec = importlib.util.spec_from_file_location(
        "firmware_bridge_public_api", PACKAGE_DIR / "__init__.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_all_names_are_re_exported_from_the_submodules() -> None:
    package = load_package_init()
    assert package.__doc__
    assert len(package.__all__) == len(set(package.__all__))
    for name in package.__all__:
        obj = getattr(package, name)
        sources = [getattr(m, name) for m in (framing, space_packet) if hasattr(m, name)]
        assert sources, name
        assert all(source is obj for source in sources), name


def test_every_error_is_a_value_error() -> None:
    package = load_package_init()
    for name in package.__all__:
        obj = getattr(package, name)
        if isinstance(obj, type) and name.endswith("Error"):
            assert issubclass(obj, ValueError), name
