"""Loading and validating a policy pack: a folder with ``pack.yaml`` and rule files.

Validation is a list of named stages over the whole pack; every stage runs, every problem is
collected, and nothing is evaluated. A pack that loads is ready to compile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence, Union

from pydantic import ValidationError

from ..domain.errors import PolicyError, Problem, Span
from ..domain.model import SubjectKind
from ..domain.money import FEN, to_decimal
from .declarations import Declarations, EventTypeSpec, FieldSpec
from .dated import Dated, dated_values
from .documents import Manifest, ParameterSpec, Rule, RuleFile
from .limits import DEFAULT_LIMITS, Limits
from .loader import Document, read_document, suggestion, validation_problems
from .pack_checks import Exclusive, _reference_problems, deadline_problems

__all__ = [
    "BandRow", "BandTable", "InForce", "LookupTable", "Origin", "Pack", "ParamValue", "TestSetup",
    "declarations_for", "load_pack",
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
_WHOLE = re.compile(r"^[-+]?[0-9]{1,18}$")


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
    from .compose import load_packs  # composition builds on this module's readers

    paths = [path] if isinstance(path, (str, Path)) else list(path)
    return load_packs(paths, overrides)


@dataclass
class PackFiles:
    """One pack's own documents, validated: its manifest, its parameter declarations and the
    entries that override a base's values (``extends`` only), and its rules."""

    folder: Path
    document: Document
    manifest: Manifest
    overrides: dict[str, Any]
    rules: list[RuleEntry] = field(default_factory=list)

    @property
    def origin(self) -> Origin:
        return Origin(self.manifest.pack, self.manifest.version, self.folder)

    def in_force(self) -> InForce:
        effective = self.manifest.effective
        return InForce(self.origin, effective.from_, effective.until, self.document.span(("effective",)))


def read_manifest(path: Path, problems: list[Problem]) -> PackFiles | None:
    """Read and validate ``pack.yaml`` (without its rule files). In a pack that ``extends``
    another, a ``parameters`` entry without ``type:`` overrides the base's value (a plain value,
    or a mapping of ``default`` and ``dated``) and is kept apart from the declarations."""
    manifest_path = path if path.suffix in (".yaml", ".yml") else path / "pack.yaml"
    document, read_problems = read_document(manifest_path)
    problems += read_problems
    if document is None:
        return None
    data = document.data
    overrides: dict[str, Any] = {}
    if isinstance(data, dict) and data.get("extends") is not None and isinstance(data.get("parameters"), dict):
        declared = {k: v for k, v in data["parameters"].items() if isinstance(v, dict) and "type" in v}
        overrides = {k: v for k, v in data["parameters"].items() if k not in declared}
        data = {**data, "parameters": declared}
    manifest = _validate(document, Manifest, problems, data)
    if manifest is None:
        return None
    if not manifest.rule_files and manifest.extends is None:
        problems.append(Problem("missing field `rule_files`", document.span(()), "missing-field",
                                "add `rule_files:`", ("rule_files",)))
    return PackFiles(manifest_path.parent, document, manifest, overrides)


def read_rules(files: PackFiles, parameters: Mapping[str, ParameterSpec], problems: list[Problem]) -> None:
    """Read the pack's rule files into ``files.rules``; ``$name`` must name one of ``parameters``."""
    for index, name in enumerate(files.manifest.rule_files):
        rule_path = files.folder / name
        rule_document, read_problems = read_document(rule_path)
        if any(p.message.startswith("file not found") for p in read_problems):
            problems.append(Problem(
                f"rule file `{name}` not found", files.document.span(("rule_files", index)), "io",
                f"the file should be at `{rule_path}`",
            ))
            continue
        problems += read_problems
        if rule_document is None:
            continue
        rule_file = _validate(rule_document, RuleFile, problems)
        raw_rules = rule_document.data.get("rules", []) if isinstance(rule_document.data, dict) else []
        if rule_file is not None:
            files.rules += [(rule, rule_document, i) for i, rule in enumerate(rule_file.rules)]
        problems += _reference_problems(rule_document, raw_rules, parameters)


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


