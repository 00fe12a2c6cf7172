"""The machinery behind :class:`~partybuild_rules.evaluation.session.Session`: the re-evaluation
of the subjects an event affects, over an index and a measurer kept up to date event by event
(:mod:`.tracking`).

What an event can change. An event counts for the subjects it involves (the index's involved
subjects of each kind: an activity's community, units and participants, a report's unit and
community, an inspection's or an assessment's subject, a pack event's referenced records); a
rectification counts for the subject of the inspection whose finding it closes. Every fact of a
subject is derived from the events it involves, its own record and attributes, its own ratings
and outcomes, and — the one thing read across subjects — the rating of the community where a
member holds a role (role allowances, ``local: false``). So an event is re-evaluated by deriving,
stage by stage, the facts of the subjects it involves only; when a community's rating changes, the
members holding a role there are added from the next stage on. Facts are derived per (query,
subject); a group whose facts are what they were keeps its outcomes (the engine joins facts only
of one query and one subject), and only the groups whose facts changed go to the engine.

Packs whose rules read the outcomes of an earlier year (``outcome: {year: previous}``) are not
re-evaluated this way: an earlier year is a whole evaluation of its own, so the session
re-evaluates them fully (see :func:`reads_earlier_outcomes`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from ..domain.model import Dataset, Inspection, Rating, Rectification, SubjectKind
from ..domain.outcomes import Evaluation, Reprimand, Result
from ..policy.documents import Rule
from ..policy.pack import Pack
from . import facts as F
from .index import Fact
from .allocation import allocation_outcomes
from .compile import Query, _filter
from .evaluator import Evaluator
from .tracking import Chosen, Key, Selection, SessionIndex, SessionMeasurer, event_selection
from .warnings import dataset_warnings

__all__ = ["Incremental", "reads_earlier_outcomes"]


def reads_earlier_outcomes(pack: Pack) -> bool:
    """Whether a rule of ``pack`` reads the outcomes of another year than the one evaluated."""
    for rule in pack.rules:
        conditions = list(rule.when.walk()) if rule.when else []
        for item in rule.score or ():
            if item.periods is not None:
                conditions += list(item.periods.of.walk())
        if any(c.outcome is not None and c.outcome.offset != 0 for c in conditions):
            return True
    return False


_RATING, _OUTCOME, _REPRIMAND = "<rating>", "<outcome>", "<reprimand>"
"""What else than events a rule's facts may read of their subject: its rating (or, for a role,
the rating of the community where it is held), its outcomes of earlier stages, and whether an
earlier stage reprimanded it."""
_EVENT = "<event>"
"""The event added or removed counts for the subject."""


@dataclass(frozen=True)
class Reads:
    """Everything the facts of a rule are derived from that an event can change."""

    events: tuple[Selection, ...]
    """The events its measures count: an event matching none of them cannot change its facts."""
    markers: frozenset[str]
    """Which of ``_RATING``, ``_OUTCOME`` and ``_REPRIMAND`` it reads."""


def reads(rule: Rule) -> Reads:
    """What the facts of ``rule`` read: the events its measures count (a member's report-in date
    is read from ``member_report_in`` events, a finding's rectifications from ``rectification``
    events), its subject's rating, outcomes and reprimands."""
    filters: list[Mapping[str, Any]] = []
    markers: set[str] = set()
    conditions = list(rule.when.walk()) if rule.when else []
    froms: list[str | None] = []
    for item in rule.score or ():
        filters += [m.events.tests() for m in (item, item.sum, item.count) if m is not None and m.events is not None]
        if item.periods is not None:
            conditions += list(item.periods.of.walk())
            froms.append(item.periods.counts_from)
    for condition in conditions:
        filters += [m.events.tests() for m in (condition.count, condition.sum) if m is not None]
        if condition.absence_streak is not None:
            filters += [{"type": "activity", **_filter(condition.absence_streak.activity)}, {"type": "member_report_in"}]
        if condition.streak is not None:
            froms.append(condition.streak.counts_from)
        if condition.rating is not None or condition.holds_role is not None:
            markers.add(_RATING)
        if condition.outcome is not None:
            markers.add(_OUTCOME)
        if condition.overdue_finding is not None:
            filters += [{"type": "inspection"}, {"type": "rectification"}]
    if "reported_in" in froms:
        filters.append({"type": "member_report_in"})
    if rule.kind.is_money or rule.when is None:
        markers.add(_RATING)  # money facts, and facts of every period, carry the subject's tier
    if rule.unless == "reprimanded":
        markers.add(_REPRIMAND)
    return Reads(tuple(event_selection(f) for f in filters), frozenset(markers))


