"""The checks of what a pack declares about its rules: ``monotone: true`` (one more counted event
never gives a subject more outcomes) and ``exclusive`` pairs (no subject has outcomes of both)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ..domain.model import Activity, Dataset, MemberReportIn, SubjectKind
from ..domain.money import to_decimal
from ..domain.outcomes import Result
from ..domain.periods import Period, months_between
from ..evaluation.compile import resolve
from ..policy.documents import Condition, Rule
from ..policy.pack import Pack
from ._draw import _Draw, _strategy
from ._raw_datasets import add_event, counted_event, subject_ids
from ._results import Case, PropertyResult, Violation, _case_size, _failure, _finish, _key, _overrides, _sizes
from ._search import Budget, Engines, EvaluateFn, Progress, search
from ._steering import datasets_for_rules


# ---------------------------------------------------------------------------------------------
# monotonicity


Addition = dict[str, Any]
"""One more counted event: ``{"event": {...}}`` or ``{"join": event id, "member": member id}``."""


def _addition(d: _Draw, pack: Pack, data: Dataset, rule: Rule) -> Addition | None:
    """One more event that the rule's condition counts, for one of its subjects."""
    condition = rule.when
    assert condition is not None
    if condition.absence_streak is not None:
        return _participation(d, pack, data, condition)
    assert condition.count is not None
    raw = data.model_dump()
    kind = d.pick(rule.subjects)
    ids = subject_ids(raw, kind)
    if not ids:
        return None
    covers = (data.covers.start, data.covers.end)
    event = counted_event(raw, condition.count.events.model_dump(), kind, d.pick(ids), d.day(covers))
    return {"event": event} if event else None


def _participation(d: _Draw, pack: Pack, data: Dataset, condition: Condition) -> Addition | None:
    """A member takes part in a matching activity in a month of a run of absent months (in a
    month already attended it would change nothing): the member with the longest run and that
    run half the time; in the run anywhere, just after it reaches the threshold, or first."""
    streak = condition.absence_streak
    assert streak is not None
    wanted = streak.activity
    matching = [
        e for e in data.events
        if isinstance(e, Activity) and (wanted.kind is None or e.kind is wanted.kind)
        and (wanted.co_building is None or e.co_building == wanted.co_building)
    ]
    reported = {m.id: m.reported_in for m in data.members if m.reported_in}
    for report in (e for e in data.events if isinstance(e, MemberReportIn)):
        reported[report.member] = min(report.date, reported.get(report.member, report.date))
    runs: dict[str, list[list[Period]]] = {}
    for m in (m for m in data.members if m.in_service and m.id in reported):
        present = {(e.date.year, e.date.month) for e in matching if m.id in e.participants}
        mine: list[list[Period]] = [[]]
        for month in months_between(max(reported[m.id], data.covers.start), data.covers.end):
            if (month.year, month.index) in present:
                mine.append([])
            else:
                mine[-1].append(month)
        runs[m.id] = sorted((run for run in mine if run), key=len, reverse=True)
    members = sorted((m for m in runs if runs[m]), key=lambda m: len(runs[m][0]), reverse=True)
    if not members:
        return None
    member = members[0] if d.number(0, 1) else d.pick(members)
    run = runs[member][0] if d.number(0, 1) else d.pick(runs[member])
    threshold = int(to_decimal(resolve(pack, streak.reaches)))
    month = run[[d.number(0, len(run) - 1), min(threshold, len(run) - 1), 0][d.number(0, 2)]]
    open_ = [e.id for e in matching if month.start <= e.date <= month.end]
    if open_ and d.number(0, 1):
        return {"join": d.pick(open_), "member": member}
    day = d.day((max(month.start, data.covers.start), min(month.end, data.covers.end)))
    event = counted_event(data.model_dump(), {"type": "activity", **wanted.model_dump()}, SubjectKind.MEMBER,
                          member, day)
    return {"event": event} if event else None


def _added(data: Dataset, addition: Addition) -> Dataset:
    raw = data.model_dump()
    if "join" in addition:
        for event in raw["events"]:
            if event["id"] == addition["join"]:
                event["participants"] = [*event["participants"], addition["member"]]
    else:
        add_event(raw, dict(addition["event"]))
    return Dataset.model_validate(raw)


def _per_subject(result: Result, rule_id: str) -> Counter[tuple[str, str]]:
    return Counter((o.subject_kind.value, o.subject) for o in result.of_rule(rule_id))