def declared_values(files: PackFiles, problems: list[Problem]) -> tuple[dict[str, ParamValue], dict[str, tuple[Dated, ...]]]:
    """The defaults and dated values of the parameters the pack declares itself."""
    values = _parameter_values(files.manifest, files.document, problems)
    dated: dict[str, tuple[Dated, ...]] = {}
    for name, spec in files.manifest.parameters.items():
        if spec.dated:
            dated[name] = dated_values(spec, spec.dated, files.document, ("parameters", name, "dated"), problems,
                                       partial(parameter_value, spec))
    return {k: v for k, v in values.items()}, {k: v for k, v in dated.items() if v}


def exclusive_spans(files: PackFiles) -> list[Exclusive]:
    return [(pair, files.document, i) for i, pair in enumerate(files.manifest.exclusive)]


def apply_overrides_from(
    pack: Pack, overrides: Mapping[str, Any] | str | Path, problems: list[Problem]
) -> Pack:
    """``pack`` with ``overrides`` (a mapping, or a YAML file of ``name: value``) applied."""
    override_map, origin, where = _read_overrides(overrides, problems)
    values, more = _apply_overrides(pack.parameters, dict(pack.values), override_map, origin, where)
    problems += more
    return replace(
        pack, values=MappingProxyType(values),
        overrides=MappingProxyType({k: values[k] for k in override_map if k in values}),
        dated=MappingProxyType({k: v for k, v in pack.dated.items() if k not in override_map}),
        _cache={},
    )


def _validate(document: Document, model: Any, problems: list[Problem], data: Any = None) -> Any:
    data = document.data if data is None else data
    if not isinstance(data, dict):
        problems.append(Problem(
            "expected a mapping of fields at the top of the file", document.span(()), "type"
        ))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems += validation_problems(error, document, model)
        return None


# ---------------------------------------------------------------------------------------------
# parameters


def table_value(spec: ParameterSpec) -> BandTable | LookupTable:
    """The value of a ``table`` or ``lookup`` parameter; raise ValueError on a bound or value
    that is not a number."""
    if spec.type == "lookup":
        return LookupTable(MappingProxyType({k: to_decimal(v) for k, v in (spec.entries or {}).items()}))
    rows = []
    for band in spec.bands or ():
        low = band.min if band.min is not None else band.above
        high = band.max if band.max is not None else band.below
        rows.append(BandRow(
            None if low is None else to_decimal(low), band.min is not None,
            None if high is None else to_decimal(high), band.max is not None,
            to_decimal(band.value),
        ))
    return BandTable(tuple(rows))


def table_problems(spec: ParameterSpec) -> list[tuple[tuple[str | int, ...], str]]:
    """Gaps, overlaps and broken monotony of a band table, each with the path of the band."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    try:
        table = table_value(spec)
    except ValueError as error:
        return [((), str(error))]
    if not isinstance(table, BandTable):
        return problems
    order = sorted(range(len(table.rows)), key=lambda i: (
        table.rows[i].low is not None, table.rows[i].low or Decimal(0), not table.rows[i].low_inclusive))
    for a, b in zip(order, order[1:]):
        first, second = table.rows[a], table.rows[b]
        if first.high is None or second.low is None or first.high > second.low or (
            first.high == second.low and first.high_inclusive and second.low_inclusive
        ):
            problems.append((("bands", b), f"band {b + 1} ({second.label()}) overlaps band {a + 1} ({first.label()})"))
        elif first.high < second.low or not (first.high_inclusive or second.low_inclusive):
            problems.append((("bands", b), f"gap between band {a + 1} ({first.label()}) and band {b + 1} "
                                           f"({second.label()})"))
    if spec.monotone is not None:
        for a, b in zip(order, order[1:]):
            lower, upper = table.rows[a].value, table.rows[b].value
            if (spec.monotone == "increasing" and upper < lower) or (spec.monotone == "decreasing" and upper > lower):
                problems.append((("bands", b, "value"), f"band {b + 1}'s value {upper} breaks the declared "
                                 f"`monotone: {spec.monotone}` (band {a + 1} has {lower})"))
    return problems


def parameter_value(spec: ParameterSpec, raw: Any) -> ParamValue:
    """Read one parameter value as its declared type and check its range; raise ValueError."""
    if spec.type in ("table", "lookup"):
        if raw is not None:
            raise ValueError("a table is changed in the pack, not by an override")
        return table_value(spec)
    value = _typed(spec, raw)
    if spec.allowed is not None and value not in [_typed(spec, a) for a in spec.allowed]:
        raise ValueError(f"`{raw}` is not one of {', '.join(str(a) for a in spec.allowed)}")
    if isinstance(value, (int, Decimal)):
        if spec.min is not None and value < to_decimal(spec.min):
            raise ValueError(f"`{raw}` is below the minimum {spec.min}")
        if spec.max is not None and value > to_decimal(spec.max):
            raise ValueError(f"`{raw}` is above the maximum {spec.max}")
    return value


def _typed(spec: ParameterSpec, raw: Any) -> ParamValue:
    """``raw`` read as the parameter's declared type (no range checks)."""
    value: ParamValue
    if spec.type == "text":
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got `{raw}`")
        value = raw
    elif spec.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise ValueError(f"expected a whole number, got `{raw}`")
        text = str(raw).strip()
        if not _WHOLE.match(text):  # ASCII digits only: `٣١٢` is not 312
            raise ValueError(f"expected a whole number, got `{raw}`")
        value = int(text)
    else:
        value = to_decimal(raw)
        if spec.type == "money" and value != value.quantize(FEN):
            raise ValueError(f"`{raw}` has more than two decimal places; money is exact to the fen")
        if spec.type == "money":
            value = value.quantize(FEN)
    return value


