"""The engine wrapper: evaluations are deterministic, isolated from each other (also on threads),
repeatable many times, and an engine failure is an exception, never missing outcomes."""

from __future__ import annotations

import gc
import importlib
import itertools
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any, Callable

import pytest

from partybuild_rules import Dataset, EngineError, Evaluator, Pack, Result, evaluate

YEAR = 2024


@pytest.fixture
def engine_module(engine: str) -> ModuleType:
    """The module of the engine under test (``engines/durable.py`` or ``engines/clips.py``)."""
    return importlib.import_module(f"partybuild_rules.evaluation.engines.{engine}")


@pytest.fixture(scope="module")
def data_a(community_subset: Callable[[list[str]], Any]) -> Dataset:
    return Dataset.model_validate(community_subset(["C02", "C03"]))


@pytest.fixture(scope="module")
def data_b(community_subset: Callable[[list[str]], Any]) -> Dataset:
    return Dataset.model_validate(community_subset(["C01", "C04"]))


@pytest.fixture(scope="module")
def pack_3(tongjiang_pack: Pack) -> Pack:
    return tongjiang_pack.with_overrides({"absence_months": 3})


@pytest.fixture(scope="module")
def alone(tongjiang_pack: Pack, pack_3: Pack, data_a: Dataset, data_b: Dataset, engine: str) -> dict[str, Result]:
    """Each (pack, data) pair evaluated on its own, by a fresh evaluator."""
    results = {}
    for name, pack, data in (
        ("6A", tongjiang_pack, data_a), ("6B", tongjiang_pack, data_b),
        ("3A", pack_3, data_a), ("3B", pack_3, data_b),
    ):
        evaluator = Evaluator(pack)
        try:
            results[name] = evaluator.evaluate(data, YEAR)
        finally:
            evaluator.close()
    return results


# -- determinism -----------------------------------------------------------------------------------


def test_example_evaluated_three_times_is_identical(
    tongjiang_pack: Pack, example_data: Dataset, example_result: Result
) -> None:
    """Evaluating the bundled example again, with the cached or a fresh evaluator, gives an equal
    result, down to the order of outcomes and the facts of each."""
    again = evaluate(tongjiang_pack, example_data, YEAR)
    evaluator = Evaluator(tongjiang_pack)
    try:
        fresh = evaluator.evaluate(example_data, YEAR)
    finally:
        evaluator.close()
    assert again == example_result
    assert fresh == example_result
    assert again.to_json() == example_result.to_json() == fresh.to_json()


def test_example_has_an_outcome_for_every_rule(tongjiang_pack: Pack, example_result: Result) -> None:
    assert {o.rule_id for o in example_result.outcomes} == {rule.id for rule in tongjiang_pack.rules}


def test_evaluator_and_evaluate_agree(tongjiang_pack: Pack, data_a: Dataset, alone: dict[str, Result]) -> None:
    assert evaluate(tongjiang_pack, data_a, YEAR) == alone["6A"]


def test_the_parameter_changes_the_outcomes(alone: dict[str, Result]) -> None:
    """The pairs used below really differ, so isolation tests can tell them apart."""
    assert alone["6A"] != alone["3A"]
    assert len(alone["3A"].of_rule("R2.member-absence")) > len(alone["6A"].of_rule("R2.member-absence"))
    assert alone["3B"].parameters["absence_months"] == "3"
    assert alone["6B"].parameters["absence_months"] == "6"


# -- isolation -------------------------------------------------------------------------------------


def test_interleaved_evaluations_do_not_leak(
    tongjiang_pack: Pack, pack_3: Pack, data_a: Dataset, data_b: Dataset, alone: dict[str, Result]
) -> None:
    """Two evaluators used one after the other, in alternation, each give what they give alone."""
    six, three = Evaluator(tongjiang_pack), Evaluator(pack_3)
    try:
        for _ in range(2):
            assert six.evaluate(data_a, YEAR) == alone["6A"]
            assert three.evaluate(data_b, YEAR) == alone["3B"]
            assert three.evaluate(data_a, YEAR) == alone["3A"]
            assert six.evaluate(data_b, YEAR) == alone["6B"]
    finally:
        six.close()
        three.close()


def test_concurrent_evaluations_on_threads(
    tongjiang_pack: Pack, pack_3: Pack, data_a: Dataset, data_b: Dataset, alone: dict[str, Result]
) -> None:
    """Evaluations of two packs over two datasets, four at a time on threads and over several
    rounds, give the same results as each alone."""
    six, three = Evaluator(tongjiang_pack), Evaluator(pack_3)
    jobs = {"6A": (six, data_a), "3B": (three, data_b), "3A": (three, data_a), "6B": (six, data_b)}
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for _ in range(3):
                futures = {name: pool.submit(ev.evaluate, data, YEAR) for name, (ev, data) in jobs.items()}
                for name, future in futures.items():
                    assert future.result(timeout=120) == alone[name], name
    finally:
        six.close()
        three.close()


