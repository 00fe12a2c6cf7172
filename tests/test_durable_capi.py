"""durable-rules fed through its C API: the same firings as through its Python wrapper.

``engines/durable.py`` asserts each fact with ``durable_rules_engine.assert_fact`` and runs the
actions it starts itself; the wrapper (``Host.assert_fact``) is kept privately, behind
``_WRAPPER``, for these tests only. Both must fire the same rules on the same facts in the same
order on every bundled pack, Chinese text must match (the encoding keeps it unescaped), and the
batch call the module does not use is shown to crash the process.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from partybuild_rules import Dataset, EngineError, Evaluator, Pack, load_pack
from partybuild_rules.evaluation.compile import EngineRule, Program
from partybuild_rules.evaluation.engines.base import Fired
from partybuild_rules.reports.text import to_json

YEAR = 2024
POLICIES = Path(__file__).resolve().parents[1] / "policies"
Session = list[tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any]]]]]


@pytest.fixture
def durable(engine: str) -> ModuleType:
    """``engines/durable.py``; the tests of its two paths run once, on the durable engine."""
    if engine != "durable":
        pytest.skip("the durable engine's own paths")
    from partybuild_rules.evaluation.engines import durable as module

    return module


def _evaluate(durable: ModuleType, monkeypatch: pytest.MonkeyPatch, pack: Pack, data: Dataset,
              wrapper: bool) -> tuple[str, Session]:
    """The result's JSON, and each engine session's facts and firings (rule name, facts)."""
    sessions: Session = []
    original = durable._Session.assert_all

    def recorded(self: Any, facts: list[dict[str, Any]]) -> list[Fired]:
        fired: list[Fired] = original(self, facts)
        sessions.append(([dict(f) for f in facts], [(f.rule.name, f.facts) for f in fired]))
        return fired

    with monkeypatch.context() as patch:
        patch.setattr(durable, "_WRAPPER", wrapper)
        patch.setattr(durable._Session, "assert_all", recorded)
        with Evaluator(pack, "durable") as evaluator:
            assert evaluator._engine._wrapper is wrapper
            result = evaluator.evaluate(data, YEAR)
    return to_json(result), sessions


@pytest.mark.parametrize("name", ["tongjiang", "party-dues", "points", "fuyuan"])
def test_the_c_api_fires_what_the_wrapper_fires_on_each_bundled_pack(
    name: str, example_data: Dataset, durable: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = load_pack(POLICIES / name)
    direct, direct_sessions = _evaluate(durable, monkeypatch, pack, example_data, wrapper=False)
    wrapped, wrapped_sessions = _evaluate(durable, monkeypatch, pack, example_data, wrapper=True)
    assert sum(len(fired) for _, fired in direct_sessions) > 0
    assert len(direct_sessions) == len(wrapped_sessions)
    for (facts, fired), (facts_w, fired_w) in zip(direct_sessions, wrapped_sessions):
        assert facts == facts_w
        assert fired == fired_w  # rule names, facts and order
    assert direct == wrapped


# -- Chinese text ----------------------------------------------------------------------------------


def _program(*rules: EngineRule) -> Program:
    return Program(
        pack=None, queries=(), engine_rules=rules, rulesets=(rules,), route={"a": 0},  # type: ignore[arg-type]
        parameters_used={},
    )


def _fire(durable: ModuleType, program: Program, facts: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    engine = durable.Engine(program)
    try:
        assert engine._wrapper is False
        with engine.session() as session:
            return [(f.rule.name, f.facts) for f in session.assert_all(facts)]
    finally:
        engine.close()


def test_chinese_constants_and_values_match_through_the_c_api(durable: ModuleType) -> None:
    """With ``\\u`` escapes in the encoded fact, durable compares them to the unescaped constants
    of the rules and nothing Chinese matches (and "not equal" matches everything)."""
    program = _program(
        EngineRule("best", "a", "best", "", (("m", {"$and": [{"q": "a"}, {"tier": "优秀"}]}),)),
        EngineRule("other", "a", "other", "", (("m", {"$and": [{"q": "a"}, {"$neq": {"tier": "优秀"}}]}),)),
        EngineRule("same", "a", "same", "", (
            ("p0", {"$and": [{"q": "a"}, {"tier": "优秀"}]}),
            ("p1", {"$and": [{"s": {"p0": "s"}}, {"q": "a"}, {"tier": "良好"}]}),
        )),
    )
    facts: list[dict[str, Any]] = [
        {"q": "a", "s": "党员甲", "tier": "优秀"},
        {"q": "a", "s": "党员甲", "tier": "良好"},
        {"q": "a", "s": "党员乙", "tier": "优 秀"},
    ]
    assert _fire(durable, program, facts) == [
        ("best", {"m": facts[0]}),
        ("other", {"m": facts[1]}),
        ("same", {"p0": facts[0], "p1": facts[1]}),
        ("other", {"m": facts[2]}),
    ]


# -- the errors of the C API path ------------------------------------------------------------------


def test_an_action_that_fails_midway_is_abandoned_and_an_engine_error(durable: ModuleType) -> None:
    """A firing that cannot be read raises at once; the session is still deleted, and the engine
    runs the next session as if nothing had happened."""
    good = EngineRule("good", "a", "good", "", (("m", {"q": "a"}),))
    engine = durable.Engine(_program(good, EngineRule("bad", "a", "bad", "", (("m", {"q": "a"}),))))
    try:
        name = engine._names[0]
        engine._actions[name]["bad"] = (EngineRule("bad", "a", "bad", "", (("nowhere", {"q": "a"}),)), 1)
        with pytest.raises(EngineError, match="a rule action failed.*nowhere"):
            with engine.session() as session:
                session.assert_all([{"q": "a", "s": "M1"}])
        engine._actions[name]["bad"] = None
        with engine.session() as session:
            assert [f.rule.name for f in session.assert_all([{"q": "a", "s": "M1"}] * 2)] == ["good", "good"]
    finally:
        engine.close()


# -- the batch call --------------------------------------------------------------------------------


BATCH = textwrap.dedent("""
    import sys
    from durable import engine as de

    class Host(de.Host):
        def _run(self):
            return None

    fired = []
    host = Host({"rs": {"r": {"all": [{"m": {"q": "a"}}], "run": lambda c: fired.append(c._m)}}})
    facts = [{"q": "a", "sid": "S", "id": 1}, {"q": "b", "sid": "S", "id": 2}]  # one matches
    if sys.argv[1] == "opened":
        host.assert_fact("rs", {"q": "a", "sid": "S", "id": 0})
        fired.clear()
    try:
        if sys.argv[1] == "one by one":
            for fact in facts:
                try:
                    host.assert_fact("rs", fact)
                except de.MessageNotHandledException:
                    pass
        else:
            host.assert_facts("rs", facts)
    except de.MessageNotHandledException:
        print("not handled", flush=True)
    print("fired", len(fired), flush=True)
    host.delete_state("rs", "S")
    print("deleted", flush=True)
