"""The whole-pack checks over a pack's rules, and the order the rules run in.

Each check is a stage that returns its problems and never stops the others. The same reading of
which rules a rule depends on orders the rules into stages and finds the cycles that cannot be
ordered.
"""

from __future__ import annotations

import re
import typing
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

from ..domain.errors import Problem, Span
from ..domain.model import CORE_EVENT_TYPES, Event
from ..domain.money import to_decimal
from .documents import SUBJECT_FIELDS, Manifest, ParameterSpec, Rule, RuleKind
from .expr import attributes as formula_attributes
from .expr import names as formula_names
from .expr import parse_expr
from .loader import Document
from .validation import suggestion

if TYPE_CHECKING:  # the pack module builds on this one
    from .pack import ParamValue, RuleEntry

__all__ = [
    "Exclusive", "MAX_DEADLINE_DAYS", "condition_reads_self", "deadline_problems", "rule_dependencies",
    "rule_problems", "rule_stages",
]

_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


Exclusive = tuple[tuple[str, str], Document, int]
"""An `exclusive` pair, the document it is written in and its index there."""


def rule_problems(
    rules: list[RuleEntry], exclusive: Iterable[Exclusive], declared: Manifest
) -> list[Problem]:
    """The whole-pack stages over the rules of a pack (or of a composition); ``declared`` holds
    the attributes and event types in scope."""
    problems: list[Problem] = []
    for stage in _STAGES:
        problems += stage(rules)
    for declared_stage in _DECLARED_STAGES:
        problems += declared_stage(rules, declared)
    return problems + _exclusive_problems(exclusive, rules)


def _exclusive_problems(exclusive: Iterable[Exclusive], rules: list[RuleEntry]) -> list[Problem]:
    """Each side of an `exclusive` pair names a rule kind or a rule id of the pack."""
    known = {kind.value for kind in RuleKind} | {rule.id for rule, _, _ in rules}
    problems = []
    for pair, document, i in exclusive:
        for j, name in enumerate(pair):
            if name not in known:
                problems.append(Problem(
                    f"`exclusive` names `{name}`, which is neither a rule kind nor a rule id",
                    document.span(("exclusive", i, j)), "unknown-rule",
                    suggestion(name, known) or "use a kind such as `reprimand` or a rule id",
                ))
    return problems


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


def _score_fields(rules: list[RuleEntry], manifest: Manifest) -> list[Problem]:
    """Each score item's `field` is a number its events have (a misspelt `scor` would
    otherwise fail only when evaluating)."""
    problems = []
    for rule, document, index in rules:
        for j, item in enumerate(rule.score or ()):
            if item.field is None or item.events is None:
                continue
            numeric = _numeric_fields(item.events.type, manifest)
            if numeric is None:
                continue  # an unknown event type: reported by `_declared_names`
            named = [((), item.field)] if isinstance(item.field, str) else [
                ((kind.value,), name) for kind, name in item.field.items()
            ]
            for at, name in named:
                if name not in numeric:
                    path = ("rules", index, "score", j, "field", *at)
                    problems.append(Problem(
                        f"events of type `{item.events.type}` have no numeric field `{name}`",
                        document.span(path), "unknown-field",
                        suggestion(name, numeric) or f"fields: {', '.join(numeric) or '(none)'}", path,
                    ))
    return problems


def _numeric_fields(event_type: str, manifest: Manifest) -> list[str] | None:
    """The numeric fields of a core or pack-declared event type; None for an unknown type."""
    declared = manifest.event_types.get(event_type)
    if declared is not None:
        return [name for name, spec in declared.fields.items() if spec.type in ("money", "decimal", "integer")]
    for tagged in typing.get_args(typing.get_args(Event)[0]):
        model = typing.get_args(tagged)[0] if typing.get_origin(tagged) is typing.Annotated else tagged
        type_field = getattr(model, "model_fields", {}).get("type")
        if type_field is not None and type_field.default == event_type:
            return [name for name, info in model.model_fields.items() if info.annotation is Decimal]
    return None


