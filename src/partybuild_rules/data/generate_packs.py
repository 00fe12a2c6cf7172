"""Synthetic records for the bundled packs that declare data of their own, from each pack's
example-data recipe (``example-data.yaml`` beside its ``pack.yaml``): attributes of members,
members added to the example, and events of the pack's own types.

The generator knows no pack: it reads the recipes of the bundled packs that have one, and works
out amounts a recipe asks for (``charge``) from the pack's own money rules. Records are drawn from
a random stream of their own (seeded from the dataset's seed) and added after every record of the
core generator, so that the core records — and the Tongjiang pack's outcomes — stay exactly as
they were. Pack events get ids of their own (the first letter of the type, then a number), in date
order. A recipe's words:

.. code-block:: yaml

    members: {count: 300, in_service: false}      # members added (per block of the example)
    attributes:
      member:
        category:                                  # a choice, weighted, by who the member is
          in_service: {在职: 1}
          staff: {在职: 0.8, 离退休: 0.2}
          added: {离退休: 0.55, 学生: 0.45}
        monthly_income:
          when: {category: [在职, 离退休]}          # only for these members
          money: {在职: ["2200.00", "14000.00"]}    # a range by the value of `by` (or `any`)
          by: category
          bounds_of: [in_service_rates]             # now and then exactly at a band's bound
        joined: {years_before: [1, 40]}             # a date so many years before the year
    events:
      dues_payment:
        each: member                                # one stream per member (or `in_service`)
        every: month                                # an event each covered month …
        missed: 0.01                                # … but this share of months
        pause: {share: 0.03, months: [3, 8]}        # and some members stop for a while
        fields: {member: subject, month: month, amount: charge}
      points_award:
        each: in_service
        per_year: [0, 0, 1, 1, 2, 3]                # so many, drawn from the list, per member
        fields: {member: subject, points: {integer: [1, 10]}, reason: {choose: [志愿服务, 其他]}}
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..domain.outcomes import RuleKind
from ..policy.expr import evaluate as evaluate_formula
from ..policy.expr import parse_expr
from ..policy.pack import BandTable, LookupTable, Pack, load_pack

__all__ = ["add_pack_records", "RECIPE"]

Record = dict[str, Any]
RECIPE = "example-data.yaml"
"""The file beside a pack's ``pack.yaml`` that says how to synthesise its example records."""


def add_pack_records(data: Record, *, seed: int, year: int, scale: int, policies: Path) -> None:
    """Add, in place, the records the recipes of the packs under ``policies`` describe."""
    recipes = [(load_pack(folder), _recipe(folder / RECIPE)) for folder in sorted(policies.iterdir())
               if (folder / RECIPE).is_file() and (folder / "pack.yaml").is_file()]
    if not recipes:
        return
    rng = random.Random(f"{seed}-packs")
    start, end = date.fromisoformat(data["covers"]["start"]), date.fromisoformat(data["covers"]["end"])
    members: list[Record] = data["members"]
    width = len(members[-1]["id"]) - 1 if members else 5
    communities = [c["id"] for c in data["communities"]]
    core = len(members)
    for pack, recipe in recipes:
        added = recipe.get("members") or {}
        for _ in range(int(added.get("count", 0)) * scale):
            members.append({
                "id": "M" + str(len(members) + 1).zfill(width), "name": _name(rng),
                "residence_community": rng.choice(communities), "unit": None, "grid": None,
                "in_service": bool(added.get("in_service", False)), "five_star": False,
                "reported_in": None, "roles": [],
            })
    for pack, recipe in recipes:
        for index, member in enumerate(members):
            who = "in_service" if member["in_service"] else ("staff" if index < core else "added")
            attributes = dict(member.get("attributes") or {})
            for name, rule in (recipe.get("attributes") or {}).get("member", {}).items():
                value = _attribute(rng, pack, rule, who, attributes, year)
                if value is not None:
                    attributes[name] = value
            member["attributes"] = attributes
    events: list[Record] = []
    for pack, recipe in recipes:
        for event_type, rule in (recipe.get("events") or {}).items():
            events += _numbered(_events(rng, pack, event_type, rule, members, start, end, year), event_type[0].upper())
    data["events"] = data["events"] + events
    data["declared_by"] = [pack.name for pack, _ in recipes]


