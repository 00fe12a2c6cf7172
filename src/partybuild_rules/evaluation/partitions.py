"""Evaluating community by community: in worker processes (``jobs``), on a Dask cluster
(``dask``) or anywhere a function can be mapped over records (Spark), with the result of one
process, outcome for outcome, provenance included. ``docs/scale.md`` explains the design.

- :func:`split` cuts a dataset into one :class:`Partition` per community: the community's own
  records, every event that counts for one of its subjects, and the records those refer to.
- :func:`plan` says which rules run in the partitions and which over the whole city (rules that
  read another community, allocation, and the rules that read their outcomes).
- :func:`evaluate_partition` evaluates one partition (plain JSON text in, plain records out).
- :func:`combine` evaluates the whole-city rules in this process, given the records of every
  partition, and returns the :class:`~partybuild_rules.domain.outcomes.Result`.

:mod:`.runners` runs the partitions in worker processes or on a Dask cluster.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import threading
import types
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, cast

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model

from ..domain.errors import DataError, Problem
from ..domain.model import (
    CORE_EVENT_MODELS,
    CORE_EVENT_TYPES,
    Dataset,
    Event,
    PackEvent,
    SubjectKind,
)
from ..domain.outcomes import Outcome, Result
from ..policy.declarations import Declarations, RefTo
from ..policy.documents import RuleKind
from ..data.compact import event_json, is_compact_event
from ..data.datasets import check_declared
from ..policy.pack import Pack
from ..policy.pack_checks import rule_dependencies
from .index import INVOLVED, involved
from .compile import Program, compile_pack
from .engines.base import resolve_engine
from .evaluator import Evaluator, Progress, Share

__all__ = [
    "Partition",
    "Plan",
    "combine",
    "community_dataset",
    "community_ratings",
    "evaluate_partition",
    "pack_bundle",
    "plan",
    "split",
]

_KINDS = (SubjectKind.MEMBER, SubjectKind.UNIT, SubjectKind.COMMUNITY)
_OUTCOMES: TypeAdapter[list[Any]] = TypeAdapter(list[Outcome])
_EVENT: TypeAdapter[Any] = TypeAdapter(Event)


# ---------------------------------------------------------------------------------------------
# which rules run where


@dataclass(frozen=True)
class Plan:
    """Where each rule runs: ``partitioned`` rules in the community partitions; ``second`` rules
    in the partitions too, in a second round that knows every community's rating (their facts
    carry the rating of the community where a role is held); the others over the whole city, each
    with the reason (``whole[rule_id]``)."""

    partitioned: frozenset[str]
    second: frozenset[str]
    whole: Mapping[str, str]


def plan(pack: Pack, program: Program | None = None) -> Plan:
    """Which rules of ``pack`` run in community partitions. A rule runs over the whole city if it
    is ``local: false`` (allocation is never local), or if it reads the outcomes of such a rule
    (``outcome:`` conditions, ratings, ``unless: reprimanded``), directly or through other rules.
    A ``holds_role`` rule, whose facts carry the rating of the community where the role is held
    (another community's, for a member holding a role elsewhere), runs in a second round of the
    partitions, given every community's rating, if it reads no outcome but the ratings (it is
    evaluated after them); otherwise over the whole city."""
    program = program or compile_pack(pack)
    whole: dict[str, str] = {}
    for rule in pack.rules:
        if rule.kind is RuleKind.ALLOCATION:
            whole[rule.id] = "an allocation compares communities"
        elif not rule.local:
            whole[rule.id] = "`local: false`: it reads records of another community"
    needs = rule_dependencies(pack.rules)
    raters = {rule.id for rule in pack.rules if rule.rating}
    second: set[str] = set()
    for query in program.queries:
        rule_id = query.rule.id
        if query.kind == "role" and rule_id not in whole:  # role_month_facts carries the role's community rating
            reads = set(needs.get(rule_id, ()))
            if reads <= raters and (reads == raters or not raters):
                second.add(rule_id)
            else:
                whole[rule_id] = ("its facts carry the rating of the community where a role is held, "
                                  "and it reads other outcomes than the ratings")
    changed = True
    while changed:
        changed = False
        for rule in pack.rules:
            if rule.id in whole:
                continue
            read = next((n for n in needs.get(rule.id, ()) if n in whole or (n in second and rule.id not in second)),
                        None)
            if read is not None:
                where = "over the whole city" if read in whole else "in the second round"
                whole[rule.id] = f"it reads the outcomes of `{read}`, evaluated {where}"
                second.discard(rule.id)
                changed = True
    partitioned = frozenset(rule.id for rule in pack.rules if rule.id not in whole and rule.id not in second)
    return Plan(partitioned, frozenset(second), types.MappingProxyType(whole))


# ---------------------------------------------------------------------------------------------
# partitions


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
    return list(_written(data, pack)[1])


def _written(data: Dataset, pack: Pack) -> tuple[dict[str, int], Iterator[Partition]]:
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


def _decoded(text: str, community: str = "") -> Dataset:
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


# ---------------------------------------------------------------------------------------------
# the pack, shipped


def _mapping(items: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    return types.MappingProxyType(items)


class _PackPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is types.MappingProxyType:
            return _mapping, (dict(obj),)
        return NotImplemented


def pack_bundle(pack: Pack) -> bytes:
    """``pack`` as bytes a worker turns back into the same pack (without its compiled engine
    programs, which each worker builds once): the pack's files are not read again, so workers need
    no copy of them, only the same version of this library."""
    stream = io.BytesIO()
    _PackPickler(stream, protocol=pickle.HIGHEST_PROTOCOL).dump(replace(pack, _cache={}))
    return stream.getvalue()


_LOADED: OrderedDict[tuple[str, str | None], tuple[Evaluator, _Queries]] = OrderedDict()
_LOADED_LOCK = threading.Lock()
_LOADED_KEPT = 4


def _evaluator(pack: Pack | bytes, engine: str | None) -> tuple[Evaluator, _Queries]:
    """The compiled pack and the queries of its partitioned rules; a worker compiles each
    shipped pack once (by content) and keeps the last few."""
    if isinstance(pack, Pack):
        name = resolve_engine(engine)
        evaluator = pack._cache.get(f"evaluator:{name}") or pack._cache.setdefault(
            f"evaluator:{name}", Evaluator(pack, name))
        return evaluator, _partitioned_queries(evaluator)
    key = (hashlib.sha256(pack).hexdigest(), engine)
    with _LOADED_LOCK:
        known = _LOADED.get(key)
        if known is not None:
            _LOADED.move_to_end(key)
            return known
    loaded: Pack = pickle.loads(pack)
    evaluator = Evaluator(loaded, engine)
    known = (evaluator, _partitioned_queries(evaluator))
    with _LOADED_LOCK:
        _LOADED[key] = known
        while len(_LOADED) > _LOADED_KEPT:
            _LOADED.popitem(last=False)[1][0].close()
    return known


@dataclass(frozen=True)
class _Queries:
    """The queries of the rules a partition evaluates, in the first round and in the second."""

    first: frozenset[str]
    second: frozenset[str]


def _partitioned_queries(evaluator: Evaluator) -> _Queries:
    chosen = plan(evaluator.pack, evaluator.program)
    queries = evaluator.program.queries
    return _Queries(frozenset(q.qid for q in queries if q.rule.id in chosen.partitioned),
                    frozenset(q.qid for q in queries if q.rule.id in chosen.second))


# ---------------------------------------------------------------------------------------------
# evaluating partitions, and the whole


def evaluate_partition(
    partition: Partition | Mapping[str, str], pack: Pack | bytes, year: int, engine: str | None = None,
    ratings: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The outcomes of the partitioned rules (see :func:`plan`) for the subjects of the
    partition's community, as plain JSON-able records (``outcome.model_dump(mode="json")``), in
    the order of the outcomes. ``pack`` is a loaded pack or a :func:`pack_bundle`. With
    ``ratings`` (every community's rating, from :func:`community_ratings`), the outcomes of the
    second round's rules instead, read from the partition's records alone."""
    payload = partition.payload() if isinstance(partition, Partition) else partition
    evaluator, queries = _evaluator(pack, engine)
    community = payload["community"]
    if ratings is None:
        share = Share(queries.first, community)
        text = payload["dataset"]
    else:
        if not queries.second:
            return []
        share = Share(queries.second, community, computed={(SubjectKind.COMMUNITY, c): t for c, t in ratings.items()})
        text = payload.get("records") or payload["dataset"]
    result = evaluator._run(_decoded(text, community), year, None, None, share)
    return [outcome.model_dump(mode="json") for outcome in result.outcomes]


