"""A small arithmetic grammar for money formulas: ``$multiplier * $minimum_income``.

Numbers are exact decimals, names are ``$parameters``; ``+ - * /`` and parentheses. The text is
parsed once into a tree by this module's own parser and evaluated with ``Decimal`` — never ``eval``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping, Union

__all__ = ["Expr", "ExprError", "parse_expr"]

_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<name>\$[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/()]))")


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
class Neg:
    operand: Expr


@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


Expr = Union[Num, Name, Neg, BinOp]


def names(expr: Expr) -> list[Name]:
    """Every parameter the formula refers to, in order."""
    if isinstance(expr, Name):
        return [expr]
    if isinstance(expr, Neg):
        return names(expr.operand)
    if isinstance(expr, BinOp):
        return names(expr.left) + names(expr.right)
    return []


def evaluate(expr: Expr, values: Mapping[str, Decimal]) -> Decimal:
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Name):
        return values[expr.name]
    if isinstance(expr, Neg):
        return -evaluate(expr.operand, values)
    left, right = evaluate(expr.left, values), evaluate(expr.right, values)
    if expr.op == "+":
        return left + right
    if expr.op == "-":
        return left - right
    if expr.op == "*":
        return left * right
    if right == 0:
        raise ZeroDivisionError("division by zero in a formula")
    return left / right


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
        if text == "(":
            expr = self.sum()
            closing = self.take()
            if closing[1] != ")":
                raise ExprError("expected `)`", closing[2])
            return expr
        raise ExprError(f"unexpected `{text}` in formula", column)
