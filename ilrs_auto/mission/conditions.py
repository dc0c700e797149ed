"""Conditions of mission sequences: a small expression language, parsed and type-checked here
and evaluated by walking its tree. Nothing is ever handed to ``eval``: a condition can read the
variables listed in :data:`VARIABLES` and do nothing else.

Grammar (keywords and names are case-sensitive)::

    condition  := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand    := NUMBER | "-" NUMBER | "true" | "false" | NAME | "(" or ")"

A NAME is a variable, or, compared with a symbolic variable (``state == arrived``), one of that
variable's values. Types: numbers compare with numbers (any operator); a symbol compares with one
of its values (``==``, ``!=``); a flag (``in_contact``) is a condition by itself or compares with
``true``/``false``. ``and``, ``or`` and ``not`` take conditions. The whole must be a condition.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Literal, TypeAlias

from firmware_bridge.dictionary import default_dictionary
from ilrs_auto.mission.rover_traverse import TraverseState

MAX_LENGTH = 500
"""Longest condition text accepted, characters."""
MAX_NESTING = 32
"""Deepest nesting of parentheses and ``not``."""


class Kind(str, Enum):
    NUMBER = "number"
    FLAG = "flag"
    SYMBOL = "symbol"


@dataclass(frozen=True)
class Variable:
    name: str
    kind: Kind
    description: str
    unit: str = ""
    values: tuple[str, ...] = ()  # of a SYMBOL


def _mcu_modes() -> tuple[str, ...]:
    return tuple(default_dictionary().enums["mode"].values)


VARIABLES: Mapping[str, Variable] = {
    v.name: v
    for v in (
        Variable("battery_soc_pct", Kind.NUMBER, "battery state of charge", "%"),
        Variable("battery_wh", Kind.NUMBER, "energy left in the battery", "Wh"),
        Variable("time_s", Kind.NUMBER, "mission time since the sequence started", "s"),
        Variable("odometer_m", Kind.NUMBER, "distance driven since the sequence started", "m"),
        Variable("x_m", Kind.NUMBER, "rover position east, site frame", "m"),
        Variable("y_m", Kind.NUMBER, "rover position north, site frame", "m"),
        Variable("in_contact", Kind.FLAG, "inside a contact window with Earth"),
        Variable(
            "state",
            Kind.SYMBOL,
            "state of the traverse behaviour after the last drive_to",
            values=tuple(s.value for s in TraverseState),
        ),
        Variable("mode", Kind.SYMBOL, "operating mode of the rover MCU", values=_mcu_modes()),
    )
}
"""What a condition may read, and how the executor fills it in."""

Value: TypeAlias = float | bool | str
Env: TypeAlias = Mapping[str, Value]
CompareOp: TypeAlias = Literal["==", "!=", "<", "<=", ">", ">="]


class ConditionError(ValueError):
    """A condition that does not parse or type-check; ``column`` is 1-based (0: whole text)."""

    def __init__(self, problem: str, column: int = 0) -> None:
        super().__init__(f"{problem} (column {column})" if column else problem)
        self.problem = problem
        self.column = column


# ---- tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: float
    column: int


@dataclass(frozen=True)
class Flag:
    value: bool
    column: int


@dataclass(frozen=True)
class Name:
    """A variable, or a symbol value once type-checking has resolved it (``symbol=True``)."""

    name: str
    column: int
    symbol: bool = False


@dataclass(frozen=True)
class Compare:
    op: CompareOp
    left: Expr
    right: Expr
    column: int


@dataclass(frozen=True)
class Not:
    operand: Expr
    column: int


@dataclass(frozen=True)
class BoolOp:
    op: Literal["and", "or"]
    operands: tuple[Expr, ...]
    column: int


Expr: TypeAlias = Number | Flag | Name | Compare | Not | BoolOp


# ---- parsing ------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>==|!=|<=|>=|<|>|\(|\)|-))"
)
_COMPARE_OPS: frozenset[str] = frozenset({"==", "!=", "<", "<=", ">", ">="})
_KEYWORDS = frozenset({"and", "or", "not", "true", "false"})


@dataclass(frozen=True)
class _Token:
    kind: str  # number, name, op, end
    text: str
    column: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            tokens.append(_Token("end", "", position + 1))
            return tokens
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            raise ConditionError(f"unexpected character {text[position]!r}", position + 1)
        start = match.start(match.lastgroup)
        tokens.append(_Token(match.lastgroup, match.group(match.lastgroup), start + 1))
        position = match.end()


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self) -> _Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def is_keyword(self, word: str) -> bool:
        return self.current.kind == "name" and self.current.text == word

    def parse(self) -> Expr:
        expr = self.disjunction()
        token = self.current
        if token.kind != "end":
            raise ConditionError(f"unexpected {token.text!r}", token.column)
        return expr

    def disjunction(self) -> Expr:
        return self._chain("or", self.conjunction)

    def conjunction(self) -> Expr:
        return self._chain("and", self.negation)

    def _chain(self, word: Literal["and", "or"], part: Callable[[], Expr]) -> Expr:
        column = self.current.column
        operands = [part()]
        while self.is_keyword(word):
            self.take()
            operands.append(part())
        return operands[0] if len(operands) == 1 else BoolOp(word, tuple(operands), column)

    def negation(self) -> Expr:
        if self.is_keyword("not"):
            column = self.take().column
            self._enter(column)
            operand = self.negation()
            self.depth -= 1
            return Not(operand, column)
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.operand()
        if self.current.kind == "op" and self.current.text in _COMPARE_OPS:
            token = self.take()
            right = self.operand()
            op: CompareOp = token.text  # type: ignore[assignment]  # checked: in _COMPARE_OPS
            return Compare(op, left, right, token.column)
        return left

    def operand(self) -> Expr:
        token = self.take()
        if token.kind == "number":
            return Number(float(token.text), token.column)
        if token.kind == "op" and token.text == "-":
            number = self.take()
            if number.kind != "number":
                raise ConditionError("'-' must be followed by a number", token.column)
            return Number(-float(number.text), token.column)
        if token.kind == "op" and token.text == "(":
            self._enter(token.column)
            inner = self.disjunction()
            self.depth -= 1
            closing = self.take()
            if closing.kind != "op" or closing.text != ")":
                raise ConditionError(
                    f"expected ')' to close the '(' at column {token.column}", closing.column
                )
            return inner
        if token.kind == "name":
            if token.text in ("true", "false"):
                return Flag(token.text == "true", token.column)
            if token.text in _KEYWORDS:
                raise ConditionError(f"expected a value, found {token.text!r}", token.column)
            return Name(token.text, token.column)
        if token.kind == "end":
            raise ConditionError("the condition ends too early", token.column)
        raise ConditionError(f"expected a value, found {token.text!r}", token.column)

    def _enter(self, column: int) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ConditionError(f"nested more than {MAX_NESTING} levels deep", column)


def parse_condition(text: str) -> Expr:
    """The tree of ``text``; raises :class:`ConditionError` with the column of the problem."""
    if not text.strip():
        raise ConditionError("the condition is empty")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


# ---- type checking ------------------------------------------------------------------------

_Type: TypeAlias = tuple[str, Variable | None]  # ("number"|"condition"|"symbol"|"name"), var


@dataclass(frozen=True)
class Checked:
    """A condition that parsed and type-checked: evaluate it with :func:`evaluate`."""

    text: str
    expr: Expr
    variables: frozenset[str]


def check_condition(
    text: str, variables: Mapping[str, Variable] = VARIABLES
) -> tuple[Checked | None, list[str]]:
    """Parses and type-checks ``text``; returns the checked condition or every problem found."""
    try:
        expr = parse_condition(text)
    except ConditionError as error:
        return None, [str(error)]
    checker = _Checker(variables)
    resolved, kind = checker.visit(expr)
    if kind[0] == "name" and isinstance(resolved, Name):
        checker.unknown(resolved)
    elif not checker.problems and kind[0] != "condition":
        variable = kind[1]
        example = (
            f"{variable.name} == {variable.values[0]}"
            if variable is not None and variable.values
            else f"{variable.name if variable is not None else 'time_s'} > 60"
        )
        checker.problems.append(
            f"{_describe(resolved, kind)} is not a condition: compare it, e.g. {example}"
        )
    if checker.problems:
        return None, checker.problems
    return Checked(text, resolved, frozenset(checker.used)), []


def _describe(expr: Expr, kind: _Type) -> str:
    if isinstance(expr, Number):
        return f"the number {_num(expr.value)}"
    if isinstance(expr, Flag):
        return "true" if expr.value else "false"
    if kind[1] is not None:
        return f"{kind[1].name} ({kind[1].kind.value})"
    return "this"


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


class _Checker:
    def __init__(self, variables: Mapping[str, Variable]) -> None:
        self.variables = variables
        self.problems: list[str] = []
        self.used: set[str] = set()

    def visit(self, expr: Expr) -> tuple[Expr, _Type]:
        if isinstance(expr, Number):
            return expr, ("number", None)
        if isinstance(expr, Flag):
            return expr, ("condition", None)
        if isinstance(expr, Name):
            return self._name(expr)
        if isinstance(expr, Not):
            operand, kind = self.visit(expr.operand)
            self._want_condition(operand, kind, "not")
            return Not(operand, expr.column), ("condition", None)
        if isinstance(expr, BoolOp):
            operands = []
            for item in expr.operands:
                resolved, kind = self.visit(item)
                self._want_condition(resolved, kind, expr.op)
                operands.append(resolved)
            return BoolOp(expr.op, tuple(operands), expr.column), ("condition", None)
        return self._compare(expr)

    def _name(self, expr: Name) -> tuple[Expr, _Type]:
        variable = self.variables.get(expr.name)
        if variable is None:
            return expr, ("name", None)  # a symbol value, if a comparison says so
        self.used.add(variable.name)
        if variable.kind is Kind.FLAG:
            return expr, ("condition", variable)
        if variable.kind is Kind.NUMBER:
            return expr, ("number", variable)
        return expr, ("symbol", variable)

    def unknown(self, expr: Name) -> None:
        hint = difflib.get_close_matches(expr.name, list(self.variables), n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        self.problems.append(
            f"unknown variable {expr.name!r} at column {expr.column} "
            f"(known: {', '.join(sorted(self.variables))}){suggestion}"
        )

    def _want_condition(self, expr: Expr, kind: _Type, what: str) -> None:
        if kind[0] == "name" and isinstance(expr, Name):
            self.unknown(expr)
        elif kind[0] != "condition":
            self.problems.append(f"'{what}' needs conditions, not {_describe(expr, kind)}")

    def _compare(self, expr: Compare) -> tuple[Expr, _Type]:
        left, left_kind = self.visit(expr.left)
        right, right_kind = self.visit(expr.right)
        # A symbolic variable on one side makes a bare name on the other one of its values.
        for this_kind, other, other_kind in (
            (left_kind, right, right_kind),
            (right_kind, left, left_kind),
        ):
            if this_kind[0] == "symbol" and isinstance(other, Name) and other_kind[0] == "name":
                variable = this_kind[1]
                if variable is None:
                    break
                if other.name not in variable.values:
                    hint = difflib.get_close_matches(other.name, variable.values, n=1)
                    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
                    self.problems.append(
                        f"{variable.name} has no value {other.name!r} at column {other.column} "
                        f"(values: {', '.join(variable.values)}){suggestion}"
                    )
                value = Name(other.name, other.column, symbol=True)
                if other is right:
                    right, right_kind = value, ("value", variable)
                else:
                    left, left_kind = value, ("value", variable)
                if expr.op not in ("==", "!="):
                    self.problems.append(
                        f"{variable.name} is a symbol: compare it with == or !=, not {expr.op}"
                    )
                return Compare(expr.op, left, right, expr.column), ("condition", None)
        for side, kind in ((left, left_kind), (right, right_kind)):
            if kind[0] == "name" and isinstance(side, Name):
                self.unknown(side)
                return Compare(expr.op, left, right, expr.column), ("condition", None)
        kinds = {left_kind[0], right_kind[0]}
        comparable = kinds == {"number"} or (kinds == {"condition"} and expr.op in ("==", "!="))
        if not comparable:
            self.problems.append(
                f"cannot compare {_describe(left, left_kind)} with "
                f"{_describe(right, right_kind)} using {expr.op} at column {expr.column}"
            )
        return Compare(expr.op, left, right, expr.column), ("condition", None)


# ---- evaluation ---------------------------------------------------------------------------


def evaluate(condition: Checked, env: Env) -> bool:
    """The condition's value for the variables in ``env`` (every variable it reads must be
    there). A comparison with NaN is false."""
    return bool(_value(condition.expr, env))


def _value(expr: Expr, env: Env) -> Value:
    if isinstance(expr, Number | Flag):
        return expr.value
    if isinstance(expr, Name):
        return expr.name if expr.symbol else env[expr.name]
    if isinstance(expr, Not):
        return not _value(expr.operand, env)
    if isinstance(expr, BoolOp):
        if expr.op == "and":
            return all(_value(item, env) for item in expr.operands)
        return any(_value(item, env) for item in expr.operands)
    left, right = _value(expr.left, env), _value(expr.right, env)
    if expr.op == "==":
        return left == right
    if expr.op == "!=":
        return left != right
    if not isinstance(left, int | float) or not isinstance(right, int | float):
        raise TypeError(f"{expr.op} on {left!r} and {right!r}")  # excluded by type checking
    if math.isnan(left) or math.isnan(right):
        return False
    if expr.op == "<":
        return left < right
    if expr.op == "<=":
        return left <= right
    if expr.op == ">":
        return left > right
    return left >= right


__all__ = [
    "MAX_LENGTH",
    "MAX_NESTING",
    "VARIABLES",
    "BoolOp",
    "Checked",
    "Compare",
    "ConditionError",
    "Env",
    "Expr",
    "Flag",
    "Kind",
    "Name",
    "Not",
    "Number",
    "Variable",
    "check_condition",
    "evaluate",
    "parse_condition",
]
