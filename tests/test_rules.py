"""Every rule of the Tongjiang pack at its edges, on tiny hand-built datasets.

Expected values come from ``shared/design/domain.md``; money is recomputed here with ``Decimal``.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from helpers import City, city, month_range, prorated, run

from partybuild_rules import Allowance, ComplianceFinding, Evaluation, Reprimand, Result

R1 = "R1.unit-interview"
R2 = "R2.member-absence"
R7 = "R7.rectification-overdue"
C1 = "C1.unit-monthly-report"
C2 = "C2.joint-meeting"
C3 = "C3.quarterly-activity"
C4 = "C4.inspection-coverage"
A1 = "A1.committee-wage"
A2 = "A2.grid-leader-subsidy"
A3 = "A3.community-funds"
A4_ORG = "A4.new-org-activity-funds"
A4_SEC = "A4.secretary-subsidy"
E1 = "E1.annual-rating"
E2_MEMBER = "E2.advanced-individual"
E2_ORG = "E2.advanced-organisation"
E3 = "E3.two-way-review"

WAGE = "3175.00"  # 2.5 × 1270.00
SUBSIDY = "1270.00"


def periods(result: Result, rule_id: str, subject: str | None = None) -> list[str]:
    return [o.period for o in result.of_rule(rule_id) if subject is None or o.subject == subject]


def only(result: Result, rule_id: str, subject: str | None = None) -> Any:
    found = [o for o in result.of_rule(rule_id) if subject is None or o.subject == subject]
    assert len(found) == 1, found
    return found[0]


# =============================================================================================
# R2 member absence


def absent_member(absent: list[str], covers: tuple[str, str] = ("2023-07-01", "2024-12-31"),
                  **member: object) -> tuple[City, str]:
    c = city(covers)
    m = c.member(**member)  # type: ignore[arg-type]
    c.attend_except(m, absent)
    return c, m


def test_r2_five_absent_months_do_not_fire() -> None:
    """Five consecutive months without 联学共建 are one short of the threshold: no reprimand."""
    c, _ = absent_member(month_range("2024-03", "2024-07"))
    assert run(c).of_rule(R2) == []


def test_r2_six_absent_months_fire_once_at_the_sixth_month() -> None:
    """Six consecutive absent months give one 通报批评, dated at the sixth month."""
    c, m = absent_member(month_range("2024-03", "2024-08"))
    outcome = only(run(c), R2)
    assert isinstance(outcome, Reprimand)
    assert (outcome.subject, outcome.period, outcome.year) == (m, "2024-08", 2024)
    assert [x.measure for x in outcome.measures] == ["通报批评"]
    assert outcome.measures[0].target == f"党员{m}"


def test_r2_streak_across_the_year_boundary_is_dated_in_the_later_year() -> None:
    """Absent Oct 2023 – Mar 2024: the streak reaches 6 in March 2024 and belongs to 2024."""
    c, _ = absent_member(month_range("2023-10", "2024-03"))
    assert periods(run(c, 2024), R2) == ["2024-03"]
    assert periods(run(c, 2023), R2) == []


def test_r2_streak_reaching_six_in_december_belongs_to_that_year_only() -> None:
    """Absent Jul 2023 – Apr 2024: reached 6 in Dec 2023, so 2023 has it and 2024 has nothing."""
    c, _ = absent_member(month_range("2023-07", "2024-04"))
    assert periods(run(c, 2023), R2) == ["2023-12"]
    assert periods(run(c, 2024), R2) == []


def test_r2_twelve_month_streak_fires_exactly_once() -> None:
    """A whole year absent is one streak: one outcome at month 6, none at months 7..12."""
    c, _ = absent_member(month_range("2024-01", "2024-12"))
    assert periods(run(c), R2) == ["2024-06"]


def test_r2_two_separate_streaks_in_a_year_fire_twice() -> None:
    """Absent Oct 2023 – Mar 2024, back in Apr, absent May – Oct 2024: two outcomes in 2024."""
    c, _ = absent_member(month_range("2023-10", "2024-03") + month_range("2024-05", "2024-10"))
    assert periods(run(c), R2) == ["2024-03", "2024-10"]


def test_r2_participation_resets_the_streak() -> None:
    """Five absent months, one month present, five absent months: never six in a row."""
    c, _ = absent_member(month_range("2024-01", "2024-05") + month_range("2024-07", "2024-11"))
    assert run(c).of_rule(R2) == []


def test_r2_a_single_participation_in_a_month_breaks_the_streak() -> None:
    """One activity on the last day of a month is enough to make that month present."""
    c = city()
    m = c.member()
    c.attend_except(m, month_range("2024-01", "2024-06"))
    c.activity("2024-03-31", [m], kind="volunteer")
    assert run(c).of_rule(R2) == []


def test_r2_months_before_report_in_do_not_count() -> None:
    """Reported in on 20 Jul 2024 and never taking part: Jul–Dec is six months, dated Dec."""
    c = city()
    c.member(reported_in="2024-07-20")
    assert periods(run(c), R2) == ["2024-12"]


def test_r2_report_in_in_august_leaves_only_five_months() -> None:
    """Reported in on 1 Aug 2024 and never taking part: Aug–Dec is five months, no reprimand."""
    c = city()
    c.member(reported_in="2024-08-01")
    assert run(c).of_rule(R2) == []


def test_r2_report_in_event_dates_the_start() -> None:
    """Without `reported_in`, the earliest member_report_in event gives the report-in month."""
    c = city()
    m = c.member(reported_in=None)
    c.event("member_report_in", "2024-07-05", member=m, community="C1")
    c.event("member_report_in", "2024-09-05", member=m, community="C1")
    assert periods(run(c), R2) == ["2024-12"]


def test_r2_member_without_report_in_is_not_subject() -> None:
    """A member who never reported in has no months that count."""
    c = city()
    c.member(reported_in=None)
    assert run(c).of_rule(R2) == []


def test_r2_months_before_the_recorded_dates_do_not_count() -> None:
    """Records from 1 Mar 2024 only: a member never taking part reaches 6 in Aug 2024."""
    c = city(("2024-03-01", "2024-12-31"))
    c.member(reported_in="2019-05-01")
    assert periods(run(c), R2) == ["2024-08"]


def test_r2_recorded_dates_from_august_leave_only_five_months() -> None:
    """Records from 1 Aug 2024 only: Aug–Dec is five months, nothing is known before."""
    c = city(("2024-08-01", "2024-12-31"))
    c.member(reported_in="2019-05-01")
    assert run(c).of_rule(R2) == []


def test_r2_member_not_in_service_is_never_reprimanded() -> None:
    """R2 applies only to in-service members (在职党员)."""
    c = city()
    c.unit()
    c.member(in_service=False, unit="U1")
    assert run(c).of_rule(R2) == []


def test_r2_five_star_member_loses_the_status() -> None:
    """A five-star member gets 通报批评 and the revocation of five-star status."""
    c, _ = absent_member(month_range("2024-01", "2024-06"), five_star=True)
    outcome = only(run(c), R2)
    assert [(x.measure, x.revoke) for x in outcome.measures] == [
        ("通报批评", None), ("取消“五星级”党员资格", "five_star"),
    ]


def test_r2_member_without_five_star_has_nothing_revoked() -> None:
    """The revocation measure appears only when the member holds five-star status."""
    c, _ = absent_member(month_range("2024-01", "2024-06"), five_star=False)
    assert all(x.revoke is None for x in only(run(c), R2).measures)


def test_r2_activity_that_is_not_co_building_is_not_participation() -> None:
    """Taking part in a non-联学共建 activity during the absence does not break the streak."""
    c, m = absent_member(month_range("2024-01", "2024-06"))
    for month in month_range("2024-01", "2024-06"):
        c.activity(f"{month}-10", [m], kind="party_lesson", co_building=False)
    assert periods(run(c), R2) == ["2024-06"]


def test_r2_co_building_activity_of_any_kind_is_participation() -> None:
    """Any 联学共建 activity (here volunteer service) counts as taking part."""
    c, m = absent_member(month_range("2024-01", "2024-06"))
    c.activity("2024-04-10", [m], kind="volunteer", co_building=True)
    assert run(c).of_rule(R2) == []


def test_r2_override_absence_months_three() -> None:
    """With `absence_months` = 3, a three-month absence fires at its third month."""
    c, _ = absent_member(month_range("2024-04", "2024-06"))
    assert run(c).of_rule(R2) == []
    assert periods(run(c, absence_months=3), R2) == ["2024-06"]


# =============================================================================================
# R1 unit interview


def rated_unit(ratings: dict[int, str], leader: str | None = "李局长") -> tuple[City, str]:
    c = city()
    u = c.unit(leader=leader)
    for year, tier in ratings.items():
        c.rating(u, year, tier)
    return c, u


def test_r1_consecutive_average_ratings_interview_the_leader() -> None:
    """一般 in 2023 and in 2024 ⇒ 约谈 of the unit's main leader, for 2024."""
    c, u = rated_unit({2023: "一般", 2024: "一般"})
    outcome = only(run(c), R1)
    assert (outcome.subject, outcome.period) == (u, "2024")
    assert [(x.measure, x.target) for x in outcome.measures] == [("约谈", "李局长")]


