"""One strategy for every record and event of the domain, each over a builder (drawing through a
:class:`~partybuild_rules.testing._draw._Draw`) that :func:`~partybuild_rules.testing.datasets`
shares, and the names and kinds they draw from."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, Mapping, Sequence

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..domain.model import (
    PackEvent,
    Activity,
    ActivityKind,
    AgreedItem,
    Assessment,
    Community,
    Coverage,
    Finding,
    Grid,
    Inspection,
    InspectionGroup,
    JointMeeting,
    Member,
    MemberReportIn,
    Rating,
    Rectification,
    ResidentUnit,
    Role,
    RoleHolding,
    SubjectKind,
    TwoWayReview,
    UnitKind,
    UnitReport,
)
from ._draw import Size, Window, _bounds, _Draw, _month_start, _offset, _score, _span, _strategy


DEFAULT_TIERS = ("好", "较好", "一般", "差")
"""The common rating scheme (domain E1), used when a pack has no rating rule."""

Organisation = Literal[SubjectKind.UNIT, SubjectKind.COMMUNITY]
"""The subject kinds that are rated, inspected and scored."""

_PLACES = ("东江", "西江", "三江", "临江", "兴华", "新华", "胜利", "和平", "街津", "滨江")
_PEOPLE = ("王丽", "李明", "张伟", "刘芳", "陈静", "杨洋", "赵磊", "黄敏", "周杰", "吴霞")
_UNITS = ("财政局", "税务局", "人民医院", "第一中学", "农商银行", "供电公司", "物流公司", "商会")
_PROBLEMS = ("台账不全", "活动未开展", "整改不到位")
_ROLES = tuple(Role)
_ORGANISATIONS: tuple[Organisation, ...] = (SubjectKind.UNIT, SubjectKind.COMMUNITY)
_PARTS: tuple[Literal["daily"], Literal["year_end"]] = ("daily", "year_end")
_KINDS = tuple(ActivityKind)
_UNIT_KINDS = tuple(UnitKind)


# ---------------------------------------------------------------------------------------------
# records: one builder each, shared by the public strategies and by ``datasets``


def _coverage(d: _Draw, year: int, months: tuple[int, int]) -> Coverage:
    count = d.number(max(1, months[0]), max(1, months[1]))
    mid_month, day, ends_early, end_day = d.digits(2, 27, 4, 30)
    first = _month_start(year, 12, -(count - 1))
    # one in four ends inside December, so that the last month is only partly known
    end = date(year, 12, 1 + end_day) if ends_early == 3 else date(year, 12, 31)
    start = first.replace(day=2 + day if mid_month else 1)
    return Coverage(start=min(start, end), end=end)


def _community(d: _Draw, id: str, number: int = 0) -> Community:
    place, liaison, area = d.digits(len(_PLACES), len(_PEOPLE) + 1, 2)
    return Community(
        id=id, name=f"{_PLACES[(place + number) % len(_PLACES)]}社区", liaison=_PEOPLE[liaison - 1] if liaison else None,
        area_m2=Decimal(1000 + 10 * place) if area else None,
    )


def _grid(d: _Draw, id: str, communities: Sequence[str]) -> Grid:
    place, number = d.digits(len(communities), 30)
    return Grid(id=id, name=f"第{number + 1}网格", community=communities[place])


def _resident_unit(
    d: _Draw, id: str, communities: Sequence[str], kinds: Sequence[UnitKind], number: int = 0
) -> ResidentUnit:
    place, kind = d.number(0, len(communities) - 1), d.number(0, len(kinds) - 1)
    name, leader = d.digits(len(_UNITS), len(_PEOPLE) + 1)
    return ResidentUnit(
        id=id, name=f"同江市{_UNITS[(name + number) % len(_UNITS)]}", community=communities[place], kind=kinds[kind],
        leader=_PEOPLE[leader - 1] if leader else None,
    )


def _role_holding(d: _Draw, role: Role, communities: Sequence[str], within: Coverage) -> RoleHolding:
    """From before the covered dates or a day inside them, to no end or a day inside (or just
    after) them: roles that start or end mid-month are pro-rated."""
    span = (within.start, within.end)
    place, late_start, ends = d.number(0, len(communities) - 1), d.number(0, 1), d.number(0, 1)
    start_day, end_day = d.digits(_span(span), _span(span) + 40)
    start = _offset(span, start_day) if late_start else within.start - timedelta(days=400)
    end = max(start, within.start) + timedelta(days=end_day) if ends else None
    return RoleHolding(role=role, community=communities[place], start=start, end=end)


def _member(
    d: _Draw, id: str, communities: Sequence[str], units: Sequence[str], grids: Sequence[str],
    within: Coverage, roles: int, number: int = 0,
) -> Member:
    span = (within.start, within.end)
    place, service, unit = d.number(0, len(communities) - 1), d.number(0, 2), d.number(0, max(0, len(units) - 1))
    report, report_day = d.number(0, 2), d.number(0, _span(span) - 1)
    grid, star, name = d.digits(len(grids) + 1, 2, len(_PEOPLE))
    in_service = bool(units) and service < 2
    reported_in = [within.start - timedelta(days=700), _offset(span, report_day), None][report]
    held = [role for role, kept in zip(_ROLES, d.mask(len(_ROLES))) if kept][:roles]
    return Member(
        id=id, name=_PEOPLE[(name + number) % len(_PEOPLE)], residence_community=communities[place],
        unit=units[unit] if in_service else None, grid=grids[grid - 1] if grid else None,
        in_service=in_service, five_star=bool(star), reported_in=reported_in,
        roles=tuple(_role_holding(d, role, communities, within) for role in held),
    )


def _inspection_group(d: _Draw, id: str) -> InspectionGroup:
    return InspectionGroup(id=id, name=f"第{'一二三四五六'[d.number(0, 5)]}巡回督查组")


def coverage(*, year: int = 2024, months: Size = (12, 18)) -> SearchStrategy[Coverage]:
    """Covered dates ending in December of ``year`` (on the 31st, or one time in four on an
    earlier day, so that the last month is only partly known) and starting ``months`` months
    earlier, on the first of the month or inside it (so that the first month is only partly known)."""
    return _strategy(_coverage, year, _bounds(months, "months"))


def community(id: str = "C1") -> SearchStrategy[Community]:
    """A community (社区) with a place name, perhaps a liaison and an area."""
    return _strategy(_community, id)


def grid(id: str = "G1", communities: Sequence[str] = ("C1",)) -> SearchStrategy[Grid]:
    """A grid (网格) of one of ``communities``."""
    return _strategy(_grid, id, communities)


def resident_unit(
    id: str = "U1", communities: Sequence[str] = ("C1",), kinds: Sequence[UnitKind] = _UNIT_KINDS
) -> SearchStrategy[ResidentUnit]:
    """A resident unit (驻区单位) of one of ``communities``, of one of ``kinds``."""
    return _strategy(_resident_unit, id, communities, kinds)


def role_holding(
    communities: Sequence[str] = ("C1",), *, within: Coverage, roles: Sequence[Role] = _ROLES
) -> SearchStrategy[RoleHolding]:
    """One of ``roles`` held in one of ``communities``, starting before or inside ``within``."""
    return _strategy(lambda d: _role_holding(d, d.pick(roles), communities, within))


def member(
    id: str = "M1",
    communities: Sequence[str] = ("C1",),
    units: Sequence[str] = (),
    grids: Sequence[str] = (),
    *,
    within: Coverage,
    roles: int = 2,
) -> SearchStrategy[Member]:
    """A Party member residing in one of ``communities``; with ``units``, in service (在职党员)
    two times in three; reported in long before ``within``, inside it, or never; holding up to
    ``roles`` distinct roles."""
    return _strategy(_member, id, communities, units, grids, within, roles)


def rating(
    subject_kind: Organisation, subjects: Sequence[str], years: Sequence[int], tiers: Sequence[str] = DEFAULT_TIERS
) -> SearchStrategy[Rating]:
    """An annual rating (档次) of one of ``subjects`` in one of ``years``."""
    return _strategy(lambda d: Rating(
        subject_kind=subject_kind, subject=d.pick(subjects), year=d.pick(years), tier=d.pick(tiers)
    ))


def inspection_group(id: str = "IG1") -> SearchStrategy[InspectionGroup]:
    """An inspection group (巡回督查组)."""
    return _strategy(_inspection_group, id)


def score() -> SearchStrategy[Decimal]:
    """A score in [0, 100], exact to 0.01, often on or just below a multiple of five (where tier
    bounds usually are)."""
    return _strategy(_score)


# ---------------------------------------------------------------------------------------------
# events


def unit_report(
    units: Sequence[str], *, between: Window, communities: Sequence[str] = (), id: str = "E1"
) -> SearchStrategy[UnitReport]:
    """A unit's monthly report, to its own community or (with ``communities``) to another."""
    return _strategy(lambda d: UnitReport(
        id=id, date=d.day(between), unit=d.pick(units),
        community=d.pick([None, *communities]),
    ))


