"""Strategies for the data a pack declares, and for steering datasets towards composed conditions.

:func:`add_pack_data` gives every subject a value (or, sometimes, none) for each attribute the
pack declares and draws events of the pack's own types; numbers come near the bounds of the
pack's band tables, where rates change. :func:`steer_condition` edits a raw dataset so that one
subject meets (or, under ``not``, fails) each measure of a composed condition: an attribute set,
a burst of counted events, a run of periods without them, the outcomes of the rules it reads.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable

from ..domain.model import SubjectKind
from ..domain.periods import Granularity, Period
from ..evaluation.compile import resolve
from ..domain.money import to_decimal
from ..policy.declarations import FieldSpec, OneOf, RefTo
from ..policy.documents import Condition, Rule
from ..policy.pack import BandTable, Pack
from ._draw import _Draw

__all__ = ["add_pack_data", "steer_condition", "pack_event", "field_value"]

Draw = _Draw
_SECTION = {SubjectKind.MEMBER: "members", SubjectKind.UNIT: "units", SubjectKind.COMMUNITY: "communities"}


def _money_points(pack: Pack) -> list[Decimal]:
    """Amounts worth trying: each bound of the pack's band tables, a fen either side, and a few others."""
    points = [Decimal("0.00"), Decimal("1270.00"), Decimal("4321.99"), Decimal("20000.00")]
    for value in pack.values.values():
        if isinstance(value, BandTable):
            for row in value.rows:
                for bound in (row.low, row.high):
                    if bound is not None:
                        points += [bound - Decimal("0.01"), bound, bound + Decimal("0.01")]
    return sorted(set(p for p in points if p >= 0))


def field_value(d: Draw, pack: Pack, spec: FieldSpec, raw: dict[str, Any], day: date) -> Any:
    """A value of a declared type, as JSON data."""
    kind = spec.type
    if isinstance(kind, OneOf):
        return d.pick(kind.one_of)
    if isinstance(kind, RefTo):
        ids = [r["id"] for r in raw[_SECTION[kind.ref]]]
        if kind.many:
            return d.subset(ids)
        return d.pick(ids) if ids else None
    if kind == "money":
        return str(d.pick(_money_points(pack)))
    if kind == "decimal":
        return str(Decimal(d.number(0, 10000)) / 100)
    if kind == "integer":
        return d.number(0, 20)
    if kind == "boolean":
        return bool(d.number(0, 1))
    if kind == "month":
        return f"{day.year}-{day.month:02d}"
    if kind == "date":
        return (day - timedelta(days=d.number(0, 3650))).isoformat()
    return d.pick(("甲", "乙", "丙"))


def add_pack_data(d: Draw, pack: Pack, raw: dict[str, Any]) -> None:
    """Attributes for every subject (each missing now and then) and events of the pack's types."""
    covers = raw["covers"]
    start, end = covers["start"], covers["end"]
    for kind, specs in pack.attributes.items():
        for record in raw[_SECTION[kind]]:
            attributes = dict(record.get("attributes") or {})
            for name, spec in specs.items():
                if d.number(0, 5) or spec.required:
                    value = field_value(d, pack, spec, raw, end)
                    if value is not None:
                        attributes[name] = value
            record["attributes"] = attributes
    months = []
    period = Period.containing(start, Granularity.MONTH)
    while period.start <= end:
        months.append(period)
        period = period.next()
    for event_type, event_spec in pack.event_types.items():
        refs = [(n, f.type.ref) for n, f in event_spec.fields.items() if isinstance(f.type, RefTo) and not f.type.many]
        if not refs:
            continue
        name, ref_kind = refs[0]
        for record in raw[_SECTION[ref_kind]]:
            for month, held in zip(months, d.mask(len(months))):
                if held:
                    day = max(start, min(end, month.start + timedelta(days=9)))
                    event = pack_event(d, pack, raw, event_type, ref_kind, record["id"], day)
                    if event is not None:
                        raw["events"] = [*raw["events"], {"id": f"X{len(raw['events']) + 1}", **event}]


