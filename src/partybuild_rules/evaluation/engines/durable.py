"""The only module that imports durable-rules. It keeps the engine's traps away from callers.

- durable's ``durable.lang`` registry is global and cannot unregister: we use a private
  ``durable.engine.Host`` per compiled program and delete its C rulesets when the program goes.
- The stock host runs background threads that dispatch actions, so ``assert_fact`` may return
  before the actions it caused have run: our host starts no threads, and actions run inside
  ``assert_fact`` (durable's ``do_actions``), so evaluation is deterministic.
- Posting to one session from two threads fails: every session runs under the host's lock.
- A fact that matches no rule raises ``MessageNotHandledException`` (fine: it fired nothing); a
  fact refused as already seen raises ``MessageObservedException``: every fact carries a unique
  id, and a refusal is an :class:`EngineError`, never a silent change of outcomes.
- An exception inside an action is swallowed into the session state: actions here only record
  what fired, and any error they meet is raised after the fact.
- Facts are asserted one at a time (the batch call crashed the process on mixed batches), in the
  caller's fixed order, and each session (one community partition) is deleted afterwards.
- The firings one fact causes come in an order of durable's own (for joins, not the order of the
  facts); they are sorted into the order both engines share (:mod:`.base`). A fact that
  satisfies two branches of an ``$or`` fires the rule once per branch (durable compiles each
  branch to a rule of its own): a combination of facts already fired is dropped. The ``sid`` and ``id``
  it needs are added to a copy of each fact and removed from what fired.
- Conditions: durable reads only the first key of a dict and hangs on an empty ``$and``;
  :func:`.base.check_program` refuses both before durable sees them. Its "not equal" is spelt
  ``$neq``; ``$ne`` is rewritten to it. It coerces some mixed comparisons (``"3"`` is below 5):
  the program never compares a field to constants of another type (CLIPS refuses such facts).
- On Python 3.12 durable's ``_unix_now`` (its elapsed-time bookkeeping, called on every session
  and action) calls ``datetime.utcfromtimestamp``, deprecated there: ~400,000 warnings in a test
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
            self._engine._host.assert_fact(ruleset, {"q": OPEN_QUERY, "sid": self._sid, "id": 0})

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
            try:
                engine._host.assert_fact(ruleset, message)
            except durable_engine.MessageNotHandledException:
                pass
            except durable_engine.MessageObservedException:
                raise EngineError(
                    f"the engine refused a fact as already seen (q={fact['q']}, s={fact.get('s')}); "
                    "outcomes would be incomplete"
                ) from None
            except Exception as error:
                raise EngineError(f"the engine failed on a fact (q={fact['q']}): {error}") from error
            errors = engine._errors.get(self._sid)
            if errors:
                raise EngineError("a rule action failed: " + "; ".join(errors))
            for key, one in sorted(pending, key=lambda p: p[0]):
                if key not in self._seen:
                    self._seen.add(key)
                    fired.append(one)
            pending.clear()
        return fired


def _opened(c: Any) -> None:
    return None


def _delete_rulesets(handles: list[Any]) -> None:
    for handle in handles:
        try:
            durable_rules_engine.delete_ruleset(handle)
        except Exception:  # already gone at interpreter exit
            pass
