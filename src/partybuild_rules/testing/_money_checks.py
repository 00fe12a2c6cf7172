"""The money check: every allowance non-negative, exact to the fen and equal to its rule, worked
out here independently of the evaluation (formulas and tier amounts at the parameter values,
pro-rated by days, rates that change on dates taken one day at a time), searched over datasets
and over parameter values, the corners of their declared ranges first."""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping, Sequence

from hypothesis import strategies as st

from ..domain.model import Dataset
from ..domain.money import to_decimal
from ..domain.outcomes import Allowance, Evaluation, Result
from ..domain.periods import Granularity, Period
from ..evaluation.compile import parameters_of, resolve
from ..policy.dated import value_on
from ..policy.declarations import typed_value
from ..policy.documents import Rule
from ..policy.expr import attributes as formula_attributes
from ..policy.expr import evaluate as evaluate_formula
from ..policy.expr import names as formula_names
from ..policy.expr import parse_expr
from ..policy.pack import Pack
from ._results import FEN, Case, PropertyResult, Violation, _case_size, _failure, _finish, _overrides, _sizes
from ._search import Budget, Engines, EvaluateFn, Found, Progress, search
from ._steering import datasets_for_rules, tier_names


def full_amounts(pack: Pack, rule: Rule, attrs: Mapping[str, Any] | None = None) -> dict[str, Decimal]:
    """The rule's monthly (or yearly) amount at the pack's parameter values (and, for a formula
    over a subject's attributes, ``attrs``): ``{"": amount}`` for a formula, one per tier for
    ``amount_by_tier``; raises if a formula cannot be computed."""
    if rule.amount is not None:
        numbers = {k: to_decimal(v) for k, v in pack.values.items() if isinstance(v, (int, Decimal))}
        return {"": evaluate_formula(parse_expr(rule.amount), numbers, attrs, _Tables(pack))}
    return {tier: to_decimal(resolve(pack, value)) for tier, value in (rule.amount_by_tier or {}).items()}


class _Tables:
    """``band`` and ``lookup`` read straight from the rows written in the pack."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def band(self, table: str, value: Decimal) -> Decimal:
        spec = self.pack.parameters[table]
        for row in spec.bands or ():
            low = row.min if row.min is not None else row.above
            high = row.max if row.max is not None else row.below
            if low is not None and (value < to_decimal(low) or (value == to_decimal(low) and row.above is not None)):
                continue
            if high is not None and (value > to_decimal(high) or (value == to_decimal(high) and row.below is not None)):
                continue
            return to_decimal(row.value)
        raise KeyError(f"no band of `{table}` holds {value}")

    def lookup(self, table: str, key: str) -> Decimal:
        return to_decimal((self.pack.parameters[table].entries or {})[key])


_UNITS = {"fen": Decimal("0.01"), "jiao": Decimal("0.1"), "yuan": Decimal("1")}


def _rounded(amount: Decimal, rule: Rule) -> Decimal:
    """Half up to the rule's declared unit, shown to the fen."""
    return amount.quantize(_UNITS[rule.rounding], rounding=ROUND_HALF_UP).quantize(FEN)


def _subject_attributes(pack: Pack, data: Dataset, outcome: Any) -> dict[str, Any]:
    """The outcome's subject's attributes, typed as the pack declares them, and its core fields."""
    records: tuple[Any, ...] = {"member": data.members, "unit": data.units,
                                "community": data.communities}[outcome.subject_kind.value]
    record = next(r for r in records if r.id == outcome.subject)
    specs = pack.attributes.get(outcome.subject_kind, {})
    typed = {name: typed_value(specs[name], value) for name, value in record.attributes.items() if name in specs}
    return {k: v for k, v in typed.items() if v is not None}


def _ratings(data: Dataset, result: Result, year: int) -> dict[tuple[str, str], str]:
    """Each unit's and community's rating of ``year``: given in the data, else computed."""
    ratings = {(o.subject_kind.value, o.subject): o.tier for o in result.outcomes
               if isinstance(o, Evaluation) and o.rating}
    ratings.update({(r.subject_kind.value, r.subject): r.tier for r in data.ratings if r.year == year})
    return ratings


