"""The policy documents: a pack manifest with named parameters, and rule files.

These models describe what a policy officer writes. They check shape and types only; checks that
need the whole pack (parameter references, tier tables, rule ids) are stages in ``policy/pack.py``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from ..domain.model import ActivityKind, Role, SubjectKind
from ..domain.outcomes import RuleKind
from ..domain.periods import Granularity
from .expr import ExprError, parse_expr

__all__ = [
    "Condition",
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
_PARAM = re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")

SUBJECT_FIELDS: dict[SubjectKind, dict[str, type]] = {
    SubjectKind.MEMBER: {"in_service": bool, "five_star": bool, "community": str, "unit": str},
    SubjectKind.UNIT: {"kind": str, "community": str},
    SubjectKind.COMMUNITY: {"community": str},
}
"""The fields of each subject kind that ``applies_if`` and measure conditions may test."""


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _value(text: Any) -> Any:
    """A number or a ``$parameter``; decimals stay strings so that they stay exact."""
    if isinstance(text, bool):
        raise ValueError("expected a number or a `$parameter`, not a truth value")
    if isinstance(text, int):
        return text
    if isinstance(text, str) and (_PARAM.match(text) or _DECIMAL.match(text)):
        return text
    raise ValueError(f"expected a number or a `$parameter`, got `{text}`")


Value = Annotated[Union[int, str], BeforeValidator(_value)]


class ParameterSpec(_Doc):
    """A named number of the policy, with its title, unit and allowed range."""

    title: str = Field(min_length=1)
    unit: str = ""
    type: Literal["integer", "decimal", "money", "text"]
    default: Union[int, str]
    min: Union[int, str, None] = None
    max: Union[int, str, None] = None
    allowed: tuple[Union[int, str], ...] | None = None
    illustrative: StrictBool = False
    description: str = ""


class Effective(_Doc):
    from_: date = Field(alias="from")
    until: date | None = None


class Manifest(_Doc):
    """``pack.yaml``: who the pack is, when it applies, its parameters and its rule files."""

    pack: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    title: str
    version: str = Field(min_length=1)
    effective: Effective
    source: str = ""
    rule_files: tuple[str, ...] = Field(min_length=1)
    parameters: dict[str, ParameterSpec] = {}
    exclusive: tuple[tuple[str, str], ...] = ()
    tests: tuple[str, ...] = ()

    @field_validator("parameters")
    @classmethod
    def _names(cls, value: dict[str, ParameterSpec]) -> dict[str, ParameterSpec]:
        for name in value:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
                raise ValueError(f"parameter name `{name}` must be letters, digits and `_`")
        return value


class EventFilter(_Doc):
    """Which events count: by type and, for activities, kind and 联学共建 flag; for assessments, part."""

    type: Literal[
        "unit_report", "member_report_in", "activity", "joint_meeting",
        "two_way_review", "inspection", "rectification", "assessment",
    ]
    kind: ActivityKind | None = None
    co_building: StrictBool | None = None
    part: Literal["daily", "year_end"] | None = None


class ActivityFilter(_Doc):
    kind: ActivityKind | None = None
    co_building: StrictBool | None = None


class Streak(_Doc):
    """Consecutive periods in which the member took part in no matching activity."""

    period: Literal[Granularity.MONTH] = Granularity.MONTH
    activity: ActivityFilter = ActivityFilter()
    reaches: Value



class Count(_Doc):
    """How many matching events involve the subject in each period of the year."""

    events: EventFilter
    per: Granularity
    less_than: Value | None = None
    at_least: Value | None = None


    @model_validator(mode="after")
    def _one_bound(self) -> Count:
        if (self.less_than is None) == (self.at_least is None):
            raise ValueError("give exactly one of `less_than` and `at_least`")
        return self


class RatingCondition(_Doc):
    """The subject's annual rating in a year relative to the evaluated one; ``tier`` optional."""

    year: Union[Literal["current", "previous"], int] = "current"
    tier: str | None = None

    @property
    def offset(self) -> int:
        if self.year == "current":
            return 0
        if self.year == "previous":
            return -1
        return int(self.year)


class OverdueFinding(_Doc):
    """An inspection finding with no rectification dated on or before its deadline."""


class Condition(_Doc):
    """One test of a rule's ``when``; exactly one key."""

    all: tuple[Condition, ...] | None = None
    absence_streak: Streak | None = None
    count: Count | None = None
    rating: RatingCondition | None = None
    overdue_finding: OverdueFinding | None = None
    holds_role: Role | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        given = [name for name in type(self).model_fields if getattr(self, name) is not None]
        if len(given) != 1:
            keys = ", ".join(f"`{name}`" for name in type(self).model_fields)
            raise ValueError(f"a condition has exactly one of {keys}; found {len(given)}")
        if self.all is not None and not all(c.rating is not None for c in self.all):
            raise ValueError("`all` combines `rating` conditions (e.g. previous and current year)")
        return self

    @property
    def key(self) -> str:
        return next(name for name in type(self).model_fields if getattr(self, name) is not None)


class Measure(_Doc):
    """One consequence of a reprimand or commendation, e.g. 约谈 of the unit's leader."""

    measure: str = Field(min_length=1)
    target: Literal["subject", "leader"] = "subject"
    revoke: Literal["five_star"] | None = None
    deadline_days: Value | None = None
    if_: dict[str, Union[StrictBool, int, str]] | None = Field(default=None, alias="if")



class ScoreItem(_Doc):
    """One weighted part of a score: the mean of a field over the subject's events of the year."""

    title: str
    events: EventFilter
    field: Union[str, dict[SubjectKind, str]]
    weight: Value



class Tier(_Doc):
    """A score range: ``min`` inclusive, ``below`` exclusive or ``max`` inclusive."""

    tier: str = Field(min_length=1)
    min: Value
    below: Value | None = None
    max: Value | None = None


    @model_validator(mode="after")
    def _one_upper(self) -> Tier:
        if (self.below is None) == (self.max is None):
            raise ValueError("give exactly one of `below` (exclusive) and `max` (inclusive)")
        return self


class Rule(_Doc):
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
    prorate: Literal["by_days", "none"] = "none"
    local: StrictBool = True
    monotone: StrictBool = False
    note: str = ""

    @field_validator("amount")
    @classmethod
    def _formula(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_expr(str(value))
            except ExprError as error:
                raise ValueError(f"{error} (column {error.column} of the formula)") from None
        return value

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
        }
        missing = [name for name in need[self.kind] if not getattr(self, name)]
        if missing:
            raise ValueError(
                f"a {self.kind.value} rule needs " + " and ".join(f"`{m}`" for m in missing)
            )
        if self.kind is RuleKind.ALLOWANCE and (self.amount is None) == (self.amount_by_tier is None):
            raise ValueError("an allowance rule needs exactly one of `amount` and `amount_by_tier`")
        if self.kind is RuleKind.COMPLIANCE and self.when and self.when.count is None:
            raise ValueError("a compliance rule's `when` is a `count` of events per period")
        if self.rating and self.kind is not RuleKind.EVALUATION:
            raise ValueError("only an evaluation rule can give the annual `rating`")
        return self


class RuleFile(_Doc):
    """A rule file: a list of rules."""

    rules: tuple[Rule, ...] = ()


Condition.model_rebuild()
