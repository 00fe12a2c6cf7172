"""An index and a measurer that follow the events a session adds and removes: each grouping of
events by subject, each count per month and each count or sum per period made so far is changed
in place for the subjects an event involves, and what was worked out for those subjects only is
forgotten (:class:`~partybuild_rules.evaluation.incremental.Incremental` decides what to
re-evaluate)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Callable, Iterator, Mapping

from ..domain.model import Dataset, MemberReportIn, Rectification, SubjectKind
from ..domain.periods import Granularity, Period
from ..policy.pack import Pack
from .index import INVOLVED, Index, Subject, filter_key
from .measurer import Measurer

__all__ = ["Chosen", "Key", "Selection", "SessionIndex", "SessionMeasurer", "event_selection"]

Key = tuple[SubjectKind, str]
Chosen = dict[SubjectKind, set[str]]


Selection = tuple[str, list[tuple[str, Any]]]
"""An event filter as a type and the other field tests (see :func:`event_selection`)."""


def event_selection(filter_: Mapping[str, Any]) -> Selection:
    """An event filter as :meth:`Index.events_by_subject` reads it: the type, and the other tests."""
    wanted = {k: (v.value if hasattr(v, "value") else v) for k, v in filter_.items() if v is not None}
    return str(wanted.get("type", "")), [(k, v) for k, v in wanted.items() if k != "type"]


def _drop(events: list[Any], event: Any) -> None:
    """Remove ``event`` itself from ``events``, looking from the end (where the latest are)."""
    for position in range(len(events) - 1, -1, -1):
        if events[position] is event:
            del events[position]
            return
    raise ValueError(f"event `{event.id}` is not held")  # pragma: no cover - the session holds it


class _Memo(dict[Any, Any]):
    """The index's memo, knowing which entries are a subject's (keys ``(rule, kind, id, ...)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.of_subject: dict[Key, list[Any]] = defaultdict(list)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, tuple) and len(key) >= 3 and isinstance(key[1], SubjectKind):
            self.of_subject[(key[1], key[2])].append(key)
        super().__setitem__(key, value)

    def forget(self, key: Key) -> None:
        for entry in self.of_subject.pop(key, ()):
            self.pop(entry, None)


class _MonthlyCounts(Mapping[str, Mapping[int, int]]):
    """The events of each subject in a grouping counted by month, worked out when asked for."""

    def __init__(self, groups: Mapping[str, list[Any]]) -> None:
        self.groups = groups
        self.counted: dict[str, Counter[int]] = {}
        """Each subject's counts once worked out, until an event of the subject changes them."""

    def __getitem__(self, subject: str) -> Mapping[int, int]:
        counts = self.counted.get(subject)
        if counts is None:
            events = self.groups.get(subject)  # never ``groups[subject]``: a defaultdict would grow
            if events is None:
                raise KeyError(subject)
            counts = self.counted[subject] = Counter(e.date.year * 12 + e.date.month - 1 for e in events)
        return counts

    def __iter__(self) -> Iterator[str]:
        return iter(self.groups)

    def __len__(self) -> int:
        return len(self.groups)


