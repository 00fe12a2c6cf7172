"""A dataset indexed once for one evaluation year: subjects (members, units, communities) with
their fields and attributes, events by type and by the subjects they count for, report-in dates,
rectifications, role spans. The fact builders of :mod:`.facts` read only from here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, Callable, Mapping

from ..domain.model import (
    CORE_EVENT_MODELS,
    Dataset,
    Member,
    PackEvent,
    ResidentUnit,
    SubjectKind,
)
from ..domain.periods import Granularity, Period
from ..policy.declarations import Declarations, RefTo, typed_value

__all__ = ["Fact", "INVOLVED", "Index", "Subject", "filter_key", "involved"]

Fact = dict[str, Any]


def involved(event: Any, kind: SubjectKind, unit_community: Mapping[str, str]) -> tuple[str, ...]:
    """The subjects of ``kind`` an event counts for."""
    return INVOLVED[event.type][kind](event, unit_community)


def _none(event: Any, _: Mapping[str, str]) -> tuple[str, ...]:
    return ()


def _own_subject(kind: SubjectKind) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
    return lambda event, _: (event.subject,) if event.subject_kind is kind else ()


def _field(name: str) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
    return lambda event, _: (getattr(event, name),)


def _many(name: str) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
    # an event counts once for each subject: a dataset that lists a subject twice in one event
    # is refused when it is read (``integrity_problems``), so the list is taken as it is
    return lambda event, _: getattr(event, name)


_M, _U, _C = SubjectKind.MEMBER, SubjectKind.UNIT, SubjectKind.COMMUNITY
INVOLVED: dict[str, dict[SubjectKind, Callable[[Any, Mapping[str, str]], tuple[str, ...]]]] = {
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


def filter_key(filter_: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """An event filter as a key: its tests but those of ``None``, enumerations by value."""
    return tuple(sorted((k, str(_plain(v))) for k, v in filter_.items() if v is not None))


@dataclass(frozen=True)
class Subject:
    kind: SubjectKind
    id: str
    name: str
    community: str
    fields: Mapping[str, Any]


class Index:
    """A dataset indexed once for one evaluation year; every query reads from here."""

    def __init__(self, data: Dataset, year: int, declarations: Declarations | None = None) -> None:
        self.data = data
        self.year = year
        self.declarations = declarations or Declarations.empty()
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

    def subjects_where(self, kind: SubjectKind, tests: Mapping[str, Any]) -> list[Subject]:
        """The subjects of ``kind`` whose fields or attributes pass ``applies_if``'s tests."""
        if not tests:
            return self.subjects[kind]

        def passes(subject: Subject) -> bool:
            for name, wanted in tests.items():
                value = subject.fields[name] if name in subject.fields else self.attributes(subject).get(name)
                value = getattr(value, "value", value)
                if isinstance(wanted, tuple):
                    if value not in wanted:
                        return False
                elif value != wanted:
                    return False
            return True

        return [s for s in self.subjects[kind] if passes(s)]

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
        key = ("events", kind, filter_key(filter_))
        cached = self._event_cache.get(key)
        if cached is None:
            cached = defaultdict(list)
            events, involved = self._matching(kind, filter_)
            units = self.unit_community
            for event in events:
                for subject_id in involved(event, units):
                    cached[subject_id].append(event)
            self._event_cache[key] = cached
        return cached

    def monthly_counts(self, kind: SubjectKind, filter_: Mapping[str, Any]) -> Mapping[str, Mapping[int, int]]:
        """How many events matching ``filter_`` each subject of ``kind`` has in each month (months
        as year*12+month-1, only those with events): what counts per period and absence streaks
        ask, gathered in one pass over the events."""
        key = ("months", kind, filter_key(filter_))
        cached = self._event_cache.get(key)
        if cached is None:
            cached = {}
            events, involved = self._matching(kind, filter_)
            units = self.unit_community
            in_month: dict[int, list[str]] = defaultdict(list)
            for event in events:
                day = event.date
                in_month[day.year * 12 + day.month - 1] += involved(event, units)
            for month, subjects in in_month.items():  # counted by Counter, not one by one
                for subject_id, count in Counter(subjects).items():
                    counts = cached.get(subject_id)
                    if counts is None:
                        cached[subject_id] = {month: count}
                    else:
                        counts[month] = count
            self._event_cache[key] = cached
        return cached

    def _matching(
        self, kind: SubjectKind, filter_: Mapping[str, Any]
    ) -> tuple[list[Any], Callable[[Any, Mapping[str, str]], tuple[str, ...]]]:
        """The events matching ``filter_``, and how to find the subjects of ``kind`` each counts for."""
        wanted = {k: _plain(v) for k, v in filter_.items() if v is not None}
        others = [(k, v) for k, v in wanted.items() if k != "type"]
        events = self.by_type.get(wanted.get("type", ""), [])
        if others and events and isinstance(events[0], PackEvent):
            events = [e for e in events if all(self.event_value(e, k) == v for k, v in others)]
        elif others:  # core events: enumerations are text enums, equal to their values
            for name, value in others:
                events = [e for e in events if getattr(e, name, None) == value]
        if not events:
            return [], _none
        return events, INVOLVED.get(events[0].type, {}).get(kind) or self._pack_involved(events[0].type, kind)

    def _pack_involved(self, event_type: str, kind: SubjectKind) -> Callable[[Any, Mapping[str, str]], tuple[str, ...]]:
        """A pack event counts for every subject of ``kind`` its reference fields name."""
        spec = self.declarations.events.get(event_type)
        names = [name for name, field in (spec.fields.items() if spec else ())
                 if isinstance(field.type, RefTo) and field.type.ref is kind]

        def involved(event: Any, _: Mapping[str, str]) -> tuple[str, ...]:
            found: list[str] = []
            for name in names:
                value = event.fields.get(name)
                found += list(value) if isinstance(value, list) else ([value] if value else [])
            return tuple(dict.fromkeys(found))

        return involved

    def event_value(self, event: Any, name: str) -> Any:
        """A field of an event as a plain typed value (enums by value; pack fields typed)."""
        if isinstance(event, PackEvent):
            spec = self.declarations.events.get(event.type)
            raw = event.fields.get(name)
            field = spec.fields.get(name) if spec else None
            if raw is None or field is None:
                return raw
            return typed_value(field, raw)
        return _plain(getattr(event, name, None))

    def event_fields(self, event: Any) -> list[str]:
        if isinstance(event, PackEvent):
            return list(event.fields)
        # by type: compact events are not the models (data/compact.py)
        return [name for name in CORE_EVENT_MODELS[event.type].model_fields if name not in ("id", "date", "type")]

    def placed(self, event: Any, dated_by: str) -> date | None:
        """The day that places an event in a period: its ``date`` or a `date`/`month` field."""
        if dated_by == "date":
            day: date = event.date
            return day
        value = self.event_value(event, dated_by)
        if isinstance(value, date):
            return value
        if isinstance(value, str) and len(value) == 7:
            return date(int(value[:4]), int(value[5:]), 1)
        return None

    def attributes(self, subject: Subject) -> dict[str, Any]:
        """The subject's pack-declared attributes, typed (undeclared ones are refused on load)."""
        cached = self._attributes.get((subject.kind, subject.id))
        if cached is None:
            record = self._records[subject.kind].get(subject.id)
            raw = record.attributes if record is not None else {}
            specs = self.declarations.attributes.get(subject.kind, {})
            cached = {name: typed_value(specs[name], value) for name, value in raw.items() if name in specs}
            self._attributes[(subject.kind, subject.id)] = cached
        return cached

    def counts_from(self, subject: Subject, name: str) -> date | None:
        """The date a streak counts from: ``reported_in`` (a member's report-in) or a date attribute."""
        if name == "reported_in":
            return self.report_in.get(subject.id)
        value = self.attributes(subject).get(name)
        return value if isinstance(value, date) else None

    @cached_property
    def _attributes(self) -> dict[tuple[SubjectKind, str], dict[str, Any]]:
        return {}

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Values worked out once per evaluation (this index lives for one evaluation only)."""
        return {}

    @cached_property
    def _records(self) -> dict[SubjectKind, Mapping[str, Any]]:
        return {SubjectKind.MEMBER: self.members, SubjectKind.UNIT: self.units,
                SubjectKind.COMMUNITY: self.communities}

    @cached_property
    def by_type(self) -> dict[str, list[Any]]:
        result: dict[str, list[Any]] = defaultdict(list)
        for event in self.data.events:
            result[event.type].append(event)
        return result

    @cached_property
    def _event_cache(self) -> dict[Any, Any]:
        return {}

    @cached_property
    def report_in(self) -> dict[str, date]:
        """Each member's report-in date: the earlier of the member record's and any report-in event."""
        dates = {m.id: m.reported_in for m in self.data.members if m.reported_in is not None}
        for event in self.by_type.get("member_report_in", ()):
            known = dates.get(event.member)
            if known is None or event.date < known:
                dates[event.member] = event.date
        return dates

    @cached_property
    def rectifications(self) -> dict[str, list[date]]:
        result: dict[str, list[date]] = defaultdict(list)
        for event in self.by_type.get("rectification", ()):
            result[event.finding].append(event.date)
        return result
