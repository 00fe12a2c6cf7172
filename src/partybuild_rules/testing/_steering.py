"""Datasets aimed at rules: :func:`datasets_for_rules` draws a dataset and edits it so that one
subject meets each rule's ``applies_if`` and its condition (a burst of counted events, an absence
streak, ratings, an overdue finding, a role, crowded communities), with the pack's own data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterable, Mapping

from hypothesis.strategies import SearchStrategy

from ..domain.model import Coverage, Dataset, SubjectKind, UnitKind
from ..domain.money import to_decimal
from ..domain.periods import Granularity, Period
from ..evaluation.compile import resolve
from ..policy.documents import Condition, Rule
from ..policy.pack import Pack
from ._datasets import _windows, datasets
from ._draw import Size, Window, _Draw, _score, _strategy
from ._raw_datasets import _group, _next_id, _record, add_event, counted_event, subject_ids
from ._records import DEFAULT_TIERS, _UNITS, _role_holding
from .pack_data import add_pack_data, steer_condition
from .pack_data import pack_event as _pack_event


def tier_names(pack: Pack) -> tuple[str, ...]:
    """The tiers of the pack's annual rating rules (the names ratings in a dataset may use)."""
    names = [tier.tier for rule in pack.rules if rule.rating for tier in rule.tiers or ()]
    return tuple(dict.fromkeys(names)) or DEFAULT_TIERS


def datasets_for_rules(
    pack: Pack,
    rule_ids: Iterable[str],
    *,
    communities: Size = (1, 3),
    units: Size = (1, 4),
    members: Size = (1, 6),
    months: Size = (12, 18),
    year: int = 2024,
) -> SearchStrategy[Dataset]:
    """:func:`datasets` steered towards making the given rules of ``pack`` fire: one subject passes
    the rule's ``applies_if`` and gets, as its condition needs, a burst of matching events in one
    month around the count's threshold, the ratings the condition names, an overdue finding, the
    role, or an event for each score item."""
    rules = [pack.rule(rule_id) for rule_id in rule_ids]
    base = datasets(communities=communities, units=units, members=members, months=months, year=year,
                    tiers=tier_names(pack))
    return _strategy(_steered, base, pack, rules, year)


def _steered(d: _Draw, base: SearchStrategy[Dataset], pack: Pack, rules: list[Rule], year: int) -> Dataset:
    raw = d.draw(base).model_dump()
    add_pack_data(d, pack, raw)
    for rule in rules:
        _steer(d, pack, rule, raw, year)
    return Dataset.model_validate(raw)


