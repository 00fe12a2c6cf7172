"""Deriving compact facts from a dataset: counts per period, streaks, ratings, findings, role-months.

Aggregates are computed here in plain Python (durable-rules has none); the engine then matches the
facts against the compiled rules. Everything here is a pure function of the dataset, the year and
the query, so facts can be derived per community partition and evaluated independently.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..domain.model import (
    Dataset,
    Inspection,
    Member,
    MemberReportIn,
    Rectification,
    ResidentUnit,
    SubjectKind,
)
from ..domain.money import quantize
from ..domain.periods import Granularity, Period

__all__ = ["Index", "Fact"]

Fact = dict[str, Any]


def _involved(event: Any, kind: SubjectKind, unit_community: Mapping[str, str]) -> tuple[str, ...]:
    """The subjects of ``kind`` an event counts for."""
    return _INVOLVED[event.type][kind](event, unit_community)


def _none(event: Any, _: Mapping[str, str]) -> tuple[str, ...]:
    return ()


def _own_subject(kind: SubjectKind) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
    return lambda event, _: (event.subject,) if event.subject_kind is kind else ()


def _field(name: str) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
    return lambda event, _: (getattr(event, name),)


def _many(name: str) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
    # an event counts once for each subject, however often the subject is listed
    return lambda event, _: tuple(dict.fromkeys(getattr(event, name)))


_M, _U, _C = SubjectKind.MEMBER, SubjectKind.UNIT, SubjectKind.COMMUNITY
_INVOLVED: dict[str, dict[SubjectKind, Callable[[Any, Mapping[str, str]], tuple[str, ...]]]] = {
    "unit_report": {
        _M: _none, _U: _field("unit"),
        _C: lambda event, units: (event.community or units.get(event.unit, ""),),
    },
    "member_report_in": {_M: _field("member"), _U: _none, _C: _field("community")},
    "activity": {_M: _many("participants"), _U: _many("units"), _C: _field("community")},
    "joint_meeting": {_M: _none, _U: _many("units"), _C: _field("community")},
    "two_way_review": {_M: _none, _U: _field("unit"), _C: _field("community")},
    "inspection": {_M: _none, _U: _own_subject(_U), _C: _own_subject(_C)},
    "assessment": {_M: _none, _U: _own_subject(_U), _C: _own_subject(_C)},
    "rectification": {_M: _none, _U: _none, _C: _none},
}


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str
    name: str
    community: str
    fields: Mapping[str, Any]


class Index:
    """A dataset indexed once for one evaluation year; every query reads from here."""

    def __init__(self, data: Dataset, year: int) -> None:
        self.data = data
        self.year = year
        self.unit_community = {unit.id: unit.community for unit in data.units}
        self.units = {unit.id: unit for unit in data.units}
        self.members = {member.id: member for member in data.members}
        self.communities = {community.id: community for community in data.communities}

    # -- subjects ---------------------------------------------------------------------------

    @cached_property
    def subjects(self) -> dict[SubjectKind, list[Subject]]:
        return {
            SubjectKind.MEMBER: [self._member(m) for m in self.data.members],
            SubjectKind.UNIT: [self._unit(u) for u in self.data.units],
            SubjectKind.COMMUNITY: [
                Subject(SubjectKind.COMMUNITY, c.id, c.name, c.id, {"community": c.id})
                for c in self.data.communities
            ],
        }

    def subject(self, kind: SubjectKind, subject_id: str) -> Subject:
        return self._subject_map[kind][subject_id]

    @cached_property
    def _subject_map(self) -> dict[SubjectKind, dict[str, Subject]]:
        return {kind: {s.id: s for s in items} for kind, items in self.subjects.items()}

    def _member(self, member: Member) -> Subject:
        return Subject(
            SubjectKind.MEMBER, member.id, member.name, member.residence_community,
            {
                "in_service": member.in_service,
                "five_star": member.five_star,
                "community": member.residence_community,
                "unit": member.unit or "",
            },
        )

    def _unit(self, unit: ResidentUnit) -> Subject:
        return Subject(
            SubjectKind.UNIT, unit.id, unit.name, unit.community,
            {"kind": unit.kind.value, "community": unit.community},
        )

    # -- coverage ---------------------------------------------------------------------------

    def known_periods(self, granularity: Granularity) -> list[Period]:
        """Periods of the year that lie wholly inside the recorded dates; the rest are unknown."""
        covers = self.data.covers
        return [p for p in Period.of_year(self.year, granularity) if p.within(covers.start, covers.end)]

    # -- events -----------------------------------------------------------------------------

    def events_by_subject(
        self, kind: SubjectKind, filter_: Mapping[str, Any]
    ) -> dict[str, list[Any]]:
        """The events matching ``filter_`` (which names a ``type``), grouped by the subjects of
        ``kind`` they count for; computed once per filter."""
        wanted = {k: (v.value if hasattr(v, "value") else v) for k, v in filter_.items() if v is not None}
        key = (kind, tuple(sorted((k, str(v)) for k, v in wanted.items())))
        cached = self._event_cache.get(key)
        if cached is None:
            cached = defaultdict(list)
            others = [(k, v) for k, v in wanted.items() if k != "type"]
            events = self.by_type.get(wanted.get("type", ""), [])
            if others:
                events = [e for e in events if all(_plain(getattr(e, k, None)) == v for k, v in others)]
            if events:
                involved = _INVOLVED[events[0].type][kind]
                units = self.unit_community
                for event in events:
                    for subject_id in involved(event, units):
                        cached[subject_id].append(event)
            self._event_cache[key] = cached
        return cached

    @cached_property
    def by_type(self) -> dict[str, list[Any]]:
        result: dict[str, list[Any]] = defaultdict(list)
        for event in self.data.events:
            result[event.type].append(event)
        return result

    @cached_property
    def _event_cache(self) -> dict[Any, dict[str, list[Any]]]:
        return {}

    @cached_property
    def report_in(self) -> dict[str, date]:
        """Each member's report-in date: the earlier of the member record's and any report-in event."""
        dates = {m.id: m.reported_in for m in self.data.members if m.reported_in is not None}
        for event in self.data.events:
            if isinstance(event, MemberReportIn):
                known = dates.get(event.member)
                if known is None or event.date < known:
                    dates[event.member] = event.date
        return dates

    @cached_property
    def rectifications(self) -> dict[str, list[date]]:
        result: dict[str, list[date]] = defaultdict(list)
        for event in self.data.events:
            if isinstance(event, Rectification):
                result[event.finding].append(event.date)
        return result


# ---------------------------------------------------------------------------------------------
# fact builders, one per condition kind; each yields (subject, fields) pairs


def count_facts(
    index: Index, kind: SubjectKind, filter_: Mapping[str, Any], per: Granularity
) -> Iterator[tuple[Subject, Fact]]:
    by_subject = index.events_by_subject(kind, filter_)
    periods = [(p, str(p)) for p in index.known_periods(per)]
    months = per.months
    for subject in index.subjects[kind]:
        events = by_subject.get(subject.id, ())
        counts: dict[int, int] = defaultdict(int)
        for event in events:
            if event.date.year == index.year:
                counts[(event.date.month - 1) // months + 1] += 1
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
    last = min(Period(index.year, Granularity.MONTH, 12), last_covered)
    by_subject = index.events_by_subject(SubjectKind.MEMBER, filter_)
    for subject in index.subjects[SubjectKind.MEMBER]:
        reported = index.report_in.get(subject.id)
        if reported is None:
            continue
        start = max(Period.containing(reported, Granularity.MONTH), first_covered)
        if start > last:
            continue
        present = {e.date.year * 12 + e.date.month - 1 for e in by_subject.get(subject.id, ())}
        runs = _absent_runs(start, last, present)
        best: tuple[Period, int] | None = None
        for run_start, length in runs:
            if length >= threshold:
                reached = _add_months(run_start, threshold - 1)
                yield subject, _streak(run_start, length, reached, index.year)
            elif _add_months(run_start, length - 1).year == index.year and (best is None or length > best[1]):
                best = (run_start, length)
        if best is not None:
            yield subject, _streak(best[0], best[1], None, index.year)


def _streak(start: Period, length: int, reached: Period | None, year: int) -> Fact:
    return {
        "start": str(start),
        "end": str(_add_months(start, length - 1)),
        "length": length,
        "reached": str(reached) if reached else "",
        "in_year": int(reached is not None and reached.year == year),
    }


def _absent_runs(start: Period, last: Period, present: set[int]) -> list[tuple[Period, int]]:
    """Maximal runs of months in ``start..last`` not in ``present`` (months as year*12+month-1)."""
    runs: list[tuple[Period, int]] = []
    first, end = _ordinal(start), _ordinal(last)
    run_start: int | None = None
    for month in range(first, end + 1):
        if month in present:
            if run_start is not None:
                runs.append((_from_ordinal(run_start), month - run_start))
            run_start = None
        elif run_start is None:
            run_start = month
    if run_start is not None:
        runs.append((_from_ordinal(run_start), end + 1 - run_start))
    return runs


def _ordinal(month: Period) -> int:
    return month.year * 12 + month.index - 1


def _from_ordinal(ordinal: int) -> Period:
    return Period(ordinal // 12, Granularity.MONTH, ordinal % 12 + 1)


def _add_months(period: Period, months: int) -> Period:
    total = period.year * 12 + period.index - 1 + months
    return Period(total // 12, Granularity.MONTH, total % 12 + 1)


def finding_facts(index: Index, kind: SubjectKind) -> Iterator[tuple[Subject, Fact]]:
    """Each inspection finding of a subject whose deadline falls in the year.

    Overdue means no rectification dated on or before the deadline; a deadline after the recorded
    dates is unknown, never overdue.
    """
    covers_end = index.data.covers.end
    for event in index.data.events:
        if not isinstance(event, Inspection) or event.subject_kind is not kind:
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
    """One fact per month of the year (inside the recorded dates) in which a member held ``role``."""
    months = index.known_periods(Granularity.MONTH)
    for member in index.data.members:
        for holding in member.roles:
            if holding.role.value != role:
                continue
            end = holding.end or date.max
            for month in months:
                first, last = max(month.start, holding.start), min(month.end, end)
                if first > last:
                    continue
                yield index.subject(SubjectKind.MEMBER, member.id), {
                    "period": str(month),
                    "role": role,
                    "role_community": holding.community,
                    "days_held": (last - first).days + 1,
                    "days_in_period": month.days,
                    "tier": ratings.get((SubjectKind.COMMUNITY, holding.community), ""),
                }


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
    index: Index, kind: SubjectKind, items: list[tuple[str, Mapping[str, Any], str, Decimal]]
) -> Iterator[tuple[Subject, Fact]]:
    """Weighted score of the year: Σ weight × mean(field over the subject's matching events).

    A subject with no matching event for some item is incomplete and gets no score.
    """
    by_item = [index.events_by_subject(kind, filter_) for _, filter_, _, _ in items]
    for subject in index.subjects[kind]:
        total = Decimal(0)
        complete = 1
        parts: list[str] = []
        for (title, _, field, weight), by_subject in zip(items, by_item):
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


def _year_of(event: Any) -> int:
    """The year an event counts for: its own `year` (a year-end review held in January) or its date's."""
    year: int = getattr(event, "year", None) or event.date.year
    return year
