"""The only module that imports clipspy (CLIPS 6.4). It keeps the engine's traps away from callers.

A compiled program becomes one CLIPS environment: per ruleset a ``deftemplate`` whose slots are
the fact fields its conditions read (named ``k0``, ``k1`` … whatever the field is called) plus an
``id`` slot, and per engine rule a ``defrule`` whose right-hand side reports the ids it matched to
Python. The caller's fact dicts never enter CLIPS: only the fields the rules read do, and
``Fired.facts`` are copies of the caller's dicts, looked up by id.

Traps found, and what this module does about each:

- **Threads.** One ``Environment`` must never be used by two threads at once (CFFI releases the
  GIL inside CLIPS calls, so nothing else serialises them): every session holds the engine's
  lock from start to end. Separate engines have separate environments and run in parallel.
- **Duplicate facts.** With fact duplication off (the default) asserting a fact equal to one
  present returns the old fact and activates nothing: two subjects with equal fields would fire
  once. Every fact carries its session-unique ``id``, so no two are ever equal.
- **Strings and symbols.** Text built into a rule must be a CLIPS string literal with ``\\`` and
  ``"`` escaped, or the rule means something else (or fails to build); Chinese text is UTF-8 and
  needs nothing more. Fact values are passed through clipspy's fact builder (never through
  ``assert_string``): a Python ``str`` stays a STRING, so text such as ``"1270.00"`` or ``"nil"``
  is never read back as a FLOAT or a SYMBOL. A missing field or ``None`` is the symbol ``nil``,
  which no STRING or INTEGER equals; comparisons first check the type (``integerp``, ``stringp``),
  since ``<`` on a symbol is an error that halts the run. Text with a NUL character is refused
  (CLIPS strings are C strings and would be cut short).
- **Slot types and coercion.** CLIPS compares types strictly; durable-rules coerces some mixed
  comparisons (``"3"`` is below 5, ``{"x": "1"}`` matches the number 1, but ``{"x": 1}`` does
  not match ``"1"``). A fact field holding text where the rules compare it to numbers (or the
  reverse) is an :class:`EngineError` here, so such a program can never silently mean two things.
  Values are text, whole numbers within 64 bits (CLIPS INTEGER), or ``True``/``False`` read as
  1/0 as durable-rules does; anything else, ``Decimal`` and ``float`` included, is refused: money
  and scores reach the engine as whole hundredths computed in Python, never as decimal text.
- **Same fact twice in a join.** CLIPS lets one fact match two patterns of a rule; durable-rules
  does not. Each later pattern requires an ``id`` different from every earlier pattern's.
- **Salience and refraction.** No salience is used. The agenda's order (depth strategy: newest
  first, ties unspecified) is not the order the evaluator relies on: the activations one fact
  causes are run at once (``run`` after each fact) and their firings sorted into the shared order
  of :mod:`.base`. Refraction (an activation fires once) gives "each combination once", as facts
  are never modified or retracted within a session.
- **reset and clear.** ``reset`` retracts every fact and empties the agenda but keeps rules and
  templates: it starts and ends every session (ending frees the session's facts at once).
  ``clear`` removes the constructs too: it is used only when the engine is closed.
- **Memory across sessions and engines.** clipspy keeps each environment's Python functions and
  routers in a module-level table until the environment is destroyed; if they referred to the
  engine, neither could ever be collected. They close over plain lists only, so closing the engine
  (or collecting it) destroys the environment. Retracted facts return to CLIPS's pools: memory
  stays flat over thousands of sessions (tested).
- **Output.** CLIPS writes errors and warnings to its routers (the terminal by default) and a
  Python exception in a function called from CLIPS is printed, then reported as a CLIPS error. The
  library never prints: a router captures everything CLIPS would write, and anything captured
  while building rules or running a fact is an :class:`EngineError`.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import clips  # type: ignore[import-untyped]
from clips._clips import ffi, lib  # type: ignore[import-untyped]
from clips.common import environment_builder  # type: ignore[import-untyped]
from clips.values import clips_value  # type: ignore[import-untyped]

from ...domain.errors import EngineError
from ..compile import EngineRule, Program
from ..index import Fact
from .base import COMPARISONS, INT64, Fired, check_joined, joined_fields

__all__ = ["Engine"]

_FIRE = "pbr-fire"
_NIL = clips.Symbol("nil")
_OUTPUTS = frozenset({"stdout", "stderr", "stdwrn"})
_OPS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}


class _Capture(clips.Router):  # type: ignore[misc]
    """Takes everything CLIPS writes, so that nothing reaches the terminal."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__("partybuild-capture", 50)
        self._sink = sink

    def query(self, name: str) -> bool:
        # only the output names: claiming every name would also take the string routers that
        # CLIPS reads constructs through, and nothing would build
        return name in _OUTPUTS

    def write(self, name: str, message: str) -> None:
        self._sink.append(message)


