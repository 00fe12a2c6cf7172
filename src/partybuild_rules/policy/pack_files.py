"""Reading one pack's own files: its manifest, its rule files, its parameter values and the
overrides given to them.

Each reader adds what it finds wrong to a list of problems and goes on, so that one run names
every problem; composing packs (``compose.py``) builds on these readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from pydantic import ValidationError

from ..domain.errors import Problem, Span
from ..domain.money import FEN, to_decimal
from .dated import Dated, dated_values
from .documents import Manifest, ParameterSpec, RuleFile
from .limits import DEFAULT_LIMITS, Limits
from .loader import Document, read_document
from .validation import suggestion, validation_problems
from .pack import (
    BandRow,
    BandTable,
    InForce,
    LookupTable,
    Origin,
    Pack,
    ParamValue,
    RuleEntry,
)
from .pack_checks import Exclusive, _reference_problems

__all__ = [
    "PackFiles", "apply_overrides_from", "declared_values", "exclusive_spans", "parameter_value",
    "read_manifest", "read_rules", "table_problems", "table_value",
]

_WHOLE = re.compile(r"^[-+]?[0-9]{1,18}$")


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
    if manifest_path is not path and path.is_file():  # a dataset or an overrides file given as a pack
        problems.append(Problem(f"`{path}` is a file, not a pack folder", Span(str(path)), "io",
                                "give the folder that holds pack.yaml, or pack.yaml itself"))
        return None
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
