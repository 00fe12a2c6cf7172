"""Dated parameter values: a parameter whose value changes on a date, and money paid day by day.

A parameter may give ``dated:`` values for ranges of days (every other day takes its ``default``).
An allowance whose amount reads such a parameter is paid, for a period, Σ over the days paid of
that day's rate / the days in the period, rounded half up once, so that pro-rating by days held
and by the date of a change are one sum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from ..domain.errors import Problem
from ..domain.money import FEN, prorate_stretches, to_decimal
from ..domain.periods import Period
from .documents import DatedValue, ParameterSpec, Rule
from .expr import attributes as formula_attributes
from .expr import evaluate as evaluate_formula
from .expr import parse_expr
from .loader import Document

if TYPE_CHECKING:  # the pack module builds on this one
    from .pack import Pack, ParamValue

__all__ = ["Dated", "dated_allowance", "dated_amount", "dated_values", "stretches", "value_on"]

_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Dated:
    """A parameter's value from ``start`` to ``end`` (inclusive; ``None``: no end)."""

    start: date
    end: date | None
    value: ParamValue

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def dated_values(
    spec: ParameterSpec, entries: Sequence[DatedValue], document: Document, at: tuple[str | int, ...],
    problems: list[Problem], read: Callable[[Any], ParamValue],
) -> tuple[Dated, ...]:
    """A parameter's dated values, checked: each value of the parameter's type and range, ``until``
    not before ``from``, entries in date order and no day in two entries. An entry without
    ``until`` lasts until the day before the next one starts."""
    result: list[Dated] = []
    for i, entry in enumerate(entries):
        try:
            value = read(entry.value)
        except ValueError as error:
            problems.append(Problem(f"dated value: {error}", document.span(at + (i, "value")), "parameter"))
            continue
        if entry.until is not None and entry.until < entry.from_:
            problems.append(Problem(
                f"dated value ends ({entry.until}) before it starts ({entry.from_})",
                document.span(at + (i, "until")), "dated",
            ))
            continue
        if result and entry.from_ <= result[-1].start:
            problems.append(Problem(
                f"dated values are not in date order: {entry.from_} comes after {result[-1].start}",
                document.span(at + (i, "from")), "dated", "list the dated values from the earliest",
            ))
            continue
        if result and result[-1].end is not None and entry.from_ <= result[-1].end:
            first = document.span(at + (len(result) - 1,))
            problems.append(Problem(
                f"dated values overlap: {result[-1].start}..{result[-1].end} (at {first}) and one "
                f"from {entry.from_}", document.span(at + (i, "from")), "dated",
                "each day has at most one value: end the earlier entry before the later starts",
            ))
            continue
        if result and result[-1].end is None:
            result[-1] = replace(result[-1], end=entry.from_ - timedelta(days=1))
        result.append(Dated(entry.from_, entry.until, value))
    return tuple(result)


def value_on(pack: Pack, name: str, day: date) -> ParamValue:
    """The value of parameter ``name`` on ``day``: its dated value there, else its value."""
    for entry in pack.dated.get(name, ()):
        if entry.holds_on(day):
            return entry.value
    return pack.values[name]


def stretches(pack: Pack, names: Iterable[str], first: date, last: date) -> list[tuple[dict[str, ParamValue], int]]:
    """The days ``first..last`` cut where a dated value of ``names`` changes: the values of
    ``names`` in force in each stretch and its number of days."""
    names = [n for n in names if n in pack.dated]
    cuts = {first, last + timedelta(days=1)}
    for name in names:
        for entry in pack.dated[name]:
            cuts |= {entry.start} | ({entry.end + timedelta(days=1)} if entry.end else set())
    days = sorted(d for d in cuts if first <= d <= last + timedelta(days=1))
    return [
        ({n: value_on(pack, n, start) for n in names}, (end - start).days)
        for start, end in zip(days, days[1:])
    ]


def dated_amount(
    pack: Pack, names: Iterable[str], rate: Callable[[Mapping[str, ParamValue]], Decimal],
    first: date, last: date, days_in_period: int, unit: Decimal = FEN,
) -> Decimal:
    """Money over the days ``first..last`` of a period of ``days_in_period`` days when the rate
    depends on dated parameters: Σ over the days of that day's rate / days in the period, rounded
    half up to ``unit`` once (each stretch of equal rates is summed exactly first)."""
    return prorate_stretches(((rate(values), days) for values, days in stretches(pack, names, first, last)),
                             days_in_period, unit)


def dated_allowance(
    pack: Pack, rule: Rule, names: Iterable[str], tier: str | None, period: Period,
    held_from: str | None = None, held_until: str | None = None, *, unit: Decimal = FEN,
    attrs: Mapping[str, object] | None = None, tables: Any = None,
) -> tuple[Decimal, Decimal]:
    """An allowance whose amount uses dated parameters: the amount for the whole ``period`` and
    the amount for the days held (``held_from..held_until``, ISO dates; the whole period if not
    given), each as Σ over its days of that day's rate / days in the period, rounded half up to
    ``unit`` once. ``attrs`` and ``tables`` are the subject's attributes and the pack's tables,
    for formulas that read them."""

    expr = parse_expr(rule.amount) if rule.amount is not None else None
    personal = expr is not None and bool(formula_attributes(expr))
    memo: dict[tuple[Any, ...], tuple[Decimal, Decimal]] = pack._cache.setdefault("dated amounts", {})
    key = (rule.id, tier, str(period), held_from, held_until, unit)
    if not personal and key in memo:  # the same amount for every holder of the same days
        return memo[key]
    base = {k: to_decimal(v) for k, v in pack.values.items() if isinstance(v, (int, Decimal))}

    def rate(dated: Mapping[str, ParamValue]) -> Decimal:
        numbers = {**base, **{k: to_decimal(v) for k, v in dated.items() if isinstance(v, (int, Decimal))}}
        if expr is not None:
            return evaluate_formula(expr, numbers, attrs, tables)
        assert rule.amount_by_tier is not None and tier is not None
        value = rule.amount_by_tier[tier]
        match = _REF.match(value) if isinstance(value, str) else None
        return numbers[match.group(1)] if match else to_decimal(value)

    names = list(names)
    first = date.fromisoformat(held_from) if held_from else period.start
    last = date.fromisoformat(held_until) if held_until else period.end
    full = dated_amount(pack, names, rate, period.start, period.end, period.days, unit)
    paid = full if (first, last) == (period.start, period.end) else dated_amount(
        pack, names, rate, first, last, period.days, unit)
    if not personal:
        memo[key] = (full, paid)
    return full, paid