@dataclass
class _State:
    """What a session needs; it refers to no engine, so the engine can be collected."""

    env: Any
    pending: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    def destroy(self) -> None:
        env, self.env = self.env, None
        if env is not None:
            try:
                env.clear()
            except Exception:  # at interpreter exit clipspy may already be gone
                pass


@dataclass
class _Ruleset:
    template: bytes
    slots: dict[str, bytes]  # fact field -> slot name
    kinds: dict[str, frozenset[type]]  # fact field -> the constant types the rules compare it to
    joined: frozenset[str]  # fields on either side of a reference


class Engine:
    """A compiled program built into one private CLIPS environment."""

    name = "clips"

    def __init__(self, program: Program) -> None:
        self._lock = threading.Lock()
        self._rules: list[EngineRule] = [rule for rules in program.rulesets for rule in rules]
        self._state = _State(clips.Environment())
        env = self._state.env
        env.add_router(_Capture(self._state.output))
        pending = self._state.pending

        def fire(rule: int, *ids: int) -> None:
            pending.append((rule, ids))

        env.define_function(fire, name=_FIRE)
        self._finalizer = weakref.finalize(self, self._state.destroy)
        self._rulesets: list[_Ruleset] = []
        number = itertools.count()
        for i, rules in enumerate(program.rulesets):
            fields = _fields(rules)
            slots = {name: f"k{n}" for n, name in enumerate(fields)}
            self._build(f"(deftemplate pbr{i} {' '.join(f'(slot {s})' for s in slots.values())} (slot id))")
            for rule in rules:
                self._build(_defrule(f"pbr{i}", slots, rule, next(number)))
            self._rulesets.append(_Ruleset(
                f"pbr{i}".encode(), {k: v.encode() for k, v in slots.items()}, _kinds(rules), joined_fields(rules)
            ))
        self._route = {qid: self._rulesets[i] for qid, i in program.route.items()}

    def close(self) -> None:
        """Destroy the CLIPS environment now rather than when the engine is collected."""
        with self._lock:
            self._finalizer()

    def _build(self, construct: str) -> None:
        try:
            self._state.env.build(construct)
        except Exception as error:
            said = "".join(self._state.output).strip()
            self._state.output.clear()
            raise EngineError(f"the engine refused the compiled rules: {said or error} in {construct}") from error
        _raise_output(self._state, "building the rules")

    @contextmanager
    def session(self) -> Iterator[_Session]:
        """A fresh session: no facts, an empty agenda; its facts are retracted on exit, also on error."""
        with self._lock:
            state = self._state
            if state.env is None:
                raise EngineError("the engine was closed")
            try:
                state.env.reset()
                state.pending.clear()
                yield _Session(self)
            finally:
                state.pending.clear()
                state.output.clear()
                if state.env is not None:
                    state.env.reset()


class _Session:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._facts: dict[int, Fact] = {}
        self._serial = itertools.count(1)
        self._last = 0  # CLIPS's index of the last fact asserted

    def assert_all(self, facts: list[Fact]) -> list[Fired]:
        """Assert facts one by one in the given order; return what fired, in firing order."""
        engine = self._engine
        state = engine._state
        env = state.env
        fired: list[Fired] = []
        for fact in facts:
            ruleset = engine._route.get(fact["q"])
            if ruleset is None:
                continue
            check_joined(fact, ruleset.joined)
            serial = next(self._serial)
            self._facts[serial] = fact
            values = [(slot, _value(fact, name, ruleset.kinds[name])) for name, slot in ruleset.slots.items()]
            try:
                index = _assert(env, ruleset.template, values, serial)
                if index <= self._last:
                    raise EngineError(
                        f"the engine refused a fact as already seen (q={fact['q']}, s={fact.get('s')}); "
                        "outcomes would be incomplete"
                    )
                self._last = index
                env.run()
            except EngineError:
                raise
            except Exception as error:
                raise EngineError(f"the engine failed on a fact (q={fact['q']}): {error}") from error
            _raise_output(state, f"a fact (q={fact['q']}, s={fact.get('s')})")
            try:
                for number, ids in sorted(state.pending):
                    rule = engine._rules[number]
                    aliases = [alias for alias, _ in rule.patterns]
                    fired.append(Fired(rule, {a: dict(self._facts[i]) for a, i in zip(aliases, ids)}))
            except Exception as error:
                raise EngineError(f"a rule action failed: {error!r}") from error
            finally:
                state.pending.clear()
        return fired


