"""The events of one block over the 18 covered months: unit reports, members reporting in,
activities, joint meetings, inspections and their findings, rectifications, assessments and
two-way reviews, with the designed misses among them; and the numbering of all events at the end.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from .generate_city import (
    Record, _Block, _Counters, _day_between, _day_in, _last_day, _Person, _Window, _width,
)
from .generate_design import (
    AGREED_ITEMS, COLLECTIVES, FINDINGS, FIRST_OF_YEAR, GROUPS, HALVES_WITHOUT_MEETING, LESSONS,
    MISSED_INSPECTIONS, OVERDUE_FINDINGS_PRIOR_YEAR, OVERDUE_FINDINGS_THIS_YEAR,
    QUARTERS_WITHOUT_COLLECTIVE, STAFF_MEETINGS, THEME_DAYS, UNITS_MISSING_REPORTS,
    VOLUNTEERING_ALL_YEAR, VOLUNTEERING_SUMMER, VOLUNTEERING_WINTER, WINDOW_MONTHS,
)
from .generate_scores import _scores, _subjects, _tenths, _Tiers

# the generator's insides: its entry points are in ``generate``
__all__: list[str] = []

# --- Events --------------------------------------------------------------------------------

EVENT_ORDER = ("unit_report", "member_report_in", "activity", "joint_meeting", "inspection",
               "rectification", "assessment", "two_way_review")


def _event(event_type: str, day: date, **fields: Any) -> Record:
    return {"id": "", "date": day.isoformat(), "type": event_type, **fields}


def _unit_reports(rng: random.Random, block: _Block, window: _Window) -> list[Record]:
    units = block.units
    skipping = rng.sample(range(len(units)), UNITS_MISSING_REPORTS + 3 + 2)
    missed: dict[str, list[int]] = {}
    for n in skipping[:UNITS_MISSING_REPORTS]:
        missed[units[n]["id"]] = rng.sample(range(FIRST_OF_YEAR, WINDOW_MONTHS), rng.randint(1, 3))
    # misses in the prior year must yield no finding in the year itself
    for n in skipping[UNITS_MISSING_REPORTS: UNITS_MISSING_REPORTS + 3]:
        missed[units[n]["id"]] = [rng.randrange(FIRST_OF_YEAR)]
    twice = {units[n]["id"]: rng.randrange(WINDOW_MONTHS) for n in skipping[-2:]}
    events: list[Record] = []
    for unit in units:
        for month in range(WINDOW_MONTHS):
            if month in missed.get(unit["id"], ()):
                continue
            year, number = window.month(month)
            reports = 2 if twice.get(unit["id"]) == month else 1
            for _ in range(reports):
                events.append(_event("unit_report", _day_in(rng, year, number), unit=unit["id"],
                                     community=unit["community"]))
    return events


def _member_reports_in(block: _Block, window: _Window) -> list[Record]:
    return [
        _event("member_report_in", p.joined, member=p.record["id"],
               community=p.record["residence_community"])
        for p in block.people
        if p.joined >= window.start
    ]


def _volunteer_titles(month: int) -> tuple[str, ...]:
    seasonal = VOLUNTEERING_WINTER if month in (11, 12, 1, 2, 3) else (
        VOLUNTEERING_SUMMER if month in (6, 7, 8) else ())
    return seasonal + VOLUNTEERING_ALL_YEAR


def _activity(day: date, community: str, kind: str, title: str, people: list[_Person],
              staff: list[Record], co_building: bool = True) -> Record:
    participants = sorted([p.record["id"] for p in people] + [s["id"] for s in staff])
    units = sorted({p.record["unit"] for p in people})
    return {"id": "", "date": day.isoformat(), "type": "activity", "community": community,
            "kind": kind, "co_building": co_building, "title": title, "units": units,
            "participants": participants}


def _gathering(rng: random.Random, pool: list[_Person], day: date, share: float) -> list[_Person]:
    """Members of the month's pool who come to a gathering held on ``day`` (reported in by then)."""
    return [p for p in pool if rng.random() < share and p.joined <= day]


