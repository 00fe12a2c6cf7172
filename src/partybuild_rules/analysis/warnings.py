"""Early warnings (预警): the subjects about to trigger a rule, before it fires.

Warnings are made with the public evaluator only, for any pack, from the records dated on or
before ``as_of`` (nothing later is looked at):

1. **As of** — the dataset cut at ``as_of`` (events after it dropped, the recorded period ending
   there, later report-in dates, role starts, closures and not-yet-final ratings removed) is
   evaluated: what has fired already.
2. **Projection** — the same records with the recorded period stretched to the *horizon* (the end
   of the month ``within_days`` after ``as_of``) and nothing more happening, and with each
   partly scored subject's missing assessment parts filled with the mean of its scores so far.
   What fires here and has not fired as of ``as_of`` is about to fire: five absent months become
   six, a finding's deadline passes, this month ends without a report, this year's scores so far
   give a second 一般.
3. **Empty future** — only the stretch after ``as_of`` recorded, with nothing in it. A projected
   outcome of a period that has not begun by ``as_of`` and that the empty future gives too (every
   unit "misses" next month's report when next month has not happened) follows from no record
   and is no warning; five absent months before it do not fit in the empty future, so R2's
   sixth month still warns.

Only reprimands and compliance findings warn. A rule may later declare its own ``warn_at``
threshold in the pack; such warnings would join these with ``basis = "warn_at"``.
"""

from __future__ import annotations

import calendar
import typing
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..data.compact import as_models
from ..domain.arguments import expect
from ..domain.errors import DataError, Problem
from ..domain.model import Assessment, Dataset, JointMeeting
from ..domain.outcomes import Outcome, Result, RuleKind
from ..domain.periods import Period
from ..evaluation.evaluator import evaluate
from ..policy.pack import Pack
from .explain import explain, headline

__all__ = ["EarlyWarning", "WarningReport", "early_warnings", "as_of_dataset", "WITHIN_DAYS"]

WITHIN_DAYS = 30
"""How far ahead warnings look by default."""

_WARNING_KINDS = (RuleKind.REPRIMAND.value, RuleKind.COMPLIANCE.value)


