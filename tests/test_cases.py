"""Policy tests in YAML: the Tongjiang pack's own cases pass, a wrong expectation fails with the
outcomes actually found, and a malformed case file is refused with every problem at file:line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from partybuild_rules import Pack, PolicyError
from partybuild_rules.analysis.pack_tests import (
    TestReport,
    load_cases,
    render_test_report,
    run_pack_tests,
)


@pytest.fixture(scope="module")
def report(tongjiang_pack: Pack, engine: str) -> TestReport:
    """Every case shipped with the Tongjiang pack, run once."""
    return run_pack_tests(tongjiang_pack)


def with_tests(pack: Pack, tmp_path: Path, text: str, name: str = "cases.yaml") -> Pack:
    """The pack with one test file of ``text`` instead of its own."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return dataclasses.replace(pack, test_files=(path,))


HEADER = """\
cases:
  - name: 委员整月工资
    year: 2024
    data:
      covers: {start: "2024-01-01", end: "2024-12-31"}
      communities: [{id: C1, name: 东江社区}]
      units: [{id: U1, name: 同江市财政局, community: C1, leader: 李明}]
      members:
        - id: M1
          name: 刘海峰
          residence_community: C1
          in_service: false
          roles: [{role: committee_member, community: C1, start: "2024-03-16"}]
"""


def test_the_tongjiang_cases_all_pass(report: TestReport) -> None:
    """Every case the Tongjiang pack ships passes against the library."""
    failures = [
        f"{case.where} {case.name}\n" + "\n".join(f.message() for f in case.failures)
        for case in report.cases if not case.passed
    ]
    assert not failures, "\n\n".join(failures)
    assert report.ok and report.failed == 0 and report.passed == len(report.cases) >= 40
    assert render_test_report(report).splitlines()[-1] == f"{len(report.cases)} passed, 0 failed"


def test_the_tongjiang_cases_cover_every_rule(tongjiang_pack: Pack) -> None:
    """Each rule of the pack is expected to fire in at least one case, and not to in another."""
    present = {e.rule for item in load_cases(tongjiang_pack) for e in item.case.expect}
    absent = {e.rule for item in load_cases(tongjiang_pack) for e in item.case.expect_none}
    rules = {rule.id for rule in tongjiang_pack.rules}
    assert rules - present == set()
    assert rules - absent - {"A3.community-funds"} == set()