def _money_problems(pack: Pack, data: Dataset, result: Result, year: int) -> list[tuple[str, str]]:
    """Every way the allowances of ``result`` break the money invariants: ``(rule id, message)``."""
    problems: list[tuple[str, str]] = []
    ratings = _ratings(data, result, year)
    members = {m.id: m for m in data.members}
    months: dict[tuple[str, str, str], list[Allowance]] = defaultdict(list)
    for o in (o for o in result.outcomes if isinstance(o, Allowance)):
        rule = pack.rule(o.rule_id)
        what = f"`{o.rule_id}` for `{o.subject}` in {o.period}"
        if o.amount < 0 or o.full_amount < 0:
            problems.append((o.rule_id, f"{what} pays a negative amount: {o.amount} (of {o.full_amount})"))
        if o.amount.as_tuple().exponent != -2 or o.full_amount.as_tuple().exponent != -2:
            problems.append((o.rule_id, f"{what} is not exact to the fen: {o.amount}"))
        if rule.amount is not None:
            try:
                full = full_amounts(pack, rule, _subject_attributes(pack, data, o))[""]
            except KeyError as error:
                problems.append((o.rule_id, f"{what} is charged although its formula needs {error}"))
                continue
        else:
            facts = o.provenance.facts[0] if o.provenance.facts else {}
            rated = ("community", facts["role_community"]) if o.role else (o.subject_kind.value, o.subject)
            tier = ratings.get(rated, "")
            full = full_amounts(pack, rule).get(tier, Decimal("NaN"))
            if full.is_nan():
                problems.append((o.rule_id, f"{what} is paid although `{rated[1]}` has no rating with an amount"))
                continue
        period = Period.parse(o.period)
        if any(name in pack.dated for name in parameters_of(pack, rule)):
            problems += _dated_money_problems(pack, rule, o, what, period, members, ratings)
            continue
        if o.full_amount != _rounded(full, rule):
            problems.append((o.rule_id, f"{what} has full amount {o.full_amount}, the rule says {_rounded(full, rule)}"))
        if rule.prorate == "by_days" and (o.days_in_period != period.days or not 0 < o.days_held <= o.days_in_period):
            problems.append((o.rule_id, f"{what} counts {o.days_held} of {o.days_in_period} days in a period "
                                         f"of {period.days}"))
        expected = _rounded(full * o.days_held / o.days_in_period if rule.prorate == "by_days" else full, rule)
        if o.amount != expected:
            problems.append((o.rule_id, f"{what} pays {o.amount}; {o.days_held}/{o.days_in_period} of "
                                         f"{_rounded(full, rule)} rounded half up is {expected}"))
        if o.full_amount >= 0 and o.amount > o.full_amount:
            problems.append((o.rule_id, f"{what} pays {o.amount}, more than the whole {o.full_amount}"))
        if o.role is not None:
            held = {_overlap(h.start, h.end, period) for h in members[o.subject].roles if h.role.value == o.role}
            if o.days_held not in held:
                problems.append((o.rule_id, f"{what} counts {o.days_held} days held; the role was held "
                                             f"{sorted(held)}"))
        if period.granularity is Granularity.MONTH and o.days_held == o.days_in_period:
            months[(o.rule_id, o.subject, o.role or "")].append(o)
    for (rule_id, subject, _), full_months in months.items():
        if len({o.period for o in full_months}) == 12 and len(full_months) == 12:
            total = sum((o.amount for o in full_months), Decimal(0))
            if total != 12 * full_months[0].full_amount or len({o.full_amount for o in full_months}) > 1:
                problems.append((rule_id, f"twelve full months of `{rule_id}` for `{subject}` sum to {total}, "
                                          f"not 12 × {full_months[0].full_amount}"))
    return problems


def _dated_money_problems(
    pack: Pack, rule: Rule, o: Allowance, what: str, period: Period, members: dict[str, Any],
    ratings: dict[tuple[str, str], str],
) -> list[tuple[str, str]]:
    """The money of a rule whose rate changes on dates, worked out one day at a time: the whole
    period's amount and the amount for the days held, each Σ day's rate / days, rounded once."""
    facts = o.provenance.facts[0] if o.provenance.facts else {}
    rated = ("community", facts.get("role_community", "")) if o.role else (o.subject_kind.value, o.subject)
    tier = ratings.get(rated, "")

    def rate(day: date) -> Decimal:
        dated = replace(pack, values={k: value_on(pack, k, day) for k in pack.values}, dated={})
        return full_amounts(dated, rule).get("" if rule.amount is not None else tier, Decimal(0))

    days = [period.start + timedelta(days=n) for n in range(period.days)]
    held = days
    if rule.prorate == "by_days" and o.role is not None:
        holdings = [h for h in members[o.subject].roles if h.role.value == o.role
                    and h.community == facts.get("role_community")]
        held = [d for d in days if any(h.start <= d <= (h.end or date.max) for h in holdings)]
    unit = {"fen": Decimal("0.01"), "jiao": Decimal("0.1"), "yuan": Decimal("1")}[rule.rounding]

    def once(total: Decimal) -> Decimal:
        return (total / period.days).quantize(unit, rounding=ROUND_HALF_UP).quantize(FEN)

    full = once(sum((rate(d) for d in days), Decimal(0)))
    paid = once(sum((rate(d) for d in held), Decimal(0)))
    problems = []
    if o.full_amount != full:
        problems.append((o.rule_id, f"{what} has full amount {o.full_amount}; day by day it is {full}"))
    if o.amount != paid:
        problems.append((o.rule_id, f"{what} pays {o.amount}; day by day over {len(held)} days it is {paid}"))
    return problems


