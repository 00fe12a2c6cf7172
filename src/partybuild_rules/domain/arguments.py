"""Checks of what the public functions are given: a value of the wrong type is a :class:`TypeError`
naming the argument, what it takes and what it got, raised where the call comes in rather than as
an ``AttributeError`` from deep inside."""

from __future__ import annotations

from typing import Any

__all__ = ["expect", "expect_year"]


def expect(value: Any, kind: type | tuple[type, ...], name: str, takes: str) -> None:
    """Raise :class:`TypeError` unless ``value`` is a ``kind`` (never a ``bool`` for a number):
    ``name`` is the argument, ``takes`` what it takes, e.g. ``a Pack (from load_pack)``."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        raise TypeError(f"`{name}` must be {takes}, not {_described(value)}")


def expect_year(year: Any) -> None:
    """Raise :class:`TypeError` unless ``year`` is a whole number (``2024``, not ``"2024"``)."""
    expect(year, int, "year", "a whole number such as 2024")


def _described(value: Any) -> str:
    if value is None:
        return "None"
    text = repr(value)
    return f"{type(value).__name__} `{text if len(text) <= 40 else text[:37] + '...'}`"
