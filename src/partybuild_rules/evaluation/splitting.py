"""Cutting a dataset into community partitions and writing them as JSON text, and reading a
partition back (what a worker receives, in :mod:`.partitions`).

A partition holds its community's records, every event that counts for one of its subjects (as
:mod:`.index` counts them) and, as context, the records those refer to; its events are written by
type, each read back by its own model, with one digit per event for their order."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence, cast

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from ..data.compact import event_json, is_compact_event
from ..data.datasets import check_declared
from ..domain.errors import DataError, Problem
from ..domain.model import CORE_EVENT_MODELS, CORE_EVENT_TYPES, Dataset, Event, PackEvent, SubjectKind
from ..policy.declarations import Declarations, RefTo
from ..policy.pack import Pack
from .index import INVOLVED, involved

__all__ = ["Partition", "community_dataset", "decoded", "split", "written_partitions"]

_KINDS = (SubjectKind.MEMBER, SubjectKind.UNIT, SubjectKind.COMMUNITY)

_EVENT: TypeAdapter[Any] = TypeAdapter(Event)


@dataclass(frozen=True)
class Partition:
    """One community's part of a dataset as JSON text: what a worker receives. ``dataset`` holds
    its records and events, ``records`` its records alone (what the second round reads)."""

    community: str
    dataset: str
    records: str

    def payload(self) -> dict[str, str]:
        """The partition as a plain JSON-able mapping (a row of a data frame)."""
        return {"community": self.community, "dataset": self.dataset, "records": self.records}


def split(data: Dataset, pack: Pack) -> list[Partition]:
    """One :class:`Partition` per community of ``data``, in the order of ``data.communities``:
    what :func:`community_dataset` keeps, less the records of other communities, and with an
    activity's participants only those residing in the community (a partition is evaluated for
    its own subjects only: it is not a dataset to read alone, as its events name records it does
    not hold). ``data`` is checked against ``pack`` first, as evaluating checks it."""
    return list(written_partitions(data, pack)[1])


def written_partitions(data: Dataset, pack: Pack) -> tuple[dict[str, int], Iterator[Partition]]:
    """The number of events of each partition, and the partitions, written as they are asked for."""
    check_declared(data, pack)
    parts = _datasets(data, pack, None, context=False)

    def partitions() -> Iterator[Partition]:
        written: dict[int, str] = {}  # each event written once: whole, or up to its participants
        for community, part in parts.items():
            residents = {m.id for m in part.members}
            by_type: dict[str, list[str]] = {name: [] for name in _TYPES}
            order = []
            for event in part.events:
                text = written.get(id(event))
                if text is None:
                    text = written[id(event)] = _event_json(event)
                participants = getattr(event, "participants", None)
                if participants is not None:  # only the residents' facts are made here
                    own = participants if residents.issuperset(participants) else [
                        m for m in participants if m in residents]
                    text += _id_list(own) + "}"
                kind = "pack" if isinstance(event, PackEvent) else event.type
                by_type[kind].append(text)
                order.append(_CODES[kind])
            head = part.model_dump_json(exclude={"events"})
            events = ",".join(f'"{name}":[{",".join(texts)}]' for name, texts in by_type.items() if texts)
            yield Partition(community, f'{{"dataset":{head},"events":{{{events}}},"order":"{"".join(order)}"}}',
                            f'{{"dataset":{head},"events":{{}},"order":""}}')

    return {community: len(part.events) for community, part in parts.items()}, partitions()


def _id_list(ids: Sequence[str]) -> str:
    """A JSON list of ids; ids that passed the dataset's checks need no escaping (most lists)."""
    joined = "".join(ids)
    if joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined:
        return '["' + '","'.join(ids) + '"]' if ids else "[]"
    return json.dumps(list(ids), ensure_ascii=False)


def _event_json(event: Any) -> str:
    """An event as JSON text; an event with participants up to their list (``…,"participants":``)."""
    if is_compact_event(event):
        return event_json(event)
    if hasattr(event, "participants"):
        text: str = _EVENT.dump_json(event, exclude={"participants"}).decode()
        return text[:-1] + ',"participants":'
    whole: str = _EVENT.dump_json(event).decode()
    return whole


