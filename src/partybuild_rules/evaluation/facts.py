"""Deriving compact facts from a dataset: counts per period, streaks, ratings, findings, role-months.

Aggregates are computed here in plain Python (durable-rules has none); the engine then matches the
facts against the compiled rules. Everything here is a pure function of the dataset, the year and
the query, so facts can be derived per community partition and evaluated independently. The
leaves of composed conditions are measured by :mod:`.measurer`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Callable, Iterable, Iterator, Mapping, cast

from ..domain.model import Inspection, SubjectKind
from ..domain.money import quantize
from ..domain.periods import Granularity, Period
from .index import Fact, Index, Subject
from .measurer import Measurer

__all__ = [
    "count_facts", "current_ratings", "each_facts", "finding_facts", "general_streak_facts", "rating_facts",
    "role_month_facts", "score_facts", "streak_facts", "tree_facts",
]


# ---------------------------------------------------------------------------------------------
# fact builders, one per condition kind; each yields (subject, fields) pairs


_NO_EVENTS: Mapping[int, int] = MappingProxyType({})


def count_facts(
    index: Index, kind: SubjectKind, filter_: Mapping[str, Any], per: Granularity
) -> Iterator[tuple[Subject, Fact]]:
    by_subject = index.monthly_counts(kind, filter_)
    periods = [(p, str(p)) for p in index.known_periods(per)]
    months = per.months
    first, last = index.year * 12, index.year * 12 + 11
    for subject in index.subjects[kind]:
        counts: dict[int, int] = defaultdict(int)
        for month, count in by_subject.get(subject.id, _NO_EVENTS).items():
            if first <= month <= last:
                counts[(month - first) // months + 1] += count
        for period, label in periods:
            yield subject, {"period": label, "count": counts.get(period.index, 0)}


def streak_facts(
    index: Index, filter_: Mapping[str, Any], threshold: int
) -> Iterator[tuple[Subject, Fact]]:
    """Maximal runs of months without participation, for runs that matter to the year.

    Months count from the later of the member's report-in month and the first covered month, up
    to December of the year (or the last covered month). A run yields a fact when it reaches the
    threshold (with the month it did so) and, for explanations, the longest shorter run too.
    """
    covers = index.data.covers
    first_covered = Period.containing(covers.start, Granularity.MONTH)
    last_covered = Period.containing(covers.end, Granularity.MONTH)
    if last_covered.end != covers.end:
        last_covered = _add_months(last_covered, -1)  # a part-recorded last month is unknown
    last = _ordinal(min(Period(index.year, Granularity.MONTH, 12), last_covered))
    first = _ordinal(first_covered)
    year = index.year
    months_present = index.monthly_counts(SubjectKind.MEMBER, filter_)
    labels: dict[int, str] = {}

    def label(month: int) -> str:  # months as year*12+month-1, written YYYY-MM
        text = labels.get(month)
        if text is None:
            text = labels[month] = f"{month // 12}-{month % 12 + 1:02d}"
        return text

    def streak(run_start: int, length: int, reached: int | None) -> Fact:
        return {
            "start": label(run_start),
            "end": label(run_start + length - 1),
            "length": length,
            "reached": label(reached) if reached is not None else "",
            "in_year": int(reached is not None and reached // 12 == year),
        }

    for subject in index.subjects[SubjectKind.MEMBER]:
        reported = index.report_in.get(subject.id)
        if reported is None:
            continue
        start = max(reported.year * 12 + reported.month - 1, first)
        if start > last:
            continue
        present = months_present.get(subject.id, _NO_EVENTS)
        best: tuple[int, int] | None = None
        for run_start, length in _absent_runs(start, last, present):
            if length >= threshold:
                yield subject, streak(run_start, length, run_start + threshold - 1)
            elif (run_start + length - 1) // 12 == year and (best is None or length > best[1]):
                best = (run_start, length)
        if best is not None:
            yield subject, streak(best[0], best[1], None)


def _absent_runs(first: int, last: int, present: Mapping[int, int]) -> list[tuple[int, int]]:
    """Maximal runs ``(first month, length)`` of months in ``first..last`` not in ``present``
    (months as year*12+month-1)."""
    runs: list[tuple[int, int]] = []
    run_start: int | None = None
    for month in range(first, last + 1):
        if month in present:
            if run_start is not None:
                runs.append((run_start, month - run_start))
            run_start = None
        elif run_start is None:
            run_start = month
    if run_start is not None:
        runs.append((run_start, last + 1 - run_start))
    return runs


def _ordinal(month: Period) -> int:
    return month.year * 12 + month.index - 1


def _add_months(period: Period, months: int) -> Period:
    total = period.year * 12 + period.index - 1 + months
    return Period(total // 12, Granularity.MONTH, total % 12 + 1)


def finding_facts(index: Index, kind: SubjectKind) -> Iterator[tuple[Subject, Fact]]:
    """Each inspection finding of a subject whose deadline falls in the year.

    Overdue means no rectification dated on or before the deadline; a deadline after the recorded
    dates is unknown, never overdue.
    """
    covers_end = index.data.covers.end
    for record in index.data.events:
        if record.type != "inspection":  # by type: compact events are not the models (data/compact.py)
            continue
        event = cast(Inspection, record)
        if event.subject_kind is not kind:
            continue
        for finding in event.findings:
            if finding.deadline.year != index.year:
                continue
            done = [d for d in index.rectifications.get(finding.id, ()) if d <= finding.deadline]
            overdue = not done and finding.deadline <= covers_end
            yield index.subject(kind, event.subject), {
                "finding": finding.id,
                "description": finding.description,
                "inspection": event.id,
                "deadline": finding.deadline.isoformat(),
                "rectified": min(done).isoformat() if done else "",
                "overdue": int(overdue),
                "in_year": 1,
            }


def role_month_facts(
    index: Index, role: str, ratings: Mapping[tuple[SubjectKind, str], str]
) -> Iterator[tuple[Subject, Fact]]:
    """One fact per month of the year (inside the recorded dates) in which a member held ``role``
    in a community: the days held are the union of the member's holdings there, so a role held
    in two spans of one month is paid once, rounded once (never more days than the month has)."""
    months = [(str(m), m.start, m.end, m.days) for m in index.known_periods(Granularity.MONTH)]
    for member in index.data.members:
        spans: dict[str, list[tuple[date, date]]] = defaultdict(list)
        for holding in member.roles:
            if holding.role.value == role:
                spans[holding.community].append((holding.start, holding.end or date.max))
        if not spans:
            continue
        subject = index.subject(SubjectKind.MEMBER, member.id)
        for community, held in spans.items():
            first_held = min(start for start, _ in held)
            last_held = max(end for _, end in held)
            tier = ratings.get((SubjectKind.COMMUNITY, community), "")
            for label, start, end, in_month in months:
                if start > last_held or end < first_held:
                    continue
                days = _union_days(held, start, end)
                if not days:
                    continue
                yield subject, {
                    "period": label,
                    "role": role,
                    "role_community": community,
                    "days_held": days,
                    "days_in_period": in_month,
                    "held_from": max(start, first_held).isoformat(),
                    "held_until": min(end, last_held).isoformat(),
                    "tier": tier,
                }


def _union_days(spans: list[tuple[date, date]], first: date, last: date) -> int:
    """How many days of ``first..last`` lie in at least one of the inclusive ``spans``."""
    clipped = sorted((max(start, first), min(end, last)) for start, end in spans)
    days, reached = 0, first - timedelta(days=1)
    for start, end in clipped:
        start = max(start, reached + timedelta(days=1))
        if start <= end:
            days += (end - start).days + 1
            reached = end
    return days


def each_facts(
    index: Index, kind: SubjectKind, per: Granularity, ratings: Mapping[tuple[SubjectKind, str], str]
) -> Iterator[tuple[Subject, Fact]]:
    """One fact per subject per period of the year inside the recorded dates."""
    periods = index.known_periods(per)
    for subject in index.subjects[kind]:
        for period in periods:
            yield subject, {
                "period": str(period),
                "days_held": period.days,
                "days_in_period": period.days,
                "tier": ratings.get((kind, subject.id), ""),
            }


def rating_facts(
    index: Index, kind: SubjectKind, offsets: Iterable[int], computed: Mapping[tuple[SubjectKind, str], str],
    per: Granularity | None = None,
) -> Iterator[tuple[Subject, Fact]]:
    """The subject's rating in each year ``year + offset``: a rating given in the data wins over
    one computed by the pack's rating rule for the evaluated year. A rule paid ``per`` period
    (rating-linked funds) gets facts only when the year's periods are recorded, as other money."""
    if per is not None and len(index.known_periods(per)) < 12 // per.months:
        return
    given: dict[tuple[SubjectKind, str, int], str] = {
        (r.subject_kind, r.subject, r.year): r.tier for r in index.data.ratings
    }
    for subject in index.subjects[kind]:
        for offset in sorted(set(offsets)):
            year = index.year + offset
            tier = given.get((kind, subject.id, year))
            source = "given"
            if tier is None and offset == 0:
                tier, source = computed.get((kind, subject.id)), "computed"
            if tier is not None:
                fact: Fact = {"year": year, "rel": offset, "tier": tier, "rating_source": source}
                if per is not None:  # a rating-linked amount for the whole year
                    days = Period(index.year, Granularity.YEAR, 1).days
                    fact.update(days_held=days, days_in_period=days)
                yield subject, fact


