"""Early warnings (预警): subjects about to trigger a rule, from records dated on or before as-of."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from partybuild_rules import Dataset, Pack, Result
from partybuild_rules.analysis.warnings import WarningReport, as_of_dataset, early_warnings
from partybuild_rules.domain.model import Inspection, Rectification, UnitReport
from partybuild_rules.evaluation.engines.base import ENV_VAR
from partybuild_rules.testing import datasets

END_OF_SEPTEMBER = date(2024, 9, 30)
MID_SEPTEMBER = date(2024, 9, 15)


@pytest.fixture(scope="module")
def at_end_of_september(tongjiang_pack: Pack, example_data: Dataset) -> WarningReport:
    return early_warnings(tongjiang_pack, example_data, END_OF_SEPTEMBER)


@pytest.fixture(scope="module")
def at_mid_september(tongjiang_pack: Pack, example_data: Dataset) -> WarningReport:
    return early_warnings(tongjiang_pack, example_data, MID_SEPTEMBER)


def _warned(report: WarningReport, rule_id: str) -> set[tuple[str, str]]:
    return {(w.subject, w.period) for w in report.warnings if w.rule_id == rule_id}


def test_second_average_rating_is_foreseen(at_end_of_september: WarningReport, example_result: Result) -> None:
    """Units rated 一般 last year whose scores so far give 一般 again are the units interviewed at
    year end (R1), warned three months early."""
    warned = {s for s, _ in _warned(at_end_of_september, "R1.unit-interview")}
    assert warned and warned == {o.subject for o in example_result.of_rule("R1.unit-interview")}
    assert at_end_of_september.projected_assessments > 0


def test_findings_due_soon_and_not_rectified_warn(at_end_of_september: WarningReport, example_data: Dataset) -> None:
    """A finding due after as-of and within the horizon, not rectified by as-of, warns (R7)."""
    rectified = {e.finding for e in example_data.events if isinstance(e, Rectification) and e.date <= END_OF_SEPTEMBER}
    due = {
        (e.subject, str(f.deadline)[:7])
        for e in example_data.events if isinstance(e, Inspection) and e.date <= END_OF_SEPTEMBER
        for f in e.findings
        if END_OF_SEPTEMBER < f.deadline <= at_end_of_september.horizon and f.id not in rectified
    }
    assert due and _warned(at_end_of_september, "R7.rectification-overdue") == due


def test_a_sixth_absent_month_warns(at_end_of_september: WarningReport, example_result: Result) -> None:
    """A member whose absence streak reaches six months next month is warned, and it happened."""
    warned = _warned(at_end_of_september, "R2.member-absence")
    assert warned and all(period == "2024-10" for _, period in warned)
    assert warned <= {(o.subject, o.period) for o in example_result.of_rule("R2.member-absence")}


def test_next_month_alone_is_no_warning(at_end_of_september: WarningReport) -> None:
    """Every unit has "not reported" in a month not yet begun: that is no warning."""
    assert not _warned(at_end_of_september, "C1.unit-monthly-report")


def test_units_not_reported_this_month_warn(at_mid_september: WarningReport, example_data: Dataset) -> None:
    """Mid-month, the units with no report so far this month are warned for this month (C1)."""
    reported = {e.unit for e in example_data.events
                if isinstance(e, UnitReport) and date(2024, 9, 1) <= e.date <= MID_SEPTEMBER}
    expected = {(u.id, "2024-09") for u in example_data.units if u.id not in reported}
    assert expected and _warned(at_mid_september, "C1.unit-monthly-report") == expected


def test_only_reprimands_and_findings_warn(at_mid_september: WarningReport) -> None:
    """Allowances and evaluations to come are not warnings."""
    assert {w.kind for w in at_mid_september.warnings} <= {"reprimand", "compliance"}
    assert all(w.explanation.startswith(w.subject_name) for w in at_mid_september.warnings)


def test_as_of_before_the_recorded_dates_is_an_error(tongjiang_pack: Pack, example_data: Dataset) -> None:
    from partybuild_rules import DataError

    with pytest.raises(DataError, match="before the recorded dates"):
        early_warnings(tongjiang_pack, example_data, date(2020, 1, 1))


def test_every_evaluation_runs_on_the_engine_asked_for(tongjiang_pack: Pack, example_data: Dataset, engine: str,
                                                      at_end_of_september: WarningReport,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """``engine=`` chooses the engine of every evaluation the warnings make: the default
    (``PARTYBUILD_ENGINE``, here a name no engine has) is never consulted."""
    monkeypatch.setenv(ENV_VAR, "drools")
    assert early_warnings(tongjiang_pack, example_data, END_OF_SEPTEMBER, engine=engine) == at_end_of_september


def _later_records_removed(data: Dataset, as_of: date) -> Dataset:
    """``data`` without the events dated after ``as_of`` and with later report-in dates unknown."""
    return Dataset.model_validate({
        **{name: getattr(data, name) for name in Dataset.model_fields},
        "members": tuple(m.model_copy(update={"reported_in": None})
                         if m.reported_in is not None and m.reported_in > as_of else m for m in data.members),
        "events": tuple(e for e in data.events if e.date <= as_of),
    })


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=datasets(communities=(1, 2), members=(1, 4)), day=st.integers(min_value=0, max_value=364))
def test_later_records_change_nothing(tongjiang_pack: Pack, data: Dataset, day: int) -> None:
    """Warnings as of a day are the same whatever is recorded after it (no peeking ahead)."""
    as_of = date(2024, 1, 1) + timedelta(days=day)
    assume(data.covers.start <= as_of <= data.covers.end)
    earlier = _later_records_removed(data, as_of)
    assume(earlier != data)
    full = early_warnings(tongjiang_pack, data, as_of)
    cut = early_warnings(tongjiang_pack, earlier, as_of)
    assert [w.model_dump() for w in full.warnings] == [w.model_dump() for w in cut.warnings]
    assert as_of_dataset(data, as_of) == as_of_dataset(earlier, as_of)
