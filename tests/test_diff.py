"""The impact diff: two packs evaluated on the bundled example, outcomes matched and money compared.

Expected values are computed here from the dataset itself, never from the library's output.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from partybuild_rules import (
    Allowance,
    Dataset,
    Pack,
    PolicyError,
    Result,
    bundled_pack,
    evaluate,
)
from partybuild_rules.analysis.diff import (
    ImpactDiff,
    diff_results,
    impact,
    outcome_key,
    resolve_side,
)
from partybuild_rules.reports.diff import diff_to_json, render_diff

YEAR = 2024
FEN = Decimal("0.01")


def _half_up(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def wage_diff(tongjiang_pack: Pack, example_data: Dataset, example_result: Result, engine: str) -> ImpactDiff:
    """Minimum income raised from 1,270.00 to 1,300.00."""
    raised = resolve_side("minimum_income=1300.00", tongjiang_pack)
    return diff_results(example_result, evaluate(raised, example_data, YEAR))


@pytest.fixture(scope="module")
def absence_diff(tongjiang_pack: Pack, example_data: Dataset, engine: str) -> ImpactDiff:
    """Absence streak threshold lowered from 6 months to 5, through :func:`impact`."""
    return impact(tongjiang_pack, resolve_side({"absence_months": 5}, tongjiang_pack), example_data, YEAR)


def committee_months(data: Dataset) -> list[tuple[int, int]]:
    """``(days held, days in month)`` for each committee-member holding and each month of the
    year that lies wholly inside the recorded dates."""
    held = []
    for member in data.members:
        for holding in member.roles:
            if holding.role.value != "committee_member":
                continue
            for month in range(1, 13):
                days = calendar.monthrange(YEAR, month)[1]
                first, last = date(YEAR, month, 1), date(YEAR, month, days)
                if first < data.covers.start or last > data.covers.end:
                    continue
                start, end = max(first, holding.start), min(last, holding.end or date.max)
                if start <= end:
                    held.append(((end - start).days + 1, days))
    return held


# -- raising the minimum income -------------------------------------------------------------


def test_raising_minimum_income_changes_only_committee_wages(wage_diff: ImpactDiff) -> None:
    """1,270 → 1,300 changes every A1 wage and nothing else: no outcome appears or disappears,
    and A2 (its own parameter `grid_leader_subsidy`) keeps its money."""
    changes = [(p.name, p.old, p.new) for p in wage_diff.parameters]
    assert changes == [("minimum_income", "1270.00", "1300.00")]
    assert wage_diff.parameters[0].title == ""  # diff_results alone knows no titles
    assert wage_diff.added == () and wage_diff.removed == ()
    assert wage_diff.changed
    assert {c.key.rule_id for c in wage_diff.changed} == {"A1.committee-wage"}
    assert {c.fields for c in wage_diff.changed} == {("amount", "full_amount")}
    for rule in wage_diff.rules:
        if rule.rule_id == "A1.committee-wage":
            assert rule.changed == rule.base_count == rule.new_count == len(wage_diff.changed)
            continue
        assert (rule.added, rule.removed, rule.changed) == (0, 0, 0), rule.rule_id
        assert rule.money is None or rule.money.delta == 0, rule.rule_id
    grid = next(r for r in wage_diff.rules if r.rule_id == "A2.grid-leader-subsidy")
    assert grid.money is not None and grid.money.base == grid.money.new > 0


def test_full_month_committee_wage_goes_from_3175_to_3250(wage_diff: ImpactDiff) -> None:
    """A member who held the role all month is paid 2.5 × 1,270.00 before and 2.5 × 1,300.00 after."""
    full = 0
    for change in wage_diff.changed:
        old, new = change.base, change.new
        assert isinstance(old, Allowance) and isinstance(new, Allowance)
        if new.days_held == new.days_in_period:
            assert (old.amount, new.amount, change.amount_delta) == (
                Decimal("3175.00"), Decimal("3250.00"), Decimal("75.00")
            )
            full += 1
    assert full


def test_committee_wage_yearly_cost_delta_is_computed_independently(
    wage_diff: ImpactDiff, example_data: Dataset
) -> None:
    """The A1 yearly cost difference is the sum over held role-months of the pro-rated new wage
    minus the pro-rated old wage, each rounded half up to the fen; on this dataset that equals
    the sum of 75.00 × days/days_in_month rounded per month."""
    held = committee_months(example_data)
    expected = sum(
        (_half_up(Decimal("3250.00") * d / n) - _half_up(Decimal("3175.00") * d / n) for d, n in held),
        Decimal(0),
    )
    assert expected == sum((_half_up(Decimal("75.00") * d / n) for d, n in held), Decimal(0))
    a1 = next(r for r in wage_diff.rules if r.rule_id == "A1.committee-wage")
    assert a1.money is not None
    assert a1.money.delta == expected == wage_diff.total.delta
    assert a1.money.base == sum((_half_up(Decimal("3175.00") * d / n) for d, n in held), Decimal(0))
    assert len(wage_diff.changed) == len(held)


def test_money_per_rule_and_per_community_adds_up_to_the_total(wage_diff: ImpactDiff) -> None:
    """Per-rule and per-community totals are two partitions of the same money."""
    for side in ("base", "new", "delta"):
        by_rule = sum((getattr(r.money, side) for r in wage_diff.rules if r.money), Decimal(0))
        by_community = sum((getattr(c.money, side) for c in wage_diff.communities), Decimal(0))
        assert by_rule == by_community == getattr(wage_diff.total, side), side
    assert sum(c.changed for c in wage_diff.communities) == len(wage_diff.changed)
    assert [c.community for c in wage_diff.communities] == sorted(c.community for c in wage_diff.communities)


# -- lowering the absence threshold ----------------------------------------------------------


def test_shorter_absence_threshold_adds_reprimands_and_no_money(absence_diff: ImpactDiff) -> None:
    """6 → 5 months: new R2 reprimands appear; an existing streak is the same outcome, reached a
    month earlier; a streak that reached 6 months in January reaches 5 in December of the year
    before, so it leaves this year's results; no money moves."""
    assert [(p.name, p.old, p.new) for p in absence_diff.parameters] == [("absence_months", "6", "5")]
    assert absence_diff.parameters[0].title.startswith("连续不参加")
    assert absence_diff.added
    every = [*absence_diff.added, *absence_diff.removed, *(c.base for c in absence_diff.changed)]
    assert {o.rule_id for o in every} == {"R2.member-absence"}
    assert {o.period for o in absence_diff.removed} <= {"2024-01"}
    for change in absence_diff.changed:
        assert change.fields == ("period",)
        year, month = map(int, change.base.period.split("-"))
        assert change.new.period == f"{year}-{month - 1:02d}"
    r2 = next(r for r in absence_diff.rules if r.rule_id == "R2.member-absence")
    assert r2.new_count - r2.base_count == len(absence_diff.added) - len(absence_diff.removed) > 0
    assert r2.money is None
    assert absence_diff.total.delta == 0
    assert all(c.money.delta == 0 for c in absence_diff.communities)