def _volunteering(rng: random.Random, community: str, year: int, month: int,
                  slots: list[_Person]) -> list[Record]:
    """Small teams (often one person) logging volunteer service: most activity records.

    This makes four in five of all events, so it draws with ``rng.random()`` directly rather
    than through ``randint``/``choice``, and builds records without the general helpers.
    """
    rng.shuffle(slots)
    days = [date(year, month, n) for n in range(1, _last_day(year, month) + 1)]
    isos = [day.isoformat() for day in days]
    titles = _volunteer_titles(month)
    draw = rng.random
    events: list[Record] = []
    start = 0
    while start < len(slots):
        end = start + _team_size(draw())
        team = slots[start:end]
        start = end
        if len(team) == 1:  # most records are one person's: skip the general path
            ids, units, joined = [team[0].record["id"]], [team[0].record["unit"]], team[0].joined
        else:  # a member holding two slots may land twice in one team: count them once
            members = {p.record["id"]: p for p in team}
            ids, joined = sorted(members), max(p.joined for p in team)
            units = sorted({p.record["unit"] for p in team})
        n = int(draw() * len(days))
        events.append({
            "id": "", "date": isos[n] if days[n] >= joined else joined.isoformat(), "type": "activity",
            "community": community, "kind": "volunteer", "co_building": True,
            "title": titles[int(draw() * len(titles))], "units": units, "participants": ids,
        })
    return events


def _team_size(draw: float) -> int:
    """60% alone, 24% in pairs, 10% threes, 6% fours, for a uniform ``draw`` in [0, 1)."""
    return 1 if draw < 0.6 else 2 if draw < 0.84 else 3 if draw < 0.94 else 4


def _venues(rng: random.Random, block: _Block) -> dict[tuple[str, int], list[_Person]]:
    """Who takes part where each month: mostly where they live, sometimes at their unit's community."""
    pools: dict[tuple[str, int], list[_Person]] = {
        (c["id"], month): [] for c in block.communities for month in range(WINDOW_MONTHS)
    }
    for person in block.people:
        home = person.record["residence_community"]
        for month, present in enumerate(person.present):
            if present:
                venue = home if rng.random() < 0.7 else person.unit_community
                pools[(venue, month)].append(person)
    return pools


