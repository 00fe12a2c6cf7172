"""A dataset's integrity: every duplicate id, dangling reference, id shaped like a national ID
number, event outside the covered dates and overlapping holding of a role, each with the path of
the record at fault (:class:`~partybuild_rules.domain.model.Dataset` runs these checks when it is
made; the readers run them on what they could read, to report every problem at once)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from itertools import chain, compress
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Union, cast

from .model import Assessment, Inspection, Member, Role, RoleHolding, SubjectKind

if TYPE_CHECKING:
    from .model import Dataset, _Record

__all__ = ["EVENT_LISTS", "EVENT_REFS", "NATIONAL_ID", "integrity_problems"]

NATIONAL_ID = re.compile(r"^[1-9][0-9]{5}(18|19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]$")
"""The shape of a national ID number (居民身份证号码): never an id here."""
_NATIONAL_ID_LINE = re.compile(r"^" + NATIONAL_ID.pattern[1:-1] + r"$", re.MULTILINE)

EVENT_REFS: dict[str, tuple[tuple[str, str], ...]] = {
    "unit_report": (("unit", "unit"), ("community", "community")),
    "member_report_in": (("member", "member"), ("community", "community")),
    "activity": (("community", "community"),),
    "joint_meeting": (("community", "community"),),
    "two_way_review": (("unit", "unit"), ("community", "community")),
    "inspection": (("group", "inspection group"),),
    "rectification": (("finding", "finding"),),
    "assessment": (),
}
"""Each event type's single references: (field, kind of record it names)."""

EVENT_LISTS: dict[str, tuple[tuple[str, str], ...]] = {
    "activity": (("units", "unit"), ("participants", "member")),
    "joint_meeting": (("units", "unit"),),
}
"""Each event type's lists of references; an id listed twice is also a problem."""