# -- properties of the diff ----------------------------------------------------------------


def test_identical_packs_give_an_empty_diff(
    tongjiang_pack: Pack, example_data: Dataset, example_result: Result
) -> None:
    """The same pack loaded again from its folder changes nothing."""
    again = resolve_side(bundled_pack(), tongjiang_pack)
    assert again is not tongjiang_pack
    diff = diff_results(example_result, evaluate(again, example_data, YEAR))
    assert diff.empty
    assert all((r.added, r.removed, r.changed) == (0, 0, 0) for r in diff.rules)
    assert diff.total.delta == 0 and diff.total.base > 0
    assert "No differences" in render_diff(diff)


def test_keys_are_unique_without_numbering(example_result: Result) -> None:
    """Every outcome of the bundled example has its own key, also a member paid in two
    communities in one month (the key includes where the role was held)."""
    keys = [outcome_key(o) for o in example_result.outcomes]
    assert len(set(keys)) == len(keys)
    assert any(k.place for k in keys)


def test_diff_does_not_depend_on_outcome_order(example_result: Result, wage_diff: ImpactDiff) -> None:
    """Matching is by key, and the diff's lists are sorted: reordering a result changes nothing."""
    assert diff_results(example_result, example_result).empty
    reversed_base = example_result.model_copy(update={"outcomes": example_result.outcomes[::-1]})
    new = Result.model_validate({
        **example_result.model_dump(exclude={"outcomes", "parameters"}),
        "parameters": {**example_result.parameters, "minimum_income": "1300.00"},
        "outcomes": [c.new for c in wage_diff.changed] + [
            o for o in example_result.outcomes if o.rule_id != "A1.committee-wage"
        ],
    })
    assert diff_results(reversed_base, new) == wage_diff