def _collective_months(rng: random.Random, block: _Block) -> dict[tuple[str, int], int]:
    """Collective activities per (community, window month); two quarters of the year get none."""
    quarters = [(c["id"], q) for c in block.communities for q in range(WINDOW_MONTHS // 3)]
    in_year = [cq for cq in quarters if cq[1] >= FIRST_OF_YEAR // 3]
    skipped = rng.sample(in_year, QUARTERS_WITHOUT_COLLECTIVE)
    plan: dict[tuple[str, int], int] = {}
    for community, quarter in quarters:
        if (community, quarter) in skipped:
            continue
        month = quarter * 3 + rng.randrange(3)
        plan[(community, month)] = 2 if rng.random() < 0.1 else 1
    return plan


def _activities(rng: random.Random, block: _Block, window: _Window) -> list[Record]:
    pools = _venues(rng, block)
    collectives = _collective_months(rng, block)
    decoys = [person for person in block.people if person.decoy]
    events: list[Record] = []
    for community in block.communities:
        staff = block.staff_of(community["id"])
        theme_day = rng.randint(5, 25)  # each branch keeps its own 主题党日 date
        for month in range(WINDOW_MONTHS):
            year, number = window.month(month)
            plan = _gatherings(rng, community, month, date(year, number, theme_day),
                               collectives.get((community["id"], month), 0))
            events.extend(_community_month(rng, community["id"], plan, pools[(community["id"], month)],
                                           staff, year, number))
            events.append(_staff_meeting(rng, decoys, community["id"], staff, month, year, number))
    return events


def _gatherings(rng: random.Random, community: Record, month: int, theme_day: date,
                collectives: int) -> list[tuple[str, str, date, float]]:
    """(kind, title, date, share of the month's members who come) of a month's gatherings."""
    year, number = theme_day.year, theme_day.month
    plan = [("theme_day", rng.choice(THEME_DAYS), theme_day, 0.45)]
    if month % 3 == 0:  # a Party lesson a quarter, the liaison's own every half year
        title = f"市委常委{community['liaison']}讲党课" if month % 6 == 0 else rng.choice(LESSONS)
        plan.append(("party_lesson", title, _day_in(rng, year, number), 0.25))
    plan.extend(("collective", rng.choice(COLLECTIVES), _day_in(rng, year, number), 0.4)
                for _ in range(collectives))
    return plan


def _community_month(rng: random.Random, community: str, plan: list[tuple[str, str, date, float]],
                     pool: list[_Person], staff: list[Record], year: int, month: int) -> list[Record]:
    """A community's 联学共建 activities of one month: every member of ``pool`` takes part in one."""
    events: list[Record] = []
    attended: set[str] = set()
    for kind, title, day, share in plan:
        came = _gathering(rng, pool, day, share)
        attended.update(p.record["id"] for p in came)
        helpers = [s for s in staff if rng.random() < 0.4]
        events.append(_activity(day, community, kind, title, came, helpers))
    slots = [p for p in pool for _ in range(_volunteer_slots(rng.random(), p.record["id"] in attended))]
    events.extend(_volunteering(rng, community, year, month, slots))
    return events


def _volunteer_slots(draw: float, attended: bool) -> int:
    """Volunteer records a present member logs in a month; at least one if no gathering was attended."""
    if attended:
        return 1 if draw < 0.75 else 0
    return 2 if draw < 0.5 else 1


def _staff_meeting(rng: random.Random, decoys: list[_Person], community: str, staff: list[Record],
                   month: int, year: int, number: int) -> Record:
    """A meeting that is not 联学共建; decoy members sit in it while on an absence streak."""
    absent = [p for p in decoys
              if not p.present[month] and p.record["residence_community"] == community]
    return _activity(_day_in(rng, year, number), community, "other", rng.choice(STAFF_MEETINGS),
                     absent, staff, co_building=False)


def _joint_meetings(rng: random.Random, ids: _Counters, block: _Block, window: _Window) -> list[Record]:
    halves = [(c["id"], h) for c in block.communities for h in range(WINDOW_MONTHS // 6)]
    skipped = rng.sample([ch for ch in halves if ch[1] >= 1], HALVES_WITHOUT_MEETING)
    events: list[Record] = []
    for community, half in halves:
        if (community, half) in skipped:
            continue
        first = date(*window.month(half * 6), 1)
        last_year, last_month = window.month(half * 6 + 5)
        last = date(last_year, last_month, _last_day(last_year, last_month))
        for _ in range(2 if rng.random() < 0.25 else 1):
            day = _day_between(rng, first, last)
            units = sorted(u["id"] for u in block.units_of(community) if rng.random() < 0.85)
            items = [_agreed_item(rng, ids, day, window) for _ in range(rng.randint(1, 3))]
            events.append(_event("joint_meeting", day, community=community, units=units, items=items))
    return events


def _agreed_item(rng: random.Random, ids: _Counters, day: date, window: _Window) -> Record:
    due = day + timedelta(days=rng.randint(30, 90))
    closed: date | None = None
    if rng.random() < 0.65:  # some closed late, the rest still open
        grace = 20 if rng.random() < 0.15 else 0
        closed = day + timedelta(days=rng.randint(10, (due - day).days + grace))
    if closed is not None and closed > window.end:
        closed = None
    return {"id": ids.item.next(), "title": rng.choice(AGREED_ITEMS), "due": due.isoformat(),
            "closed": closed.isoformat() if closed else None}


def _inspections(rng: random.Random, ids: _Counters, block: _Block, window: _Window) -> list[Record]:
    """Every unit and branch once a quarter by a rotating group, a few misses in the year."""
    subjects = _subjects(block)
    quarters = range(WINDOW_MONTHS // 3)
    in_year = [(s, q) for s in range(len(subjects)) for q in quarters if q >= FIRST_OF_YEAR // 3]
    # at least one branch among the misses, so C4 has a community finding too
    missed = rng.sample(in_year[: -len(block.communities) * 4], MISSED_INSPECTIONS - 1)
    missed.append(rng.choice(in_year[-len(block.communities) * 4:]))
    events: list[Record] = []
    for quarter in quarters:
        first = date(*window.month(quarter * 3), 1)
        last_year, last_month = window.month(quarter * 3 + 2)
        last = date(last_year, last_month, _last_day(last_year, last_month))
        for n, (kind, subject) in enumerate(subjects):
            if (n, quarter) in missed:
                continue
            day = _day_between(rng, first, last)
            found = rng.choice((1, 1, 2)) if rng.random() < 0.2 else 0
            findings = [_finding(rng, day) for _ in range(found)]
            events.append(_event("inspection", day, group=block.groups[(n + quarter) % GROUPS]["id"],
                                 subject_kind=kind, subject=subject, findings=findings))
    events.sort(key=lambda event: event["date"])
    for finding in (f for event in events for f in event["findings"]):
        finding["id"] = ids.finding.next()
    return events


def _finding(rng: random.Random, day: date) -> Record:
    return {"id": "", "description": rng.choice(FINDINGS),
            "deadline": (day + timedelta(days=rng.randint(30, 60))).isoformat()}


def _rectifications(rng: random.Random, inspections: list[Record], window: _Window) -> list[Record]:
    """Most findings closed by their deadline; a chosen few late or never (R7)."""
    found = [(date.fromisoformat(e["date"]), f) for e in inspections for f in e["findings"]]
    # overdue ones need a deadline before the window's end, so that lateness can be seen
    due_in = {
        year: [n for n, (_, f) in enumerate(found)
               if f["deadline"].startswith(str(year)) and f["deadline"] < window.end.isoformat()]
        for year in (window.year - 1, window.year)
    }
    overdue = set(_some(rng, due_in[window.year - 1], OVERDUE_FINDINGS_PRIOR_YEAR))
    overdue |= set(_some(rng, due_in[window.year], OVERDUE_FINDINGS_THIS_YEAR))
    events: list[Record] = []
    for n, (found_on, finding) in enumerate(found):
        deadline = date.fromisoformat(finding["deadline"])
        earliest = found_on + timedelta(days=3)
        if n in overdue:
            if rng.random() < 0.5:
                late = deadline + timedelta(days=rng.randint(1, min(45, (window.end - deadline).days)))
                events.append(_event("rectification", late, finding=finding["id"]))
        elif deadline <= window.end:
            day = deadline if rng.random() < 0.1 else _day_between(rng, earliest, deadline)
            events.append(_event("rectification", day, finding=finding["id"]))
        elif rng.random() < 0.5 and earliest <= window.end:  # due after the window: not overdue
            day = _day_between(rng, earliest, window.end)
            events.append(_event("rectification", day, finding=finding["id"]))
    return events


def _some(rng: random.Random, population: list[int], count: int) -> list[int]:
    return rng.sample(population, min(count, len(population)))


def _assessments(rng: random.Random, block: _Block, tiers: _Tiers, year: int) -> list[Record]:
    subjects = _subjects(block)
    quarter_ends = (3, 6, 9, 12)
    events: list[Record] = []
    for kind, subject in subjects:
        daily, year_end = _scores(rng, tiers.target[subject], tiers.exact.get(subject))
        for month, score in zip(quarter_ends, daily):
            day = _day_in(rng, year, month, 10 if month == 12 else 20, 20 if month == 12 else 31)
            events.append(_event("assessment", day, subject_kind=kind, subject=subject,
                                 part="daily", score=str(score)))
        events.append(_event("assessment", _day_in(rng, year, 12, 21), subject_kind=kind,
                             subject=subject, part="year_end", score=str(year_end)))
    return events


def _two_way_reviews(rng: random.Random, block: _Block, year: int) -> list[Record]:
    return [
        _event("two_way_review", _day_in(rng, year, 12, 15), year=year, unit=unit["id"],
               community=unit["community"], score_of_unit=str(_tenths(rng, 880, 100)),
               score_of_community=str(_tenths(rng, 900, 80)))
        for unit in block.units
    ]


def _block_events(rng: random.Random, ids: _Counters, block: _Block, tiers: _Tiers,
                  window: _Window) -> list[Record]:
    inspections = _inspections(rng, ids, block, window)
    return [
        *_unit_reports(rng, block, window),
        *_member_reports_in(block, window),
        *_activities(rng, block, window),
        *_joint_meetings(rng, ids, block, window),
        *inspections,
        *_rectifications(rng, inspections, window),
        *_assessments(rng, block, tiers, window.year),
        *_two_way_reviews(rng, block, window.year),
    ]


def _numbered(events: list[Record]) -> list[Record]:
    """Events in date order (type order within a day, stable), numbered E000001.. in that order."""
    rank = {kind: str(n) for n, kind in enumerate(EVENT_ORDER)}
    events.sort(key=lambda event: event["date"] + rank[event["type"]])
    width = _width(6, len(events))
    for n, event in enumerate(events, 1):
        event["id"] = "E" + str(n).zfill(width)
    return events