def test_r1_non_consecutive_years_do_not_count() -> None:
    """一般 in 2022 and in 2024 (2023 较好) is not two consecutive years."""
    c, _ = rated_unit({2022: "一般", 2023: "较好", 2024: "一般"})
    assert run(c).of_rule(R1) == []


def test_r1_gap_year_without_rating_does_not_count() -> None:
    """一般 in 2022 and in 2024 with no 2023 rating at all is not consecutive."""
    c, _ = rated_unit({2022: "一般", 2024: "一般"})
    assert run(c).of_rule(R1) == []


def test_r1_only_the_previous_year_average_does_not_fire() -> None:
    """一般 in 2023 but 较好 in 2024: no interview."""
    c, _ = rated_unit({2023: "一般", 2024: "较好"})
    assert run(c).of_rule(R1) == []


def test_r1_current_rating_computed_from_assessments() -> None:
    """一般 given for 2023 and 一般 computed for 2024 (score 70) ⇒ interview."""
    c, u = rated_unit({2023: "一般"})
    c.scored(u, ["70"], "70")
    assert only(run(c), E1, u).tier == "一般"
    assert periods(run(c), R1) == ["2024"]


def test_r1_computed_better_rating_does_not_fire() -> None:
    """一般 given for 2023 and 较好 computed for 2024 (score 85): no interview."""
    c, u = rated_unit({2023: "一般"})
    c.scored(u, ["85"], "85")
    assert run(c).of_rule(R1) == []