def member_report_in(
    members: Sequence[str], communities: Sequence[str], *, between: Window, id: str = "E1"
) -> SearchStrategy[MemberReportIn]:
    """A member reporting in to a community (报到)."""
    return _strategy(lambda d: MemberReportIn(
        id=id, date=d.day(between), member=d.pick(members), community=d.pick(communities)
    ))


def _activity(
    d: _Draw, id: str, community: str, window: Window, members: Sequence[str], units: Sequence[str]
) -> Activity:
    kind, outside = d.number(0, len(_KINDS) - 1), d.number(0, 2)
    day, with_units = d.digits(_span(window), 2)
    return Activity(
        id=id, date=_offset(window, day), community=community, kind=_KINDS[kind],
        co_building=outside < 2, units=tuple(units) if with_units else (),
        participants=tuple(d.subset(members)),
    )


def activity(
    communities: Sequence[str],
    *,
    between: Window,
    members: Sequence[str] = (),
    units: Sequence[str] = (),
    id: str = "E1",
) -> SearchStrategy[Activity]:
    """An activity held by a community, 联学共建 two times in three, with some of ``members``
    taking part and perhaps ``units``."""
    return _strategy(lambda d: _activity(d, id, d.pick(communities), between, members, units))


def _joint_meeting(
    d: _Draw, id: str, community: str, window: Window, units: Sequence[str], item_id: str = "I1"
) -> JointMeeting:
    day, with_units, item, due, closed = d.digits(_span(window), 2, 2, 3, 2)
    meeting_day = _offset(window, day)
    items = (AgreedItem(
        id=item_id, title="共建项目", due=[None, meeting_day + timedelta(days=30), meeting_day][due],
        closed=meeting_day + timedelta(days=20) if closed else None,
    ),) if item else ()
    return JointMeeting(id=id, date=meeting_day, community=community,
                        units=tuple(units) if with_units else (), items=items)


