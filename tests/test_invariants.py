"""The invariants of ``partybuild_rules.testing``: each holds for the Tongjiang pack where it
should, each can fail (shown with a deliberately wrong evaluator or pack), counterexamples
reproduce, and the engine agrees with the plain reference evaluator of ``tests/reference.py``."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

import pytest
import reference
from helpers import as_expected
from hypothesis import HealthCheck, given, settings

from partybuild_rules import (
    Allowance,
    Dataset,
    Pack,
    Result,
    evaluate,
)
from partybuild_rules.domain.model import SubjectKind
from partybuild_rules.domain.outcomes import sorted_outcomes
from partybuild_rules.testing import (
    Budget,
    check_idempotence,
    check_money,
    check_monotone,
    check_order_independence,
    check_partition,
    check_tier_table,
    community_alone,
    datasets,
    tier_names,
)

YEAR = 2024
SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# A search inside a test: its examples scale with the hypothesis profile (ci 5, dev 10, thorough 100).
EXAMPLES = max(5, settings().max_examples // 5)
BUDGET = Budget(max_examples=EXAMPLES, seed=1)
SEARCH = Budget(max_examples=max(20, EXAMPLES), seed=1)
"""For searches that must find a planted fault: what hypothesis draws also depends on which
modules are loaded (it mines them for constants), so a tiny budget could miss in some runs."""


# -- differential: the engine against the reference evaluator ----------------------------------




@SLOW
@given(datasets(tiers=("好", "较好", "一般", "差")))
def test_differential_against_reference(tongjiang_pack: Pack, data: Dataset) -> None:
    """For datasets drawn from the public strategies, the Tongjiang pack at its defaults gives
    exactly the outcomes (keys and details) that the independent reference evaluator expects."""
    library = Counter(as_expected(o) for o in evaluate(tongjiang_pack, data, YEAR).outcomes)
    wanted = Counter(reference.expected(data.model_dump(mode="json"), YEAR))
    assert sorted(library - wanted) == [], "outcomes the reference does not expect"
    assert sorted(wanted - library) == [], "reference outcomes the library does not give"


# -- order-independence and idempotence -----------------------------------------------------


def first_member_dropped(pack: Pack, data: Dataset, year: int) -> Result:
    """A wrong evaluator whose outcomes depend on record order: it forgets the first member (and
    sorts the rest completely, so that only its own fault shows)."""
    result = evaluate(pack, data, year)
    first = data.members[0].id if data.members else None
    kept = sorted((o for o in result.outcomes if o.subject != first), key=lambda o: o.model_dump_json())
    return result.model_copy(update={"outcomes": tuple(kept)})


def test_order_independence_catches_an_order_dependent_evaluator(tongjiang_pack: Pack) -> None:
    """Property: the same records in any order give the same outcomes; a check that cannot fail
    is a defect, so here it must fail."""
    result = check_order_independence(tongjiang_pack, BUDGET, evaluate=first_member_dropped)
    assert not result.held and result.violation is not None
    assert result.violation.message == "the same records in another order give other outcomes"
    assert len(result.violation.dataset["members"]) >= 2  # type: ignore[index]


def test_idempotence_holds_for_the_engine(tongjiang_pack: Pack) -> None:
    """Property: evaluating the same dataset twice gives the same result."""
    result = check_idempotence(tongjiang_pack, BUDGET)
    assert result.held and result.examples == EXAMPLES


def test_idempotence_catches_an_evaluator_with_memory(tongjiang_pack: Pack) -> None:
    calls: Counter[str] = Counter()

    def forgetful(pack: Pack, data: Dataset, year: int) -> Result:
        calls[data.model_dump_json()] += 1
        result = evaluate(pack, data, year)
        return result if calls[data.model_dump_json()] == 1 else result.model_copy(update={"outcomes": ()})

    result = check_idempotence(tongjiang_pack, BUDGET, evaluate=forgetful)
    assert not result.held and result.violation is not None and result.violation.details["missing"]


def _two_findings(order: list[str]) -> Dataset:
    """Two findings of one unit due in the same month, in ``order``."""
    findings = {"F1": "2024-02-04", "F2": "2024-02-03"}
    return Dataset.model_validate({
        "covers": {"start": "2024-01-01", "end": "2024-12-31"},
        "communities": [{"id": "C1", "name": "东江社区"}],
        "units": [{"id": "U1", "name": "同江市财政局", "community": "C1"}],
        "inspection_groups": [{"id": "IG1", "name": "第一巡回督查组"}],
        "events": [{"id": "E1", "type": "inspection", "date": "2024-01-28", "group": "IG1",
                    "subject_kind": "unit", "subject": "U1",
                    "findings": [{"id": f, "description": "问题", "deadline": findings[f]} for f in order]}],
    })


def test_result_order_does_not_depend_on_record_order(tongjiang_pack: Pack) -> None:
    """The counterexample `determinism` found: two findings of one unit due in the same month.
    Reversing them must not reorder the result."""
    forward = evaluate(tongjiang_pack, _two_findings(["F1", "F2"]), YEAR)
    backward = evaluate(tongjiang_pack, _two_findings(["F2", "F1"]), YEAR)
    assert forward.outcomes == backward.outcomes


def test_result_order_is_the_order_of_the_sort_keys(tongjiang_pack: Pack, example_result: Result) -> None:
    """The result is sorted writing out the matched facts only for outcomes otherwise tied; the
    order is the one of the whole sort keys, whatever order the outcomes come in."""
    tied = list(evaluate(tongjiang_pack, _two_findings(["F2", "F1"]), YEAR).outcomes)
    assert max(Counter(o._sort_head() for o in tied).values()) > 1, "two outcomes tied but for their facts"
    outcomes = sorted([*example_result.outcomes, *tied], key=lambda o: o.sort_key())
    for seed in range(3):
        shuffled = outcomes[:]
        random.Random(seed).shuffle(shuffled)
        assert sorted_outcomes(shuffled) == outcomes

# -- partition-independence ----------------------------------------------------------------------


@SLOW
@given(datasets(communities=(2, 3)))
def test_a_community_alone_keeps_its_subjects_and_their_events(data: Dataset) -> None:
    """Property of the partition: a community's own dataset is consistent, keeps its units, its
    resident members and every event involving them, and adds only referenced context."""
    for place in data.communities:
        alone = community_alone(data, place.id)
        own_units = {u.id for u in data.units if u.community == place.id}
        own_members = {m.id for m in data.members if m.residence_community == place.id}
        assert own_units <= {u.id for u in alone.units} and own_members <= {m.id for m in alone.members}
        kept = {e.id for e in alone.events}
        for event in data.events:
            involved = (set(getattr(event, "participants", ())) & own_members
                        or set(getattr(event, "units", ())) & own_units
                        or getattr(event, "unit", None) in own_units
                        or getattr(event, "member", None) in own_members
                        or getattr(event, "community", None) == place.id
                        or getattr(event, "subject", None) in own_units | {place.id})
            if involved:
                assert event.id in kept, event


def test_partition_holds_for_the_tongjiang_pack(tongjiang_pack: Pack) -> None:
    """Property: for `local` rules, each community evaluated alone gives its subjects the outcomes
    they get in the whole city."""
    result = check_partition(tongjiang_pack, BUDGET)
    assert result.held, result.violation


def test_partition_catches_a_rule_wrongly_declared_local(tongjiang_pack: Pack) -> None:
    """The secretary subsidy reads the rating of the role's community: declared local, it breaks."""
    rules = tuple(r.model_copy(update={"local": True}) if r.id == "A4.secretary-subsidy" else r
                  for r in tongjiang_pack.rules)
    # hypothesis draws differently for each budget: with SEARCH (20) it misses this fault, with
    # 50 it finds it at the 9th example (seed 1)
    result = check_partition(dataclasses.replace(tongjiang_pack, rules=rules, _cache={}),
                             Budget(max_examples=max(50, EXAMPLES), seed=1))
    assert not result.held and result.violation is not None
    assert "A4.secretary-subsidy" in str(result.violation.details)


