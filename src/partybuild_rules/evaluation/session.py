"""Incremental evaluation: load a pack and a dataset once, then add and remove events one at a
time and learn which outcomes each change added, removed or changed.

A :class:`Session` holds its own state (the events, the outcomes, the indexes it keeps up to
date); nothing is kept anywhere else, and :attr:`Session.result` is always what :func:`evaluate`
gives for :attr:`Session.dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from pydantic import BaseModel, ValidationError

from ..analysis.diff import OutcomeKey, outcome_key
from ..data.compact import as_models
from ..data.datasets import _bundled_named
from ..domain.arguments import expect
from ..domain.errors import DataError, Problem
from ..domain.integrity import EVENT_LISTS, EVENT_REFS, NATIONAL_ID
from ..domain.model import (
    CORE_EVENT_TYPES,
    Activity,
    Assessment,
    Dataset,
    Event,
    Inspection,
    JointMeeting,
    MemberReportIn,
    PackEvent,
    Rectification,
    SubjectKind,
    TwoWayReview,
    UnitReport,
)
from ..domain.outcomes import Result, sorted_outcomes
from ..policy.declarations import Declarations, _check_values
from ..policy.loader import Document
from ..policy.validation import validation_problems
from ..policy.pack import Pack, declarations_for
from .engines.base import resolve_engine
from .evaluator import Evaluator
from .incremental import Incremental, reads_earlier_outcomes

__all__ = ["Changes", "Session"]

_EVENT_CLASSES = (Activity, Assessment, Inspection, JointMeeting, MemberReportIn, PackEvent, Rectification,
                  TwoWayReview, UnitReport)


class _OneEvent(BaseModel):
    """One event, read as a dataset's events are."""

    event: Event


@dataclass(frozen=True)
class Changes:
    """What one change to a session's events did to its outcomes.

    Outcomes are matched by the key the impact diff uses (rule, subject, period — for an absence
    streak the month it began — and for a role allowance the role and the community where it
    was held). ``added``: outcomes whose key is new; ``removed``: outcomes whose key is gone;
    ``changed``: ``(before, after)`` pairs with the same key that differ in anything at all (an
    amount, a tier, a count, a measure, or only the facts they matched). Outcomes left exactly
    as they were are not listed. Each tuple is in result order."""

    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()
    changed: tuple[tuple[Any, Any], ...] = ()

    @property
    def empty(self) -> bool:
        """True when no outcome was added, removed or changed."""
        return not (self.added or self.removed or self.changed)


def diff_outcomes(before: Iterable[Any], after: Iterable[Any]) -> Changes:
    """The :class:`Changes` that turn the outcomes ``before`` into ``after``."""
    old, new = _keyed(before), _keyed(after)
    return Changes(
        added=tuple(o for k, o in new.items() if k not in old),
        removed=tuple(o for k, o in old.items() if k not in new),
        changed=tuple((old[k], o) for k, o in new.items() if k in old and old[k] != o),
    )


def _keyed(outcomes: Iterable[Any]) -> dict[OutcomeKey, Any]:
    """Outcomes by key, in result order; outcomes sharing a key are numbered in that order."""
    keyed: dict[OutcomeKey, Any] = {}
    seen: dict[OutcomeKey, int] = {}
    for outcome in sorted_outcomes(outcomes):
        key = outcome_key(outcome)
        count = seen.get(key, 0)
        seen[key] = count + 1
        keyed[key.model_copy(update={"occurrence": count}) if count else key] = outcome
    return keyed


