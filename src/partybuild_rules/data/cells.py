"""A ledger's cells read as the values their columns declare: dates written several ways, whole
numbers, decimals as shown, 是/否, lists of ids, months, choices by value or by label. A reader
raises ``ValueError`` with the message the officer sees; nothing is guessed (a number is never
taken for a date, a space around an id is an error)."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Callable

from ..policy.loader import MAX_INT_DIGITS
from .sheets import Column

__all__ = ["cell_reader", "cell_text", "raw_value"]


_LIST_SPLIT = re.compile(r"[,，、;；\s]+")


_DATE_TEXT = re.compile(r"^(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?$")


_TRUE = {"是", "true", "yes", "y", "√"}


_FALSE = {"否", "false", "no", "n", "×"}


def cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_EXACT = 10**15
"""Excel keeps 15 significant digits: a number from this on may not be the one typed."""


def _integer(column: Column, value: Any) -> int:
    if isinstance(value, float) and value.is_integer():
        if abs(value) >= _EXACT:
            raise ValueError(f"`{value:.15g}` is too large for a whole number (more than 15 digits)")
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[-+]?\d+", value.strip()):
        if len(value.strip().lstrip("+-")) > MAX_INT_DIGITS:  # as a JSON or YAML dataset is read
            raise ValueError(f"`{value.strip()[:20]}…` is too large for a whole number (more than {MAX_INT_DIGITS} digits)")
        return int(value)
    raise ValueError(f"expected a whole number, got `{cell_text(value)}`")


def _boolean(column: Column, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = cell_text(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"expected 是 or 否, got `{cell_text(value)}`")


def _enum(column: Column, value: Any) -> str:
    choice = column.value_of(cell_text(value))
    if choice is None:
        raise ValueError(f"`{cell_text(value)}` is not one of " + "、".join(column.label(c) for c in column.choices))
    return choice


def _list(column: Column, value: Any) -> list[str]:
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected ids, got `{value}`")
    if isinstance(value, float) and abs(value) >= _EXACT:
        raise ValueError(f"`{value:.15g}` has more digits than Excel keeps (15): write it as text")
    return [item for item in _LIST_SPLIT.split(cell_text(value)) if item]


def _string(column: Column, value: Any) -> str:
    if isinstance(value, bool) or isinstance(value, (date, datetime)):
        raise ValueError(f"expected text, got `{value}`")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"expected text, got `{value}`")
        if abs(value) >= _EXACT:  # an id typed as a long number: Excel has already dropped digits
            raise ValueError(f"`{value:.15g}` has more digits than Excel keeps (15): write it as text")
        return str(int(value))
    text = str(value)
    if column.type != "text" and text != text.strip():
        raise ValueError(f"`{text}` has a space before or after it")
    return text


def _date(column: Column, value: Any) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise ValueError(f"expected a date without a time, got `{value}`")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _DATE_TEXT.match(value.strip())
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        raise ValueError(f"`{value}` is not a date (YYYY-MM-DD)")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError(f"a number `{cell_text(value)}` where a date is expected")
    raise ValueError(f"`{value}` is not a date (YYYY-MM-DD)")


def _decimal(column: Column, value: Any) -> Decimal | str:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got `{value}`")
    if isinstance(value, float):
        # Excel keeps 15 significant digits; the shortest text of the float is the number shown.
        return Decimal(int(value)) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, (date, datetime)):
        raise ValueError(f"expected a number, got `{value}`")
    return str(value).strip()


def raw_value(column: Column, value: Any) -> Any:
    """A typed cell as the JSON a dataset file holds for a pack-declared field (dates and
    decimals as text, money to the fen)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # as written; the declaration checks money to the fen
    if column.type in ("decimal", "money"):  # a decimal text is checked by the declaration
        return value
    if column.type == "list":
        return list(value)
    return value


def _month(column: Column, value: Any) -> str:
    if isinstance(value, (date, datetime)) and not isinstance(value, bool):
        day = value.date() if isinstance(value, datetime) else value
        if day.day == 1 and (not isinstance(value, datetime) or value.time() == datetime.min.time()):
            return f"{day.year:04d}-{day.month:02d}"
        raise ValueError(f"expected a month (YYYY-MM), got the day `{day}`")
    text = cell_text(value).strip()
    match = re.fullmatch(r"(\d{4})(?:-|/|\.|年)(\d{1,2})月?", text)
    if match and 1 <= int(match[2]) <= 12:
        return f"{int(match[1]):04d}-{int(match[2]):02d}"
    raise ValueError(f"expected a month (YYYY-MM), got `{text}`")


def cell_reader(column: Column) -> Callable[[Column, Any], Any]:
    if column.type == "enum":
        lookup = {c: c for c in column.choices} | {column.label(c): c for c in column.choices}

        def enum(column: Column, value: Any) -> str:
            choice = lookup.get(cell_text(value)) if isinstance(value, (str, float)) else None
            if choice is None:
                return _enum(column, value)
            return choice

        return enum
    if column.type in ("id", "key"):
        def key(column: Column, value: Any) -> str:
            if type(value) is str and value == value.strip():
                return value
            return _string(column, value)

        return key
    return _READERS[column.type]


_READERS: dict[str, Callable[[Column, Any], Any]] = {
    "id": _string, "key": _string, "text": _string, "date": _date, "month": _month, "decimal": _decimal,
    "money": _decimal, "integer": _integer, "boolean": _boolean, "enum": _enum, "list": _list,
}
