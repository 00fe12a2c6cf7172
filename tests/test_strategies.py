"""The public hypothesis strategies of ``partybuild_rules.testing``: every model has one, datasets
are referentially consistent and sized as asked, they are rich enough to make rules fire, and
parameter overrides stay within each parameter's declared constraints."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date
from typing import Any
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from partybuild_rules import Dataset, Pack, load_dataset
from partybuild_rules.domain.model import (
    PackEvent,
    Activity,
    AgreedItem,
    Assessment,
    Community,
    Coverage,
    Finding,
    Grid,
    Inspection,
    InspectionGroup,
    JointMeeting,
    Member,
    MemberReportIn,
    Rating,
    Rectification,
    ResidentUnit,
    RoleHolding,
    SubjectKind,
    TwoWayReview,
    UnitReport,
)
from partybuild_rules.domain.money import to_decimal
from partybuild_rules.policy.documents import ParameterSpec
from partybuild_rules.testing import (
    pack_event,
    activity,
    agreed_item,
    assessment,
    community,
    coverage,
    dataset_dict,
    datasets,
    datasets_for_rules,
    finding,
    grid,
    inspection,
    inspection_group,
    joint_meeting,
    member,
    member_report_in,
    parameter_overrides,
    parameter_value,
    rating,
    rectification,
    resident_unit,
    role_holding,
    score,
    tier_names,
    two_way_review,
    unit_report,
)

YEAR = 2024
WINDOW = (date(2024, 1, 1), date(2024, 12, 31))
COVERS = Coverage(start=WINDOW[0], end=WINDOW[1])
# Building a dataset and re-validating it is slower than hypothesis' health check expects.
SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Existence searches: generate only (shrinking would re-evaluate the condition hundreds of times).
FIND = settings(max_examples=100, database=None, deadline=None, derandomize=True, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))

MODEL_STRATEGIES = [
    (Coverage, coverage(year=YEAR)),
    (Community, community("C1")),
    (Grid, grid("G1", ["C1"])),
    (ResidentUnit, resident_unit("U1", ["C1"])),
    (RoleHolding, role_holding(["C1"], within=COVERS)),
    (Member, member("M1", ["C1"], ["U1"], ["G1"], within=COVERS)),
    (Rating, rating(SubjectKind.UNIT, ["U1"], [YEAR - 1, YEAR])),
    (InspectionGroup, inspection_group("IG1")),
    (UnitReport, unit_report(["U1"], between=WINDOW)),
    (MemberReportIn, member_report_in(["M1"], ["C1"], between=WINDOW)),
    (Activity, activity(["C1"], between=WINDOW, members=["M1", "M2"], units=["U1"])),
    (AgreedItem, agreed_item("I1", between=WINDOW)),
    (JointMeeting, joint_meeting(["C1"], between=WINDOW, units=["U1"])),
    (TwoWayReview, two_way_review({"U1": "C1"}, year=YEAR, between=WINDOW)),
    (Finding, finding("F1", between=WINDOW)),
    (Inspection, inspection(["IG1"], {SubjectKind.UNIT: ["U1"], SubjectKind.COMMUNITY: ["C1"]}, between=WINDOW)),
    (Rectification, rectification(["F1"], between=WINDOW)),
    (Assessment, assessment({SubjectKind.COMMUNITY: ["C1"]}, between=WINDOW)),
    (PackEvent, pack_event("points_award", {"member": st.just("M1"), "points": st.integers(0, 10)}, between=WINDOW)),
]


@pytest.mark.parametrize(("model", "strategy"), MODEL_STRATEGIES, ids=[m.__name__ for m, _ in MODEL_STRATEGIES])
@settings(max_examples=10)
@given(data=st.data())
def test_every_model_has_a_strategy(model: type, strategy: st.SearchStrategy[object], data: st.DataObject) -> None:
    """Each record of the domain has a strategy drawing valid instances of it."""
    value = data.draw(strategy)
    assert isinstance(value, model)
    assert type(value).model_validate(value.model_dump()) == value  # type: ignore[attr-defined]


def test_every_record_model_is_covered() -> None:
    """No record model of ``model.py`` lacks a strategy (a new record needs one here too)."""
    from partybuild_rules.domain import model as models

    records = {getattr(models, name) for name in models.__all__}
    records = {r for r in records if isinstance(r, type) and issubclass(r, models._Record)}
    assert records - {m for m, _ in MODEL_STRATEGIES} == {models.Dataset}


@SLOW
@given(datasets(communities=2, units=(0, 2), members=3, months=13))
def test_datasets_have_the_sizes_asked_for(data: Dataset) -> None:
    """Sizes are honoured: counts of communities, units, members, and covered months ending in
    December of the year (on the 31st or, so that the last month is partly known, earlier)."""
    assert len(data.communities) == 2 and len(data.units) <= 2 and len(data.members) == 3
    assert date(YEAR, 12, 1) <= data.covers.end <= date(YEAR, 12, 31)
    assert (data.covers.start.year, data.covers.start.month) == (YEAR - 1, 12)


@SLOW
@given(datasets())
def test_datasets_are_referentially_consistent(data: Dataset) -> None:
    """A drawn dataset passes the model's integrity checks again from plain JSON, and its compact
    form (``dataset_dict``) reads back to the same dataset."""
    assert Dataset.model_validate_json(data.model_dump_json()) == data
    assert Dataset.model_validate(dataset_dict(data)) == data
    assert all(data.covers.start <= e.date <= data.covers.end for e in data.events)


@settings(max_examples=5, suppress_health_check=list(HealthCheck))
@given(datasets())
def test_a_counterexample_yaml_loads_with_the_strict_loader(data: Dataset) -> None:
    """The YAML a report shows (``dataset_dict`` through ``yaml.safe_dump``) loads with
    ``load_dataset``, whose YAML reader types nothing but integers, booleans and null."""
    text = yaml.safe_dump(dataset_dict(data), allow_unicode=True, sort_keys=False)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "counterexample.yaml"
        path.write_text(text, encoding="utf-8")
        assert load_dataset(path) == data


def _streak(data: Dataset) -> bool:
    """An in-service member who takes part in nothing for six covered months of the year."""
    present = {(e.date.month, p) for e in data.events if isinstance(e, Activity) and e.co_building
               for p in e.participants}
    return data.covers.start <= date(YEAR, 1, 1) and any(
        m.in_service and m.reported_in is not None and m.reported_in < data.covers.start
        and all((month, m.id) not in present for month in range(1, 7))
        for m in data.members
    )


RICHNESS = {
    "an absence streak": _streak,
    "a unit missing a report": lambda d: bool(d.units) and len([e for e in d.events if e.type == "unit_report"])
    < len(d.units) * 12,
    "a low score": lambda d: any(e.type == "assessment" and e.score < 60 for e in d.events),
    "a score on a tier bound": lambda d: any(e.type == "assessment" and e.score in (Decimal(60), Decimal(90))
                                            for e in d.events),
    "a role starting mid-month": lambda d: any(h.start.day > 1 and h.start >= d.covers.start
                                               for m in d.members for h in m.roles),
    "a role ending mid-month": lambda d: any(h.end is not None and h.end.day not in (28, 29, 30, 31)
                                             for m in d.members for h in m.roles),
    "a rating of the previous year": lambda d: any(r.year == YEAR - 1 for r in d.ratings),
    "a finding rectified": lambda d: any(e.type == "rectification" for e in d.events),
    "a finding never rectified": lambda d: bool(
        {f.id for e in d.events if isinstance(e, Inspection) for f in e.findings}
        - {e.finding for e in d.events if isinstance(e, Rectification)}),
    "a member reporting in inside the covered dates": lambda d: any(e.type == "member_report_in" for e in d.events),
    "a joint meeting": lambda d: any(e.type == "joint_meeting" for e in d.events),
    "a two-way review": lambda d: any(e.type == "two_way_review" for e in d.events),
}


@pytest.mark.parametrize("feature", list(RICHNESS))
def test_datasets_are_rich_enough_to_make_rules_fire(feature: str) -> None:
    """Plain ``datasets()`` soon draw each situation the rules look for."""
    find(datasets(), RICHNESS[feature], settings=FIND)


@pytest.mark.parametrize("rule_id", ["E2.advanced-individual", "R1.unit-interview", "A4.new-org-activity-funds",
                                     "R7.rectification-overdue", "A4.secretary-subsidy", "E1.annual-rating"])
def test_datasets_for_rules_make_the_rule_fire(tongjiang_pack: Pack, rule_id: str) -> None:
    """Datasets steered towards a rule make it fire, even one that needs 25 activities a year."""
    from partybuild_rules import evaluate

    find(datasets_for_rules(tongjiang_pack, [rule_id]),
         lambda data: bool(evaluate(tongjiang_pack, data, YEAR).of_rule(rule_id)), settings=FIND)


@given(st.data())
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_rule_named_twice_steers_twice_without_repeating_a_unit_id(tongjiang_pack: Pack, data: st.DataObject) -> None:
    """The balancing rule adds units to a crowded community; named twice, the second pass adds
    units with ids of their own (it once added a second ``UB1`` and the dataset was refused)."""
    dataset = data.draw(datasets_for_rules(tongjiang_pack, ["B1.balancing", "B1.balancing"]))
    ids = [unit.id for unit in dataset.units]
    assert len(ids) == len(set(ids))


def test_tier_names_come_from_the_rating_rule(tongjiang_pack: Pack) -> None:
    assert tier_names(tongjiang_pack) == ("好", "较好", "一般", "差")


@given(st.data())
def test_overrides_stay_within_the_declared_constraints(tongjiang_pack: Pack, data: st.DataObject) -> None:
    """Every drawn override is accepted by the pack and lies within its parameter's min and max."""
    overrides = data.draw(parameter_overrides(tongjiang_pack))
    changed = tongjiang_pack.with_overrides(overrides)
    for name, value in overrides.items():
        spec = tongjiang_pack.parameters[name]
        if spec.min is not None:
            assert to_decimal(changed.values[name]) >= to_decimal(spec.min)
        if spec.max is not None:
            assert to_decimal(changed.values[name]) <= to_decimal(spec.max)


