"""Editing raw datasets (``Dataset.model_dump()``), shared by the steered strategies and the
invariants: the ids of a kind of subject, a new event that counts for a subject, adding it; and
:func:`dataset_dict`, the short form counterexamples take."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from ..domain.model import Dataset, SubjectKind


_SECTION = {SubjectKind.MEMBER: "members", SubjectKind.UNIT: "units", SubjectKind.COMMUNITY: "communities"}


def subject_ids(raw: Mapping[str, Any], kind: SubjectKind) -> list[str]:
    return [record["id"] for record in raw[_SECTION[kind]]]


def _record(raw: Mapping[str, Any], kind: SubjectKind, subject: str) -> dict[str, Any]:
    return next(record for record in raw[_SECTION[kind]] if record["id"] == subject)


def _next_id(raw: Mapping[str, Any]) -> str:
    taken = {event["id"] for event in raw["events"]}
    number = len(taken) + 1
    while f"E{number}" in taken:
        number += 1
    return f"E{number}"


def _group(raw: dict[str, Any]) -> str:
    if not raw["inspection_groups"]:
        raw["inspection_groups"] = [{"id": "IG1", "name": "第一巡回督查组"}]
    return str(raw["inspection_groups"][0]["id"])


def add_event(raw: dict[str, Any], event: dict[str, Any]) -> None:
    """Append ``event`` to a raw dataset, numbering it if it has no id."""
    raw["events"] = [*raw["events"], event if "id" in event else {"id": _next_id(raw), **event}]


def counted_event(
    raw: dict[str, Any],
    filter_: Mapping[str, Any],
    kind: SubjectKind,
    subject: str,
    day: date,
    *,
    value: Decimal = Decimal(80),
    field: str = "",
) -> dict[str, Any] | None:
    """A new event (without id) on ``day`` that matches an event filter and counts for the
    subject, following the domain: members take part in activities and report in; units report,
    attend activities and meetings, are reviewed, inspected and scored; communities hold
    activities and meetings, receive reports and are reviewed, inspected and scored. ``None``
    when there is no such event (a rectification counts for nobody). A numeric ``field`` gets
    ``value``. An inspection group is added to ``raw`` if it has none."""
    wanted = {k: (v.value if hasattr(v, "value") else v) for k, v in filter_.items() if v is not None}
    units = [u["id"] for u in raw["units"]]
    members = {m["id"]: m for m in raw["members"]}
    unit_home = {u["id"]: u["community"] for u in raw["units"]}
    is_member, is_unit = kind is SubjectKind.MEMBER, kind is SubjectKind.UNIT
    home = members[subject]["residence_community"] if is_member else unit_home[subject] if is_unit else subject
    event: dict[str, Any] = {"type": wanted["type"], "date": day}
    type_ = wanted["type"]
    if type_ == "activity":
        event.update(community=home, kind=wanted.get("kind", "theme_day"), co_building=wanted.get("co_building", True),
                     participants=[subject] if is_member else [], units=[subject] if is_unit else [])
    elif type_ == "member_report_in" and not is_unit and members:
        event.update(member=subject if is_member else next(iter(members)), community=home)
    elif type_ == "unit_report" and not is_member and units:
        event.update(unit=subject if is_unit else units[0], community=home)
    elif type_ == "joint_meeting" and not is_member:
        event.update(community=home, units=[subject] if is_unit else [])
    elif type_ == "two_way_review" and not is_member and units:
        event.update(year=day.year, unit=subject if is_unit else units[0], community=home,
                     score_of_unit=Decimal(80), score_of_community=Decimal(80))
    elif type_ == "inspection" and not is_member:
        event.update(group=_group(raw), subject_kind=kind, subject=subject, findings=[])
    elif type_ == "assessment" and not is_member:
        event.update(subject_kind=kind, subject=subject, part=wanted.get("part", "daily"), score=Decimal(80))
    else:
        return None
    if field in event:
        event[field] = value
    return event


def dataset_dict(data: Dataset) -> dict[str, Any]:
    """A dataset as short JSON data (defaults and empty sections left out, each event keeping its
    ``type``) that ``load_dataset`` reads back unchanged: the form counterexamples take."""
    compact = data.model_dump(mode="json", exclude_defaults=True)
    compact["events"] = [
        {"id": event.id, "type": event.type, **{k: v for k, v in dumped.items() if k != "id"}}
        for event, dumped in zip(data.events, compact.get("events", []))
    ]
    return {key: value for key, value in compact.items() if key == "covers" or value not in ([], {}, "")}
