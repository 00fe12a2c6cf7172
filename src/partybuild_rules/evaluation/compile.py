"""Policies to engine programs, as plain data, in named stages. No durable-rules import here.

A compiled program has *queries* (what facts to derive, per rule and subject kind) and *engine
rules* (durable-rules conditions over those facts, with the pack's parameter values as constants).
Stage 1 gives annual ratings; stage 2 runs rules that may read them; stage 3 runs rules that read
the reprimands of stage 2 (``unless: reprimanded``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..domain.errors import PolicyError, Problem
from ..domain.model import SubjectKind
from ..domain.money import to_decimal
from ..domain.periods import Granularity
from ..policy.conditions import Condition, EventFilter, GeneralStreak
from ..policy.documents import Rule, RuleKind, ScoreItem
from ..policy.pack_checks import rule_stages
from .measures import Leaf, engine_condition, leaves_of
from ..policy.expr import names as formula_names
from ..policy.expr import parse_expr
from ..policy.pack import Pack, ParamValue
from .allocation import allocation_problems

OPEN_QUERY = "$open"
"""Every engine session starts with one fact of this query, matched by a no-op rule in every
ruleset: durable-rules crashes deleting a session whose facts were all unmatched."""

__all__ = ["OPEN_QUERY", "Program", "Query", "EngineRule", "compile_pack", "MAX_RULES_PER_RULESET", "MAX_RULES_PER_FACT"]

MAX_RULES_PER_RULESET = 256
"""durable-rules fails at 512 rules in one ruleset (and hangs past it): split well below that."""
MAX_RULES_PER_FACT = 64
"""durable-rules fails when more than 64 rules match one fact."""

_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Query:
    """Facts to derive for one rule and one subject kind."""

    qid: str
    rule: Rule
    subject: SubjectKind
    stage: int
    kind: str
    filter: Mapping[str, Any] = field(default_factory=dict)
    per: Granularity | None = None
    threshold: int | None = None
    offsets: tuple[int, ...] = ()
    role: str | None = None
    items: tuple[tuple[str, Mapping[str, Any], str, Decimal], ...] = ()
    subject_fields: tuple[str, ...] = ()
    needs_tier: bool = False
    needs_reprimanded: bool = False
    condition: Condition | None = None
    """For ``tree`` and ``streak`` queries: the rule's condition (or a streak's siblings)."""
    leaves: tuple[Leaf, ...] = ()
    streak: GeneralStreak | None = None
    score_items: tuple[ScoreItem, ...] = ()


@dataclass(frozen=True)
class EngineRule:
    """One durable-rules rule: named patterns over facts; ``variant`` is a tier name for scores."""

    name: str
    qid: str
    rule_id: str
    variant: str
    patterns: tuple[tuple[str, dict[str, Any]], ...]


@dataclass(frozen=True)
class Program:
    """A pack compiled for the engine; build once, evaluate many times."""

    pack: Pack
    queries: tuple[Query, ...]
    engine_rules: tuple[EngineRule, ...]
    rulesets: tuple[tuple[EngineRule, ...], ...]
    route: Mapping[str, int]
    parameters_used: Mapping[str, Mapping[str, str]]



def compile_pack(pack: Pack) -> Program:
    """Compile every rule of ``pack``; raise :class:`PolicyError` on what the engine cannot run."""
    problems: list[Problem] = []
    queries: list[Query] = []
    engine_rules: list[EngineRule] = []
    for rule in pack.rules:
        if rule.kind is RuleKind.ALLOCATION:  # proposed by allocation.py, not matched by the engine
            problems += allocation_problems(pack, rule)
            continue
        for subject in rule.subjects:
            try:
                query = _query(pack, rule, subject)
                queries.append(query)
                engine_rules += _engine_rules(pack, query)
            except ValueError as error:
                problems.append(Problem(f"rule `{rule.id}`: {error}", pack.spans.get(rule.id), "compile"))
    rulesets, route = _split(engine_rules, pack, problems)
    if problems:
        raise PolicyError(problems)
    return Program(
        pack=pack,
        queries=tuple(queries),
        engine_rules=tuple(engine_rules),
        rulesets=rulesets,
        route=route,
        parameters_used={rule.id: parameters_of(pack, rule) for rule in pack.rules},
    )


# ---------------------------------------------------------------------------------------------
# stage: values


def resolve(pack: Pack, value: int | str) -> ParamValue:
    """A literal or the current value of a ``$parameter``."""
    if isinstance(value, str):
        match = _REF.match(value)
        if match:
            return pack.values[match.group(1)]
        return to_decimal(value)
    return value


def _integer(pack: Pack, value: int | str, what: str) -> int:
    resolved = resolve(pack, value)
    if not isinstance(resolved, (int, Decimal)) or int(resolved) != resolved:
        raise ValueError(f"{what} must be a whole number, got `{resolved}`")
    return int(resolved)


def _hundredths(pack: Pack, value: int | str) -> int:
    resolved = to_decimal(resolve(pack, value))
    scaled = resolved * 100
    if scaled != scaled.to_integral_value():
        raise ValueError(f"a tier bound is exact to 0.01 points, got `{resolved}`")
    return int(scaled)


def parameters_of(pack: Pack, rule: Rule) -> dict[str, str]:
    """The parameters a rule refers to, with their values, in order of first use."""
    found: list[str] = []

    def visit(node: Any, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                visit(v, str(k))
        elif isinstance(node, (list, tuple)):
            for v in node:
                visit(v, key)
        elif isinstance(node, str):
            refs = [n.name for n in formula_names(parse_expr(node))] if key == "amount" else (
                [m.group(1)] if (m := _REF.match(node)) else []
            )
            found.extend(r for r in refs if r not in found)

    visit(rule.model_dump(mode="json", by_alias=True))
    return {name: str(pack.values[name]) for name in found if name in pack.values}


# ---------------------------------------------------------------------------------------------
# stage: queries


def _stage(pack: Pack, rule: Rule) -> int:
    """The rule's place in the order of evaluation: after every rule whose outcomes it reads."""
    stages: dict[str, int] = pack._cache.setdefault("stages", rule_stages(pack.rules))
    return stages[rule.id]


