"""A behaviour's state machine as a diagram, drawn from its ``STATES`` and ``TRANSITIONS``
tables: mermaid ``stateDiagram-v2`` text (GitHub renders it in markdown) or graphviz ``dot``
text (no graphviz needed to write it). Nested states are composite states (dot: clusters).

Transitions between the same two states are drawn as one edge labelled with every trigger;
an internal transition (``dest: None``) is a loop on its source; ``source: "*"`` means every
top-level state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ilrs_auto.mission.behaviour import Behaviour

SEPARATOR = "_"


@dataclass
class StateNode:
    path: str  # full name as the machine knows it, e.g. "traverse_planning"
    label: str  # its own name, e.g. "planning"
    children: list[StateNode] = field(default_factory=list)
    initial: str | None = None  # full name of the initial child


def state_tree(states: list[Any], prefix: str = "") -> list[StateNode]:
    nodes = []
    for state in states:
        if isinstance(state, str):
            nodes.append(StateNode(prefix + state, state))
            continue
        name = str(state["name"])
        path = prefix + name
        children = state_tree(
            list(state.get("children", state.get("states", []))), path + SEPARATOR
        )
        initial = state.get("initial")
        if initial is None and children:
            initial = children[0].label
        nodes.append(
            StateNode(path, name, children, None if initial is None else path + SEPARATOR + initial)
        )
    return nodes


def _walk(nodes: list[StateNode]) -> list[StateNode]:
    out = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node.children))
    return out


def edges(cls: type[Behaviour]) -> dict[tuple[str, str], list[str]]:
    """(source, dest) -> triggers, in table order."""
    top = [n.path for n in state_tree(cls.STATES)]
    grouped: dict[tuple[str, str], list[str]] = {}
    for t in cls.TRANSITIONS:
        sources = t["source"]
        sources = top if sources == "*" else [sources] if isinstance(sources, str) else sources
        for source in sources:
            dest = source if t.get("dest") is None else str(t["dest"])
            triggers = grouped.setdefault((str(source), dest), [])
            if t["trigger"] not in triggers:
                triggers.append(str(t["trigger"]))
    return grouped


def mermaid(cls: type[Behaviour]) -> str:
    tree = state_tree(cls.STATES)
    lines = ["stateDiagram-v2", f"    %% {cls.name}: drawn from its STATES and TRANSITIONS"]

    def declare(nodes: list[StateNode], indent: str) -> None:
        for node in nodes:
            if node.children:
                lines.append(f'{indent}state "{node.label}" as {node.path} {{')
                if node.initial is not None:
                    lines.append(f"{indent}    [*] --> {node.initial}")
                declare(node.children, indent + "    ")
                lines.append(f"{indent}}}")
            else:
                lines.append(f'{indent}state "{node.label}" as {node.path}')

    declare(tree, "    ")
    lines.append(f"    [*] --> {cls.INITIAL}")
    for (source, dest), triggers in edges(cls).items():
        lines.append(f"    {source} --> {dest} : {', '.join(triggers)}")
    for final in sorted(cls.FINAL_STATES):
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines) + "\n"


def dot(cls: type[Behaviour]) -> str:
    tree = state_tree(cls.STATES)
    composite = {n.path: n for n in _walk(tree) if n.children}
    lines = [
        f'digraph "{cls.name}" {{',
        "    compound=true;",
        "    rankdir=LR;",
        '    node [shape=box, style=rounded, fontname="Helvetica"];',
        '    edge [fontname="Helvetica", fontsize=10];',
        '    __start [shape=point, label=""];',
    ]

    def declare(nodes: list[StateNode], indent: str) -> None:
        for node in nodes:
            if node.children:
                lines.append(f'{indent}subgraph "cluster_{node.path}" {{')
                lines.append(f'{indent}    label="{node.label}";')
                declare(node.children, indent + "    ")
                lines.append(f"{indent}}}")
            else:
                peripheries = 2 if node.path in cls.FINAL_STATES else 1
                lines.append(
                    f'{indent}"{node.path}" [label="{node.label}", peripheries={peripheries}];'
                )

    def entry(path: str) -> str:
        while path in composite and composite[path].initial is not None:
            path = str(composite[path].initial)
        return path

    declare(tree, "    ")
    lines.append(f'    __start -> "{entry(cls.INITIAL)}";')
    for (source, dest), triggers in edges(cls).items():
        attrs = [f'label="{", ".join(triggers)}"']
        if source in composite:
            attrs.append(f'ltail="cluster_{source}"')
        if dest in composite:
            attrs.append(f'lhead="cluster_{dest}"')
        lines.append(f'    "{entry(source)}" -> "{entry(dest)}" [{", ".join(attrs)}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def state_names(cls: type[Behaviour]) -> list[str]:
    return [n.path for n in _walk(state_tree(cls.STATES))]


__all__ = ["dot", "edges", "mermaid", "state_names", "state_tree"]
