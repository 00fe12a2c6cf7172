"""Which derived facts can take part in any firing: the others are near misses, kept only when
explaining.

Most facts match no rule (a member who was absent three months, a unit that reported every
month); asserting them costs engine time and changes nothing. Each engine rule's patterns are
read here as Python tests with exactly the meaning :mod:`.engines.base` gives them (a test on a
missing or ``None`` field fails, ``$ne`` included; numbers compare as numbers, text as text); a
reference to an earlier pattern's fact is taken as passing, since only the engine knows the
partner. A fact is kept when one pattern of one rule of its query may match it, and whenever a
test cannot be decided here (two kinds of value compared), so the filter only ever drops facts
that no rule can match: the engine fires the same rules on what is left.
"""

from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable, Mapping

from .compile import Program
from .index import Fact

__all__ = ["FactFilter"]

Test = Callable[[Mapping[str, Any]], bool]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": operator.lt, "$lte": operator.le, "$gt": operator.gt, "$gte": operator.ge,
    "$neq": operator.ne, "$ne": operator.ne,
}


class FactFilter:
    """The facts of a compiled program that some engine rule may match."""

    def __init__(self, program: Program) -> None:
        tests: dict[str, list[Test]] = {}
        for rule in program.engine_rules:
            for _, condition in rule.patterns:
                tests.setdefault(rule.qid, []).append(_test(condition, rule.qid))
        self._tests = tests

    def may_fire(self, fact: Fact) -> bool:
        """Whether some pattern of the rules of ``fact``'s query may match ``fact``."""
        for test in self._tests.get(fact["q"], ()):
            if test(fact):
                return True
        return False


def _always(fact: Mapping[str, Any]) -> bool:
    return True


def _test(condition: Mapping[str, Any], qid: str) -> Test:
    """``condition`` as a test of facts of query ``qid`` (whose own ``q`` test always passes)."""
    ((key, value),) = condition.items()
    if key in ("$and", "$or"):
        parts = [_test(part, qid) for part in value]
        if key == "$and":
            parts = [part for part in parts if part is not _always]
            if not parts:
                return _always
            if len(parts) == 1:
                return parts[0]

            def every(fact: Mapping[str, Any]) -> bool:
                for part in parts:
                    if not part(fact):
                        return False
                return True

            return every
        if _always in parts:
            return _always

        def some(fact: Mapping[str, Any]) -> bool:
            for part in parts:
                if part(fact):
                    return True
            return False

        return some
    if key in _COMPARE:
        ((field, constant),) = value.items()
        return _comparison(field, _COMPARE[key], constant)
    if isinstance(value, dict):  # equal to a field of an earlier pattern's fact: the engine's to decide
        return _always
    if key == "q" and value == qid:
        return _always
    return _comparison(key, operator.eq, value)


def _comparison(field: str, compare: Callable[[Any, Any], bool], constant: Any) -> Test:
    number = _is_number(constant)

    def test(fact: Mapping[str, Any]) -> bool:
        found = fact.get(field)
        if found is None:
            return False
        found_number = _PLAIN_KINDS.get(type(found))  # most values: whole numbers or text
        if found_number is None:
            found_number = _is_number(found)
        if found_number is not number:
            return True  # text against a number: undecided here, so the fact is kept
        return compare(found, constant)

    return test


_PLAIN_KINDS = {int: True, str: False}
"""Whether a value of these types is a number, known without ``isinstance``."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