def agreed_item(id: str = "I1", *, between: Window) -> SearchStrategy[AgreedItem]:
    """An agreed item (议定事项) of a joint meeting, perhaps due and perhaps closed."""
    return _strategy(lambda d: AgreedItem(
        id=id, title="共建项目", due=d.pick([None, d.day(between)]), closed=d.pick([None, d.day(between)])
    ))


def joint_meeting(
    communities: Sequence[str], *, between: Window, units: Sequence[str] = (), id: str = "E1"
) -> SearchStrategy[JointMeeting]:
    """A joint meeting (共建联席会议) of a community, perhaps with ``units`` and an agreed item."""
    return _strategy(lambda d: _joint_meeting(d, id, d.pick(communities), between, units))


def two_way_review(
    units: Mapping[str, str], *, year: int, between: Window, id: str = "E1"
) -> SearchStrategy[TwoWayReview]:
    """A year-end two-way review (双向评议) between a unit and its community; ``units`` maps each
    unit to its community."""

    def build(d: _Draw) -> TwoWayReview:
        unit = d.pick(sorted(units))
        return TwoWayReview(id=id, date=d.day(between), year=year, unit=unit, community=units[unit],
                            score_of_unit=_score(d), score_of_community=_score(d))

    return _strategy(build)


def finding(id: str = "F1", *, between: Window) -> SearchStrategy[Finding]:
    """An inspection finding due on a day in ``between``."""
    return _strategy(lambda d: Finding(id=id, description=d.pick(_PROBLEMS), deadline=d.day(between)))