def _recipe(path: Path) -> Mapping[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping")
    return loaded


def _name(rng: random.Random) -> str:
    return rng.choice("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗") + "".join(
        rng.choice("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂") for _ in range(rng.choice((1, 2))))


def _pick(rng: random.Random, weights: Mapping[str, Any]) -> str:
    roll, total = rng.random() * float(sum(float(w) for w in weights.values())), 0.0
    for value, weight in weights.items():
        total += float(weight)
        if roll < total:
            return value
    return list(weights)[-1]


def _attribute(rng: random.Random, pack: Pack, rule: Mapping[str, Any], who: str, known: Record,
               year: int) -> Any:
    when = rule.get("when") or {}
    if any(known.get(name) not in (wanted if isinstance(wanted, list) else [wanted]) for name, wanted in when.items()):
        return None
    if who in rule or "in_service" in rule:  # a weighted choice by who the member is
        weights = rule.get(who)
        return _pick(rng, weights) if weights else None
    if "years_before" in rule:
        low, high = rule["years_before"]
        return date(year - rng.randint(low, high), rng.randint(1, 12), rng.randint(1, 28)).isoformat()
    if "money" in rule:
        ranges = rule["money"]
        key = known.get(rule.get("by", ""), "any")
        low, high = (Decimal(str(v)) for v in ranges.get(key, ranges.get("any")))
        bounds = [b for name in rule.get("bounds_of", ()) if isinstance(t := pack.values.get(name), BandTable)
                  for row in t.rows for b in (row.low, row.high) if b is not None and low <= b <= high]
        if bounds and rng.random() < float(rule.get("bounds_share", 0.04)):
            return str(rng.choice(bounds) + rng.choice((Decimal("0"), Decimal("0.01"))))
        return str(Decimal(rng.randint(int(low * 100), int(high * 100))) / 100)
    raise ValueError(f"an attribute recipe needs a choice, `money` or `years_before`: {dict(rule)}")


def _events(rng: random.Random, pack: Pack, event_type: str, rule: Mapping[str, Any], members: list[Record],
            start: date, end: date, year: int) -> list[Record]:
    who = [m for m in members if rule.get("each") != "in_service" or m["in_service"]]
    months = _months(start, end)
    out: list[Record] = []
    for member in who:
        if rule.get("every") == "month":
            pause = rule.get("pause") or {}
            gap: tuple[int, int] | None = None
            if rng.random() < float(pause.get("share", 0)):
                paused = rng.randrange(len(months))
                gap = (paused, paused + rng.randint(*pause.get("months", (3, 3))))
            for index, (y, m) in enumerate(months):
                if gap is not None and gap[0] <= index < gap[1]:
                    continue
                if rng.random() < float(rule.get("missed", 0)):
                    continue
                day = date(y, m, rng.randint(1, 28))
                out.append(_event(rng, pack, event_type, rule, member, day, f"{y}-{m:02d}"))
        else:
            earliest = max(start, date(year - 1, 1, 1))
            for _ in range(rng.choice(rule.get("per_year", [1]))):
                day = earliest + timedelta(days=rng.randint(0, (end - earliest).days))
                out.append(_event(rng, pack, event_type, rule, member, day, f"{day.year}-{day.month:02d}"))
    return out


def _event(rng: random.Random, pack: Pack, event_type: str, rule: Mapping[str, Any], member: Record, day: date,
           month: str) -> Record:
    event: Record = {"date": day.isoformat(), "type": event_type}
    for name, how in (rule.get("fields") or {}).items():
        if how == "subject":
            event[name] = member["id"]
        elif how == "month":
            event[name] = month
        elif how == "charge":
            event[name] = str(_charge(pack, member))
        elif isinstance(how, dict) and "integer" in how:
            event[name] = rng.randint(*how["integer"])
        elif isinstance(how, dict) and "choose" in how:
            event[name] = rng.choice(how["choose"])
        else:
            raise ValueError(f"unknown field recipe for `{event_type}.{name}`: {how!r}")
    return event


class _Tables:
    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def band(self, table: str, value: Decimal) -> Decimal:
        found = self.pack.values[table]
        assert isinstance(found, BandTable)
        row = found.row_for(value)
        if row is None:
            raise KeyError(table)
        return row.value

    def lookup(self, table: str, key: str) -> Decimal:
        found = self.pack.values[table]
        assert isinstance(found, LookupTable)
        return found.entries[key]


def _charge(pack: Pack, member: Record) -> Decimal:
    """What the pack's first charge rule that applies to the member asks each period (0.00 if none)."""
    attributes = {**member, **(member.get("attributes") or {})}
    typed = {k: (Decimal(v) if isinstance(v, str) and _decimal(v) else v) for k, v in attributes.items()}
    numbers = {k: Decimal(v) for k, v in pack.values.items() if isinstance(v, (int, Decimal))}
    for rule in pack.rules:
        if rule.kind is not RuleKind.CHARGE or rule.amount is None:
            continue
        if not all(_matches(attributes.get(name), wanted) for name, wanted in rule.applies_if.items()):
            continue
        try:
            amount = evaluate_formula(parse_expr(rule.amount), numbers, typed, _Tables(pack))
        except KeyError:
            continue
        return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Decimal("0.00")


def _matches(value: Any, wanted: Any) -> bool:
    return value in wanted if isinstance(wanted, (tuple, list)) else value == wanted


def _decimal(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return text.replace(".", "", 1).isdigit()


def _months(start: date, end: date) -> list[tuple[int, int]]:
    months = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _numbered(events: list[Record], prefix: str) -> list[Record]:
    events.sort(key=lambda event: (event["date"], str(event.get("member", ""))))
    width = max(6, len(str(len(events))))
    return [{"id": prefix + str(n).zfill(width), **event} for n, event in enumerate(events, 1)]
