"""Properties of whole evaluations: outcomes do not depend on the order of the input records, and
pro-rated allowances are never negative and follow the pro-rata formula exactly."""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partybuild_rules import Allowance, Dataset, Pack, Result, evaluate
from partybuild_rules.testing import half_fen_ties

YEAR = 2024
Raw = dict[str, Any]

# Shuffling and re-validating the generated data takes longer than hypothesis' default health
# checks expect of a single example.
SLOW = settings(suppress_health_check=[HealthCheck.too_slow])


# -- order independence ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(community_subset: Callable[[list[str]], Raw]) -> Raw:
    """One community of ``generate(scale=1)`` with outcomes of 14 of the 16 rules (R1, R7, C1,
    C4 among them); small enough to evaluate 25 times in a few seconds."""
    return community_subset(["C08"])


@pytest.fixture(scope="module")
def in_order(tongjiang_pack: Pack, sample: Raw, engine: str) -> Result:
    return evaluate(tongjiang_pack, Dataset.model_validate(sample), YEAR)


def shuffled(raw: Raw, rng: random.Random) -> Raw:
    """A copy of ``raw`` with every list of records (and the lists inside records) shuffled; the
    records themselves are shared, never changed."""
    data = dict(raw)
    for section in ("communities", "grids", "units", "inspection_groups", "ratings"):
        data[section] = rng.sample(raw[section], len(raw[section]))
    data["members"] = [_with_lists_shuffled(m, ("roles",), rng) for m in rng.sample(raw["members"], len(raw["members"]))]
    data["events"] = [
        _with_lists_shuffled(e, ("units", "participants", "findings", "items"), rng)
        for e in rng.sample(raw["events"], len(raw["events"]))
    ]
    return data


def _with_lists_shuffled(record: Raw, names: tuple[str, ...], rng: random.Random) -> Raw:
    if not any(isinstance(record.get(name), list) and len(record[name]) > 1 for name in names):
        return record
    copy_ = dict(record)
    for name in names:
        if isinstance(record.get(name), list):
            copy_[name] = rng.sample(record[name], len(record[name]))
    return copy_


def test_the_sample_has_outcomes_of_most_rules(in_order: Result) -> None:
    assert len({o.rule_id for o in in_order.outcomes}) >= 14


@SLOW
@given(rng=st.randoms(use_true_random=True))
def test_outcomes_do_not_depend_on_record_order(
    tongjiang_pack: Pack, sample: Raw, in_order: Result, rng: random.Random
) -> None:
    """Shuffling events, members, units, communities, grids, ratings and the lists inside records
    gives an equal result: the same outcomes, in the same order, with the same facts."""
    data = Dataset.model_validate(shuffled(sample, rng))
    assert evaluate(tongjiang_pack, data, YEAR) == in_order


@SLOW
@given(
    events=st.permutations(range(12)),
    members=st.permutations(range(12)),
)
def test_outcomes_do_not_depend_on_the_order_of_the_first_records(
    tongjiang_pack: Pack, sample: Raw, in_order: Result, events: list[int], members: list[int]
) -> None:
    """Permuting the first twelve events and the first twelve members (a permutation hypothesis
    can shrink to a minimal swap) changes nothing."""
    data = dict(sample)
    data["events"] = [sample["events"][i] for i in events] + sample["events"][12:]
    data["members"] = [sample["members"][i] for i in members] + sample["members"][12:]
    assert evaluate(tongjiang_pack, Dataset.model_validate(data), YEAR) == in_order


# -- pro-rated allowances -----------------------------------------------------------------------------

MONTHLY = {"grid_leader": Decimal("1270.00"), "committee_member": Decimal("3175.00")}
RULE = {"grid_leader": "A2.grid-leader-subsidy", "committee_member": "A1.committee-wage"}
FIRST, LAST = date(YEAR, 1, 1), date(YEAR, 12, 31)
DAYS = st.integers(min_value=0, max_value=(LAST - FIRST).days).map(lambda n: FIRST + timedelta(days=n))


def staff_city(role: str, holdings: list[tuple[date, date | None]]) -> Dataset:
    """One community and one member (not in service) holding ``role`` over ``holdings``."""
    return Dataset.model_validate({
        "name": "one role",
        "covers": {"start": FIRST.isoformat(), "end": LAST.isoformat()},
        "communities": [{"id": "C1", "name": "东江社区"}],
        "members": [{
            "id": "M1", "name": "赵六", "residence_community": "C1", "in_service": False,
            "roles": [
                {"role": role, "community": "C1", "start": start.isoformat(),
                 **({"end": end.isoformat()} if end else {})}
                for start, end in holdings
            ],
        }],
    })


def expected_months(monthly: Decimal, holdings: list[tuple[date, date | None]]) -> list[tuple[str, Decimal]]:
    """Per month, ``monthly × days held / days in month`` rounded half up to the fen once, the
    days held being those of any holding (domain.md: one amount per month, from the union of the
    days held), computed with fractions (independently of the library's Decimal code)."""
    result = []
    for month in range(1, 13):
        days_in_month = calendar.monthrange(YEAR, month)[1]
        first = date(YEAR, month, 1)
        days = {first + timedelta(days=n) for n in range(days_in_month)}
        held = len({day for day in days for start, end in holdings if start <= day <= (end or LAST)})
        if held:
            fen = int(Fraction(monthly) * 100 * held / days_in_month + Fraction(1, 2))
            result.append((f"{YEAR}-{month:02d}", Decimal(fen) / 100))
    return sorted(result)


