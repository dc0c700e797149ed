"""The condition language of sequences: parsing, type checking, evaluation, and that nothing in
it can run code."""

from __future__ import annotations

import ast
import inspect
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ilrs_auto.mission import conditions
from ilrs_auto.mission.conditions import (
    MAX_LENGTH,
    MAX_NESTING,
    VARIABLES,
    ConditionError,
    check_condition,
    evaluate,
    parse_condition,
)

ENV = {
    "battery_soc_pct": 55.0,
    "battery_wh": 300.0,
    "time_s": 1200.0,
    "odometer_m": 18.0,
    "x_m": 538.0,
    "y_m": 706.0,
    "in_contact": False,
    "state": "arrived",
    "mode": "IDLE",
}


def holds(text: str, **env: float | bool | str) -> bool:
    checked, problems = check_condition(text)
    assert checked is not None, problems
    return evaluate(checked, {**ENV, **env})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("battery_soc_pct > 40", True),
        ("battery_soc_pct >= 55", True),
        ("battery_soc_pct < 55", False),
        ("battery_soc_pct <= 55.0", True),
        ("state == arrived", True),
        ("arrived == state", True),
        ("state != arrived", False),
        ("in_contact", False),
        ("not in_contact", True),
        ("in_contact == false", True),
        ("mode == IDLE and time_s > 1000", True),
        ("time_s > 2000 or (state == arrived and not in_contact)", True),
        ("not not in_contact", False),
        ("odometer_m > -1", True),
        ("x_m - 3 > 0", None),  # no arithmetic: a syntax error
        ("true", True),
        ("false or battery_wh >= 3e2", True),
    ],
)
def test_conditions_evaluate(text: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(ConditionError):
            parse_condition(text)
        return
    assert holds(text) is expected


def test_nan_compares_false() -> None:
    assert holds("battery_soc_pct > 40", battery_soc_pct=math.nan) is False
    assert holds("battery_soc_pct < 40", battery_soc_pct=math.nan) is False


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the condition is empty"),
        ("battery_soc_pct >", "the condition ends too early (column 18)"),
        ("(in_contact", "expected ')' to close the '(' at column 1 (column 12)"),
        ("in_contact)", "unexpected ')' (column 11)"),
        ("time_s > 3 > 2", "unexpected '>' (column 12)"),
        ("x.y > 1", "unexpected character '.' (column 2)"),
        ("- in_contact", "'-' must be followed by a number (column 1)"),
        ("and in_contact", "expected a value, found 'and' (column 1)"),
        (
            "batery_soc_pct > 40",
            "unknown variable 'batery_soc_pct' at column 1 (known: battery_soc_pct, battery_wh, "
            "in_contact, mode, odometer_m, state, time_s, x_m, y_m); did you mean "
            "'battery_soc_pct'?",
        ),
        (
            "state == arived",
            "state has no value 'arived' at column 10 (values: idle, traverse_planning, "
            "traverse_driving, traverse_replanning, traverse_waiting, arrived, fault, safe); "
            "did you mean "
            "'arrived'?",
        ),
        ("state > arrived", "state is a symbol: compare it with == or !=, not >"),
        ("state", "state (symbol) is not a condition: compare it, e.g. state == idle"),
        ("time_s", "time_s (number) is not a condition: compare it, e.g. time_s > 60"),
        ("40", "the number 40 is not a condition: compare it, e.g. time_s > 60"),
        ("in_contact > true", "cannot compare in_contact (flag) with true using > at column 12"),
        (
            "in_contact == 3",
            "cannot compare in_contact (flag) with the number 3 using == at column 12",
        ),
        ("state == x_m", "cannot compare state (symbol) with x_m (number) using == at column 7"),
        ("time_s and in_contact", "'and' needs conditions, not time_s (number)"),
        ("not 3", "'not' needs conditions, not the number 3"),
    ],
)
def test_bad_conditions_say_what_and_where(text: str, problem: str) -> None:
    checked, problems = check_condition(text)
    assert checked is None
    assert problems[0] == problem


def test_every_problem_of_a_condition_is_reported() -> None:
    _, problems = check_condition("foo > 1 and state == nowhere and bar")
    assert len(problems) == 3
    assert problems[0].startswith("unknown variable 'foo' at column 1")
    assert problems[1].startswith("state has no value 'nowhere'")
    assert problems[2].startswith("unknown variable 'bar' at column 34")


def test_limits_on_length_and_nesting() -> None:
    with pytest.raises(ConditionError, match="longer than"):
        parse_condition("in_contact or " * (MAX_LENGTH // 10))
    deep = "(" * (MAX_NESTING + 1) + "in_contact" + ")" * (MAX_NESTING + 1)
    with pytest.raises(ConditionError, match="nested more than"):
        parse_condition(deep)
    with pytest.raises(ConditionError, match="nested more than"):
        parse_condition("not " * (MAX_NESTING + 1) + "in_contact")
    assert check_condition("(" * MAX_NESTING + "in_contact" + ")" * MAX_NESTING)[0] is not None


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch /tmp/pwned')",
        "open('/etc/passwd')",
        "().__class__.__bases__[0].__subclasses__()",
        "exec('1')",
        "lambda: 1",
        "battery_soc_pct.__class__",
        "[x for x in ()]",
        "battery_soc_pct > 40; import os",
    ],
)
def test_python_is_not_a_condition(text: str) -> None:
    checked, problems = check_condition(text)
    assert checked is None and problems


def test_the_module_never_hands_text_to_python() -> None:
    tree = ast.parse(inspect.getsource(conditions))
    called = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert not called & {"eval", "exec", "compile", "__import__", "getattr", "globals"}


def test_evaluation_reads_only_the_variables_it_names() -> None:
    checked, _ = check_condition("state == arrived and battery_soc_pct > 40")
    assert checked is not None
    assert checked.variables == {"state", "battery_soc_pct"}
    assert evaluate(checked, {"state": "arrived", "battery_soc_pct": 41.0}) is True


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_crashes_the_checker(text: str) -> None:
    checked, problems = check_condition(text)
    assert (checked is None) == bool(problems)
    if checked is not None:
        assert isinstance(evaluate(checked, ENV), bool)


_ATOMS = st.sampled_from(
    [
        "in_contact",
        "state == arrived",
        "mode != SAFE",
        "battery_soc_pct > 40",
        "time_s <= 3600",
        "true",
        "odometer_m >= 2.5",
    ]
)


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(" ".join),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"({c})"),
    )


@settings(max_examples=200, deadline=None)
@given(st.recursive(_ATOMS, _combine, max_leaves=8))
def test_generated_conditions_check_and_evaluate(text: str) -> None:
    checked, problems = check_condition(text)
    assert checked is not None, (text, problems)
    assert isinstance(evaluate(checked, ENV), bool)
    assert checked.variables <= set(VARIABLES)
