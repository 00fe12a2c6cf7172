"""Exact money (Decimal yuan, half-up to the fen, never float) and calendar periods."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from partybuild_rules.domain.money import FEN, Money, prorate, quantize, to_decimal
from partybuild_rules.domain.periods import Granularity, Period, months_between

MONEY = TypeAdapter(Money)


# -- to_decimal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1270.00", Decimal("1270.00")),
        ("0.1", Decimal("0.1")),
        (" 2.5 ", Decimal("2.5")),
        (1270, Decimal("1270")),
        (Decimal("3175.00"), Decimal("3175.00")),
        ("-3", Decimal("-3")),
    ],
)
def test_to_decimal_reads_exactly(value: object, expected: Decimal) -> None:
    result = to_decimal(value)
    assert result == expected and str(result) == str(expected)


@pytest.mark.parametrize("value", [0.1, 1270.0, float("nan")])
def test_to_decimal_refuses_float(value: float) -> None:
    with pytest.raises(ValueError, match="is a float"):
        to_decimal(value)


@pytest.mark.parametrize("value", [True, False])
def test_to_decimal_refuses_truth_values(value: bool) -> None:
    with pytest.raises(ValueError, match="truth value"):
        to_decimal(value)


@pytest.mark.parametrize("value", ["abc", "", "1.2.3", "0x10", None, [1]])
def test_to_decimal_refuses_what_is_not_a_number(value: object) -> None:
    with pytest.raises(ValueError, match="not a decimal number"):
        to_decimal(value)


def test_to_decimal_reads_thousands_separators() -> None:
    assert to_decimal("1,270.00") == Decimal("1270.00")


@pytest.mark.parametrize("value", ["1,2,7,0", "12,70", "1_000"])
def test_to_decimal_refuses_misplaced_separators(value: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(value)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", "sNaN"])
def test_to_decimal_refuses_non_finite(value: str) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        to_decimal(value)


# -- quantize and prorate ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1.005", "1.01"),
        ("2.675", "2.68"),
        ("1.004", "1.00"),
        ("0.005", "0.01"),
        ("0.015", "0.02"),
        ("-1.005", "-1.01"),
        ("3175", "3175.00"),
        ("1638.709677", "1638.71"),
    ],
)
def test_quantize_half_up(amount: str, expected: str) -> None:
    result = quantize(Decimal(amount))
    assert str(result) == expected


def test_prorate_examples() -> None:
    assert prorate(Decimal("3175.00"), 16, 31) == Decimal("1638.71")
    assert str(prorate(Decimal("3175.00"), 16, 31)) == "1638.71"
    assert prorate(Decimal("3175.00"), 31, 31) == Decimal("3175.00")
    assert prorate(Decimal("1270.00"), 15, 30) == Decimal("635.00")
    assert prorate(Decimal("1270.00"), 1, 29) == Decimal("43.79")  # 43.7931...
    assert prorate(Decimal("1270.00"), 0, 31) == Decimal("0.00")
    assert str(prorate(Decimal("1270"), 31, 31)) == "1270.00"


@given(
    amount=st.decimals(min_value=0, max_value=1_000_000, places=2),
    period_days=st.integers(min_value=1, max_value=366),
    data=st.data(),
)
def test_prorate_matches_exact_fractions(amount: Decimal, period_days: int, data: st.DataObject) -> None:
    """prorate is amount × held / days rounded half up to the fen, computed here with fractions."""
    held = data.draw(st.integers(min_value=0, max_value=period_days))
    result = prorate(amount, held, period_days)
    exact = Fraction(amount) * held / period_days * 100
    fen = int(exact + Fraction(1, 2))  # floor(x + 1/2): half up for non-negative x
    assert result == Decimal(fen) / 100
    assert result.as_tuple().exponent == -2
    assert Decimal(0) <= result <= amount


# -- Money -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("3175", "3175.00"), ("1270.5", "1270.50"), (12, "12.00")])
def test_money_is_kept_to_the_fen(value: object, expected: str) -> None:
    amount = MONEY.validate_python(value)
    assert str(amount) == expected
    assert MONEY.dump_python(amount) == expected
    assert MONEY.dump_json(amount) == f'"{expected}"'.encode()


@pytest.mark.parametrize("value", ["1.005", "1270.001", Decimal("0.125")])
def test_money_refuses_three_decimals(value: object) -> None:
    with pytest.raises(ValidationError, match="more than two decimal places"):
        MONEY.validate_python(value)


def test_money_refuses_float() -> None:
    with pytest.raises(ValidationError, match="is a float"):
        MONEY.validate_python(3175.0)


def test_fen() -> None:
    assert FEN == Decimal("0.01")


# -- periods --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "granularity", "index"),
    [
        ("2024-01", 2024, Granularity.MONTH, 1),
        ("2024-12", 2024, Granularity.MONTH, 12),
        ("2024-Q1", 2024, Granularity.QUARTER, 1),
        ("2024-Q4", 2024, Granularity.QUARTER, 4),
        ("2024-H2", 2024, Granularity.HALF_YEAR, 2),
        ("2024", 2024, Granularity.YEAR, 1),
    ],
)
def test_period_parse_and_format(text: str, year: int, granularity: Granularity, index: int) -> None:
    period = Period.parse(text)
    assert period == Period(year, granularity, index)
    assert str(period) == text


@pytest.mark.parametrize("text", ["2024-13", "2024-00", "2024-1", "2024-Q5", "2024-Q0", "2024-H3", "24-01", "2024-q1", ""])
def test_period_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="is not a period"):
        Period.parse(text)


PERIODS = st.builds(
    lambda year, granularity, draw: Period(year, granularity, draw % (12 // granularity.months) + 1),
    st.integers(min_value=1000, max_value=9998),
    st.sampled_from(list(Granularity)),
    st.integers(min_value=0, max_value=11),
)


@given(PERIODS)
def test_period_round_trip(period: Period) -> None:
    """Formatting a period and parsing it back gives the same period."""
    assert Period.parse(str(period)) == period


@given(PERIODS)
def test_period_bounds_tile_the_calendar(period: Period) -> None:
    """A period's days run from its start to its end, and the next one starts the day after."""
    assert period.days == (period.end - period.start).days + 1
    assert period.next().start == period.end + timedelta(days=1)
    assert Period.containing(period.start, period.granularity) == period
    assert Period.containing(period.end, period.granularity) == period


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30)),
        ("2024-Q3", date(2024, 7, 1), date(2024, 9, 30)),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-H1", date(2024, 1, 1), date(2024, 6, 30)),
        ("2024-H2", date(2024, 7, 1), date(2024, 12, 31)),
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
    ],
)
def test_quarter_and_half_boundaries(text: str, start: date, end: date) -> None:
    period = Period.parse(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize(
    ("day", "granularity", "text"),
    [
        (date(2024, 3, 31), Granularity.QUARTER, "2024-Q1"),
        (date(2024, 4, 1), Granularity.QUARTER, "2024-Q2"),
        (date(2024, 6, 30), Granularity.HALF_YEAR, "2024-H1"),
        (date(2024, 7, 1), Granularity.HALF_YEAR, "2024-H2"),
        (date(2024, 12, 31), Granularity.QUARTER, "2024-Q4"),
        (date(2024, 2, 29), Granularity.MONTH, "2024-02"),
    ],
)
def test_containing(day: date, granularity: Granularity, text: str) -> None:
    assert str(Period.containing(day, granularity)) == text


@pytest.mark.parametrize(("year", "days"), [(2024, 29), (2023, 28), (2000, 29), (1900, 28), (2100, 28)])
def test_february_days(year: int, days: int) -> None:
    february = Period(year, Granularity.MONTH, 2)
    assert february.days == days
    assert february.end == date(year, 2, days)


@pytest.mark.parametrize(("year", "days"), [(2024, 366), (2023, 365)])
def test_year_and_half_year_days(year: int, days: int) -> None:
    assert Period(year, Granularity.YEAR, 1).days == days
    assert Period(year, Granularity.HALF_YEAR, 1).days == days - 184
    assert Period(year, Granularity.QUARTER, 1).days == (91 if calendar.isleap(year) else 90)


def test_next_crosses_the_year() -> None:
    assert Period.parse("2023-12").next() == Period.parse("2024-01")
    assert Period.parse("2023-Q4").next() == Period.parse("2024-Q1")
    assert Period.parse("2023-H2").next() == Period.parse("2024-H1")
    assert Period.parse("2023").next() == Period.parse("2024")


def test_of_year() -> None:
    assert [str(p) for p in Period.of_year(2024, Granularity.QUARTER)] == [
        "2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"
    ]
    assert len(list(Period.of_year(2024, Granularity.MONTH))) == 12
    assert [str(p) for p in Period.of_year(2024, Granularity.HALF_YEAR)] == ["2024-H1", "2024-H2"]


def test_months_between() -> None:
    assert [str(p) for p in months_between(date(2023, 11, 30), date(2024, 2, 1))] == [
        "2023-11", "2023-12", "2024-01", "2024-02"
    ]
    assert [str(p) for p in months_between(date(2024, 5, 5), date(2024, 5, 6))] == ["2024-05"]


def test_within() -> None:
    q1 = Period.parse("2024-Q1")
    assert q1.within(date(2024, 1, 1), date(2024, 3, 31))
    assert not q1.within(date(2024, 1, 2), date(2024, 12, 31))
    assert not q1.within(date(2023, 7, 1), date(2024, 3, 30))


def test_periods_order_within_a_granularity() -> None:
    months = [Period.parse(t) for t in ("2024-03", "2023-12", "2024-01")]
    assert [str(p) for p in sorted(months)] == ["2023-12", "2024-01", "2024-03"]