def test_swapping_the_sides_negates_the_diff(example_result: Result, absence_diff: ImpactDiff) -> None:
    """diff(new, base) has base and new exchanged: added ↔ removed and every delta negated."""
    base = example_result
    new = Result.model_validate({
        **base.model_dump(exclude={"outcomes", "parameters"}),
        "parameters": {**base.parameters, "absence_months": "5"},
        "outcomes": sorted(
            [*absence_diff.added, *(c.new for c in absence_diff.changed), *(
                o for o in base.outcomes
                if outcome_key(o) not in {outcome_key(r) for r in absence_diff.removed}
                and outcome_key(o) not in {c.key for c in absence_diff.changed}
            )],
            key=lambda o: o.sort_key(),
        ),
    })
    forward, backward = diff_results(base, new), diff_results(new, base)
    assert forward == absence_diff.model_copy(update={"parameters": forward.parameters})
    assert backward.added == forward.removed and backward.removed == forward.added
    flipped = {c.key: (c.new, c.base, -c.amount_delta if c.amount_delta else None) for c in forward.changed}
    assert {c.key: (c.base, c.new, c.amount_delta) for c in backward.changed} == flipped
    assert backward.total.delta == -forward.total.delta


def test_results_of_different_years_are_refused(example_result: Result) -> None:
    """Outcomes of two different years are not comparable."""
    with pytest.raises(ValueError, match="same dataset and year"):
        diff_results(example_result, example_result.model_copy(update={"year": 2023}))


# -- text and JSON --------------------------------------------------------------------------


def test_report_shows_parameters_rules_communities_and_the_yearly_cost_difference(
    wage_diff: ImpactDiff, example_data: Dataset
) -> None:
    """The report names the changed parameter, the yearly cost difference (as computed
    independently), each community, and changed wages as `old → new (+delta)`."""
    held = committee_months(example_data)
    delta = sum((_half_up(Decimal("75.00") * d / n) for d, n in held), Decimal(0))
    text = render_diff(wage_diff, max_rows=5)
    assert f"年度经费差额 Yearly cost difference: +{delta:,.2f} 元" in text
    assert re.search(r"minimum_income\s*│[^│]*│\s*1270\.00\s*│\s*1300\.00", text)
    assert re.search(r"A1\.committee-wage \S+（M\d+） 2024-\d\d: 3175\.00 → 3250\.00 \(\+75\.00\)", text)
    assert re.search(rf"A1\.committee-wage\s*│.*│\s*\+{re.escape(f'{delta:,.2f}')}\s*│", text)
    for community in example_data.communities:
        assert f"{community.name}（{community.id}）" in text
    assert f"另 {len(wage_diff.changed) - 5} 项" in text


def test_report_lists_added_and_removed_outcomes(absence_diff: ImpactDiff) -> None:
    """Added outcomes are marked `+`, removed ones `-`, each with what the outcome says."""
    text = render_diff(absence_diff)
    assert "+ R2.member-absence" in text and "通报批评" in text
    assert ("- R2.member-absence" in text) == bool(absence_diff.removed)


def test_json_is_exact_and_round_trips(wage_diff: ImpactDiff) -> None:
    """Money is written as exact strings, and the JSON reads back into an equal diff."""
    text = diff_to_json(wage_diff)
    data = json.loads(text)
    assert data["total"]["delta"] == str(wage_diff.total.delta)
    assert data["changed"][0]["base"]["amount"] == "3175.00"
    assert ImpactDiff.model_validate_json(text) == wage_diff


