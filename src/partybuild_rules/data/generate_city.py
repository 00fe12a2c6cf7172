"""The city's structure, block by block: the covered window, ids, communities with their grids and
neighbours, resident units, in-service members and the months they take part in, staff and their
holdings, and the inspection groups.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Sequence

from .generate_design import (
    ABSENCE_DESIGN, BRANDS, CITIES, COMMITTEE_MEMBERS, COMMUNITIES, COMMUNITY_NAMES,
    COMMUNITY_WORKERS, ENTERPRISES, FIRST_OF_YEAR, GIVEN, GOVERNMENT, GRID_LEADERS, GRIDS, GROUPS,
    IN_SERVICE, INSTITUTIONS, LATE_JOINERS, OTHER_UNITS, PREMISES_M2, SURNAMES, TRADES, UNIT_KINDS,
    UNITS, WINDOW_MONTHS,
)

# the generator's insides: its entry points are in ``generate``
__all__: list[str] = []

Record = dict[str, Any]


# --- The covered window --------------------------------------------------------------------


@dataclass(frozen=True)
class _Window:
    """The 18 months {year-1}-07 .. {year}-12 that the events cover."""

    year: int

    @property
    def start(self) -> date:
        return date(self.year - 1, 7, 1)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)

    def month(self, index: int) -> tuple[int, int]:
        """(year, month) of a window month index."""
        return (self.year - 1, 7 + index) if index < FIRST_OF_YEAR else (self.year, index - 5)

    def index(self, day: date) -> int:
        return (day.year - self.start.year) * 12 + day.month - 7


@lru_cache(maxsize=None)
def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _day_in(rng: random.Random, year: int, month: int, first: int = 1, last: int = 31) -> date:
    return date(year, month, rng.randint(first, min(last, _last_day(year, month))))


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


# --- Ids -----------------------------------------------------------------------------------


@dataclass
class _Ids:
    """Sequential ids, zero-padded wide enough for the largest count a scale produces."""

    prefix: str
    width: int
    issued: int = 0

    def next(self) -> str:
        self.issued += 1
        return f"{self.prefix}{self.issued:0{self.width}d}"


def _width(minimum: int, largest: int) -> int:
    return max(minimum, len(str(largest)))


# --- Internal state of one block -----------------------------------------------------------


@dataclass
class _Person:
    """An in-service member and the months (window indices) in which they take part."""

    record: Record
    present: list[bool]
    unit_community: str
    decoy: bool = False
    joined: date = date.min  # the report-in date, kept parsed because activities check it often


@dataclass
class _Block:
    city: str
    short: str
    communities: list[Record] = field(default_factory=list)
    grids: dict[str, list[str]] = field(default_factory=dict)  # community -> grid ids
    grid_records: list[Record] = field(default_factory=list)
    units: list[Record] = field(default_factory=list)
    people: list[_Person] = field(default_factory=list)
    staff: list[Record] = field(default_factory=list)
    groups: list[Record] = field(default_factory=list)

    def units_of(self, community: str) -> list[Record]:
        return [unit for unit in self.units if unit["community"] == community]

    def staff_of(self, community: str) -> list[Record]:
        return [person for person in self.staff if person["residence_community"] == community]


@dataclass
class _Counters:
    community: _Ids
    grid: _Ids
    unit: _Ids
    member: _Ids
    group: _Ids
    finding: _Ids
    item: _Ids


def _counters(scale: int) -> _Counters:
    members = (IN_SERVICE + GRID_LEADERS + COMMITTEE_MEMBERS + COMMUNITY_WORKERS + COMMUNITIES) * scale
    return _Counters(
        community=_Ids("C", _width(2, COMMUNITIES * scale)),
        grid=_Ids("G", _width(3, GRIDS * scale)),
        unit=_Ids("U", _width(4, UNITS * scale)),
        member=_Ids("M", _width(5, members)),
        group=_Ids("IG", 1),
        finding=_Ids("F", _width(5, UNITS * scale * 3)),
        item=_Ids("A", _width(4, COMMUNITIES * scale * 20)),
    )


# --- Names ---------------------------------------------------------------------------------


def _person_name(rng: random.Random) -> str:
    # the ten commonest surnames cover about half the population
    surname = SURNAMES[rng.randrange(10)] if rng.random() < 0.5 else rng.choice(SURNAMES)
    given = rng.choice(GIVEN) if rng.random() < 0.4 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return surname + given


def _city(block: int) -> tuple[str, str]:
    city, short = CITIES[block % len(CITIES)]
    rounds = block // len(CITIES)
    return (city, short) if rounds == 0 else (f"{city}{rounds + 1}区", f"{short}{rounds + 1}区")


def _community_name(number: int) -> str:
    stem = COMMUNITY_NAMES[number % len(COMMUNITY_NAMES)]
    rounds = number // len(COMMUNITY_NAMES)
    return f"{stem}社区" if rounds == 0 else f"{stem}{rounds + 1}社区"


def _unit_names(rng: random.Random, kind: str, count: int, city: str, short: str) -> list[str]:
    if kind == "new_economic_social":
        names: dict[str, None] = {}
        while len(names) < count:
            names[f"{city}{rng.choice(BRANDS)}{rng.choice(TRADES)}有限公司"] = None
        return list(names)
    pool = {"party_government": GOVERNMENT, "public_institution": INSTITUTIONS,
            "enterprise": ENTERPRISES, "other": OTHER_UNITS}[kind]
    return [template.format(c=city, s=short) for template in rng.sample(pool, count)]


# --- Splitting counts ----------------------------------------------------------------------


def _spread(rng: random.Random, total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` counts that differ by at most one, the larger ones at random."""
    base, extra = divmod(total, parts)
    larger = set(rng.sample(range(parts), extra))
    return [base + (1 if part in larger else 0) for part in range(parts)]