class SessionIndex(Index):
    """An index whose groupings follow the events added and removed; :meth:`view` gives an index
    that shares them but yields only some subjects."""

    def __init__(self, data: Dataset, year: int, pack: Pack) -> None:
        super().__init__(data, year, pack.declarations)
        self.groupings: list[tuple[SubjectKind, str, list[tuple[str, Any]], dict[str, list[Any]]]] = []
        """Every grouping of events by subject made so far: kind, type, other tests, groups."""
        self.memo = self.subject_memo = _Memo()
        self._periods: dict[Granularity, list[Period]] = {}
        self.tallies: dict[tuple[SubjectKind, tuple[tuple[str, str], ...]], _MonthlyCounts] = {}
        """The monthly counts asked for so far, shared by the views (see :meth:`monthly_counts`)."""
        for name in ("subjects", "_subject_map", "_attributes", "_records", "by_type", "_event_cache",
                     "report_in", "rectifications"):
            getattr(self, name)  # made now, so that views share them

    def events_by_subject(self, kind: SubjectKind, filter_: Mapping[str, Any]) -> dict[str, list[Any]]:
        known = len(self._event_cache)
        groups = super().events_by_subject(kind, filter_)
        if len(self._event_cache) != known:
            event_type, others = event_selection(filter_)
            self.groupings.append((kind, event_type, others, groups))
        return groups

    def monthly_counts(self, kind: SubjectKind, filter_: Mapping[str, Any]) -> Mapping[str, Mapping[int, int]]:
        """As the index gives them, from the grouping the session keeps up to date."""
        key = (kind, filter_key(filter_))
        counts = self.tallies.get(key)
        if counts is None:
            counts = self.tallies[key] = _MonthlyCounts(self.events_by_subject(kind, filter_))
        return counts

    def known_periods(self, granularity: Granularity) -> list[Period]:
        known = self._periods.get(granularity)
        if known is None:
            known = self._periods[granularity] = super().known_periods(granularity)
        return list(known)

    def involved(self, event: Any, kind: SubjectKind) -> tuple[str, ...]:
        """The subjects of ``kind`` that ``event`` counts for, as :meth:`events_by_subject` groups it."""
        involved = INVOLVED.get(event.type, {}).get(kind) or self._pack_involved(event.type, kind)
        return tuple(s for s in involved(event, self.unit_community) if s in self._subject_map[kind])

    def matches(self, event: Any, event_type: str, others: list[tuple[str, Any]]) -> bool:
        return event.type == event_type and all(self.event_value(event, k) == v for k, v in others)

    def change(self, event: Any, sign: int, affected: Chosen) -> None:
        """Take ``event`` in (``sign`` 1) or out (-1) of every grouping made so far."""
        if sign > 0:
            self.by_type[event.type].append(event)
        else:
            _drop(self.by_type[event.type], event)
        for kind, event_type, others, groups in self.groupings:
            if not self.matches(event, event_type, others):
                continue
            for subject in self.involved(event, kind):
                if sign > 0:
                    groups[subject].append(event)
                else:
                    group = groups[subject]
                    _drop(group, event)
                    if not group:
                        del groups[subject]
        if isinstance(event, MemberReportIn):
            self._report_in_of(event.member)
        if isinstance(event, Rectification):
            dates = self.rectifications[event.finding]
            if sign > 0:
                dates.append(event.date)
            else:
                dates.remove(event.date)
        for kind, ids in affected.items():
            for subject in ids:
                self.subject_memo.forget((kind, subject))
        for (kind, _), tally in self.tallies.items():
            for subject in affected.get(kind, ()):
                tally.counted.pop(subject, None)

    def _report_in_of(self, member: str) -> None:
        record = self.members[member].reported_in
        days = [e.date for e in self.by_type.get("member_report_in", ()) if e.member == member]
        if record is not None:
            days.append(record)
        if days:
            self.report_in[member] = min(days)
        else:
            self.report_in.pop(member, None)

    def view(self, chosen: Chosen, data: Dataset) -> SessionIndex:
        """This index with only the ``chosen`` subjects, over ``data`` (the records the fact
        builders walk: those subjects' members, inspections and ratings)."""
        view = object.__new__(SessionIndex)
        view.__dict__.update(self.__dict__)
        view.data = data
        view.subjects = {
            kind: [self._subject_map[kind][s] for s in sorted(chosen.get(kind, ()))] for kind in SubjectKind
        }
        return view


class SessionMeasurer(Measurer):
    """A measurer whose counts and sums per period follow the events added and removed, and
    which reads a subject's outcomes from the session."""

    def __init__(self, index: SessionIndex, pack: Pack, computed: Mapping[Key, str],
                 outcomes_of: Callable[[Key], list[Any]]) -> None:
        super().__init__(index, pack, computed, lambda offset: [])
        self.session_index = index
        self.outcomes_of = outcomes_of
        self.given: dict[tuple[SubjectKind, str, int], str] = {
            (r.subject_kind, r.subject, r.year): r.tier for r in index.data.ratings
        }
        self.tallies: list[tuple[Any, SubjectKind, Granularity, Any, Mapping[str, Any], dict[str, dict[str, Any]]]] = []
        """Every count or sum per period made so far: condition, kind, period, formula, event filter, values."""

    def _group(self, condition: Any, kind: SubjectKind, per: Granularity) -> dict[str, dict[str, Any]]:
        known = len(self._grouped)
        result = super()._group(condition, kind, per)
        if len(self._grouped) != known:
            formula = None
            if condition.sum is not None and condition.sum.value is not None:
                from ..policy.expr import parse_expr

                formula = parse_expr(condition.sum.value)
            measure = condition.count if condition.count is not None else condition.sum
            self.tallies.append((condition, kind, per, formula, measure.events.tests(), result))
        return result

    def change(self, event: Any) -> None:
        """Count ``event`` again for the subjects it involves (after the index took it in or out)."""
        index = self.session_index
        for condition, kind, per, formula, tests, result in self.tallies:
            event_type, others = event_selection(tests)
            if not index.matches(event, event_type, others):
                continue
            groups = index.events_by_subject(kind, tests)
            for subject in index.involved(event, kind):
                result[subject] = self._per_period(condition, per, groups.get(subject, ()), formula)

    def rating(self, subject: Subject, offset: int) -> str | None:
        tier = self.given.get((subject.kind, subject.id, self.index.year + offset))
        if tier is not None:
            return tier
        return self.computed.get((subject.kind, subject.id)) if offset == 0 else None

    def _outcomes_of(self, offset: int, subject: Subject) -> list[Any]:
        if offset != 0:  # pragma: no cover - such packs are re-evaluated whole (reads_earlier_outcomes)
            raise AssertionError("an earlier year's outcomes are not kept incrementally")
        return self.outcomes_of((subject.kind, subject.id))
