"""Composable conditions: the measures a condition reads (leaves) and its boolean structure.

A condition tree (``all`` / ``any`` / ``not`` over counts, sums, attribute tests, ratings and
outcomes of other rules) is split in two. Its **leaves** are measured in plain Python per
subject and period (aggregates: durable-rules has none) and become fields of one fact
(``m0``, ``m1``, …, with ``k<i>`` saying whether an attribute is recorded). Its **structure**
becomes an engine condition over those fields. Numbers travel as whole hundredths so that the
engine compares integers exactly. ``not`` is pushed down to the leaves: a leaf on a value that is
not recorded is false, and so is its negation (``recorded: false`` tests for the missing value).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Mapping

from ..domain.money import to_decimal
from ..policy.conditions import BOUND_NAMES, AttributeTest, Condition, OutcomeTest
from ..policy.pack import Pack, ParamValue

__all__ = ["Leaf", "leaves_of", "engine_condition", "holds", "scaled", "bound_value"]

_FLIP = {"at_least": "less_than", "less_than": "at_least", "at_most": "more_than", "more_than": "at_most"}
_OPS = {"at_least": "$gte", "at_most": "$lte", "less_than": "$lt", "more_than": "$gt"}


@dataclass(frozen=True)
class Leaf:
    """One measure of a condition tree: its field in the fact and the condition it came from."""

    field: str
    condition: Condition

    @property
    def known_field(self) -> str:
        return "k" + self.field[1:]

    @property
    def key(self) -> str:
        return self.condition.key


def leaves_of(condition: Condition, start: int = 0) -> list[Leaf]:
    """The measures of a tree, depth first, numbered from ``start``."""
    found: list[Leaf] = []

    def visit(node: Condition) -> None:
        if node.parts:
            for part in node.parts:
                visit(part)
        else:
            found.append(Leaf(f"m{start + len(found)}", node))

    visit(condition)
    return found


def scaled(value: Any) -> int:
    """A number as whole hundredths, exact (``12.5`` → ``1250``); the engine compares integers."""
    return int(to_decimal(value) * 100)


def bound_value(pack: Pack, value: Any) -> Decimal:
    """A bound's number: a literal or a ``$parameter``."""
    from .compile import resolve

    resolved: ParamValue = resolve(pack, value)
    return to_decimal(resolved)


# ---------------------------------------------------------------------------------------------
# engine conditions


def engine_condition(pack: Pack, condition: Condition, leaves: Mapping[int, Leaf], negate: bool = False) -> dict[str, Any]:
    """The durable-rules condition of a tree over the fields of its leaves (keyed by ``id`` of
    their condition)."""
    if condition.all is not None or condition.any is not None:
        conjunctive = (condition.all is not None) != negate
        parts = [engine_condition(pack, p, leaves, negate) for p in condition.parts]
        return parts[0] if len(parts) == 1 else {"$and" if conjunctive else "$or": parts}
    if condition.not_ is not None:
        return engine_condition(pack, condition.not_, leaves, not negate)
    leaf = leaves[id(condition)]
    if condition.attribute is not None:
        return _attribute_condition(pack, leaf, condition.attribute, negate)
    if condition.rating is not None:
        tier = condition.rating.tier
        if tier is None:
            return {leaf.field: ""} if negate else {"$ne": {leaf.field: ""}}
        test = {"$ne": {leaf.field: tier}} if negate else {leaf.field: tier}
        return {"$and": [{"$ne": {leaf.field: ""}}, test]} if negate else test
    return _bound_condition(pack, leaf.field, _bound(condition), negate, whole=leaf.key != "sum")


def _bound(condition: Condition) -> tuple[str, Any]:
    if condition.count is not None:
        return condition.count.bound
    if condition.sum is not None:
        return condition.sum.bound
    assert condition.outcome is not None
    return condition.outcome.bound


