"""Money: exact ``Decimal`` yuan, quantised to the fen (0.01) with ROUND_HALF_UP; never float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Iterable

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["FEN", "Money", "to_decimal", "quantize", "prorate", "prorate_stretches", "round_to"]

FEN = Decimal("0.01")
MAX_DIGITS = 15
"""Whole-number digits allowed in an amount (a trillion yuan and more is a typing mistake)."""

# Plain decimal notation; thousands separators only in their places (1,270.00); no exponents.
_DECIMAL_TEXT = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$", re.ASCII)
# ASCII digits only: `٣١٢` (Arabic-Indic) or `３１２` (full-width) is a typing accident, not 312.


def to_decimal(value: Any) -> Decimal:
    """Read a number exactly: from ``Decimal``, ``int`` or a decimal string; a float is refused.

    A float has already lost the exact value a policy officer wrote (``0.1`` is not one tenth),
    so it is an error rather than a silent rounding.
    """
    if isinstance(value, bool):
        raise ValueError("a truth value is not a number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.lower().lstrip("+-") in ("nan", "snan", "inf", "infinity"):
            raise ValueError(f"`{value}` is not a finite number")
        if not _DECIMAL_TEXT.match(text):
            raise ValueError(f"`{value}` is not a decimal number")
        result = Decimal(text.replace(",", ""))
    elif isinstance(value, float):
        raise ValueError(
            f"`{value!r}` is a float; write the amount as a string such as \"{value}\" "
            "so that it stays exact"
        )
    else:
        raise ValueError(f"`{value!r}` is not a decimal number")
    if not result.is_finite():
        raise ValueError(f"`{value}` is not a finite number")
    if result.adjusted() >= MAX_DIGITS:
        raise ValueError(f"`{value}` is too large (more than {MAX_DIGITS} digits before the point)")
    return result


def quantize(amount: Decimal) -> Decimal:
    """Round to the fen, half up (1.005 -> 1.01)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def round_to(amount: Decimal, unit: Decimal = FEN) -> Decimal:
    """Round half up to ``unit`` (the fen, the jiao 0.1 or the yuan 1) and show it to the fen."""
    return amount.quantize(unit, rounding=ROUND_HALF_UP).quantize(FEN)


def prorate(amount: Decimal, days_held: int, days_in_period: int) -> Decimal:
    """``amount × days_held / days_in_period``, rounded half up to the fen; whole periods exact."""
    if days_held >= days_in_period:
        return quantize(amount)
    return quantize(amount * days_held / days_in_period)


def prorate_stretches(stretches: Iterable[tuple[Decimal, int]], days_in_period: int, unit: Decimal = FEN) -> Decimal:
    """``Σ rate × days / days_in_period`` over stretches of days paid at one rate each (a rate
    that changes inside the period), rounded half up to ``unit`` (the fen by default) once; one
    stretch of the whole period is its rate exactly."""
    total = sum((rate * days for rate, days in stretches), Decimal(0))
    return round_to(total / days_in_period, unit)


def _serialize(value: Decimal) -> str:
    return str(value)


Decimal_ = Annotated[Decimal, BeforeValidator(to_decimal), PlainSerializer(_serialize, return_type=str)]
"""An exact decimal that refuses floats and serialises to a string."""

def _to_money(value: Any) -> Decimal:
    amount = to_decimal(value)
    if amount != quantize(amount):
        raise ValueError(f"`{value}` has more than two decimal places; money is exact to the fen")
    return quantize(amount)


Money = Annotated[
    Decimal,
    BeforeValidator(_to_money),
    PlainSerializer(_serialize, return_type=str),
]
"""Yuan, to the fen; serialised as a string such as ``"3175.00"`` so JSON consumers keep it exact."""
