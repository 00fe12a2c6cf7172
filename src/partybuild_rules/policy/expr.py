"""A small arithmetic grammar for formulas: ``band($dues_rates, monthly_income) * monthly_income``.

Numbers are exact decimals; ``$names`` are parameters, bare names are the subject's attributes
(or an event's fields); ``+ - * /``, parentheses and the functions ``band(table, x)`` (the value
of the band of a table parameter that ``x`` falls in), ``lookup(table, key)``, ``min`` and ``max``.
The text is parsed once into a tree by this module's own parser and evaluated with ``Decimal`` —
never ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Protocol, Union

__all__ = ["Expr", "ExprError", "parse_expr"]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>\$[A-Za-z_][A-Za-z0-9_]*)|(?P<attr>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>[-+*/(),]))"
)
FUNCTIONS = {"band": 2, "lookup": 2, "min": 2, "max": 2}
"""The functions a formula may call, with their number of arguments."""


class ExprError(ValueError):
    """A formula that does not parse; ``column`` is 1-based within the formula text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Num:
    value: Decimal


@dataclass(frozen=True)
class Name:
    name: str
    column: int


@dataclass(frozen=True)
class Attr:
    """A bare name: an attribute of the subject, or a field of the event being summed."""

    name: str
    column: int


@dataclass(frozen=True)
class Call:
    function: str
    args: tuple[Expr, ...]
    column: int


@dataclass(frozen=True)
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


Expr = Union[Num, Name, Attr, Call, Neg, BinOp]


def _children(expr: Expr) -> tuple[Expr, ...]:
    if isinstance(expr, Neg):
        return (expr.operand,)
    if isinstance(expr, BinOp):
        return (expr.left, expr.right)
    if isinstance(expr, Call):
        return expr.args
    return ()


def names(expr: Expr) -> list[Name]:
    """Every parameter the formula refers to, in order."""
    if isinstance(expr, Name):
        return [expr]
    return [n for child in _children(expr) for n in names(child)]


def attributes(expr: Expr) -> list[Attr]:
    """Every bare name (attribute or event field) the formula refers to, in order."""
    if isinstance(expr, Attr):
        return [expr]
    return [n for child in _children(expr) for n in attributes(child)]


def calls(expr: Expr) -> list[Call]:
    """Every function call of the formula, outermost first."""
    found = [expr] if isinstance(expr, Call) else []
    return found + [c for child in _children(expr) for c in calls(child)]


class Tables(Protocol):
    """What ``band`` and ``lookup`` read: implemented by the evaluator over the pack's tables."""

    def band(self, table: str, value: Decimal) -> Decimal: ...

    def lookup(self, table: str, key: str) -> Decimal: ...


def evaluate(
    expr: Expr, values: Mapping[str, Decimal], attrs: Mapping[str, object] | None = None,
    tables: Tables | None = None,
) -> Decimal:
    """The formula's value; ``values`` are the parameters, ``attrs`` the bare names. A bare
    name without a value raises ``KeyError``."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Name):
        return values[expr.name]
    if isinstance(expr, Attr):
        value = (attrs or {})[expr.name]
        if not isinstance(value, Decimal):
            raise KeyError(expr.name)
        return value
    if isinstance(expr, Call):
        return _call(expr, values, attrs, tables)
    if isinstance(expr, Neg):
        return -evaluate(expr.operand, values, attrs, tables)
    left, right = evaluate(expr.left, values, attrs, tables), evaluate(expr.right, values, attrs, tables)
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left - right
    if expr.op == "*":
        return left * right
    if right == 0:
        raise ZeroDivisionError("division by zero in a formula")
    return left / right


def _call(expr: Call, values: Mapping[str, Decimal], attrs: Mapping[str, object] | None,
          tables: Tables | None) -> Decimal:
    if expr.function in ("min", "max"):
        left, right = (evaluate(a, values, attrs, tables) for a in expr.args)
        return min(left, right) if expr.function == "min" else max(left, right)
    table, key = expr.args
    assert isinstance(table, Name) and tables is not None  # checked when the pack loads
    if expr.function == "band":
        return tables.band(table.name, evaluate(key, values, attrs, tables))
    if not isinstance(key, Attr):
        raise KeyError("lookup key")
    raw = (attrs or {})[key.name]
    return tables.lookup(table.name, str(getattr(raw, "value", raw)))


def parse_expr(text: str) -> Expr:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text.rstrip()):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            column = position + 1 + (len(text[position:]) - len(text[position:].lstrip()))
            raise ExprError(f"unexpected `{text[column - 1]}` in formula", column)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    parser = _Parser(tokens, len(text) + 1)
    expr = parser.sum()
    if parser.index < len(tokens):
        raise ExprError(f"unexpected `{tokens[parser.index][1]}` in formula", tokens[parser.index][2])
    return expr


class _Parser:
    def __init__(self, tokens: list[tuple[str, str, int]], end: int) -> None:
        self.tokens, self.index, self.end = tokens, 0, end

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        if self.index >= len(self.tokens):
            raise ExprError("formula ends too early", self.end)
        token = self.tokens[self.index]
        self.index += 1
        return token

    def sum(self) -> Expr:
        expr = self.product()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            expr = BinOp(op, expr, self.product())
        return expr

    def product(self) -> Expr:
        expr = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            expr = BinOp(op, expr, self.unary())
        return expr

    def unary(self) -> Expr:
        if self.peek() == "-":
            self.take()
            return Neg(self.unary())
        return self.atom()

    def atom(self) -> Expr:
        kind, text, column = self.take()
        if kind == "num":
            return Num(Decimal(text))
        if kind == "name":
            return Name(text[1:], column)
        if kind == "attr":
            if self.peek() != "(":
                return Attr(text, column)
            if text not in FUNCTIONS:
                raise ExprError(f"unknown function `{text}`; functions: {', '.join(FUNCTIONS)}", column)
            self.take()
            args = [self.sum()]
            while self.peek() == ",":
                self.take()
                args.append(self.sum())
            closing = self.take()
            if closing[1] != ")":
                raise ExprError("expected `)`", closing[2])
            if len(args) != FUNCTIONS[text]:
                raise ExprError(f"`{text}` takes {FUNCTIONS[text]} arguments, got {len(args)}", column)
            if text in ("band", "lookup") and not isinstance(args[0], Name):
                raise ExprError(f"the first argument of `{text}` is a table `$parameter`", column)
            return Call(text, tuple(args), column)
        if text == "(":
            expr = self.sum()
            closing = self.take()
            if closing[1] != ")":
                raise ExprError("expected `)`", closing[2])
            return expr
        raise ExprError(f"unexpected `{text}` in formula", column)