def community_dataset(data: Dataset, community: str, pack: Pack | None = None) -> Dataset:
    """The dataset of one community: its units, the members residing there, their ratings and
    every event that counts for one of them (as :mod:`~partybuild_rules.evaluation.index` counts:
    an activity for its community, units and participants; a pack event for every subject its
    reference fields name, as ``pack`` declares them), the rectifications of its inspections'
    findings, and, as context only, the records those refer to."""
    return _datasets(data, pack, {community}, context=True)[community]


def _datasets(data: Dataset, pack: Pack | None, only: set[str] | None, *, context: bool) -> dict[str, Dataset]:
    declarations = pack.declarations if pack is not None else Declarations.empty()
    owner: dict[SubjectKind, dict[str, str]] = {
        SubjectKind.MEMBER: {m.id: m.residence_community for m in data.members},
        SubjectKind.UNIT: {u.id: u.community for u in data.units},
        SubjectKind.COMMUNITY: {c.id: c.id for c in data.communities},
    }
    wanted = [c.id for c in data.communities if only is None or c.id in only]
    routes = _Routes(declarations, owner)
    events: dict[str, list[Any]] = {c: [] for c in wanted}
    of_finding: dict[str, set[str]] = defaultdict(set)
    # events by type, not class: compactly read events have the models' fields, not their classes
    event: Any
    for event in data.events:
        if event.type == "rectification":
            continue
        places = routes.communities(event)
        if event.type == "inspection":
            for finding in event.findings:
                of_finding[finding.id] |= places
        for place in places:
            if place in events:
                events[place].append(event)
    for event in data.events:  # rectifications follow their findings, in record order
        if event.type == "rectification":
            for place in of_finding.get(event.finding, ()):
                if place in events:
                    events[place].append(event)
    records = _Records(data)
    return {community: _dataset_of(records, community, events[community], routes, context) for community in wanted}


class _Records:
    """A dataset's records by id and by community, for cutting it into partitions."""

    def __init__(self, data: Dataset) -> None:
        self.data = data
        self.units = {u.id: u for u in data.units}
        self.members = {m.id: m for m in data.members}
        self.grids = {g.id: g for g in data.grids}
        self.order = {section: {r.id: n for n, r in enumerate(getattr(data, section))}
                      for section in ("communities", "grids", "units", "members", "inspection_groups")}
        self.own_units: dict[str, list[str]] = defaultdict(list)
        for unit in data.units:
            self.own_units[unit.community].append(unit.id)
        self.residents: dict[str, list[str]] = defaultdict(list)
        for member in data.members:
            self.residents[member.residence_community].append(member.id)
        self.ratings: dict[str, list[Any]] = defaultdict(list)
        for rating in data.ratings:
            rated = self.units.get(rating.subject) if rating.subject_kind is SubjectKind.UNIT else None
            self.ratings[rated.community if rated is not None else rating.subject].append(rating)

    def kept(self, section: str, ids: set[str]) -> tuple[Any, ...]:
        """The records of ``section`` with these ids, in the dataset's order."""
        order = self.order[section]
        records = getattr(self.data, section)
        return tuple(records[n] for n in sorted(order[i] for i in ids if i in order))


class _Routes:
    """The communities an event belongs to: those of every subject it counts for."""

    def __init__(self, declarations: Declarations, owner: Mapping[SubjectKind, Mapping[str, str]]) -> None:
        self.owner = owner
        self._refs: dict[str, list[tuple[str, SubjectKind]]] = {
            name: [(field, spec.type.ref) for field, spec in event.fields.items() if isinstance(spec.type, RefTo)]
            for name, event in declarations.events.items()
        }

    def subjects(self, event: Any) -> Iterator[tuple[SubjectKind, str]]:
        if isinstance(event, PackEvent):
            for field, kind in self._refs.get(event.type, ()):
                value = event.fields.get(field)
                for subject in value if isinstance(value, list) else ([value] if value else []):
                    yield kind, str(subject)
            return
        units = self.owner[SubjectKind.UNIT]
        for kind in _KINDS:
            for subject in involved(event, kind, units):
                if subject:
                    yield kind, subject

    def communities(self, event: Any) -> set[str]:
        if isinstance(event, PackEvent):
            found = {self.owner[kind].get(subject) for kind, subject in self.subjects(event)}
        else:  # the subjects of a core event, as :meth:`subjects` gives them, taken a field at a time
            found = set()
            units = self.owner[SubjectKind.UNIT]
            for kind, subjects_of in INVOLVED[event.type].items():
                found.update(map(self.owner[kind].get, subjects_of(event, units)))
        found.discard(None)
        found.discard("")
        return cast(set[str], found)


