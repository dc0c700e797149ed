"""Where the shipped simulation assets (terrain, scenarios) live.

An installed wheel carries them as ``ilrs_auto/sim_assets``; a source checkout (or an
editable install) has them in the top-level ``sim_assets/`` folder.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def assets_dir() -> Path:
    """The folder holding ``terrain/`` and ``scenarios/``."""
    for candidate in (_PACKAGE_DIR / "sim_assets", _PACKAGE_DIR.parent / "sim_assets"):
        if (candidate / "scenarios").is_dir():
            return candidate
    raise FileNotFoundError(
        f"ilrs_auto's sim_assets folder is missing (looked in {_PACKAGE_DIR / 'sim_assets'} "
        f"and {_PACKAGE_DIR.parent / 'sim_assets'}); reinstall the package"
    )


def default_scenario_path() -> Path:
    """The scenario that ``ilrs-auto run`` flies when given none."""
    return assets_dir() / "scenarios" / "shoemaker_traverse.yaml"