def _raise_output(state: _State, doing: str) -> None:
    if state.output:
        text = "".join(state.output).strip()
        state.output.clear()
        raise EngineError(f"the engine reported a problem on {doing}: {text}")


# -- facts -------------------------------------------------------------------------------------


def _assert(env: Any, template: bytes, values: list[tuple[bytes, Any]], serial: int) -> int:
    """Assert one fact through CLIPS's fact builder; return its fact index (an equal fact already
    present is returned instead of a new one, with its older index). clipspy's
    ``Template.assert_fact`` returns a wrapper that retains the fact until the wrapper is
    collected; with those released later, each ``run`` took time in proportion to the facts so
    far (a session grew quadratically)."""
    handle = env._env
    builder = environment_builder(handle, "fact")
    if lib.FBSetDeftemplate(builder, template) != lib.FBE_NO_ERROR:
        raise EngineError(f"the engine lost its template {template.decode()}")
    for slot, value in values:
        if value is not _NIL and lib.FBPutSlot(builder, slot, clips_value(handle, value=value)) != 0:
            raise EngineError(f"the engine refused slot {slot.decode()} = {value!r}")
    if lib.FBPutSlot(builder, b"id", clips_value(handle, value=serial)) != 0:
        raise EngineError("the engine refused a fact id")
    fact = lib.FBAssert(builder)
    if fact == ffi.NULL:
        raise EngineError(f"the engine refused a fact (error {lib.FBError(handle)})")
    return int(lib.FactIndex(fact))



def _value(fact: Fact, name: str, kinds: frozenset[type]) -> Any:
    value = fact.get(name)
    if value is None:
        return _NIL
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise EngineError(f"fact field `{name}` = {value} is outside 64-bit integers (q={fact['q']})")
    elif isinstance(value, str):
        if "\x00" in value:
            raise EngineError(f"fact field `{name}` holds a NUL character (q={fact['q']})")
    else:
        raise EngineError(
            f"fact field `{name}` holds {type(value).__name__} `{value}` (q={fact['q']}): the engine "
            "takes text, whole numbers or 0/1"
        )
    if value == "" and kinds == {int}:
        return _NIL  # a value not recorded, where the rules compare numbers: no test holds
    if kinds and type(value) not in kinds:
        wanted = " or ".join(sorted("text" if k is str else "a number" for k in kinds))
        raise EngineError(
            f"fact field `{name}` holds {type(value).__name__} `{value}` but the rules compare it to {wanted} "
            f"(q={fact['q']}, s={fact.get('s')})"
        )
    return value


# -- rules -------------------------------------------------------------------------------------


