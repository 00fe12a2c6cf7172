"""A hand-written, fast plain-Python evaluator of the Tongjiang rules, the yardstick of
``bench_scale.py``.

It is written from the rules as ``domain.md`` states them, shares no code with
``partybuild_rules`` and uses only the standard library: a dataset is read with ``json.load`` and
its events are walked once, grouped into dicts and sets keyed by plain strings and integers; the
outcomes are plain tuples. The parameters are the Tongjiang pack's defaults (the report's numbers
and the pack's illustrative values), the same as ``tests/reference.py`` uses.

    from reference_evaluator import load, evaluate
    outcomes = evaluate(load("dataset.json"), 2024)   # [(rule_id, subject, period, amount), ...]

``amount`` is a :class:`~decimal.Decimal` (yuan, quantised to 0.01 half-up) for the allowance
rules (A1-A4) and ``None`` for every other outcome.

The readings where domain.md is silent are those of ``tests/reference.py``: an event counts in the
period its date falls in (a two-way review in its ``year``); a period counts only when it lies
wholly inside the recorded dates, for findings and for money alike; an in-service member's
report-in date is the earliest of ``reported_in`` and their ``member_report_in`` events, and a
member with neither is not subject to R2. The dataset is taken to be valid (as the library's
loader checks): in particular no member is listed twice among one activity's participants.

Run as a script it prints the time taken and the outcome count per rule:

    python benchmarks/reference_evaluator.py dataset.json [--year 2024]
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
import time
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

__all__ = ["DEFAULTS", "Outcome", "evaluate", "load"]

FEN = Decimal("0.01")

DEFAULTS: dict[str, Any] = {
    "absence_months": 6,
    "rectification_days": 30,
    "unit_reports_per_month": 1,
    "joint_meetings_per_half_year": 1,
    "collective_activities_per_quarter": 1,
    "inspections_per_quarter": 1,
    "minimum_income": Decimal("1270.00"),
    "committee_multiplier": Decimal("2.5"),
    "grid_leader_subsidy": Decimal("1270.00"),
    "community_funds": Decimal("100000.00"),
    "new_org_funds": {"好": Decimal("5000.00"), "较好": Decimal("3000.00"),
                      "一般": Decimal("1000.00"), "差": Decimal("0.00")},
    "secretary_subsidy": {"好": Decimal("800.00"), "较好": Decimal("600.00"),
                          "一般": Decimal("400.00"), "差": Decimal("0.00")},
    "daily_weight": Decimal("0.4"),
    "year_end_weight": Decimal("0.6"),
    "rating_tiers": ((Decimal(90), "好"), (Decimal(80), "较好"), (Decimal(60), "一般"), (Decimal(0), "差")),
    "review_tiers": ((Decimal(85), "满意"), (Decimal(60), "基本满意"), (Decimal(0), "不满意")),
    "commend_min_activities": 25,
    "balance_tolerance": Decimal(2),
    "balance_max_moves": 10,
}

#: (rule id, subject id, period, amount or None)
Outcome = tuple[str, str, str, "Decimal | None"]
Record = dict[str, Any]

_QUARTER = {f"{m:02d}": f"Q{(m + 2) // 3}" for m in range(1, 13)}
_HALF = {f"{m:02d}": ("H1" if m <= 6 else "H2") for m in range(1, 13)}


def load(path: str | Path) -> Record:
    """The dataset at ``path`` as plain JSON data."""
    with open(path, encoding="utf-8") as stream:
        data: Record = json.load(stream)
    return data


def _round(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def _tier(score: Decimal, tiers: tuple[tuple[Decimal, str], ...]) -> str:
    for low, name in tiers:
        if score >= low:
            return name
    return tiers[-1][1]


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _known_spans(year: int, months: int, start: str, end: str) -> list[tuple[str, int, int]]:
    """The periods of ``year`` that are ``months`` long and lie wholly inside ``start..end`` (ISO
    dates, compared as text): (label, first month, last month)."""
    spans = []
    for n in range(12 // months):
        first, last = n * months + 1, n * months + months
        if f"{year}-{first:02d}-01" < start or f"{year}-{last:02d}-{_last_day(year, last):02d}" > end:
            continue
        if months == 1:
            label = f"{year}-{first:02d}"
        elif months == 3:
            label = f"{year}-Q{n + 1}"
        elif months == 6:
            label = f"{year}-H{n + 1}"
        else:
            label = str(year)
        spans.append((label, first, last))
    return spans


def evaluate(data: Record, year: int, params: Mapping[str, Any] | None = None) -> list[Outcome]:
    """Every outcome of the Tongjiang rules for ``year`` over ``data`` (plain JSON data)."""
    p = {**DEFAULTS, **(params or {})} if params else DEFAULTS
    ystr = str(year)
    start: str = data["covers"]["start"]
    end: str = data["covers"]["end"]
    units: list[Record] = data.get("units", [])
    communities: list[Record] = data.get("communities", [])
    members: list[Record] = data.get("members", [])
    unit_ids = [u["id"] for u in units]
    community_ids = [c["id"] for c in communities]

    # -- the single pass over the events ------------------------------------------------------
    # member -> the month (year * 12 + month - 1) of each co-building activity taken part in
    present: defaultdict[str, list[int]] = defaultdict(list)
    month_index: dict[str, int] = {}                         # "YYYY-MM" -> year * 12 + month - 1
    reports: Counter[tuple[str, str]] = Counter()            # (unit, "YYYY-MM")
    meetings: Counter[tuple[str, str]] = Counter()           # (community, "YYYY-Hn")
    collective: Counter[tuple[str, str]] = Counter()         # (community, "YYYY-Qn")
    inspected: Counter[tuple[str, str, str]] = Counter()     # (kind, subject, "YYYY-Qn")
    deadlines: list[tuple[str, str, str, str]] = []          # (kind, subject, finding, deadline) in year
    rectified: dict[str, str] = {}                           # finding -> earliest rectification date
    reported_in: dict[str, str] = {}                         # member -> earliest member_report_in date
    parts: defaultdict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
    reviews: defaultdict[tuple[str, str], list[Decimal]] = defaultdict(list)

    for event in data.get("events", ()):
        kind = event["type"]
        day: str = event["date"]
        if kind == "activity":
            if event.get("co_building", True):
                participants = event.get("participants")
                if participants:
                    month = day[:7]
                    index = month_index.get(month)
                    if index is None:
                        index = month_index[month] = int(day[:4]) * 12 + int(day[5:7]) - 1
                    for member in participants:
                        present[member].append(index)
            if event["kind"] == "collective":
                collective[(event["community"], f"{day[:4]}-{_QUARTER[day[5:7]]}")] += 1
        elif kind == "unit_report":
            reports[(event["unit"], day[:7])] += 1
        elif kind == "inspection":
            subject_kind, subject = event["subject_kind"], event["subject"]
            inspected[(subject_kind, subject, f"{day[:4]}-{_QUARTER[day[5:7]]}")] += 1
            for finding in event.get("findings", ()):
                deadline = finding["deadline"]
                if deadline[:4] == ystr and deadline <= end:
                    deadlines.append((subject_kind, subject, finding["id"], deadline))
        elif kind == "rectification":
            finding_id = event["finding"]
            before = rectified.get(finding_id)
            if before is None or day < before:
                rectified[finding_id] = day
        elif kind == "assessment":
            if day[:4] == ystr:
                parts[(event["subject_kind"], event["subject"], event["part"])].append(Decimal(event["score"]))
        elif kind == "two_way_review":
            if event["year"] == year:
                reviews[("unit", event["unit"])].append(Decimal(event["score_of_unit"]))
                reviews[("community", event["community"])].append(Decimal(event["score_of_community"]))
        elif kind == "member_report_in":
            member_id = event["member"]
            before = reported_in.get(member_id)
            if before is None or day < before:
                reported_in[member_id] = day
        elif kind == "joint_meeting":
            meetings[(event["community"], f"{day[:4]}-{_HALF[day[5:7]]}")] += 1
        # any other type is a record of another pack: not a Tongjiang rule's concern

    for taken_months in present.values():
        taken_months.sort()
    out: list[Outcome] = []
    append = out.append

    # -- E1 and the current year's tiers ------------------------------------------------------
    current: dict[tuple[str, str], str] = {}
    daily_weight, year_end_weight, rating_tiers = p["daily_weight"], p["year_end_weight"], p["rating_tiers"]
    for subject_kind, ids in (("unit", unit_ids), ("community", community_ids)):
        for subject in ids:
            daily = parts.get((subject_kind, subject, "daily"))
            year_end = parts.get((subject_kind, subject, "year_end"))
            if not daily or not year_end:
                continue
            score = _round(daily_weight * sum(daily) / len(daily)
                           + year_end_weight * sum(year_end) / len(year_end))
            current[(subject_kind, subject)] = _tier(score, rating_tiers)
            append(("E1.annual-rating", subject, ystr, None))
    previous: set[str] = set()
    for rating in data.get("ratings", ()):
        if rating["year"] == year:
            current[(rating["subject_kind"], rating["subject"])] = rating["tier"]
        elif rating["year"] == year - 1 and rating["subject_kind"] == "unit" and rating["tier"] == "一般":
            previous.add(rating["subject"])

    reprimanded: set[tuple[str, str]] = set()

    # -- R1: 一般 in Y-1 and in Y -------------------------------------------------------------
    for unit_id in unit_ids:
        if unit_id in previous and current.get(("unit", unit_id)) == "一般":
            append(("R1.unit-interview", unit_id, ystr, None))
            reprimanded.add(("unit", unit_id))

    # -- R2: absence streaks, months as integers year * 12 + month - 1 -------------------------
    threshold = p["absence_months"]
    first_covered = int(start[:4]) * 12 + int(start[5:7]) - 1
    end_year, end_month, end_day = int(end[:4]), int(end[5:7]), int(end[8:10])
    last_recorded = end_year * 12 + end_month - 1 - (end_day != _last_day(end_year, end_month))
    last = min(year * 12 + 11, last_recorded)
    year_first = year * 12
    for member in members:
        if not member.get("in_service", True):
            continue
        member_id = member["id"]
        since = member.get("reported_in")
        event_day = reported_in.get(member_id)
        if event_day is not None and (since is None or event_day < since):
            since = event_day
        if since is None:
            continue
        first = max(int(since[:4]) * 12 + int(since[5:7]) - 1, first_covered)
        if last - first + 1 < threshold:
            continue
        seen = present.get(member_id)
        if seen:
            # a month listed twice does no harm below: its second gap is negative
            months = seen[bisect_left(seen, first):bisect_right(seen, last)]
            months.append(last + 1)
        else:
            months = [last + 1]
        gap_start = first
        for taken_part in months:
            if taken_part - gap_start >= threshold:
                fires = gap_start + threshold - 1
                if fires >= year_first:
                    append(("R2.member-absence", member_id,
                            f"{fires // 12}-{fires % 12 + 1:02d}", None))
                    reprimanded.add(("member", member_id))
            gap_start = taken_part + 1

    # -- R7: findings not rectified by their deadline -----------------------------------------
    for subject_kind, subject, finding_id, deadline in deadlines:
        done = rectified.get(finding_id)
        if done is None or done > deadline:
            append(("R7.rectification-overdue", subject, deadline[:7], None))
            reprimanded.add((subject_kind, subject))

    # -- C1-C4: one finding per subject and period missed -------------------------------------
    month_spans = _known_spans(year, 1, start, end)
    quarter_spans = _known_spans(year, 3, start, end)
    half_spans = _known_spans(year, 6, start, end)
    year_known = bool(_known_spans(year, 12, start, end))

    required = p["unit_reports_per_month"]
    labels = [label for label, _, _ in month_spans]
    for unit_id in unit_ids:
        for label in labels:
            if reports.get((unit_id, label), 0) < required:
                append(("C1.unit-monthly-report", unit_id, label, None))
    required = p["joint_meetings_per_half_year"]
    labels = [label for label, _, _ in half_spans]
    for community_id in community_ids:
        for label in labels:
            if meetings.get((community_id, label), 0) < required:
                append(("C2.joint-meeting", community_id, label, None))
    required = p["collective_activities_per_quarter"]
    labels = [label for label, _, _ in quarter_spans]
    for community_id in community_ids:
        for label in labels:
            if collective.get((community_id, label), 0) < required:
                append(("C3.quarterly-activity", community_id, label, None))
    required = p["inspections_per_quarter"]
    for subject_kind, ids in (("unit", unit_ids), ("community", community_ids)):
        for subject in ids:
            for label in labels:
                if inspected.get((subject_kind, subject, label), 0) < required:
                    append(("C4.inspection-coverage", subject, label, None))

    # -- A1, A2, A4 (secretaries): per member, role, community and month, from the union of
    # the days held, pro rata ----------------------------------------------------------------
    month_days = [(label, date(year, m, 1).toordinal(), date(year, m, _last_day(year, m)).toordinal())
                  for label, m, _ in month_spans]
    secretary = p["secretary_subsidy"]
    monthly = {
        "committee_member": ("A1.committee-wage", p["committee_multiplier"] * p["minimum_income"]),
        "grid_leader": ("A2.grid-leader-subsidy", p["grid_leader_subsidy"]),
        "party_secretary": ("A4.secretary-subsidy", None),
    }
    prorated: dict[tuple[Decimal, int, int], Decimal] = {}
    never = date.max.toordinal()
    for member in members:
        roles = member.get("roles")
        if not roles:
            continue
        held: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for holding in roles:
            if holding["role"] in monthly:
                stop = holding.get("end")
                held.setdefault((holding["role"], holding["community"]), []).append(
                    (date.fromisoformat(holding["start"]).toordinal(),
                     date.fromisoformat(stop).toordinal() if stop else never))
        for (role, community_id), spans in held.items():
            rule_id, full = monthly[role]
            if full is None:
                full = secretary.get(current.get(("community", community_id), ""))
                if full is None:
                    continue
            spans.sort()
            for label, first_day, last_day in month_days:
                days = 0
                reached = first_day - 1  # the last day already counted
                for begin, stop in spans:
                    begin = max(begin, reached + 1)
                    stop = min(stop, last_day)
                    if begin <= stop:
                        days += stop - begin + 1
                        reached = stop
                if days:
                    length = last_day - first_day + 1
                    key = (full, days, length)
                    amount = prorated.get(key)
                    if amount is None:
                        amount = prorated[key] = _round(full * days / length)
                    append((rule_id, member["id"], label, amount))

    # -- A3, A4 (new organisations): per year -------------------------------------------------
    if year_known:
        funds = _round(p["community_funds"])
        for community_id in community_ids:
            append(("A3.community-funds", community_id, ystr, funds))
        new_org = p["new_org_funds"]
        for unit in units:
            if unit.get("kind") == "new_economic_social":
                tier = current.get(("unit", unit["id"]))
                if tier in new_org:
                    append(("A4.new-org-activity-funds", unit["id"], ystr, _round(new_org[tier])))

    # -- E3: two-way review -------------------------------------------------------------------
    for subject_kind, ids in (("unit", unit_ids), ("community", community_ids)):
        for subject in ids:
            if reviews.get((subject_kind, subject)):
                append(("E3.two-way-review", subject, ystr, None))

    # -- E2: commendations, never of the reprimanded ------------------------------------------
    if year_known:
        least = p["commend_min_activities"]
        for member in members:
            member_id = member["id"]
            seen = present.get(member_id)
            if (seen and member.get("in_service", True) and ("member", member_id) not in reprimanded
                    and bisect_left(seen, year_first + 12) - bisect_left(seen, year_first) >= least):
                append(("E2.advanced-individual", member_id, ystr, None))
    for subject_kind, ids in (("unit", unit_ids), ("community", community_ids)):
        for subject in ids:
            if current.get((subject_kind, subject)) == "好" and (subject_kind, subject) not in reprimanded:
                append(("E2.advanced-organisation", subject, ystr, None))

    # -- B1: balancing ------------------------------------------------------------------------
    out.extend(_balancing(data, ystr, p))
    return out


def _balancing(data: Record, ystr: str, p: Mapping[str, Any]) -> list[Outcome]:
    """Move one unit at a time between neighbouring communities whose counts differ by 2 or more,
    one of them out of the tolerance around the mean: the largest difference first, then the
    giving community with more units, then the lowest ids; the unit with most in-service members
    living in the receiving community, then the lowest id; no unit twice; at most
    ``balance_max_moves`` moves."""
    tolerance, limit = p["balance_tolerance"], p["balance_max_moves"]
    communities = data.get("communities", [])
    units = data.get("units", [])
    places = sorted(c["id"] for c in communities)
    total, n = len(units), len(places)
    slack = tolerance * n
    near: dict[str, set[str]] = {c: set() for c in places}
    for community in communities:
        for other in community.get("neighbours", ()):
            near[community["id"]].add(other)
            near[other].add(community["id"])
    ordered_near = {c: sorted(near[c]) for c in places}
    home_units: dict[str, list[str]] = {c: [] for c in places}
    for unit in units:
        home_units[unit["community"]].append(unit["id"])
    for listed in home_units.values():
        listed.sort()
    size = {c: len(home_units[c]) for c in places}
    living: Counter[tuple[str, str]] = Counter()
    for member in data.get("members", ()):
        if member.get("in_service", True) and member.get("unit"):
            living[(member["unit"], member["residence_community"])] += 1
    moved: set[str] = set()
    out: list[Outcome] = []
    for _ in range(limit):
        best: tuple[int, int] | None = None
        pair: tuple[str, str] = ("", "")
        for a in places:
            size_a = size[a]
            giving_out = size_a * n - total > slack
            for b in ordered_near[a]:
                size_b = size[b]
                if size_a - size_b < 2 or not (giving_out or total - size_b * n > slack):
                    continue
                rank = (size_a - size_b, size_a)
                if (best is None or rank > best) and any(u not in moved for u in home_units[a]):
                    best, pair = rank, (a, b)
        if best is None:
            break
        a, b = pair
        chosen, most = "", -1
        for unit_id in home_units[a]:
            if unit_id not in moved:
                count = living.get((unit_id, b), 0)
                if count > most:
                    chosen, most = unit_id, count
        out.append(("B1.balancing", chosen, ystr, None))
        moved.add(chosen)
        size[a] -= 1
        size[b] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dataset")
    parser.add_argument("--year", type=int, default=2024)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    data = load(args.dataset)
    loaded = time.perf_counter()
    outcomes = evaluate(data, args.year)
    finished = time.perf_counter()
    print(f"load {loaded - started:.3f} s, evaluate {finished - loaded:.3f} s, "
          f"{len(data.get('events', []))} events, {len(outcomes)} outcomes", file=sys.stderr)
    for rule_id, count in sorted(Counter(o[0] for o in outcomes).items()):
        print(f"{rule_id}\t{count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