def _apportion(total: int, weights: Sequence[float], floor: int) -> list[int]:
    """``total`` split in proportion to ``weights``, each at least ``floor`` (largest remainders)."""
    rest = total - floor * len(weights)
    whole = sum(weights)
    shares = [rest * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: rest - sum(counts)]:
        counts[i] += 1
    return [floor + count for count in counts]


# --- Records -------------------------------------------------------------------------------


def _communities(rng: random.Random, ids: _Counters, block: int) -> list[Record]:
    areas = _apportion(PREMISES_M2, [rng.uniform(0.6, 1.6) for _ in range(COMMUNITIES)], 500)
    return [
        {"id": ids.community.next(), "name": _community_name(block * COMMUNITIES + i),
         "liaison": _person_name(rng), "area_m2": areas[i]}
        for i in range(COMMUNITIES)
    ]


def _neighbours(rng: random.Random, communities: list[Record]) -> None:
    """Give each community of a block 2 or 3 neighbours (相邻社区), listed on both sides: a ring
    in a random order, and a few chords across it."""
    ring = [c["id"] for c in communities]
    rng.shuffle(ring)
    near: dict[str, set[str]] = {place: set() for place in ring}
    for n, place in enumerate(ring):
        other = ring[(n + 1) % len(ring)]
        if other != place:
            near[place].add(other)
            near[other].add(place)
    for _ in range(len(ring) // 4):
        free = [place for place in ring if len(near[place]) < 3]
        pairs = [(a, b) for i, a in enumerate(free) for b in free[i + 1:] if b not in near[a]]
        if not pairs:
            break
        a, b = rng.choice(pairs)
        near[a].add(b)
        near[b].add(a)
    for community in communities:
        community["neighbours"] = sorted(near[community["id"]])


def _grids(rng: random.Random, ids: _Counters, communities: list[Record]) -> dict[str, list[Record]]:
    counts = _spread(rng, GRIDS, len(communities))
    return {
        community["id"]: [
            {"id": ids.grid.next(), "name": f"{community['name']}第{n}网格", "community": community["id"]}
            for n in range(1, count + 1)
        ]
        for community, count in zip(communities, counts)
    }


def _units(rng: random.Random, ids: _Counters, block: _Block) -> list[Record]:
    # uneven on purpose: B1 balancing needs communities with fewer resident units
    per_community = _apportion(UNITS, [rng.uniform(0.5, 1.6) for _ in block.communities], 8)
    homes = [c["id"] for c, n in zip(block.communities, per_community) for _ in range(n)]
    rng.shuffle(homes)
    kinds = [kind for kind, count in UNIT_KINDS for _ in range(count)]
    names = [name for kind, count in UNIT_KINDS
             for name in _unit_names(rng, kind, count, block.city, block.short)]
    units = [
        {"id": "", "name": name, "community": home, "kind": kind, "leader": _person_name(rng)}
        for name, home, kind in zip(names, homes, kinds)
    ]
    units.sort(key=lambda unit: unit["community"])  # stable: ids grow community by community
    for unit in units:
        unit["id"] = ids.unit.next()
    return units


def _present_months(rng: random.Random, first: int) -> list[bool]:
    """Months an ordinary member takes part in; absences never run past 3 months."""
    absence = rng.choice((0.06, 0.06, 0.06, 0.1, 0.15, 0.25))
    present = [False] * WINDOW_MONTHS
    run = 0
    for month in range(first, WINDOW_MONTHS):
        absent = rng.random() < absence and run < 3
        present[month] = not absent
        run = run + 1 if absent else 0
    return present


def _designed_months(spans: tuple[tuple[int, int], ...], first: int) -> list[bool]:
    absent = {month for low, high in spans for month in range(low, high + 1)}
    return [first <= month and month not in absent for month in range(WINDOW_MONTHS)]


def _report_in_before(rng: random.Random, window: _Window) -> date:
    return _day_between(rng, date(window.year - 6, 3, 1), window.start - timedelta(days=1))


def _report_in_at(window: _Window, month: int, day: int) -> date:
    year, number = window.month(month)
    return date(year, number, day or _last_day(year, number))


def _people(rng: random.Random, ids: _Counters, block: _Block, window: _Window) -> list[_Person]:
    weights = [
        {"party_government": 1.4, "public_institution": 1.3, "enterprise": 1.0,
         "new_economic_social": 0.4, "other": 0.5}[unit["kind"]] * rng.uniform(0.5, 1.5)
        for unit in block.units
    ]
    per_unit = _apportion(IN_SERVICE, weights, 2)
    community_ids = [c["id"] for c in block.communities]
    people: list[_Person] = []
    for unit, count in zip(block.units, per_unit):
        for _ in range(count):
            home = unit["community"] if rng.random() < 0.6 else rng.choice(community_ids)
            record: Record = {
                "id": ids.member.next(), "name": _person_name(rng), "residence_community": home,
                "unit": unit["id"], "grid": rng.choice(block.grids[home]), "in_service": True,
                "five_star": rng.random() < 0.4, "reported_in": None, "roles": [],
            }
            people.append(_Person(record, [], unit["community"]))
    _plan_participation(rng, people, window)
    return people


def _plan_participation(rng: random.Random, people: list[_Person], window: _Window) -> None:
    """Report-in dates and monthly presence: designed streaks, then late joiners, then the rest."""
    order = rng.sample(range(len(people)), len(people))
    cursor = 0
    for count, spans, report_in, decoy in ABSENCE_DESIGN:
        for person in (people[i] for i in order[cursor: cursor + count]):
            reported = (_report_in_at(window, *report_in) if report_in
                        else _report_in_before(rng, window))
            person.record["reported_in"] = reported.isoformat()
            person.joined = reported
            person.present = _designed_months(spans, window.index(reported) if report_in else 0)
            person.decoy = decoy
        cursor += count
    for position, i in enumerate(order[cursor:]):
        person = people[i]
        if position < LATE_JOINERS:
            reported = _day_between(rng, window.start, window.end - timedelta(days=20))
            first = window.index(reported)
        else:
            reported, first = _report_in_before(rng, window), 0
        person.record["reported_in"] = reported.isoformat()
        person.joined = reported
        person.present = _present_months(rng, first)


def _holding(role: str, community: str, start: date, end: date | None = None) -> Record:
    return {"role": role, "community": community, "start": start.isoformat(),
            "end": end.isoformat() if end else None}


def _staff_member(ids: _Counters, name: str, community: str, grid: str | None,
                  five_star: bool, roles: list[Record]) -> Record:
    return {"id": ids.member.next(), "name": name, "residence_community": community, "unit": None,
            "grid": grid, "in_service": False, "five_star": five_star, "reported_in": None,
            "roles": roles}


def _staff(rng: random.Random, ids: _Counters, block: _Block, window: _Window) -> list[Record]:
    """Grid leaders, committee members, community workers and secretaries, with a few
    holdings that start or end inside a month of the year (pro-rating cases)."""
    year = window.year

    def since() -> date:
        return _day_between(rng, date(year - 7, 1, 1), window.start - timedelta(days=1))

    staff: list[Record] = []
    communities = [c["id"] for c in block.communities]
    leaders = [(c, grid) for c in communities for grid in block.grids[c]]
    special_leaders: list[tuple[date, date | None]] = [
        (date(year, 3, 16), None),  # appointed mid-month
        (since(), date(year, 9, 10)),  # left mid-month
        (date(year, 2, 1), None),  # appointed on the 1st: a whole month
    ]
    picks = rng.sample(range(len(leaders)), len(special_leaders))
    for n, (community, grid) in enumerate(leaders):
        start, end = special_leaders[picks.index(n)] if n in picks else (since(), None)
        staff.append(_staff_member(ids, _person_name(rng), community, grid, rng.random() < 0.3,
                                   [_holding("grid_leader", community, start, end)]))

    committee_homes = [c for c, n in zip(communities, _spread(rng, COMMITTEE_MEMBERS, COMMUNITIES))
                       for _ in range(n)]
    special_committee = rng.sample(range(COMMITTEE_MEMBERS), 4)
    for n, community in enumerate(committee_homes):
        roles = [_holding("committee_member", community, since())]
        if n == special_committee[0]:
            roles = [_holding("committee_member", community, date(year, 3, 16), date(year, 9, 10))]
        elif n == special_committee[1]:
            roles = [_holding("committee_member", community, since(), date(year, 6, 30))]
        elif n == special_committee[2]:  # moved to another community mid-month
            other = rng.choice([c for c in communities if c != community])
            roles = [_holding("committee_member", community, since(), date(year, 4, 12)),
                     _holding("committee_member", other, date(year, 4, 13))]
            community = other
        elif n == special_committee[3]:
            roles = [_holding("committee_member", community, date(year - 1, 11, 20))]
        staff.append(_staff_member(ids, _person_name(rng), community, None, rng.random() < 0.3, roles))

    worker_homes = [c for c, n in zip(communities, _spread(rng, COMMUNITY_WORKERS, COMMUNITIES))
                    for _ in range(n)]
    special_workers = rng.sample(range(COMMUNITY_WORKERS), 2)
    for n, community in enumerate(worker_homes):
        start, end = since(), None
        if n == special_workers[0]:
            start, end = date(year, 7, 15), date(year, 11, 20)
        elif n == special_workers[1]:
            end = date(year, 11, 30)
        staff.append(_staff_member(ids, _person_name(rng), community, None, rng.random() < 0.3,
                                   [_holding("community_worker", community, start, end)]))

    for community in communities:  # 一肩挑: one secretary per community
        staff.append(_staff_member(ids, _person_name(rng), community, None, True,
                                   [_holding("party_secretary", community, since())]))
    return staff


def _groups(ids: _Counters, block: _Block) -> list[Record]:
    numbers = "一二三四五六七八九十"
    return [{"id": ids.group.next(), "name": f"{block.city}第{numbers[n % 10]}巡回督查组"
             + (f"（{n // 10 + 1}）" if n >= 10 else "")} for n in range(GROUPS)]


def _block(rng: random.Random, ids: _Counters, number: int, window: _Window) -> _Block:
    city, short = _city(number)
    block = _Block(city, short)
    block.communities = _communities(rng, ids, number)
    grids = _grids(rng, ids, block.communities)
    block.grids = {c: [grid["id"] for grid in records] for c, records in grids.items()}
    block.units = _units(rng, ids, block)
    block.people = _people(rng, ids, block, window)
    block.staff = _staff(rng, ids, block, window)
    block.groups = _groups(ids, block)
    block.grid_records = [grid for records in grids.values() for grid in records]
    return block
