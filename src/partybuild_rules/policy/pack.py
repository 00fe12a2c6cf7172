"""Loading and validating a policy pack: a folder with ``pack.yaml`` and rule files.

Validation is a list of named stages over the whole pack; every stage runs, every problem is
collected, and nothing is evaluated. A pack that loads is ready to compile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping, Union

from pydantic import ValidationError

from ..domain.errors import PolicyError, Problem, Span
from ..domain.money import FEN, to_decimal
from .documents import SUBJECT_FIELDS, Manifest, ParameterSpec, Rule, RuleFile, RuleKind
from .expr import names as formula_names
from .expr import parse_expr
from .loader import Document, read_document, suggestion, validation_problems

__all__ = ["Pack", "load_pack", "ParamValue"]

ParamValue = Union[int, Decimal, str]
_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Pack:
    """A validated policy pack with its parameter values resolved (defaults, then overrides)."""

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

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def with_overrides(self, overrides: Mapping[str, Any], origin: str = "<overrides>") -> Pack:
        """A copy with some parameters changed; the pack's files are not touched."""
        values, problems = _apply_overrides(self.parameters, dict(self.values), overrides, origin)
        if problems:
            raise PolicyError(problems)
        merged = {**self.overrides, **{k: values[k] for k in overrides}}
        return Pack(
            self.name, self.title, self.version, self.effective_from, self.effective_until,
            self.source, self.path, self.parameters, MappingProxyType(values), self.rules,
            self.spans, MappingProxyType(merged), self.exclusive, self.test_files,
        )


def load_pack(path: str | Path, overrides: Mapping[str, Any] | str | Path | None = None) -> Pack:
    """Load the pack in folder ``path`` (or its ``pack.yaml``); raise :class:`PolicyError` listing
    every problem. ``overrides`` is a mapping of parameter values or a YAML file of them."""
    folder = Path(path)
    manifest_path = folder if folder.suffix in (".yaml", ".yml") else folder / "pack.yaml"
    folder = manifest_path.parent
    problems: list[Problem] = []
    document, read_problems = read_document(manifest_path)
    problems += read_problems
    if document is None:
        raise PolicyError(problems)
    manifest = _validate(document, Manifest, problems)
    if manifest is None:
        raise PolicyError(problems)
    values = _parameter_values(manifest, document, problems)
    rules: list[tuple[Rule, Document, int]] = []
    for index, name in enumerate(manifest.rule_files):
        rule_path = folder / name
        rule_document, read_problems = read_document(rule_path)
        if read_problems and any(p.code == "io" for p in read_problems):
            problems.append(Problem(
                f"rule file `{name}` not found", document.span(("rule_files", index)), "io",
                f"the file should be at `{rule_path}`",
            ))
            continue
        problems += read_problems
        if rule_document is None:
            continue
        rule_file = _validate(rule_document, RuleFile, problems)
        raw_rules = rule_document.data.get("rules", []) if isinstance(rule_document.data, dict) else []
        if rule_file is not None:
            rules += [(rule, rule_document, i) for i, rule in enumerate(rule_file.rules)]
        problems += _reference_problems(rule_document, raw_rules, manifest.parameters)
    for stage in _STAGES:
        problems += stage(rules)
    problems += _exclusive_problems(manifest, document, rules)
    if overrides is not None and not problems:
        override_map, origin, where = _read_overrides(overrides, problems)
        values, more = _apply_overrides(manifest.parameters, values, override_map, origin, where)
        problems += more
    else:
        override_map = {}
    if problems:
        raise PolicyError(problems)
    return Pack(
        name=manifest.pack,
        title=manifest.title,
        version=manifest.version,
        effective_from=manifest.effective.from_,
        effective_until=manifest.effective.until,
        source=manifest.source,
        path=folder,
        parameters=MappingProxyType(dict(manifest.parameters)),
        values=MappingProxyType(values),
        rules=tuple(rule for rule, _, _ in rules),
        spans=MappingProxyType({rule.id: doc.span(("rules", i)) for rule, doc, i in rules}),
        overrides=MappingProxyType({k: values[k] for k in override_map}),
        exclusive=manifest.exclusive,
        test_files=tuple(folder / name for name in manifest.tests),
    )