def current_ratings(
    index: Index, computed: Mapping[tuple[SubjectKind, str], str]
) -> dict[tuple[SubjectKind, str], str]:
    """The evaluated year's rating of every unit and community (given first, then computed)."""
    result = dict(computed)
    for rating in index.data.ratings:
        if rating.year == index.year:
            result[(rating.subject_kind, rating.subject)] = rating.tier
    return result


def score_facts(
    index: Index, kind: SubjectKind, items: list[tuple[str, Mapping[str, Any], str, Decimal]],
    score_items: Iterable[Any] = (), measurer: Measurer | None = None,
    holds: Callable[[Any, Callable[[Any], tuple[bool, Any]]], bool] | None = None,
) -> Iterator[tuple[Subject, Fact]]:
    """Weighted score of the year: Σ weight × the item's measure — the mean of a field over the
    subject's matching events, a sum, a count, or the number of periods in which a condition
    holds. A subject with no matching event for some mean is incomplete and gets no score.
    """
    measures = list(score_items) or [None] * len(items)
    by_item = [index.events_by_subject(kind, filter_) if filter_ else {} for _, filter_, _, _ in items]
    year = Period(index.year, Granularity.YEAR, 1)
    for subject in index.subjects[kind]:
        total = Decimal(0)
        complete = 1
        parts: list[str] = []
        for (title, _, field, weight), by_subject, item in zip(items, by_item, measures):
            if item is not None and item.measure != "mean":
                assert measurer is not None and holds is not None
                amount = _item_amount(index, subject, item, measurer, holds, year)
                total += weight * amount
                parts.append(f"{title}: {amount} × {weight}")
                continue
            values = [
                Decimal(getattr(e, field)) for e in by_subject.get(subject.id, ())
                if _year_of(e) == index.year
            ]
            if not values:
                complete = 0
                parts.append(f"{title}: 无记录")
                continue
            mean = sum(values, Decimal(0)) / len(values)
            total += weight * mean
            parts.append(f"{title}: {quantize(mean)} × {weight}")
        score = quantize(total)
        yield subject, {
            "score": str(score),
            "score_x100": int(score * 100),
            "complete": complete,
            "items": "；".join(parts),
        }