def _overlap(start: date, end: date | None, period: Period) -> int:
    first, last = max(start, period.start), min(end or date.max, period.end)
    return max(0, (last - first).days + 1)


def _full_year(pack: Pack, year: int) -> Dataset:
    """A dataset in which every role is held all year long by one member, in a community rated
    (given) in the first tier, with one unit of every kind rated the same: twelve full months of
    every monthly allowance."""
    tier = tier_names(pack)[0]
    kinds = ("party_government", "public_institution", "enterprise", "new_economic_social", "other")
    return Dataset.model_validate({
        "name": "full year", "covers": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "communities": [{"id": "C1", "name": "东江社区"}],
        "units": [{"id": f"U{n + 1}", "name": f"单位{n + 1}", "community": "C1", "kind": k} for n, k in enumerate(kinds)],
        "members": [{"id": "M1", "name": "王丽", "residence_community": "C1", "in_service": False, "roles": [
            {"role": role, "community": "C1", "start": f"{year - 1}-01-01"}
            for role in ("grid_leader", "committee_member", "community_worker", "party_secretary")
        ]}],
        "ratings": [{"subject_kind": "community", "subject": "C1", "year": year, "tier": tier}] + [
            {"subject_kind": "unit", "subject": f"U{n + 1}", "year": year, "tier": tier} for n in range(len(kinds))
        ],
    })


def check_money(
    pack: Pack, budget: Budget = Budget(), *, evaluate: EvaluateFn | None = None, progress: Progress | None = None
) -> PropertyResult:
    """Every allowance is non-negative, exact to the fen and equal to its rule: amount = full
    amount × days held / days in the period, rounded half up, where the full amount is the
    rule's formula or tier amount at the parameter values; twelve full months sum to twelve
    times the monthly amount; no pro-rated part exceeds the whole. Searched over datasets and
    parameter values within their constraints."""
    started, year = time.monotonic(), budget.year_of(pack)
    rules = [rule for rule in pack.rules if rule.kind.is_money]
    if not rules:
        return PropertyResult("money", None, True, 0, 0.0, note="no money rule")
    steered = [datasets_for_rules(pack, [rule.id], **_sizes(budget, year=year)) for rule in rules]
    strategy = st.tuples(st.one_of([st.just(_full_year(pack, year)), *steered]), _overrides(pack))
    with Engines(pack, evaluate) as engines:

        def probe(case: Case) -> Violation | None:
            data, overrides = case
            try:
                priced = engines.pack(overrides)
                for rule in rules:
                    if not _reads_attributes(rule):
                        full_amounts(priced, rule)
                result = engines.result(overrides, data, year)
                problems = _money_problems(priced, data, result, year)
            except Exception as error:
                return _failure("money", error)
            if not problems:
                return None
            first_of_each_rule = {rule_id: message for rule_id, message in reversed(problems)}
            return Violation("money", problems[0][1], problems[0][0], details={
                "problems": list(first_of_each_rule.values())[::-1][:5], "outcomes at fault": len(problems)})

        # Formulas are checked at the corners of their parameters' declared ranges first: a
        # difference of two parameters goes negative there, whatever the search happens to draw.
        corner = _negative_corner(pack, rules)
        if corner is not None:
            case = (_full_year(pack, year), corner)
            violation = probe(case)
            if violation is not None:
                return _finish("money", None, started, Found(case, violation, 1, False), budget, year, probe)
        found = search(strategy, probe, budget, name="money", progress=progress, size=_case_size)
        return _finish("money", None, started, found, budget, year, probe)


def _reads_attributes(rule: Rule) -> bool:
    """A formula over the subject's attributes (its amount differs from subject to subject)."""
    return rule.amount is not None and bool(formula_attributes(parse_expr(rule.amount)))


def _negative_corner(pack: Pack, rules: Sequence[Rule]) -> dict[str, str] | None:
    """Overrides at the ends of the declared ranges under which some formula is negative."""
    for rule in rules:
        if rule.amount is None or _reads_attributes(rule):
            continue
        names = sorted({name.name for name in formula_names(parse_expr(rule.amount))})
        ends = []
        for name in names:
            spec = pack.parameters[name]
            ends.append([str(v) for v in (spec.min, spec.max) if v is not None] or [str(pack.values[name])])
        if len(names) > 8:
            continue  # 2^8 corners at most
        for values in itertools.product(*ends):
            numbers = {k: to_decimal(v) for k, v in pack.values.items() if isinstance(v, (int, Decimal))}
            numbers.update({name: to_decimal(value) for name, value in zip(names, values)})
            try:
                if evaluate_formula(parse_expr(rule.amount), numbers) < 0:
                    return dict(zip(names, values))
            except ZeroDivisionError:
                continue
    return None
