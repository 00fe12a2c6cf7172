"""Evaluating a pack over a dataset for one year: derive facts, run the engine, build outcomes.

Stages run in order over every community partition: ratings (stage 1), the rules that may read
them (stage 2), and the rules that read stage 2's reprimands (stage 3). Each (stage, partition)
is one short engine session. Nothing is kept between evaluations except the compiled program.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..data.datasets import check_declared
from ..domain.arguments import expect, expect_year
from ..domain.collector import collector_paused
from ..domain.errors import DataError, Problem
from ..domain.model import Dataset, SubjectKind
from ..domain.outcomes import Evaluation, Reprimand, Result, RuleKind, sorted_outcomes
from ..policy.pack import Pack
from . import facts as F
from .allocation import allocation_outcomes
from .builders import OutcomeBuilder
from .compile import Program, Query, compile_pack
from .crosscheck import rating_tier_problems
from .engines.base import open_engine, resolve_engine
from .index import Fact, Index, Subject
from .measurer import Measurer, engine_value
from .measures import holds
from .prefilter import FactFilter
from .warnings import dataset_warnings

__all__ = ["Evaluator", "evaluate", "Progress", "Share"]

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage_label, done, total)`` while an evaluation runs."""

Key = tuple[SubjectKind, str]
_SESSION_FACTS = 4096
"""Facts of several communities asserted in one engine session, up to about this many."""


@dataclass(frozen=True)
class Share:
    """The part of an evaluation one run does when it is split into community partitions
    (:mod:`partybuild_rules.evaluation.partitions`): only the queries ``qids``; with ``community``,
    only that community's subjects (a partition: no allocation, no warnings, earlier years under
    the same share); without it, the whole city, where ``joined(stage)`` gives the outcomes of
    ``stage`` evaluated elsewhere, added as if this run had found them. ``computed``: ratings
    worked out elsewhere (in other partitions), known from the start."""

    qids: frozenset[str]
    community: str | None = None
    joined: Callable[[int], list[Any]] | None = None
    computed: Mapping[Key, str] = field(default_factory=dict)


