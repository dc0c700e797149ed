"""Input documents with the line of every key and value, for ``FILE:LINE: key: problem`` errors.

YAML is read with ``yaml.compose`` (the node graph keeps each node's position) and scalars are
built by PyYAML's safe constructor, so nothing beyond plain data is ever created. Scenario files
use the YAML nodes directly (:func:`compose_yaml`, :func:`scalar_value`, :func:`node_text`).

Readers that want to collect every problem instead of stopping at the first one use the small
located tree (:class:`LMap`, :class:`LSeq`, :class:`LScalar`) built from YAML by
:func:`located_yaml` or from TOML by :func:`located_toml`. TOML is parsed by ``tomllib``, which
keeps no positions; :func:`located_toml` finds them with a line index of table headers and
``key =`` lines, so a value inside a multi-line array or inline table carries the line of its key.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeAlias

import yaml

from ilrs_auto.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib

MAX_NODES = 100_000
"""Largest located tree built (guards against alias bombs: ``&a [*a, *a, ...]``)."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""


# ---- YAML nodes -----------------------------------------------------------------------------


def compose_yaml(text: str, source: str) -> yaml.Node | None:
    """The YAML node graph of ``text`` (None when it holds no document).

    Raises InputError ``SOURCE:LINE: not valid YAML: problem`` on a syntax error.
    """
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        raise InputError(f"{source}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}{line}: not valid YAML: {problem}") from None


def scalar_value(node: yaml.ScalarNode) -> object:
    """The plain value of a scalar node (str, int, float, bool, None, date), safely built."""
    return yaml.constructor.SafeConstructor().construct_object(node)


def node_text(node: yaml.Node) -> str:
    """How a node reads in an error message: a scalar's text, else its kind."""
    return str(node.value) if isinstance(node, yaml.ScalarNode) else type(node).__name__


def line_of(node: yaml.Node) -> int:
    """1-based line where a node starts."""
    return int(node.start_mark.line) + 1


# ---- the located tree -----------------------------------------------------------------------

Scalar: TypeAlias = str | int | float | bool | datetime.date | datetime.time | None


@dataclass(frozen=True)
class LScalar:
    value: Scalar
    line: int
    text: str  # as written (YAML) or as read (TOML), for messages


@dataclass(frozen=True)
class LEntry:
    key: str
    line: int  # of the key
    value: LNode


@dataclass(frozen=True)
class LMap:
    entries: tuple[LEntry, ...]
    line: int
    duplicates: tuple[LEntry, ...] = ()  # later entries of a key given twice (not read)

    def get(self, key: str) -> LEntry | None:
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None

    def keys(self) -> list[str]:
        return [e.key for e in self.entries]

    def __iter__(self) -> Iterator[LEntry]:
        return iter(self.entries)


@dataclass(frozen=True)
class LSeq:
    items: tuple[LNode, ...]
    line: int

    def __iter__(self) -> Iterator[LNode]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


LNode: TypeAlias = LMap | LSeq | LScalar


def kind_of(node: LNode) -> str:
    """``mapping``, ``list`` or the scalar's type in words, for messages."""
    if isinstance(node, LMap):
        return "a mapping"
    if isinstance(node, LSeq):
        return f"a list of {len(node)}"
    value = node.value
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{value!r}".lower()
    return repr(node.text) if isinstance(value, str) else node.text


@dataclass
class _Budget:
    source: str
    nodes: int = 0

    def spend(self, line: int, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputError(f"{self.source}:{line}: more than {MAX_NODES} values (alias bomb?)")
        if depth > MAX_DEPTH:
            raise InputError(f"{self.source}:{line}: nested more than {MAX_DEPTH} levels deep")


@dataclass(frozen=True)
class Located:
    """A located document (None when the text holds none)."""

    root: LNode | None


def duplicate_keys(node: LNode, path: str = "") -> list[tuple[int, str]]:
    """(line, dotted path) of every key given twice in one mapping, anywhere in ``node``."""
    found: list[tuple[int, str]] = []
    if isinstance(node, LMap):
        prefix = f"{path}." if path else ""
        found += [(e.line, prefix + e.key) for e in node.duplicates]
        for entry in node.entries:
            found += duplicate_keys(entry.value, prefix + entry.key)
    elif isinstance(node, LSeq):
        for index, item in enumerate(node.items):
            found += duplicate_keys(item, f"{path}[{index}]")
    return found


def located_yaml(text: str, source: str) -> Located:
    """The located tree of a YAML document. Raises InputError on a syntax error, an alias bomb
    or nesting deeper than :data:`MAX_DEPTH`. Of a key given twice in one mapping the first is
    kept and the others listed in the mapping's ``duplicates``."""
    node = compose_yaml(text, source)
    if node is None:
        return Located(None)
    return Located(_from_yaml(node, _Budget(source), 0))


def _from_yaml(node: yaml.Node, budget: _Budget, depth: int) -> LNode:
    line = line_of(node)
    budget.spend(line, depth)
    if isinstance(node, yaml.MappingNode):
        entries: list[LEntry] = []
        duplicates: list[LEntry] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = node_text(key_node)
            entry = LEntry(key, line_of(key_node), _from_yaml(value_node, budget, depth + 1))
            (duplicates if key in seen else entries).append(entry)
            seen.add(key)
        return LMap(tuple(entries), line, tuple(duplicates))
    if isinstance(node, yaml.SequenceNode):
        return LSeq(tuple(_from_yaml(item, budget, depth + 1) for item in node.value), line)
    value: object = str(node.value)
    if isinstance(node, yaml.ScalarNode):  # the only other kind compose makes
        # A scalar PyYAML cannot build (a timestamp out of range) keeps its text; readers
        # type-check it.
        with contextlib.suppress(yaml.YAMLError, ValueError, OverflowError):
            value = scalar_value(node)
    if not isinstance(value, str | int | float | bool | datetime.date | datetime.time | None):
        value = str(node.value)
    return LScalar(value, line, str(node.value))


# ---- TOML ---------------------------------------------------------------------------------

_TOML_ERROR_AT = re.compile(r"\(at line (\d+), column \d+\)")
_BARE_OR_QUOTED_KEY = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED_KEY = rf"{_BARE_OR_QUOTED_KEY}(?:\s*\.\s*{_BARE_OR_QUOTED_KEY})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED_KEY})\s*\]\]?")
_KEY_LINE = re.compile(rf"^\s*({_DOTTED_KEY})\s*=")
_KEY_PART = re.compile(_BARE_OR_QUOTED_KEY)


