"""Whole datasets: :func:`datasets`, referentially consistent and rich enough to make rules fire,
built from the record builders month by month, quarter by quarter and over the year; and
:func:`neighbourhoods`, communities and units without events for balancing."""

from __future__ import annotations

from datetime import date
from typing import Any, Sequence

from hypothesis.strategies import SearchStrategy

from ..domain.model import (
    Assessment,
    Coverage,
    Dataset,
    Inspection,
    Member,
    MemberReportIn,
    Rating,
    ResidentUnit,
    SubjectKind,
    TwoWayReview,
    UnitReport,
)
from ..domain.periods import Granularity, Period
from ._draw import Size, Window, _bounds, _Draw, _offset, _score, _strategy
from ._records import (
    DEFAULT_TIERS,
    Organisation,
    _PARTS,
    _PEOPLE,
    _UNIT_KINDS,
    _UNITS,
    _activity,
    _community,
    _coverage,
    _grid,
    _inspection,
    _inspection_group,
    _joint_meeting,
    _member,
    _resident_unit,
)


_EVENT_ORDER = {
    "member_report_in": 0, "unit_report": 1, "activity": 2, "joint_meeting": 3, "inspection": 4,
    "rectification": 5, "assessment": 6, "two_way_review": 7,
}



def datasets(
    *,
    communities: Size = (1, 3),
    units: Size = (1, 4),
    members: Size = (1, 6),
    months: Size = (12, 18),
    year: int = 2024,
    tiers: Sequence[str] = DEFAULT_TIERS,
) -> SearchStrategy[Dataset]:
    """Whole, referentially consistent datasets whose covered dates end on 31 December of
    ``year``: ``communities``, ``units`` and ``members`` records and ``months`` covered months.

    Each month may or may not have each unit's report and each community's activity (with some
    members taking part); each half year a joint meeting; each quarter an inspection of each unit
    and community, its finding rectified in time, late or never; daily and year-end scores of the
    year (often on tier bounds) and two-way reviews; ratings of the previous and current year from
    ``tiers``; members who report in inside the covered dates and roles that start mid-month.
    """
    if _bounds(communities, "communities")[0] < 1:
        raise ValueError("a dataset needs at least one community")
    sizes = tuple(_bounds(s, n) for s, n in ((communities, "communities"), (units, "units"),
                                             (members, "members"), (months, "months")))
    return _strategy(_dataset, *sizes, year, tuple(tiers))


def _dataset(
    d: _Draw, communities: tuple[int, int], units: tuple[int, int], members: tuple[int, int],
    months: tuple[int, int], year: int, tiers: tuple[str, ...],
) -> Dataset:
    covers = _coverage(d, year, months)
    c_ids = [f"C{n + 1}" for n in range(d.number(*communities))]
    u_ids = [f"U{n + 1}" for n in range(d.number(*units))]
    m_ids = [f"M{n + 1}" for n in range(d.number(*members))]
    grids = [_grid(d, f"G{n + 1}", [c]) for n, c in enumerate(d.subset(c_ids))]
    unit_list = [_resident_unit(d, u, c_ids, _UNIT_KINDS, n) for n, u in enumerate(u_ids)]
    member_list = [_member(d, m, c_ids, u_ids, [g.id for g in grids], covers, 2, n) for n, m in enumerate(m_ids)]
    groups = [_inspection_group(d, f"IG{n + 1}") for n in range(d.number(0, 2))]
    subjects: list[tuple[Organisation, str]] = [(SubjectKind.UNIT, u) for u in u_ids]
    subjects += [(SubjectKind.COMMUNITY, c) for c in c_ids]
    ratings = []
    for kind, subject in subjects:
        for y, tier in zip((year - 1, year), (d.number(0, len(tiers)), d.number(0, len(tiers)))):
            if tier:
                ratings.append(Rating(subject_kind=kind, subject=subject, year=y, tier=tiers[tier - 1]))
    events = _monthly_events(d, covers, c_ids, unit_list, m_ids)
    events += _periodic_events(d, covers, c_ids, unit_list, [g.id for g in groups])
    events += _scores(d, covers, subjects, unit_list, year)
    events += [
        MemberReportIn(id="E0", date=m.reported_in, member=m.id, community=m.residence_community)
        for m, kept in zip(member_list, d.mask(len(member_list)))
        if kept and m.reported_in is not None and covers.start <= m.reported_in <= covers.end
    ]
    numbered = [
        event.model_copy(update={"id": f"E{n + 1}"})
        for n, event in enumerate(sorted(events, key=lambda e: (e.date, _EVENT_ORDER[e.type])))
    ]
    places = [_community(d, c, n) for n, c in enumerate(c_ids)]
    # drawn last, so that the records before them are drawn as they were before neighbours existed
    places = [place.model_copy(update={"neighbours": _neighbours(d, place.id, c_ids)}) for place in places]
    return Dataset(
        name="hypothesis", covers=covers, communities=tuple(places),
        grids=tuple(grids), units=tuple(unit_list), members=tuple(member_list),
        inspection_groups=tuple(groups), ratings=tuple(ratings), events=tuple(numbered),
    )


def _neighbours(d: _Draw, place: str, c_ids: Sequence[str]) -> tuple[str, ...]:
    """Some of the communities after ``place`` (a neighbour listed on one side is enough)."""
    later = list(c_ids[c_ids.index(place) + 1:])
    return tuple(other for other, near in zip(later, d.mask(len(later))) if near)


