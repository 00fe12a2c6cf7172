"""Data a pack declares: typed attributes of subjects and its own event types.

A pack may say that members have a ``monthly_income: money`` and a ``category`` from a list, and
that a ``dues_payment`` event has a ``member``, a ``month`` and an ``amount``. A dataset carries
the attributes under each record's ``attributes`` and the events by ``type``; loading the dataset
against the packs in use checks every value with the same located errors as the core records.
An attribute or event type that no pack in use declares is an error, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Iterator, Literal, Mapping, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from ..domain.model import CORE_EVENT_TYPES, Dataset, PackEvent, SubjectKind
from ..domain.money import FEN, to_decimal
from .validation import suggestion

__all__ = [
    "AttributeSpec",
    "Declarations",
    "EventTypeSpec",
    "FieldSpec",
    "declaration_problems",
    "typed_value",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Scalar = Union[str, int, bool, Decimal, date]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class OneOf(_Doc):
    one_of: tuple[str, ...] = Field(min_length=1)


class RefTo(_Doc):
    ref: SubjectKind
    many: StrictBool = False


FieldType = Union[Literal["money", "decimal", "integer", "text", "date", "month", "boolean"], OneOf, RefTo]


class FieldSpec(_Doc):
    """One typed value: an attribute of a subject or a field of an event."""

    type: FieldType
    title: str = ""
    required: StrictBool = False
    personal: StrictBool = False
    """Personal data (an income): never shown in summaries, tables, explanations or provenance."""

    @property
    def type_name(self) -> str:
        if isinstance(self.type, OneOf):
            return "one of " + ", ".join(self.type.one_of)
        if isinstance(self.type, RefTo):
            return f"{'list of ' if self.type.many else ''}{self.type.ref.value} id"
        return self.type

    @property
    def numeric(self) -> bool:
        return self.type in ("money", "decimal", "integer")


AttributeSpec = FieldSpec


class EventTypeSpec(_Doc):
    """A pack's own event type: its fields; an event counts for every subject a `ref` field names."""

    title: str = Field(min_length=1)
    fields: dict[str, FieldSpec] = Field(min_length=1)

    @field_validator("fields")
    @classmethod
    def _names(cls, value: dict[str, FieldSpec]) -> dict[str, FieldSpec]:
        for name in value:
            if not _NAME.match(name) or name in ("id", "date", "type"):
                raise ValueError(f"field name `{name}` must be lowercase letters, digits and `_` "
                                 "(and not `id`, `date` or `type`)")
        return value


def typed_value(spec: FieldSpec, raw: Any) -> Scalar | tuple[str, ...]:
    """``raw`` (as read from JSON or YAML) read as the declared type; raise ValueError."""
    kind = spec.type
    if isinstance(kind, OneOf):
        if not isinstance(raw, str) or raw not in kind.one_of:
            hint = suggestion(str(raw), kind.one_of) if isinstance(raw, str) else None
            raise ValueError(f"`{raw}` is not one of {', '.join(kind.one_of)}" + (f"; {hint}" if hint else ""))
        return raw
    if isinstance(kind, RefTo):
        if kind.many:
            if not isinstance(raw, list) or not all(isinstance(v, str) and v for v in raw):
                raise ValueError(f"expected a list of {kind.ref.value} ids")
            return tuple(raw)
        if not isinstance(raw, str) or not raw:
            raise ValueError(f"expected a {kind.ref.value} id")
        return raw
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise ValueError(f"expected true or false, got `{raw}`")
        return raw
    if kind == "text":
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got `{raw}`")
        return raw
    if kind == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"expected a whole number, got `{raw}`")
        return raw
    if kind in ("money", "decimal"):
        value = to_decimal(raw)
        if kind == "money":
            if value != value.quantize(FEN):
                raise ValueError(f"`{raw}` has more than two decimal places; money is exact to the fen")
            value = value.quantize(FEN)
        return value
    if kind == "month":
        if not isinstance(raw, str) or not _MONTH.match(raw):
            raise ValueError(f"expected a month such as \"2024-03\", got `{raw}`")
        return raw
    if not isinstance(raw, str) or not _DATE.match(raw):
        raise ValueError(f"expected a date such as \"2024-03-01\", got `{raw}`")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"`{raw}` is not a calendar date") from None