class EarlyWarning(BaseModel):
    """A rule about to fire for a subject: the outcome it would give and why."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    rule_title: str
    kind: str
    subject_kind: str
    subject: str
    subject_name: str
    community: str
    period: str
    """The period the outcome would belong to."""
    message: str
    explanation: str
    basis: Literal["projection", "warn_at"] = "projection"
    outcome: Outcome


class WarningReport(BaseModel):
    """Every warning as of a day, with the horizon looked at."""

    model_config = ConfigDict(frozen=True)

    pack: str
    pack_version: str
    dataset: str
    as_of: date
    horizon: date
    warnings: tuple[EarlyWarning, ...]
    projected_assessments: int
    """How many missing assessment parts the projection filled with scores so far."""

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for warning in self.warnings:
            counts[warning.rule_id] += 1
        return dict(counts)


def early_warnings(pack: Pack, data: Dataset, as_of: date, *, within_days: int | None = None,
                   engine: str | None = None) -> WarningReport:
    """The warnings of ``data`` as of ``as_of``, looking ``within_days`` (default 30) ahead, on ``engine``
    (``durable`` or ``clips``; default as for :func:`evaluate`)."""
    expect(data, Dataset, "data", "a Dataset (from load_dataset)")
    expect(as_of, date, "as_of", "a date such as date(2024, 9, 30)")
    if within_days is not None:
        expect(within_days, int, "within_days", "a whole number of days")
    within = WITHIN_DAYS if within_days is None else within_days
    if within < 0:
        raise DataError([Problem(f"`--within {within}` must not be negative", None, "usage")])
    cut = as_of_dataset(as_models(data), as_of)  # cut from the models (compact events have no copies)
    year = as_of.year
    ahead = as_of + timedelta(days=within)
    horizon = date(ahead.year, ahead.month, calendar.monthrange(ahead.year, ahead.month)[1])
    if horizon.year > year:
        horizon = date(year, 12, 31)  # one evaluated year at a time
    stretched = _stretched(cut, horizon)
    filled, added = _fill_scores(stretched, as_of)
    now = evaluate(pack, cut, year, engine=engine)
    projected = evaluate(pack, filled, year, engine=engine)
    fired = {_key(o) for o in now.outcomes}
    unconditional: set[tuple[str, str, str]] = set()
    if as_of < horizon:
        empty_future = stretched.model_copy(update={
            "events": (), "covers": stretched.covers.model_copy(update={"start": as_of + timedelta(days=1)}),
        })
        unconditional = {_key(o) for o in evaluate(pack, empty_future, year, engine=engine).outcomes}
    warnings = []
    for outcome in projected.outcomes:
        if outcome.kind not in _WARNING_KINDS or _key(outcome) in fired:
            continue
        begun = _period_start(outcome.period) <= as_of
        if not begun and _key(outcome) in unconditional:
            continue
        warnings.append(_warning(projected, outcome))
    return WarningReport(
        pack=pack.name, pack_version=pack.version, dataset=data.name, as_of=as_of, horizon=horizon,
        warnings=tuple(warnings), projected_assessments=added,
    )


def _key(outcome: Any) -> tuple[str, str, str]:
    return (outcome.rule_id, outcome.subject, outcome.period)


def _period_start(text: str) -> date:
    try:
        return Period.parse(text).start
    except ValueError:
        return date.min  # not a calendar period: treat as begun


def _warning(result: Result, outcome: Any) -> EarlyWarning:
    only = result.model_copy(update={"outcomes": (outcome,)})
    return EarlyWarning(
        rule_id=outcome.rule_id, rule_title=outcome.provenance.rule_title, kind=outcome.kind,
        subject_kind=outcome.subject_kind.value, subject=outcome.subject, subject_name=outcome.subject_name,
        community=outcome.community, period=outcome.period, message=headline(outcome),
        explanation=explain(only, outcome.subject), outcome=outcome,
    )


def as_of_dataset(data: Dataset, as_of: date) -> Dataset:
    """``data`` as it was known on ``as_of``: only what is dated on or before it."""
    covers = data.covers
    if as_of < covers.start:
        raise DataError([Problem(f"as-of date {as_of} is before the recorded dates {covers.start}..{covers.end}",
                                 None, "as-of")])
    end = min(covers.end, as_of)
    members = tuple(
        m.model_copy(update={
            "reported_in": m.reported_in if m.reported_in is None or m.reported_in <= as_of else None,
            "roles": tuple(h for h in m.roles if h.start <= as_of),
        }) for m in data.members
    )
    final_year = as_of.year if as_of == date(as_of.year, 12, 31) else as_of.year - 1
    events = []
    for event in data.events:
        if event.date > as_of:
            continue
        if isinstance(event, JointMeeting):
            event = event.model_copy(update={"items": tuple(
                i.model_copy(update={"closed": None}) if i.closed is not None and i.closed > as_of else i
                for i in event.items)})
        events.append(event)
    return Dataset.model_validate({
        **{name: getattr(data, name) for name in Dataset.model_fields},
        "covers": {"start": covers.start, "end": end}, "members": members,
        "ratings": tuple(r for r in data.ratings if r.year <= final_year), "events": tuple(events),
    })


def _stretched(data: Dataset, end: date) -> Dataset:
    """``data`` with its recorded period ending on ``end`` (no record added)."""
    covers = data.covers.model_copy(update={"end": max(end, data.covers.end)})
    return data.model_copy(update={"covers": covers})


def _fill_scores(data: Dataset, as_of: date) -> tuple[Dataset, int]:
    """Each subject scored in part this year gets its missing parts at the mean of its scores
    so far, dated ``as_of``: "whose scores so far put it in 一般 again"."""
    parts = typing.get_args(Assessment.model_fields["part"].annotation)
    scores: dict[tuple[str, str], dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    for event in data.events:
        if isinstance(event, Assessment) and event.date.year == as_of.year:
            scores[(event.subject_kind.value, event.subject)][event.part].append(event.score)
    added: list[Assessment] = []
    for (kind, subject), by_part in scores.items():
        every = [s for values in by_part.values() for s in values]
        mean = (sum(every, Decimal(0)) / len(every)).quantize(Decimal("0.01"))
        for part in parts:
            if part not in by_part:
                added.append(Assessment.model_validate({
                    "id": f"projected:{kind}:{subject}:{part}", "date": as_of, "type": "assessment",
                    "subject_kind": kind, "subject": subject, "part": part, "score": mean,
                }))
    if not added:
        return data, 0
    return data.model_copy(update={"events": (*data.events, *added)}), len(added)