def integrity_problems(
    data: Dataset, assume: dict[str, set[str]] | None = None
) -> list[tuple[tuple[str | int, ...], str]]:
    """Every duplicate id and dangling reference, in input order. ``assume`` adds ids known to
    exist per section (records that are present but invalid for another reason)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    assume = assume or {}

    def unique(section: str, records: tuple[_Record, ...], key: str = "id") -> set[str]:
        ids = list(map(attrgetter(key), records))
        distinct = set(ids)
        if len(distinct) != len(ids):  # some id is repeated: name every record that holds one
            counts = Counter(ids)
            for index, value in enumerate(ids):
                if counts[value] > 1:
                    problems.append(((section, index, key), f"duplicate id `{value}`"))
        # ids hold no line break (their pattern): one search of them all, a line each, finds any
        # shaped like a national ID number, and only then are they tested one by one
        if _NATIONAL_ID_LINE.search("\n".join(distinct)):
            for value in dict.fromkeys(ids):
                if len(value) == 18 and NATIONAL_ID.match(value):
                    problems.append(((section, ids.index(value), key),
                                     f"id `{value}` is shaped like a national ID number"))
        distinct |= assume.get(section, set())
        return distinct

    communities = unique("communities", data.communities)
    grids = unique("grids", data.grids)
    units = unique("units", data.units)
    members = unique("members", data.members)
    groups = unique("inspection_groups", data.inspection_groups)
    unique("events", data.events)
    # events by type, not class: compactly read events have the models' fields, not their classes
    # (data/compact.py)
    kinds = list(map(attrgetter("type"), data.events))
    inspections: list[Inspection] = list(compress(data.events, map("inspection".__eq__, kinds)))  # type: ignore[arg-type]
    finding_counts = Counter(finding.id for event in inspections for finding in event.findings)

    def ref(path: tuple[str | int, ...], value: str | None, known: set[str], what: str) -> None:
        if value is not None and value not in known:
            problems.append((path, f"unknown {what} `{value}`"))

    def listed(path: tuple[str | int, ...], ids: tuple[str, ...], what: str) -> None:
        seen: set[str] = set()
        for j, value in enumerate(ids):
            if value in seen:
                problems.append((path + (j,), f"{what} `{value}` is listed twice"))
            seen.add(value)

    for i, community in enumerate(data.communities):
        listing: tuple[str | int, ...] = ("communities", i, "neighbours")
        for j, neighbour in enumerate(community.neighbours):
            ref(listing + (j,), neighbour, communities, "community")
            if neighbour == community.id:
                problems.append((listing + (j,), f"community `{neighbour}` cannot be its own neighbour"))
        if len(set(community.neighbours)) != len(community.neighbours):
            listed(listing, community.neighbours, "community")
    for i, grid in enumerate(data.grids):
        ref(("grids", i, "community"), grid.community, communities, "community")
    for i, unit in enumerate(data.units):
        ref(("units", i, "community"), unit.community, communities, "community")
    for i, member in enumerate(data.members):
        ref(("members", i, "residence_community"), member.residence_community, communities, "community")
        ref(("members", i, "unit"), member.unit, units, "unit")
        ref(("members", i, "grid"), member.grid, grids, "grid")
        if member.in_service and member.unit is None:
            problems.append((("members", i, "unit"), "an in-service member needs a `unit`"))
        for j, holding in enumerate(member.roles):
            ref(("members", i, "roles", j, "community"), holding.community, communities, "community")
        problems += _overlapping_roles(i, member)
    subjects = {SubjectKind.UNIT: units, SubjectKind.COMMUNITY: communities}
    rated: dict[tuple[str, str, int], int] = {}
    for i, rating in enumerate(data.ratings):
        ref(("ratings", i, "subject"), rating.subject, subjects[rating.subject_kind], rating.subject_kind.value)
        key = (rating.subject_kind.value, rating.subject, rating.year)
        if key in rated:
            problems.append((("ratings", i, "year"),
                             f"a second rating of {key[0]} `{key[1]}` for {key[2]} (first is ratings[{rated[key]}])"))
        else:
            rated[key] = i
    known = {
        "unit": units, "community": communities, "member": members, "inspection group": groups,
        "finding": set(finding_counts),
    }
    covers = data.covers
    start, end = covers.start, covers.end
    # per event type, its references with the ids they may name (paths are built only for problems)
    singles = {kind: tuple((field, what, known[what]) for field, what in refs) for kind, refs in EVENT_REFS.items()}
    lists = {kind: tuple((field, what, known[what]) for field, what in refs) for kind, refs in EVENT_LISTS.items()}
    if _events_sound(data.events, kinds, start, end, singles, lists, subjects, finding_counts):
        return problems
    for i, event in enumerate(data.events):
        at = ("events", i)
        day = event.date
        if day < start or day > end:
            problems.append(
                (at + ("date",), f"date {event.date} is outside the covered dates {covers.start}..{covers.end}")
            )
        for field, what, ids_known in singles.get(event.type, ()):
            value = getattr(event, field)
            if value is not None and value not in ids_known:
                ref(at + (field,), value, ids_known, what)
        for field, what, ids_known in lists.get(event.type, ()):
            ids = getattr(event, field)
            distinct = set(ids)
            if not distinct <= ids_known:
                for j, value in enumerate(ids):
                    ref(at + (field, j), value, ids_known, what)
            if len(distinct) != len(ids):
                listed(at + (field,), ids, what)
        if event.type == "inspection" or event.type == "assessment":
            judged = cast(Union[Inspection, Assessment], event)
            ref(at + ("subject",), judged.subject, subjects[judged.subject_kind], judged.subject_kind.value)
        if event.type == "inspection":
            for j, finding in enumerate(cast(Inspection, event).findings):
                if finding_counts[finding.id] > 1:
                    problems.append(((*at, "findings", j, "id"), f"duplicate finding id `{finding.id}`"))
    return problems


def _events_sound(
    events: tuple[Any, ...], kinds: list[str], start: date, end: date,
    singles: dict[str, tuple[tuple[str, str, set[str]], ...]],
    lists: dict[str, tuple[tuple[str, str, set[str]], ...]],
    subjects: dict[SubjectKind, set[str]], finding_counts: Counter[str],
) -> bool:
    """Whether the events pass every check of :func:`integrity_problems`, tested a type and a
    field at a time (loops in C, not Python) so that a sound dataset, the usual case, is not
    walked event by event; a dataset with a problem is then walked to name each one in order."""
    if not events:
        return True
    days = list(map(attrgetter("date"), events))
    if min(days) < start or max(days) > end:
        return False
    by_type: dict[str, list[Any]] = {}
    for kind, event in zip(kinds, events):
        by_type.setdefault(kind, []).append(event)
    for kind, of_kind in by_type.items():
        for field, _, ids_known in singles.get(kind, ()):
            named = set(map(attrgetter(field), of_kind))
            named.discard(None)
            if not named <= ids_known:
                return False
        for field, _, ids_known in lists.get(kind, ()):
            listed = list(map(attrgetter(field), of_kind))
            if not set(chain.from_iterable(listed)) <= ids_known:
                return False
            if sum(map(len, map(set, listed))) != sum(map(len, listed)):
                return False  # an id listed twice in one event
        if kind in ("inspection", "assessment"):
            for judged in of_kind:
                if judged.subject not in subjects[judged.subject_kind]:
                    return False
    for inspection in by_type.get("inspection", ()):
        for finding in inspection.findings:
            if finding_counts[finding.id] > 1:
                return False
    return True


def _overlapping_roles(i: int, member: Member) -> list[tuple[tuple[str | int, ...], str]]:
    """Two holdings of one role that share a day would pay that day twice: name both records."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    by_role: dict[Role, list[tuple[int, RoleHolding]]] = {}
    for j, holding in enumerate(member.roles):
        by_role.setdefault(holding.role, []).append((j, holding))
    for role, holdings in by_role.items():
        holdings.sort(key=lambda item: (item[1].start, item[0]))
        j, latest = holdings[0]  # the holding seen so far that ends last
        for k, holding in holdings[1:]:
            if latest.end is None or holding.start <= latest.end:
                first, second = sorted((j, k))
                problems.append((
                    ("members", i, "roles", k, "start"),
                    f"role `{role.value}` of member `{member.id}` is held twice on {holding.start}: "
                    f"roles[{first}] and roles[{second}] overlap",
                ))
            if latest.end is not None and (holding.end is None or holding.end > latest.end):
                j, latest = k, holding
    return problems