def check_monotone(
    pack: Pack,
    rule_id: str,
    budget: Budget = Budget(),
    *,
    evaluate: EvaluateFn | None = None,
    progress: Progress | None = None,
) -> PropertyResult:
    """For a rule declaring ``monotone: true``: adding one more counted event (a participation
    in a matching activity for an absence streak; a matching event for a ``count``) never gives
    any subject more outcomes of the rule in the year."""
    started, year, name = time.monotonic(), budget.year_of(pack), f"monotonicity[{rule_id}]"
    rule = pack.rule(rule_id)
    condition = rule.when
    if condition is None or (condition.count is None and condition.absence_streak is None):
        what = f"`{condition.key}`" if condition is not None else "no condition"
        return PropertyResult("monotonicity", rule_id, False, 0, 0.0, Violation(
            "monotonicity", f"rule `{rule_id}` declares `monotone: true` but its condition ({what}) counts "
            "no events; monotonicity is defined for `count` and `absence_streak`", rule_id,
        ))
    # few members, so that the one the streak is steered at is often the one who takes part
    few = {"members": (1, 3)} if condition.absence_streak is not None else {}
    base = datasets_for_rules(pack, [rule_id], **_sizes(budget, year=year, **few))

    def build(d: _Draw) -> tuple[Dataset, dict[str, Any], Addition | None]:
        # steered at the pack's own thresholds; the overrides come last (measured: drawn first,
        # they halve how often a streak rule's counterexample turns up)
        data = d.draw(base)
        addition = _addition(d, pack, data, rule)
        return data, d.draw(_overrides(pack)), addition

    strategy = _strategy(build)
    with Engines(pack, evaluate) as engines:

        def probe(case: tuple[Dataset, dict[str, Any], Addition | None]) -> Violation | None:
            data, overrides, addition = case
            if addition is None:
                return None
            try:
                more = _added(data, addition)
            except ValueError:  # the addition no longer fits a reduced dataset
                return None
            try:
                before = _per_subject(engines.result(overrides, data, year), rule_id)
                after = engines.result(overrides, more, year)
            except Exception as error:
                return _failure("monotonicity", error, rule_id)
            grown = [s for s, n in _per_subject(after, rule_id).items() if n > before[s]]
            if not grown:
                return None
            kind, subject = grown[0]
            return Violation(
                "monotonicity",
                f"one more counted event gives `{subject}` {_per_subject(after, rule_id)[grown[0]]} outcome(s) "
                f"of `{rule_id}` instead of {before[grown[0]]}",
                rule_id,
                details={"added": _describe(addition), "outcomes after": [
                    _key(o) for o in after.of_rule(rule_id) if o.subject == subject]},
            )

        found = search(strategy, probe, budget, name=name, progress=progress, size=_case_size)
        return _finish("monotonicity", rule_id, started, found, budget, year, probe)


def _describe(addition: Addition) -> dict[str, Any]:
    if "join" in addition:
        return {"member": addition["member"], "joins activity": addition["join"]}
    event = addition["event"]
    return {k: (str(v) if isinstance(v, (date, Decimal)) else v) for k, v in event.items()}


# ---------------------------------------------------------------------------------------------
# exclusivity


def _side(pack: Pack, name: str) -> list[Rule]:
    return [rule for rule in pack.rules if rule.id == name or rule.kind.value == name]


def check_exclusive(
    pack: Pack,
    pair: tuple[str, str],
    budget: Budget = Budget(),
    *,
    evaluate: EvaluateFn | None = None,
    progress: Progress | None = None,
) -> PropertyResult:
    """For a pair of rule kinds or rule ids the pack declares ``exclusive``: no subject has
    outcomes of both sides in one year."""
    started, year = time.monotonic(), budget.year_of(pack)
    subject = f"{pair[0]} × {pair[1]}"
    left, right = _side(pack, pair[0]), _side(pack, pair[1])
    if not left or not right:
        return PropertyResult("exclusivity", subject, True, 0, 0.0, note="a side has no rule")
    steered = [datasets_for_rules(pack, [a.id, b.id], **_sizes(budget, year=year)) for a in left for b in right]
    strategy = st.tuples(st.one_of(steered), _overrides(pack))

    def matches(outcome: Any, side: str) -> bool:
        return bool(outcome.rule_id == side or outcome.kind == side)

    with Engines(pack, evaluate) as engines:

        def probe(case: Case) -> Violation | None:
            data, overrides = case
            try:
                result = engines.result(overrides, data, year)
            except Exception as error:
                return _failure("exclusivity", error)
            by_subject: dict[tuple[str, str], list[Any]] = defaultdict(list)
            for outcome in result.outcomes:
                by_subject[(outcome.subject_kind.value, outcome.subject)].append(outcome)
            for (kind, who), outcomes in by_subject.items():
                for a in (o for o in outcomes if matches(o, pair[0])):
                    for b in (o for o in outcomes if matches(o, pair[1]) and o is not a):
                        return Violation(
                            "exclusivity", f"{kind} `{who}` has both `{a.rule_id}` ({a.kind}) and "
                            f"`{b.rule_id}` ({b.kind}) in {year}, which the pack declares exclusive",
                            details={"outcomes": [_key(a), _key(b)]},
                        )
            return None

        found = search(strategy, probe, budget, name=f"exclusivity[{subject}]", progress=progress, size=_case_size)
        return _finish("exclusivity", subject, started, found, budget, year, probe)
