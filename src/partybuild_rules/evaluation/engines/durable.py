"""The only module that imports durable-rules. It keeps the engine's traps away from callers.

- durable's ``durable.lang`` registry is global and cannot unregister: we use a private
  ``durable.engine.Host`` per compiled program and delete its C rulesets when the program goes.
- The stock host runs background threads that dispatch actions, so ``assert_fact`` may return
  before the actions it caused have run: our host starts no threads, and facts skip its Python
  wrapper (``Host.assert_fact``: a ``Closure`` per action, our action, ``update_state`` of the
  state re-encoded) for durable's C API, ``durable_rules_engine``. Each fact is encoded once,
  to JSON in UTF-8 by msgspec (never with ``\\u`` escapes, with which Chinese constants such as
  the tier 优秀 silently stop matching; a value JSON cannot hold, such as a ``Decimal`` or a date,
  which msgspec would write as text, is an :class:`EngineError`, as ``json.dumps`` made it), and
  asserted with ``assert_fact`` on
  the ruleset's C handle; the actions it started are then run in the same call, as the wrapper's
  ``do_actions`` runs them: ``start_action_for_state``, then ``complete_and_start_action`` until
  none is left, so evaluation is deterministic. Each action's message is
  ``{rule name: {alias: fact, ...}}``. ``update_state`` is not called: the actions change no
  state, and without it the firings and outcomes are the same on the bundled packs and a
  session's memory is freed as before.
- Posting to one session from two threads fails: every session runs under the host's lock.
- ``assert_fact`` answers 1 for a fact that matches no rule (fine: it fired nothing), 2 for a fact
  refused as already seen, and 3 (read, as the wrapper reads it, as state 0) or 0 with the state
  the actions run on: every fact carries a unique id, and a refusal is an :class:`EngineError`,
  never a silent change of outcomes.
- An action here only records what fired; an error while it does, or from durable while the
  actions run, abandons the action (``abandon_action``, as the wrapper does) and is an
  :class:`EngineError`. (Through the wrapper, an exception inside an action is swallowed into the
  session state: the private wrapper path, kept only for the test that holds both paths to the
  same firings, records such errors and raises them after the fact.)
- Facts are asserted one at a time, in the caller's fixed order, and each session (one community
  partition) is deleted afterwards. The batch call, ``assert_facts``, is not used: given a batch
  where one fact matches and another does not, it answers "not handled" for the whole batch and
  starts none of its actions (the next fact asserted runs them, as if that fact had caused them),
  and in a session whose state no earlier fact created, deleting the state then may kill the
  process (SIGSEGV, seen with Python 3.11). ``tests/test_durable_capi.py`` shows both, in a
  subprocess.
- The firings one fact causes come in an order of durable's own (for joins, not the order of the
  facts); they are sorted into the order both engines share (:mod:`.base`). A fact that
  satisfies two branches of an ``$or`` fires the rule once per branch (durable compiles each
  branch to a rule of its own): a combination of facts already fired is dropped. The ``sid`` and ``id``
  it needs are added to a copy of each fact and removed from what fired.
- Conditions: durable reads only the first key of a dict and hangs on an empty ``$and``;
  :func:`.base.check_program` refuses both before durable sees them. Its "not equal" is spelt
  ``$neq``; ``$ne`` is rewritten to it. It coerces some mixed comparisons (``"3"`` is below 5):
  the program never compares a field to constants of another type (CLIPS refuses such facts).
- On Python 3.12 durable's ``_unix_now`` (its elapsed-time bookkeeping, called on every action
  its wrapper runs) calls ``datetime.utcfromtimestamp``, deprecated there: ~400,000 warnings in a test
  run. That one warning, from durable's engine module, is filtered here and nowhere else; and as
  pytest turns DeprecationWarnings back on inside every test, ``_unix_now`` is also replaced by
  the same computation without the deprecated call (naive local now minus the naive epoch).
- durable-rules 2.0.28 does not import on Python 3.13 (``PyEval_CallObject`` was removed): the
  package depends on it only below 3.13, and :mod:`.base` picks CLIPS where it is missing.
"""

from __future__ import annotations

import datetime
import itertools
import threading
import uuid
import warnings
import weakref
from contextlib import contextmanager
from typing import Any, Iterator

import durable_rules_engine  # type: ignore[import-not-found]
import msgspec
from durable import engine as durable_engine  # type: ignore[import-untyped]

from ...domain.errors import EngineError
from ..compile import OPEN_QUERY, EngineRule, Program
from ..index import Fact
from .base import Fired, check_joined, durable_condition, joined_fields