def _item_amount(
    index: Index, subject: Subject, item: Any, measurer: Measurer,
    holds: Callable[[Any, Callable[[Any], tuple[bool, Any]]], bool], year: Period,
) -> Decimal:
    """A score item's measure for the year: a sum or count of events, or a number of periods."""
    if item.periods is not None:
        periods = index.known_periods(item.periods.period)
        if item.periods.counts_from is not None:
            counted = index.counts_from(subject, item.periods.counts_from)
            if counted is None:
                return Decimal(0)
            periods = [p for p in periods if p >= Period.containing(counted, p.granularity)]
        held = 0
        for period in periods:
            if holds(item.periods.of, _value_in(measurer, subject, period)):
                held += 1
        return Decimal(held)
    condition = _Leafy(item.sum, item.count)
    _, value = measurer.value(condition, subject, year)
    return Decimal(value) / 100 if item.sum is not None else Decimal(value)


def _value_in(measurer: Measurer, subject: Subject, period: Period) -> Callable[[Any], tuple[bool, Any]]:
    """A leaf's value for one subject in one period."""
    return lambda condition: measurer.value(condition, subject, period)


@dataclass(frozen=True)
class _Leafy:
    """A score item's ``sum`` or ``count`` shaped as a condition leaf, for the measurer."""

    sum: Any
    count: Any
    attribute: Any = None
    rating: Any = None
    outcome: Any = None