def _dataset_of(records: _Records, community: str, events: list[Any], routes: _Routes, context: bool) -> Dataset:
    """With ``context``, a consistent dataset: the records of other communities that the kept
    records refer to are kept too. Without, only the community's own records (and the inspection
    groups): what evaluating its own subjects reads."""
    data = records.data
    units = set(records.own_units.get(community, ()))
    members = set(records.residents.get(community, ()))
    need: dict[str, set[str]] = {
        "communities": {community}, "units": set(units), "members": set(members), "grids": set(),
        "inspection_groups": {e.group for e in events if e.type == "inspection"},
    }
    section = {SubjectKind.MEMBER: "members", SubjectKind.UNIT: "units", SubjectKind.COMMUNITY: "communities"}
    for event in events if context else ():
        for kind, subject in routes.subjects(event):
            need[section[kind]].add(subject)
        need["units"] |= set(getattr(event, "units", ())) | ({event.unit} if getattr(event, "unit", None) else set())
        need["members"] |= set(getattr(event, "participants", ())) | (
            {event.member} if getattr(event, "member", None) else set())
        if getattr(event, "community", None):
            need["communities"].add(event.community)
    for member_id in need["members"]:
        member = records.members.get(member_id)
        if member is not None:
            need["communities"] |= {member.residence_community} | {h.community for h in member.roles}
            need["units"] |= {member.unit} if member.unit else set()
            need["grids"] |= {member.grid} if member.grid else set()
    if context:
        need["communities"] |= {records.units[u].community for u in need["units"] if u in records.units}
        need["communities"] |= {records.grids[g].community for g in need["grids"] if g in records.grids}
    else:  # a member's unit, grid and roles elsewhere are named, not kept
        need["units"], need["grids"], need["communities"] = units, {
            g for g in need["grids"] if g in records.grids and records.grids[g].community == community}, {community}
    kept = need["communities"]
    sections: dict[str, Any] = {name: records.kept(name, need[name])
                                for name in ("grids", "units", "members", "inspection_groups")}
    return Dataset.model_construct(
        name=data.name, covers=data.covers, declared_by=data.declared_by,
        communities=tuple(
            c if all(n in kept for n in c.neighbours)
            else c.model_copy(update={"neighbours": tuple(n for n in c.neighbours if n in kept)})
            for c in records.kept("communities", kept)
        ),
        ratings=tuple(records.ratings.get(community, ())),
        events=tuple(events),
        **sections,
    )


_TYPES: dict[str, type[BaseModel]] = {**CORE_EVENT_MODELS, "pack": PackEvent}

_CODES = {name: str(n) for n, name in enumerate(_TYPES)}

assert set(_TYPES) == {*CORE_EVENT_TYPES, "pack"} and len(_TYPES) <= 10

_SECTIONS: dict[str, Any] = {
    name: (field.annotation, field) for name, field in Dataset.model_fields.items() if name != "events"}

_model: Any = create_model  # fields built from other models' fields: typed as Any

_Payload: type[BaseModel] = _model(
    "_Payload", __config__=Dataset.model_config,
    dataset=(_model("_Sections", __config__=Dataset.model_config, **_SECTIONS), ...),
    events=(_model("_Events", __config__=Dataset.model_config,
                   **{name: (tuple[cls, ...], ()) for name, cls in _TYPES.items()}), ...),  # type: ignore[valid-type]
    order=(str, ...),
)
"""A partition as written: the community's records, each field validated as :class:`Dataset`
validates it (without the check of references across sections, which the whole dataset passed),
its events by type (each type read by its own model: no event has to be tried against the
others), and the order of the events, one digit per event naming its type."""


def decoded(text: str, community: str = "") -> Dataset:
    try:
        payload: Any = _Payload.model_validate_json(text)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise DataError([Problem(
            f"partition `{community}` is not one that split() wrote: {where}: {first['msg']}", None, "partition",
            "pass the partitions split() returns, as they are",
        )]) from None
    sections = payload.dataset
    of_type = {name: iter(getattr(payload.events, name)) for name in _TYPES}
    kinds = list(_TYPES)
    events = tuple(next(of_type[kinds[int(code)]]) for code in payload.order)
    return Dataset.model_construct(**{name: getattr(sections, name) for name in _SECTIONS}, events=events)
