"""Calendar periods: months ``YYYY-MM``, quarters ``YYYY-Q1``, half years ``YYYY-H1``, years ``YYYY``.

Dates are local dates in China (Asia/Shanghai); the fiscal year is the calendar year, so a period
is a plain range of ``datetime.date`` values and no time zone arithmetic is needed.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import lru_cache
from typing import Iterator

__all__ = ["Granularity", "Period", "months_between"]


class Granularity(str, Enum):
    """How long a period is."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"

    @property
    def months(self) -> int:
        return _MONTHS[self.value]

    @property
    def label(self) -> str:
        return _LABELS[self.value]


_MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}
_LABELS = {"month": "月", "quarter": "季度", "half_year": "半年", "year": "年"}


_PATTERNS = (
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), Granularity.MONTH),
    (re.compile(r"^(\d{4})-Q([1-4])$"), Granularity.QUARTER),
    (re.compile(r"^(\d{4})-H([12])$"), Granularity.HALF_YEAR),
    (re.compile(r"^(\d{4})$"), Granularity.YEAR),
)


@dataclass(frozen=True, order=True)
class Period:
    """One calendar period; ``index`` counts periods of its granularity from the year start, 1-based."""

    year: int
    granularity: Granularity
    index: int

    @classmethod
    def parse(cls, text: str) -> Period:
        for pattern, granularity in _PATTERNS:
            match = pattern.match(text)
            if match:
                index = int(match.group(2)) if granularity is not Granularity.YEAR else 1
                return cls(int(match.group(1)), granularity, index)
        raise ValueError(
            f"`{text}` is not a period: write YYYY-MM, YYYY-Q1..Q4, YYYY-H1/H2 or YYYY"
        )

    @classmethod
    def containing(cls, day: date, granularity: Granularity) -> Period:
        return cls(day.year, granularity, (day.month - 1) // granularity.months + 1)

    @property
    def first_month(self) -> int:
        return (self.index - 1) * self.granularity.months + 1

    @property
    def start(self) -> date:
        return _bounds(self.year, self.granularity, self.index)[0]

    @property
    def end(self) -> date:
        return _bounds(self.year, self.granularity, self.index)[1]

    @property
    def days(self) -> int:
        return _bounds(self.year, self.granularity, self.index)[2]

    def next(self) -> Period:
        per_year = 12 // self.granularity.months
        if self.index == per_year:
            return Period(self.year + 1, self.granularity, 1)
        return Period(self.year, self.granularity, self.index + 1)

    def previous(self) -> Period:
        if self.index == 1:
            return Period(self.year - 1, self.granularity, 12 // self.granularity.months)
        return Period(self.year, self.granularity, self.index - 1)

    def shifted(self, periods: int) -> Period:
        """The period ``periods`` later (earlier when negative)."""
        per_year = 12 // self.granularity.months
        total = self.year * per_year + self.index - 1 + periods
        return Period(total // per_year, self.granularity, total % per_year + 1)

    def within(self, start: date, end: date) -> bool:
        """True when the whole period lies inside ``start..end`` (inclusive)."""
        return start <= self.start and self.end <= end

    def __str__(self) -> str:
        if self.granularity is Granularity.MONTH:
            return f"{self.year}-{self.index:02d}"
        if self.granularity is Granularity.QUARTER:
            return f"{self.year}-Q{self.index}"
        if self.granularity is Granularity.HALF_YEAR:
            return f"{self.year}-H{self.index}"
        return f"{self.year}"

    @staticmethod
    def of_year(year: int, granularity: Granularity) -> Iterator[Period]:
        period = Period(year, granularity, 1)
        while period.year == year:
            yield period
            period = period.next()


@lru_cache(maxsize=4096)
def _bounds(year: int, granularity: Granularity, index: int) -> tuple[date, date, int]:
    """A period's first and last day and its number of days (asked for often, and the same few)."""
    months = granularity.months
    first_month = (index - 1) * months + 1
    last_month = first_month + months - 1
    start = date(year, first_month, 1)
    end = date(year, last_month, calendar.monthrange(year, last_month)[1])
    return start, end, (end - start).days + 1


def months_between(start: date, end: date) -> Iterator[Period]:
    """Every month that overlaps ``start..end``, in order."""
    period = Period.containing(start, Granularity.MONTH)
    while period.start <= end:
        yield period
        period = period.next()