@dataclass(frozen=True)
class Declarations:
    """The attributes and event types of every pack in use, merged."""

    attributes: Mapping[SubjectKind, Mapping[str, FieldSpec]]
    events: Mapping[str, EventTypeSpec]

    @staticmethod
    def empty() -> Declarations:
        return Declarations({kind: {} for kind in SubjectKind}, {})

    def attribute(self, kind: SubjectKind, name: str) -> FieldSpec | None:
        return self.attributes.get(kind, {}).get(name)

    def personal(self) -> set[str]:
        """Names of personal attributes and event fields (never shown)."""
        names = {n for specs in self.attributes.values() for n, s in specs.items() if s.personal}
        names |= {n for spec in self.events.values() for n, s in spec.fields.items() if s.personal}
        return names


_SECTIONS: dict[str, SubjectKind] = {
    "members": SubjectKind.MEMBER, "units": SubjectKind.UNIT, "communities": SubjectKind.COMMUNITY,
}

Path_ = tuple[Union[str, int], ...]


def declaration_problems(data: Dataset, declared: Declarations) -> list[tuple[Path_, str, str | None]]:
    """Every attribute and pack event of ``data`` checked against ``declared``: ``(path, message,
    help)`` for unknown names, values of the wrong type, missing required values and references
    that do not resolve."""
    problems: list[tuple[Path_, str, str | None]] = []
    ids = {
        SubjectKind.MEMBER: {m.id for m in data.members},
        SubjectKind.UNIT: {u.id for u in data.units},
        SubjectKind.COMMUNITY: {c.id for c in data.communities},
    }
    for section, kind in _SECTIONS.items():
        specs = declared.attributes.get(kind, {})
        for i, record in enumerate(getattr(data, section)):
            at: Path_ = (section, i, "attributes")
            problems += _check_values(at, record.attributes, specs, ids, f"{kind.value} attribute")
    known_types = sorted(set(declared.events) | set(CORE_EVENT_TYPES))
    for i, event in enumerate(data.events):
        if event.type in CORE_EVENT_TYPES:
            continue
        spec = declared.events.get(event.type)
        if spec is None:
            problems.append((("events", i, "type"), f"unknown event type `{event.type}`: neither the core "
                             "model nor a pack in use declares it",
                             suggestion(event.type, known_types) or "event types: " + ", ".join(known_types)))
            continue
        assert isinstance(event, PackEvent)
        problems += _check_values(("events", i), event.fields, spec.fields, ids, f"`{event.type}` field")
    return problems


def _check_values(
    at: Path_, values: Mapping[str, Any], specs: Mapping[str, FieldSpec],
    ids: Mapping[SubjectKind, set[str]], what: str,
) -> Iterator[tuple[Path_, str, str | None]]:
    for name, raw in values.items():
        spec = specs.get(name)
        if spec is None:
            yield (at + (name,), f"unknown {what} `{name}`: no pack in use declares it",
                   suggestion(name, list(specs)) or (f"declared: {', '.join(sorted(specs))}" if specs else None))
            continue
        try:
            value = typed_value(spec, raw)
        except ValueError as error:
            shown = "invalid value (not shown: personal data)" if spec.personal else str(error)
            yield (at + (name,), f"{what} `{name}`: {shown}", f"expected {spec.type_name}")
            continue
        if isinstance(spec.type, RefTo):
            for ref in (value if isinstance(value, tuple) else (value,)):
                if ref not in ids[spec.type.ref]:
                    yield (at + (name,), f"unknown {spec.type.ref.value} `{ref}`", None)
    for name, spec in specs.items():
        if spec.required and name not in values:
            yield (at, f"missing {what} `{name}` ({spec.type_name})", None)