warnings.filterwarnings(
    "ignore", message=r"datetime\.datetime\.utcfromtimestamp\(\) is deprecated",
    category=DeprecationWarning, module=r"durable\.engine",
)
_EPOCH = datetime.datetime(1970, 1, 1)


def _unix_now() -> float:
    """durable's ``_unix_now`` exactly, without ``utcfromtimestamp`` (``utcfromtimestamp(0)`` is
    the naive 1970-01-01 00:00)."""
    return (datetime.datetime.now() - _EPOCH).total_seconds()


if hasattr(durable_engine, "_unix_now"):
    durable_engine._unix_now = _unix_now

__all__ = ["Engine"]

_names = itertools.count(1)
_INTERNAL = ("sid", "id")
_WRAPPER = False
"""Engines built while this is true assert through durable's Python wrapper (``Host.assert_fact``)
instead of its C API: kept only for the test that holds both to the same firings."""


class _QuietHost(durable_engine.Host):  # type: ignore[misc]
    """A host without durable's background dispatch threads."""

    def _run(self) -> None:
        return None


class Engine:
    """A compiled program registered once in a private durable host."""

    name = "durable"

    def __init__(self, program: Program) -> None:
        self._lock = threading.Lock()
        self._fired: dict[str, list[tuple[tuple[int, tuple[int, ...]], Fired]]] = {}
        self._number = {rule.name: n for n, rule in enumerate(r for rules in program.rulesets for r in rules)}
        self._errors: dict[str, list[str]] = {}
        self._names: list[str] = []
        definitions: dict[str, dict[str, Any]] = {}
        for rules in program.rulesets:
            name = f"pbr{next(_names)}"
            self._names.append(name)
            definitions[name] = {
                rule.name: {"all": [{alias: durable_condition(cond)} for alias, cond in rule.patterns], "run": self._action(rule)}
                for rule in rules
            }
            definitions[name][OPEN_QUERY] = {"all": [{"m": {"q": OPEN_QUERY}}], "run": _opened}
        self._route = {qid: self._names[i] for qid, i in program.route.items()}
        joined = [joined_fields(rules) for rules in program.rulesets]
        self._joined = {qid: joined[i] for qid, i in program.route.items()}
        try:
            self._host = _QuietHost(definitions)
        except Exception as error:  # durable raises bare Exception on bad definitions
            raise EngineError(f"the engine refused the compiled rules: {error}") from error
        handles = [self._host.get_ruleset(name)._handle for name in self._names]
        self._finalizer = weakref.finalize(self, _delete_rulesets, handles)
        self._wrapper = _WRAPPER
        self._handle = dict(zip(self._names, handles))
        # each ruleset's actions by name, as durable names them: the rule and its program number
        # (the ``open`` rule records nothing)
        self._actions: dict[str, dict[str, tuple[EngineRule, int] | None]] = {
            name: {**{rule.name: (rule, self._number[rule.name]) for rule in rules}, OPEN_QUERY: None}
            for name, rules in zip(self._names, program.rulesets)
        }

    def close(self) -> None:
        """Free the engine's rulesets now rather than when the engine is collected."""
        self._finalizer()

    def _action(self, rule: EngineRule) -> Any:
        number = self._number[rule.name]

        def run(c: Any) -> None:
            sid = c.s.sid
            try:
                message = c._m
                matched = [dict(message[alias]) for alias, _ in rule.patterns]
                key = (number, tuple(int(fact["id"]) for fact in matched))
                facts = {
                    alias: {k: v for k, v in fact.items() if k not in _INTERNAL}
                    for (alias, _), fact in zip(rule.patterns, matched)
                }
                self._fired[sid].append((key, Fired(rule, facts)))
            except Exception as error:  # recorded, raised after the fact by ``assert_all``
                self._errors.setdefault(sid, []).append(f"{rule.name}: {error!r}")

        return run

    @contextmanager
    def session(self) -> Iterator[_Session]:
        """A fresh engine session; its state is deleted on exit, also on error."""
        sid = uuid.uuid4().hex
        with self._lock:
            self._fired[sid] = []
            try:
                session = _Session(self, sid)
                session.open(self._names)
                yield session
            finally:
                for name in self._names:
                    try:
                        self._host.delete_state(name, sid)
                    except Exception:  # a session that failed before opening has no state
                        pass
                self._fired.pop(sid, None)
                self._errors.pop(sid, None)


