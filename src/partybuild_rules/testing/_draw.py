"""How the strategies draw: :class:`_Draw` takes few, combined integer choices from hypothesis
(hypothesis spends its time per choice), :func:`_strategy` turns a builder taking one into a
strategy, and small helpers read sizes, windows of dates and scores through it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from math import prod
from typing import Any, Callable, Sequence, TypeVar, Union

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy


Size = Union[int, tuple[int, int]]
"""A count, or an inclusive ``(min, max)`` range that shrinks towards ``min``."""

T = TypeVar("T")
Window = tuple[date, date]
"""An inclusive range of dates."""


class _Draw:
    """Choices drawn from hypothesis through cached integer strategies, each shrinking to 0."""

    def __init__(self, draw: Callable[[SearchStrategy[Any]], Any]) -> None:
        self._draw = draw
        self._integers: dict[tuple[int, int], SearchStrategy[int]] = {}

    def draw(self, strategy: SearchStrategy[T]) -> T:
        """A value of another strategy, as part of the same example."""
        return self._draw(strategy)  # type: ignore[no-any-return]

    def number(self, low: int, high: int) -> int:
        if high <= low:
            return low
        strategy = self._integers.get((low, high))
        if strategy is None:
            strategy = self._integers[(low, high)] = st.integers(low, high)
        return int(self._draw(strategy))

    def digits(self, *radices: int) -> list[int]:
        """Several choices in one draw; the first shrinks first."""
        number = self.number(0, prod(radices) - 1)
        result = []
        for radix in reversed(radices):
            number, digit = divmod(number, radix)
            result.append(digit)
        return result[::-1]

    def pick(self, items: Sequence[T]) -> T:
        return items[self.number(0, len(items) - 1)]

    def mask(self, size: int) -> list[bool]:
        bits = self.number(0, 2**size - 1)
        return [bool(bits >> i & 1) for i in range(size)]

    def subset(self, items: Sequence[T]) -> list[T]:
        return [item for item, kept in zip(items, self.mask(len(items))) if kept]

    def day(self, window: Window) -> date:
        return window[0] + timedelta(days=self.number(0, max(0, (window[1] - window[0]).days)))


def _strategy(build: Callable[..., T], *args: Any, **kwargs: Any) -> SearchStrategy[T]:
    @st.composite
    def strategy(draw: Any) -> T:
        return build(_Draw(draw), *args, **kwargs)

    return strategy()


def _bounds(size: Size, what: str) -> tuple[int, int]:
    low, high = (size, size) if isinstance(size, int) else size
    if low < 0 or high < low:
        raise ValueError(f"`{what}` must be a count or a (min, max) range, got {size!r}")
    return low, high


def _offset(window: Window, days: int) -> date:
    return min(window[1], window[0] + timedelta(days=days))


def _span(window: Window) -> int:
    return max(0, (window[1] - window[0]).days) + 1


def _month_start(year: int, month: int, shift: int) -> date:
    ordinal = year * 12 + month - 1 + shift
    return date(ordinal // 12, ordinal % 12 + 1, 1)


def _score(d: _Draw) -> Decimal:
    """A multiple of five, the hundredth below one, or any hundredth in [0, 100]."""
    kind = d.number(0, 2)
    if kind == 0:
        return Decimal(5 * d.number(0, 20))
    if kind == 1:
        return Decimal(5 * d.number(1, 20)) - Decimal("0.01")
    return Decimal(d.number(0, 10000)) / 100