def test_r1_given_current_rating_wins_over_computed() -> None:
    """A 2024 rating given in the data is used even when the assessments would compute 好."""
    c, u = rated_unit({2023: "一般", 2024: "一般"})
    c.scored(u, ["95"], "95")
    assert periods(run(c), R1) == ["2024"]


def test_r1_evaluating_the_previous_year_uses_the_years_before_it() -> None:
    """Evaluating 2023 needs 一般 in 2022 and 2023."""
    c, _ = rated_unit({2022: "一般", 2023: "一般"})
    assert periods(run(c, 2023), R1) == ["2023"]
    assert run(c, 2024).of_rule(R1) == []


def test_r1_communities_are_not_interviewed() -> None:
    """R1 concerns resident units; a community rated 一般 twice is not interviewed."""
    c = city()
    c.rating("C1", 2023, "一般", "community")
    c.rating("C1", 2024, "一般", "community")
    assert run(c).of_rule(R1) == []


# =============================================================================================
# R7 rectification overdue


def inspected(rectified: str | None, deadline: str = "2024-04-30",
              covers: tuple[str, str] = ("2023-07-01", "2024-12-31")) -> City:
    c = city(covers)
    c.unit()
    c.inspection("2024-03-10", "U1", findings=[("F1", deadline)])
    if rectified is not None:
        c.rectification(rectified, "F1")
    return c


def test_r7_rectified_on_the_deadline_day_is_not_overdue() -> None:
    """A rectification dated on the deadline is in time."""
    assert run(inspected("2024-04-30")).of_rule(R7) == []


def test_r7_rectified_before_the_deadline_is_not_overdue() -> None:
    """A rectification dated before the deadline is in time."""
    assert run(inspected("2024-04-01")).of_rule(R7) == []


def test_r7_rectified_one_day_late_is_overdue() -> None:
    """A rectification one day after the deadline ⇒ 约谈 and 限期整改."""
    outcome = only(run(inspected("2024-05-01")), R7)
    assert isinstance(outcome, Reprimand)
    assert (outcome.subject, outcome.period, outcome.on) == ("U1", "2024-04", date(2024, 4, 30))
    assert [x.measure for x in outcome.measures] == ["约谈", "限期整改"]
    assert outcome.measures[0].target == "U1单位"


def test_r7_never_rectified_is_overdue_with_a_new_deadline() -> None:
    """Never rectified ⇒ a new deadline of old deadline + 30 days."""
    outcome = only(run(inspected(None)), R7)
    assert outcome.measures[1].deadline == date(2024, 5, 30)


def test_r7_new_deadline_follows_rectification_days() -> None:
    """The new deadline is the old one plus `rectification_days` (here 10)."""
    outcome = only(run(inspected(None), rectification_days=10), R7)
    assert outcome.measures[1].deadline == date(2024, 5, 10)


def test_r7_deadline_in_another_year_belongs_to_that_year() -> None:
    """A finding due in Nov 2023 and never rectified is reprimanded in 2023, not in 2024."""
    c = city()
    c.unit()
    c.inspection("2023-09-10", "U1", findings=[("F1", "2023-11-15")])
    assert periods(run(c, 2023), R7) == ["2023-11"]
    assert run(c, 2024).of_rule(R7) == []


