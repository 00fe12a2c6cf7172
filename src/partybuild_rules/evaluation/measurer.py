"""Measuring the leaves of condition trees for one evaluation: counts and sums of events per
subject and period, attributes, ratings of any year, outcomes of other rules (rule chaining), each
in the form the engine compares (:func:`engine_value`). Aggregates are worked out once per measure
and kind of subject, then read per subject and period."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from ..domain.model import SubjectKind
from ..domain.periods import Granularity, Period
from .index import Index, Subject

__all__ = ["Measurer", "PackTables", "engine_value"]


class Measurer:
    """Measures the leaves of condition trees for one evaluation: counts and sums of events per
    period, attributes, ratings of any year and outcomes of other rules (rule chaining)."""

    def __init__(
        self, index: Index, pack: Any, computed: Mapping[tuple[SubjectKind, str], str],
        outcomes: Callable[[int], list[Any]],
    ) -> None:
        self.index = index
        self.pack = pack
        self.computed = computed
        self.outcomes = outcomes
        self._grouped: dict[tuple[int, SubjectKind, Granularity], dict[str, dict[str, Any]]] = {}
        self._numbers = {k: Decimal(v) for k, v in pack.values.items() if isinstance(v, (int, Decimal))}
        self._tables = PackTables(pack)
        self._by_subject: dict[int, tuple[int, dict[tuple[SubjectKind, str], list[Any]]]] = {}
        self._summands: dict[tuple[int, tuple[Any, ...]], int] = {}
        self._outcome_counts: dict[tuple[int, SubjectKind], dict[str, list[Any]]] = {}

    def value(self, condition: Any, subject: Subject, period: Period) -> tuple[bool, Any]:
        """A leaf's ``(recorded, value)`` in engine form (numbers as ints: counts as they are,
        sums and decimals in hundredths, dates as ordinals)."""
        if condition.count is not None or condition.sum is not None:
            per = period.granularity
            grouped = self._group(condition, subject.kind, per)
            return True, grouped.get(subject.id, {}).get(str(period), 0)
        if condition.attribute is not None:
            return self.attribute(subject, condition.attribute.name)
        if condition.rating is not None:
            return True, self.rating(subject, condition.rating.offset) or ""
        assert condition.outcome is not None
        return True, len(self.matching_outcomes(condition.outcome, subject))

    def attribute(self, subject: Subject, name: str) -> tuple[bool, Any]:
        if name in subject.fields:
            raw = subject.fields[name]
        else:
            raw = self.index.attributes(subject).get(name)
        if raw is None:
            return False, ""
        return True, engine_value(raw)

    def rating(self, subject: Subject, offset: int) -> str | None:
        year = self.index.year + offset
        for rating in self.index.data.ratings:
            if rating.subject_kind is subject.kind and rating.subject == subject.id and rating.year == year:
                return rating.tier
        return self.computed.get((subject.kind, subject.id)) if offset == 0 else None

    def _outcomes_of(self, offset: int, subject: Subject) -> list[Any]:
        """The outcomes of the year ``offset`` for one subject (indexed once per count of outcomes:
        the current year's list grows from stage to stage)."""
        outcomes = self.outcomes(offset)
        cached = self._by_subject.get(offset)
        if cached is None or cached[0] != len(outcomes):
            index: dict[tuple[SubjectKind, str], list[Any]] = defaultdict(list)
            for outcome in outcomes:
                index[(outcome.subject_kind, outcome.subject)].append(outcome)
            cached = (len(outcomes), index)
            self._by_subject[offset] = cached
        return cached[1].get((subject.kind, subject.id), [])

    def matching_outcomes(self, test: Any, subject: Subject) -> list[Any]:
        from .measures import outcome_matches

        found = []
        for outcome in self._outcomes_of(test.offset, subject):
            if not outcome_matches(test, outcome):
                continue
            if test.score is not None:
                from .measures import _compare, scaled

                if not _compare(self.pack, scaled(outcome.score), test.score.bound, False, whole=False):
                    continue
            found.append(outcome)
        return found

    def _group(self, condition: Any, kind: SubjectKind, per: Granularity) -> dict[str, dict[str, Any]]:
        measure = condition.count if condition.count is not None else condition.sum
        key = (id(measure), kind, per)  # the measure lives in the pack as long as the measurer
        cached = self._grouped.get(key)
        if cached is not None:
            return cached
        by_subject = self.index.events_by_subject(kind, measure.events.tests())
        formula = None
        if condition.sum is not None and condition.sum.value is not None:
            from ..policy.expr import parse_expr

            formula = parse_expr(condition.sum.value)
        result = {subject_id: self._per_period(condition, per, events, formula)
                  for subject_id, events in by_subject.items()}
        self._grouped[key] = result
        return result

    def _per_period(self, condition: Any, per: Granularity, events: Iterable[Any], formula: Any) -> dict[str, Any]:
        """One subject's count or sum of ``events`` per period (``formula``: the sum's, parsed)."""
        measure = condition.count if condition.count is not None else condition.sum
        per_period: dict[str, Any] = defaultdict(int)
        for event in events:
            day = self.index.placed(event, measure.events.dated_by)
            if day is None:
                continue
            label = str(Period.containing(day, per))
            if condition.count is not None:
                per_period[label] += 1
            else:
                per_period[label] += self._summand(event, condition.sum, formula)
        return dict(per_period)

    def _summand(self, event: Any, measure: Any, formula: Any) -> int:
        from ..policy.expr import attributes as formula_attributes
        from ..policy.expr import evaluate as evaluate_formula
        from .measures import scaled

        if formula is None:
            raw = self.index.event_value(event, measure.field)
            return scaled(raw) if raw is not None else 0
        fields = {a.name: self.index.event_value(event, a.name) for a in formula_attributes(formula)}
        key = (id(measure), tuple(fields.values()))  # a formula of a few fields: values repeat
        value = self._summands.get(key)
        if value is None:
            value = self._summands[key] = scaled(evaluate_formula(formula, self._numbers, fields, self._tables))
        return value


class PackTables:
    """``band`` and ``lookup`` over a pack's table parameters."""

    def __init__(self, pack: Any) -> None:
        self.pack = pack

    def band(self, table: str, value: Decimal) -> Decimal:
        row = self.pack.values[table].row_for(value)
        if row is None:
            raise KeyError(f"no band of `{table}` holds {value}")
        result: Decimal = row.value
        return result

    def lookup(self, table: str, key: str) -> Decimal:
        result: Decimal = self.pack.values[table].entries[key]
        return result


def engine_value(raw: Any) -> Any:
    """A typed value as the engine compares it: bools as 0/1, numbers in hundredths, dates as
    ordinals, enums by value, text as it is."""
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, (int, Decimal)):
        return int(Decimal(raw) * 100)
    if isinstance(raw, date):
        return raw.toordinal()
    return getattr(raw, "value", raw)
