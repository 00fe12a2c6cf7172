"""Evaluating community by community: in worker processes (``jobs``), on a Dask cluster
(``dask``) or anywhere a function can be mapped over records (Spark), with the result of one
process, outcome for outcome, provenance included. ``docs/scale.md`` explains the design.

- :func:`split` cuts a dataset into one :class:`Partition` per community: the community's own
  records, every event that counts for one of its subjects, and the records those refer to
  (written and read back by :mod:`.splitting`).
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
import pickle
import threading
import types
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, Mapping

from pydantic import TypeAdapter

from ..domain.model import Dataset, SubjectKind
from ..domain.outcomes import Outcome, Result
from ..policy.documents import RuleKind
from ..policy.pack import Pack
from ..policy.pack_checks import rule_dependencies
from .compile import Program, compile_pack
from .engines.base import resolve_engine
from .evaluator import Evaluator, Progress, Share
from .splitting import Partition, community_dataset, decoded, split

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

_OUTCOMES: TypeAdapter[list[Any]] = TypeAdapter(list[Outcome])


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
    result = evaluator._run(decoded(text, community), year, None, None, share)
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