# -- monotonicity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rule_id", ["C1.unit-monthly-report", "C3.quarterly-activity", "C4.inspection-coverage"])
def test_counts_below_a_minimum_are_monotone(tongjiang_pack: Pack, rule_id: str) -> None:
    """Property: one more counted event never adds an outcome of a `count … less_than` rule."""
    result = check_monotone(tongjiang_pack, rule_id, BUDGET)
    assert result.held, result.violation


def test_monotonicity_catches_a_count_at_least(tongjiang_pack: Pack) -> None:
    """A commendation for at least N activities is not monotone: one more activity can add it
    (with the threshold at 1, and absence streaks too long to reprimand anyone)."""
    pack = tongjiang_pack.with_overrides({"commend_min_activities": 1, "absence_months": 24})
    result = check_monotone(pack, "E2.advanced-individual", BUDGET)
    assert not result.held and result.violation is not None
    assert result.violation.details["added"]["type"] == "activity"


def test_monotonicity_is_undefined_for_conditions_without_counts(tongjiang_pack: Pack) -> None:
    result = check_monotone(tongjiang_pack, "R1.unit-interview", BUDGET)
    assert not result.held and result.examples == 0
    assert "counts no events" in result.violation.message  # type: ignore[union-attr]


# -- money and tiers ---------------------------------------------------------------------------------