def _steer(d: _Draw, pack: Pack, rule: Rule, raw: dict[str, Any], year: int, subject: str | None = None,
           depth: int = 0) -> None:
    if rule.balance is not None:
        _crowd(d, pack, rule, raw)
        return
    kind = d.pick(rule.subjects)
    ids = subject_ids(raw, kind)
    if not ids:
        return
    subject = subject if subject in ids else d.pick(ids)
    _pass_applies_if(raw, kind, subject, rule.applies_if)
    condition = rule.when
    in_year = _year_window(raw, year)

    def counted(raw_: dict[str, Any], filter_: Mapping[str, Any], kind_: SubjectKind, subject_: str,
                day: date) -> dict[str, Any] | None:
        if filter_.get("type") in pack.event_types:
            return _pack_event(d, pack, raw_, str(filter_["type"]), kind_, subject_, day,
                              {k: v for k, v in filter_.items() if k != "type"})
        return counted_event(raw_, filter_, kind_, subject_, day)

    if condition is not None and condition.key in ("any", "not", "sum", "attribute", "outcome", "streak") or (
        condition is not None and condition.key == "all" and not all(p.rating is not None for p in condition.parts)
    ) or (condition is not None and condition.count is not None and (
        condition.count.per is None or condition.count.bound[0] not in ("less_than", "at_least")
        or condition.count.events.type in pack.event_types)):
        steer_condition(d, pack, condition, raw, kind, subject, year, counted,
                        lambda other, in_year, level: _steer(d, pack, other, raw, in_year, subject, level),
                        depth=depth)
    elif condition is not None and condition.count is not None:
        _burst(d, pack, raw, kind, subject, condition, in_year)
    elif condition is not None and condition.absence_streak is not None and depth:
        _absence_in_year(d, pack, raw, subject, condition, year)  # read by a rule chained on a year
    elif condition is not None and condition.absence_streak is not None:
        _absence(d, pack, raw, subject, condition)
    elif condition is not None and (condition.rating is not None or condition.all is not None):
        for part in condition.all or (condition,):
            assert part.rating is not None
            tier = part.rating.tier or d.pick(tier_names(pack))
            _set_rating(raw, kind, subject, year + part.rating.offset, tier)
    elif condition is not None and condition.overdue_finding is not None:
        day = d.day(in_year)
        deadline = d.day((day, in_year[1]))
        add_event(raw, {
            "type": "inspection", "date": day, "group": _group(raw), "subject_kind": kind, "subject": subject,
            "findings": [{"id": f"{_next_id(raw)}-F1", "description": "逾期未整改", "deadline": deadline}],
        })
    elif condition is not None and condition.holds_role is not None:
        record = _record(raw, SubjectKind.MEMBER, subject)
        covers = Coverage.model_validate(raw["covers"])
        communities = [c["id"] for c in raw["communities"]]
        holding = _role_holding(d, condition.holds_role, communities, covers).model_dump()
        record["roles"] = [h for h in record["roles"] if h["role"] != condition.holds_role] + [holding]
    value = _score(d)
    for item in rule.score or ():
        measure = item.sum or item.count
        if measure is not None:  # a burst of counted events, so that totals reach every tier
            filter_ = measure.events.tests()
            for _ in range(d.number(0, 30)):
                event = counted(raw, filter_, kind, subject, d.day(in_year))
                if event is None:
                    break
                add_event(raw, event)
        if item.events is None:
            continue
        field = item.field if isinstance(item.field, str) else (item.field or {}).get(kind, "")
        event = counted_event(raw, item.events.model_dump(), kind, subject, d.day(in_year), value=value, field=field)
        if event is not None:
            add_event(raw, event)


def _burst(
    d: _Draw, pack: Pack, raw: dict[str, Any], kind: SubjectKind, subject: str, condition: Condition, in_year: Window
) -> None:
    """Matching events for ``subject`` in one month of the year, around the count's threshold."""
    count = condition.count
    assert count is not None
    bound = count.at_least if count.at_least is not None else count.less_than
    assert bound is not None
    threshold = int(to_decimal(resolve(pack, bound)))
    month = Period.containing(d.day(in_year), Granularity.MONTH)
    window = (max(in_year[0], month.start), min(in_year[1], month.end))
    for _ in range(d.number(max(0, threshold - 1), max(0, threshold + 1))):
        event = counted_event(raw, count.events.model_dump(), kind, subject, d.day(window))
        if event is None:
            return
        add_event(raw, event)


def _absence(d: _Draw, pack: Pack, raw: dict[str, Any], member: str, condition: Condition) -> None:
    """The member has reported in and takes part in no activity for a run of months, from one
    short of the streak's threshold to the end of the covered months (long enough to hold two
    streaks, or to cross into the year from the one before)."""
    streak = condition.absence_streak
    assert streak is not None
    threshold = int(to_decimal(resolve(pack, streak.reaches)))
    covers = Coverage.model_validate(raw["covers"])
    record = _record(raw, SubjectKind.MEMBER, member)
    if record["reported_in"] is None:
        record["reported_in"] = covers.start - timedelta(days=700)
    months = _windows(covers, Granularity.MONTH)
    # from the first months half the time: a streak from the start can reach the threshold in
    # the year before, and a run from early in the covered months can hold two streaks
    first = d.number(0, min(threshold, len(months) - 1) if d.number(0, 1) else len(months) - 1)
    to_the_end = d.number(0, 1)
    last = len(months) - 1 if to_the_end else min(len(months) - 1, first + d.number(max(0, threshold - 2), len(months)))
    gap = (months[first][0], months[last][1])
    for event in raw["events"]:
        if event["type"] == "activity" and gap[0] <= event["date"] <= gap[1]:
            event["participants"] = [p for p in event["participants"] if p != member]