def community_ratings(data: Dataset, year: int, records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Every community's rating of ``year`` for the second round: the one given in ``data``, else
    the one the partitions worked out (a rating evaluation among ``records``)."""
    found = {r["subject"]: r["tier"] for r in records
             if r.get("kind") == "evaluation" and r.get("rating") and r.get("subject_kind") == "community"}
    found.update({r.subject: r.tier for r in data.ratings if r.subject_kind is SubjectKind.COMMUNITY and r.year == year})
    return found


def combine(
    evaluator: Evaluator, data: Dataset, year: int, records: Iterable[Mapping[str, Any]],
    progress: Progress | None = None,
) -> Result:
    """The result of the whole evaluation: the outcomes of every partition (``records``, as
    :func:`evaluate_partition` returns them, of both rounds), and those of the rules that run over
    the whole city, evaluated here with the partitions' outcomes of the stages before theirs."""
    outcomes = _OUTCOMES.validate_python(list(records))
    return _whole(evaluator, data, year, progress, lambda: outcomes)


def _whole(
    evaluator: Evaluator, data: Dataset, year: int, progress: Progress | None, gather: Callable[[], list[Any]]
) -> Result:
    stage_of = {q.rule.id: q.stage for q in evaluator.program.queries}
    chosen = plan(evaluator.pack, evaluator.program)
    qids = frozenset(q.qid for q in evaluator.program.queries
                     if q.rule.id not in chosen.partitioned and q.rule.id not in chosen.second)
    by_stage: dict[int, list[Any]] | None = None

    def joined(stage: int) -> list[Any]:
        nonlocal by_stage
        if by_stage is None:  # the partitions' outcomes are awaited only when first needed
            by_stage = defaultdict(list)
            for outcome in gather():
                by_stage[stage_of[outcome.rule_id]].append(outcome)
        return by_stage.pop(stage, [])

    return evaluator._run(data, year, progress, None, Share(qids, None, joined))