def _key_parts(dotted: str) -> tuple[str, ...]:
    parts = []
    for match in _KEY_PART.finditer(dotted):
        part = match.group(0)
        parts.append(part[1:-1] if part[:1] in "\"'" else part)
    return tuple(parts)


def _toml_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The line of every table header and ``key =`` line, by its path in the parsed document
    (array-of-tables elements by index). Lines inside multi-line strings are skipped."""
    lines: dict[tuple[str | int, ...], int] = {}
    array_counts: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if raw.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(raw)
        if header is not None:
            parts = _key_parts(header.group(2))
            path: tuple[str | int, ...] = ()
            for part in parts[:-1]:
                path = (*path, part)
                if path in array_counts:
                    path = (*path, array_counts[path] - 1)
            path = (*path, parts[-1])
            if header.group(1) == "[[":
                lines.setdefault(path, number)
                index = array_counts.get(path, 0)
                array_counts[path] = index + 1
                path = (*path, index)
            table = path
            lines.setdefault(table, number)
            continue
        key = _KEY_LINE.match(raw)
        if key is not None:
            lines.setdefault((*table, *_key_parts(key.group(1))), number)
        for quote in ('"""', "'''"):
            if raw.count(quote) % 2 == 1:
                in_string = quote
                break
    return lines


def located_toml(text: str, source: str) -> Located:
    """The located tree of a TOML document; raises InputError ``SOURCE:LINE: not valid TOML``
    (and, on Python 3.10, which has no ``tomllib``, that TOML is not supported)."""
    data = _parse_toml(text, source)
    if not data:
        return Located(None)
    budget = _Budget(source)
    lines = _toml_lines(text)
    return Located(_from_toml(data, (), 1, lines, budget, 0))


def _parse_toml(text: str, source: str) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        try:
            return tomllib.loads(text)
        except RecursionError:
            raise InputError(f"{source}: not valid TOML: nested too deeply") from None
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            at = _TOML_ERROR_AT.search(message)
            line = f":{at.group(1)}" if at else ""
            problem = _TOML_ERROR_AT.sub("", message).strip()
            raise InputError(f"{source}{line}: not valid TOML: {problem}") from None
    raise InputError(f"{source}: TOML needs Python 3.11 or later (tomllib); use YAML")


def _from_toml(
    value: object,
    path: tuple[str | int, ...],
    inherited: int,
    lines: dict[tuple[str | int, ...], int],
    budget: _Budget,
    depth: int,
) -> LNode:
    line = lines.get(path, inherited)
    budget.spend(line, depth)
    if isinstance(value, dict):
        entries = []
        for key, item in value.items():
            key_line = lines.get((*path, key), line)
            child = _from_toml(item, (*path, key), key_line, lines, budget, depth + 1)
            entries.append(LEntry(str(key), key_line, child))
        return LMap(tuple(entries), line)
    if isinstance(value, list):
        return LSeq(
            tuple(
                _from_toml(item, (*path, i), line, lines, budget, depth + 1)
                for i, item in enumerate(value)
            ),
            line,
        )
    if isinstance(value, float) and not math.isfinite(value):
        return LScalar(value, line, str(value))
    if isinstance(value, str | int | float | bool | datetime.date | datetime.time):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return LScalar(value, line, text)
    return LScalar(str(value), line, str(value))


__all__ = [
    "MAX_DEPTH",
    "MAX_NODES",
    "LEntry",
    "LMap",
    "LNode",
    "LScalar",
    "LSeq",
    "Located",
    "compose_yaml",
    "duplicate_keys",
    "kind_of",
    "line_of",
    "located_toml",
    "located_yaml",
    "node_text",
    "scalar_value",
]
