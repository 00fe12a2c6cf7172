"""The policy documents: a pack manifest with named parameters, and rule files (their conditions
are in :mod:`.conditions`).

These models describe what a policy officer writes. They check shape and types only; checks that
need the whole pack (parameter references, tier tables, rule ids) are stages in
``policy/pack_checks.py``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal, Union

from pydantic import Field, StrictBool, field_validator, model_validator

from ..domain.model import CORE_EVENT_TYPES, SubjectKind
from ..domain.outcomes import RuleKind
from ..domain.periods import Granularity
from .conditions import Condition, Count, EventFilter, GeneralStreak, Sum
from .declarations import EventTypeSpec, FieldSpec
from .doc_base import Doc, Value
from .expr import ExprError, parse_expr

__all__ = [
    "Balance",
    "Condition",
    "DatedValue",
    "Manifest",
    "Measure",
    "ParameterSpec",
    "Rule",
    "RuleFile",
    "RuleKind",
    "ScoreItem",
    "Tier",
    "SUBJECT_FIELDS",
]

RULE_ID = r"^[A-Z][A-Za-z0-9]*(\.[a-z0-9][a-z0-9-]*)+$"

SUBJECT_FIELDS: dict[SubjectKind, dict[str, type]] = {
    SubjectKind.MEMBER: {"in_service": bool, "five_star": bool, "community": str, "unit": str},
    SubjectKind.UNIT: {"kind": str, "community": str},
    SubjectKind.COMMUNITY: {"community": str},
}
"""The fields of each subject kind that ``applies_if`` and measure conditions may test."""


class Band(Doc):
    """One row of a band table: a lower bound (``min`` inclusive or ``above`` exclusive) and an
    upper bound (``max`` inclusive or ``below`` exclusive), either of which may be left open,
    and the ``value`` for numbers in the band."""

    min: Value | None = None
    above: Value | None = None
    max: Value | None = None
    below: Value | None = None
    value: Value

    @model_validator(mode="after")
    def _bounds(self) -> Band:
        if self.min is not None and self.above is not None:
            raise ValueError("give at most one of `min` (inclusive) and `above` (exclusive)")
        if self.max is not None and self.below is not None:
            raise ValueError("give at most one of `max` (inclusive) and `below` (exclusive)")
        return self


class DatedValue(Doc):
    """A parameter's value for a range of days (``until`` inclusive; open: until the next entry)."""

    from_: date = Field(alias="from")
    until: date | None = None
    value: Union[int, str]


class ParameterSpec(Doc):
    """A named value of the policy, with its title, unit and allowed range: a number, a text, a
    band table (``type: table`` with ``bands``) or a lookup table (``type: lookup`` with
    ``entries``)."""

    title: str = Field(min_length=1)
    unit: str = ""
    type: Literal["integer", "decimal", "money", "text", "table", "lookup"]
    default: Union[int, str, None] = None
    bands: tuple[Band, ...] | None = None
    entries: dict[str, Value] | None = None
    monotone: Literal["increasing", "decreasing"] | None = None
    min: Union[int, str, None] = None
    max: Union[int, str, None] = None
    allowed: tuple[Union[int, str], ...] | None = None
    illustrative: StrictBool = False
    description: str = ""
    dated: tuple[DatedValue, ...] = ()

    @model_validator(mode="after")
    def _shape(self) -> ParameterSpec:
        if self.type == "table":
            if not self.bands or self.default is not None or self.entries is not None:
                raise ValueError("a `table` parameter has `bands` (and no `default` or `entries`)")
        elif self.type == "lookup":
            if not self.entries or self.default is not None or self.bands is not None:
                raise ValueError("a `lookup` parameter has `entries` (and no `default` or `bands`)")
        else:
            if self.default is None:
                raise ValueError(f"a `{self.type}` parameter needs a `default`")
            if self.bands is not None or self.entries is not None or self.monotone is not None:
                raise ValueError("`bands`, `entries` and `monotone` belong to `table` and `lookup` parameters")
        return self


class Effective(Doc):
    from_: date = Field(alias="from")
    until: date | None = None


