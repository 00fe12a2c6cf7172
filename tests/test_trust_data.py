"""Regression tests for datasets that once paid twice, crashed or were silently coerced.

Each test builds the exact input that was reported; money is checked against amounts computed
by hand from domain.md (one amount per member, role, community and month, from the union of the
days held, rounded half up once).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partybuild_rules import Allowance, DataError, Dataset, evaluate, load_dataset
from partybuild_rules.domain.messages import translate
from partybuild_rules.policy.limits import Limits

import reference
from helpers import City, pack, run


def _holder(city: City, role: str, *spans: tuple[str, str | None]) -> str:
    holdings = [{"role": role, "community": "C1", "start": start, "end": end} for start, end in spans]
    return city.member(in_service=False, reported_in=None, roles=holdings)


def _paid(result: Any, rule_id: str, member: str) -> dict[str, Decimal]:
    amounts: dict[str, Decimal] = {}
    for outcome in result.of_rule(rule_id):
        if outcome.subject == member:
            assert isinstance(outcome, Allowance)
            assert outcome.period not in amounts, f"paid twice for {outcome.period}"
            amounts[outcome.period] = outcome.amount
    return amounts


def _data_problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(Exception) as caught:
        Dataset.model_validate(raw)
    return [message for _, message in caught.value.errors()[0]["ctx"]["error"].problems]  # type: ignore[attr-defined]


def test_overlapping_holdings_of_one_role_are_a_data_error_naming_both(tmp_path: Path) -> None:
    """committee_member 2024-01-01..01-31 plus 01-15..01-31 paid 3,175.00 and 1,741.13 for January."""
    city = City()
    member = _holder(city, "committee_member", ("2024-01-01", "2024-01-31"), ("2024-01-15", "2024-01-31"))
    path = tmp_path / "data.json"
    path.write_text(json.dumps(city.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    (problem,) = caught.value.problems
    assert problem.message == (f"role `committee_member` of member `{member}` is held twice on 2024-01-15: "
                               "roles[0] and roles[1] overlap")
    assert problem.span is not None and problem.span.line > 1
    assert "重复任职" in translate(problem.message)


def test_an_open_holding_overlaps_every_later_one() -> None:
    city = City()
    _holder(city, "grid_leader", ("2024-01-01", None), ("2024-06-01", "2024-06-30"))
    assert any("overlap" in message for message in _data_problems(city.to_dict()))


def test_adjacent_spans_in_one_month_pay_once_rounded_once() -> None:
    """03-01..03-15 and 03-16..03-31 gave 614.52 + 655.48 (grid leader) in two amounts."""
    city = City()
    member = _holder(city, "committee_member", ("2024-03-01", "2024-03-15"), ("2024-03-16", "2024-03-31"))
    assert _paid(run(city), "A1.committee-wage", member)["2024-03"] == Decimal("3175.00")


def test_one_day_and_twenty_nine_days_pay_the_amount_not_a_fen_more() -> None:
    """With grid_leader_subsidy 100.05, 04-01 plus 04-02..04-30 paid 3.34 + 96.72 = 100.06."""
    city = City()
    member = _holder(city, "grid_leader", ("2024-04-01", "2024-04-01"), ("2024-04-02", "2024-04-30"))
    paid = _paid(run(city, grid_leader_subsidy="100.05"), "A2.grid-leader-subsidy", member)
    assert paid["2024-04"] == Decimal("100.05")


def test_two_parts_of_a_month_are_prorated_by_their_union() -> None:
    """03-01..03-10 and 03-21..03-31: 21 of 31 days, 3175.00 × 21 / 31 = 2150.806… → 2150.81."""
    city = City()
    member = _holder(city, "committee_member", ("2024-03-01", "2024-03-10"), ("2024-03-21", "2024-03-31"))
    result = run(city)
    (march,) = [o for o in result.of_rule("A1.committee-wage") if o.subject == member and o.period == "2024-03"]
    assert (march.amount, march.days_held, march.days_in_period) == (Decimal("2150.81"), 21, 31)
    expected = [e for e in reference.expected(city.to_dict(), 2024)
                if e.rule_id == "A1.committee-wage" and e.subject == member and e.period == "2024-03"]
    assert expected == [reference.Expected("A1.committee-wage", "member", member, "2024-03", (Decimal("2150.81"),))]


def test_covers_as_a_list_is_a_located_error(tmp_path: Path) -> None:
    """`covers` written as a list raised IndexError."""
    path = tmp_path / "data.yaml"
    path.write_text('covers: ["2024-01-01", "2024-12-31"]\ncommunities: []\n', encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    (problem,) = caught.value.problems
    assert (problem.span.line, problem.span.column) == (1, 9)  # type: ignore[union-attr]
    assert "covers" in problem.message


def test_a_date_written_as_a_number_is_refused(tmp_path: Path) -> None:
    """`date: 1704672000` was read as 2024-01-08 (seconds since 1970)."""
    path = tmp_path / "data.yaml"
    path.write_text("covers: {start: 2024-01-01, end: 2024-12-31}\ncommunities: [{id: C1, name: x}]\n"
                    "events:\n  - {id: E1, type: activity, date: 1704672000, community: C1, kind: other}\n",
                    encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    (problem,) = caught.value.problems
    assert problem.message == "`events.0.date`: expected a date written YYYY-MM-DD (got `1704672000`)"
    assert (problem.span.line, problem.span.column) == (4, 36)
    assert translate(problem.message) == "`events.0.date`：应当是 YYYY-MM-DD 形式的日期（实际为 `1704672000`）"  # type: ignore[union-attr]


def test_an_id_shaped_like_a_national_id_number_is_refused() -> None:
    """A quoted 18-digit id shaped like a national ID number was accepted."""
    city = City()
    city.member("110101199003077777", in_service=False)
    assert _data_problems(city.to_dict()) == ["id `110101199003077777` is shaped like a national ID number"]


def test_every_id_shaped_like_a_national_id_number_is_named_once_at_its_first_record() -> None:
    """Among many events, each such id is named once, at the first record that holds it, in the
    order of the records; a repeated one is also a duplicate, named at every record."""
    city = City()
    community = city.community()
    for n in range(50):
        city.event("activity", "2024-03-01", id=f"E{n}", community=community, kind="other")
    for shaped in ("11010119900307777X", "110101199003077777", "11010119900307777X"):
        city.event("activity", "2024-03-02", id=shaped, community=community, kind="other")
    raw = city.to_dict()
    with pytest.raises(Exception) as caught:
        Dataset.model_validate(raw)
    found = [(path, message) for path, message in caught.value.errors()[0]["ctx"]["error"].problems]  # type: ignore[attr-defined]
    assert found == [
        (("events", 50, "id"), "duplicate id `11010119900307777X`"),
        (("events", 52, "id"), "duplicate id `11010119900307777X`"),
        (("events", 50, "id"), "id `11010119900307777X` is shaped like a national ID number"),
        (("events", 51, "id"), "id `110101199003077777` is shaped like a national ID number"),
    ]


def test_two_ratings_of_one_subject_and_year_are_an_error() -> None:
    """Two ratings for one subject and year were settled by record order."""
    city = City()
    unit = city.unit()
    city.rating(unit, 2023, "一般")
    city.rating(unit, 2023, "好")
    assert _data_problems(city.to_dict()) == [f"a second rating of unit `{unit}` for 2023 (first is ratings[0])"]


@pytest.mark.parametrize("tier", ["一 般", "一般 ", "average"])
def test_a_rating_tier_the_pack_does_not_know_is_an_error(tier: str) -> None:
    """A dataset rating `一 般` silently stopped R1 from firing."""
    city = City()
    unit = city.unit()
    city.rating(unit, 2023, tier)
    with pytest.raises(DataError) as caught:
        run(city)
    (problem,) = caught.value.problems
    assert problem.message == f"ratings[0]: tier `{tier}` of unit `{unit}` is not a tier of pack `tongjiang`"
    assert problem.path == ("ratings", 0, "tier") and problem.help == "tiers: 好, 较好, 一般, 差"


def test_warnings_name_members_without_report_in_and_units_without_reports() -> None:
    """Legal but suspicious: a member who never reported in, a unit that sent no report at all."""
    city = City()
    quiet = city.unit()
    talkative = city.unit()
    city.unit_report(talkative, "2024-03-05")
    unreported = city.member(reported_in=None, unit=talkative)
    city.member(reported_in="2024-01-01", unit=talkative)
    result = run(city)
    assert [(w.code, w.subject) for w in result.warnings] == [
        ("no-report-in", unreported), ("no-unit-reports", quiet),
    ]
    assert translate(result.warnings[1].message) == f"驻区单位 `{quiet}` 在 2024 年没有任何报告记录"


def test_problems_are_bounded_and_counted(tmp_path: Path) -> None:
    city = City()
    for n in range(300):
        city.event("activity", "2024-13-01", community="C1", kind="other")
    path = tmp_path / "data.json"
    path.write_text(json.dumps(city.to_dict()), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path, limits=Limits(max_problems=50))
    problems = caught.value.problems
    assert len(problems) == 51
    assert problems[-1].message == "250 more problems not listed (limit `max_problems` is 50)"


def test_record_limit(tmp_path: Path) -> None:
    city = City()
    for n in range(20):
        city.joint_meeting("2024-02-01")
    path = tmp_path / "data.json"
    path.write_text(json.dumps(city.to_dict()), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path, limits=Limits(max_records=10))
    assert [p.message for p in caught.value.problems] == ["`events` has 20 records, more than the limit of 10"]


def test_one_bad_value_in_a_large_json_is_reported_quickly(tmp_path: Path, generated_raw: dict[str, Any]) -> None:
    """One bad value in a 61 MB JSON cost 172 s and 6.6 GB to report (a YAML parse for positions)."""
    from partybuild_rules.data.generate import write_dataset

    raw = dict(generated_raw)
    events = list(raw["events"])
    events[-100] = {**events[-100], "date": "2024-13-01"}
    raw["events"] = events
    path = tmp_path / "data.json"
    write_dataset(path, raw)
    started = time.perf_counter()
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    elapsed = time.perf_counter() - started
    (problem,) = caught.value.problems
    text = path.read_text(encoding="utf-8").splitlines()
    assert problem.span is not None and '"2024-13-01"' in text[problem.span.line - 1]
    assert text[problem.span.line - 1][problem.span.column - 1:].startswith('"2024-13-01"')
    assert elapsed < 60  # about three times a plain load; the YAML route took minutes


def test_json_duplicate_key_and_syntax_positions_without_a_yaml_parse(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text('{"covers": {"start": "2024-01-01", "end": "2024-12-31"},\n "name": "a", "name": "b"}')
    (problem,) = _problems(path)
    assert problem.message == "duplicate key `name` (first at line 2)"
    assert (problem.span.line, problem.span.column) == (2, 15)  # type: ignore[union-attr]
    path.write_text('{"covers": {"start": "2024-01-01" "end": "2024-12-31"}}')
    (problem,) = _problems(path)
    assert problem.message == "json: Expecting ',' delimiter"
    path.write_text('{"covers": 1' + "0" * 5000 + "}")
    (problem,) = _problems(path)
    assert "too large for a whole number" in problem.message and problem.span.column == 12  # type: ignore[union-attr]


def _problems(path: Path) -> tuple[Any, ...]:
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    return caught.value.problems


def test_reference_skips_a_part_recorded_last_month_for_r2() -> None:
    """The reference counted a part-recorded last month for R2; the pack's own case says it does not."""
    city = City(covers=("2024-01-01", "2024-06-20"))
    member = city.member(reported_in="2024-01-01")
    expected = [e for e in reference.expected(city.to_dict(), 2024) if e.rule_id == "R2.member-absence"]
    assert expected == []
    assert run(city).of_rule("R2.member-absence") == []
    longer = City(covers=("2024-01-01", "2024-07-20"))
    longer.member(member, reported_in="2024-01-01")
    assert [e.period for e in reference.expected(longer.to_dict(), 2024) if e.rule_id == "R2.member-absence"] == ["2024-06"]
    assert [o.period for o in evaluate(pack(), longer.build(), 2024).of_rule("R2.member-absence")] == ["2024-06"]