def _bound_condition(pack: Pack, field: str, bound: tuple[str, Any], negate: bool, whole: bool) -> dict[str, Any]:
    name, value = bound

    def at(v: Any) -> int:
        exact = bound_value(pack, v)
        if not whole:
            return scaled(exact)
        if exact != exact.to_integral_value():
            raise ValueError(f"a count is compared with a whole number, got `{exact}`")
        return int(exact)

    if name == "between":
        low, high = at(value[0]), at(value[1])
        if negate:
            return {"$or": [{"$lt": {field: low}}, {"$gt": {field: high}}]}
        return {"$and": [{"$gte": {field: low}}, {"$lte": {field: high}}]}
    op = _FLIP[name] if negate else name
    return {_OPS[op]: {field: at(value)}}


def _attribute_condition(pack: Pack, leaf: Leaf, test: AttributeTest, negate: bool) -> dict[str, Any]:
    name, value = test.test
    known = {leaf.known_field: 1}
    if name == "recorded":
        return {leaf.known_field: int(bool(value) != negate)}
    if name == "equals":
        wanted = int(value) if isinstance(value, bool) else value
        inner: dict[str, Any] = {"$ne": {leaf.field: wanted}} if negate else {leaf.field: wanted}
    elif name == "one_of":
        choices = [{leaf.field: v} for v in value]
        inner = ({"$and": [{"$ne": {leaf.field: v}} for v in value]} if negate
                 else (choices[0] if len(choices) == 1 else {"$or": choices}))
    else:
        inner = _bound_condition(pack, leaf.field, (name, value), negate, whole=False)
    return {"$and": [known, inner]}


# ---------------------------------------------------------------------------------------------
# the same semantics in Python (streaks and score items read conditions per period)


def holds(pack: Pack, condition: Condition, value_of: Callable[[Condition], tuple[bool, Any]]) -> bool:
    """Whether a tree holds, given each leaf's ``(recorded, value)`` in engine form; the same
    semantics as :func:`engine_condition`."""
    return _holds(pack, condition, value_of, False)


def _holds(pack: Pack, condition: Condition, value_of: Callable[[Condition], tuple[bool, Any]], negate: bool) -> bool:
    if condition.all is not None or condition.any is not None:
        results = [_holds(pack, p, value_of, negate) for p in condition.parts]
        return all(results) if (condition.all is not None) != negate else any(results)
    if condition.not_ is not None:
        return _holds(pack, condition.not_, value_of, not negate)
    known, value = value_of(condition)
    if condition.attribute is not None:
        name, wanted = condition.attribute.test
        if name == "recorded":
            return known == (bool(wanted) != negate)
        if not known:
            return False
        if name == "equals":
            return bool(value == (int(wanted) if isinstance(wanted, bool) else wanted)) != negate
        if name == "one_of":
            return bool(value in wanted) != negate
        return _compare(pack, value, (name, wanted), negate, whole=False)
    if condition.rating is not None:
        if value == "":
            return False
        tier = condition.rating.tier
        return tier is None or ((value == tier) != negate)
    return _compare(pack, value, _bound(condition), negate, whole=condition.key != "sum")


def _compare(pack: Pack, value: int, bound: tuple[str, Any], negate: bool, whole: bool) -> bool:
    name, limit = bound

    def at(v: Any) -> Decimal:
        exact = bound_value(pack, v)
        return exact if whole else Decimal(scaled(exact))

    if name == "between":
        inside = at(limit[0]) <= value <= at(limit[1])
        return inside != negate
    op = _FLIP[name] if negate else name
    target = at(limit)
    results: dict[str, bool] = {"at_least": value >= target, "at_most": value <= target,
                                "less_than": value < target, "more_than": value > target}
    return results[op]


def outcome_matches(test: OutcomeTest, outcome: Any) -> bool:
    """Whether one outcome counts for an ``outcome`` test (by rule or kind, tier, score)."""
    if test.rule is not None and outcome.rule_id not in test.rules:
        return False
    if test.kind is not None and outcome.kind != test.kind.value:
        return False
    if test.tier is not None and getattr(outcome, "tier", None) != test.tier:
        return False
    return True


assert set(_OPS) | {"between"} == set(BOUND_NAMES)