def _walk(condition: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every (field, operand) a condition tests."""
    ((key, value),) = condition.items()
    if key in ("$and", "$or"):
        for part in value:
            yield from _walk(part)
    elif key in COMPARISONS:
        yield from value.items()
    else:
        yield key, value


def _fields(rules: tuple[EngineRule, ...]) -> list[str]:
    """The fact fields a ruleset reads, in order of first use (references included)."""
    found: dict[str, None] = {}
    for rule in rules:
        for _, condition in rule.patterns:
            for name, operand in _walk(condition):
                found[name] = None
                if isinstance(operand, dict):
                    found.update(dict.fromkeys(operand.values()))
    return list(found)


def _kinds(rules: tuple[EngineRule, ...]) -> dict[str, frozenset[type]]:
    kinds: dict[str, set[type]] = {}
    for rule in rules:
        for _, condition in rule.patterns:
            for name, operand in _walk(condition):
                kind = kinds.setdefault(name, set())
                if isinstance(operand, dict):
                    for other in operand.values():
                        kinds.setdefault(other, set())
                else:
                    kind.add(type(operand))
    return {name: frozenset(kind) for name, kind in kinds.items()}


def _string(text: str) -> str:
    if "\x00" in text:
        raise EngineError("the engine refused the compiled rules: text with a NUL character")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _constant(value: int | str) -> str:
    return _string(value) if isinstance(value, str) else str(value)


def _conjuncts(condition: dict[str, Any]) -> list[dict[str, Any]]:
    ((key, value),) = condition.items()
    if key == "$and":
        return [c for part in value for c in _conjuncts(part)]
    return [condition]


def _defrule(template: str, slots: dict[str, str], rule: EngineRule, number: int) -> str:
    aliases = [alias for alias, _ in rule.patterns]
    referenced: dict[int, set[str]] = {k: set() for k in range(len(aliases))}
    for _, condition in rule.patterns:
        for _, operand in _walk(condition):
            if isinstance(operand, dict):
                ((alias, other),) = operand.items()
                referenced[aliases.index(alias)].add(other)

    def var(k: int, name: str) -> str:
        return f"?v{k}_{slots[name]}"

    patterns = []
    for k, (_, condition) in enumerate(rule.patterns):
        literals: dict[str, str] = {}
        tests: list[str] = []
        bound = set(referenced[k])
        for part in _conjuncts(condition):
            ((key, value),) = part.items()
            if not key.startswith("$") and not isinstance(value, dict) and key not in literals:
                literals[key] = _constant(value)
            else:
                tests.append(_expression(part, k, aliases, var))
                bound.update(name for name, _ in _walk(part))
        constraints = []
        for name in sorted(set(literals) | bound, key=list(slots).index):
            variable = var(k, name) if name in bound else ""
            literal = literals.get(name, "")
            constraints.append(f"({slots[name]} {'&'.join(c for c in (variable, literal) if c)})")
        identity = f"?i{k}" + "".join(f"&~?i{j}" for j in range(k))
        if tests:
            identity += f"&:{_join('and', tests)}"
        constraints.append(f"(id {identity})")
        patterns.append(f"({template} {' '.join(constraints)})")
    ids = " ".join(f"?i{k}" for k in range(len(aliases)))
    return f"(defrule r{number} {' '.join(patterns)} => ({_FIRE} {number} {ids}))"


def _expression(condition: dict[str, Any], k: int, aliases: list[str], var: Any) -> str:
    """A CLIPS boolean expression for ``condition`` on pattern ``k``."""
    ((key, value),) = condition.items()
    if key in ("$and", "$or"):
        return _join(key[1:], [_expression(part, k, aliases, var) for part in value])
    if key in COMPARISONS:
        ((name, operand),) = value.items()
        op = COMPARISONS[key]
    else:
        name, operand, op = key, value, "=="
    own = var(k, name)
    if isinstance(operand, dict):
        ((alias, other),) = operand.items()
        theirs = var(aliases.index(alias), other)
        return _compare(own, op, theirs, None)
    return _compare(own, op, _constant(operand), type(operand))


def _join(logic: str, parts: list[str]) -> str:
    """``(and a b …)``; CLIPS wants at least two arguments, so one part stands alone."""
    return parts[0] if len(parts) == 1 else f"({logic} {' '.join(parts)})"


def _compare(left: str, op: str, right: str, kind: type | None) -> str:
    if op == "==":
        if kind is None:
            return f"(and (neq {left} nil) (eq {left} {right}))"
        return f"(eq {left} {right})"
    if op == "!=":
        guard = f"(neq {left} nil)" if kind is not None else f"(neq {left} nil) (neq {right} nil)"
        return f"(and {guard} (neq {left} {right}))"
    if kind is int:
        return f"(and (integerp {left}) ({op} {left} {right}))"
    if kind is str:
        return f"(and (stringp {left}) ({op} (str-compare {left} {right}) 0))"
    return (
        f"(or (and (integerp {left}) (integerp {right}) ({op} {left} {right}))"
        f" (and (stringp {left}) (stringp {right}) ({op} (str-compare {left} {right}) 0)))"
    )


