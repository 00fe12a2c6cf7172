"""A loaded policy pack: :class:`Pack`, the values its parameters take, and :func:`load_pack`.

Reading a pack's files is in ``pack_files.py`` and the whole-pack checks are in
``pack_checks.py``; every check runs, every problem is collected, and nothing is evaluated. A
pack that loads is ready to compile.
"""

from __future__ import annotations

import collections.abc
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence, Union

from ..domain.arguments import expect
from ..domain.errors import PolicyError, Problem, Span
from ..domain.model import SubjectKind
from .dated import Dated
from .declarations import Declarations, EventTypeSpec, FieldSpec
from .documents import ParameterSpec, Rule
from .loader import Document
from .pack_checks import deadline_problems
from .validation import suggestion

__all__ = [
    "BandRow", "BandTable", "InForce", "LookupTable", "Origin", "Pack", "ParamValue", "RuleEntry",
    "TestSetup", "declarations_for", "load_pack",
]


@dataclass(frozen=True)
class BandRow:
    """One band: ``low``/``high`` bounds (None: open), each inclusive or not, and its value."""

    low: Decimal | None
    low_inclusive: bool
    high: Decimal | None
    high_inclusive: bool
    value: Decimal

    def contains(self, x: Decimal) -> bool:
        if self.low is not None and (x < self.low or (x == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (x > self.high or (x == self.high and not self.high_inclusive)):
            return False
        return True

    def label(self) -> str:
        """The band as an officer reads it, e.g. ``3000.00 < x ≤ 5000.00``."""
        low = "" if self.low is None else f"{self.low} {'≤' if self.low_inclusive else '<'} "
        high = "" if self.high is None else f" {'≤' if self.high_inclusive else '<'} {self.high}"
        return f"{low}x{high}" if (low or high) else "任意 any"


@dataclass(frozen=True)
class BandTable:
    """A ``table`` parameter: bands in the order written."""

    rows: tuple[BandRow, ...]

    def row_for(self, x: Decimal) -> BandRow | None:
        return next((row for row in self.rows if row.contains(x)), None)

    def __str__(self) -> str:
        return "; ".join(f"{row.label()}: {row.value}" for row in self.rows)


@dataclass(frozen=True)
class LookupTable:
    """A ``lookup`` parameter: a value per key."""

    entries: Mapping[str, Decimal]

    def __str__(self) -> str:
        return "; ".join(f"{key}: {value}" for key, value in self.entries.items())


ParamValue = Union[int, Decimal, str, BandTable, LookupTable]
RuleEntry = tuple[Rule, Document, int]


@dataclass(frozen=True)
class Origin:
    """The pack a rule comes from: its name, version and folder (for provenance)."""

    name: str
    version: str
    path: Path


@dataclass(frozen=True)
class InForce:
    """A pack's ``effective`` dates, with where they are written."""

    origin: Origin
    start: date
    until: date | None
    span: Span

    def covers(self, year: int) -> bool:
        return self.start.year <= year and (self.until is None or year <= self.until.year)


@dataclass(frozen=True)
class TestSetup:
    """How the test cases of one test file run in a composed pack: with the parameter values of
    the pack that wrote them, and skipping the cases that name ``skip`` (replaced or disabled)."""

    __test__ = False  # not a pytest test class

    values: Mapping[str, ParamValue]
    dated: Mapping[str, tuple[Dated, ...]]
    skip: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Pack:
    """A validated policy pack with its parameter values resolved (defaults, then overrides).

    A pack may be a composition (several packs, or one that ``extends`` another): ``origins``
    names the pack each rule comes from, ``in_force`` the effective dates each pack brings."""

    name: str
    title: str
    version: str
    effective_from: date
    effective_until: date | None
    source: str
    path: Path
    parameters: Mapping[str, ParameterSpec]
    values: Mapping[str, ParamValue]
    rules: tuple[Rule, ...]
    spans: Mapping[str, Span]
    overrides: Mapping[str, ParamValue] = field(default_factory=dict)
    exclusive: tuple[tuple[str, str], ...] = ()
    test_files: tuple[Path, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    attributes: Mapping[SubjectKind, Mapping[str, FieldSpec]] = field(default_factory=dict)
    event_types: Mapping[str, EventTypeSpec] = field(default_factory=dict)

    @property
    def declarations(self) -> Declarations:
        """The attributes and event types this pack declares."""
        return Declarations(
            {kind: dict(self.attributes.get(kind, {})) for kind in SubjectKind}, dict(self.event_types)
        )
    dated: Mapping[str, tuple[Dated, ...]] = field(default_factory=dict)
    origins: Mapping[str, Origin] = field(default_factory=dict)
    in_force: tuple[InForce, ...] = ()
    parameter_spans: Mapping[str, Span] = field(default_factory=dict)
    test_setups: Mapping[Path, TestSetup] = field(default_factory=dict)
    replaced: Mapping[str, str] = field(default_factory=dict)
    rule_entries: tuple[RuleEntry, ...] = field(default=(), compare=False, repr=False)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def origin(self, rule_id: str) -> Origin:
        """The pack that wrote rule ``rule_id``."""
        return self.origins.get(rule_id) or Origin(self.name, self.version, self.path)

    def rule_file(self, rule_id: str) -> str:
        """The file of rule ``rule_id`` relative to its pack's parent folder
        (``tongjiang/reprimand.yaml``): stable wherever the pack is installed; "" if unknown."""
        span = self.spans.get(rule_id)
        if span is None:
            return ""
        path = Path(span.file)
        try:
            return str(path.resolve().relative_to(self.origin(rule_id).path.resolve().parent))
        except ValueError:
            return path.name

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "<overrides>") -> Pack:
        """A copy with some parameters changed; the pack's files are not touched. An override is
        one value for every day: it replaces the parameter's dated values too."""
        # imported here: the pack readers build on this module's types
        from .pack_files import _apply_overrides

        expect(overrides, collections.abc.Mapping, "overrides", "a mapping of parameter names to values")
        values, problems = _apply_overrides(self.parameters, dict(self.values), overrides, origin)
        if problems:
            raise PolicyError(problems)
        problems = deadline_problems([(rule, None, i) for i, rule in enumerate(self.rules)], values, origin)
        if problems:
            raise PolicyError(problems)
        merged = {**self.overrides, **{k: values[k] for k in overrides}}
        dated = {k: v for k, v in self.dated.items() if k not in overrides}
        return replace(
            self, values=MappingProxyType(values), overrides=MappingProxyType(merged),
            dated=MappingProxyType(dated), _cache={},
        )

    def shown(self, name: str) -> str:
        """A parameter's value as provenance shows it, with its dated values:
        ``1270.00; 1300.00 from 2024-07-01``."""
        text = str(self.values[name])
        for entry in self.dated.get(name, ()):
            until = f" until {entry.end}" if entry.end is not None else ""
            text += f"; {entry.value} from {entry.start}{until}"
        return text

    def check_year(self, year: int) -> None:
        """Raise :class:`PolicyError` if a pack of this one is not in force in ``year``."""
        problems = [
            Problem(
                f"year {year} is outside the effective dates of pack `{f.origin.name}` "
                f"({f.start}..{f.until or ''})", f.span, "effective",
                f"evaluate a year from {f.start.year} to {f.until.year}" if f.until
                else f"evaluate {f.start.year} or a later year",
            )
            for f in self.in_force if not f.covers(year)
        ]
        if problems:
            raise PolicyError(problems)


def load_pack(
    path: str | Path | Sequence[str | Path], overrides: Mapping[str, Any] | str | Path | None = None
) -> Pack:
    """Load the pack in folder ``path`` (or its ``pack.yaml``, or ``pkg:NAME`` for an installed
    pack package); raise :class:`PolicyError` listing every problem. A pack that ``extends``
    another is loaded with its base. A list of paths loads several packs as one
    (:func:`~partybuild_rules.policy.compose.compose`). ``overrides`` is a mapping of parameter
    values or a YAML file of them."""
    from .compose import load_packs  # composition builds on this module's types

    takes = "a pack folder, `pkg:NAME` or a list of them"
    if not isinstance(path, (str, Path)):
        expect(path, (list, tuple), "path", takes)
        for each in path:
            expect(each, (str, Path), "path", takes)
    if overrides is not None:
        expect(overrides, (collections.abc.Mapping, str, Path), "overrides", "a mapping of parameter values or a YAML file")
    paths = [path] if isinstance(path, (str, Path)) else list(path)
    return load_packs(paths, overrides)


def declarations_for(
    packs: Sequence[Pack], named: Sequence[str] = (), resolve: Callable[[str], Pack | None] | None = None,
) -> tuple[Declarations, list[Problem]]:
    """The declarations of ``packs`` and of the packs ``named`` (found among ``packs`` or by
    ``resolve``), merged; a name that cannot be found, or an attribute or event type that two
    packs declare differently, is a problem."""
    problems: list[Problem] = []
    chosen = list(packs)
    by_name = {pack.name: pack for pack in packs}
    for name in named:
        if name in by_name:
            continue
        found = resolve(name) if resolve is not None else None
        if found is None:
            problems.append(Problem(f"`declared_by` names pack `{name}`, which is not found", None,
                                    "unknown-pack", suggestion(name, list(by_name))))
            continue
        by_name[name] = found
        chosen.append(found)
    attributes: dict[SubjectKind, dict[str, FieldSpec]] = {kind: {} for kind in SubjectKind}
    events: dict[str, EventTypeSpec] = {}
    for pack in chosen:
        for kind, specs in pack.attributes.items():
            for name, spec in specs.items():
                if attributes[kind].setdefault(name, spec) != spec:
                    problems.append(Problem(f"packs declare {kind.value} attribute `{name}` differently",
                                            None, "declaration"))
        for name, event in pack.event_types.items():
            if events.setdefault(name, event) != event:
                problems.append(Problem(f"packs declare event type `{name}` differently", None, "declaration"))
    return Declarations(attributes, events), problems