def test_r7_deadline_after_the_recorded_dates_is_unknown() -> None:
    """Records end 31 Oct 2024; a finding due 15 Nov 2024 cannot be known to be overdue."""
    c = inspected(None, deadline="2024-11-15", covers=("2023-07-01", "2024-10-31"))
    assert run(c).of_rule(R7) == []


def test_r7_deadline_on_the_last_recorded_day_is_known() -> None:
    """Records end 31 Oct 2024 and the finding is due that day: no rectification on or before
    it is recorded, and every such day is inside the recorded dates, so it is overdue."""
    c = inspected(None, deadline="2024-10-31", covers=("2023-07-01", "2024-10-31"))
    assert periods(run(c), R7) == ["2024-10"]


def test_r7_community_branch_findings_count_too() -> None:
    """An overdue finding of a community branch reprimands the community."""
    c = city()
    c.inspection("2024-05-10", "C1", subject_kind="community", findings=[("F1", "2024-06-30")])
    outcome = only(run(c), R7)
    assert (outcome.subject_kind.value, outcome.subject, outcome.period) == ("community", "C1", "2024-06")


# =============================================================================================
# C1–C4 compliance


def test_c1_three_missed_months_give_three_findings() -> None:
    """A unit that missed March, July and November 2024 has three C1 findings."""
    c = city()
    u = c.unit()
    missed = {"2024-03", "2024-07", "2024-11"}
    for month in c.covered_months():
        if month not in missed:
            c.unit_report(u, f"{month}-05")
    findings = run(c).of_rule(C1)
    assert [f.period for f in findings] == sorted(missed)
    assert all(isinstance(f, ComplianceFinding) and (f.count, f.required) == (0, 1) for f in findings)


def test_c1_months_outside_the_recorded_dates_give_no_finding() -> None:
    """Records end 31 Oct 2024: November and December are unknown, not missed."""
    c = city(("2023-07-01", "2024-10-31"))
    u = c.unit()
    for month in c.covered_months():
        c.unit_report(u, f"{month}-05")
    assert run(c).of_rule(C1) == []


def test_c1_partly_recorded_month_gives_no_finding() -> None:
    """Records end 15 Oct 2024: October is only partly known, so no report in it is no finding."""
    c = city(("2023-07-01", "2024-10-15"))
    u = c.unit()
    for month in month_range("2023-07", "2024-09"):
        c.unit_report(u, f"{month}-05")
    assert run(c).of_rule(C1) == []


def test_c1_evaluating_a_partly_recorded_year_checks_only_recorded_months() -> None:
    """Records start 1 Jul 2023: a unit that never reports misses only Jul–Dec of 2023."""
    c = city()
    c.unit()
    assert periods(run(c, 2023), C1) == month_range("2023-07", "2023-12")


def test_c1_more_reports_required_by_override() -> None:
    """With two reports required a month, a month with one report is a finding with count 1."""
    c = city()
    u = c.unit()
    for month in c.covered_months():
        c.unit_report(u, f"{month}-05")
        if month != "2024-06":
            c.unit_report(u, f"{month}-20")
    finding = only(run(c, unit_reports_per_month=2), C1)
    assert (finding.period, finding.count, finding.required) == ("2024-06", 1, 2)


def test_c2_one_finding_per_half_year_missed() -> None:
    """Two meetings in H1 and none in H2 ⇒ one finding, for 2024-H2."""
    c = city()
    c.joint_meeting("2024-02-01")
    c.joint_meeting("2024-05-01")
    assert periods(run(c), C2) == ["2024-H2"]


def test_c2_no_meeting_all_year_gives_two_findings() -> None:
    """No joint meeting in 2024 ⇒ a finding for each half year."""
    assert periods(run(city()), C2) == ["2024-H1", "2024-H2"]


def test_c3_counts_only_collective_activities() -> None:
    """Theme days every month but collective activities only in Q1 and Q3 ⇒ findings for Q2, Q4."""
    c = city()
    for month in month_range("2024-01", "2024-12"):
        c.activity(f"{month}-10", kind="theme_day")
    c.activity("2024-02-10", kind="collective")
    c.activity("2024-08-10", kind="collective", co_building=False)
    assert periods(run(c), C3) == ["2024-Q2", "2024-Q4"]


def test_c4_units_and_communities_are_each_inspected_every_quarter() -> None:
    """A unit inspected in Q1–Q3 misses Q4; its community, never inspected, misses all four;
    inspecting the unit does not count for its community."""
    c = city()
    u = c.unit()
    for day in ("2024-02-01", "2024-05-01", "2024-08-01"):
        c.inspection(day, u)
    result = run(c)
    assert periods(result, C4, u) == ["2024-Q4"]
    assert periods(result, C4, "C1") == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    assert {o.subject_kind.value for o in result.of_rule(C4)} == {"unit", "community"}