def _year_of(event: Any) -> int:
    """The year an event counts for: its own `year` (a year-end review held in January) or its date's."""
    year: int = getattr(event, "year", None) or event.date.year
    return year


def tree_facts(
    index: Index, kind: SubjectKind, per: Granularity, leaves: Iterable[Any], measurer: Measurer,
    applies_if: Mapping[str, Any] | None = None,
) -> Iterator[tuple[Subject, Fact]]:
    """One fact per subject and period of the year inside the recorded dates, with each leaf's
    value (``m<i>``) and whether it is recorded (``k<i>``). Subjects that ``applies_if`` rules
    out get no facts (the engine would match none of them; its condition still tests it)."""
    leaves = list(leaves)
    periods = [(period, str(period), period.days) for period in index.known_periods(per)]
    for subject in index.subjects_where(kind, applies_if or {}):
        for period, label, days in periods:
            fact: Fact = {"period": label, "days_held": days, "days_in_period": days}
            for leaf in leaves:
                known, value = measurer.value(leaf.condition, subject, period)
                fact[leaf.field] = value
                fact[leaf.known_field] = int(known)
            yield subject, fact


def general_streak_facts(
    index: Index, kind: SubjectKind, streak: Any, threshold: int, siblings: Iterable[Any],
    measurer: Measurer, holds: Callable[[Any, Callable[[Any], tuple[bool, Any]]], bool],
    applies_if: Mapping[str, Any] | None = None,
) -> Iterator[tuple[Subject, Fact]]:
    """Maximal runs of consecutive periods in which ``streak.of`` holds, for runs that matter to
    the year (as :func:`streak_facts`, for any condition and period); ``siblings`` are measured
    for the year and carried on the fact."""
    per: Granularity = streak.period
    covers = index.data.covers
    first_covered = Period.containing(covers.start, per)
    last_covered = Period.containing(covers.end, per)
    if last_covered.end != covers.end:
        last_covered = last_covered.previous()
    last = min(Period(index.year, per, 12 // per.months), last_covered)
    year = Period(index.year, Granularity.YEAR, 1)
    siblings = list(siblings)
    for subject in index.subjects_where(kind, applies_if or {}):
        start = first_covered
        if streak.counts_from is not None:
            counted = index.counts_from(subject, streak.counts_from)
            if counted is None:
                continue
            start = max(start, Period.containing(counted, per))
        if start > last:
            continue
        runs: list[tuple[Period, int]] = []
        period: Period | None = start
        run_start: Period | None = None
        length = 0
        while period is not None and period <= last:
            if holds(streak.of, _value_in(measurer, subject, period)):
                if run_start is None:
                    run_start, length = period, 0
                length += 1
            elif run_start is not None:
                runs.append((run_start, length))
                run_start = None
            period = period.next()
        if run_start is not None:
            runs.append((run_start, length))
        extra: Fact = {}
        for leaf in siblings:
            known, value = measurer.value(leaf.condition, subject, year)
            extra[leaf.field], extra[leaf.known_field] = value, int(known)
        best: tuple[Period, int] | None = None
        for run_start, length in runs:
            end = run_start.shifted(length - 1)
            if length >= threshold:
                reached = run_start.shifted(threshold - 1)
                yield subject, {"start": str(run_start), "end": str(end), "length": length,
                                "reached": str(reached), "in_year": int(reached.year == index.year), **extra}
            elif end.year == index.year and (best is None or length > best[1]):
                best = (run_start, length)
        if best is not None:
            end = best[0].shifted(best[1] - 1)
            yield subject, {"start": str(best[0]), "end": str(end), "length": best[1], "reached": "",
                            "in_year": 0, **extra}