MAX_DEADLINE_DAYS = 36_500
"""A new deadline at most a hundred years on: beyond that it is a typing mistake (and past the
calendar's end for a large enough number)."""


def deadline_problems(
    rules: Sequence[tuple[Rule, Document | None, int]], values: Mapping[str, ParamValue], origin: str = ""
) -> list[Problem]:
    """Every measure's `deadline_days`, with the parameter values in force, is a sane number of days."""
    problems = []
    for rule, document, index in rules:
        for j, measure in enumerate(rule.then):
            raw = measure.deadline_days
            if raw is None:
                continue
            match = _REF.match(raw) if isinstance(raw, str) else None
            value = values.get(match.group(1)) if match else raw
            try:
                days = to_decimal(value)
            except ValueError:
                continue  # a text parameter: the compiler says it must be a whole number
            if abs(days) > MAX_DEADLINE_DAYS:
                path = ("rules", index, "then", j, "deadline_days")
                problems.append(Problem(
                    f"rule `{rule.id}`: a deadline {value} days on is more than {MAX_DEADLINE_DAYS} days",
                    document.span(path) if document else Span(origin), "parameter", None, path,
                ))
    return problems


def _subject_fields(rules: list[RuleEntry], manifest: Manifest) -> list[Problem]:
    problems = []
    for rule, document, index in rules:
        if not rule.subjects:
            problems.append(Problem(f"rule `{rule.id}` names no subject", document.span(("rules", index, "subject")),
                                    "type", "write `member`, `unit` or `community`"))
            continue
        allowed = set.intersection(*(set(SUBJECT_FIELDS[s]) | set(manifest.attributes.get(s, {}))
                                     for s in rule.subjects))
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


def rule_dependencies(rules: Sequence[Rule]) -> dict[str, list[str]]:
    """For each rule, the rules whose outcomes it reads: those named by its ``outcome`` tests
    (or all rules of the kind named), the rating rules when it reads a rating, and every
    reprimand rule when it is ``unless: reprimanded``."""
    ids = [rule.id for rule in rules]
    by_kind: dict[RuleKind, list[str]] = {}
    for rule in rules:
        by_kind.setdefault(rule.kind, []).append(rule.id)
    raters = [rule.id for rule in rules if rule.rating]
    result: dict[str, list[str]] = {}
    for rule in rules:
        needs: list[str] = []
        conditions = list(rule.when.walk()) if rule.when else []
        for item in rule.score or ():
            for measure in (item.periods,):
                if measure is not None:
                    conditions += list(measure.of.walk())
        for condition in conditions:
            if condition.outcome is not None:
                test = condition.outcome
                needs += [r for r in test.rules if r in ids] if test.rule is not None else by_kind.get(test.kind, [])  # type: ignore[arg-type]
            if condition.rating is not None and not rule.rating:
                needs += raters
        if rule.kind.is_money and not rule.rating:
            needs += raters  # money facts carry the tier (rating-linked amounts read it)
        if rule.unless == "reprimanded":
            needs += by_kind.get(RuleKind.REPRIMAND, [])
        result[rule.id] = list(dict.fromkeys(n for n in needs if n != rule.id or condition_reads_self(rule)))
    return result


def condition_reads_self(rule: Rule) -> bool:
    """A rule that reads its own outcomes of an earlier year does not depend on itself now."""
    return any(c.outcome is not None and rule.id in c.outcome.rules and c.outcome.offset == 0
               for c in (rule.when.walk() if rule.when else ()))


def rule_stages(rules: Sequence[Rule]) -> dict[str, int]:
    """Each rule's stage: 1 for rules that read no outcome, else one more than the latest stage
    of the rules it reads (rules in a cycle get no stage; :func:`_cycles` reports them)."""
    needs = rule_dependencies(rules)
    stages: dict[str, int] = {}

    def stage(rule_id: str, path: tuple[str, ...]) -> int:
        if rule_id in stages:
            return stages[rule_id]
        if rule_id in path:
            return 1
        value = 1 + max((stage(n, path + (rule_id,)) for n in needs.get(rule_id, ()) if n not in path + (rule_id,)),
                        default=0)
        stages[rule_id] = value
        return value

    for rule in rules:
        stage(rule.id, ())
    return stages