class Incremental:
    """One pack's outcomes over a dataset and year, kept up to date as events come and go."""

    def __init__(self, evaluator: Evaluator, data: Dataset, year: int) -> None:
        evaluator.check(data, year)
        self.evaluator = evaluator
        self.pack = pack = evaluator.pack
        self.year = year
        self.index = SessionIndex(data, year, pack)
        self.computed: dict[Key, str] = {}
        self.stage_of = {q.rule.id: q.stage for q in evaluator.program.queries}
        self.stages = sorted({q.stage for q in evaluator.program.queries})
        self.queries = {s: [q for q in evaluator.program.queries if q.stage == s] for s in self.stages}
        read = {q.qid: reads(q.rule) for q in evaluator.program.queries}
        self.markers = {qid: r.markers for qid, r in read.items()}
        self.selections: list[Selection] = []
        """Every event filter a query reads, once."""
        self.selected: dict[str, list[int]] = {}
        """Per query, the filters it reads (positions in ``selections``)."""
        for qid, r in read.items():
            self.selected[qid] = []
            for selection in r.events:
                if selection not in self.selections:
                    self.selections.append(selection)
                self.selected[qid].append(self.selections.index(selection))
        self._event: Any = None
        """The event being taken in or out."""
        self.stage = 0
        """The stage being derived: outcome tests read the outcomes of the stages before it."""
        self.measurer = SessionMeasurer(self.index, pack, self.computed, self._earlier_outcomes)
        self.facts: dict[str, dict[str, list[Fact]]] = {q.qid: {} for q in evaluator.program.queries}
        """Per query and subject, the facts derived last time."""
        self.outcomes: dict[Key, dict[str, list[Any]]] = defaultdict(dict)
        """Per subject and query, the outcomes."""
        self.role_holders: dict[str, set[str]] = defaultdict(set)
        for member in data.members:
            for holding in member.roles:
                self.role_holders[holding.community].add(member.id)
        self.ratings: dict[Key, list[Rating]] = defaultdict(list)
        for rating in data.ratings:
            self.ratings[(rating.subject_kind, rating.subject)].append(rating)
        self.inspections: dict[Key, dict[str, Inspection]] = defaultdict(dict)
        for event in data.events:
            if isinstance(event, Inspection):
                self.inspections[(event.subject_kind, event.subject)][event.id] = event
        self.allocations = allocation_outcomes(pack, data, year)
        self.base = data
        self._sort_keys: dict[int, tuple[Any, ...]] = {}
        self._update(None)

    # -- changes ------------------------------------------------------------------------------

    def change(self, event: Any, sign: int, inspection_of: Callable[[str], Inspection]) -> tuple[list[Any], list[Any]]:
        """Take ``event`` in (``sign`` 1) or out (-1); ``inspection_of`` finds a finding's
        inspection. Returns the outcomes replaced and those that replace them."""
        affected: Chosen = {kind: set(self.index.involved(event, kind)) for kind in SubjectKind}
        if isinstance(event, Rectification):
            inspected = inspection_of(event.finding)
            affected[inspected.subject_kind].add(inspected.subject)
        if isinstance(event, Inspection):
            held = self.inspections[(event.subject_kind, event.subject)]
            if sign > 0:
                held[event.id] = event
            else:
                del held[event.id]
        self.index.change(event, sign, affected)
        self.measurer.change(event)
        self._event = event
        return self._update({(kind, s): {_EVENT} for kind, ids in affected.items() for s in ids})

    def _update(self, touched: dict[Key, set[str]] | None) -> tuple[list[Any], list[Any]]:
        """Derive again, stage by stage, the facts of the ``touched`` subjects (all when
        ``None``) for the queries that read what touched them (an event type, their rating,
        their outcomes), and run the engine on the groups whose facts changed. Returns the
        outcomes replaced and those that replace them."""
        before: list[Any] = []
        after: list[Any] = []
        by_qid = self.evaluator._by_qid
        views: dict[frozenset[Key], SessionIndex] = {}
        counted: dict[str, bool] = {}  # per query, whether it counts the event taken in or out
        if touched is not None:
            matched = [self.index.matches(self._event, event_type, others) for event_type, others in self.selections]
            counted = {qid: any(matched[i] for i in chosen) for qid, chosen in self.selected.items()}
        for stage in self.stages:
            self.stage = stage
            queries = self.queries[stage]
            wanted: dict[str, list[str]] = {}  # per query, the subjects to derive again
            if touched is not None:
                by_kind: dict[SubjectKind, list[tuple[str, set[str]]]] = defaultdict(list)
                for (kind, subject), why in touched.items():
                    by_kind[kind].append((subject, why))
                for query in queries:
                    markers = self.markers[query.qid] | {_EVENT} if counted[query.qid] else self.markers[query.qid]
                    wanted[query.qid] = [s for s, why in by_kind.get(query.subject, ()) if not why.isdisjoint(markers)]
                queries = [q for q in queries if wanted[q.qid]]
            changed: dict[str, list[Fact]] = defaultdict(list)  # by community, for the engine
            replaced: list[tuple[Query, str]] = []
            index = self.index
            if touched is not None and queries:
                keys = frozenset(touched)  # one view while no subject is added: a query derives its own
                if keys not in views:
                    views[keys] = self._view(keys)
                index = views[keys]
            if touched is None or any(_RATING in self.markers[q.qid] for q in queries):
                ratings = F.current_ratings(index, self.computed)
            else:
                ratings = {}  # no query here reads one
            reprimanded = (self._reprimanded(touched, stage) if any(q.needs_reprimanded for q in queries)
                           else set())
            partitions = self.evaluator._partitioned(index, queries, self.computed, ratings, reprimanded,
                                                     self.measurer) if queries else {}
            derived: dict[tuple[str, str], list[Fact]] = defaultdict(list)
            for facts in partitions.values():
                for fact in facts:
                    derived[(fact["q"], fact["s"])].append(fact)
            groups = list(derived) if touched is None else [(q.qid, s) for q in queries for s in wanted[q.qid]]
            for qid, subject in groups:
                new = derived.get((qid, subject), [])
                if self.facts[qid].get(subject, []) == new:
                    continue
                query = by_qid[qid]
                replaced.append((query, subject))
                if new:
                    self.facts[qid][subject] = new
                    changed[index.subject(query.subject, subject).community].extend(new)
                else:
                    self.facts[qid].pop(subject, None)
            fired: dict[tuple[str, str], list[Any]] = defaultdict(list)
            for community in sorted(changed):
                with self.evaluator._engine.session() as session:
                    for firing in session.assert_all(changed[community]):
                        first = next(iter(firing.facts.values()))
                        fired[(firing.rule.qid, first["s"])].append(self.evaluator.outcomes.build(index, firing))
            rated: set[Key] = set()
            for query, subject in replaced:
                key = (query.subject, subject)
                held = self.outcomes[key]
                old = held.pop(query.qid, [])
                new_outcomes = fired.get((query.qid, subject), [])
                if new_outcomes:
                    held[query.qid] = new_outcomes
                for outcome in old:
                    self._sort_keys.pop(id(outcome), None)
                if old == new_outcomes:
                    continue
                before += old
                after += new_outcomes
                if touched is not None:
                    touched.setdefault(key, set()).update((_OUTCOME, _REPRIMAND))
                if query.rule.rating:
                    rated.add(key)
            self._rate(rated, touched)
        return before, after

    def _rate(self, rated: Iterable[Key], touched: dict[Key, set[str]] | None) -> None:
        """Update the computed ratings of ``rated`` subjects; a changed rating touches the
        subject, and for a community the members holding a role there (their role facts carry
        it)."""
        for key in rated:
            tier = None
            for query in self.queries[self.stage]:
                for outcome in self.outcomes[key].get(query.qid, ()):
                    if isinstance(outcome, Evaluation) and outcome.rating:
                        tier = outcome.tier
            if tier == self.computed.get(key):
                continue
            if tier is None:
                del self.computed[key]
            else:
                self.computed[key] = tier
            if touched is not None:
                touched.setdefault(key, set()).add(_RATING)
                if key[0] is SubjectKind.COMMUNITY:
                    for member in self.role_holders.get(key[1], ()):
                        touched.setdefault((SubjectKind.MEMBER, member), set()).add(_RATING)

    def _reprimanded(self, keys: Iterable[Key] | None, stage: int) -> set[Key]:
        """The subjects (of ``keys``, or all) reprimanded by a rule of an earlier stage."""
        return {
            key for key in (list(self.outcomes) if keys is None else keys)
            if any(isinstance(o, Reprimand) and self.stage_of[o.rule_id] < stage
                   for outcomes in self.outcomes.get(key, {}).values() for o in outcomes)
        }

    def _view(self, keys: frozenset[Key]) -> SessionIndex:
        chosen: Chosen = defaultdict(set)
        for kind, subject in keys:
            chosen[kind].add(subject)
        return self.index.view(chosen, self._records_of(chosen))

    def _earlier_outcomes(self, key: Key) -> list[Any]:
        return [o for outcomes in self.outcomes.get(key, {}).values() for o in outcomes
                if self.stage_of[o.rule_id] < self.stage]

    def _records_of(self, chosen: Chosen) -> Dataset:
        """The records the fact builders walk, for the ``chosen`` subjects only: their members,
        their inspections, their ratings and those of the communities where their members hold
        roles."""
        members = [self.index.members[m] for m in sorted(chosen.get(SubjectKind.MEMBER, ()))]
        places = {h.community for member in members for h in member.roles}
        keys = [(kind, s) for kind in (SubjectKind.UNIT, SubjectKind.COMMUNITY) for s in sorted(chosen.get(kind, ()))]
        rated = keys + [(SubjectKind.COMMUNITY, c) for c in sorted(places - chosen.get(SubjectKind.COMMUNITY, set()))]
        return self.base.model_construct(
            **{name: getattr(self.base, name) for name in ("name", "covers", "declared_by", "communities",
                                                          "grids", "units", "inspection_groups")},
            members=tuple(members),
            ratings=tuple(r for key in rated for r in self.ratings.get(key, ())),
            events=tuple(e for key in keys for e in self.inspections.get(key, {}).values()),
        )

    # -- the result ---------------------------------------------------------------------------

    def result(self, data: Dataset) -> Result:
        """The result over ``data`` (the session's current dataset), as :func:`evaluate` gives it."""
        outcomes = [o for held in self.outcomes.values() for group in held.values() for o in group]
        outcomes += self.allocations
        keys = self._sort_keys
        for outcome in outcomes:
            if id(outcome) not in keys:
                keys[id(outcome)] = outcome.sort_key()
        outcomes.sort(key=lambda o: keys[id(o)])
        return Result(
            pack=self.pack.name,
            pack_version=self.pack.version,
            dataset=data.name,
            year=self.year,
            engine=self.evaluator.engine,
            parameters={k: self.pack.shown(k) for k in self.pack.values},
            outcomes=tuple(outcomes),
            warnings=dataset_warnings(data, self.year),
        )