def _filter(model: Any) -> dict[str, Any]:
    """An event or activity filter as plain field tests."""
    if isinstance(model, EventFilter):
        return model.tests()
    return {k: (v.value if hasattr(v, "value") else v) for k, v in model.model_dump().items() if v is not None}


def _query(pack: Pack, rule: Rule, subject: SubjectKind) -> Query:
    fields = tuple(sorted(set(rule.applies_if) | {k for m in rule.then for k in (m.if_ or {})}))
    common: dict[str, Any] = dict(
        qid=f"{rule.id}#{subject.value}", rule=rule, subject=subject, stage=_stage(pack, rule),
        subject_fields=fields, needs_tier=rule.amount_by_tier is not None,
        needs_reprimanded=rule.unless == "reprimanded",
    )
    if rule.kind is RuleKind.EVALUATION:
        items = tuple(
            (
                item.title,
                _filter(item.events) if item.events is not None else {},
                (item.field if isinstance(item.field, str) else (item.field or {}).get(subject, ""))
                if item.measure == "mean" else "",
                to_decimal(resolve(pack, item.weight)) * (-1 if item.subtract else 1),
            )
            for item in rule.score or ()
        )
        for item, (title, _, name, _) in zip(rule.score or (), items):
            if item.measure == "mean" and not name:
                raise ValueError(f"score item `{title}` names no field for a {subject.value}")
        return Query(kind="score", items=items, score_items=tuple(rule.score or ()), **common)
    condition = rule.when
    if condition is None:
        if rule.per is None:
            raise ValueError("a rule without `when` needs `per`")
        return Query(kind="each", per=rule.per, **common)
    if not _classic(condition):
        return _composed(pack, rule, condition, common)
    key = condition.key
    if key == "absence_streak":
        streak = condition.absence_streak
        assert streak is not None
        if subject is not SubjectKind.MEMBER:
            raise ValueError("`absence_streak` applies to members")
        threshold = _integer(pack, streak.reaches, "`reaches`")
        if threshold < 1:
            raise ValueError("`reaches` must be at least 1")
        return Query(kind="streak", filter={"type": "activity", **_filter(streak.activity)},
                     threshold=threshold, **common)
    if key == "count":
        count = condition.count
        assert count is not None
        bound = count.less_than if count.less_than is not None else count.at_least
        assert bound is not None
        return Query(kind="count", filter=_filter(count.events), per=count.per,
                     threshold=_integer(pack, bound, "a count bound"), **common)
    if key in ("rating", "all"):
        parts = condition.all or (condition,)
        offsets = tuple(p.rating.offset for p in parts if p.rating is not None)
        if subject is SubjectKind.MEMBER:
            raise ValueError("members have no annual rating")
        return Query(kind="rating", offsets=offsets, per=rule.per, **common)
    if key == "overdue_finding":
        if subject is SubjectKind.MEMBER:
            raise ValueError("inspection findings concern units and communities")
        return Query(kind="finding", **common)
    if key == "holds_role":
        if subject is not SubjectKind.MEMBER or rule.per is not Granularity.MONTH:
            raise ValueError("`holds_role` is for members, paid `per: month`")
        role = condition.holds_role
        assert role is not None
        return Query(kind="role", role=role.value, per=Granularity.MONTH, **common)
    raise ValueError(f"unsupported condition `{key}`")  # pragma: no cover - the model forbids it


