"""The library agrees with the independent reference evaluator (``reference.py``) outcome for
outcome: the same keys (rule, subject, period) per rule, the same counts, and the same details
(amounts to the fen, scores and tiers, reprimand measures, finding counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import reference
from helpers import as_expected, pack

from partybuild_rules import (
    Result,
    bundled_dataset,
    evaluate,
    load_dataset,
)
from partybuild_rules.data.generate import generate, write_dataset


@dataclass(frozen=True)
class Case:
    dataset: str
    year: int
    overrides: tuple[tuple[str, str], ...] = ()


CASES = {
    "bundled-2024": Case("bundled", 2024),
    "bundled-2023": Case("bundled", 2023),
    "bundled-2024-overrides": Case("bundled", 2024, (
        ("absence_months", "4"), ("rectification_days", "10"), ("minimum_income", "1300.05"),
        ("grid_leader_subsidy", "1270.05"), ("tier_good_min", "88"), ("review_satisfied_min", "90"),
        ("commend_min_activities", "20"), ("new_org_funds_fair", "3333.33"),
        ("balance_tolerance", "0.5"), ("balance_max_moves", "7"),
    )),
    "seed7-2024": Case("seed7", 2024),
}


def reference_params(overrides: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The reference's parameters for the library's overrides (only those used in CASES)."""
    params: dict[str, Any] = {}
    for name, value in overrides:
        if name in ("absence_months", "rectification_days", "commend_min_activities"):
            params[name] = int(value)
        elif name in ("minimum_income", "grid_leader_subsidy"):
            params[name] = Decimal(value)
        elif name == "tier_good_min":
            params["rating_tiers"] = tuple(
                (Decimal(value) if t == "好" else low, t) for low, t in reference.DEFAULTS["rating_tiers"]
            )
        elif name == "review_satisfied_min":
            params["review_tiers"] = tuple(
                (Decimal(value) if t == "满意" else low, t) for low, t in reference.DEFAULTS["review_tiers"]
            )
        elif name == "balance_tolerance":
            params[name] = Decimal(value)
        elif name == "balance_max_moves":
            params[name] = int(value)
        elif name == "new_org_funds_fair":
            params["new_org_funds"] = {**reference.DEFAULTS["new_org_funds"], "较好": Decimal(value)}
        else:  # pragma: no cover - a new case needs a mapping here
            raise KeyError(name)
    return params


@pytest.fixture(scope="module")
def dataset_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    bundled = Path(bundled_dataset())
    if not bundled.exists():
        bundled = tmp_path_factory.mktemp("bundled") / "dataset.json"
        write_dataset(bundled, generate())
    seed7 = tmp_path_factory.mktemp("seed7") / "dataset.json"
    write_dataset(seed7, generate(scale=1, seed=7))
    return {"bundled": bundled, "seed7": seed7}


@pytest.fixture(scope="module")
def compared(dataset_files: dict[str, Path], engine: str) -> dict[str, tuple[Counter[Any], Counter[Any], Result]]:
    """Per case: the library's outcomes as reference keys, the reference's, and the result."""
    loaded = {name: (load_dataset(path), reference.load(path)) for name, path in dataset_files.items()}
    out = {}
    for name, case in CASES.items():
        data, raw = loaded[case.dataset]
        result = evaluate(pack(**dict(case.overrides)), data, case.year)
        library = Counter(as_expected(o) for o in result.outcomes)
        wanted = Counter(reference.expected(raw, case.year, reference_params(case.overrides)))
        out[name] = (library, wanted, result)
    return out




RULES = [rule.id for rule in pack().rules]

KNOWN_BUGS: dict[tuple[str, str], str] = {}


def rule_cases() -> list[Any]:
    return [
        pytest.param(rule_id, case, id=f"{rule_id}-{case}", marks=(
            [pytest.mark.xfail(reason=KNOWN_BUGS[(rule_id, case)], strict=True)]
            if (rule_id, case) in KNOWN_BUGS else []
        ))
        for case in CASES for rule_id in RULES
    ]


def of_rule(outcomes: Counter[Any], rule_id: str) -> Counter[Any]:
    return Counter({o: n for o, n in outcomes.items() if o.rule_id == rule_id})


def keys(outcomes: Counter[Any]) -> Counter[Any]:
    found: Counter[Any] = Counter()
    for o, n in outcomes.items():
        found[(o.subject_kind, o.subject, o.period)] += n
    return found


@pytest.mark.parametrize(("rule_id", "case"), rule_cases())
def test_outcome_keys_match_the_reference(compared: dict[str, Any], case: str, rule_id: str) -> None:
    """Per rule, the library's (subject, period) keys equal the reference's, with multiplicity."""
    library, wanted, _ = compared[case]
    got, want = keys(of_rule(library, rule_id)), keys(of_rule(wanted, rule_id))
    assert got - want == Counter(), "outcomes the reference does not expect"
    assert want - got == Counter(), "outcomes the library misses"
    assert sum(got.values()) == sum(want.values())


@pytest.mark.parametrize(("rule_id", "case"), rule_cases())
def test_outcome_details_match_the_reference(compared: dict[str, Any], case: str, rule_id: str) -> None:
    """Per rule, amounts (to the fen), scores and tiers, measures and counts equal the reference's."""
    library, wanted, _ = compared[case]
    got, want = of_rule(library, rule_id), of_rule(wanted, rule_id)
    assert got - want == Counter(), "outcomes differing from the reference"
    assert want - got == Counter(), "reference outcomes the library does not give"


def test_allowance_totals_match_the_reference(compared: dict[str, Any]) -> None:
    """The money of each allowance rule sums to the same exact total as the reference's."""
    library, wanted, _ = compared["bundled-2024"]
    for rule_id in (r for r in RULES if r.startswith("A")):
        def total(outcomes: Counter[Any]) -> Decimal:
            return sum((o.detail[0] * n for o, n in of_rule(outcomes, rule_id).items()), Decimal(0))
        assert total(library) == total(wanted), rule_id


def test_every_rule_fires_on_the_bundled_data(compared: dict[str, Any]) -> None:
    """The bundled example exercises every rule of the pack at least once."""
    _, _, result = compared["bundled-2024"]
    assert [r for r in RULES if not result.of_rule(r)] == []


def test_the_overrides_change_outcomes(compared: dict[str, Any]) -> None:
    """The override case really differs from the defaults (so that it tests the parameters)."""
    default, _, _ = compared["bundled-2024"]
    changed, _, _ = compared["bundled-2024-overrides"]
    for rule_id in ("R2.member-absence", "R7.rectification-overdue", "A1.committee-wage",
                    "A2.grid-leader-subsidy", "E1.annual-rating", "E3.two-way-review",
                    "E2.advanced-individual", "B1.balancing"):
        assert of_rule(default, rule_id) != of_rule(changed, rule_id), rule_id