def test_c4_community_inspection_counts_for_the_community() -> None:
    """A branch inspected every quarter has no C4 finding."""
    c = city()
    for day in ("2024-02-01", "2024-05-01", "2024-08-01", "2024-11-01"):
        c.inspection(day, "C1", subject_kind="community")
    assert periods(run(c), C4, "C1") == []


def test_c4_quarter_partly_recorded_gives_no_finding() -> None:
    """Records start 1 Feb 2024: Q1 is not wholly recorded, so only Q2–Q4 are findings."""
    c = city(("2024-02-01", "2024-12-31"))
    assert periods(run(c), C4, "C1") == ["2024-Q2", "2024-Q3", "2024-Q4"]


# =============================================================================================
# A1–A4 allowances


def payments(result: Result, rule_id: str) -> dict[str, Allowance]:
    paid: dict[str, Allowance] = {}
    for outcome in result.of_rule(rule_id):
        assert outcome.period not in paid, outcome
        paid[outcome.period] = outcome
    return paid


def test_a1_full_month_is_exactly_the_wage() -> None:
    """A committee member holding the role all of April is paid 2.5 × 1270.00 = 3175.00."""
    c = city()
    c.role_holder("committee_member", "2023-01-01")
    april = payments(run(c), A1)["2024-04"]
    assert april.amount == Decimal("3175.00") == april.full_amount
    assert (april.days_held, april.days_in_period) == (30, 30)
    assert str(april.amount) == "3175.00"


def test_a1_twelve_full_months_sum_to_twelve_wages() -> None:
    """Held all year ⇒ twelve payments summing to 12 × 3175.00."""
    c = city()
    c.role_holder("committee_member", "2023-01-01")
    paid = payments(run(c), A1)
    assert sorted(paid) == month_range("2024-01", "2024-12")
    assert sum(p.amount for p in paid.values()) == 12 * Decimal(WAGE) == Decimal("38100.00")


def test_a1_mid_month_start_is_pro_rata() -> None:
    """Starting 16 Mar 2024: March pays 16/31 of 3175.00 = 1638.71, April in full."""
    c = city()
    c.role_holder("committee_member", "2024-03-16")
    paid = payments(run(c), A1)
    assert min(paid) == "2024-03"
    assert paid["2024-03"].amount == prorated(WAGE, 16, 31) == Decimal("1638.71")
    assert (paid["2024-03"].days_held, paid["2024-03"].days_in_period) == (16, 31)
    assert paid["2024-04"].amount == Decimal(WAGE)


def test_a1_end_date_is_inclusive() -> None:
    """Ending 16 Mar 2024: March pays 16 days (1–16 inclusive), nothing from April."""
    c = city()
    c.role_holder("committee_member", "2023-01-01", "2024-03-16")
    paid = payments(run(c), A1)
    assert sorted(paid) == ["2024-01", "2024-02", "2024-03"]
    assert paid["2024-03"].amount == prorated(WAGE, 16, 31)


def test_a1_one_day_holding() -> None:
    """Held only on 10 Apr 2024: one payment of 1/30 of 3175.00."""
    c = city()
    c.role_holder("committee_member", "2024-04-10", "2024-04-10")
    paid = payments(run(c), A1)
    assert list(paid) == ["2024-04"]
    assert paid["2024-04"].amount == prorated(WAGE, 1, 30) == Decimal("105.83")
    assert paid["2024-04"].days_held == 1


def test_a1_february_of_a_leap_year_has_29_days() -> None:
    """Starting 15 Feb 2024: 15 of 29 days."""
    c = city()
    c.role_holder("committee_member", "2024-02-15")
    february = payments(run(c), A1)["2024-02"]
    assert (february.days_held, february.days_in_period) == (15, 29)
    assert february.amount == prorated(WAGE, 15, 29) == Decimal("1642.24")


def test_a1_role_ended_before_the_year_pays_nothing() -> None:
    """A role ending 31 Dec 2023 gives no 2024 payment."""
    c = city()
    c.role_holder("committee_member", "2023-01-01", "2023-12-31")
    assert run(c).of_rule(A1) == []


def test_a1_wage_follows_minimum_income_override() -> None:
    """With minimum income 1300.00, a full month pays 2.5 × 1300.00 = 3250.00."""
    c = city()
    c.role_holder("committee_member", "2023-01-01")
    assert payments(run(c, minimum_income="1300.00"), A1)["2024-05"].amount == Decimal("3250.00")


