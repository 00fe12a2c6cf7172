"""The packs written in the open language without new Python: party dues, points, and (with
composition) a neighbouring city. Each is validated, runs its own YAML cases, passes every
consistency check, evaluates on the bundled data from the CLI, and keeps personal data out of
what it shows."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from partybuild_rules import Charge, load_dataset, load_pack, run_pack_tests
from partybuild_rules.analysis.explain import explain
from partybuild_rules.analysis.pack_tests import load_cases
from partybuild_rules.cli import main
from partybuild_rules.data.resources import bundled_dataset
from partybuild_rules.domain.model import Dataset
from partybuild_rules.evaluation.evaluator import evaluate
from partybuild_rules.testing import run_checks

ROOT = Path(__file__).resolve().parents[1]
NEW_PACKS = ["party-dues", "points", "fuyuan"]


@pytest.fixture(scope="module")
def bundled() -> Dataset:
    packs = [load_pack(ROOT / "policies" / name) for name in ("party-dues", "points")]
    return load_dataset(bundled_dataset(), packs)


@pytest.mark.parametrize("name", NEW_PACKS)
def test_the_pack_validates_and_its_cases_pass_covering_every_rule(name: str) -> None:
    """`validate` accepts the pack; its YAML cases all pass and name every rule."""
    pack = load_pack(ROOT / "policies" / name)
    report = run_pack_tests(pack)
    assert report.ok, [c.name for c in report.cases if not c.passed]
    named = {e.rule for item in load_cases(pack) for e in (*item.case.expect, *item.case.expect_none) if e.rule}
    assert {rule.id for rule in pack.rules} <= named


@pytest.mark.parametrize("name", NEW_PACKS)
def test_the_pack_passes_every_consistency_check(name: str) -> None:
    """Every property `check` runs holds for the pack (a small, seeded budget)."""
    report = run_checks(load_pack(ROOT / "policies" / name), max_examples=15, seed=1)
    assert report.ok, [v.violation.message for v in report.violations if v.violation]


@pytest.mark.parametrize("name", NEW_PACKS)
def test_the_pack_evaluates_on_the_bundled_data_from_the_cli(name: str) -> None:
    """`evaluate --policies policies/NAME` needs no other argument."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--policies", str(ROOT / "policies" / name), "--format", "json"], out=out, err=err)
    assert code == 0, err.getvalue()
    outcomes = json.loads(out.getvalue())["outcomes"]
    rules = {rule.id for rule in load_pack(ROOT / "policies" / name).rules}
    assert {o["rule_id"] for o in outcomes} <= rules and outcomes


def test_dues_follow_the_band_of_the_whole_income_with_cliffs(bundled: Dataset) -> None:
    """Each in-service member's monthly dues are the rate of the band the whole income falls in
    (upper bounds inclusive) times the income, half up to the fen — worked out here from the
    regulation's numbers, not from the pack."""
    result = evaluate(load_pack(ROOT / "policies" / "party-dues"), bundled, 2024)
    members = {m.id: m for m in bundled.members}
    checked = 0
    for outcome in result.of_rule("D1.in-service-dues"):
        income = Decimal(members[outcome.subject].attributes["monthly_income"])
        rate = next(r for bound, r in ((3000, "0.005"), (5000, "0.01"), (10000, "0.015"), (None, "0.02"))
                    if bound is None or income <= bound)
        assert outcome.amount == (income * Decimal(rate)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
        checked += 1
    assert checked > 10000


def test_personal_income_never_appears_in_what_is_shown(bundled: Dataset) -> None:
    """The income (a personal attribute) is in no outcome's provenance, basis, explanation or the
    summary; the basis names the band instead."""
    pack = load_pack(ROOT / "policies" / "party-dues")
    result = evaluate(pack, bundled, 2024)
    charge = next(o for o in result.outcomes if isinstance(o, Charge) and o.rule_id == "D1.in-service-dues")
    income = next(m for m in bundled.members if m.id == charge.subject).attributes["monthly_income"]
    scaled = str(int(Decimal(income) * 100))
    shown = json.dumps(charge.model_dump(mode="json"), ensure_ascii=False) + explain(result, charge.subject)
    assert income not in shown and scaled not in shown
    assert "in_service_rates" in charge.basis and "<" in charge.basis
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", "--policies", str(ROOT / "policies" / "party-dues")], out=out, err=err) == 0
    assert income not in out.getvalue()


def test_the_tongjiang_pack_reads_the_same_bundled_data(bundled: Dataset) -> None:
    """The bundled data carries the new packs' records and still evaluates under the Tongjiang
    pack alone: `declared_by` names the packs that declare them."""
    result = evaluate(load_pack(ROOT / "policies" / "tongjiang"), bundled, 2024)
    assert result.of_rule("R2.member-absence")
    assert set(bundled.declared_by) == {"party-dues", "points"}