def _windows(covers: Coverage, granularity: Granularity) -> list[Window]:
    """Each period overlapping the covered dates, clipped to them."""
    result = []
    period = Period.containing(covers.start, granularity)
    while period.start <= covers.end:
        result.append((max(period.start, covers.start), min(period.end, covers.end)))
        period = period.next()
    return result


def _monthly_events(
    d: _Draw, covers: Coverage, c_ids: list[str], unit_list: list[ResidentUnit], m_ids: list[str]
) -> list[Any]:
    """Each unit's report in some months; each community's activity in some months."""
    months = _windows(covers, Granularity.MONTH)
    events: list[Any] = []
    for unit in unit_list:
        for window, reported in zip(months, d.mask(len(months))):
            if reported:
                events.append(UnitReport(id="E0", date=_offset(window, 9), unit=unit.id))
    for place in c_ids:
        units_here = [u.id for u in unit_list if u.community == place]
        for window, held in zip(months, d.mask(len(months))):
            if held:
                events.append(_activity(d, "E0", place, window, m_ids, units_here))
    return events


def _periodic_events(
    d: _Draw, covers: Coverage, c_ids: list[str], unit_list: list[ResidentUnit], groups: list[str]
) -> list[Any]:
    """Joint meetings in some half years; inspections in some quarters, with their rectifications."""
    events: list[Any] = []
    halves = _windows(covers, Granularity.HALF_YEAR)
    for place in c_ids:
        units_here = [u.id for u in unit_list if u.community == place]
        for window, held in zip(halves, d.mask(len(halves))):
            if held:
                events.append(_joint_meeting(d, "E0", place, window, units_here, f"I{len(events) + 1}"))
    quarters = _windows(covers, Granularity.QUARTER) if groups else []
    subjects: list[tuple[Organisation, str]] = [(SubjectKind.UNIT, u.id) for u in unit_list]
    subjects += [(SubjectKind.COMMUNITY, c) for c in c_ids]
    findings = 0
    for kind, subject in subjects:
        for window, inspected in zip(quarters, d.mask(len(quarters))):
            if inspected:
                found = _inspection(d, "E0", d.pick(groups), kind, subject, window, covers.end, findings + 1)
                findings += len(found[0].findings) if isinstance(found[0], Inspection) else 0
                events += found
    return events


def _scores(
    d: _Draw, covers: Coverage, subjects: list[tuple[Organisation, str]], unit_list: list[ResidentUnit], year: int
) -> list[Any]:
    """Daily and year-end scores of the year, and year-end two-way reviews."""
    in_year = (max(covers.start, date(year, 1, 1)), covers.end)
    december = (max(in_year[0], date(year, 12, 1)), covers.end)
    events: list[Any] = []
    for kind, subject in subjects:
        daily, year_end = d.number(0, 3), d.number(0, 1)
        for part, window in [(_PARTS[0], in_year)] * daily + [(_PARTS[1], december)] * year_end:
            events.append(Assessment(id="E0", date=d.day(window), subject_kind=kind, subject=subject,
                                     part=part, score=_score(d)))
    for unit in unit_list:
        if d.number(0, 1):
            events.append(TwoWayReview(id="E0", date=december[0], year=year, unit=unit.id,
                                       community=unit.community, score_of_unit=_score(d),
                                       score_of_community=_score(d)))
    return events


def neighbourhoods(*, communities: Size = (1, 7), units: Size = (0, 30), members: Size = (0, 12)) -> SearchStrategy[Dataset]:
    """Datasets for balancing (B1): ``communities`` with some neighbours each (listed on one side
    or both), ``units`` spread unevenly over them, and in-service ``members`` of those units
    living in any community. No events: the assignment of units has no dates."""
    sizes = tuple(_bounds(s, n) for s, n in ((communities, "communities"), (units, "units"), (members, "members")))
    if sizes[0][0] < 1:
        raise ValueError("a dataset needs at least one community")
    return _strategy(_neighbourhood, *sizes)


def _neighbourhood(d: _Draw, communities: tuple[int, int], units: tuple[int, int], members: tuple[int, int]) -> Dataset:
    c_ids = [f"C{n + 1}" for n in range(d.number(*communities))]
    places = [_community(d, c, n).model_copy(update={"neighbours": _neighbours(d, c, c_ids)})
              for n, c in enumerate(c_ids)]
    # crowding: each unit joins one of the first communities more often than the last ones
    unit_list = [
        ResidentUnit(id=f"U{n + 1:02d}", name=f"同江市{_UNITS[n % len(_UNITS)]}",
                     community=c_ids[min(d.number(0, len(c_ids) - 1), d.number(0, len(c_ids) - 1))],
                     kind=d.pick(_UNIT_KINDS))
        for n in range(d.number(*units))
    ]
    member_list = [
        Member(id=f"M{n + 1:02d}", name=_PEOPLE[n % len(_PEOPLE)], residence_community=d.pick(c_ids),
               unit=d.pick(unit_list).id)
        for n in range(d.number(*members) if unit_list else 0)
    ]
    return Dataset(name="hypothesis", covers=Coverage(start=date(2024, 1, 1), end=date(2024, 12, 31)),
                   communities=tuple(places), units=tuple(unit_list), members=tuple(member_list))