""")


def _batch(how: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BATCH, how], capture_output=True, text=True, timeout=60)


def test_the_batch_call_loses_a_mixed_batch_and_may_crash(durable: ModuleType) -> None:
    """Why facts are asserted one at a time: ``assert_facts`` of a batch where one fact matches and
    one does not reports the whole batch as not handled and runs none of its actions; in a fresh
    session, deleting its state then may kill the process (SIGSEGV with Python 3.11 here; not
    with 3.12). The same facts one at a time are fine."""
    alone = _batch("one by one")
    assert (alone.returncode, alone.stdout) == (0, "fired 1\ndeleted\n"), alone.stderr
    fresh = _batch("fresh")
    assert fresh.stdout in ("not handled\nfired 0\n", "not handled\nfired 0\ndeleted\n"), fresh.stderr
    if not fresh.stdout.endswith("deleted\n"):
        assert fresh.returncode != 0  # killed while deleting (-11, SIGSEGV)
    # after a first matched fact (the module's ``open``) it survives, but fires nothing
    opened = _batch("opened")
    assert (opened.returncode, opened.stdout) == (0, "not handled\nfired 0\ndeleted\n"), opened.stderr


@pytest.mark.parametrize("value", [Decimal("1.50"), date(2024, 1, 1), {"M1"}, b"M1"])
def test_a_fact_value_json_cannot_hold_is_refused(durable: ModuleType, value: Any) -> None:
    """msgspec would write a ``Decimal`` or a date as text, to be compared as text, where
    ``json.dumps`` refused them: the C API path refuses them too."""
    program = _program(EngineRule("any", "a", "any", "", (("m", {"q": "a"}),)))
    with pytest.raises(EngineError, match="field `x` is .* which JSON cannot hold"):
        _fire(durable, program, [{"q": "a", "s": "M1", "x": value}])
    kept = {"q": "a", "s": "M1", "x": None, "n": True, "f": 1.5, "l": [1, "a"], "t": "87.50"}
    assert _fire(durable, program, [kept]) == [("any", {"m": kept})]