def _classic(condition: Condition) -> bool:
    """The shapes the first language had, compiled as before (so their outcomes and provenance
    stay exactly as they were); everything else is a composed condition."""
    key = condition.key
    if key in ("absence_streak", "rating", "overdue_finding", "holds_role"):
        return True
    if key == "count":
        count = condition.count
        assert count is not None
        return (count.per is not None and count.bound[0] in ("less_than", "at_least")
                and not count.events.where and count.events.dated_by == "date")
    return key == "all" and all(part.rating is not None for part in condition.parts)


def _composed(pack: Pack, rule: Rule, condition: Condition, common: dict[str, Any]) -> Query:
    parts = condition.all if condition.all is not None else (condition,)
    streaks = [part.streak for part in parts if part.streak is not None]
    if streaks:
        if len(streaks) > 1 or any(p.key in ("streak", "overdue_finding", "holds_role") for p in parts
                                   if p.streak is None):
            raise ValueError("a rule has at most one `streak`, beside measures of the subject")
        siblings = tuple(p for p in parts if p.streak is None)
        rest = Condition(all=siblings) if siblings else None
        streak = streaks[0]
        threshold = _integer(pack, streak.reaches, "`reaches`")
        if threshold < 1:
            raise ValueError("`reaches` must be at least 1")
        return Query(kind="streak2", condition=rest, leaves=tuple(leaves_of(rest)) if rest else (),
                     streak=streak, threshold=threshold, per=streak.period, **common)
    if any(c.key in ("absence_streak", "overdue_finding", "holds_role") for c in condition.walk()):
        raise ValueError("`absence_streak`, `overdue_finding` and `holds_role` stand alone in `when`")
    pers = {m.per for c in condition.walk() for m in (c.count, c.sum) if m is not None and m.per is not None}
    per = rule.per or (pers.pop() if len(pers) == 1 else None) or Granularity.YEAR
    if any(p is not per for p in pers):
        raise ValueError(f"the measures of one rule count per the rule's period (`{per.value}`)")
    return Query(kind="tree", condition=condition, leaves=tuple(leaves_of(condition)), per=per, **common)


# ---------------------------------------------------------------------------------------------
# stage: engine conditions


def _subject_tests(query: Query) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for name, wanted in query.rule.applies_if.items():
        if isinstance(wanted, tuple):
            tests.append({"$or": [{f"s_{name}": _json(v)} for v in wanted]})
        else:
            tests.append({f"s_{name}": _json(wanted)})
    if query.needs_reprimanded:
        tests.append({"reprimanded": 0})
    if query.needs_tier:
        tests.append({"$or": [{"tier": tier} for tier in query.rule.amount_by_tier or {}]})
    return tests


