"""The machinery behind :class:`~partybuild_rules.evaluation.session.Session`: an index and a
measurer kept up to date event by event, and the re-evaluation of the subjects an event affects.

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

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

from ..domain.model import Dataset, Inspection, MemberReportIn, Rating, Rectification, SubjectKind
from ..domain.outcomes import Evaluation, Reprimand, Result
from ..domain.periods import Granularity, Period
from ..policy.documents import Rule
from ..policy.pack import Pack
from . import facts as F
from .index import INVOLVED, Fact, Index, Subject, filter_key
from .measurer import Measurer
from .allocation import allocation_outcomes
from .compile import Query, _filter
from .evaluator import Evaluator
from .warnings import dataset_warnings

__all__ = ["Incremental", "reads_earlier_outcomes"]

Key = tuple[SubjectKind, str]
Chosen = dict[SubjectKind, set[str]]


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

Selection = tuple[str, list[tuple[str, Any]]]
"""An event filter as a type and the other field tests (see :func:`_selection`)."""


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
    return Reads(tuple(_selection(f) for f in filters), frozenset(markers))


def _selection(filter_: Mapping[str, Any]) -> Selection:
    """An event filter as :meth:`Index.events_by_subject` reads it: the type, and the other tests."""
    wanted = {k: (v.value if hasattr(v, "value") else v) for k, v in filter_.items() if v is not None}
    return str(wanted.get("type", "")), [(k, v) for k, v in wanted.items() if k != "type"]


def _drop(events: list[Any], event: Any) -> None:
    """Remove ``event`` itself from ``events``, looking from the end (where the latest are)."""
    for position in range(len(events) - 1, -1, -1):
        if events[position] is event:
            del events[position]
            return
    raise ValueError(f"event `{event.id}` is not held")  # pragma: no cover - the session holds it


class _Memo(dict[Any, Any]):
    """The index's memo, knowing which entries are a subject's (keys ``(rule, kind, id, ...)``)."""

    def __init__(self) -> None:
        super().__init__()
        self.of_subject: dict[Key, list[Any]] = defaultdict(list)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, tuple) and len(key) >= 3 and isinstance(key[1], SubjectKind):
            self.of_subject[(key[1], key[2])].append(key)
        super().__setitem__(key, value)

    def forget(self, key: Key) -> None:
        for entry in self.of_subject.pop(key, ()):
            self.pop(entry, None)


class _MonthlyCounts(Mapping[str, Mapping[int, int]]):
    """The events of each subject in a grouping counted by month, worked out when asked for."""

    def __init__(self, groups: Mapping[str, list[Any]]) -> None:
        self.groups = groups
        self.counted: dict[str, Counter[int]] = {}
        """Each subject's counts once worked out, until an event of the subject changes them."""

    def __getitem__(self, subject: str) -> Mapping[int, int]:
        counts = self.counted.get(subject)
        if counts is None:
            events = self.groups.get(subject)  # never ``groups[subject]``: a defaultdict would grow
            if events is None:
                raise KeyError(subject)
            counts = self.counted[subject] = Counter(e.date.year * 12 + e.date.month - 1 for e in events)
        return counts

    def __iter__(self) -> Iterator[str]:
        return iter(self.groups)

    def __len__(self) -> int:
        return len(self.groups)