class Evaluator:
    """A pack compiled once for the engine; :meth:`evaluate` may be called many times, from
    several threads, and each call is independent of the others.

    ``engine`` is ``"durable"`` or ``"clips"``; by default ``$PARTYBUILD_ENGINE``, else durable-rules
    where it imports and CLIPS otherwise. Both give the same outcomes; :attr:`engine` says which runs."""

    def __init__(self, pack: Pack, engine: str | None = None) -> None:
        expect(pack, Pack, "pack", "a Pack (from load_pack)")
        self.pack = pack
        self.engine: str = resolve_engine(engine)
        self.program: Program = compile_pack(pack)
        self._engine = open_engine(self.program, self.engine)
        self.outcomes = OutcomeBuilder(pack, self.program)
        """Makes each firing's outcome (:mod:`.builders`)."""
        self._by_qid = self.outcomes.queries
        self._filter = FactFilter(self.program)

    def hidden(self, query: Query) -> set[str]:
        """The fields of ``query``'s facts that are never shown (see :func:`.builders.hidden_fields`)."""
        return self.outcomes.hidden(query)

    def close(self) -> None:
        """Free the engine's rulesets now (they are also freed when the evaluator is collected)."""
        self._engine.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def evaluate(
        self, data: Dataset, year: int, progress: Progress | None = None, *, jobs: int = 1, dask: Any = None
    ) -> Result:
        """Evaluate ``year`` of ``data``; outcomes come sorted, with provenance.

        ``jobs=N`` (N > 1) evaluates the community partitions in N worker processes, ``dask`` (a
        scheduler address or a ``distributed.Client``) on a Dask cluster; either gives the same
        result as one process (see ``docs/scale.md``)."""
        if jobs == 1 and dask is None:
            with collector_paused():
                return self._run(data, year, progress, None)
        from .runners import evaluate_split

        return evaluate_split(self, data, year, progress, jobs=jobs, dask=dask)

    def evaluate_watching(
        self, data: Dataset, year: int, subject: str
    ) -> tuple[Result, list[tuple[Query, Fact]]]:
        """Evaluate, and also return every fact derived for ``subject`` (an id), with its query:
        what explanations of near misses are made from."""
        watched: list[tuple[Query, Fact]] = []
        with collector_paused():
            result = self._run(data, year, None, (subject, watched))
        return result, watched

    def check(self, data: Dataset, year: int, declared: bool = False) -> None:
        """Raise :class:`DataError` (or :class:`PolicyError`) when ``year`` of ``data`` cannot be
        evaluated with this pack: a year the pack is not in force or the data does not cover,
        undeclared attributes or event types (unless ``declared``: the dataset is known to follow
        the pack's declarations), ratings with tiers the pack does not know; raise
        :class:`TypeError` when ``data`` is not a :class:`Dataset` or ``year`` not a whole number."""
        expect(data, Dataset, "data", "a Dataset (from load_dataset)")
        expect_year(year)
        self.pack.check_year(year)
        covers = data.covers
        if not covers.start.year <= year <= covers.end.year:
            raise DataError([Problem(
                f"year {year} is outside the recorded dates {covers.start}..{covers.end}", None,
                "year", f"evaluate a year from {covers.start.year} to {covers.end.year}",
            )])
        if not declared:
            check_declared(data, self.pack)
        tier_problems = rating_tier_problems(self.pack, data)
        if tier_problems:
            raise DataError(tier_problems)

    def _run(
        self,
        data: Dataset,
        year: int,
        progress: Progress | None,
        watch: tuple[str, list[tuple[Query, Fact]]] | None,
        share: Share | None = None,
    ) -> Result:
        self.check(data, year, declared=share is not None and share.community is not None)
        covers = data.covers
        index = Index(data, year, self.pack.declarations)
        outcomes: list[Any] = []
        computed: dict[Key, str] = dict(share.computed) if share is not None else {}
        reprimanded: set[Key] = set()
        earlier: dict[int, list[Any]] = {}

        def outcomes_of(offset: int) -> list[Any]:
            if offset == 0:
                return outcomes
            if offset not in earlier:
                # An earlier year outside the recorded dates, or before the pack was in force,
                # has no outcomes under this pack (nothing is known, nothing was decided).
                past = year + offset
                known = covers.start.year <= past <= covers.end.year
                in_force = all(f.covers(past) for f in self.pack.in_force)
                # a partition's earlier year: the same rules and community, nothing given for it
                alone = Share(share.qids, share.community) if share is not None and share.community else None
                earlier[offset] = list(self._run(data, past, None, None, alone).outcomes) if known and in_force else []
            return earlier[offset]

        measurer = Measurer(index, self.pack, computed, outcomes_of)
        stages = sorted({q.stage for q in self.program.queries})
        for stage in stages:
            queries = [q for q in self.program.queries if q.stage == stage and (share is None or q.qid in share.qids)]
            ratings = F.current_ratings(index, computed)
            partitions = self._partitioned(index, queries, computed, ratings, reprimanded, measurer,
                                           explaining=watch is not None)
            if watch is not None:
                watch[1].extend(
                    (self._by_qid[fact["q"]], fact)
                    for facts in partitions.values() for fact in facts if fact["s"] == watch[0]
                )
            chosen = [c for c in sorted(partitions) if share is None or share.community in (None, c)]
            batch: list[Fact] = []
            for done, community in enumerate(chosen, start=1):
                # Communities share an engine session up to a few thousand facts: the compiled
                # rules join facts of one subject only, so this fires what one session per
                # community fires, in the same order, and saves the cost of opening each.
                batch += partitions[community]
                if len(batch) < _SESSION_FACTS and done < len(chosen):
                    continue
                with self._engine.session() as session:
                    fired = session.assert_all(batch)
                outcomes += [self.outcomes.build(index, f) for f in fired]
                batch = []
                if progress is not None:
                    progress(f"stage {stage}", done, len(chosen))
            if share is not None and share.joined is not None:
                outcomes += share.joined(stage)
            for outcome in outcomes:
                if isinstance(outcome, Evaluation) and outcome.rating:
                    computed[(outcome.subject_kind, outcome.subject)] = outcome.tier
                if isinstance(outcome, Reprimand):
                    reprimanded.add((outcome.subject_kind, outcome.subject))
        whole = share is None or share.community is None
        if whole:
            outcomes += allocation_outcomes(self.pack, data, year)  # B1: proposals, not engine matches
        outcomes[:] = sorted_outcomes(outcomes)
        return Result(
            pack=self.pack.name,
            pack_version=self.pack.version,
            dataset=data.name,
            year=year,
            engine=self.engine,
            parameters={k: self.pack.shown(k) for k in self.pack.values},
            outcomes=tuple(outcomes),
            warnings=dataset_warnings(data, year) if whole else (),
        )

    # -- facts ------------------------------------------------------------------------------

    def _partitioned(
        self,
        index: Index,
        queries: list[Query],
        computed: dict[Key, str],
        ratings: dict[Key, str],
        reprimanded: set[Key],
        measurer: Measurer,
        *,
        explaining: bool = False,
    ) -> dict[str, list[Fact]]:
        """The facts of ``queries`` per community. Facts no engine rule can match are near
        misses: kept only when ``explaining`` (see :mod:`.prefilter`)."""
        partitions: dict[str, list[Fact]] = defaultdict(list)
        may_fire = self._filter.may_fire
        for query in queries:
            qid = query.qid
            of_subject: Fact = {}
            last: Subject | None = None
            for subject, fields in _derive(index, query, computed, ratings, measurer, self.pack):
                if subject is not last:  # a subject's facts come together: its fields worked out once
                    last, of_subject = subject, self._subject_part(index, query, subject, reprimanded)
                fact: Fact = {"q": qid, "s": subject.id, **fields, **of_subject}
                if explaining or may_fire(fact):
                    partitions[subject.community].append(fact)
        return partitions

    @staticmethod
    def _subject_part(index: Index, query: Query, subject: Subject, reprimanded: set[Key]) -> Fact:
        """The fields a query's facts carry of their subject: its fields and attributes the rules
        test (``s_<name>``) and whether it was reprimanded."""
        part: Fact = {}
        for name in query.subject_fields:
            value = subject.fields.get(name) if name in subject.fields else index.attributes(subject).get(name)
            part[f"s_{name}"] = engine_value(value) if value is not None and not isinstance(value, str) else value
        if query.needs_reprimanded:
            part["reprimanded"] = int((subject.kind, subject.id) in reprimanded)
        return part