def _inspection(
    d: _Draw, id: str, group: str, kind: Organisation, subject: str, window: Window, end: date, first: int = 1
) -> list[Inspection | Rectification]:
    """An inspection in ``window`` with up to two findings (``F{first}``, ...) each due within 90
    days and rectified in time, late or never, inside the covered dates (which end on ``end``);
    the inspection comes first, then its rectifications."""
    inspected = _offset(window, d.number(0, _span(window) - 1))
    findings: list[Finding] = []
    rectifications: list[Rectification] = []
    for number in range(first, first + d.number(0, 2)):
        rectified = d.number(0, 2)
        due, late, problem = d.digits(91, 60, len(_PROBLEMS))
        deadline = inspected + timedelta(days=due)
        findings.append(Finding(id=f"F{number}", description=_PROBLEMS[problem], deadline=deadline))
        on = {1: min(deadline, end, inspected + timedelta(days=late)), 2: deadline + timedelta(days=1 + late)}
        if rectified and on[rectified] <= end:
            rectifications.append(Rectification(id="E0", date=on[rectified], finding=f"F{number}"))
    inspection = Inspection(id=id, date=inspected, group=group, subject_kind=kind, subject=subject,
                            findings=tuple(findings))
    return [inspection, *rectifications]


def inspection(
    groups: Sequence[str], subjects: Mapping[Organisation, Sequence[str]], *, between: Window, id: str = "E1"
) -> SearchStrategy[Inspection]:
    """An inspection of a unit or community, with up to two findings (``F1``, ``F2``) due within
    90 days."""
    kinds = [kind for kind in _ORGANISATIONS if subjects.get(kind)]

    def build(d: _Draw) -> Inspection:
        kind = d.pick(kinds)
        end = between[1] + timedelta(days=90)
        inspected = _inspection(d, id, d.pick(groups), kind, d.pick(subjects[kind]), between, end)[0]
        assert isinstance(inspected, Inspection)
        return inspected

    return _strategy(build)


def rectification(findings: Sequence[str], *, between: Window, id: str = "E1") -> SearchStrategy[Rectification]:
    """A finding rectified and closed (整改销号) on a day in ``between``."""
    return _strategy(lambda d: Rectification(id=id, date=d.day(between), finding=d.pick(findings)))


def pack_event(
    event_type: str, fields: Mapping[str, SearchStrategy[Any]], *, between: Window, id: str = "X1",
) -> SearchStrategy[PackEvent]:
    """An event of a pack-declared type with the given field strategies (plain JSON values)."""
    return st.builds(
        lambda day, values: PackEvent(id=id, date=day, type=event_type, fields=values),
        st.dates(*between), st.fixed_dictionaries(dict(fields)),
    )


def assessment(
    subjects: Mapping[Organisation, Sequence[str]], *, between: Window, id: str = "E1"
) -> SearchStrategy[Assessment]:
    """A daily-record or year-end score (often on a tier bound) of a unit or community."""
    kinds = [kind for kind in _ORGANISATIONS if subjects.get(kind)]

    def build(d: _Draw) -> Assessment:
        kind = d.pick(kinds)
        return Assessment(id=id, date=d.day(between), subject_kind=kind, subject=d.pick(subjects[kind]),
                          part=d.pick(_PARTS), score=_score(d))

    return _strategy(build)