def test_a2_full_month_and_mid_month() -> None:
    """A grid leader from 20 Jun 2024: June pays 11/30 of 1270.00, July 1270.00."""
    c = city()
    c.role_holder("grid_leader", "2024-06-20")
    paid = payments(run(c), A2)
    assert paid["2024-06"].amount == prorated(SUBSIDY, 11, 30) == Decimal("465.67")
    assert paid["2024-07"].amount == Decimal("1270.00")
    assert sorted(paid) == month_range("2024-06", "2024-12")


def test_a2_rounds_half_up_at_half_a_fen() -> None:
    """1270.05 × 3/30 = 127.005 exactly, which rounds half up to 127.01 (not half-even 127.00)."""
    c = city()
    c.role_holder("grid_leader", "2024-04-28")
    april = payments(run(c, grid_leader_subsidy="1270.05"), A2)["2024-04"]
    assert Decimal("1270.05") * 3 / 30 == Decimal("127.005")
    assert april.amount == Decimal("127.01") == prorated("1270.05", 3, 30)


def test_a2_twelve_full_months_sum_to_twelve_subsidies() -> None:
    """Held all year ⇒ 12 × 1270.00 = 15240.00."""
    c = city()
    c.role_holder("grid_leader", "2020-01-01")
    assert sum(p.amount for p in run(c).of_rule(A2)) == Decimal("15240.00")


def test_a3_each_community_gets_the_yearly_funds() -> None:
    """Every community gets 100000.00 for the year."""
    c = city()
    c.community("C2")
    funds = run(c).of_rule(A3)
    assert [(f.subject, f.period, f.amount) for f in funds] == [
        ("C1", "2024", Decimal("100000.00")), ("C2", "2024", Decimal("100000.00")),
    ]


@pytest.mark.parametrize(
    ("tier", "amount"), [("好", "5000.00"), ("较好", "3000.00"), ("一般", "1000.00"), ("差", "0.00")]
)
def test_a4_new_org_funds_by_tier(tier: str, amount: str) -> None:
    """A “两新” organisation's yearly activity funds follow its current rating tier."""
    c = city()
    u = c.unit(kind="new_economic_social")
    c.rating(u, 2024, tier)
    outcome = only(run(c), A4_ORG)
    assert (outcome.subject, outcome.period, outcome.amount) == (u, "2024", Decimal(amount))


def test_a4_new_org_funds_are_paid_for_the_whole_year() -> None:
    """Yearly funds record the days of the year they pay for, like A3 (366 of 366 in 2024)."""
    c = city()
    u = c.unit(kind="new_economic_social")
    c.rating(u, 2024, "好")
    outcome = only(run(c), A4_ORG)
    assert (outcome.days_held, outcome.days_in_period) == (366, 366)


def test_a4_new_org_funds_from_a_computed_rating() -> None:
    """A computed 2024 rating of 好 (score 92) gives 5000.00."""
    c = city()
    u = c.unit(kind="new_economic_social")
    c.scored(u, ["92"], "92")
    assert only(run(c), A4_ORG).amount == Decimal("5000.00")


def test_a4_funds_only_for_new_economic_social_units() -> None:
    """An enterprise rated 好 gets no “两新” activity funds; an unrated “两新” unit gets none."""
    c = city()
    c.rating(c.unit(kind="enterprise"), 2024, "好")
    c.unit(kind="new_economic_social")
    assert run(c).of_rule(A4_ORG) == []


@pytest.mark.parametrize(
    ("tier", "amount"), [("好", "800.00"), ("较好", "600.00"), ("一般", "400.00"), ("差", "0.00")]
)
def test_a4_secretary_subsidy_by_community_tier(tier: str, amount: str) -> None:
    """A Party secretary's monthly subsidy follows the rating of the community of the role,
    pro rata in a month held in part (from 11 Sep 2024: 20 of 30 days)."""
    c = city()
    c.community("C2")
    c.rating("C2", 2024, tier, "community")
    c.rating("C1", 2024, "好", "community")
    c.role_holder("party_secretary", "2024-09-11", community="C2")
    paid = payments(run(c), A4_SEC)
    assert sorted(paid) == month_range("2024-09", "2024-12")
    assert paid["2024-10"].amount == Decimal(amount)
    assert paid["2024-09"].amount == prorated(amount, 20, 30)


def test_a4_new_org_funds_need_the_year_recorded_like_community_funds() -> None:
    """Records start 1 Jul 2023: 2023 is not wholly recorded, so no yearly funds are paid for it,
    neither the community's (A3) nor a “两新” unit's (A4), whatever its given 2023 rating."""
    c = city()
    c.rating(c.unit(kind="new_economic_social"), 2023, "好")
    result = run(c, 2023)
    assert result.of_rule(A3) == []
    assert result.of_rule(A4_ORG) == []