def paid(result: Result, role: str) -> list[Allowance]:
    return [o for o in result.of_rule(RULE[role]) if isinstance(o, Allowance)]


@st.composite
def one_holding(draw: st.DrawFn) -> list[tuple[date, date | None]]:
    start = draw(DAYS)
    end = draw(st.none() | DAYS.filter(lambda d: d >= start))
    return [(start, end)]


@st.composite
def two_holdings(draw: st.DrawFn) -> list[tuple[date, date | None]]:
    """Two holdings of the same role that do not overlap (a break between them)."""
    a, b, c, d = sorted(draw(st.lists(DAYS, min_size=4, max_size=4, unique=True)))
    return [(a, b), (c, d)]


@given(role=st.sampled_from(sorted(MONTHLY)), holdings=one_holding())
def test_prorated_allowance_follows_the_formula(tongjiang_pack: Pack, role: str, holdings: list[tuple[date, date | None]]) -> None:
    """For a role held from a random start to a random end (or still held), every month's amount
    is ≥ 0, at most the monthly amount, equals the pro-rata formula, and the year's sum is at most
    12 × the monthly amount and equals the independently computed sum."""
    monthly = MONTHLY[role]
    outcomes = paid(evaluate(tongjiang_pack, staff_city(role, holdings), YEAR), role)
    got = sorted((o.period, o.amount) for o in outcomes)
    assert got == expected_months(monthly, holdings)
    for outcome in outcomes:
        assert Decimal(0) <= outcome.amount <= outcome.full_amount == monthly
        assert outcome.amount.as_tuple().exponent == -2
        assert 1 <= outcome.days_held <= outcome.days_in_period
    total = sum((o.amount for o in outcomes), Decimal(0))
    assert Decimal(0) <= total <= 12 * monthly
    assert total == sum((amount for _, amount in expected_months(monthly, holdings)), Decimal(0))


@given(role=st.sampled_from(sorted(MONTHLY)), holdings=two_holdings())
def test_two_holdings_are_both_paid(tongjiang_pack: Pack, role: str, holdings: list[tuple[date, date | None]]) -> None:
    """A role held twice in the year (with a break) is paid for the days of both spans, with one
    amount a month rounded once when both fall in one month; the sum never exceeds 12 × the
    monthly amount."""
    monthly = MONTHLY[role]
    outcomes = paid(evaluate(tongjiang_pack, staff_city(role, holdings), YEAR), role)
    assert sorted((o.period, o.amount) for o in outcomes) == expected_months(monthly, holdings)
    assert sum((o.amount for o in outcomes), Decimal(0)) <= 12 * monthly


def test_holding_a_role_all_year_is_twelve_monthly_amounts(tongjiang_pack: Pack) -> None:
    outcomes = paid(evaluate(tongjiang_pack, staff_city("grid_leader", [(FIRST, None)]), YEAR), "grid_leader")
    assert [o.amount for o in outcomes] == [Decimal("1270.00")] * 12
    assert [o.days_held for o in outcomes] == [calendar.monthrange(YEAR, m)[1] for m in range(1, 13)]


def test_half_month_example(tongjiang_pack: Pack) -> None:
    """Committee member from 16 January: 16 of 31 days of 3175.00 is 1638.71."""
    outcomes = paid(
        evaluate(tongjiang_pack, staff_city("committee_member", [(date(YEAR, 1, 16), date(YEAR, 2, 29))]), YEAR),
        "committee_member",
    )
    assert [(o.period, str(o.amount), o.days_held) for o in outcomes] == [
        ("2024-01", "1638.71", 16), ("2024-02", "3175.00", 29),
    ]


TIE_MONTHS = {29: 2, 30: 4, 31: 1}  # a month of 2024 of each length (no 28-day month in 2024)


@given(tie=half_fen_ties().filter(lambda t: t[2] in TIE_MONTHS))
def test_half_fen_shares_round_half_up(tongjiang_pack: Pack, tie: tuple[str, int, int]) -> None:
    """An amount whose pro-rata share is an exact half fen (1270.05 × 1 / 30 = 42.335) is paid
    rounded up (42.34): the case a wrong rounding mode gets wrong, which 1270.00 and 3175.00
    over 28–31 days can never produce."""
    amount, held, days = tie
    share = Fraction(Decimal(amount)) * held / days * 100
    assert share.denominator == 2, "the strategy draws exact half fen"
    month = TIE_MONTHS[days]
    start = date(YEAR, month, 1)
    pack = tongjiang_pack.with_overrides({"grid_leader_subsidy": amount})
    outcomes = paid(evaluate(pack, staff_city("grid_leader", [(start, start + timedelta(days=held - 1))]), YEAR),
                    "grid_leader")
    assert [(o.period, o.amount) for o in outcomes] == [
        (f"{YEAR}-{month:02d}", Decimal(int(share + Fraction(1, 2))) / 100)
    ]


def test_half_fen_example(tongjiang_pack: Pack) -> None:
    """1270.05 for 1 of April's 30 days is 42.335: 42.34, not 42.33; 1270.35 gives 42.345:
    42.35 (half up), not 42.34 (half even)."""
    start = date(YEAR, 4, 1)
    for amount, share in (("1270.05", "42.34"), ("1270.35", "42.35")):
        pack = tongjiang_pack.with_overrides({"grid_leader_subsidy": amount})
        outcomes = paid(evaluate(pack, staff_city("grid_leader", [(start, start)]), YEAR), "grid_leader")
        assert [str(o.amount) for o in outcomes] == [share]
