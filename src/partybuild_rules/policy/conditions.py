"""The condition language of rules: which events count (filters), counts and sums with their
bounds, tests of attributes, streaks of periods, ratings, outcomes of other rules and overdue
findings, composed with ``all``, ``any`` and ``not``. Shape and types only, as in
:mod:`.documents`; what needs the whole pack is checked by :mod:`.pack_checks`."""

from __future__ import annotations

from typing import Any, Iterator, Literal, Union

from pydantic import Field, StrictBool, model_validator

from ..domain.model import ActivityKind, Role
from ..domain.outcomes import RuleKind
from ..domain.periods import Granularity
from .doc_base import Doc, Value
from .expr import ExprError, parse_expr

__all__ = ['ActivityFilter', 'AttributeTest', 'BOUND_NAMES', 'Bounds', 'Condition', 'CONDITION_KEYS', 'Count', 'EventFilter', 'GeneralStreak', 'OutcomeTest', 'OverdueFinding', 'RatingCondition', 'Streak', 'Sum']


class EventFilter(Doc):
    """Which events count: by type and, for activities, kind and 联学共建 flag; for assessments,
    part; ``where`` tests other fields (a pack event's own); ``dated_by`` names the `date` or
    `month` field that places an event in a period (default: the event's ``date``)."""

    type: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: ActivityKind | None = None
    co_building: StrictBool | None = None
    part: Literal["daily", "year_end"] | None = None
    where: dict[str, Union[StrictBool, int, str]] = {}
    dated_by: str = "date"

    def tests(self) -> dict[str, Any]:
        """The filter as plain field tests: ``type``, the core fields given, then ``where``'s."""
        plain = {k: (v.value if hasattr(v, "value") else v) for k, v in self.model_dump().items()
                 if v is not None and k not in ("where", "dated_by")}
        return {**plain, **self.where}


class ActivityFilter(Doc):
    kind: ActivityKind | None = None
    co_building: StrictBool | None = None


class Streak(Doc):
    """Consecutive periods in which the member took part in no matching activity."""

    period: Literal[Granularity.MONTH] = Granularity.MONTH
    activity: ActivityFilter = ActivityFilter()
    reaches: Value