class _Session:
    def __init__(self, engine: Engine, sid: str) -> None:
        self._engine = engine
        self._sid = sid
        self._serial = itertools.count(1)
        self._seen: set[tuple[int, tuple[int, ...]]] = set()

    def open(self, rulesets: list[str]) -> None:
        # A matched first fact creates the session's state the way durable expects; deleting the
        # state of a session whose facts all went unmatched crashes the process (seen here).
        for ruleset in rulesets:
            message = {"q": OPEN_QUERY, "sid": self._sid, "id": 0}
            if self._engine._wrapper:
                self._engine._host.assert_fact(ruleset, message)
            else:
                self._post(ruleset, message, [])

    def assert_all(self, facts: list[Fact]) -> list[Fired]:
        """Assert facts one by one in the given order; return what fired, in firing order."""
        engine = self._engine
        pending = engine._fired[self._sid]
        fired: list[Fired] = []
        for fact in facts:
            ruleset = engine._route.get(fact["q"])
            if ruleset is None:
                continue
            if "sid" in fact or "id" in fact:
                raise EngineError(f"a fact may not have the fields `sid` or `id` (q={fact['q']})")
            check_joined(fact, engine._joined[fact["q"]])
            message = {**fact, "sid": self._sid, "id": next(self._serial)}
            if engine._wrapper:
                self._wrapped(ruleset, message)
            else:
                self._post(ruleset, message, pending)
            for key, one in sorted(pending, key=lambda p: p[0]):
                if key not in self._seen:
                    self._seen.add(key)
                    fired.append(one)
            pending.clear()
        return fired

    def _post(self, ruleset: str, message: Fact, pending: list[tuple[tuple[int, tuple[int, ...]], Fired]]) -> None:
        """Assert one message through durable's C API and run the actions it starts, as durable's
        ``Host.assert_fact`` does, recording what fired in ``pending``."""
        handle = self._engine._handle[ruleset]
        actions = self._engine._actions[ruleset]
        for name, value in message.items():
            if not isinstance(value, _JSON_VALUES) and value is not None:
                # msgspec would write a Decimal or a date as text, to be compared as text
                raise EngineError(f"a fact's field `{name}` is {type(value).__name__} {value!r}, which JSON "
                                  f"cannot hold; facts hold text and numbers (q={message['q']})")
        try:
            result = durable_rules_engine.assert_fact(handle, _encode(message).decode())
        except Exception as error:
            raise EngineError(f"the engine failed on a fact (q={message['q']}): {error}") from error
        if result[0] == 1:  # matched no rule: fired nothing
            return
        if result[0] == 2:
            raise _observed(message)
        state = 0 if result[0] == 3 else result[1]
        try:
            started = durable_rules_engine.start_action_for_state(handle, state)
        except Exception as error:
            raise EngineError(f"the engine failed on a fact (q={message['q']}): {error}") from error
        text = started[1] if started else None
        while text:
            try:
                # one action per message: its first key, as durable's ``_flush_actions`` reads it
                name, matched = next(iter(_decode(text).items()))
                action = actions[name]
                if action is not None:
                    rule, number = action
                    facts = [matched[alias] for alias, _ in rule.patterns]
                    key = (number, tuple(int(fact["id"]) for fact in facts))
                    pending.append((key, Fired(rule, {
                        alias: {k: v for k, v in fact.items() if k not in _INTERNAL}
                        for (alias, _), fact in zip(rule.patterns, facts)
                    })))
                text = durable_rules_engine.complete_and_start_action(handle, state)
            except Exception as error:
                try:
                    durable_rules_engine.abandon_action(handle, state)
                except Exception:  # the error met first is the one worth raising
                    pass
                raise EngineError(f"a rule action failed (q={message['q']}): {error!r}") from error

    def _wrapped(self, ruleset: str, message: Fact) -> None:
        """Assert one message through durable's Python wrapper; the actions record what fired."""
        engine = self._engine
        try:
            engine._host.assert_fact(ruleset, message)
        except durable_engine.MessageNotHandledException:
            pass
        except durable_engine.MessageObservedException:
            raise _observed(message) from None
        except Exception as error:
            raise EngineError(f"the engine failed on a fact (q={message['q']}): {error}") from error
        errors = engine._errors.get(self._sid)
        if errors:
            raise EngineError("a rule action failed: " + "; ".join(errors))


_JSON_VALUES = (str, int, float, list, tuple, dict)
"""What ``json.dumps`` writes (and ``None``); msgspec also writes ``Decimal``, dates, sets and more."""
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def _observed(message: Fact) -> EngineError:
    return EngineError(
        f"the engine refused a fact as already seen (q={message['q']}, s={message.get('s')}); "
        "outcomes would be incomplete"
    )


def _opened(c: Any) -> None:
    return None


def _delete_rulesets(handles: list[Any]) -> None:
    for handle in handles:
        try:
            durable_rules_engine.delete_ruleset(handle)
        except Exception:  # already gone at interpreter exit
            pass
