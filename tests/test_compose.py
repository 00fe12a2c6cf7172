"""Packs that compose: several packs in one evaluation, `extends` with overrides, `replaces` and
`disable`, installed pack packages (`pkg:NAME`), effective dates and dated parameter values."""

from __future__ import annotations

import importlib
import io
import json
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from partybuild_rules import (
    Allowance,
    Dataset,
    Evaluator,
    Pack,
    PolicyError,
    Problem,
    bundled_dataset,
    bundled_pack,
    evaluate,
    load_dataset,
    load_pack,
    run_pack_tests,
)
from partybuild_rules.cli import main
from partybuild_rules.domain.messages import translate
from partybuild_rules.policy.compose import compose, load_packs
from partybuild_rules.policy.pack import TestSetup

ROOT = Path(__file__).resolve().parents[1]
NEIGHBOUR = ROOT / "tests" / "packs" / "neighbour"
PACKAGE = ROOT / "examples" / "pack-package"
VOLUNTEER = PACKAGE / "src" / "partybuild_pack_example"
CJK = re.compile(r"[\u4e00-\u9fff]")


def fen(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def copy(tmp_path: Path, source: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(source, folder)
    return folder


def edit(path: Path, old: str, new: str) -> str:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def position(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first ``needle`` in ``text``."""
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def problems_of(*paths: Any) -> list[Problem]:
    with pytest.raises(PolicyError) as caught:
        load_packs(list(paths))
    return list(caught.value.problems)


def only(problems: list[Problem], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def assert_bilingual(problem: Problem) -> None:
    """Located, and its message and hint read in Chinese (English stays for `--lang en`)."""
    assert problem.span is not None and problem.span.line > 0, problem
    assert CJK.search(translate(problem.message, "zh")), f"no Chinese for: {problem.message}"
    if problem.help:
        assert CJK.search(translate(problem.help, "zh")), f"no Chinese for: {problem.help}"
    assert problem.render("en").startswith(f"{problem.span}: {problem.message}")


@pytest.fixture(scope="module")
def neighbour() -> Pack:
    return load_pack(NEIGHBOUR)


@pytest.fixture(scope="module")
def tongjiang() -> Pack:
    return load_pack(bundled_pack())


def one_member_year(role: str, start: str, end: str | None = None) -> Dataset:
    holding: dict[str, Any] = {"role": role, "community": "C1", "start": start}
    if end is not None:
        holding["end"] = end
    return Dataset.model_validate({
        "covers": {"start": "2024-01-01", "end": "2024-12-31"},
        "communities": [{"id": "C1", "name": "东江社区"}],
        "members": [{"id": "M1", "name": "刘海峰", "residence_community": "C1", "in_service": False,
                     "roles": [holding]}],
    })


def paid(result: Any, rule_id: str) -> dict[str, Decimal]:
    return {o.period: o.amount for o in result.of_rule(rule_id) if isinstance(o, Allowance)}


# ---------------------------------------------------------------------------------------------
# extends


def test_extends_keeps_the_base_replaces_in_its_slot_and_disables(neighbour: Pack, tongjiang: Pack) -> None:
    """The base's rules stay in order; the replacing rule takes the replaced rule's slot; a
    disabled rule is gone; the pack is the extending one."""
    base_ids = [r.id for r in tongjiang.rules]
    expected = [("R2.member-absence-quarter" if i == "R2.member-absence" else i)
                for i in base_ids if i != "C3.quarterly-activity"]
    assert [r.id for r in neighbour.rules] == expected
    assert (neighbour.name, neighbour.version) == ("neighbour", "0.1.0")
    assert neighbour.replaced == {"R2.member-absence-quarter": "R2.member-absence"}
    assert neighbour.origin("R1.unit-interview").name == "tongjiang"
    assert neighbour.origin("R2.member-absence-quarter").name == "neighbour"


def test_parameter_overrides_keep_the_base_spec_unless_redeclared(neighbour: Pack, tongjiang: Pack) -> None:
    """`rectification_days: 15` changes the value and keeps the base's title and range; a
    parameter declared in full is the pack's own."""
    assert neighbour.values["rectification_days"] == 15
    assert neighbour.parameters["rectification_days"] == tongjiang.parameters["rectification_days"]
    assert neighbour.values["absence_months_short"] == 3
    assert neighbour.values["absence_months"] == 6  # not overridden: the base's default
    assert neighbour.parameter_spans["rectification_days"].file.endswith("neighbour/pack.yaml")


def test_provenance_names_the_pack_each_rule_came_from(neighbour: Pack) -> None:
    """On the bundled data: a rule of the base reports the base pack, its version and file; the
    replacing rule reports the extending pack; dated values show in the parameters."""
    result = evaluate(neighbour, load_dataset(bundled_dataset()), 2024)
    a1 = result.of_rule("A1.committee-wage")[0].provenance
    assert (a1.pack, a1.pack_version, a1.file) == ("tongjiang", "1.0.0", "tongjiang/allowance.yaml")
    assert a1.parameters["minimum_income"] == "1270.00; 1300.00 from 2024-07-01"
    r2 = result.of_rule("R2.member-absence-quarter")
    assert r2 and {o.provenance.pack for o in r2} == {"neighbour"}
    assert {o.provenance.file for o in r2} == {"neighbour/reprimand.yaml"}
    assert not result.of_rule("R2.member-absence") and not result.of_rule("C3.quarterly-activity")
    assert result.pack == "neighbour"
    allocations = [o for o in result.outcomes if o.kind == "allocation"]
    assert allocations and {(o.provenance.pack, o.provenance.file) for o in allocations} == {
        ("tongjiang", "tongjiang/allocation.yaml")}


def test_base_cases_run_with_the_base_values_and_cases_of_replaced_rules_are_skipped(neighbour: Pack) -> None:
    """Every base case that names no replaced or disabled rule runs (with the base's parameter
    values, so R7's 30-day deadline still holds) and passes; the others are skipped, by name."""
    report = run_pack_tests(neighbour)
    assert report.failed == 0 and report.passed > 0
    skipped = {case.name: case.skipped for case in report.cases if case.skipped}
    assert skipped and all(set(rules) <= {"R2.member-absence", "C3.quarterly-activity"} for rules in skipped.values())
    assert any("C3" in name for name in skipped) and any(name.startswith("R2") for name in skipped)
    ran = {case.name for case in report.cases if not case.skipped}
    assert any("重新限期30天" in name for name in ran)  # R7 with the base's rectification_days
    assert any(name.startswith("邻市") for name in ran)  # the pack's own cases


def test_base_cases_would_fail_with_the_extending_values(neighbour: Pack) -> None:
    """The base's R7 case fails if run with the extending pack's 15 days: running base cases
    with the base's values is what keeps them meaningful."""
    same_values = {path: TestSetup({}, {}, setup.skip) for path, setup in neighbour.test_setups.items()}
    broken = replace(neighbour, test_setups=same_values, _cache={})
    report = run_pack_tests(broken, select="R7 逾期一天整改")
    assert report.failed == 1


# ---------------------------------------------------------------------------------------------
# dated values and money


def test_dated_value_pays_old_amount_before_and_new_after(neighbour: Pack) -> None:
    """minimum_income 1270.00 until 30 June and 1300.00 from 1 July: A1 (2.5 ×) pays 3175.00 for
    January–June and 3250.00 for July–December."""
    amounts = paid(evaluate(neighbour, one_member_year("committee_member", "2020-01-01"), 2024),
                   "A1.committee-wage")
    assert [amounts[f"2024-{m:02d}"] for m in range(1, 13)] == [Decimal("3175.00")] * 6 + [Decimal("3250.00")] * 6


def test_split_month_is_paid_day_by_day_with_days_held(tmp_path: Path) -> None:
    """A change on 10 March for a holder from 5 March: (5 days × 3175 + 22 days × 3250) / 31,
    rounded half up once; the whole month is (9 × 3175 + 22 × 3250) / 31."""
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "pack.yaml", '{from: "2024-07-01", value: "1300.00"}', '{from: "2024-03-10", value: "1300.00"}')
    result = evaluate(load_pack(folder), one_member_year("committee_member", "2024-03-05"), 2024)
    march = next(o for o in result.of_rule("A1.committee-wage") if o.period == "2024-03")
    assert isinstance(march, Allowance)
    assert march.amount == fen((Decimal("3175.00") * 5 + Decimal("3250.00") * 22) / 31) == Decimal("2818.55")
    assert march.full_amount == fen((Decimal("3175.00") * 9 + Decimal("3250.00") * 22) / 31)
    assert march.days_held == 27


def test_a_dated_value_with_an_end_falls_back_to_the_default(tmp_path: Path) -> None:
    """An entry `until` a day is in force to that day only; later days take `default` again."""
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "pack.yaml", '{from: "2024-07-01", value: "1300.00"}',
         '{from: "2024-07-01", until: "2024-08-31", value: "1300.00"}')
    amounts = paid(evaluate(load_pack(folder), one_member_year("committee_member", "2020-01-01"), 2024),
                   "A1.committee-wage")
    assert (amounts["2024-06"], amounts["2024-07"], amounts["2024-08"], amounts["2024-09"]) == (
        Decimal("3175.00"), Decimal("3250.00"), Decimal("3250.00"), Decimal("3175.00"))


def test_an_override_is_one_value_for_every_day(neighbour: Pack) -> None:
    """`--set minimum_income=1400.00` (or `with_overrides`) replaces the dated values too."""
    changed = neighbour.with_overrides({"minimum_income": "1400.00"})
    assert "minimum_income" not in changed.dated
    amounts = paid(evaluate(changed, one_member_year("committee_member", "2020-01-01"), 2024), "A1.committee-wage")
    assert set(amounts.values()) == {Decimal("3500.00")}
    assert "minimum_income" in neighbour.dated  # the original is untouched


def test_cli_set_overrides_a_dated_parameter(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    output = tmp_path / "out.json"
    code = main(["evaluate", "--policies", str(NEIGHBOUR), "--set", "minimum_income=1400.00",
                 "--format", "json", "--output", str(output)], out, err)
    assert code == 0, err.getvalue()
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["parameters"]["minimum_income"] == "1400.00"
    assert {o["amount"] for o in data["outcomes"] if o["rule_id"] == "A1.committee-wage"
            and o["days_held"] == o["days_in_period"]} == {"3500.00"}


# ---------------------------------------------------------------------------------------------
# several packs


def test_several_packs_evaluate_together_with_their_own_provenance(tongjiang: Pack) -> None:
    """`load_packs([tongjiang, volunteer])` (= `load_pack([...])`, = `compose` of loaded packs)
    has the rules of both; each outcome names its own pack."""
    both = load_packs([bundled_pack(), VOLUNTEER])
    assert [r.id for r in both.rules] == [r.id for r in tongjiang.rules] + ["V1.volunteer-service"]
    assert [r.id for r in compose([tongjiang, load_pack(VOLUNTEER)]).rules] == [r.id for r in both.rules]
    assert both.name == "tongjiang+volunteer-service"
    data = Dataset.model_validate({
        "covers": {"start": "2024-01-01", "end": "2024-12-31"},
        "communities": [{"id": "C1", "name": "东江社区"}],
        "events": [{"id": "E1", "date": "2024-03-15", "type": "activity", "community": "C1", "kind": "volunteer"}],
    })
    result = evaluate(both, data, 2024)
    (v1,) = result.of_rule("V1.volunteer-service")
    assert (v1.period, v1.provenance.pack, v1.provenance.pack_version) == ("2024-H2", "volunteer-service", "0.1.0")
    assert v1.provenance.file == "partybuild_pack_example/rules.yaml"
    assert {o.provenance.pack for o in result.of_rule("C3.quarterly-activity")} == {"tongjiang"}


def test_a_later_pack_may_replace_a_rule_of_an_earlier_one(tmp_path: Path) -> None:
    folder = copy(tmp_path, VOLUNTEER, "volunteer")
    edit(folder / "rules.yaml", "  - id: V1.volunteer-service\n",
         "  - id: V1.volunteer-service\n    replaces: C3.quarterly-activity\n")
    slot = [r.id for r in load_pack(bundled_pack()).rules].index("C3.quarterly-activity")
    ids = [r.id for r in load_packs([bundled_pack(), folder]).rules]
    assert "C3.quarterly-activity" not in ids and ids.index("V1.volunteer-service") == slot


def test_rule_id_collision_names_both_positions(tmp_path: Path) -> None:
    folder = copy(tmp_path, VOLUNTEER, "volunteer")
    text = edit(folder / "rules.yaml", "V1.volunteer-service", "C1.unit-monthly-report")
    problem = only(problems_of(bundled_pack(), folder), "collision")
    assert problem.span is not None and problem.span.file == str(folder / "rules.yaml")
    assert (problem.span.line, problem.span.column) == position(text, "- id:")[:1] + (5,)
    base_text = (bundled_pack() / "compliance.yaml").read_text(encoding="utf-8")
    line, _ = position(base_text, "- id: C1.unit-monthly-report")
    assert f"compliance.yaml:{line}:5" in problem.message
    assert "pack `volunteer-service`" in problem.message and "pack `tongjiang`" in problem.message
    assert "replaces: C1.unit-monthly-report" in (problem.help or "")
    assert_bilingual(problem)


def test_rule_id_collision_in_an_extending_pack(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "reprimand.yaml", "  - id: R2.member-absence-quarter\n    replaces: R2.member-absence\n",
         "  - id: R1.unit-interview\n")
    problem = only(problems_of(folder), "collision")
    assert "reprimand.yaml" in str(problem.span) and "tongjiang/reprimand.yaml:4:5" in problem.message
    assert_bilingual(problem)


def test_parameter_collision_names_both_positions(tmp_path: Path) -> None:
    folder = copy(tmp_path, VOLUNTEER, "volunteer")
    text = edit(folder / "pack.yaml", "  volunteer_activities_per_half_year:", "  minimum_income:")
    edit(folder / "rules.yaml", "$volunteer_activities_per_half_year", "$minimum_income")
    problem = only(problems_of(bundled_pack(), folder), "collision")
    assert problem.span is not None and (problem.span.line, problem.span.column) == position(text, "minimum_income:")
    base_text = (bundled_pack() / "pack.yaml").read_text(encoding="utf-8")
    line, column = position(base_text, "minimum_income:")
    assert f"pack.yaml:{line}:{column}" in problem.message
    assert_bilingual(problem)


# ---------------------------------------------------------------------------------------------
# located errors, one per kind


def test_extends_of_a_pack_not_found(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    text = edit(folder / "pack.yaml", "extends: tongjiang", "extends: tongjaing")
    problem = only(problems_of(folder), "pack-not-found")
    assert problem.message == "pack `tongjaing` named by `extends` is not found"
    assert problem.span is not None and (problem.span.line, problem.span.column) == position(text, "tongjaing")
    assert str(tmp_path / "tongjaing") in (problem.help or "")  # the search order is shown
    assert_bilingual(problem)


def test_extends_cycle(tmp_path: Path) -> None:
    a = copy(tmp_path, NEIGHBOUR, "tongjiang")  # found beside `b` by name, before the bundled pack
    b = copy(tmp_path, NEIGHBOUR, "b")
    edit(a / "pack.yaml", "extends: tongjiang", "extends: b")
    problem = only(problems_of(b), "cycle")
    assert_bilingual(problem)


def test_replaces_of_a_rule_that_does_not_exist(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    text = edit(folder / "reprimand.yaml", "replaces: R2.member-absence", "replaces: R2.member-absense")
    problem = only(problems_of(folder), "unknown-rule")
    assert problem.message.startswith("rule `R2.member-absence-quarter` replaces `R2.member-absense`")
    assert problem.span is not None and (problem.span.line, problem.span.column) == position(text, "R2.member-absense")
    assert problem.help == "did you mean `R2.member-absence`?"
    assert_bilingual(problem)


def test_replaces_with_no_pack_before_it(tmp_path: Path) -> None:
    folder = copy(tmp_path, VOLUNTEER, "volunteer")
    edit(folder / "rules.yaml", "  - id: V1.volunteer-service\n",
         "  - id: V1.volunteer-service\n    replaces: C3.quarterly-activity\n")
    problem = only(problems_of(folder), "unknown-rule")
    assert "which no pack before it has" in problem.message
    assert_bilingual(problem)


def test_disable_of_an_unknown_rule(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    text = edit(folder / "pack.yaml", "  - C3.quarterly-activity", "  - C3.quarterly-activty")
    problem = only(problems_of(folder), "unknown-rule")
    assert problem.span is not None and (problem.span.line, problem.span.column) == position(text, "C3.quarterly-activty")
    assert problem.help == "did you mean `C3.quarterly-activity`?"
    assert_bilingual(problem)


def test_override_of_a_parameter_the_base_does_not_declare(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    text = edit(folder / "pack.yaml", "  rectification_days: 15", "  rectification_dayz: 15")
    problem = only(problems_of(folder), "unknown-parameter")
    assert problem.span is not None and (problem.span.line, problem.span.column) == position(text, "rectification_dayz")
    assert problem.help == "did you mean `rectification_days`?"
    assert_bilingual(problem)


def test_override_value_is_checked_against_the_base_spec(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "pack.yaml", "  rectification_days: 15", "  rectification_days: 900")
    problem = only(problems_of(folder), "parameter")
    assert "above the maximum 365" in problem.message
    assert_bilingual(problem)


def test_overlapping_dated_values(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    text = edit(folder / "pack.yaml", '      - {from: "2024-07-01", value: "1300.00"}',
                '      - {from: "2024-01-01", until: "2024-07-31", value: "1280.00"}\n'
                '      - {from: "2024-07-01", value: "1300.00"}')
    problem = only(problems_of(folder), "dated")
    assert problem.message.startswith("dated values overlap: 2024-01-01..2024-07-31 (at ")
    line, _ = position(text, '{from: "2024-01-01"')
    assert f"pack.yaml:{line}:" in problem.message
    assert problem.span is not None and problem.span.line == line + 1
    assert_bilingual(problem)


def test_dated_values_out_of_order_and_ending_before_they_start(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "pack.yaml", '      - {from: "2024-07-01", value: "1300.00"}',
         '      - {from: "2024-07-01", value: "1300.00"}\n      - {from: "2024-03-01", value: "1290.00"}')
    edit(folder / "pack.yaml", '      - {from: "2024-07-16", value: "1300.00"}',
         '      - {from: "2024-07-16", until: "2024-07-01", value: "1300.00"}')
    problems = [p for p in problems_of(folder) if p.code == "dated"]
    messages = sorted(p.message for p in problems)
    assert messages == ["dated value ends (2024-07-01) before it starts (2024-07-16)",
                        "dated values are not in date order: 2024-03-01 comes after 2024-07-01"]
    for problem in problems:
        assert_bilingual(problem)


def test_dated_value_of_the_wrong_type(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "pack.yaml", 'value: "1300.00"}', 'value: "1300.005"}')
    problem = only(problems_of(folder), "parameter")
    assert "more than two decimal places" in problem.message
    assert_bilingual(problem)


def test_dated_parameter_used_in_a_condition(tmp_path: Path) -> None:
    folder = copy(tmp_path, NEIGHBOUR, "neighbour")
    edit(folder / "pack.yaml", "    illustrative: true\n",
         '    illustrative: true\n    dated:\n      - {from: "2024-07-01", value: 4}\n')
    problem = only(problems_of(folder), "dated")
    assert problem.message == ("dated parameter `absence_months_short` is used outside an amount in rule "
                               "`R2.member-absence-quarter`")
    assert "reprimand.yaml" in str(problem.span)
    assert_bilingual(problem)


def test_a_year_outside_the_effective_dates(neighbour: Pack) -> None:
    """neighbour is in force 2024-01-01..2025-12-31: evaluating 2026 names its `effective`."""
    data = Dataset.model_validate({"covers": {"start": "2026-01-01", "end": "2026-12-31"},
                                   "communities": [{"id": "C1", "name": "东江社区"}]})
    with pytest.raises(PolicyError) as caught:
        Evaluator(neighbour).evaluate(data, 2026)
    (problem,) = caught.value.problems
    assert problem.message == "year 2026 is outside the effective dates of pack `neighbour` (2024-01-01..2025-12-31)"
    text = (NEIGHBOUR / "pack.yaml").read_text(encoding="utf-8")
    assert problem.span is not None and problem.span.file.endswith("neighbour/pack.yaml")
    assert problem.span.line == position(text, 'from: "2024-01-01"')[0]
    assert problem.help == "evaluate a year from 2024 to 2025"
    assert_bilingual(problem)


def test_a_year_before_an_open_ended_pack_in_the_cli() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["evaluate", "--year", "2023"], out, err) == 1
    assert "2023 年不在政策包 `tongjiang` 的生效期间" in err.getvalue()
    assert "请评估 2024 年或之后的年度" in err.getvalue()


def test_each_pack_of_a_composition_must_be_in_force(tmp_path: Path) -> None:
    folder = copy(tmp_path, VOLUNTEER, "volunteer")
    edit(folder / "pack.yaml", '  from: "2024-01-01"', '  from: "2025-01-01"')
    both = load_packs([bundled_pack(), folder])
    with pytest.raises(PolicyError) as caught:
        both.check_year(2024)
    assert [p.message for p in caught.value.problems] == [
        "year 2024 is outside the effective dates of pack `volunteer-service` (2025-01-01..)"]


# ---------------------------------------------------------------------------------------------
# the command line


def test_cli_several_policies() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--policies", str(bundled_pack()), "--policies", str(VOLUNTEER)],
                out, err)
    assert code == 0, err.getvalue()
    assert "V1.volunteer-service" in out.getvalue() and "C3.quarterly-activity" in out.getvalue()  # per rule
    text = main_output(["validate", "--lang", "en", str(bundled_pack()), str(VOLUNTEER)])
    rules = len(load_pack(bundled_pack()).rules) + 1
    assert text.startswith(f"ok: pack `tongjiang+volunteer-service` 1.0.0+0.1.0: {rules} rules")


def main_output(argv: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    assert main(argv, out, err) == 0, err.getvalue()
    return out.getvalue()


def test_cli_test_of_an_extending_pack_reports_skipped_cases() -> None:
    text = main_output(["--lang", "en", "test", str(NEIGHBOUR)])
    assert re.search(r"^\d+ passed, 0 failed, \d+ skipped$", text, re.M)
    assert "SKIP" in text and "(rule C3.quarterly-activity replaced or disabled)" in text


def test_cli_collision_is_exit_1_with_both_positions_in_chinese(tmp_path: Path) -> None:
    folder = copy(tmp_path, VOLUNTEER, "volunteer")
    edit(folder / "rules.yaml", "V1.volunteer-service", "C1.unit-monthly-report")
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(bundled_pack()), str(folder)], out, err) == 1
    assert "政策包 `volunteer-service` 的规则编号 `C1.unit-monthly-report` 与政策包 `tongjiang` 重复" in err.getvalue()


# ---------------------------------------------------------------------------------------------
# installed pack packages


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The example pack package installed into a temporary folder put on ``sys.path`` (the
    virtual environment is not touched)."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build") / "pack-package"
    shutil.copytree(PACKAGE, build)  # build from a copy: the checkout stays clean
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(build)],
        check=True, capture_output=True,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        importlib.invalidate_caches()


def test_installed_pack_is_found_by_entry_point(installed: Path) -> None:
    pack = load_pack("pkg:volunteer-service")
    assert pack.name == "volunteer-service"
    assert pack.path.resolve() == (installed / "partybuild_pack_example").resolve()
    assert (pack.path / "rules.yaml").is_file()  # the data files are installed with it
    report = run_pack_tests(pack)
    assert report.ok and report.passed == 1


def test_installed_pack_evaluates_with_another_from_the_cli(installed: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["evaluate", "--policies", str(bundled_pack()), "--policies", "pkg:volunteer-service",
                 "--format", "json"], out, err)
    assert code == 0, err.getvalue()
    data = json.loads(out.getvalue())
    assert data["pack"] == "tongjiang+volunteer-service"
    assert {o["provenance"]["pack"] for o in data["outcomes"]} >= {"tongjiang"}
    assert "volunteer_activities_per_half_year" in data["parameters"]


def test_extends_an_installed_pack(installed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "child"
    folder.mkdir()
    (folder / "pack.yaml").write_text(
        'pack: child\ntitle: 继承已安装的政策包\nversion: "1"\neffective: {from: "2024-01-01"}\n'
        "extends: pkg:volunteer-service\nparameters:\n  volunteer_activities_per_half_year: 2\n",
        encoding="utf-8",
    )
    pack = load_pack(folder)
    assert [r.id for r in pack.rules] == ["V1.volunteer-service"] and pack.values["volunteer_activities_per_half_year"] == 2
    assert pack.origin("V1.volunteer-service").name == "volunteer-service"


def test_a_package_not_installed(installed: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_pack("pkg:no-such-pack")
    (problem,) = caught.value.problems
    assert problem.message == "pack `pkg:no-such-pack` is not found"
    assert CJK.search(translate(problem.message, "zh")) and CJK.search(translate(problem.help or "", "zh"))
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", "pkg:no-such-pack"], out, err) == 1
    assert "找不到政策包 `pkg:no-such-pack`" in err.getvalue()


@pytest.mark.parametrize("path", [
    NEIGHBOUR / "pack.yaml", NEIGHBOUR / "reprimand.yaml", VOLUNTEER / "pack.yaml", VOLUNTEER / "rules.yaml",
], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_editor_schema_accepts_composing_packs(path: Path) -> None:
    """`extends`, value overrides without `type:`, `dated`, `disable` and `replaces` are in the schema."""
    jsonschema = pytest.importorskip("jsonschema")
    from partybuild_rules.policy.loader import parse_yaml_text
    from partybuild_rules.policy.schema import policy_schema

    document, problems = parse_yaml_text(path.read_text(encoding="utf-8"), str(path))
    assert document is not None and not problems
    errors = list(jsonschema.Draft202012Validator(policy_schema()).iter_errors(document.data))
    assert not errors, [e.message for e in errors]


def test_an_extension_of_an_extension(tmp_path: Path) -> None:
    """A pack extending `neighbour` (found beside it) gets neighbour's rules; each pack's test
    cases run with the values of the pack that wrote them, and the cases of rules replaced or
    disabled anywhere down the chain are skipped."""
    copy(tmp_path, NEIGHBOUR, "neighbour")
    child = tmp_path / "child"
    child.mkdir()
    (child / "pack.yaml").write_text(
        'pack: child\ntitle: 再继承（测试用）\nversion: "2"\neffective: {from: "2024-01-01"}\n'
        "extends: neighbour\ndisable: [C4.inspection-coverage]\nparameters:\n  absence_months_short: 4\n",
        encoding="utf-8",
    )
    pack = load_pack(child)
    assert "C4.inspection-coverage" not in [r.id for r in pack.rules]
    assert pack.origin("R2.member-absence-quarter").name == "neighbour"
    assert pack.values["absence_months_short"] == 4 and pack.values["rectification_days"] == 15
    report = run_pack_tests(pack)
    assert report.failed == 0
    skipped = {rule for case in report.cases for rule in case.skipped}
    assert skipped == {"R2.member-absence", "C3.quarterly-activity", "C4.inspection-coverage"}
    ran = {case.name for case in report.cases if not case.skipped}
    assert any(name.startswith("邻市 R2") for name in ran)  # neighbour's case, with its 3 months