def _json(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _all(tests: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$and": tests} if len(tests) > 1 else tests[0]


def _engine_rules(pack: Pack, query: Query) -> list[EngineRule]:
    base = [{"q": query.qid}] + _subject_tests(query)
    rule = query.rule

    def one(tests: list[dict[str, Any]], variant: str = "") -> EngineRule:
        name = f"{query.qid}|{variant}" if variant else query.qid
        return EngineRule(name, query.qid, rule.id, variant, (("m", _all(base + tests)),))

    def composed(extra: list[dict[str, Any]]) -> list[EngineRule]:
        leaves = {id(leaf.condition): leaf for leaf in query.leaves}
        tests = list(extra)
        if query.condition is not None:
            tests.append(engine_condition(pack, query.condition, leaves))
        return [one(tests)]

    builders: dict[str, Callable[[], list[EngineRule]]] = {
        "tree": lambda: composed([]),
        "streak2": lambda: composed([{"$gte": {"length": query.threshold}}, {"in_year": 1}]),
        "streak": lambda: [one([{"$gte": {"length": query.threshold}}, {"in_year": 1}])],
        "count": lambda: [one([
            {"$lt": {"count": query.threshold}} if rule.when and rule.when.count
            and rule.when.count.less_than is not None else {"$gte": {"count": query.threshold}}
        ])],
        "finding": lambda: [one([{"overdue": 1}, {"in_year": 1}])],
        "role": lambda: [one([])],
        "each": lambda: [one([])],
        "score": lambda: _tier_rules(pack, query, base),
        "rating": lambda: [_rating_rule(query, base)],
    }
    return builders[query.kind]()


def _tier_rules(pack: Pack, query: Query, base: list[dict[str, Any]]) -> list[EngineRule]:
    result = []
    for tier in query.rule.tiers or ():
        high: list[dict[str, Any]] = []
        if tier.below is not None:
            high = [{"$lt": {"score_x100": _hundredths(pack, tier.below)}}]
        elif tier.max is not None:
            high = [{"$lte": {"score_x100": _hundredths(pack, tier.max)}}]
        low = [] if tier.min is None else [{"$gte": {"score_x100": _hundredths(pack, tier.min)}}]
        tests = base + [{"complete": 1}, *low, *high]
        result.append(EngineRule(
            f"{query.qid}|{tier.tier}", query.qid, query.rule.id, tier.tier, (("m", _all(tests)),)
        ))
    return result


def _rating_rule(query: Query, base: list[dict[str, Any]]) -> EngineRule:
    condition = query.rule.when
    assert condition is not None
    parts = condition.all or (condition,)
    patterns: list[tuple[str, dict[str, Any]]] = []
    for k, part in enumerate(parts):
        assert part.rating is not None
        tests: list[dict[str, Any]] = ([dict(t) for t in base] if k == 0 else [{"q": query.qid}])
        tests.append({"rel": part.rating.offset})
        if part.rating.tier is not None:
            tests.append({"tier": part.rating.tier})
        if k > 0:
            tests.append({"s": {"p0": "s"}})
        patterns.append((f"p{k}", _all(tests)))
    return EngineRule(query.qid, query.qid, query.rule.id, "", tuple(patterns))


# ---------------------------------------------------------------------------------------------
# stage: engine limits


def _split(
    engine_rules: list[EngineRule], pack: Pack, problems: list[Problem]
) -> tuple[tuple[tuple[EngineRule, ...], ...], dict[str, int]]:
    """Group rules by query (all rules reading one query's facts stay together) into rulesets
    small enough for durable-rules."""
    by_query: dict[str, list[EngineRule]] = {}
    for engine_rule in engine_rules:
        by_query.setdefault(engine_rule.qid, []).append(engine_rule)
    rulesets: list[list[EngineRule]] = [[]]
    route: dict[str, int] = {}
    for qid, group in by_query.items():
        if len(group) > MAX_RULES_PER_FACT:
            rule_id = group[0].rule_id
            problems.append(Problem(
                f"rule `{rule_id}` compiles to {len(group)} engine rules on one fact; the engine "
                f"allows at most {MAX_RULES_PER_FACT}", pack.spans.get(rule_id), "engine-limit",
                "use fewer tiers",
            ))
            continue
        if len(rulesets[-1]) + len(group) > MAX_RULES_PER_RULESET:
            rulesets.append([])
        rulesets[-1].extend(group)
        route[qid] = len(rulesets) - 1
    return tuple(tuple(r) for r in rulesets if r), route
