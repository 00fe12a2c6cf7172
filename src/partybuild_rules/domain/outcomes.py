"""Outcome records with provenance: which rule fired, on which facts, with which parameters."""

from __future__ import annotations

import json
from datetime import date
from enum import Enum
from typing import Annotated, Any, Iterable, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticUndefined

from .model import SubjectKind
from .money import Money


class RuleKind(str, Enum):
    EVALUATION = "evaluation"
    COMMENDATION = "commendation"
    REPRIMAND = "reprimand"
    COMPLIANCE = "compliance"
    ALLOWANCE = "allowance"
    CHARGE = "charge"
    ALLOCATION = "allocation"

    @property
    def label(self) -> str:
        return {
            "evaluation": "考核评价",
            "commendation": "表彰",
            "reprimand": "问责",
            "compliance": "合规检查",
            "allowance": "待遇经费",
            "charge": "应缴费用",
            "allocation": "均衡调剂",
        }[self.value]

    @property
    def is_money(self) -> bool:
        """Rules of this kind give an amount of money per period."""
        return self in (RuleKind.ALLOWANCE, RuleKind.CHARGE)


__all__ = [
    "Allocation",
    "Allowance",
    "Charge",
    "Commendation",
    "ComplianceFinding",
    "Evaluation",
    "Measure",
    "Notice",
    "Outcome",
    "Provenance",
    "Reprimand",
    "Result",
    "sorted_outcomes",
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Provenance(_Out):
    """Why an outcome exists: the rule, where it is written, the clause it implements, the facts
    it matched and the parameter values it used."""

    rule_id: str
    rule_title: str
    pack: str
    pack_version: str
    file: str
    line: int
    source: str
    facts: tuple[dict[str, Any], ...]
    parameters: dict[str, str]


class _Base(_Out):
    kind: str
    rule_id: str
    subject_kind: SubjectKind
    subject: str
    subject_name: str
    community: str
    year: int
    period: str
    provenance: Provenance

    def sort_key(self) -> tuple[Any, ...]:
        # The matched facts break the last ties (two findings of one unit overdue in one month),
        # so that the order never depends on the order of the input records.
        return (*self._sort_head(), json.dumps(self.provenance.facts, sort_keys=True, ensure_ascii=False, default=str))

    def _sort_head(self) -> tuple[Any, ...]:
        """The sort key but for its last part, the one costly to work out."""
        return (_KIND_ORDER[self.kind], self.rule_id, self.community, self.subject_kind.value,
                self.subject, self.period, self.detail_key())

    def detail_key(self) -> str:
        return ""


def sorted_outcomes(outcomes: Iterable[Any]) -> list[Any]:
    """The outcomes in result order (by their ``sort_key``); the matched facts, costly to write
    out, are written only for the outcomes they must tell apart."""
    heads = [(outcome._sort_head(), outcome) for outcome in outcomes]
    heads.sort(key=lambda pair: pair[0])
    ordered: list[Any] = []
    i = 0
    while i < len(heads):
        j = i + 1
        while j < len(heads) and heads[j][0] == heads[i][0]:
            j += 1
        tied = [outcome for _, outcome in heads[i:j]]
        ordered += sorted(tied, key=lambda o: o.sort_key()) if j - i > 1 else tied
        i = j
    return ordered


class Evaluation(_Base):
    """A score and tier; ``rating`` marks the annual rating (档次) other rules use."""

    kind: Literal["evaluation"] = "evaluation"
    score: str
    tier: str
    rating: bool


class Commendation(_Base):
    """表彰."""

    kind: Literal["commendation"] = "commendation"
    title: str


class Measure(_Out):
    """One reprimand measure: 约谈, 通报批评, 限期整改 (with a deadline), or a revoked status."""

    measure: str
    target: str
    revoke: str | None = None
    deadline: date | None = None


class Reprimand(_Base):
    """问责: the measures taken, each naming the person or organisation it targets."""

    kind: Literal["reprimand"] = "reprimand"
    measures: tuple[Measure, ...]
    on: date | None = None
    since: str | None = None
    """For a streak (R2): the month the streak began."""


class ComplianceFinding(_Base):
    """A period in which something the policy requires did not happen."""

    kind: Literal["compliance"] = "compliance"
    finding: str
    count: int
    required: int


class Allowance(_Base):
    """Money owed for one period: exact yuan, pro-rated by the days the role was held."""

    kind: Literal["allowance"] = "allowance"
    amount: Money
    full_amount: Money
    days_held: int
    days_in_period: int
    payee: str
    role: str | None = None
    role_community: str | None = None
    """For a role allowance: the community where the role was held."""

    basis: str = ""
    """How the amount was found when it depends on the subject, e.g. the band of a personal
    income and its rate — never the personal value itself."""

    def detail_key(self) -> str:
        return f"{self.role or ''}|{self.role_community or ''}"


class Charge(Allowance):
    """Money the subject owes for one period (应缴, e.g. Party dues), exact yuan."""

    kind: Literal["charge"] = "charge"  # type: ignore[assignment]


class Allocation(_Base):
    """均衡调剂: a proposal to assign a resident unit (the subject) from ``from_community`` to the
    neighbouring ``to_community``, which has fewer resident units. A proposal only: the dataset
    is never changed. ``step`` numbers the proposals in the order they were made (each counts
    after the ones before it); ``reason`` says why this unit and why that community."""

    kind: Literal["allocation"] = "allocation"
    step: int
    from_community: str
    from_community_name: str
    to_community: str
    to_community_name: str
    from_before: int
    from_after: int
    to_before: int
    to_after: int
    mean: str
    """The city mean of resident units per community, to 0.01."""
    reason: str

    def sort_key(self) -> tuple[Any, ...]:
        return self._sort_head()

    def _sort_head(self) -> tuple[Any, ...]:
        # proposals read in the order they were made: each one counts after those before it
        return (_KIND_ORDER[self.kind], self.rule_id, self.period, self.step, self.subject)


Outcome = Annotated[
    Union[Evaluation, Commendation, Reprimand, ComplianceFinding, Allowance, Charge, Allocation],
    Field(discriminator="kind"),
]

_KIND_ORDER = {kind.value: i for i, kind in enumerate(RuleKind)}


class Notice(_Out):
    """A warning: legal but suspicious data, e.g. a member with no report-in date."""

    code: str
    subject_kind: str
    subject: str
    message: str


class Result(_Out):
    """Everything one evaluation produced, in a deterministic order; ``warnings`` lists what
    is legal but suspicious in the data (they never change outcomes)."""

    pack: str
    pack_version: str
    dataset: str
    year: int
    engine: str = ""
    """The rules engine that produced the outcomes: ``durable`` or ``clips`` (empty in a result
    not made by an evaluator)."""
    parameters: dict[str, str]
    outcomes: tuple[Outcome, ...]
    warnings: tuple[Notice, ...] = ()

    def of_rule(self, rule_id: str) -> list[Any]:
        """The outcomes of rule ``rule_id``, in order (none for a rule that did not fire or does not exist)."""
        return [o for o in self.outcomes if o.rule_id == rule_id]

    def of_subject(self, subject: str) -> list[Any]:
        """The outcomes of the member, unit or community with id ``subject``, in order."""
        return [o for o in self.outcomes if o.subject == subject]

    def to_json(self) -> str:
        """The whole result as JSON (money as exact decimal text), indented."""
        return self.model_dump_json(indent=2)


OUTCOMES: TypeAdapter[tuple[Outcome, ...]] = TypeAdapter(tuple[Outcome, ...])

_Made = TypeVar("_Made", bound=_Out)

_MISSING: Any = PydanticUndefined

_TEMPLATES: dict[type[_Out], dict[str, Any]] = {
    cls: {name: _MISSING if field.is_required() else field.default for name, field in cls.model_fields.items()}
    for cls in (Provenance, Measure, Evaluation, Commendation, Reprimand, ComplianceFinding, Allowance, Charge)
}
"""Per record type the evaluator builds, its fields in order with their defaults (none is a
factory: :func:`built` shares a default, so every default is immutable)."""
assert all(field.default_factory is None for cls in _TEMPLATES for field in cls.model_fields.values())
_GIVEN: dict[tuple[Any, ...], set[str]] = {}
"""The fields given, as the record's set of fields set: one set for all the records built with
the same fields (a few per kind of outcome; a set of its own would be 0.5–1 KB a record, a fifth of
an outcome's memory). pydantic copies it before it changes it (``model_copy``); nothing else does."""
_REQUIRED = {cls: frozenset(name for name, default in template.items() if default is _MISSING)
             for cls, template in _TEMPLATES.items()}


def built(cls: type[_Made], **values: Any) -> _Made:
    """A record of ``cls`` from ``values`` that already are what validating them gives (text,
    ints, enums, tuples, money quantised to the fen), made without validating them again: the
    evaluator's own outcomes, a few hundred thousand for a province, whose values it has just
    worked out from validated data.

    The record is the one validation would make: the fields in order, the defaults of those not
    given, the same fields counted as set (in a set shared by the records given the same fields).
    A missing or unknown field is a ``TypeError``. The tests hold every outcome of the bundled
    packs, on both engines, to what validating its fields again gives, type by type."""
    template = _TEMPLATES[cls]
    fields = {**template, **values}  # in the template's order; an unknown field comes last
    if len(fields) != len(template) or not _REQUIRED[cls] <= values.keys():
        unknown = sorted(set(values) - set(template))
        missing = sorted(_REQUIRED[cls] - set(values))
        raise TypeError(f"{cls.__name__}: " + (f"unknown fields {unknown}" if unknown else f"the field `{missing[0]}` is missing"))
    key = (cls, *values)
    given = _GIVEN.get(key)
    if given is None:
        given = _GIVEN.setdefault(key, set(values))
    record = cls.__new__(cls)
    object.__setattr__(record, "__dict__", fields)
    object.__setattr__(record, "__pydantic_fields_set__", given)
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record