def test_money_holds_for_the_tongjiang_pack(tongjiang_pack: Pack) -> None:
    """Property: allowances are non-negative, exact to the fen, equal to their formula pro rata,
    twelve full months make twelve times the monthly amount."""
    result = check_money(tongjiang_pack, BUDGET)
    assert result.held, result.violation


def test_money_catches_an_amount_off_by_a_fen(tongjiang_pack: Pack) -> None:
    from decimal import Decimal

    def generous(pack: Pack, data: Dataset, year: int) -> Result:
        result = evaluate(pack, data, year)
        return result.model_copy(update={"outcomes": tuple(
            o.model_copy(update={"amount": o.amount + Decimal("0.01")}) if isinstance(o, Allowance) else o
            for o in result.outcomes)})

    result = check_money(tongjiang_pack, BUDGET, evaluate=generous)
    assert not result.held and result.violation is not None
    assert "rounded half up" in result.violation.message or "more than the whole" in result.violation.message


@pytest.mark.parametrize("rule_id", ["E1.annual-rating", "E3.two-way-review"])
def test_the_tongjiang_tiers_cover_the_score_domain(tongjiang_pack: Pack, rule_id: str) -> None:
    assert check_tier_table(tongjiang_pack, rule_id).held


def test_tiers_under_overrides_can_overlap(tongjiang_pack: Pack) -> None:
    """Static, at the pack's values: with 好 from 75, 好 overlaps 一般 (60 to below 80) and 较好
    (80 to below 75) is empty; the witness scoring 75.00 gets two tiers."""
    pack = tongjiang_pack.with_overrides({"tier_good_min": "75"})
    result = check_tier_table(pack, "E1.annual-rating")
    assert not result.held and result.violation is not None
    assert result.violation.message.startswith("`E1.annual-rating`: scores 75.00–79.99 fall in 2 tiers")
    assert result.violation.details["tiers the witness gets"] == ["好", "一般"]
    assert result.violation.dataset is not None
    again = evaluate(pack, Dataset.model_validate(result.violation.dataset), YEAR)
    assert len(again.of_rule("E1.annual-rating")) == 2


def test_the_strategies_use_the_packs_tiers(tongjiang_pack: Pack) -> None:
    assert set(tier_names(tongjiang_pack)) == {t.tier for t in tongjiang_pack.rule("E1.annual-rating").tiers or ()}
    assert SubjectKind.UNIT in tongjiang_pack.rule("E1.annual-rating").subjects
