"""``ilrs-auto diagram``: every registered behaviour's diagram (mermaid and dot) names every
state and every trigger of its tables; an unknown name exits 2 listing the known ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ilrs_auto.cli import main
from ilrs_auto.mission import registry
from ilrs_auto.mission.diagram import state_names


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
@pytest.mark.parametrize("name", registry.names())
def test_every_state_and_trigger_is_drawn(name: str, fmt: str) -> None:
    cls = registry.behaviour_class(name)
    assert cls.name == name
    result = CliRunner().invoke(main, ["diagram", name, "--format", fmt])
    assert result.exit_code == 0, result.output
    text = result.output
    states = state_names(cls)
    assert {"fault", "safe"} <= set(states)
    for state in states:
        assert (f" as {state}" if fmt == "mermaid" else f'"{state}"') in text, state
    for transition in cls.TRANSITIONS:
        assert transition["trigger"] in text, transition["trigger"]
    if fmt == "mermaid":
        assert text.startswith("stateDiagram-v2\n")
        assert f"[*] --> {cls.INITIAL}" in text
    else:
        assert text.startswith(f'digraph "{name}" {{') and text.rstrip().endswith("}")


def test_nested_states_are_composite() -> None:
    result = CliRunner().invoke(main, ["diagram", "safe_mode"])
    assert 'state "hibernation" as hibernation {' in result.output
    assert "    [*] --> hibernation_checkpointing" in result.output
    assert "hibernation_checkpointing --> hibernation_asleep : checkpoint_written" in result.output
    dot = CliRunner().invoke(main, ["diagram", "safe_mode", "--format", "dot"]).output
    assert 'subgraph "cluster_hibernation"' in dot
    assert 'lhead="cluster_hibernation"' in dot  # hibernate enters the composite state


def test_out_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "traverse.mmd"
    result = CliRunner().invoke(main, ["diagram", "rover_traverse", "--out", str(out)])
    assert result.exit_code == 0 and result.output == ""
    assert "traverse_driving --> arrived : goal_reached" in out.read_text()


def test_an_unknown_behaviour_exits_2_listing_the_known_ones() -> None:
    result = CliRunner().invoke(main, ["diagram", "moon_buggy"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("ilrs-auto: error: unknown behaviour 'moon_buggy' (known: ")
    for name in registry.names():
        assert name in line
    assert "Traceback" not in result.output
