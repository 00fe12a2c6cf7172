"""Small builders for tiny datasets, so that each rule test states only the records it is about.

A :class:`City` starts with one community (``C1``) and the recorded dates it is given; each
method adds one record or event (events get ids ``E1``, ``E2``, ...) and returns the new record's
id. :meth:`City.build` checks the whole dataset with :class:`partybuild_rules.Dataset`.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import replace
from functools import lru_cache
from typing import Any, Iterable, Sequence

import reference

from partybuild_rules import (
    Allocation,
    Allowance,
    Commendation,
    ComplianceFinding,
    Dataset,
    Evaluation,
    Pack,
    Reprimand,
    Result,
    bundled_pack,
    evaluate,
    load_pack,
)

__all__ = [
    "City",
    "as_expected",
    "city",
    "day_after",
    "last_day",
    "month_range",
    "pack",
    "prorated",
    "run",
]

Record = dict[str, Any]


# -- months ----------------------------------------------------------------------------------


def _month(text: str) -> tuple[int, int]:
    year, month = text.split("-")
    return int(year), int(month)


def month_range(first: str, last: str) -> list[str]:
    """Every month ``YYYY-MM`` from ``first`` to ``last``, both inclusive."""
    year, month = _month(first)
    end = _month(last)
    months = []
    while (year, month) <= end:
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def last_day(month: str) -> str:
    year, number = _month(month)
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def prorated(amount: str, days_held: int, days_in_month: int) -> Decimal:
    """The expected pro-rata amount, computed here independently of the library."""
    exact = Decimal(amount) * Decimal(days_held) / Decimal(days_in_month)
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- the pack and evaluation ------------------------------------------------------------------




@lru_cache(maxsize=None)
def _pack(overrides: tuple[tuple[str, Any], ...]) -> Pack:
    # These tests hold the engine to its year semantics on both sides of a year boundary, so they
    # evaluate 2023 too; the pack's own effective dates (from 2024) are enforced and tested in
    # test_compose.py, not here.
    base = replace(load_pack(bundled_pack()), in_force=())
    return base.with_overrides(dict(overrides)) if overrides else base


def pack(**overrides: Any) -> Pack:
    """The bundled Tongjiang pack, with parameter overrides; cached so each compiles once."""
    return _pack(tuple(sorted(overrides.items())))


def run(data: City | Dataset, year: int = 2024, **overrides: Any) -> Result:
    """Evaluate the bundled pack (with ``overrides``) over ``data`` for ``year``."""
    dataset = data.build() if isinstance(data, City) else data
    return evaluate(pack(**overrides), dataset, year)


# -- the builder ------------------------------------------------------------------------------


class City:
    """A tiny dataset under construction; see the module docstring."""

    def __init__(self, covers: tuple[str, str] = ("2023-07-01", "2024-12-31")) -> None:
        self.covers = covers
        self.communities: list[Record] = []
        self.units: list[Record] = []
        self.members: list[Record] = []
        self.groups: list[Record] = []
        self.ratings: list[Record] = []
        self.events: list[Record] = []
        self.community("C1")

    # records

    def community(self, id: str | None = None, name: str | None = None) -> str:
        id = id or f"C{len(self.communities) + 1}"
        self.communities.append({"id": id, "name": name or f"{id}社区"})
        return id

    def unit(
        self,
        id: str | None = None,
        *,
        community: str = "C1",
        kind: str = "other",
        leader: str | None = "张主任",
        name: str | None = None,
    ) -> str:
        id = id or f"U{len(self.units) + 1}"
        self.units.append(
            {"id": id, "name": name or f"{id}单位", "community": community, "kind": kind, "leader": leader}
        )
        return id

    def member(
        self,
        id: str | None = None,
        *,
        community: str = "C1",
        unit: str | None = None,
        in_service: bool = True,
        five_star: bool = False,
        reported_in: str | None = "2020-01-01",
        roles: Sequence[Record] = (),
        name: str | None = None,
    ) -> str:
        """A member; an in-service member without ``unit`` works at the first unit (made if none)."""
        id = id or f"M{len(self.members) + 1}"
        if in_service and unit is None:
            unit = self.units[0]["id"] if self.units else self.unit()
        self.members.append({
            "id": id, "name": name or f"党员{id}", "residence_community": community, "unit": unit,
            "in_service": in_service, "five_star": five_star, "reported_in": reported_in,
            "roles": list(roles),
        })
        return id

    def role_holder(self, role: str, start: str, end: str | None = None, *, community: str = "C1") -> str:
        """A member (not in service) holding ``role`` from ``start`` to ``end`` inclusive."""
        holding = {"role": role, "community": community, "start": start, "end": end}
        return self.member(in_service=False, reported_in=None, roles=[holding], community=community)

    def rating(self, subject: str, year: int, tier: str, subject_kind: str = "unit") -> None:
        self.ratings.append({"subject_kind": subject_kind, "subject": subject, "year": year, "tier": tier})

    def _group(self) -> str:
        if not self.groups:
            self.groups.append({"id": "G1", "name": "第一巡回督查组"})
        return "G1"

    # events

    def event(self, type: str, day: str, **fields: Any) -> str:
        id = f"E{len(self.events) + 1}"
        self.events.append({"id": id, "type": type, "date": day, **fields})
        return id

    def activity(
        self,
        day: str,
        participants: Iterable[str] = (),
        *,
        kind: str = "theme_day",
        co_building: bool = True,
        community: str = "C1",
    ) -> str:
        return self.event("activity", day, community=community, kind=kind, co_building=co_building,
                          participants=list(participants))

    def attend(self, member: str, months: Iterable[str], *, day: int = 15) -> None:
        """One 联学共建 activity with ``member`` on ``day`` of each month."""
        for month in months:
            self.activity(f"{month}-{day:02d}", [member])

    def attend_except(self, member: str, absent: Iterable[str]) -> None:
        """``member`` takes part every recorded month except the ``absent`` ones."""
        skipped = set(absent)
        self.attend(member, [m for m in self.covered_months() if m not in skipped])

    def unit_report(self, unit: str, day: str) -> str:
        return self.event("unit_report", day, unit=unit)

    def joint_meeting(self, day: str, community: str = "C1") -> str:
        return self.event("joint_meeting", day, community=community)

    def inspection(
        self, day: str, subject: str, *, subject_kind: str = "unit",
        findings: Sequence[tuple[str, str]] = (),
    ) -> str:
        """An inspection; ``findings`` as ``(finding id, deadline)``."""
        return self.event(
            "inspection", day, group=self._group(), subject_kind=subject_kind, subject=subject,
            findings=[{"id": f, "description": "问题", "deadline": d} for f, d in findings],
        )

    def rectification(self, day: str, finding: str) -> str:
        return self.event("rectification", day, finding=finding)

    def assessment(
        self, subject: str, part: str, score: str, day: str = "2024-12-20", *, subject_kind: str = "unit"
    ) -> str:
        return self.event("assessment", day, subject_kind=subject_kind, subject=subject, part=part,
                          score=score)

    def scored(self, subject: str, daily: Sequence[str], year_end: str, *, year: int = 2024,
               subject_kind: str = "unit") -> None:
        """Daily-record scores (one a month from March) and a year-end score in ``year``."""
        for n, score in enumerate(daily):
            self.assessment(subject, "daily", score, f"{year}-{n % 9 + 3:02d}-20", subject_kind=subject_kind)
        self.assessment(subject, "year_end", year_end, f"{year}-12-25", subject_kind=subject_kind)

    def review(self, unit: str, score_of_unit: str, score_of_community: str, day: str = "2024-12-15",
               *, community: str = "C1", year: int = 2024) -> str:
        return self.event("two_way_review", day, year=year, unit=unit, community=community,
                          score_of_unit=score_of_unit, score_of_community=score_of_community)

    # results

    def covered_months(self) -> list[str]:
        return month_range(self.covers[0][:7], self.covers[1][:7])

    def to_dict(self) -> Record:
        return {
            "name": "test",
            "covers": {"start": self.covers[0], "end": self.covers[1]},
            "communities": self.communities,
            "units": self.units,
            "members": self.members,
            "inspection_groups": self.groups,
            "ratings": self.ratings,
            "events": self.events,
        }

    def build(self) -> Dataset:
        return Dataset.model_validate(self.to_dict())


def city(covers: tuple[str, str] = ("2023-07-01", "2024-12-31")) -> City:
    """A new tiny dataset with one community ``C1`` whose events cover ``covers``."""
    return City(covers)


def day_after(day: str, days: int = 1) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def as_expected(outcome: Any) -> reference.Expected:
    """An outcome of the library in the reference evaluator's terms: its key and details."""
    if isinstance(outcome, Evaluation):
        detail: tuple[Any, ...] = (outcome.score, outcome.tier)
    elif isinstance(outcome, Reprimand):
        detail = tuple((m.measure, m.target, m.revoke, m.deadline) for m in outcome.measures)
    elif isinstance(outcome, ComplianceFinding):
        detail = (outcome.count, outcome.required)
    elif isinstance(outcome, Allowance):
        detail = (outcome.amount,)
    elif isinstance(outcome, Allocation):
        detail = (outcome.step, outcome.from_community, outcome.to_community, outcome.from_before, outcome.to_before)
    else:
        assert isinstance(outcome, Commendation)
        detail = ()
    return reference.Expected(outcome.rule_id, outcome.subject_kind.value, outcome.subject, outcome.period, detail)