def _exclusive_problems(manifest: Manifest, document: Document, rules: list[RuleEntry]) -> list[Problem]:
    """Each side of an `exclusive` pair names a rule kind or a rule id of the pack."""
    known = {kind.value for kind in RuleKind} | {rule.id for rule, _, _ in rules}
    problems = []
    for i, pair in enumerate(manifest.exclusive):
        for j, name in enumerate(pair):
            if name not in known:
                problems.append(Problem(
                    f"`exclusive` names `{name}`, which is neither a rule kind nor a rule id",
                    document.span(("exclusive", i, j)), "unknown-rule",
                    suggestion(name, known) or "use a kind such as `reprimand` or a rule id",
                ))
    return problems


def _validate(document: Document, model: Any, problems: list[Problem]) -> Any:
    if not isinstance(document.data, dict):
        problems.append(Problem(
            "expected a mapping of fields at the top of the file", document.span(()), "type"
        ))
        return None
    try:
        return model.model_validate(document.data)
    except ValidationError as error:
        problems += validation_problems(error, document, model)
        return None


# ---------------------------------------------------------------------------------------------
# parameters


def parameter_value(spec: ParameterSpec, raw: Any) -> ParamValue:
    """Read one parameter value as its declared type and check its range; raise ValueError."""
    value = _typed(spec, raw)
    if spec.allowed is not None and value not in [_typed(spec, a) for a in spec.allowed]:
        raise ValueError(f"`{raw}` is not one of {', '.join(str(a) for a in spec.allowed)}")
    if not isinstance(value, str):
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
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ValueError(f"expected a whole number, got `{raw}`") from None
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
    for name, spec in manifest.parameters.items():
        try:
            values[name] = parameter_value(spec, spec.default)
        except ValueError as error:
            problems.append(Problem(
                f"parameter `{name}`: default {error}",
                document.span(("parameters", name, "default")), "parameter",
            ))
    return values


Where = Callable[[str, bool], Span]
"""The span of an override: ``where(name, key)``, the key's or the value's."""


def _read_overrides(
    overrides: Mapping[str, Any] | str | Path, problems: list[Problem]
) -> tuple[dict[str, Any], str, Where | None]:
    if isinstance(overrides, Mapping):
        return dict(overrides), "<overrides>", None
    document, read_problems = read_document(Path(overrides))
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


# ---------------------------------------------------------------------------------------------
# whole-pack stages


def _walk(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, path + (index,))
    else:
        yield path, data


def _reference_problems(
    document: Document, raw_rules: Any, parameters: Mapping[str, ParameterSpec]
) -> list[Problem]:
    """Every ``$name`` (also inside formulas) must name a declared parameter."""
    problems: list[Problem] = []
    for path, value in _walk(raw_rules, ("rules",)):
        if not isinstance(value, str) or "$" not in value:
            continue
        if path[-1] == "amount":
            try:
                refs = [n.name for n in formula_names(parse_expr(value))]
            except ValueError:
                continue  # reported by the rule's own validation
        else:
            match = _REF.match(value)
            if not match:
                continue
            refs = [match.group(1)]
        for name in refs:
            if name not in parameters:
                hint = suggestion(name, list(parameters))
                problems.append(Problem(
                    f"unknown parameter `${name}`", document.span(path), "unknown-parameter",
                    hint or "declare it under `parameters:` in pack.yaml",
                    path,
                ))
    return problems


RuleEntry = tuple[Rule, Document, int]


def _duplicate_ids(rules: list[RuleEntry]) -> list[Problem]:
    seen: dict[str, Span] = {}
    problems = []
    for rule, document, index in rules:
        span = document.span(("rules", index, "id"))
        if rule.id in seen:
            problems.append(Problem(
                f"rule id `{rule.id}` is used twice (first at {seen[rule.id]})", span,
                "duplicate-rule", "give each rule its own id",
            ))
        else:
            seen[rule.id] = span
    return problems