def pack_event(
    d: Draw, pack: Pack, raw: dict[str, Any], event_type: str, kind: SubjectKind, subject: str, day: date,
    values: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """An event of a pack type on ``day`` that counts for ``subject`` (a reference field of its kind
    names it), without id; ``None`` when the type has no such field."""
    spec = pack.event_types.get(event_type)
    if spec is None:
        return None
    event: dict[str, Any] = {"type": event_type, "date": day.isoformat()}
    names_subject = False
    for name, field in spec.fields.items():
        if isinstance(field.type, RefTo) and field.type.ref is kind and not names_subject:
            event[name] = [subject] if field.type.many else subject
            names_subject = True
        elif values and name in values:
            event[name] = values[name]
        else:
            value = field_value(d, pack, field, raw, day)
            if value is not None:
                event[name] = value
            elif field.required:
                return None
    return event if names_subject else None


# ---------------------------------------------------------------------------------------------
# steering towards composed conditions


def steer_condition(
    d: Draw, pack: Pack, condition: Condition, raw: dict[str, Any], kind: SubjectKind, subject: str,
    year: int, counted: Callable[..., Any], steer_rule: Callable[[Rule, int, int], None], positive: bool = True,
    depth: int = 0,
) -> None:
    """Edit ``raw`` so that ``subject`` meets ``condition`` (fails it when not ``positive``), as
    far as one draw can: every part of ``all``, one part of ``any``, the inverse under ``not``."""
    if condition.not_ is not None:
        steer_condition(d, pack, condition.not_, raw, kind, subject, year, counted, steer_rule, not positive, depth)
        return
    if condition.all is not None or condition.any is not None:
        every = (condition.all is not None) == positive
        parts = condition.parts if every else (d.pick(condition.parts),)
        for part in parts:
            steer_condition(d, pack, part, raw, kind, subject, year, counted, steer_rule, positive, depth)
        return
    record = next(r for r in raw[_SECTION[kind]] if r["id"] == subject)
    if condition.attribute is not None:
        _steer_attribute(d, pack, condition, record, raw, positive)
    elif condition.rating is not None and condition.rating.tier is not None and positive:
        raw["ratings"] = [r for r in raw["ratings"] if (r["subject_kind"], r["subject"], r["year"]) != (
            kind, subject, year + condition.rating.offset)] + [{"subject_kind": kind, "subject": subject,
                                                                 "year": year + condition.rating.offset,
                                                                 "tier": condition.rating.tier}]
    elif condition.outcome is not None and depth < 3:
        for rule_id in condition.outcome.rules or [r.id for r in pack.rules if r.kind is condition.outcome.kind]:
            if rule_id in {r.id for r in pack.rules}:
                steer_rule(pack.rule(rule_id), year + condition.outcome.offset, depth + 1)
    elif condition.streak is not None:
        _steer_streak(d, pack, condition, raw, kind, subject, record, year)
    elif condition.count is not None or condition.sum is not None:
        _steer_measure(d, pack, condition, raw, kind, subject, year, counted, positive)


def _steer_attribute(d: Draw, pack: Pack, condition: Condition, record: dict[str, Any], raw: dict[str, Any],
                     positive: bool) -> None:
    test = condition.attribute
    assert test is not None
    name, wanted = test.test
    attributes = record.setdefault("attributes", {})
    spec = pack.attributes.get(_kind_of(raw, record), {}).get(test.name)
    if name == "recorded":
        if bool(wanted) == positive:
            if test.name not in attributes and spec is not None:
                attributes[test.name] = field_value(d, pack, spec, raw, raw["covers"]["end"])
        else:
            attributes.pop(test.name, None)
        return
    if name in ("equals", "one_of") and spec is not None:
        choices = [wanted] if name == "equals" else list(wanted)
        if positive:
            attributes[test.name] = d.pick(choices)
        return
    if spec is not None and spec.numeric:
        limits = wanted if name == "between" else (wanted,)
        base = to_decimal(resolve(pack, d.pick(limits)))
        step = Decimal("0.01") if spec.type != "integer" else Decimal(1)
        value = d.pick((base - step, base, base + step))
        attributes[test.name] = int(value) if spec.type == "integer" else str(max(value, Decimal(0)))


def _kind_of(raw: dict[str, Any], record: dict[str, Any]) -> SubjectKind:
    for kind, section in _SECTION.items():
        if any(r is record for r in raw[section]):
            return kind
    return SubjectKind.MEMBER


def _steer_measure(
    d: Draw, pack: Pack, condition: Condition, raw: dict[str, Any], kind: SubjectKind, subject: str, year: int,
    counted: Callable[..., Any], positive: bool,
) -> None:
    measure = condition.count or condition.sum
    assert measure is not None
    name, bound = measure.bound
    wants_more = (name in ("at_least", "more_than", "between")) == positive
    in_year = (max(raw["covers"]["start"], date(year, 1, 1)), raw["covers"]["end"])
    if in_year[0] > in_year[1]:
        return
    filter_ = measure.events.tests()
    if wants_more:
        limit = bound[1] if name == "between" else bound
        target = int(to_decimal(resolve(pack, limit))) + 1 if condition.count is not None else d.number(1, 3)
        day = in_year[0] + timedelta(days=d.number(0, (in_year[1] - in_year[0]).days))
        for _ in range(min(max(target, 1), 40)):
            event = counted(raw, filter_, kind, subject, day)
            if event is None:
                return
            raw["events"] = [*raw["events"], {"id": f"X{len(raw['events']) + 1}", **event}]
    else:
        _remove_events(raw, measure.events.type, subject, in_year[0], in_year[1])


def _remove_events(raw: dict[str, Any], event_type: str, subject: str, first: date, last: date) -> None:
    """Drop the events of ``event_type`` between two days that count for ``subject`` (its id in a
    field or list), or take the subject out of an activity's participants."""
    kept = []
    for event in raw["events"]:
        day = event["date"] if isinstance(event["date"], date) else date.fromisoformat(event["date"])
        if event["type"] == event_type and first <= day <= last:
            if event_type == "activity":
                event = {**event, "participants": [p for p in event.get("participants", []) if p != subject]}
            elif subject in [v for k, v in event.items() if k not in ("id", "date", "type")] or any(
                isinstance(v, list) and subject in v for v in event.values()
            ):
                continue
        kept.append(event)
    raw["events"] = kept


def _steer_streak(
    d: Draw, pack: Pack, condition: Condition, raw: dict[str, Any], kind: SubjectKind, subject: str,
    record: dict[str, Any], year: int,
) -> None:
    """A run of periods in which the streak's condition holds: its counted events removed from a
    month of the covered dates to their end; a date the streak counts from, set early."""
    streak = condition.streak
    assert streak is not None
    start, end = raw["covers"]["start"], raw["covers"]["end"]
    if streak.counts_from == "reported_in" and kind is SubjectKind.MEMBER:
        record["reported_in"] = record.get("reported_in") or start - timedelta(days=700)
    elif streak.counts_from is not None:
        record.setdefault("attributes", {})[streak.counts_from] = (start - timedelta(days=700)).isoformat()
    threshold = int(to_decimal(resolve(pack, streak.reaches)))
    months = max(1, (end.year - start.year) * 12 + end.month - start.month + 1)
    first_month = d.number(0, max(0, months - threshold))
    first = date(start.year + (start.month - 1 + first_month) // 12, (start.month - 1 + first_month) % 12 + 1, 1)
    for part in streak.of.walk():
        measure = part.count or part.sum
        if measure is not None and measure.bound[0] in ("less_than", "at_most"):
            _remove_events(raw, measure.events.type, subject, max(first, start), end)
