"""Near-miss facts are left out of the engine unless explaining: the outcomes must not change.

An evaluation asserts only the facts some engine rule may match (``evaluation/prefilter.py``);
explaining asserts every fact. Both must give the same outcomes, on the bundled data and on data
steered to make each pack's rules fire; and the filter must read each condition as the engines do.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partybuild_rules import Dataset, Pack, load_pack
from partybuild_rules.evaluation.compile import EngineRule, Program
from partybuild_rules.evaluation.evaluator import Evaluator
from partybuild_rules.evaluation.prefilter import FactFilter
from partybuild_rules.testing.strategies import datasets_for_rules

POLICIES = Path(__file__).resolve().parents[1] / "policies"
NOBODY = "-"  # a subject id no record has: explaining it asserts every fact and watches none


def _both(evaluator: Evaluator, data: Dataset, year: int) -> tuple[str, str]:
    pruned = evaluator.evaluate(data, year)
    whole, _ = evaluator.evaluate_watching(data, year, NOBODY)
    return pruned.to_json(), whole.to_json()


def test_the_bundled_example_gives_the_same_outcomes_with_and_without_near_misses(
    tongjiang_pack: Pack, example_data: Dataset, engine: str
) -> None:
    with Evaluator(tongjiang_pack, engine) as evaluator:
        pruned, whole = _both(evaluator, example_data, 2024)
    assert pruned == whole


@pytest.mark.parametrize("name", ["tongjiang", "party-dues", "points", "fuyuan"])
@settings(max_examples=8, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_steered_data_gives_the_same_outcomes_with_and_without_near_misses(
    name: str, engine: str, data: st.DataObject
) -> None:
    pack = _pack(name)
    dataset = data.draw(datasets_for_rules(pack, [r.id for r in pack.rules], year=2024))
    with Evaluator(pack, engine) as evaluator:
        pruned, whole = _both(evaluator, dataset, 2024)
    assert pruned == whole


_PACKS: dict[str, Pack] = {}


def _pack(name: str) -> Pack:
    if name not in _PACKS:
        _PACKS[name] = load_pack(POLICIES / name)
    return _PACKS[name]


# -- the filter reads conditions as the engines do ------------------------------------------------


def _filter(condition: dict[str, object], *more: dict[str, object]) -> FactFilter:
    rules = tuple(EngineRule(f"q|{i}", "q", "R", "", (("m", c),)) for i, c in enumerate((condition, *more)))
    program = Program(pack=None, queries=(), engine_rules=rules, rulesets=(rules,), route={"q": 0},  # type: ignore[arg-type]
                      parameters_used={})
    return FactFilter(program)


def test_a_missing_or_null_field_fails_every_test_even_not_equal() -> None:
    for condition in ({"count": 1}, {"$lt": {"count": 5}}, {"$neq": {"count": 5}}, {"$ne": {"tier": "好"}}):
        kept = _filter(condition)
        assert not kept.may_fire({"q": "q", "s": "M1"})
        assert not kept.may_fire({"q": "q", "s": "M1", "count": None, "tier": None})


def test_comparisons_and_logic() -> None:
    kept = _filter({"$and": [{"q": "q"}, {"$or": [{"$gte": {"length": 6}}, {"tier": "差"}]}, {"in_year": 1}]})
    assert kept.may_fire({"q": "q", "length": 6, "in_year": 1})
    assert kept.may_fire({"q": "q", "length": 2, "tier": "差", "in_year": 1})
    assert not kept.may_fire({"q": "q", "length": 5, "tier": "好", "in_year": 1})
    assert not kept.may_fire({"q": "q", "length": 9, "in_year": 0})
    assert not kept.may_fire({"q": "other", "length": 9, "in_year": 1})  # no rule of its query


def test_a_fact_one_pattern_of_one_rule_may_match_is_kept() -> None:
    kept = _filter({"$lt": {"count": 1}}, {"$gte": {"count": 10}})
    assert kept.may_fire({"q": "q", "count": 0}) and kept.may_fire({"q": "q", "count": 12})
    assert not kept.may_fire({"q": "q", "count": 5})


def test_what_only_the_engine_can_decide_is_kept() -> None:
    joined = _filter({"$and": [{"q": "q"}, {"s": {"p0": "s"}}]})
    assert joined.may_fire({"q": "q", "s": "M1"})  # equal to an earlier pattern's field: the engine's to say
    mixed = _filter({"$lt": {"count": 3}})
    assert mixed.may_fire({"q": "q", "count": "2"})  # text against a number