def test_a4_secretary_without_community_rating_gets_nothing() -> None:
    """No rating for the role's community ⇒ no rating-linked subsidy."""
    c = city()
    c.role_holder("party_secretary", "2020-01-01")
    assert run(c).of_rule(A4_SEC) == []


# =============================================================================================
# E1 annual rating


@pytest.mark.parametrize(
    ("score", "tier"),
    [
        ("100", "好"), ("90", "好"), ("89.99", "较好"), ("80", "较好"), ("79.99", "一般"),
        ("60", "一般"), ("59.99", "差"), ("0", "差"),
    ],
)
def test_e1_tier_boundaries(score: str, tier: str) -> None:
    """Tiers: 好 [90, 100], 较好 [80, 90), 一般 [60, 80), 差 [0, 60)."""
    c = city()
    u = c.unit()
    c.scored(u, [score], score)
    outcome = only(run(c), E1, u)
    assert isinstance(outcome, Evaluation)
    assert (outcome.tier, outcome.rating, outcome.period) == (tier, True, "2024")
    assert Decimal(outcome.score) == Decimal(score)


def test_e1_weights_daily_mean_and_year_end() -> None:
    """Daily 80 and 90 (mean 85), year end 95: 0.4 × 85 + 0.6 × 95 = 91.00 ⇒ 好."""
    c = city()
    u = c.unit()
    c.scored(u, ["80", "90"], "95")
    outcome = only(run(c), E1, u)
    assert (outcome.score, outcome.tier) == ("91.00", "好")


def test_e1_score_is_rounded_half_up_to_the_hundredth() -> None:
    """Daily 90 and 89.99 (mean 89.995), year end 89.995 ⇒ 89.995 ⇒ 90.00 (half up) ⇒ 好."""
    c = city()
    u = c.unit()
    c.scored(u, ["90", "89.99"], "89.995")
    outcome = only(run(c), E1, u)
    assert (outcome.score, outcome.tier) == ("90.00", "好")


def test_e1_communities_are_rated_too() -> None:
    """A community branch gets its annual rating from its own assessments."""
    c = city()
    c.scored("C1", ["75"], "75", subject_kind="community")
    outcome = only(run(c), E1, "C1")
    assert (outcome.subject_kind.value, outcome.tier) == ("community", "一般")


def test_e1_missing_year_end_gives_no_rating() -> None:
    """Daily scores without a year-end assessment: no rating."""
    c = city()
    u = c.unit()
    c.assessment(u, "daily", "95", "2024-06-20")
    assert run(c).of_rule(E1) == []


def test_e1_missing_daily_scores_gives_no_rating() -> None:
    """A year-end assessment without daily scores: no rating."""
    c = city()
    u = c.unit()
    c.assessment(u, "year_end", "95", "2024-12-20")
    assert run(c).of_rule(E1) == []


def test_e1_assessments_of_another_year_do_not_count() -> None:
    """Daily scores of 2023 and a year end of 2024 are not a complete 2024 assessment."""
    c = city()
    u = c.unit()
    c.assessment(u, "daily", "95", "2023-10-20")
    c.assessment(u, "year_end", "95", "2024-12-20")
    assert run(c).of_rule(E1) == []


# =============================================================================================
# E2 commendation


def test_e2_member_with_25_co_building_activities_is_commended() -> None:
    """An in-service member in 25 联学共建 activities in 2024, never reprimanded, is commended."""
    c = city()
    m = c.member()
    c.attend(m, month_range("2024-01", "2024-12"))
    c.attend(m, month_range("2024-01", "2024-12"), day=20)
    c.activity("2024-12-28", [m])
    assert periods(run(c), E2_MEMBER, m) == ["2024"]


def test_e2_member_with_24_activities_is_not_commended() -> None:
    """24 activities is one short of 25."""
    c = city()
    m = c.member()
    c.attend(m, month_range("2024-01", "2024-12"))
    c.attend(m, month_range("2024-01", "2024-12"), day=20)
    assert run(c).of_rule(E2_MEMBER) == []


def test_e2_non_co_building_activities_do_not_count_for_commendation() -> None:
    """24 联学共建 activities plus a non-联学共建 one is still 24."""
    c = city()
    m = c.member()
    c.attend(m, month_range("2024-01", "2024-12"))
    c.attend(m, month_range("2024-01", "2024-12"), day=20)
    c.activity("2024-12-28", [m], co_building=False)
    assert run(c).of_rule(E2_MEMBER) == []