def _crowd(d: _Draw, pack: Pack, rule: Rule, raw: dict[str, Any]) -> None:
    """One community with more resident units than the rule's tolerance above the mean allows
    (at its default), next to an empty one: units the rule admits are added to it."""
    assert rule.balance is not None
    tolerance = to_decimal(resolve(pack, rule.balance.tolerance))
    places = raw["communities"] = list(raw["communities"])
    raw["units"] = list(raw["units"])
    if len(places) < 2:
        places.append({"id": "C0", "name": "滨江社区", "liaison": None, "area_m2": None, "neighbours": []})
    crowded, empty = places[0], places[-1]
    crowded["neighbours"] = sorted({*crowded["neighbours"], empty["id"]})
    for unit in raw["units"]:
        if unit["community"] == empty["id"]:
            unit["community"] = crowded["id"]
    extra = d.number(0, 2)
    taken = {unit["id"] for unit in raw["units"]}
    fresh = (f"UB{k}" for k in range(1, 10_000) if f"UB{k}" not in taken)
    for n in range(200):
        here = sum(1 for unit in raw["units"] if unit["community"] == crowded["id"])
        if n >= extra and here >= 2 and here * len(places) - len(raw["units"]) > tolerance * len(places):
            return
        unit = {"id": next(fresh), "name": f"同江市{_UNITS[n % len(_UNITS)]}", "community": crowded["id"],
                "kind": UnitKind.OTHER, "leader": None}
        raw["units"].append(unit)
        _pass_applies_if(raw, SubjectKind.UNIT, unit["id"], rule.applies_if)


def _absence_in_year(d: _Draw, pack: Pack, raw: dict[str, Any], member: str, condition: Condition, year: int) -> None:
    """A streak that reaches its threshold inside ``year``: the member takes part in nothing for
    that many months, ending in the year (for a rule that reads the streak's outcome of a year)."""
    streak = condition.absence_streak
    assert streak is not None
    threshold = int(to_decimal(resolve(pack, streak.reaches)))
    covers = Coverage.model_validate(raw["covers"])
    record = _record(raw, SubjectKind.MEMBER, member)
    if record["reported_in"] is None:
        record["reported_in"] = covers.start - timedelta(days=700)
    months = [w for w in _windows(covers, Granularity.MONTH)]
    ends = [i for i, w in enumerate(months) if w[1].year == year and i + 1 >= threshold]
    if not ends:
        return
    last = d.pick(ends)
    gap = (months[last + 1 - threshold][0], months[last][1])
    for event in raw["events"]:
        if event["type"] == "activity" and gap[0] <= event["date"] <= gap[1]:
            event["participants"] = [p for p in event["participants"] if p != member]


def _year_window(raw: Mapping[str, Any], year: int) -> Window:
    covers = raw["covers"]
    return max(covers["start"], date(year, 1, 1)), covers["end"]


def _pass_applies_if(raw: dict[str, Any], kind: SubjectKind, subject: str, tests: Mapping[str, Any]) -> None:
    record = _record(raw, kind, subject)
    for name, wanted in tests.items():
        value = wanted[0] if isinstance(wanted, tuple) else wanted
        if name not in record:  # an attribute a pack declares
            record["attributes"] = {**(record.get("attributes") or {}), name: value}
        elif kind is SubjectKind.UNIT and name == "kind":
            record["kind"] = value
        elif kind is SubjectKind.MEMBER and name == "five_star":
            record["five_star"] = bool(value)
        elif kind is SubjectKind.MEMBER and name == "in_service" and raw["units"]:
            record["in_service"] = bool(value)
            if record["in_service"] and record["unit"] is None:
                record["unit"] = raw["units"][0]["id"]


def _set_rating(raw: dict[str, Any], kind: SubjectKind, subject: str, year: int, tier: str) -> None:
    raw["ratings"] = [
        r for r in raw["ratings"] if (r["subject_kind"], r["subject"], r["year"]) != (kind, subject, year)
    ] + [{"subject_kind": kind, "subject": subject, "year": year, "tier": tier}]
