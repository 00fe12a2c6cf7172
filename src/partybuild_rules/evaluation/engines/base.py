"""What every rules engine offers the evaluator, and the conditions a compiled program may use.

An engine is built once from a compiled :class:`~partybuild_rules.evaluation.compile.Program` and
runs short sessions: ``with engine.session() as session: fired = session.assert_all(facts)``.
Both engines fire the same rules on the same facts, in the same order:

- facts are taken one at a time, in the caller's order;
- the firings one fact causes come in program order of the engine rules (their place in
  ``program.rulesets``), and for one rule, by the input positions of the facts matched, pattern by
  pattern (so a join that the new fact completes twice fires first with its earlier partner);
- a rule with several patterns matches each combination of *distinct* facts once;
- ``Fired.facts`` are copies of the facts matched, by pattern alias, exactly as the caller gave
  them (no engine-internal keys).

The conditions are durable-rules JSON, restricted to what both engines mean the same way
(:func:`check_program` refuses the rest before either engine sees it):

- ``{"field": constant}``: the fact has ``field`` with that value (text, a whole number, or 0/1);
- ``{"$lt": {"field": constant}}``, and ``$lte``, ``$gt``, ``$gte``, ``$neq`` (``$ne`` is read
  as ``$neq``): numbers compare as numbers, text as text, by code point;
- ``{"field": {"p0": "other"}}``: equal to ``other`` of the fact matched by the earlier pattern
  ``p0``. Equality only, standing in the pattern's top-level ``$and``, and every fact of the
  ruleset has the fields on both sides, not ``None``: where one is missing, durable-rules fails
  (error 311 or 312) or, worse, matches as if it were equal; both engines refuse such a fact with
  :class:`EngineError` (the compiler joins on ``s``, which every fact has);
- ``{"$and": [...]}`` and ``{"$or": [...]}``, nested, never empty. A fact that satisfies two
  branches of an ``$or`` matches once (durable-rules fires once per branch; its duplicates are
  dropped).

A test on a field the fact lacks, or holds ``None``, fails (``$neq`` included). Each dict has
exactly one key: durable-rules silently ignores every key after the first, and hangs on an empty
``$and``, so both are refused here rather than met there.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol

from ...domain.errors import EngineError
from ..compile import EngineRule, Program
from ..index import Fact

__all__ = [
    "ENGINES", "ENV_VAR", "Engine", "Fired", "Session", "check_joined", "check_program", "default_engine",
    "durable_condition", "joined_fields", "unavailable",
    "open_engine", "resolve_engine",
]

ENGINES = ("durable", "clips")
"""The engines, in order of preference for the default."""
ENV_VAR = "PARTYBUILD_ENGINE"
"""The environment variable that chooses the engine when the caller does not."""

COMPARISONS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=", "$neq": "!=", "$ne": "!="}
LOGIC = ("$and", "$or")
INT64 = (-(2**63), 2**63 - 1)


@dataclass(frozen=True)
class Fired:
    """One firing of an engine rule, with the facts it matched (by pattern alias)."""

    rule: EngineRule
    facts: dict[str, Fact]


class Session(Protocol):
    """One short engine session: facts asserted into it see only each other."""

    def assert_all(self, facts: list[Fact]) -> list[Fired]:
        """Assert ``facts`` one by one in the given order; return what fired, in firing order."""
        ...


class Engine(Protocol):
    """A compiled program loaded into one rules engine."""

    name: str

    def session(self) -> AbstractContextManager[Session]:
        """A fresh session, freed on exit (also on error)."""
        ...

    def close(self) -> None:
        """Free the engine now rather than when it is collected."""
        ...


# -- choosing an engine ------------------------------------------------------------------------


def _loader(name: str) -> Callable[[Program], Engine]:
    """The engine class of ``name``; importing it imports its library (and may fail)."""
    if name == "durable":
        from .durable import Engine as DurableEngine

        return DurableEngine
    from .clips import Engine as ClipsEngine

    return ClipsEngine


@lru_cache(maxsize=None)
def unavailable(name: str) -> str | None:
    """Why engine ``name`` cannot run here, or None when it can (an import that failed once is
    not retried on every evaluation)."""
    try:
        _loader(name)
    except ImportError as error:
        return f"{error}"
    return None


def default_engine() -> str:
    """durable-rules where it imports (Python 3.11 and 3.12), CLIPS otherwise."""
    for name in ENGINES:
        if unavailable(name) is None:
            return name
    raise EngineError("no rules engine imports here: install `durable-rules` (Python < 3.13) or `clipspy`")


def resolve_engine(name: str | None = None) -> str:
    """The engine to use: ``name`` if given, else ``$PARTYBUILD_ENGINE``, else :func:`default_engine`."""
    origin = "engine"
    if name is None:
        name = os.environ.get(ENV_VAR) or None
        origin = ENV_VAR
    if name is None:
        return default_engine()
    wanted = name.strip().lower()
    if wanted not in ENGINES:
        raise EngineError(f"unknown {origin} `{name}`: choose one of {', '.join(ENGINES)}")
    reason = unavailable(wanted)
    if reason is not None:
        others = [e for e in ENGINES if e != wanted]
        raise EngineError(f"the `{wanted}` engine cannot run here ({reason}); use {' or '.join(others)}")
    return wanted


def open_engine(program: Program, name: str | None = None) -> Engine:
    """Load ``program`` into the engine chosen by :func:`resolve_engine`."""
    check_program(program)
    return _loader(resolve_engine(name))(program)


# -- the conditions both engines understand -----------------------------------------------------


def check_program(program: Program) -> None:
    """Raise :class:`EngineError` naming every condition outside the shared vocabulary."""
    problems: list[str] = []
    for rules in program.rulesets:
        for rule in rules:
            aliases = [alias for alias, _ in rule.patterns]
            if len(set(aliases)) != len(aliases) or not aliases:
                problems.append(f"{rule.name}: pattern aliases must be distinct and at least one")
            for k, (alias, condition) in enumerate(rule.patterns):
                problems += [f"{rule.name} ({alias}): {p}" for p in _check(condition, aliases[:k], True)]
    if problems:
        raise EngineError("the engine refused the compiled rules: " + "; ".join(problems))


def _check(condition: Any, earlier: list[str], top: bool) -> list[str]:
    """Problems of ``condition``; ``top`` while only ``$and`` lies between it and the pattern."""
    if not isinstance(condition, dict) or len(condition) != 1:
        return [f"a condition is a dict with exactly one key, got `{condition!r}`"]
    ((key, value),) = condition.items()
    if key in LOGIC:
        if not isinstance(value, list) or not value:
            return [f"`{key}` takes a non-empty list, got `{value!r}`"]
        return [p for part in value for p in _check(part, earlier, top and key == "$and")]
    if key in COMPARISONS:
        if not isinstance(value, dict) or len(value) != 1:
            return [f"`{key}` takes a dict with exactly one field, got `{value!r}`"]
        ((field, operand),) = value.items()
        if isinstance(operand, dict):
            return [f"`{key}` compares `{field}` to another fact: only equality may refer to an earlier pattern"]
        return _check_field(field, operand, earlier)
    if key.startswith("$"):
        return [f"unsupported operator `{key}`"]
    if isinstance(value, dict) and not top:
        return [f"`{key}` refers to another pattern inside `$or`: references stand in the top-level `$and`"]
    return _check_field(key, value, earlier)


def _check_field(field: Any, operand: Any, earlier: list[str]) -> list[str]:
    if not isinstance(field, str) or not field or field.startswith("$"):
        return [f"a field name is text not starting with `$`, got `{field!r}`"]
    if isinstance(operand, dict):
        if len(operand) != 1:
            return [f"a reference is `{{alias: field}}`, got `{operand!r}`"]
        ((alias, other),) = operand.items()
        if alias not in earlier:
            return [f"`{field}` refers to `{alias}`, which is not an earlier pattern"]
        if not isinstance(other, str) or not other or other.startswith("$"):
            return [f"a reference names a field, got `{other!r}`"]
        return []
    if isinstance(operand, bool) or operand is None or not isinstance(operand, (int, str)):
        return [f"`{field}` is compared to `{operand!r}`: constants are text or whole numbers (0/1 for yes/no)"]
    if isinstance(operand, int) and not INT64[0] <= operand <= INT64[1]:
        return [f"`{field}` is compared to {operand}, outside 64-bit integers"]
    return []


def joined_fields(rules: tuple[EngineRule, ...]) -> frozenset[str]:
    """The fields on either side of a reference between patterns, in any of ``rules``."""
    found: set[str] = set()

    def visit(condition: Any) -> None:
        ((key, value),) = condition.items()
        if key in LOGIC:
            for part in value:
                visit(part)
        elif key not in COMPARISONS and isinstance(value, dict):
            found.add(key)
            found.update(value.values())

    for rule in rules:
        for _, condition in rule.patterns:
            visit(condition)
    return frozenset(found)


def check_joined(fact: Fact, fields: frozenset[str]) -> None:
    """Refuse a fact without a field (or with ``None`` in it) that takes part in a join."""
    for name in fields:
        if fact.get(name) is None:
            raise EngineError(
                f"a fact lacks field `{name}` (or it is None), which the rules join on "
                f"(q={fact.get('q')}, s={fact.get('s')})"
            )


def durable_condition(condition: dict[str, Any]) -> dict[str, Any]:
    """A pattern's condition as durable-rules reads it correctly: ``$ne`` spelt ``$neq``, and the
    top-level ``$and`` flattened with its references first. durable-rules silently ignores a
    reference that follows a nested ``$and`` or ``$or`` (the join is lost and unrelated facts
    pair up); ``$and`` does not depend on order, so putting references first changes nothing else."""
    conjuncts = _conjuncts(_spelt(condition))
    joins = [c for c in conjuncts if _is_reference(c)]
    ordered = joins + [c for c in conjuncts if not _is_reference(c)]
    return ordered[0] if len(ordered) == 1 else {"$and": ordered}


def _spelt(condition: Any) -> Any:
    if isinstance(condition, dict):
        return {("$neq" if k == "$ne" else k): _spelt(v) for k, v in condition.items()}
    if isinstance(condition, list):
        return [_spelt(part) for part in condition]
    return condition


def _conjuncts(condition: dict[str, Any]) -> list[dict[str, Any]]:
    ((key, value),) = condition.items()
    if key == "$and":
        return [c for part in value for c in _conjuncts(part)]
    return [condition]


def _is_reference(condition: dict[str, Any]) -> bool:
    ((key, value),) = condition.items()
    return not key.startswith("$") and isinstance(value, dict)