def test_a_member_listed_twice_in_an_activity_is_refused() -> None:
    """A participant listed twice is a data-entry error: the dataset is refused with its position,
    rather than counting one activity as two participations (which could earn a commendation)."""
    c = city()
    m = c.member()
    for month in month_range("2024-01", "2024-12"):
        c.activity(f"{month}-10", [m, m])
    with pytest.raises(ValueError, match=f"events.0.participants.1: member `{m}` is listed twice"):
        c.build()


def test_e2_member_reprimanded_in_the_year_is_not_commended() -> None:
    """25 activities in Jan–May, then absent Jun–Dec: reprimanded (Nov), so not commended."""
    c = city()
    m = c.member()
    for n in range(5):
        c.attend(m, month_range("2023-07", "2024-05"), day=n + 1)
    result = run(c)
    assert periods(result, R2, m) == ["2024-11"]
    assert result.of_rule(E2_MEMBER) == []


def test_e2_member_not_in_service_is_not_commended() -> None:
    """Commendation as 先进个人 applies to in-service members."""
    c = city()
    m = c.member(in_service=False, reported_in=None)
    for n in range(3):
        c.attend(m, month_range("2024-01", "2024-12"), day=n + 1)
    assert run(c).of_rule(E2_MEMBER) == []


def test_e2_organisation_rated_good_is_commended() -> None:
    """A unit and a community rated 好 for 2024 are commended as 先进党组织."""
    c = city()
    u = c.unit()
    c.rating(u, 2024, "好")
    c.rating("C1", 2024, "好", "community")
    assert sorted(o.subject for o in run(c).of_rule(E2_ORG)) == ["C1", u]


def test_e2_organisation_rated_fair_is_not_commended() -> None:
    """较好 is not 好."""
    c = city()
    c.rating(c.unit(), 2024, "较好")
    assert run(c).of_rule(E2_ORG) == []


def test_e2_organisation_reprimanded_is_not_commended() -> None:
    """A unit rated 好 but reprimanded for an overdue finding in 2024 is not commended."""
    c = inspected(None)
    c.rating("U1", 2024, "好")
    result = run(c)
    assert periods(result, R7, "U1") == ["2024-04"]
    assert periods(result, E2_ORG, "U1") == []


def test_e2_organisation_reprimanded_in_another_year_is_commended() -> None:
    """An overdue finding of 2023 does not stop a 2024 commendation."""
    c = city()
    u = c.unit()
    c.inspection("2023-09-10", u, findings=[("F1", "2023-11-15")])
    c.rating(u, 2024, "好")
    assert periods(run(c), E2_ORG, u) == ["2024"]


# =============================================================================================
# E3 two-way review


@pytest.mark.parametrize(
    ("score", "tier"),
    [("100", "满意"), ("85", "满意"), ("84.99", "基本满意"), ("60", "基本满意"), ("59.99", "不满意")],
)
def test_e3_review_tiers(score: str, tier: str) -> None:
    """满意 ≥ 85, 基本满意 [60, 85), 不满意 < 60; the unit is scored by `score_of_unit`."""
    c = city()
    u = c.unit()
    c.review(u, score, "90")
    outcome = only(run(c), E3, u)
    assert (outcome.tier, outcome.rating) == (tier, False)


def test_e3_community_scored_by_the_mean_of_its_units_reviews() -> None:
    """A community reviewed 80 and 90 by two units: mean 85 ⇒ 满意."""
    c = city()
    c.review(c.unit(), "70", "80")
    c.review(c.unit(), "70", "90")
    outcome = only(run(c), E3, "C1")
    assert (outcome.score, outcome.tier) == ("85.00", "满意")


def test_e3_review_counts_for_the_year_it_reviews() -> None:
    """A review of 2024 (`year: 2024`) held on 8 Jan 2025 is the 2024 year-end review."""
    c = city(("2023-07-01", "2025-03-31"))
    u = c.unit()
    c.review(u, "90", "90", "2025-01-08", year=2024)
    assert periods(run(c, 2024), E3, u) == ["2024"]
    assert periods(run(c, 2025), E3, u) == []


# =============================================================================================
# the engine


def test_engine_survives_a_first_session_that_fires_nothing() -> None:
    """The first evaluation of a freshly loaded pack over a community with nothing rated must
    return a result (here: A3 funds and C2–C4 findings), not kill the process."""
    script = textwrap.dedent("""
        from partybuild_rules import Dataset, bundled_pack, evaluate, load_pack
        data = Dataset.model_validate({"covers": {"start": "2024-01-01", "end": "2024-12-31"},
                                       "communities": [{"id": "C1", "name": "东江社区"}]})
        result = evaluate(load_pack(bundled_pack()), data, 2024)
        print(sorted({o.rule_id for o in result.outcomes}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-500:]
    assert "A3.community-funds" in done.stdout