class SessionIndex(Index):
    """An index whose groupings follow the events added and removed; :meth:`view` gives an index
    that shares them but yields only some subjects."""

    def __init__(self, data: Dataset, year: int, pack: Pack) -> None:
        super().__init__(data, year, pack.declarations)
        self.groupings: list[tuple[SubjectKind, str, list[tuple[str, Any]], dict[str, list[Any]]]] = []
        """Every grouping of events by subject made so far: kind, type, other tests, groups."""
        self.memo = self.subject_memo = _Memo()
        self._periods: dict[Granularity, list[Period]] = {}
        self.tallies: dict[tuple[SubjectKind, tuple[tuple[str, str], ...]], _MonthlyCounts] = {}
        """The monthly counts asked for so far, shared by the views (see :meth:`monthly_counts`)."""
        for name in ("subjects", "_subject_map", "_attributes", "_records", "by_type", "_event_cache",
                     "report_in", "rectifications"):
            getattr(self, name)  # made now, so that views share them

    def events_by_subject(self, kind: SubjectKind, filter_: Mapping[str, Any]) -> dict[str, list[Any]]:
        known = len(self._event_cache)
        groups = super().events_by_subject(kind, filter_)
        if len(self._event_cache) != known:
            event_type, others = _selection(filter_)
            self.groupings.append((kind, event_type, others, groups))
        return groups

    def monthly_counts(self, kind: SubjectKind, filter_: Mapping[str, Any]) -> Mapping[str, Mapping[int, int]]:
        """As the index gives them, from the grouping the session keeps up to date."""
        key = (kind, filter_key(filter_))
        counts = self.tallies.get(key)
        if counts is None:
            counts = self.tallies[key] = _MonthlyCounts(self.events_by_subject(kind, filter_))
        return counts

    def known_periods(self, granularity: Granularity) -> list[Period]:
        known = self._periods.get(granularity)
        if known is None:
            known = self._periods[granularity] = super().known_periods(granularity)
        return list(known)

    def involved(self, event: Any, kind: SubjectKind) -> tuple[str, ...]:
        """The subjects of ``kind`` that ``event`` counts for, as :meth:`events_by_subject` groups it."""
        involved = INVOLVED.get(event.type, {}).get(kind) or self._pack_involved(event.type, kind)
        return tuple(s for s in involved(event, self.unit_community) if s in self._subject_map[kind])

    def matches(self, event: Any, event_type: str, others: list[tuple[str, Any]]) -> bool:
        return event.type == event_type and all(self.event_value(event, k) == v for k, v in others)

    def change(self, event: Any, sign: int, affected: Chosen) -> None:
        """Take ``event`` in (``sign`` 1) or out (-1) of every grouping made so far."""
        if sign > 0:
            self.by_type[event.type].append(event)
        else:
            _drop(self.by_type[event.type], event)
        for kind, event_type, others, groups in self.groupings:
            if not self.matches(event, event_type, others):
                continue
            for subject in self.involved(event, kind):
                if sign > 0:
                    groups[subject].append(event)
                else:
                    group = groups[subject]
                    _drop(group, event)
                    if not group:
                        del groups[subject]
        if isinstance(event, MemberReportIn):
            self._report_in_of(event.member)
        if isinstance(event, Rectification):
            dates = self.rectifications[event.finding]
            if sign > 0:
                dates.append(event.date)
            else:
                dates.remove(event.date)
        for kind, ids in affected.items():
            for subject in ids:
                self.subject_memo.forget((kind, subject))
        for (kind, _), tally in self.tallies.items():
            for subject in affected.get(kind, ()):
                tally.counted.pop(subject, None)

    def _report_in_of(self, member: str) -> None:
        record = self.members[member].reported_in
        days = [e.date for e in self.by_type.get("member_report_in", ()) if e.member == member]
        if record is not None:
            days.append(record)
        if days:
            self.report_in[member] = min(days)
        else:
            self.report_in.pop(member, None)

    def view(self, chosen: Chosen, data: Dataset) -> SessionIndex:
        """This index with only the ``chosen`` subjects, over ``data`` (the records the fact
        builders walk: those subjects' members, inspections and ratings)."""
        view = object.__new__(SessionIndex)
        view.__dict__.update(self.__dict__)
        view.data = data
        view.subjects = {
            kind: [self._subject_map[kind][s] for s in sorted(chosen.get(kind, ()))] for kind in SubjectKind
        }
        return view


class SessionMeasurer(Measurer):
    """A measurer whose counts and sums per period follow the events added and removed, and
    which reads a subject's outcomes from the session."""

    def __init__(self, index: SessionIndex, pack: Pack, computed: Mapping[Key, str],
                 outcomes_of: Callable[[Key], list[Any]]) -> None:
        super().__init__(index, pack, computed, lambda offset: [])
        self.session_index = index
        self.outcomes_of = outcomes_of
        self.given: dict[tuple[SubjectKind, str, int], str] = {
            (r.subject_kind, r.subject, r.year): r.tier for r in index.data.ratings
        }
        self.tallies: list[tuple[Any, SubjectKind, Granularity, Any, Mapping[str, Any], dict[str, dict[str, Any]]]] = []
        """Every count or sum per period made so far: condition, kind, period, formula, event filter, values."""

    def _group(self, condition: Any, kind: SubjectKind, per: Granularity) -> dict[str, dict[str, Any]]:
        known = len(self._grouped)
        result = super()._group(condition, kind, per)
        if len(self._grouped) != known:
            formula = None
            if condition.sum is not None and condition.sum.value is not None:
                from ..policy.expr import parse_expr

                formula = parse_expr(condition.sum.value)
            measure = condition.count if condition.count is not None else condition.sum
            self.tallies.append((condition, kind, per, formula, measure.events.tests(), result))
        return result

    def change(self, event: Any) -> None:
        """Count ``event`` again for the subjects it involves (after the index took it in or out)."""
        index = self.session_index
        for condition, kind, per, formula, tests, result in self.tallies:
            event_type, others = _selection(tests)
            if not index.matches(event, event_type, others):
                continue
            groups = index.events_by_subject(kind, tests)
            for subject in index.involved(event, kind):
                result[subject] = self._per_period(condition, per, groups.get(subject, ()), formula)

    def rating(self, subject: Subject, offset: int) -> str | None:
        tier = self.given.get((subject.kind, subject.id, self.index.year + offset))
        if tier is not None:
            return tier
        return self.computed.get((subject.kind, subject.id)) if offset == 0 else None

    def _outcomes_of(self, offset: int, subject: Subject) -> list[Any]:
        if offset != 0:  # pragma: no cover - such packs are re-evaluated whole (reads_earlier_outcomes)
            raise AssertionError("an earlier year's outcomes are not kept incrementally")
        return self.outcomes_of((subject.kind, subject.id))


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