class Manifest(Doc):
    """``pack.yaml``: who the pack is, when it applies, its parameters and its rule files."""

    pack: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    version: str = Field(min_length=1)
    effective: Effective
    source: str = ""
    rule_files: tuple[str, ...] = ()
    parameters: dict[str, ParameterSpec] = {}
    exclusive: tuple[tuple[str, str], ...] = ()
    tests: tuple[str, ...] = ()
    attributes: dict[SubjectKind, dict[str, FieldSpec]] = {}
    event_types: dict[str, EventTypeSpec] = {}

    @field_validator("attributes")
    @classmethod
    def _attribute_names(cls, value: dict[SubjectKind, dict[str, FieldSpec]]) -> dict[SubjectKind, dict[str, FieldSpec]]:
        for kind, names in value.items():
            for name in names:
                if not re.match(r"^[a-z][a-z0-9_]*$", name):
                    raise ValueError(f"attribute name `{name}` must be lowercase letters, digits and `_`")
                if name in SUBJECT_FIELDS[kind]:
                    raise ValueError(f"`{name}` is a core field of a {kind.value}; choose another name")
        return value

    @field_validator("event_types")
    @classmethod
    def _event_names(cls, value: dict[str, EventTypeSpec]) -> dict[str, EventTypeSpec]:
        for name in value:
            if not re.match(r"^[a-z][a-z0-9_]*$", name) or name in CORE_EVENT_TYPES:
                raise ValueError(f"event type `{name}` must be lowercase letters, digits and `_` "
                                 "and not a core event type")
        return value
    extends: str | None = Field(default=None, pattern=r"^(pkg:)?[a-z][a-z0-9_-]*$")
    disable: tuple[str, ...] = ()

    @field_validator("parameters")
    @classmethod
    def _names(cls, value: dict[str, ParameterSpec]) -> dict[str, ParameterSpec]:
        for name in value:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise ValueError(f"parameter name `{name}` must be letters, digits and `_`")
        return value


class Measure(Doc):
    """One consequence of a reprimand or commendation, e.g. 约谈 of the unit's leader."""

    measure: str = Field(min_length=1)
    target: Literal["subject", "leader"] = "subject"
    revoke: Literal["five_star"] | None = None
    deadline_days: Value | None = None
    if_: dict[str, Union[StrictBool, int, str]] | None = Field(default=None, alias="if")


class ScoreItem(Doc):
    """One weighted part of a score over the year: the mean of an event ``field`` (with
    ``events``), or a ``sum``, a ``count``, or the number of ``periods`` in which a condition
    holds; ``subtract: true`` deducts it."""

    title: str
    events: EventFilter | None = None
    field: Union[str, dict[SubjectKind, str], None] = None
    sum: Sum | None = None
    count: Count | None = None
    periods: Periods | None = None
    weight: Value = 1
    subtract: StrictBool = False

    @model_validator(mode="after")
    def _one_measure(self) -> ScoreItem:
        mean = self.events is not None or self.field is not None
        if mean and (self.events is None or self.field is None):
            raise ValueError("a mean needs both `events` and `field`")
        if mean + sum(x is not None for x in (self.sum, self.count, self.periods)) != 1:
            raise ValueError("give exactly one of `events`+`field` (a mean), `sum`, `count` and `periods`")
        return self

    @property
    def measure(self) -> str:
        if self.sum is not None:
            return "sum"
        if self.count is not None:
            return "count"
        if self.periods is not None:
            return "periods"
        return "mean"


class Periods(Doc):
    """How many periods of the year (inside the recorded dates) satisfy ``of``."""

    period: Granularity = Granularity.MONTH
    of: Condition
    counts_from: str | None = None
    """As for a streak: ``reported_in`` or a date attribute; periods before it do not count."""


class Tier(Doc):
    """A score range: ``min`` inclusive, ``below`` exclusive or ``max`` inclusive."""

    tier: str = Field(min_length=1)
    min: Value | None = None
    """Inclusive; omitted only for a lowest tier open below (a points total may be negative)."""
    below: Value | None = None
    max: Value | None = None


    @model_validator(mode="after")
    def _one_upper(self) -> Tier:
        if self.below is not None and self.max is not None:
            raise ValueError("give one of `below` (exclusive) and `max` (inclusive)")
        if self.below is None and self.max is None and self.min is None:
            raise ValueError("a tier needs a bound: `min`, `below` or `max`")
        return self