def test_concurrent_calls_of_evaluate_share_nothing_wrong(
    tongjiang_pack: Pack, pack_3: Pack, data_a: Dataset, data_b: Dataset, alone: dict[str, Result]
) -> None:
    """``evaluate`` (the pack's cached evaluator) called from two threads at once."""
    calls = [(tongjiang_pack, data_a, "6A"), (pack_3, data_b, "3B")] * 3
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [(name, pool.submit(evaluate, pack, data, YEAR)) for pack, data, name in calls]
        for name, future in futures:
            assert future.result(timeout=120) == alone[name], name


# -- many evaluations ------------------------------------------------------------------------------


def test_many_evaluators_created_and_closed(tongjiang_pack: Pack, data_b: Dataset, alone: dict[str, Result]) -> None:
    for _ in range(30):
        Evaluator(tongjiang_pack).close()
    evaluator = Evaluator(tongjiang_pack)
    try:
        assert evaluator.evaluate(data_b, YEAR) == alone["6B"]
    finally:
        evaluator.close()


def test_closing_twice_is_harmless(tongjiang_pack: Pack) -> None:
    evaluator = Evaluator(tongjiang_pack)
    evaluator.close()
    evaluator.close()


def test_many_packs_with_overrides(
    tongjiang_pack: Pack, data_b: Dataset, alone: dict[str, Result], community_subset: Callable[[list[str]], Any]
) -> None:
    """30 packs with different parameters, each evaluated once (and then dropped)."""
    tiny = Dataset.model_validate(community_subset(["C01"]))
    counts = []
    for months in itertools.islice(itertools.cycle(range(1, 11)), 30):
        pack = tongjiang_pack.with_overrides({"absence_months": months})
        result = evaluate(pack, tiny, YEAR)
        assert result.parameters["absence_months"] == str(months)
        counts.append(len(result.of_rule("R2.member-absence")))
        del pack
    gc.collect()
    assert counts[:10] == counts[10:20] == counts[20:]
    assert counts[:10] == sorted(counts[:10], reverse=True)  # a shorter streak finds no fewer
    assert evaluate(tongjiang_pack, data_b, YEAR) == alone["6B"]


# -- the engine never fails silently ----------------------------------------------------------------


def test_a_refused_fact_is_an_engine_error(
    tongjiang_pack: Pack, data_b: Dataset, monkeypatch: pytest.MonkeyPatch, engine_module: ModuleType
) -> None:
    """Facts with the same id are refused as already seen (durable) or taken for the fact already
    present (CLIPS, whose fact duplication is off): that must surface, not give fewer outcomes."""
    original = engine_module._Session.__init__

    def same_ids(self: Any, *args: Any) -> None:
        original(self, *args)
        self._serial = itertools.repeat(1)

    monkeypatch.setattr(engine_module._Session, "__init__", same_ids)
    evaluator = Evaluator(tongjiang_pack)
    try:
        with pytest.raises(EngineError, match="already seen"):
            evaluator.evaluate(data_b, YEAR)
    finally:
        evaluator.close()


def test_a_failing_action_is_an_engine_error(
    tongjiang_pack: Pack, data_b: Dataset, monkeypatch: pytest.MonkeyPatch, engine_module: ModuleType
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(engine_module, "Fired", boom)
    evaluator = Evaluator(tongjiang_pack)
    try:
        with pytest.raises(EngineError, match="a rule action failed.*boom"):
            evaluator.evaluate(data_b, YEAR)
    finally:
        evaluator.close()


def test_evaluator_still_works_after_an_engine_error(
    tongjiang_pack: Pack, data_b: Dataset, alone: dict[str, Result], monkeypatch: pytest.MonkeyPatch,
    engine_module: ModuleType,
) -> None:
    evaluator = Evaluator(tongjiang_pack)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(engine_module, "Fired", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
            with pytest.raises(EngineError):
                evaluator.evaluate(data_b, YEAR)
        assert evaluator.evaluate(data_b, YEAR) == alone["6B"]
    finally:
        evaluator.close()


def test_outcomes_with_equal_keys_keep_one_order() -> None:
    """Two findings of one unit overdue in the same month give two R7 outcomes with the same rule,
    subject and period; their order must not follow the order of the findings in the input."""
    from partybuild_rules import Dataset, bundled_pack, evaluate, load_pack

    def data(findings: list[dict[str, str]]) -> Dataset:
        return Dataset.model_validate({
            "covers": {"start": "2024-01-01", "end": "2024-12-31"},
            "communities": [{"id": "C1", "name": "临江社区"}],
            "units": [{"id": "U1", "name": "同江市农商银行", "community": "C1"}],
            "inspection_groups": [{"id": "IG1", "name": "第一巡回督查组"}],
            "events": [{"id": "E1", "type": "inspection", "date": "2024-01-18", "group": "IG1",
                        "subject_kind": "unit", "subject": "U1", "findings": findings}],
        })

    first = {"id": "F1", "description": "整改不到位", "deadline": "2024-01-20"}
    second = {"id": "F2", "description": "活动未开展", "deadline": "2024-01-21"}
    pack = load_pack(bundled_pack())
    one = evaluate(pack, data([first, second]), 2024)
    other = evaluate(pack, data([second, first]), 2024)
    assert len(one.of_rule("R7.rectification-overdue")) == 2
    assert one == other