def _derive(
    index: Index, query: Query, computed: dict[Key, str], ratings: dict[Key, str],
    measurer: Measurer, pack: Pack,
) -> Iterable[tuple[Subject, Fact]]:
    if query.kind == "tree":
        assert query.per is not None
        return F.tree_facts(index, query.subject, query.per, query.leaves, measurer, query.rule.applies_if)
    if query.kind == "streak2":
        assert query.threshold is not None
        return F.general_streak_facts(
            index, query.subject, query.streak, query.threshold, query.leaves, measurer,
            lambda condition, value_of: holds(pack, condition, value_of), query.rule.applies_if,
        )
    if query.kind == "streak":
        assert query.threshold is not None
        return F.streak_facts(index, query.filter, query.threshold)
    if query.kind == "count":
        assert query.per is not None
        return F.count_facts(index, query.subject, query.filter, query.per)
    if query.kind == "finding":
        return F.finding_facts(index, query.subject)
    if query.kind == "role":
        assert query.role is not None
        return F.role_month_facts(index, query.role, ratings)
    if query.kind == "each":
        assert query.per is not None
        return F.each_facts(index, query.subject, query.per, ratings)
    if query.kind == "rating":
        per = query.per if query.rule.kind is RuleKind.ALLOWANCE else None
        return F.rating_facts(index, query.subject, query.offsets, computed, per)
    return F.score_facts(index, query.subject, list(query.items), query.score_items, measurer,
                         lambda condition, value_of: holds(pack, condition, value_of))


def evaluate(
    pack: Pack, data: Dataset, year: int, progress: Progress | None = None, engine: str | None = None,
    *, jobs: int = 1, dask: Any = None,
) -> Result:
    """Evaluate ``pack`` over ``data`` for ``year`` with ``engine`` (see :class:`Evaluator`). The
    pack's compiled program is built on first use and reused for later evaluations of the same
    pack object with the same engine. ``jobs`` and ``dask`` spread the community partitions over
    worker processes or a Dask cluster (see :meth:`Evaluator.evaluate`)."""
    expect(pack, Pack, "pack", "a Pack (from load_pack)")
    name = resolve_engine(engine)
    evaluator: Evaluator | None = pack._cache.get(f"evaluator:{name}")
    if evaluator is None:
        evaluator = pack._cache.setdefault(f"evaluator:{name}", Evaluator(pack, name))
    return evaluator.evaluate(data, year, progress, jobs=jobs, dask=dask)