class Session:
    """A pack and a dataset loaded once, evaluated for ``year``, then kept up to date event by
    event: :meth:`add` and :meth:`remove` return the :class:`Changes` they made.

    ``engine`` is as for :class:`Evaluator`. The dataset is checked as :func:`evaluate` checks
    it; each added event is checked as a dataset's events are (its fields, its references,
    its id, its date inside ``covers``, its type declared), and one that fails is refused with
    :class:`DataError`, leaving the session as it was. Only what an event can change is
    evaluated again: the subjects it counts for, the rules that count it, and what reads their
    changed ratings and outcomes (see ``docs/scale.md``); a pack whose rules read an earlier
    year's outcomes is evaluated whole on every change (:attr:`incremental` is then False).
    A session is not meant to be shared by threads."""

    def __init__(self, pack: Pack, data: Dataset, year: int, engine: str | None = None) -> None:
        expect(pack, Pack, "pack", "a Pack (from load_pack)")
        expect(data, Dataset, "data", "a Dataset (from load_dataset)")
        name = resolve_engine(engine)
        evaluator: Evaluator | None = pack._cache.get(f"evaluator:{name}")
        if evaluator is None:
            evaluator = pack._cache.setdefault(f"evaluator:{name}", Evaluator(pack, name))
        data = as_models(data)  # a session adds and removes records: the models, not compact ones
        self.pack = pack
        self.year = year
        self._evaluator = evaluator
        self._base = data
        self._events: dict[str, Any] = {event.id: event for event in data.events}
        self._incremental: Incremental | None = None
        if reads_earlier_outcomes(pack):
            self._result: Result | None = evaluator.evaluate(data, year)
        else:
            self._incremental = Incremental(evaluator, data, year)
            self._result = None
        self._data: Dataset | None = data
        self._declared: Declarations = declarations_for((pack,), data.declared_by, _bundled_named)[0]
        self._ids: dict[str, set[str]] = {
            "community": {c.id for c in data.communities},
            "unit": {u.id for u in data.units},
            "member": {m.id for m in data.members},
            "inspection group": {g.id for g in data.inspection_groups},
        }
        self._subject_ids = {
            SubjectKind.MEMBER: self._ids["member"], SubjectKind.UNIT: self._ids["unit"],
            SubjectKind.COMMUNITY: self._ids["community"],
        }
        self._findings: dict[str, str] = {}
        """Each finding's inspection (event id)."""
        self._rectified: dict[str, int] = {}
        """How many rectifications name each finding."""
        for event in data.events:
            self._note(event, 1)

    @property
    def engine(self) -> str:
        """The rules engine that evaluates: ``durable`` or ``clips``."""
        return self._evaluator.engine

    @property
    def incremental(self) -> bool:
        """False when every change re-evaluates the whole dataset: for packs whose rules read the
        outcomes of an earlier year."""
        return self._incremental is not None

    @property
    def result(self) -> Result:
        """The current result: equal to ``evaluate(pack, session.dataset, year)``."""
        if self._result is None:
            assert self._incremental is not None
            self._result = self._incremental.result(self.dataset)
        return self._result

    @property
    def dataset(self) -> Dataset:
        """The current dataset: the one loaded, with the events added and without those removed
        (added events come last, in the order they were added)."""
        if self._data is None:
            self._data = self._build_dataset()
        return self._data

    def add(self, event: Any) -> Changes:
        """Add ``event`` (an event record, or a mapping read as a dataset's event is) and return
        what it changed. Raises :class:`DataError`, changing nothing, when the event is invalid,
        names an unknown record, repeats an event id or lies outside the covered dates."""
        checked = self._checked(event)
        self._events[checked.id] = checked
        self._note(checked, 1)
        return self._changed(checked, 1)

    def remove(self, event_id: str) -> Changes:
        """Remove the event with id ``event_id`` and return what that changed. Raises
        :class:`DataError`, changing nothing, when no event has that id or a rectification
        still names a finding of the inspection removed."""
        event = self._events.get(event_id)
        if event is None:
            raise DataError([Problem(
                f"no event has the id `{event_id}`", None, "reference", "remove an event the session holds",
                ("events",),
            )])
        if isinstance(event, Inspection):
            named = [f.id for f in event.findings if self._rectified.get(f.id)]
            if named:
                raise DataError([Problem(
                    f"inspection `{event_id}` has findings that rectifications still name: "
                    + ", ".join(f"`{f}`" for f in named), None, "reference",
                    "remove those rectifications first", ("events",),
                )])
        del self._events[event_id]
        self._note(event, -1)
        return self._changed(event, -1)

    # -- checking an event --------------------------------------------------------------------

    def _checked(self, event: Any) -> Any:
        if isinstance(event, Mapping):
            raw = {"event": dict(event)}
            try:
                parsed = _OneEvent.model_validate(raw).event
            except ValidationError as error:
                document = Document("<event>", raw, {}, {})
                problems = validation_problems(error, document, _OneEvent)
                raise DataError([Problem(p.message, None, p.code, p.help, ("events", len(self._events), *p.path[1:]))
                                 for p in problems]) from None
        elif isinstance(event, _EVENT_CLASSES):
            parsed = event
        else:
            raise DataError([Problem(
                f"an event is an event record or a mapping, not {type(event).__name__}", None, "type",
                "pass e.g. {'id': 'E1', 'date': '2024-05-08', 'type': 'activity', ...}",
            )])
        problems = [Problem(message, None, code, hint, path) for path, message, code, hint in self._problems(parsed)]
        if problems:
            raise DataError(problems)
        return parsed

    def _problems(self, event: Any) -> Iterable[tuple[tuple[str | int, ...], str, str, str | None]]:
        """Every problem ``event`` would have as the next event of the dataset."""
        at: tuple[str | int, ...] = ("events", len(self._events))
        if event.id in self._events:
            yield at + ("id",), f"duplicate id `{event.id}`", "reference", "give the event an id no other event has"
        elif len(event.id) == 18 and NATIONAL_ID.match(event.id):
            yield at + ("id",), f"id `{event.id}` is shaped like a national ID number", "reference", None
        covers = self._base.covers
        if not covers.start <= event.date <= covers.end:
            yield (at + ("date",), f"date {event.date} is outside the covered dates {covers.start}..{covers.end}",
                   "reference", None)
        known = {**self._ids, "finding": self._findings}
        for field, what in EVENT_REFS.get(event.type, ()):
            value = getattr(event, field)
            if value is not None and value not in known[what]:
                yield at + (field,), f"unknown {what} `{value}`", "reference", None
        for field, what in EVENT_LISTS.get(event.type, ()):
            seen: set[str] = set()
            for j, value in enumerate(getattr(event, field)):
                if value not in known[what]:
                    yield at + (field, j), f"unknown {what} `{value}`", "reference", None
                if value in seen:
                    yield at + (field, j), f"{what} `{value}` is listed twice", "reference", None
                seen.add(value)
        if isinstance(event, (Inspection, Assessment)) and event.subject not in self._subject_ids[event.subject_kind]:
            yield at + ("subject",), f"unknown {event.subject_kind.value} `{event.subject}`", "reference", None
        if isinstance(event, Inspection):
            ids = [finding.id for finding in event.findings]
            for j, finding_id in enumerate(ids):
                if finding_id in self._findings or ids.count(finding_id) > 1:
                    yield at + ("findings", j, "id"), f"duplicate finding id `{finding_id}`", "reference", None
        if event.type not in CORE_EVENT_TYPES:
            yield from self._declaration_problems(event, at)

    def _declaration_problems(
        self, event: Any, at: tuple[str | int, ...]
    ) -> Iterable[tuple[tuple[str | int, ...], str, str, str | None]]:
        spec = self._declared.events.get(event.type)
        if spec is None:
            known = sorted(set(self._declared.events) | set(CORE_EVENT_TYPES))
            yield (at + ("type",), f"unknown event type `{event.type}`: neither the core model nor a pack in "
                   "use declares it", "declaration", "event types: " + ", ".join(known))
            return
        assert isinstance(event, PackEvent)
        for path, message, hint in _check_values(at, event.fields, spec.fields, self._subject_ids,
                                                 f"`{event.type}` field"):
            yield path, message, "declaration", hint

    def _note(self, event: Any, sign: int) -> None:
        """Keep the findings and their rectifications known as ``event`` comes (+1) or goes (-1)."""
        self._data = None
        if isinstance(event, Inspection):
            for finding in event.findings:
                if sign > 0:
                    self._findings[finding.id] = event.id
                else:
                    self._findings.pop(finding.id, None)
        elif isinstance(event, Rectification):
            self._rectified[event.finding] = self._rectified.get(event.finding, 0) + sign

    # -- evaluating ---------------------------------------------------------------------------

    def _build_dataset(self) -> Dataset:
        fields = {name: getattr(self._base, name) for name in Dataset.model_fields if name != "events"}
        return Dataset.model_construct(**fields, events=tuple(self._events.values()))

    def _changed(self, event: Any, sign: int) -> Changes:
        """Evaluate again after ``event`` came (``sign`` 1) or went (-1): incrementally, or whole."""
        if self._incremental is None:
            before = self.result
            self._result = self._evaluator.evaluate(self.dataset, self.year)
            return diff_outcomes(before.outcomes, self._result.outcomes)
        self._result = None
        replaced, replacing = self._incremental.change(event, sign, self._inspection_of)
        return diff_outcomes(replaced, replacing)

    def _inspection_of(self, finding: str) -> Inspection:
        inspection: Inspection = self._events[self._findings[finding]]
        return inspection