def _parameter_values(
    manifest: Manifest, document: Document, problems: list[Problem]
) -> dict[str, ParamValue]:
    values: dict[str, ParamValue] = {}
    written = document.data.get("parameters") or {}
    for name, spec in manifest.parameters.items():
        if spec.type in ("table", "lookup"):
            for path, message in table_problems(spec):
                problems.append(Problem(f"table `{name}`: {message}", document.span(("parameters", name) + path),
                                        "table", "bands meet exactly: one's `max` is the next one's `above` "
                                        "(or `below` and `min`)"))
        raw = written.get(name, {})  # as written: the model reads `true` as 1 for an integer
        try:
            for bound in ("min", "max"):
                if isinstance(raw.get(bound), bool):
                    raise ValueError(f"`{bound}`: a truth value is not a number")
            values[name] = parameter_value(spec, raw.get("default", spec.default))
        except ValueError as error:
            problems.append(Problem(
                f"parameter `{name}`: default {error}",
                document.span(("parameters", name, "default")), "parameter",
            ))
    return values


Where = Callable[[str, bool], Span]
"""The span of an override: ``where(name, key)``, the key's or the value's."""


def _read_overrides(
    overrides: Mapping[str, Any] | str | Path, problems: list[Problem], limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, Any], str, Where | None]:
    if isinstance(overrides, Mapping):
        return dict(overrides), "<overrides>", None
    document, read_problems = read_document(Path(overrides), limits)
    problems += read_problems
    if document is None:
        return {}, str(overrides), None
    data = document.data
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and set(data) == {"parameters"}:
        data, prefix = data["parameters"], ("parameters",)
    if not isinstance(data, dict):
        problems.append(Problem("expected a mapping `name: value`", document.span(()), "type"))
        return {}, str(overrides), None
    return data, str(overrides), lambda name, key: document.span(prefix + (name,), key=key)


def _apply_overrides(
    specs: Mapping[str, ParameterSpec],
    values: dict[str, ParamValue],
    overrides: Mapping[str, Any],
    origin: str,
    where: Where | None = None,
) -> tuple[dict[str, ParamValue], list[Problem]]:
    problems: list[Problem] = []
    result = dict(values)

    def span(name: str, key: bool) -> Span:
        return where(name, key) if where else Span(origin)

    for name, raw in overrides.items():
        if name not in specs:
            problems.append(Problem(
                f"unknown parameter `{name}`", span(name, True), "unknown-parameter",
                suggestion(name, list(specs)),
            ))
            continue
        try:
            result[name] = parameter_value(specs[name], raw)
        except ValueError as error:
            problems.append(Problem(f"parameter `{name}`: {error}", span(name, False), "parameter"))
    return result, problems