# -- choosing the sides ---------------------------------------------------------------------


def test_each_spec_form_resolves(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """A Pack, a mapping, inline text, an overrides file (flat or under `parameters:`, YAML or
    JSON), a pack folder and its pack.yaml all name a pack."""
    assert resolve_side(tongjiang_pack, tongjiang_pack) is tongjiang_pack

    def values(pack: Pack) -> tuple[str, str]:
        return str(pack.values["minimum_income"]), str(pack.values["absence_months"])

    flat = tmp_path / "flat.yaml"
    flat.write_text('minimum_income: "1300.00"\nabsence_months: 5\n', encoding="utf-8")
    nested = tmp_path / "nested.yml"
    nested.write_text("parameters:\n  minimum_income: 1300.00\n  absence_months: 5\n", encoding="utf-8")
    as_json = tmp_path / "overrides.json"
    as_json.write_text('{"minimum_income": 1300.00, "absence_months": 5}', encoding="utf-8")
    specs: list[object] = [
        {"minimum_income": "1300.00", "absence_months": 5},
        {"parameters": {"minimum_income": "1300.00", "absence_months": "5"}},
        "minimum_income=1300.00,absence_months=5",
        " minimum_income = 1,300.00 , absence_months=5",
        flat, str(nested), as_json,
    ]
    for spec in specs:
        assert values(resolve_side(spec, tongjiang_pack)) == ("1300.00", "5"), spec  # type: ignore[arg-type]
    assert values(tongjiang_pack) == ("1270.00", "6")

    for spec in (bundled_pack(), str(bundled_pack()), bundled_pack() / "pack.yaml"):
        loaded = resolve_side(spec, tongjiang_pack)
        assert (loaded.name, values(loaded)) == ("tongjiang", ("1270.00", "6"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no/such/pack", r"`no/such/pack` is neither an existing pack folder or file nor `name=value`"),
        ("", r"`` is neither"),
        ("minimum_incom=1300.00", r"unknown parameter `minimum_incom`"),
        ("minimum_income=lots", r"parameter `minimum_income`: `lots` is not a decimal number"),
        ("minimum_income=1300.005", r"more than two decimal places"),
        ("absence_months=", r"`absence_months=` has no value"),
        ("absence_months=5,absence_months=4", r"parameter `absence_months` is given twice"),
        ({"absence_months": 99}, r"`99` is above the maximum 24"),
    ],
)
def test_bad_specs_are_policy_errors(tongjiang_pack: Pack, spec: object, message: str) -> None:
    """A spec that names nothing, or gives a wrong value, is a PolicyError saying so."""
    with pytest.raises(PolicyError, match=message):
        resolve_side(spec, tongjiang_pack)  # type: ignore[arg-type]


def test_bad_files_and_folders_are_policy_errors(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """A folder without pack.yaml, an overrides file that is not a mapping, and broken YAML are
    each reported with the file they are in."""
    with pytest.raises(PolicyError, match=r"folder `.*` has no `pack.yaml`") as error:
        resolve_side(tmp_path, tongjiang_pack)
    assert error.value.problems[0].help and "name=value" in error.value.problems[0].help
    listed = tmp_path / "list.yaml"
    listed.write_text("- minimum_income\n- 1300.00\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"overrides file `.*list.yaml` should be a mapping"):
        resolve_side(listed, tongjiang_pack)
    broken = tmp_path / "broken.yaml"
    broken.write_text("minimum_income: [1300\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"broken.yaml:\d+:\d+: yaml syntax"):
        resolve_side(broken, tongjiang_pack)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("minimum_incme: 1300.00\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=r"unknown.yaml: unknown parameter `minimum_incme`") as error:
        resolve_side(unknown, tongjiang_pack)
    assert error.value.problems[0].help == "did you mean `minimum_income`?"
    with pytest.raises(TypeError):
        resolve_side(42, tongjiang_pack)  # type: ignore[arg-type]
