"""The evaluator builds its outcomes without validating their fields again
(:func:`partybuild_rules.domain.outcomes.built`): every outcome it makes must be the very record
validation makes of the same fields, value by value and type by type (money to the fen, enums,
tuples, dates), on every bundled pack and on both engines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from partybuild_rules import Dataset, bundled_dataset, evaluate, load_dataset, load_pack
from partybuild_rules.domain.model import SubjectKind
from partybuild_rules.domain.outcomes import Allowance, Evaluation, Provenance, built

ROOT = Path(__file__).resolve().parents[1]
PACKS = ["policies/tongjiang", "policies/fuyuan", "policies/party-dues", "policies/points", "tests/packs/neighbour"]


def _same(made: Any, validated: Any, where: str) -> None:
    """``made`` and ``validated`` are equal and of the same types all the way down."""
    assert type(made) is type(validated), f"{where}: {type(made).__name__} ≠ {type(validated).__name__}"
    if isinstance(made, BaseModel):
        assert made.model_fields_set <= set(type(made).model_fields), where
        assert list(made.__dict__) == list(validated.__dict__), f"{where}: fields in another order"
        for name in type(made).model_fields:
            _same(getattr(made, name), getattr(validated, name), f"{where}.{name}")
    elif isinstance(made, dict):
        assert list(made) == list(validated), where
        for key in made:
            _same(made[key], validated[key], f"{where}[{key!r}]")
    elif isinstance(made, (list, tuple)):
        assert len(made) == len(validated), where
        for i, (a, b) in enumerate(zip(made, validated)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(made, Decimal):  # equal is not enough: 10 and 10.00 are equal
        assert made.as_tuple() == validated.as_tuple(), f"{where}: {made} ≠ {validated}"
    else:
        assert made == validated, f"{where}: {made!r} ≠ {validated!r}"


@pytest.fixture(scope="module")
def evaluated() -> dict[str, list[Any]]:
    results = {}
    for folder in PACKS:
        pack = load_pack(ROOT / folder)
        data: Dataset = load_dataset(bundled_dataset(), [pack])
        results[folder] = list(evaluate(pack, data, 2024).outcomes)
    return results


@pytest.mark.parametrize("folder", PACKS)
def test_every_outcome_is_what_validation_makes_of_it(evaluated: dict[str, list[Any]], folder: str) -> None:
    outcomes = evaluated[folder]
    assert len(outcomes) > 100
    kinds = set()
    for outcome in outcomes:
        kinds.add(outcome.kind)
        again = type(outcome).model_validate(outcome.model_dump())  # the measures and provenance too
        _same(outcome, again, f"{outcome.rule_id} {outcome.subject} {outcome.period}")
        assert outcome.model_dump_json() == again.model_dump_json()
        assert outcome == again and hash(outcome.sort_key()) == hash(again.sort_key())
    assert kinds, folder


def test_the_packs_between_them_give_every_kind_of_outcome_the_evaluator_builds(
    evaluated: dict[str, list[Any]],
) -> None:
    kinds = {o.kind for outcomes in evaluated.values() for o in outcomes}
    assert {"evaluation", "commendation", "reprimand", "compliance", "allowance", "charge"} <= kinds
    # money paid by the day at a rate that changes in the year (the neighbour's dated parameters)
    prorated = [o for o in evaluated["tests/packs/neighbour"] if o.kind == "allowance" and o.days_held < o.days_in_period]
    assert prorated


def _provenance(**changes: Any) -> Provenance:
    fields: dict[str, Any] = dict(rule_id="A1", rule_title="t", pack="p", pack_version="1", file="f.yaml", line=3,
                                  source="s", facts=({"pattern": "m", "s": "M1"},), parameters={"n": "1"})
    return built(Provenance, **{**fields, **changes})


def test_a_built_record_takes_the_defaults_of_the_fields_not_given() -> None:
    common = dict(rule_id="E1", subject_kind=SubjectKind.UNIT, subject="U1", subject_name="单位", community="C1",
                  year=2024, period="2024", provenance=_provenance())
    made = built(Evaluation, score="90.00", tier="优秀", rating=True, **common)
    validated = Evaluation(score="90.00", tier="优秀", rating=True, **common)
    _same(made, validated, "evaluation")
    assert made.kind == "evaluation" and made.model_fields_set == validated.model_fields_set
    assert made.model_dump_json() == validated.model_dump_json()
    with pytest.raises(Exception):  # frozen, as validated records are
        made.tier = "合格"  # type: ignore[misc]


def test_a_missing_or_unknown_field_is_refused() -> None:
    with pytest.raises(TypeError, match="`parameters` is missing"):
        built(Provenance, rule_id="A1", rule_title="t", pack="p", pack_version="1", file="f", line=1, source="s",
              facts=())
    with pytest.raises(TypeError, match="unknown fields"):
        _provenance(colour="red")
    with pytest.raises(KeyError):  # only the records the evaluator builds
        built(Allowance.__base__, rule_id="x")  # type: ignore[type-var]


def test_a_copy_with_changes_leaves_the_records_it_was_copied_from_as_they_were() -> None:
    common = dict(rule_id="E1", subject_kind=SubjectKind.UNIT, subject="U1", subject_name="单位", community="C1",
                  year=2024, period="2024", provenance=_provenance())
    first = built(Evaluation, score="90.00", tier="优秀", rating=True, **common)
    second = built(Evaluation, score="80.00", tier="良好", rating=True, **common)
    assert "kind" not in first.model_fields_set
    changed = first.model_copy(update={"kind": "evaluation", "tier": "合格"})
    assert changed.tier == "合格" and "kind" in changed.model_fields_set
    assert (first.tier, second.tier) == ("优秀", "良好")
    assert "kind" not in first.model_fields_set and "kind" not in second.model_fields_set