def _subject_fields(rules: list[RuleEntry]) -> list[Problem]:
    problems = []
    for rule, document, index in rules:
        allowed = set.intersection(*(set(SUBJECT_FIELDS[s]) for s in rule.subjects))
        tests = [(("applies_if",), rule.applies_if)] + [
            (("then", j, "if"), measure.if_ or {}) for j, measure in enumerate(rule.then)
        ]
        for where, mapping in tests:
            for name, wanted in mapping.items():
                expected = SUBJECT_FIELDS[rule.subjects[0]].get(name)
                values = wanted if isinstance(wanted, tuple) else (wanted,)
                if expected is not None and not all(type(v) is expected for v in values):
                    path = ("rules", index) + where + (name,)
                    shown = "true or false" if expected is bool else "text"
                    problems.append(Problem(
                        f"subject field `{name}` in rule `{rule.id}` takes {shown}, got `{wanted}`",
                        document.span(path), "type",
                        "write `true` or `false`" if expected is bool else None, path,
                    ))
                    continue
                if name not in allowed:
                    path = ("rules", index) + where + (name,)
                    problems.append(Problem(
                        f"unknown subject field `{name}` for subject "
                        f"{'/'.join(s.value for s in rule.subjects)} in rule `{rule.id}`",
                        document.span(path, key=True), "unknown-subject-field",
                        suggestion(name, allowed) or f"fields: {', '.join(sorted(allowed))}", path,
                    ))
    return problems


def _rating_rules(rules: list[RuleEntry]) -> list[Problem]:
    """At most one rating rule per subject kind; tier names used elsewhere must exist."""
    problems = []
    givers: dict[str, str] = {}
    tiers: set[str] = set()
    for rule, document, index in rules:
        if rule.rating:
            tiers |= {t.tier for t in rule.tiers or ()}
            for subject in rule.subjects:
                if subject.value in givers:
                    problems.append(Problem(
                        f"two rules give the annual rating of a {subject.value}: "
                        f"`{givers[subject.value]}` and `{rule.id}`",
                        document.span(("rules", index, "rating")), "duplicate-rating",
                    ))
                givers[subject.value] = rule.id
    if not tiers:
        return problems
    for rule, document, index in rules:
        used: list[tuple[tuple[str | int, ...], str]] = []
        at: tuple[str | int, ...]
        conditions = [rule.when] if rule.when else []
        for n, condition in enumerate(conditions):
            parts = condition.all or (condition,)
            for k, part in enumerate(parts):
                if part.rating and part.rating.tier is not None:
                    at = ("when", "all", k, "rating", "tier") if condition.all else ("when", "rating", "tier")
                    used.append((at, part.rating.tier))
        for tier in rule.amount_by_tier or {}:
            used.append((("amount_by_tier", tier), tier))
        for at, tier in used:
            if tier not in tiers:
                path = ("rules", index) + at
                span = document.span(path, key=at[0] == "amount_by_tier")
                problems.append(Problem(
                    f"unknown tier `{tier}` in rule `{rule.id}`", span, "unknown-tier",
                    suggestion(tier, tiers) or f"tiers: {', '.join(sorted(tiers))}", path,
                ))
    return problems


def _rating_dependencies(rules: list[RuleEntry]) -> list[Problem]:
    problems = []
    for rule, document, index in rules:
        if rule.rating and (rule.amount_by_tier or (rule.when and _uses_rating(rule))):
            problems.append(Problem(
                f"rule `{rule.id}` gives the rating and also depends on it", document.span(("rules", index)),
                "cycle",
            ))
        if rule.kind is RuleKind.REPRIMAND and rule.unless == "reprimanded":
            problems.append(Problem(
                f"reprimand rule `{rule.id}` cannot depend on reprimands", document.span(("rules", index, "unless")),
                "cycle",
            ))
    return problems


def _uses_rating(rule: Rule) -> bool:
    condition = rule.when
    if condition is None:
        return False
    parts = condition.all or (condition,)
    return any(part.rating is not None for part in parts)


_STAGES: tuple[Callable[[list[RuleEntry]], list[Problem]], ...] = (
    _duplicate_ids,
    _subject_fields,
    _rating_rules,
    _rating_dependencies,
)