class Balance(Doc):
    """How an allocation rule balances resident units between neighbouring communities: every
    community within ``tolerance`` units of the city mean is balanced; at most ``max_moves``
    units are proposed to move."""

    tolerance: Value
    max_moves: Value


class Rule(Doc):
    """A rule as a policy officer writes it."""

    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=1)
    kind: RuleKind
    subject: Union[SubjectKind, tuple[SubjectKind, ...]]
    source: str = Field(min_length=1)
    applies_if: dict[str, Union[StrictBool, int, str, tuple[Union[int, str], ...]]] = {}
    when: Condition | None = None
    unless: Literal["reprimanded"] | None = None
    then: tuple[Measure, ...] = ()
    finding: str | None = None
    score: tuple[ScoreItem, ...] | None = None
    tiers: tuple[Tier, ...] | None = None
    rating: StrictBool = False
    per: Granularity | None = None
    amount: str | None = None
    amount_by_tier: dict[str, Value] | None = None
    balance: Balance | None = None
    prorate: Literal["by_days", "none"] = "none"
    rounding: Literal["fen", "jiao", "yuan"] = "fen"
    """Money is rounded half up to this unit (分, 角 or 元)."""
    local: StrictBool = True
    monotone: StrictBool = False
    note: str = ""
    replaces: str | None = Field(default=None, pattern=RULE_ID)

    @field_validator("amount")
    @classmethod
    def _formula(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_expr(str(value))
            except ExprError as error:
                raise ValueError(f"{error} (column {error.column} of the formula)") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _allocation_not_local(cls, data: Any) -> Any:
        # an allocation compares communities with each other: it is never local to one
        if isinstance(data, dict) and data.get("kind") == RuleKind.ALLOCATION.value and "local" not in data:
            return {**data, "local": False}
        return data

    @property
    def subjects(self) -> tuple[SubjectKind, ...]:
        return self.subject if isinstance(self.subject, tuple) else (self.subject,)

    @model_validator(mode="after")
    def _shape_of_kind(self) -> Rule:
        need: dict[RuleKind, list[str]] = {
            RuleKind.EVALUATION: ["score", "tiers"],
            RuleKind.REPRIMAND: ["when", "then"],
            RuleKind.COMMENDATION: ["when", "then"],
            RuleKind.COMPLIANCE: ["when", "finding"],
            RuleKind.ALLOWANCE: ["per"],
            RuleKind.CHARGE: ["per"],
            RuleKind.ALLOCATION: ["balance"],
        }
        missing = [name for name in need[self.kind] if not getattr(self, name)]
        if missing:
            raise ValueError(
                f"a {self.kind.value} rule needs " + " and ".join(f"`{m}`" for m in missing)
            )
        if self.kind.is_money and (self.amount is None) == (self.amount_by_tier is None):
            raise ValueError(f"a{'n' if self.kind is RuleKind.ALLOWANCE else ''} {self.kind.value} rule "
                             "needs exactly one of `amount` and `amount_by_tier`")
        if self.rating and self.kind is not RuleKind.EVALUATION:
            raise ValueError("only an evaluation rule can give the annual `rating`")
        if (self.balance is not None) != (self.kind is RuleKind.ALLOCATION):
            raise ValueError("only an allocation rule takes `balance`")
        if self.kind is RuleKind.ALLOCATION:
            self._allocation_shape()
        return self

    def _allocation_shape(self) -> None:
        if self.subjects != (SubjectKind.UNIT,):
            raise ValueError("an allocation rule moves resident units: its `subject` is `unit`")
        extra = [name for name in ("when", "unless", "then", "finding", "score", "tiers", "per", "amount",
                                   "amount_by_tier") if getattr(self, name)]
        if extra:
            raise ValueError("an allocation rule takes no " + ", ".join(f"`{name}`" for name in extra))
        if self.local:
            raise ValueError("an allocation rule compares communities with each other: it cannot be `local`")


class RuleFile(Doc):
    """A rule file: a list of rules."""

    rules: tuple[Rule, ...] = ()


Condition.model_rebuild()
GeneralStreak.model_rebuild()
ScoreItem.model_rebuild()
Periods.model_rebuild()