class Bounds(Doc):
    """A comparison of a number: exactly one of ``at_least``, ``at_most``, ``less_than``,
    ``more_than`` and ``between`` (inclusive at both ends)."""

    at_least: Value | None = None
    at_most: Value | None = None
    less_than: Value | None = None
    more_than: Value | None = None
    between: tuple[Value, Value] | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Bounds:
        given = [n for n in BOUND_NAMES if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError("give only one of " + ", ".join(f"`{n}`" for n in BOUND_NAMES))
        return self

    @property
    def bounded(self) -> bool:
        return any(getattr(self, n) is not None for n in BOUND_NAMES)

    @property
    def bound(self) -> tuple[str, Any]:
        name = next(n for n in BOUND_NAMES if getattr(self, n) is not None)
        return name, getattr(self, name)


BOUND_NAMES = ("at_least", "at_most", "less_than", "more_than", "between")


class Count(Bounds):
    """How many matching events involve the subject in each period."""

    events: EventFilter
    per: Granularity | None = None


class Sum(Bounds):
    """The total of a numeric ``field`` (or of a formula ``value`` over each event's fields) of
    the subject's matching events in each period."""

    events: EventFilter
    field: str | None = None
    value: str | None = None
    per: Granularity | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Sum:
        if (self.field is None) == (self.value is None):
            raise ValueError("give exactly one of `field` and `value`")
        if self.value is not None:
            _check_formula(self.value)
        return self


class AttributeTest(Doc):
    """A test of one of the subject's attributes (a pack-declared one or a core field)."""

    name: str = Field(min_length=1)
    equals: Union[StrictBool, int, str, None] = None
    one_of: tuple[Union[int, str], ...] | None = None
    recorded: StrictBool | None = None
    at_least: Value | None = None
    at_most: Value | None = None
    less_than: Value | None = None
    more_than: Value | None = None
    between: tuple[Value, Value] | None = None

    @model_validator(mode="after")
    def _one_test(self) -> AttributeTest:
        names = ("equals", "one_of", "recorded") + BOUND_NAMES
        given = [n for n in names if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of " + ", ".join(f"`{n}`" for n in names))
        return self

    @property
    def test(self) -> tuple[str, Any]:
        names = ("equals", "one_of", "recorded") + BOUND_NAMES
        name = next(n for n in names if getattr(self, n) is not None)
        return name, getattr(self, name)


class GeneralStreak(Doc):
    """Consecutive periods in each of which ``of`` holds; fires once per streak, when it reaches
    ``reaches`` periods. Periods count from ``counts_from`` (a date attribute of the subject, or
    ``reported_in`` for a member's report-in date) when given, else from the first recorded
    period; a part-recorded last period is unknown."""

    period: Granularity = Granularity.MONTH
    of: Condition
    reaches: Value
    counts_from: str | None = None


class OutcomeTest(Doc):
    """Outcomes of other rules of the same evaluation for the subject (rule chaining): how many
    outcomes of the named rules (or rule kind) in the year (``current``, ``previous`` or an
    offset), optionally only those with a ``tier`` or a ``score`` in bounds. Default: at least one."""

    rule: Union[str, tuple[str, ...], None] = None
    kind: RuleKind | None = None
    year: Union[Literal["current", "previous"], int] = "current"
    tier: str | None = None
    score: Bounds | None = None
    at_least: Value | None = None
    at_most: Value | None = None
    less_than: Value | None = None
    more_than: Value | None = None
    between: tuple[Value, Value] | None = None

    @model_validator(mode="after")
    def _what(self) -> OutcomeTest:
        if (self.rule is None) == (self.kind is None):
            raise ValueError("give exactly one of `rule` (an id or a list of ids) and `kind`")
        if sum(getattr(self, n) is not None for n in BOUND_NAMES) > 1:
            raise ValueError("give at most one of " + ", ".join(f"`{n}`" for n in BOUND_NAMES))
        return self

    @property
    def rules(self) -> tuple[str, ...]:
        if self.rule is None:
            return ()
        return (self.rule,) if isinstance(self.rule, str) else self.rule

    @property
    def offset(self) -> int:
        return _year_offset(self.year)

    @property
    def bound(self) -> tuple[str, Any]:
        for name in BOUND_NAMES:
            if getattr(self, name) is not None:
                return name, getattr(self, name)
        return "at_least", 1


def _year_offset(year: Union[str, int]) -> int:
    if year == "current":
        return 0
    if year == "previous":
        return -1
    return int(year)


def _check_formula(text: str) -> None:
    try:
        parse_expr(str(text))
    except ExprError as error:
        raise ValueError(f"{error} (column {error.column} of the formula)") from None


class RatingCondition(Doc):
    """The subject's annual rating in a year relative to the evaluated one; ``tier`` optional."""

    year: Union[Literal["current", "previous"], int] = "current"
    tier: str | None = None

    @property
    def offset(self) -> int:
        return _year_offset(self.year)


class OverdueFinding(Doc):
    """An inspection finding with no rectification dated on or before its deadline."""


class Condition(Doc):
    """One test of a rule's ``when``; exactly one key. ``all``, ``any`` and ``not`` combine any
    conditions; the others are measures of the subject."""

    all: tuple[Condition, ...] | None = None
    any: tuple[Condition, ...] | None = None
    not_: Condition | None = Field(default=None, alias="not")
    absence_streak: Streak | None = None
    streak: GeneralStreak | None = None
    count: Count | None = None
    sum: Sum | None = None
    attribute: AttributeTest | None = None
    rating: RatingCondition | None = None
    outcome: OutcomeTest | None = None
    overdue_finding: OverdueFinding | None = None
    holds_role: Role | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            keys = ", ".join(f"`{CONDITION_KEYS.get(name, name)}`" for name in type(self).model_fields)
            raise ValueError(f"a condition has exactly one of {keys}; found {len(given)}")
        for part in self.parts:
            if part.key in ("overdue_finding", "holds_role", "absence_streak", "streak") and self.key != "all":
                raise ValueError(f"`{part.key}` cannot stand inside `{self.key}`")
        measure = self.count or self.sum
        if measure is not None and not measure.bounded:
            raise ValueError(f"a `{self.key}` in a condition is compared: give one of "
                             + ", ".join(f"`{n}`" for n in BOUND_NAMES))
        return self

    @property
    def key(self) -> str:
        name = next(name for name in type(self).model_fields if getattr(self, name) is not None)
        return CONDITION_KEYS.get(name, name)

    @property
    def parts(self) -> tuple[Condition, ...]:
        """The conditions this one combines (none for a measure)."""
        if self.all is not None:
            return self.all
        if self.any is not None:
            return self.any
        return (self.not_,) if self.not_ is not None else ()

    def walk(self) -> Iterator[Condition]:
        """This condition and every condition inside it, depth first."""
        yield self
        for part in self.parts:
            yield from part.walk()
        if self.streak is not None:
            yield from self.streak.of.walk()


CONDITION_KEYS = {"not_": "not"}
