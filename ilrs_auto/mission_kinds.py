"""What a file given to ``ilrs-auto run`` is, and which mission runs it.

A mission sequence (a YAML or TOML file with a top-level ``sequence:`` key) is dry-run through
the sequence executor. A scenario names its mission with a top-level ``kind:`` key (``traverse``
when absent); each kind's runner is a ``module:function`` taking the scenario path, the report
folder, a seed override and the console, and returning the command's exit status. Runners are
imported when used, so ``ilrs-auto --help`` stays quick.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import yaml

from ilrs_auto.errors import InputError
from ilrs_auto.located import compose_yaml, line_of, scalar_value

RunScenario = Callable[[Path, "Path | None", "int | None", Any], int]

SCENARIO_RUNNERS: dict[str, str] = {
    "traverse": "ilrs_auto.cli:run_traverse_scenario",
    "sampling": "ilrs_auto.sampling_cli:run_scenario",
    "lava_tube": "ilrs_auto.tube_cli:run_scenario",
}


def kind_of(path: Path) -> str:
    """``sequence`` or the scenario's ``kind``; an unknown kind is reported at its line."""
    if path.suffix.lower() == ".toml":
        return "sequence"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from None
    try:
        root = compose_yaml(text, str(path))
    except InputError:
        return "traverse"  # the scenario loader reports the syntax error with its line
    if not isinstance(root, yaml.MappingNode):
        return "traverse"
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name == "sequence":
            return "sequence"
        if name == "kind":
            kind = scalar_value(value) if isinstance(value, yaml.ScalarNode) else None
            if kind not in SCENARIO_RUNNERS:
                known = ", ".join(sorted(SCENARIO_RUNNERS))
                raise InputError(
                    f"{path}:{line_of(value)}: kind: unknown mission kind {kind!r} (known: {known})"
                )
            return str(kind)
    return "traverse"


def runner_for(kind: str) -> RunScenario:
    module_name, _, function = SCENARIO_RUNNERS[kind].partition(":")
    return cast(RunScenario, getattr(importlib.import_module(module_name), function))
