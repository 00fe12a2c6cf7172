"""A plain-Python reference evaluator for the Tongjiang pack, written from domain.md alone.

It shares no code with ``partybuild_rules``: it reads a dataset as plain JSON data, uses only the
standard library, and hard-codes the pack's default parameters (the report's numbers and the
pack's illustrative values). :func:`expected` returns one :class:`Expected` per outcome the
library should produce for a year; ``detail`` carries what must match beyond the key (an
amount, a tier and score, the measures of a reprimand, a count).

Assumptions where domain.md is silent, stated once here:
- events count in the period their date falls in; a two-way review counts for its ``year``;
- periods (months, quarters, half years, the year) count only when wholly inside the recorded
  dates, for compliance findings and for money alike;
- an in-service member's report-in date is the earliest of ``reported_in`` and the dates of
  their ``member_report_in`` events.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

__all__ = ["DEFAULTS", "Expected", "expected", "load"]

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
    "balance_tolerance": Decimal("2"),
    "balance_max_moves": 10,
}

Record = dict[str, Any]


class Expected(NamedTuple):
    """One expected outcome: its key (rule, subject, period) and the details that must match."""

    rule_id: str
    subject_kind: str
    subject: str
    period: str
    detail: tuple[Any, ...] = ()


def load(path: str | Path) -> Record:
    with open(path, encoding="utf-8") as stream:
        data: Record = json.load(stream)
    return data


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _round(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


# -- calendar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    label: str
    first: date
    last: date


def _month_span(year: int, month: int) -> Span:
    return Span(f"{year}-{month:02d}", date(year, month, 1),
                date(year, month, calendar.monthrange(year, month)[1]))


def _spans(year: int, months: int) -> list[Span]:
    """The periods of ``year`` that are ``months`` long, labelled as domain.md says."""
    spans = []
    for n in range(12 // months):
        first, last = _month_span(year, n * months + 1), _month_span(year, n * months + months)
        label = {1: first.label, 3: f"{year}-Q{n + 1}", 6: f"{year}-H{n + 1}", 12: str(year)}[months]
        spans.append(Span(label, first.first, last.last))
    return spans


# -- the evaluation ---------------------------------------------------------------------------


class Reference:
    def __init__(self, data: Record, year: int, params: Mapping[str, Any]) -> None:
        self.data = data
        self.year = year
        self.p = params
        self.start = _day(data["covers"]["start"])
        self.end = _day(data["covers"]["end"])
        self.units = {u["id"]: u for u in data.get("units", [])}
        self.communities = {c["id"]: c for c in data.get("communities", [])}
        self.members = {m["id"]: m for m in data.get("members", [])}
        self.events = data.get("events", [])
        self.by_type: dict[str, list[Record]] = defaultdict(list)
        for event in self.events:
            self.by_type[event["type"]].append(event)

    def known(self, months: int) -> list[Span]:
        return [s for s in _spans(self.year, months) if self.start <= s.first and s.last <= self.end]

    def name(self, kind: str, subject: str) -> str:
        table = {"member": self.members, "unit": self.units, "community": self.communities}[kind]
        return str(table[subject]["name"])

    def organisations(self) -> Iterator[tuple[str, str]]:
        yield from (("unit", u) for u in self.units)
        yield from (("community", c) for c in self.communities)

    # E1 and the current ratings

    def e1(self) -> dict[tuple[str, str], tuple[Decimal, str]]:
        parts: dict[tuple[str, str, str], list[Decimal]] = defaultdict(list)
        for event in self.by_type["assessment"]:
            if _day(event["date"]).year == self.year:
                parts[(event["subject_kind"], event["subject"], event["part"])].append(Decimal(event["score"]))
        rated = {}
        for kind, subject in self.organisations():
            daily, year_end = parts.get((kind, subject, "daily")), parts.get((kind, subject, "year_end"))
            if not daily or not year_end:
                continue
            score = _round(self.p["daily_weight"] * sum(daily) / len(daily)
                           + self.p["year_end_weight"] * sum(year_end) / len(year_end))
            rated[(kind, subject)] = (score, _tier(score, self.p["rating_tiers"]))
        return rated

    def given(self) -> dict[tuple[str, str, int], str]:
        return {(r["subject_kind"], r["subject"], r["year"]): r["tier"] for r in self.data.get("ratings", [])}

    def current(self, computed: Mapping[tuple[str, str], tuple[Decimal, str]]) -> dict[tuple[str, str], str]:
        tiers = {key: tier for key, (_, tier) in computed.items()}
        for (kind, subject, year), tier in self.given().items():
            if year == self.year:
                tiers[(kind, subject)] = tier
        return tiers

    # reprimands

    def r1(self, current: Mapping[tuple[str, str], str]) -> Iterator[Expected]:
        given = self.given()
        for unit_id, unit in self.units.items():
            if given.get(("unit", unit_id, self.year - 1)) == "一般" and current.get(("unit", unit_id)) == "一般":
                leader = unit.get("leader") or f"{unit['name']}主要领导"
                yield Expected("R1.unit-interview", "unit", unit_id, str(self.year),
                               (("约谈", leader, None, None),))

    def report_in(self) -> dict[str, date]:
        dates = {m["id"]: _day(m["reported_in"]) for m in self.members.values() if m.get("reported_in")}
        for event in self.by_type["member_report_in"]:
            day = _day(event["date"])
            if event["member"] not in dates or day < dates[event["member"]]:
                dates[event["member"]] = day
        return dates

    def r2(self) -> Iterator[Expected]:
        threshold = self.p["absence_months"]
        present: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for event in self.by_type["activity"]:
            if event.get("co_building", True):
                day = _day(event["date"])
                for member in event.get("participants", []):
                    present[member].add((day.year, day.month))
        # A month counts only when it is recorded whole: a part-recorded last month is unknown.
        last_recorded = (self.end + timedelta(days=1)).replace(day=1) - timedelta(days=1)
        last = min((self.year, 12), (last_recorded.year, last_recorded.month))
        for member_id, reported in self.report_in().items():
            member = self.members[member_id]
            if not member.get("in_service", True):
                continue
            month = max((reported.year, reported.month), (self.start.year, self.start.month))
            streak = 0
            while month <= last:
                streak = 0 if month in present[member_id] else streak + 1
                if streak == threshold and month[0] == self.year:
                    measures = [("通报批评", member["name"], None, None)]
                    if member.get("five_star"):
                        measures.append(("取消“五星级”党员资格", member["name"], "five_star", None))
                    yield Expected("R2.member-absence", "member", member_id,
                                   f"{month[0]}-{month[1]:02d}", tuple(measures))
                month = (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)

    def r7(self) -> Iterator[Expected]:
        rectified: dict[str, list[date]] = defaultdict(list)
        for event in self.by_type["rectification"]:
            rectified[event["finding"]].append(_day(event["date"]))
        for event in self.by_type["inspection"]:
            kind, subject = event["subject_kind"], event["subject"]
            for finding in event.get("findings", []):
                deadline = _day(finding["deadline"])
                if deadline.year != self.year or deadline > self.end:
                    continue
                if any(day <= deadline for day in rectified[finding["id"]]):
                    continue
                new = deadline + timedelta(days=self.p["rectification_days"])
                name = self.name(kind, subject)
                yield Expected("R7.rectification-overdue", kind, subject, deadline.isoformat()[:7],
                               (("约谈", name, None, None), ("限期整改", name, None, new)))

    # compliance

    def findings(self, rule_id: str, kind: str, subjects: Iterable[str], events: Iterable[Record],
                 subject_of: Any, months: int, required: int) -> Iterator[Expected]:
        counts: Counter[tuple[str, str]] = Counter()
        spans = self.known(months)
        for event in events:
            day = _day(event["date"])
            for span in spans:
                if span.first <= day <= span.last:
                    for subject in subject_of(event):
                        counts[(subject, span.label)] += 1
        for subject in subjects:
            for span in spans:
                count = counts[(subject, span.label)]
                if count < required:
                    yield Expected(rule_id, kind, subject, span.label, (count, required))

    def compliance(self) -> Iterator[Expected]:
        p = self.p
        yield from self.findings("C1.unit-monthly-report", "unit", self.units, self.by_type["unit_report"],
                                 lambda e: [e["unit"]], 1, p["unit_reports_per_month"])
        yield from self.findings("C2.joint-meeting", "community", self.communities,
                                 self.by_type["joint_meeting"], lambda e: [e["community"]], 6,
                                 p["joint_meetings_per_half_year"])
        collective = [e for e in self.by_type["activity"] if e["kind"] == "collective"]
        yield from self.findings("C3.quarterly-activity", "community", self.communities, collective,
                                 lambda e: [e["community"]], 3, p["collective_activities_per_quarter"])
        for kind, table in (("unit", self.units), ("community", self.communities)):
            inspections = [e for e in self.by_type["inspection"] if e["subject_kind"] == kind]
            yield from self.findings("C4.inspection-coverage", kind, table, inspections,
                                     lambda e: [e["subject"]], 3, p["inspections_per_quarter"])

    # money

    def role_months(self, role: str) -> Iterator[tuple[Record, Record, Span, int]]:
        """Each member, community and month with the role: the days held are the union of the
        holdings' days (domain.md: one amount per member, role, community and month)."""
        for member in self.members.values():
            days: dict[tuple[str, str], set[date]] = defaultdict(set)
            holding_of: dict[str, Record] = {}
            for holding in member.get("roles", []):
                if holding["role"] != role:
                    continue
                start = _day(holding["start"])
                end = _day(holding["end"]) if holding.get("end") else date.max
                holding_of.setdefault(holding["community"], holding)
                for span in self.known(1):
                    day = max(start, span.first)
                    while day <= min(end, span.last):
                        days[(holding["community"], span.label)].add(day)
                        day += timedelta(days=1)
            for span in self.known(1):
                for community, holding in holding_of.items():
                    held = len(days[(community, span.label)])
                    if held > 0:
                        yield member, holding, span, held

    def monthly(self, rule_id: str, role: str, amount_of: Any) -> Iterator[Expected]:
        for member, holding, span, held in self.role_months(role):
            full = amount_of(holding)
            if full is None:
                continue
            days = (span.last - span.first).days + 1
            yield Expected(rule_id, "member", member["id"], span.label, (_round(full * held / days),))

    def allowances(self, current: Mapping[tuple[str, str], str]) -> Iterator[Expected]:
        p = self.p
        wage = p["committee_multiplier"] * p["minimum_income"]
        yield from self.monthly("A1.committee-wage", "committee_member", lambda h: wage)
        yield from self.monthly("A2.grid-leader-subsidy", "grid_leader", lambda h: p["grid_leader_subsidy"])
        yield from self.monthly(
            "A4.secretary-subsidy", "party_secretary",
            lambda h: p["secretary_subsidy"].get(current.get(("community", h["community"]), "")),
        )
        for span in self.known(12):
            for community in self.communities:
                yield Expected("A3.community-funds", "community", community, span.label,
                               (_round(p["community_funds"]),))
            for unit_id, unit in self.units.items():
                tier = current.get(("unit", unit_id))
                if unit.get("kind") == "new_economic_social" and tier in p["new_org_funds"]:
                    yield Expected("A4.new-org-activity-funds", "unit", unit_id, span.label,
                                   (_round(p["new_org_funds"][tier]),))

    # evaluation

    def e3(self) -> Iterator[Expected]:
        scores: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        for event in self.by_type["two_way_review"]:
            if event["year"] == self.year:
                scores[("unit", event["unit"])].append(Decimal(event["score_of_unit"]))
                scores[("community", event["community"])].append(Decimal(event["score_of_community"]))
        for kind, subject in self.organisations():
            values = scores.get((kind, subject))
            if values:
                score = _round(sum(values) / len(values))
                yield Expected("E3.two-way-review", kind, subject, str(self.year),
                               (str(score), _tier(score, self.p["review_tiers"])))

    def commendations(self, current: Mapping[tuple[str, str], str],
                      reprimanded: set[tuple[str, str]]) -> Iterator[Expected]:
        if self.known(12):
            taken: Counter[str] = Counter()
            for event in self.by_type["activity"]:
                if event.get("co_building", True) and _day(event["date"]).year == self.year:
                    taken.update(set(event.get("participants", [])))
            for member_id, member in self.members.items():
                if (member.get("in_service", True) and taken[member_id] >= self.p["commend_min_activities"]
                        and ("member", member_id) not in reprimanded):
                    yield Expected("E2.advanced-individual", "member", member_id, str(self.year))
        for key in self.organisations():
            if current.get(key) == "好" and key not in reprimanded:
                yield Expected("E2.advanced-organisation", key[0], key[1], str(self.year))

    # B1 balancing

    def b1(self) -> Iterator[Expected]:
        """Move one unit at a time between neighbouring communities (neighbours listed on either
        side) whose counts differ by 2 or more, one of them out of the tolerance around the mean:
        the largest difference first, then the giving community with more units, then the lowest
        ids; the unit with most in-service members living in the receiving community, then the
        lowest id; no unit twice; at most ``balance_max_moves`` moves."""
        tolerance, limit = self.p["balance_tolerance"], self.p["balance_max_moves"]
        places = sorted(self.communities)
        total, n = len(self.units), len(places)
        home = {unit_id: unit["community"] for unit_id, unit in self.units.items()}
        near: dict[str, set[str]] = {c: set() for c in places}
        for c in places:
            for other in self.communities[c].get("neighbours", []):
                near[c].add(other)
                near[other].add(c)
        size = Counter(home.values())
        living = Counter((m["unit"], m["residence_community"]) for m in self.members.values()
                         if m.get("in_service", True) and m.get("unit"))
        moved: set[str] = set()
        for step in range(1, limit + 1):
            best: tuple[tuple[int, int], str, str, list[str]] | None = None
            for a in places:
                free = [u for u in sorted(home) if home[u] == a and u not in moved]
                for b in sorted(near[a]):
                    out = size[a] * n - total > tolerance * n or total - size[b] * n > tolerance * n
                    if not free or size[a] - size[b] < 2 or not out:
                        continue
                    rank = (size[a] - size[b], size[a])
                    if best is None or rank > best[0]:
                        best = (rank, a, b, free)
            if best is None:
                return
            _, a, b, free = best
            unit = max(free, key=lambda u: living[(u, b)])  # the first of equals: the lowest id
            yield Expected("B1.balancing", "unit", unit, str(self.year), (step, a, b, size[a], size[b]))
            moved.add(unit)
            home[unit] = b
            size[a] -= 1
            size[b] += 1

    def all(self) -> list[Expected]:
        computed = self.e1()
        current = self.current(computed)
        outcomes = [Expected("E1.annual-rating", kind, subject, str(self.year), (str(score), tier))
                    for (kind, subject), (score, tier) in computed.items()]
        reprimands = [*self.r1(current), *self.r2(), *self.r7()]
        reprimanded = {(o.subject_kind, o.subject) for o in reprimands}
        outcomes += reprimands
        outcomes += self.compliance()
        outcomes += self.allowances(current)
        outcomes += self.e3()
        outcomes += self.commendations(current, reprimanded)
        outcomes += self.b1()
        return outcomes


def _tier(score: Decimal, tiers: tuple[tuple[Decimal, str], ...]) -> str:
    return next(name for low, name in tiers if score >= low)


def expected(data: Record, year: int, params: Mapping[str, Any] | None = None) -> list[Expected]:
    """Every outcome the Tongjiang pack should produce for ``year`` over ``data`` (plain JSON)."""
    return Reference(data, year, {**DEFAULTS, **(params or {})}).all()
