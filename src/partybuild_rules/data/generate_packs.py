"""Synthetic records for the bundled packs beside the Tongjiang one: members' dues attributes
(category, monthly income, date joined), more members who are not in service (retirees,
students, farmers, laid-off members, members on relief), Party-dues payments and points awards.

Drawn from a random stream of its own (seeded from the dataset's seed), and added after every
record of the core generator, so that the core records — and the Tongjiang pack's outcomes —
stay exactly as they were. Pack events get ids of their own (``D…`` for dues, ``P…`` for
points), numbered in date order.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["add_pack_records", "DECLARED_BY"]

Record = dict[str, Any]

DECLARED_BY = ("party-dues", "points")
"""The bundled packs whose attributes and events the generated dataset carries."""

_OTHER_CATEGORIES = (("离退休", 0.55), ("学生", 0.1), ("农民", 0.15), ("下岗失业", 0.1), ("低保", 0.1))
_STAFF_CATEGORIES = (("在职", 0.8), ("离退休", 0.2))
_REASONS = ("志愿服务", "结对帮扶", "党员先锋岗", "其他")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英"
_BOUNDS = (Decimal("3000.00"), Decimal("5000.00"), Decimal("10000.00"))
_IN_SERVICE_RATES = ((Decimal("3000"), Decimal("0.005")), (Decimal("5000"), Decimal("0.01")),
                     (Decimal("10000"), Decimal("0.015")), (None, Decimal("0.02")))
_RETIREE_RATES = ((Decimal("5000"), Decimal("0.005")), (None, Decimal("0.01")))
_FLAT = Decimal("0.20")


def add_pack_records(data: Record, *, seed: int, year: int, extra_members: int) -> None:
    """Add the packs' attributes, members and events to a generated dataset, in place."""
    rng = random.Random(f"{seed}-packs")
    communities = [c["id"] for c in data["communities"]]
    members: list[Record] = data["members"]
    width = len(members[-1]["id"]) - 1 if members else 5
    for member in members:
        member["attributes"] = _attributes(rng, member, year)
    for n in range(extra_members):
        number = len(members) + 1
        home = rng.choice(communities)
        category = _pick(rng, _OTHER_CATEGORIES)
        member = {
            "id": "M" + str(number).zfill(width), "name": rng.choice(_SURNAMES) + "".join(
                rng.choice(_GIVEN) for _ in range(rng.choice((1, 2)))),
            "residence_community": home, "unit": None, "grid": None, "in_service": False,
            "five_star": False, "reported_in": None, "roles": [],
        }
        member["attributes"] = _attributes(rng, member, year, category)
        members.append(member)
    start, end = date.fromisoformat(data["covers"]["start"]), date.fromisoformat(data["covers"]["end"])
    dues = _dues_payments(rng, members, start, end)
    points = _points_awards(rng, members, year, start, end)
    data["events"] = data["events"] + _numbered(dues, "D") + _numbered(points, "P")
    data["declared_by"] = list(DECLARED_BY)


def _pick(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in choices:
        total += weight
        if roll < total:
            return value
    return choices[-1][0]


def _attributes(rng: random.Random, member: Record, year: int, category: str | None = None) -> Record:
    if category is None:
        category = "在职" if member["in_service"] else _pick(rng, _STAFF_CATEGORIES)
    joined = date(year - rng.randint(1, 40), rng.randint(1, 12), rng.randint(1, 28))
    attributes: Record = {"category": category, "joined": joined.isoformat()}
    if category in ("在职", "离退休"):
        attributes["monthly_income"] = str(_income(rng, category))
    return attributes


def _income(rng: random.Random, category: str) -> Decimal:
    if rng.random() < 0.04:  # exactly at a band's bound: the cliff of the rates
        bound = rng.choice(_BOUNDS if category == "在职" else _BOUNDS[1:2])
        return bound + rng.choice((Decimal("0"), Decimal("0.01")))
    low, high = (2200, 14000) if category == "在职" else (1800, 8000)
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _rate(category: str, income: Decimal) -> Decimal:
    for bound, rate in (_IN_SERVICE_RATES if category == "在职" else _RETIREE_RATES):
        if bound is None or income <= bound:
            return rate
    raise AssertionError("the last band is open")


def _dues_payments(rng: random.Random, members: list[Record], start: date, end: date) -> list[Record]:
    """A payment for each recorded month; a few members stop paying for a while."""
    months = _months(start, end)
    payments: list[Record] = []
    for member in members:
        attributes = member["attributes"]
        category = attributes["category"]
        if "monthly_income" in attributes:
            due = (Decimal(attributes["monthly_income"]) * _rate(category, Decimal(attributes["monthly_income"])))
            amount = due.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            amount = _FLAT
        gap: tuple[int, int] | None = None
        if rng.random() < 0.03:
            first = rng.randrange(len(months))
            gap = (first, first + rng.randint(3, 8))
        for index, (y, m) in enumerate(months):
            if gap is not None and gap[0] <= index < gap[1]:
                continue
            if rng.random() < 0.01:
                continue  # a single missed month
            day = date(y, m, rng.randint(1, 28))
            payments.append({"date": day.isoformat(), "type": "dues_payment", "member": member["id"],
                             "month": f"{y}-{m:02d}", "amount": str(amount)})
    return payments


def _points_awards(rng: random.Random, members: list[Record], year: int, start: date, end: date) -> list[Record]:
    awards: list[Record] = []
    first = max(start, date(year - 1, 1, 1))
    span = (end - first).days
    for member in members:
        if not member["in_service"]:
            continue
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            day = first + timedelta(days=rng.randint(0, span))
            awards.append({"date": day.isoformat(), "type": "points_award", "member": member["id"],
                           "points": rng.randint(1, 10), "reason": rng.choice(_REASONS)})
    return awards


def _months(start: date, end: date) -> list[tuple[int, int]]:
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _numbered(events: list[Record], prefix: str) -> list[Record]:
    events.sort(key=lambda event: (event["date"], event["member"]))
    width = max(6, len(str(len(events))))
    return [{"id": prefix + str(n).zfill(width), **event} for n, event in enumerate(events, 1)]
