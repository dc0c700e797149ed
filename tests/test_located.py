"""Documents with the line of every key and value: YAML and TOML, duplicates, hostile input."""

from __future__ import annotations

from textwrap import dedent

import pytest

from ilrs_auto.errors import InputError
from ilrs_auto.located import (
    MAX_DEPTH,
    LMap,
    LScalar,
    LSeq,
    compose_yaml,
    duplicate_keys,
    kind_of,
    located_toml,
    located_yaml,
)


def test_yaml_keys_and_values_carry_their_lines() -> None:
    root = located_yaml("a: 1\nb:\n  - x: true\n    y: [1, 2]\n  - ~\n", "f.yaml").root
    assert isinstance(root, LMap) and root.keys() == ["a", "b"]
    entry = root.get("b")
    assert entry is not None and entry.line == 2
    items = entry.value
    assert isinstance(items, LSeq) and [i.line for i in items] == [3, 5]
    first = items.items[0]
    assert isinstance(first, LMap)
    y = first.get("y")
    assert y is not None and y.line == 4 and isinstance(y.value, LSeq)
    assert kind_of(y.value) == "a list of 2" and kind_of(items.items[1]) == "nothing"
    x = first.get("x")
    assert x is not None and isinstance(x.value, LScalar) and x.value.value is True


def test_yaml_keys_stay_text_and_duplicates_are_listed_with_their_paths() -> None:
    root = located_yaml("on: 1\nsteps:\n  - {wait: 1, wait: 2}\non: 3\n", "f.yaml").root
    assert isinstance(root, LMap) and root.keys() == ["on", "steps"]  # 'on' is not True
    assert duplicate_keys(root) == [(4, "on"), (3, "steps[0].wait")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [\n", r"f\.yaml:2: not valid YAML: expected the node content"),
        ("a: &x [*x]\n", rf"f\.yaml:1: nested more than {MAX_DEPTH} levels deep"),
        ("[" * 3000 + "]" * 3000, r"f\.yaml(:1)?: (not valid YAML: )?nested"),
    ],
)
def test_hostile_yaml_is_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        located_yaml(text, "f.yaml")


def test_python_tags_are_never_constructed() -> None:
    root = located_yaml("a: !!python/object/apply:os.system [echo]\nb: !!python/name:os.x y\n", "f")
    assert isinstance(root.root, LMap)
    b = root.root.get("b")
    assert b is not None and isinstance(b.value, LScalar) and b.value.value == "y"  # just text
    a = root.root.get("a")
    assert a is not None and isinstance(a.value, LSeq)  # a tagged list: still only data


def test_alias_bombs_stop_at_the_node_budget() -> None:
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 8):
        text += (
            f"{'b' * level}: &{'a' * (level + 1)} [" + ", ".join([f"*{'a' * level}"] * 10) + "]\n"
        )
    with pytest.raises(InputError, match="more than 100000 values"):
        located_yaml(text, "f.yaml")


def test_compose_yaml_of_nothing_is_none() -> None:
    assert compose_yaml("# only a comment\n", "f.yaml") is None
    assert located_yaml("", "f.yaml").root is None


def test_toml_lines_come_from_headers_and_keys() -> None:
    text = dedent(
        '''\
        name = "t"
        note = """
        x = 1 inside a string
        """

        [power]
        battery_wh = 10

        [[steps]]
        wait = { for_s = 1 }

        [[steps]]
        "if" = "in_contact"
        [[steps.then]]
        NOOP = {}
        [[steps.then]]
        STOP = {}
        '''
    )
    root = located_toml(text, "f.toml").root
    assert isinstance(root, LMap)
    power = root.get("power")
    assert power is not None and power.line == 6
    assert isinstance(power.value, LMap) and power.value.entries[0].line == 7
    steps = root.get("steps")
    assert steps is not None and steps.line == 9 and isinstance(steps.value, LSeq)
    assert [s.line for s in steps.value] == [9, 12]
    second = steps.value.items[1]
    assert isinstance(second, LMap)
    then = second.get("then")
    assert then is not None and isinstance(then.value, LSeq)
    assert [s.line for s in then.value] == [14, 16]
    assert second.get("if") is not None and second.entries[0].line == 13
    note = root.get("note")
    assert note is not None and note.line == 2


def test_toml_errors_name_their_line() -> None:
    with pytest.raises(InputError, match=r"f\.toml:2: not valid TOML: "):
        located_toml("a = 1\nb = = 2\n", "f.toml")
    assert located_toml("", "f.toml").root is None