SPECS = {
    "allowed": ParameterSpec(title="t", type="money", default="2.00", allowed=("1.00", "2.50", "3")),
    "open above": ParameterSpec(title="t", type="money", default="10.00", min="0.01"),
    "open below": ParameterSpec(title="t", type="decimal", default="1", max="2.5"),
    "text": ParameterSpec(title="t", type="text", default="好"),
}


@pytest.mark.parametrize("case", list(SPECS))
@given(data=st.data())
def test_parameter_values_follow_their_declaration(case: str, data: st.DataObject) -> None:
    """Allowed values (within min/max), open ranges, exact decimals and text."""
    from partybuild_rules.policy.pack_files import parameter_value as read

    spec = SPECS[case]
    value = data.draw(parameter_value(spec))
    read(spec, value)  # raises if the loader would refuse it
    if case == "allowed":
        assert value in ("1.00", "2.50", "3")
    if spec.type in ("money", "decimal") and case != "allowed":
        assert isinstance(value, str) and Decimal(value) == Decimal(value).quantize(Decimal("0.01"))


def test_scores_include_the_tier_bounds() -> None:
    find(score(), lambda s: s == Decimal("89.99"), settings=FIND)


def test_importing_the_library_does_not_import_hypothesis() -> None:
    """hypothesis is a test extra: the core library never imports it."""
    code = ("import sys, partybuild_rules\n"
            "partybuild_rules.evaluate(partybuild_rules.load_pack(partybuild_rules.bundled_pack()),"
            " partybuild_rules.Dataset(covers={'start': '2024-01-01', 'end': '2024-12-31'}), 2024)\n"
            "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_testing_package_without_hypothesis_says_how_to_install_it() -> None:
    code = ("import sys\nsys.modules['hypothesis'] = None\n"
            "try:\n    import partybuild_rules.testing\nexcept ImportError as error:\n    print(error)\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert "pip install 'partybuild-rules[test]'" in out


@SLOW
@given(coverage())
def test_coverage_sometimes_ends_mid_month(covers: Any) -> None:
    """Recorded periods end on 31 December or inside December, never after it."""
    assert covers.start <= covers.end and covers.end.month == 12 and covers.end.year == YEAR


def test_coverage_draws_a_mid_month_end() -> None:
    from hypothesis import find

    found = find(coverage(), lambda c: c.end.day < 31)
    assert found.end.month == 12 and found.end.day < 31


def test_half_fen_ties_are_exact_half_fen() -> None:
    """Every draw of `half_fen_ties` is a pro-rata share of exactly n + ½ fen."""
    from fractions import Fraction

    from hypothesis import given as given_, settings as settings_

    from partybuild_rules.testing import half_fen_ties

    @settings_(max_examples=200, deadline=None)
    @given_(half_fen_ties())
    def check(tie: tuple[str, int, int]) -> None:
        amount, held, days = tie
        assert 0 < held < days and days in (28, 30)
        assert (Fraction(Decimal(amount)) * 100 * held / days).denominator == 2

    check()