def test_a_wrong_amount_fails_showing_the_outcomes_found(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """A wrong expectation fails; its message quotes the expectation, its line, and the outcomes
    actually found for that subject and rule."""
    pack = with_tests(tongjiang_pack, tmp_path, HEADER + """\
    expect:
      - {rule: A1.committee-wage, subject: M1, period: "2024-03", amount: "1638.70"}
""")
    result = run_pack_tests(pack)
    assert not result.ok and (result.passed, result.failed) == (0, 1)
    (case,) = result.cases
    (failure,) = case.failures
    assert (case.line, failure.line, failure.kind) == (2, 15, "missing")
    text = failure.message("en")
    assert ('expected an outcome matching '
            '{rule: A1.committee-wage, subject: M1, period: 2024-03, amount: "1638.70"}') in text
    assert "outcomes found (M1 · A1.committee-wage):" in text
    assert "A1.committee-wage M1 [2024-03] 发放 1638.71 元" in text
    rendered = render_test_report(result, lang="en")
    assert f"FAIL  {case.file}:2  委员整月工资" in rendered
    assert f"{case.file}:15: expected an outcome" in rendered
    assert rendered.splitlines()[-1] == "0 passed, 1 failed"


def test_a_wrong_count_and_an_unexpected_outcome_fail(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """``count`` demands exactly N matches; ``expect_none`` fails on any match, listing them."""
    pack = with_tests(tongjiang_pack, tmp_path, HEADER + """\
    expect:
      - {rule: A1.committee-wage, subject: M1, count: 12}
      - {rule: A1.committee-wage, subject: M1, count: 10}
    expect_none:
      - {rule: A1.committee-wage, subject: M1, period: "2024-12"}
      - {rule: R2.member-absence}
""")
    (case,) = run_pack_tests(pack).cases
    assert [(f.kind, f.line, f.wanted, f.matched) for f in case.failures] == [
        ("count", 15, 12, 10), ("unexpected", 18, 0, 1),
    ]
    assert "expected exactly 12 outcomes matching" in case.failures[0].message()
    assert "应恰有 12 个结果匹配" in case.failures[0].message("zh")
    unexpected = case.failures[1].message()
    assert ("expected no outcome matching "
            "{rule: A1.committee-wage, subject: M1, period: 2024-12}, found 1") in unexpected
    assert "A1.committee-wage M1 [2024-12] 发放 3175.00 元" in unexpected


def test_no_outcome_of_the_rule_is_said_plainly(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """When the subject got nothing from the rule, the message says so rather than listing nothing."""
    pack = with_tests(tongjiang_pack, tmp_path, HEADER + """\
    expect:
      - {rule: R1.unit-interview, subject: U1, measure: 约谈, target: 李明}
""")
    (case,) = run_pack_tests(pack).cases
    assert case.failures[0].message().splitlines()[-1] == "outcomes found (U1 · R1.unit-interview): none"


def test_measure_target_and_deadline_match_one_measure(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """``measure``, ``target`` and ``deadline`` must hold for the same measure of an outcome."""
    pack = with_tests(tongjiang_pack, tmp_path, """\
cases:
  - name: 逾期
    year: 2024
    data:
      covers: {start: "2024-01-01", end: "2024-12-31"}
      communities: [{id: C1, name: 东江社区}]
      units: [{id: U1, name: 同江市财政局, community: C1, leader: 李明}]
      inspection_groups: [{id: IG1, name: 第一组}]
      events:
        - {id: E1, date: "2024-05-15", type: inspection, group: IG1, subject_kind: unit, subject: U1,
           findings: [{id: F1, description: 问题, deadline: "2024-06-30"}]}
    expect:
      - {rule: R7.rectification-overdue, measure: 限期整改, deadline: "2024-07-30"}
      - {rule: R7.rectification-overdue, measure: 约谈, deadline: "2024-07-30"}
    expect_none:
      - {rule: R7.rectification-overdue, measure: 约谈, target: 李明}
""")
    (case,) = run_pack_tests(pack).cases
    assert [(f.kind, f.line) for f in case.failures] == [("missing", 14)]


def test_parameters_override_the_pack_for_one_case(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """A case's ``parameters`` apply to that case only."""
    pack = with_tests(tongjiang_pack, tmp_path, HEADER + """\
    parameters: {minimum_income: "1300.00"}
    expect:
      - {rule: A1.committee-wage, subject: M1, period: "2024-04", amount: "3250.00"}
""" + HEADER.replace("cases:\n", "").replace("委员整月工资", "默认参数") + """\
    expect:
      - {rule: A1.committee-wage, subject: M1, period: "2024-04", amount: "3175.00"}
""")
    assert run_pack_tests(pack).ok


def test_a_malformed_case_file_lists_every_problem_at_file_line(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """Mistakes in a case file are refused before anything runs, all of them, each at its
    file:line:column with a hint."""
    pack = with_tests(tongjiang_pack, tmp_path, """\
cases:
  - name: 甲
    year: 2024
    parameters: {absense_months: 3}
    data:
      covers: {start: "2024-01-01", end: "2024-12-31"}
      communities: [{id: C1, name: 东江社区}]
    expect:
      - {rule: R2.member-absense, subject: C1}
      - {rule: R7.rectification-overdue, measure: 约淡}
  - name: 甲
    year: 2024
    data:
      covers: {start: "2024-01-01", end: "2024-12-31"}
      communities: [{id: C1, name: 东江社区}]
      units: [{id: U1, name: 单位, community: C9}]
    expect:
      - {rule: R1.unit-interview, subjct: U1}
    expect_none:
      - {rule: R1.unit-interview, period: "2024-3", count: 0}
  - name: 甲
    year: 2024
    data: {covers: {start: "2024-01-01", end: "2024-12-31"}}
    expect: [{rule: A3.community-funds, count: 0}]
""", name="bad.yaml")
    with pytest.raises(PolicyError) as caught:
        run_pack_tests(pack)
    file = str(tmp_path / "bad.yaml")
    found = {(p.span.line if p.span else 0, p.message, p.help) for p in caught.value.problems}
    assert all(p.span is not None and p.span.file == file for p in caught.value.problems)
    expected = {
        (4, "unknown parameter `absense_months` in case `甲`", "did you mean `absence_months`?"),
        (9, "unknown rule `R2.member-absense`", "did you mean `R2.member-absence`?"),
        (10, "unknown measure `约淡`", "measures: `约谈`, `限期整改`"),
        (16, "unknown community `C9`", None),
        (18, "unknown field `subjct`", "did you mean `subject`?"),
    }
    assert expected <= found, found
    lines = {line for line, _, _ in found}
    assert {20, 21} <= lines  # `count` and the period under expect_none; the duplicate name
    assert f"{file}:9:16: unknown rule `R2.member-absense`" in str(caught.value)


def test_a_missing_test_file_is_a_policy_error(tongjiang_pack: Pack, tmp_path: Path) -> None:
    """A test file listed in pack.yaml but absent is reported, not skipped."""
    pack = dataclasses.replace(tongjiang_pack, test_files=(tmp_path / "nowhere.yaml",))
    with pytest.raises(PolicyError, match="nowhere.yaml"):
        run_pack_tests(pack)


def test_select_runs_the_cases_whose_name_contains_it(tongjiang_pack: Pack) -> None:
    """``select`` keeps the cases whose name contains the text; none matching is not ok."""
    r7 = run_pack_tests(tongjiang_pack, select="R7")
    assert r7.cases and all("R7" in case.name for case in r7.cases) and r7.ok
    one = run_pack_tests(tongjiang_pack, select=r7.cases[0].name)
    assert [case.name for case in one.cases] == [r7.cases[0].name]
    none = run_pack_tests(tongjiang_pack, select="no such case")
    assert none.cases == () and not none.ok
    assert render_test_report(none, "en").splitlines() == [
        "no case name contains `no such case`", "0 passed, 0 failed",
    ]


def test_a_pack_without_tests_reports_so(tongjiang_pack: Pack) -> None:
    """A pack with no test files runs nothing and says where tests are declared."""
    empty = run_pack_tests(dataclasses.replace(tongjiang_pack, test_files=()))
    assert not empty.ok
    assert "`tests:` in pack.yaml" in render_test_report(empty, "en")


def test_the_chinese_report_ends_with_the_english_summary(report: TestReport) -> None:
    """The Chinese report marks cases 通过/失败 and still closes with ``N passed, M failed``."""
    lines = render_test_report(report, "zh").splitlines()
    assert lines[0].startswith("通过  ")
    assert lines[-2].endswith(f"共 {len(report.cases)} 个用例，{report.passed} 个通过，0 个失败")
    assert lines[-1] == f"{report.passed} passed, 0 failed"
