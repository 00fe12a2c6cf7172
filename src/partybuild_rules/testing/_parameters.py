"""Strategies for parameter values within their declarations, for overrides of a pack's
parameters, and for the amounts whose pro-rata share is an exact half fen."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Iterable

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..domain.money import to_decimal
from ..policy.documents import ParameterSpec
from ..policy.pack import Pack
from ._draw import _Draw, _strategy


def _number(text: int | str | None) -> Decimal | None:
    return None if text is None else to_decimal(text)


def parameter_value(spec: ParameterSpec) -> SearchStrategy[int | str]:
    """A value a parameter may take under its declaration: one of ``allowed``, or a whole number
    (``integer``) or a decimal exact to 0.01 (``decimal``, ``money``; as text, so that it stays
    exact) within ``min`` and ``max``. An open side reaches 1,000 (integer) or 1,000,000 beyond
    the other bound or the default. Shrinks towards the lowest value."""
    low, high = _number(spec.min), _number(spec.max)
    if spec.allowed is not None:
        return st.sampled_from([a for a in spec.allowed if spec.type == "text" or (
            (low is None or to_decimal(a) >= low) and (high is None or to_decimal(a) <= high))])
    if spec.type == "text":
        return st.text(alphabet="好较一般差abc", min_size=1, max_size=4)
    default = to_decimal(spec.default)
    spread = Decimal(1000 if spec.type == "integer" else 1_000_000)
    low = low if low is not None else min(default, high if high is not None else default) - spread
    high = high if high is not None else max(default, low) + spread
    if spec.type == "integer":
        return st.integers(int(low.to_integral_value(rounding="ROUND_CEILING")), int(high))
    cents = st.integers(int((low * 100).to_integral_value(rounding="ROUND_CEILING")),
                        int((high * 100).to_integral_value(rounding="ROUND_FLOOR")))
    return cents.map(lambda n: str((Decimal(n) / 100).quantize(Decimal("0.01"))))


def half_fen_ties() -> SearchStrategy[tuple[str, int, int]]:
    """``(amount, days_held, days_in_month)`` whose pro-rata share ``amount × days_held /
    days_in_month`` is an exact half fen (such as 1270.05 × 1 / 30 = 42.335): only these tell
    ROUND_HALF_UP from banker's rounding or truncation. ``amount`` is text exact to the fen,
    ``days_in_month`` is 28, 29, 30 or 31 and ``days_held`` below it."""

    def build(d: _Draw) -> tuple[str, int, int]:
        days = d.pick([28, 30, 29, 31])
        # 2·A·h/n must be odd: with g = gcd(2h, n), 2h = g·a and n = g·b, A = b·t with a and t odd
        candidates = [h for h in range(1, days) if (2 * h // math.gcd(2 * h, days)) % 2 == 1]
        if not candidates:  # an odd month: 2·A·h is even, n odd, never a tie; use 30 days
            days, candidates = 30, [h for h in range(1, 30) if (2 * h // math.gcd(2 * h, 30)) % 2 == 1]
        held = d.pick(candidates)
        unit = days // math.gcd(2 * held, days)
        cents = unit * (2 * d.number(0, 10_000_000 // unit) + 1)
        return str((Decimal(cents) / 100).quantize(Decimal("0.01"))), held, days

    return _strategy(build)


def parameter_overrides(pack: Pack, names: Iterable[str] | None = None) -> SearchStrategy[dict[str, int | str]]:
    """Overrides for some of the pack's parameters (any of them, or of ``names``), each drawn
    within its declared constraints; shrinks towards no override. ``pack.with_overrides``
    accepts every one."""
    chosen = list(pack.parameters) if names is None else list(names)
    chosen = [name for name in chosen if pack.parameters[name].type not in ("table", "lookup")]  # set in the pack
    return st.fixed_dictionaries({}, optional={name: parameter_value(pack.parameters[name]) for name in chosen})
