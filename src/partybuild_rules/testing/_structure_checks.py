"""The checks of a pack's structure: tier tables and band tables that cover every value exactly
once (static checks, reading the pack only), and rules that some dataset makes fire."""

from __future__ import annotations

import time
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from hypothesis import strategies as st

from ..domain.model import Dataset, SubjectKind
from ..domain.money import to_decimal
from ..evaluation.compile import resolve
from ..policy.documents import Rule
from ..policy.pack import BandTable, Pack
from ._raw_datasets import add_event, counted_event, dataset_dict
from ._results import FEN, Case, PropertyResult, Violation, _key, _overrides, _sizes
from ._search import Budget, Engines, EvaluateFn, Progress, search
from ._steering import datasets_for_rules


# ---------------------------------------------------------------------------------------------
# tier tables (static)


def _half_up(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _bounds(pack: Pack, rule: Rule) -> list[tuple[str, int, int]]:
    """Each tier as ``(name, low, high)`` in hundredths of a point, both inclusive."""
    result = []
    for tier in rule.tiers or ():
        low = int(to_decimal(resolve(pack, tier.min)) * 100) if tier.min is not None else -10**9
        if tier.below is not None:
            high = int((to_decimal(resolve(pack, tier.below)) * 100).to_integral_value(rounding="ROUND_CEILING")) - 1
        elif tier.max is not None:
            high = int(to_decimal(resolve(pack, tier.max)) * 100)
        else:
            high = 10**9  # open above (a points total)
        result.append((tier.tier, low, high))
    return result


def _runs(points: Sequence[tuple[int, tuple[str, ...]]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Maximal runs of consecutive points with the same tiers."""
    runs: list[tuple[int, int, tuple[str, ...]]] = []
    for point, names in points:
        if runs and runs[-1][1] == point - 1 and runs[-1][2] == names:
            runs[-1] = (runs[-1][0], point, names)
        else:
            runs.append((point, point, names))
    return runs


def _score_witness(pack: Pack, rule: Rule, score: int, year: int) -> Dataset | None:
    """A dataset in which one subject of the rule scores ``score`` hundredths in ``year``: every
    score item's mean is the same value, when the weights let a value in [0, 100] give the score."""
    kind = rule.subjects[0]
    weights = sum((to_decimal(resolve(pack, item.weight)) for item in rule.score or ()), Decimal(0))
    if kind is SubjectKind.MEMBER or weights <= 0:
        return None
    value = _half_up(Decimal(score) / 100 / weights)
    if not 0 <= value <= 100 or _half_up(value * weights) != Decimal(score) / 100:
        return None
    raw: dict[str, Any] = {
        "name": "tier witness", "covers": {"start": date(year, 1, 1), "end": date(year, 12, 31)},
        "communities": [{"id": "C1", "name": "东江社区"}], "grids": [], "members": [], "inspection_groups": [],
        "ratings": [], "events": [],
        "units": [{"id": "U1", "name": "同江市财政局", "community": "C1"}] if kind is SubjectKind.UNIT else [],
    }
    subject = "U1" if kind is SubjectKind.UNIT else "C1"
    for item in rule.score or ():
        if item.events is None:
            continue
        field_ = item.field if isinstance(item.field, str) else (item.field or {}).get(kind, "")
        event = counted_event(raw, item.events.model_dump(), kind, subject, date(year, 12, 15), value=value,
                              field=field_)
        if event is None:
            return None
        add_event(raw, event)
    return Dataset.model_validate(raw)


def check_tier_table(
    pack: Pack, rule_id: str, year: int | None = None, *, evaluate: EvaluateFn | None = None
) -> PropertyResult:
    """A rule's tiers, at the pack's parameter values, cover every score from 0.00 to 100.00
    (in steps of 0.01) exactly once: no gap, no overlap. A static check; the counterexample is a
    subject scoring the first bad score (when the weights make that score reachable), evaluated
    to show the tiers it gets."""
    started = time.monotonic()
    year = year if year is not None else pack.effective_from.year
    rule = pack.rule(rule_id)
    tiers = _bounds(pack, rule)
    finite = [b for _, low, high in tiers for b in (low, high) if abs(b) < 10**9]
    first, last = min([0, *finite]), max([10000, *finite])
    points = [(p, tuple(name for name, low, high in tiers if low <= p <= high)) for p in range(first, last + 1)]
    bad = [run for run in _runs(points) if len(run[2]) != 1]
    if not bad:
        return PropertyResult("tiers", rule_id, True, 1, time.monotonic() - started)
    messages = []
    for low, high, names in bad:
        scores = f"{Decimal(low) / 100:.2f}" + (f"–{Decimal(high) / 100:.2f}" if high > low else "")
        if names:
            messages.append(f"scores {scores} fall in {len(names)} tiers: " + ", ".join(f"`{n}`" for n in names))
        else:
            messages.append(f"scores {scores} fall in no tier")
    witness = _score_witness(pack, rule, bad[0][0], year)
    details: dict[str, Any] = {"problems": messages}
    if witness is not None:
        with Engines(pack, evaluate) as engines:
            try:
                details["tiers the witness gets"] = [o.tier for o in engines.result({}, witness, year).of_rule(rule_id)]
            except Exception as error:  # the static finding stands without the demonstration
                details["evaluation"] = f"{type(error).__name__}: {error}"
    violation = Violation(
        "tiers", f"`{rule_id}`: " + "; ".join(messages), rule_id,
        dataset_dict(witness) if witness is not None else None, {}, year, details,
    )
    return PropertyResult("tiers", rule_id, False, 1, time.monotonic() - started, violation)


# ---------------------------------------------------------------------------------------------
# band tables (static)


def check_tables(pack: Pack) -> PropertyResult:
    """Every band table gives exactly one band, hence one value, for every number near its
    bounds (each bound, a fen below and above it) and far beyond them; values rise (or fall)
    from band to band where the table declares ``monotone``. A static check of the table as the
    evaluation reads it."""
    started = time.monotonic()
    messages: list[str] = []
    tables = [(name, value) for name, value in pack.values.items() if isinstance(value, BandTable)]
    for name, table in tables:
        bounds = sorted({b for row in table.rows for b in (row.low, row.high) if b is not None})
        probes = sorted({p for b in bounds for p in (b - FEN, b, b + FEN)} | {Decimal(-10**9), Decimal(10**9)})
        values = []
        for x in probes:
            holding = [row for row in table.rows if row.contains(x)]
            if len(holding) != 1:
                messages.append(f"table `{name}`: {x} falls in {len(holding)} bands")
            else:
                values.append(holding[0].value)
        monotone = pack.parameters[name].monotone
        if monotone == "increasing" and values != sorted(values):
            messages.append(f"table `{name}` is declared increasing, its values are not")
        if monotone == "decreasing" and values != sorted(values, reverse=True):
            messages.append(f"table `{name}` is declared decreasing, its values are not")
    seconds = time.monotonic() - started
    if not tables:
        return PropertyResult("tables", None, True, 0, seconds, note="no band table")
    if not messages:
        return PropertyResult("tables", None, True, len(tables), seconds)
    return PropertyResult("tables", None, False, len(tables), seconds, Violation(
        "tables", "; ".join(messages), None, None, {}, budget_year(pack), {"problems": messages}))


def budget_year(pack: Pack) -> int:
    return pack.effective_from.year


# ---------------------------------------------------------------------------------------------
# reachability


def check_reachable(
    pack: Pack,
    rule_id: str,
    budget: Budget = Budget(),
    *,
    evaluate: EvaluateFn | None = None,
    progress: Progress | None = None,
) -> PropertyResult:
    """The rule fires for some dataset: a search with datasets steered towards the rule (see
    :func:`~partybuild_rules.testing.datasets_for_rules`) and parameter values within their
    constraints. A rule no example makes fire is reported as dead."""
    started, year, name = time.monotonic(), budget.year_of(pack), f"reachability[{rule_id}]"
    strategy = st.tuples(datasets_for_rules(pack, [rule_id], **_sizes(budget, year=year)), _overrides(pack))
    with Engines(pack, evaluate) as engines:

        def probe(case: Case) -> str | None:
            data, overrides = case
            try:
                fired = engines.result(overrides, data, year).of_rule(rule_id)
            except Exception:  # an evaluation that fails makes no rule fire; other checks report it
                return None
            return _key(fired[0]) if fired else None

        found = search(strategy, probe, budget, name=name, progress=progress, shrink=False)
    seconds = time.monotonic() - started
    if found.witness is not None:
        assert found.value is not None
        with_values = ", ".join(f"{k}={v}" for k, v in found.value[1].items())
        note = f"fired in example {found.examples}" + (f" with {with_values}" if with_values else "")
        return PropertyResult("reachability", rule_id, True, found.examples, seconds, note=note)
    note = "stopped at the time limit" if found.timed_out else ""
    return PropertyResult("reachability", rule_id, False, found.examples, seconds, Violation(
        "reachability", f"`{rule_id}` fired in none of {found.examples} datasets steered towards it, with "
        "parameter values across their ranges: it may be dead", rule_id, year=year,
    ), note)