def _cycles(rules: list[RuleEntry]) -> list[Problem]:
    """Rules that read each other's outcomes, in a circle, cannot be ordered: each rule in a
    cycle is reported at its own position, with the whole cycle."""
    needs = rule_dependencies([rule for rule, _, _ in rules])
    where = {rule.id: document.span(("rules", index)) for rule, document, index in rules}
    problems: list[Problem] = []
    reported: set[frozenset[str]] = set()

    def visit(rule_id: str, path: list[str]) -> None:
        for other in needs.get(rule_id, ()):
            if other in path:
                cycle = path[path.index(other):]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    shown = " → ".join(cycle + [other])
                    for member in cycle:
                        problems.append(Problem(
                            f"rule `{member}` is in a cycle of rules that read each other's outcomes: {shown}",
                            where.get(member), "cycle",
                            "a rule may read outcomes only of rules that do not read it back",
                        ))
            elif len(path) < 64:
                visit(other, path + [other])

    for rule, _, _ in rules:
        visit(rule.id, [rule.id])
    return problems


def _declared_names(rules: list[RuleEntry], manifest: Manifest) -> list[Problem]:
    """Attributes, event types and event fields a rule names must be declared (by the core
    model or the pack), and rules that `outcome` tests name must exist."""
    problems: list[Problem] = []
    ids = [rule.id for rule, _, _ in rules]
    event_types = set(CORE_EVENT_TYPES) | set(manifest.event_types)
    for rule, document, index in rules:
        attributes = set.intersection(*(set(SUBJECT_FIELDS[s]) | set(manifest.attributes.get(s, {}))
                                        for s in rule.subjects)) if rule.subjects else set()
        raw = document.data["rules"][index] if isinstance(document.data, dict) else {}
        for path, value in _walk(raw, ("rules", index)):
            key = path[-1] if path else None
            parent = path[-2] if len(path) > 1 else None
            if key == "type" and parent == "events" and value not in event_types:
                problems.append(Problem(f"unknown event type `{value}` in rule `{rule.id}`", document.span(path),
                                        "unknown-event-type", suggestion(str(value), sorted(event_types)), path))
            elif key == "name" and parent == "attribute" and value not in attributes:
                problems.append(Problem(f"unknown attribute `{value}` in rule `{rule.id}`", document.span(path),
                                        "unknown-attribute", suggestion(str(value), sorted(attributes))
                                        or "declare it under `attributes:` in pack.yaml", path))
            elif parent == "outcome" and key == "rule" or (len(path) > 2 and path[-3] == "outcome" and parent == "rule"):
                if value not in ids:
                    problems.append(Problem(f"`outcome` names rule `{value}`, which is not in the pack",
                                            document.span(path), "unknown-rule", suggestion(str(value), ids), path))
        if rule.amount is not None:
            try:
                expr = parse_expr(rule.amount)
            except ValueError:
                continue
            for attr in formula_attributes(expr):
                if attr.name not in attributes:
                    path = ("rules", index, "amount")
                    problems.append(Problem(f"unknown attribute `{attr.name}` in the formula of rule `{rule.id}`",
                                            document.span(path), "unknown-attribute",
                                            suggestion(attr.name, sorted(attributes)), path))
    return problems


_DECLARED_STAGES: tuple[Callable[[list[RuleEntry], Manifest], list[Problem]], ...] = (
    _subject_fields,
    _declared_names,
    _score_fields,
)


_STAGES: tuple[Callable[[list[RuleEntry]], list[Problem]], ...] = (
    _duplicate_ids,
    _rating_rules,
    _rating_dependencies,
    _cycles,
)
