"""A broken policy pack is refused with every problem, its exact message and its file:line:column.

Each test copies the bundled pack into a temporary folder, breaks it in one way and checks the
problem reported. Positions are computed from the broken text (1-based line and column of the
offending token), so the tests do not depend on the exact layout of the bundled files.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from typing import Any
from pathlib import Path

import pytest

from partybuild_rules import Pack, PolicyError, Problem, Span, bundled_pack, load_pack
from partybuild_rules.policy.loader import parse_yaml_text

# -- helpers ---------------------------------------------------------------------------------


def copy_pack(tmp_path: Path) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    return folder


def edit(folder: Path, file: str, old: str, new: str) -> str:
    """Replace the first ``old`` in ``file`` by ``new``; return the new text."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}: the bundled pack changed, update the test"
    text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    return text


def broken(tmp_path: Path, file: str, old: str, new: str) -> tuple[Path, str]:
    folder = copy_pack(tmp_path)
    return folder, edit(folder, file, old, new)


def position(text: str, needle: str, at: str | None = None) -> tuple[int, int]:
    """1-based line and column of ``at`` inside the first line-spanning occurrence of ``needle``
    (of ``needle`` itself when ``at`` is None)."""
    start = text.index(needle) + (needle.index(at) if at is not None else 0)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return line, column


def problems_of(folder: Path, **kwargs: object) -> tuple[Problem, ...]:
    with pytest.raises(PolicyError) as caught:
        load_pack(folder, **kwargs)  # type: ignore[arg-type]
    return caught.value.problems


def only(problems: tuple[Problem, ...], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, problems
    return found[0]


def at(folder: Path, file: str, line: int, column: int) -> Span:
    return Span(str(folder / file), line, column)


# -- syntax ----------------------------------------------------------------------------------


def test_yaml_syntax_error_has_its_position(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "    subject: unit\n", "    subject: unit: member\n")
    problem = only(problems_of(folder), "syntax")
    assert problem.message == "yaml syntax: mapping values are not allowed here"
    assert problem.span == at(folder, "reprimand.yaml", *position(text, "subject: unit: member", ": member"))
    assert problem.help


def test_duplicate_key(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    old = "    kind: reprimand\n    subject: unit\n"
    text = edit(folder, "reprimand.yaml", old, "    kind: reprimand\n    kind: commendation\n    subject: unit\n")
    first_line, _ = position(text, "    kind: reprimand\n    kind: commendation")
    problem = only(problems_of(folder), "duplicate-key")
    assert problem.message == f"duplicate key `kind` (first at line {first_line})"
    assert problem.span == at(folder, "reprimand.yaml", first_line + 1, 5)


def test_duplicate_key_in_manifest(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    text = edit(folder, "pack.yaml", "    default: 6\n", "    default: 6\n    default: 7\n")
    line, column = position(text, "default: 7")
    problem = only(problems_of(folder), "duplicate-key")
    assert "duplicate key `default`" in problem.message
    assert problem.span == at(folder, "pack.yaml", line, column)


# -- unknown fields and wrong types ------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "name", "hint"),
    [
        ("reprimand.yaml", "    subject: unit\n", "    subjct: unit\n", "subjct", "subject"),
        ("reprimand.yaml", "        target: leader", "        taget: leader", "taget", "target"),
        pytest.param(
            "pack.yaml", "    default: 6\n", "    defualt: 6\n", "defualt", "default"
        ),
        pytest.param(
            "compliance.yaml", "events: {type: unit_report}", "events: {type: unit_report, knd: x}",
            "knd", "kind"
        ),
        ("pack.yaml", "rule_files:\n", "rule_file:\n", "rule_file", "rule_files"),
        ("evaluation.yaml", "        field: score\n", "        feild: score\n", "feild", "field"),
        ("compliance.yaml", "        less_than: $unit_reports", "        less_then: $unit_reports", "less_then", "less_than"),
    ],
)
def test_unknown_field_with_suggestion(
    tmp_path: Path, file: str, old: str, new: str, name: str, hint: str
) -> None:
    folder, text = broken(tmp_path, file, old, new)
    problem = only(problems_of(folder), "unknown-field")
    assert problem.message == f"unknown field `{name}`"
    assert problem.help == f"did you mean `{hint}`?"
    assert problem.span == at(folder, file, *position(text, name + ":"))


def test_unknown_field_message_in_str(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "    subject: unit\n", "    subjct: unit\n")
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    line, column = position(text, "subjct:")
    assert f"reprimand.yaml:{line}:{column}: unknown field `subjct`" in str(caught.value)
    assert "help: did you mean `subject`?" in str(caught.value)


def test_wrong_type_of_a_literal(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "        target: leader", "        target: [leader]")
    problem = only(problems_of(folder), "literal_error")
    assert problem.message == "`rules.0.then.0.target`: input should be 'subject' or 'leader'"
    assert problem.span == at(folder, "reprimand.yaml", *position(text, "target: [leader]", "["))


def test_truth_value_where_a_number_is_expected(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "reaches: $absence_months", "reaches: true")
    problems = problems_of(folder)
    assert len(problems) == 1, problems
    assert "expected a number or a `$parameter`, not a truth value" in problems[0].message
    assert problems[0].message.startswith("`rules.1.when.absence_streak.reaches`")
    assert problems[0].span == at(folder, "reprimand.yaml", *position(text, "reaches: true", "true"))


def test_text_where_a_list_is_expected(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    edit(
        folder, "pack.yaml",
        "rule_files:\n  - evaluation.yaml\n  - reprimand.yaml\n  - compliance.yaml\n  - allowance.yaml\n"
        "  - allocation.yaml\n",
        "rule_files: evaluation.yaml\n",
    )
    text = (folder / "pack.yaml").read_text(encoding="utf-8")
    problems = problems_of(folder)
    problem = next(p for p in problems if p.path == ("rule_files",))
    assert problem.message.startswith("`rule_files`: input should be a valid tuple")
    assert "(got `evaluation.yaml`)" in problem.message
    assert problem.span == at(folder, "pack.yaml", *position(text, "rule_files: evaluation.yaml", "evaluation"))


def test_integer_parameter_default_that_is_not_a_number(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "pack.yaml", "    default: 6\n", "    default: six\n")
    problem = only(problems_of(folder), "parameter")
    assert problem.message == "parameter `absence_months`: default expected a whole number, got `six`"
    assert problem.span == at(folder, "pack.yaml", *position(text, "default: six", "six"))


# -- parameters --------------------------------------------------------------------------------


def test_unknown_parameter_with_suggestion(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "reaches: $absence_months", "reaches: $absense_months")
    problem = only(problems_of(folder), "unknown-parameter")
    assert problem.message == "unknown parameter `$absense_months`"
    assert problem.help == "did you mean `absence_months`?"
    assert problem.span == at(folder, "reprimand.yaml", *position(text, "$absense_months"))


def test_unknown_parameter_inside_a_formula(tmp_path: Path) -> None:
    folder, text = broken(
        tmp_path, "allowance.yaml", "amount: $committee_multiplier * $minimum_income",
        "amount: $committee_multiplier * $minimun_income",
    )
    problem = only(problems_of(folder), "unknown-parameter")
    assert problem.message == "unknown parameter `$minimun_income`"
    assert problem.help == "did you mean `minimum_income`?"
    assert problem.span == at(folder, "allowance.yaml", *position(text, "$committee_multiplier * $minimun"))


def test_unknown_parameter_without_a_close_name_says_where_to_declare(tmp_path: Path) -> None:
    folder, _ = broken(tmp_path, "reprimand.yaml", "reaches: $absence_months", "reaches: $zzz")
    problem = only(problems_of(folder), "unknown-parameter")
    assert problem.message == "unknown parameter `$zzz`"
    assert "pack.yaml" in (problem.help or "")


def test_money_default_with_three_decimals_is_refused(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "pack.yaml", 'default: "1270.00"', 'default: "1270.005"')
    problem = only(problems_of(folder), "parameter")
    assert problem.message == (
        "parameter `minimum_income`: default `1270.005` has more than two decimal places; "
        "money is exact to the fen"
    )
    assert problem.span == at(folder, "pack.yaml", *position(text, '"1270.005"'))


def test_money_default_written_bare_with_three_decimals_is_refused(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "pack.yaml", 'default: "1270.00"', "default: 1270.005")
    problem = only(problems_of(folder), "parameter")
    assert "`1270.005` has more than two decimal places" in problem.message
    assert problem.span == at(folder, "pack.yaml", *position(text, "1270.005"))


def test_float_looking_defaults_stay_exact(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    edit(folder, "pack.yaml", 'default: "2.5"', "default: 0.1")
    edit(folder, "pack.yaml", 'default: "1270.00"', "default: 1270.10")
    pack = load_pack(folder)
    multiplier = pack.values["committee_multiplier"]
    assert isinstance(multiplier, Decimal) and multiplier == Decimal("0.1") and str(multiplier) == "0.1"
    assert pack.values["minimum_income"] == Decimal("1270.10")
    assert str(pack.values["minimum_income"]) == "1270.10"


# -- YAML 1.1 coercions are not applied --------------------------------------------------------


def test_yaml_scalars_stay_as_written() -> None:
    text = "a: no\nb: 010\nc: 2024-01-01\nd: 0.1\ne: yes\nf: 0x10\ng: 1e3\nh: ~\ni: true\nj: 12\nk: off\n"
    document, problems = parse_yaml_text(text, "x.yaml")
    assert not problems and document is not None
    assert document.data == {
        "a": "no", "b": "010", "c": "2024-01-01", "d": "0.1", "e": "yes", "f": "0x10", "g": "1e3",
        "h": None, "i": True, "j": 12, "k": "off",
    }


def test_leading_zero_integer_is_not_octal(tmp_path: Path) -> None:
    folder, _ = broken(tmp_path, "pack.yaml", "    default: 30\n", "    default: 010\n")
    assert load_pack(folder).values["rectification_days"] == 10


def test_bare_date_is_read_as_the_declared_type(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    edit(folder, "pack.yaml", '  from: "2024-01-01"', "  from: 2024-01-01")
    edit(
        folder, "pack.yaml", "parameters:\n",
        "parameters:\n  report_day:\n    title: 报告日（示例）\n    type: text\n    default: 2024-01-01\n",
    )
    pack = load_pack(folder)
    assert pack.effective_from == date(2024, 1, 1)
    assert pack.values["report_day"] == "2024-01-01"
    assert isinstance(pack.values["report_day"], str)


def test_tier_named_no_is_a_name_not_false(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    edit(folder, "evaluation.yaml", "{tier: 差, min: 0", "{tier: no, min: 0")
    edit(folder, "allowance.yaml", "差: $new_org_funds_poor", "no: $new_org_funds_poor")
    edit(folder, "allowance.yaml", "差: $secretary_subsidy_poor", "no: $secretary_subsidy_poor")
    pack = load_pack(folder)
    tiers = [t.tier for t in pack.rule("E1.annual-rating").tiers or ()]
    assert tiers[-1] == "no"
    assert "no" in (pack.rule("A4.secretary-subsidy").amount_by_tier or {})


def test_subject_field_of_the_wrong_type_is_refused(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "applies_if: {in_service: true}", "applies_if: {in_service: no}")
    problems = problems_of(folder)
    assert any("in_service" in p.message for p in problems)
    assert any(p.span and p.span.line == position(text, "in_service: no")[0] for p in problems)


def test_yaml_11_truth_word_is_not_a_boolean(tmp_path: Path) -> None:
    folder, _ = broken(tmp_path, "evaluation.yaml", "    rating: true\n", "    rating: no\n")
    problems = problems_of(folder)
    assert any("rating" in p.message for p in problems)


# -- whole-pack stages -------------------------------------------------------------------------


def test_rule_id_used_twice(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "id: R7.rectification-overdue", "id: R2.member-absence")
    first = position(text, "R2.member-absence")
    second = position(text, "id: R2.member-absence\n    title: 督查", "R2")
    problem = only(problems_of(folder), "duplicate-rule")
    file = str(folder / "reprimand.yaml")
    assert problem.message == f"rule id `R2.member-absence` is used twice (first at {file}:{first[0]}:{first[1]})"
    assert problem.span == Span(file, *second)


def test_unknown_subject_field_in_applies_if(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "applies_if: {in_service: true}", "applies_if: {in_servce: true}")
    problem = only(problems_of(folder), "unknown-subject-field")
    assert problem.message == (
        "unknown subject field `in_servce` for subject member in rule `R2.member-absence`"
    )
    assert problem.help == "did you mean `in_service`?"
    assert problem.span == at(folder, "reprimand.yaml", *position(text, "in_servce"))


def test_unknown_subject_field_in_a_measure_condition(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "reprimand.yaml", "if: {five_star: true}", "if: {five_stars: true}")
    problem = only(problems_of(folder), "unknown-subject-field")
    assert "unknown subject field `five_stars`" in problem.message
    assert problem.help == "did you mean `five_star`?"
    assert problem.span == at(folder, "reprimand.yaml", *position(text, "five_stars"))


def test_unknown_tier_in_a_rating_condition(tmp_path: Path) -> None:
    folder, text = broken(
        tmp_path, "reprimand.yaml", "rating: {year: current, tier: 一般}", "rating: {year: current, tier: 一班}"
    )
    problem = only(problems_of(folder), "unknown-tier")
    assert problem.message == "unknown tier `一班` in rule `R1.unit-interview`"
    assert problem.help is not None and all(t in problem.help for t in ("好", "较好", "一般", "差"))
    assert problem.span == at(folder, "reprimand.yaml", *position(text, "一班"))


def test_unknown_tier_close_to_a_known_one_is_suggested(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "allowance.yaml", "较好: $new_org_funds_fair", "较好的: $new_org_funds_fair")
    problem = only(problems_of(folder), "unknown-tier")
    assert problem.message == "unknown tier `较好的` in rule `A4.new-org-activity-funds`"
    assert problem.help == "did you mean `较好`?"
    line, _ = position(text, "较好的")
    assert problem.span is not None and (problem.span.file, problem.span.line) == (str(folder / "allowance.yaml"), line)


def test_unknown_tier_as_a_key_points_at_the_key(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "allowance.yaml", "较好: $new_org_funds_fair", "较好的: $new_org_funds_fair")
    problem = only(problems_of(folder), "unknown-tier")
    assert problem.span == at(folder, "allowance.yaml", *position(text, "较好的"))


def test_missing_rule_file(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "pack.yaml", "  - allowance.yaml", "  - allowances.yaml")
    problem = only(problems_of(folder), "io")
    assert problem.message == "rule file `allowances.yaml` not found"
    assert problem.span == at(folder, "pack.yaml", *position(text, "allowances.yaml"))
    assert str(folder / "allowances.yaml") in (problem.help or "")


def test_deleted_rule_file(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    (folder / "compliance.yaml").unlink()
    text = (folder / "pack.yaml").read_text(encoding="utf-8")
    problem = only(problems_of(folder), "io")
    assert problem.message == "rule file `compliance.yaml` not found"
    assert problem.span == at(folder, "pack.yaml", *position(text, "compliance.yaml"))


def test_missing_manifest(tmp_path: Path) -> None:
    problems = problems_of(tmp_path / "nowhere")
    assert len(problems) == 1 and problems[0].code == "io"
    assert "file not found" in problems[0].message


def test_every_problem_of_a_pack_is_reported_sorted_by_position(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    pack_text = edit(folder, "pack.yaml", 'default: "1270.00"', 'default: "1270.005"')
    edit(folder, "reprimand.yaml", "    subject: unit\n", "    subjct: unit\n")
    reprimand = edit(folder, "reprimand.yaml", "reaches: $absence_months", "reaches: $absense_months")
    allowance = edit(folder, "allowance.yaml", "amount: $grid_leader_subsidy", "amount: $grid_leader_subsidi")
    compliance = edit(folder, "compliance.yaml", "    subject: community\n", "    subject: community: x\n")
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    problems = caught.value.problems
    expected = [
        ("allowance.yaml", position(allowance, "$grid_leader_subsidi"), "unknown parameter `$grid_leader_subsidi`"),
        ("compliance.yaml", position(compliance, "community: x", ": x"), "yaml syntax: mapping values"),
        ("pack.yaml", position(pack_text, '"1270.005"'), "parameter `minimum_income`: default `1270.005`"),
        ("reprimand.yaml", position(reprimand, "subjct:"), "unknown field `subjct`"),
        ("reprimand.yaml", position(reprimand, "$absense_months"), "unknown parameter `$absense_months`"),
    ]
    assert [(Path(p.span.file).name, (p.span.line, p.span.column)) for p in problems if p.span] == [
        (file, where) for file, where, _ in expected
    ]
    for problem, (_, _, message) in zip(problems, expected):
        assert problem.message.startswith(message)
    assert list(problems) == sorted(problems, key=Problem.sort_key)
    assert str(caught.value).startswith("5 problems in policy:")


# -- overrides -----------------------------------------------------------------------------------


def _override_problems(pack: Pack, how: str, overrides: dict[str, object]) -> tuple[Problem, ...]:
    with pytest.raises(PolicyError) as caught:
        if how == "load_pack":
            load_pack(bundled_pack(), overrides=overrides)
        else:
            pack.with_overrides(overrides)
    return caught.value.problems


HOW = pytest.mark.parametrize("how", ["load_pack", "with_overrides"])


@HOW
def test_override_of_unknown_parameter_suggests_the_name(tongjiang_pack: Pack, how: str) -> None:
    (problem,) = _override_problems(tongjiang_pack, how, {"absense_months": 3})
    assert problem.message == "unknown parameter `absense_months`"
    assert problem.help == "did you mean `absence_months`?"
    assert problem.code == "unknown-parameter"


@HOW
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("absence_months", 0, "parameter `absence_months`: `0` is below the minimum 1"),
        ("absence_months", 25, "parameter `absence_months`: `25` is above the maximum 24"),
        ("minimum_income", "-0.01", "parameter `minimum_income`: `-0.01` is below the minimum 0"),
        ("committee_multiplier", "10.5", "parameter `committee_multiplier`: `10.5` is above the maximum 10"),
    ],
)
def test_override_out_of_range(tongjiang_pack: Pack, how: str, name: str, value: object, message: str) -> None:
    (problem,) = _override_problems(tongjiang_pack, how, {name: value})
    assert problem.message == message


@HOW
@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("absence_months", "six", "expected a whole number, got `six`"),
        ("absence_months", "3.5", "expected a whole number, got `3.5`"),
        ("absence_months", True, "expected a whole number"),
        ("minimum_income", 1300.5, "is a float"),
        ("minimum_income", "1300.001", "more than two decimal places"),
        ("committee_multiplier", "abc", "`abc` is not a decimal number"),
        ("minimum_income", "NaN", "not a finite number"),
    ],
)
def test_override_of_the_wrong_type(tongjiang_pack: Pack, how: str, name: str, value: object, message: str) -> None:
    (problem,) = _override_problems(tongjiang_pack, how, {name: value})
    assert problem.message.startswith(f"parameter `{name}`: ")
    assert message in problem.message


@HOW
def test_override_too_large_for_money_is_a_problem(tongjiang_pack: Pack, how: str) -> None:
    (problem,) = _override_problems(tongjiang_pack, how, {"minimum_income": "1e30"})
    assert problem.message.startswith("parameter `minimum_income`: ")


@HOW
def test_every_override_problem_is_reported(tongjiang_pack: Pack, how: str) -> None:
    problems = _override_problems(
        tongjiang_pack, how, {"absence_months": 0, "minimm_income": "1", "grid_leader_subsidy": "x"}
    )
    assert sorted(p.message.split(":")[0] for p in problems) == [
        "parameter `absence_months`", "parameter `grid_leader_subsidy`", "unknown parameter `minimm_income`",
    ]


def test_valid_overrides_change_only_the_copy(tongjiang_pack: Pack) -> None:
    changed = tongjiang_pack.with_overrides({"minimum_income": "1300.00", "absence_months": "3"})
    assert changed.values["minimum_income"] == Decimal("1300.00")
    assert changed.values["absence_months"] == 3
    assert dict(changed.overrides) == {"minimum_income": Decimal("1300.00"), "absence_months": 3}
    assert tongjiang_pack.values["minimum_income"] == Decimal("1270.00")
    assert tongjiang_pack.values["absence_months"] == 6
    loaded = load_pack(bundled_pack(), overrides={"minimum_income": "1300.00", "absence_months": 3})
    assert loaded.values == changed.values


def test_overrides_file(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("parameters:\n  minimum_income: 1300.00\n  absence_months: 3\n", encoding="utf-8")
    pack = load_pack(bundled_pack(), overrides=path)
    assert pack.values["minimum_income"] == Decimal("1300.00")
    assert pack.values["absence_months"] == 3


def test_overrides_file_with_an_unknown_parameter(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("minimum_income: 1300.00\nabsence_month: 3\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_pack(bundled_pack(), overrides=path)
    (problem,) = caught.value.problems
    assert problem.message == "unknown parameter `absence_month`"
    assert problem.help == "did you mean `absence_months`?"
    assert problem.span is not None and problem.span.file == str(path)


def test_overrides_file_problem_has_its_line(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("minimum_income: 1300.00\nabsence_month: 3\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_pack(bundled_pack(), overrides=path)
    (problem,) = caught.value.problems
    assert problem.span == Span(str(path), 2, 1)


# -- safety ------------------------------------------------------------------------------------------


def test_python_tag_on_a_scalar_is_refused(tmp_path: Path) -> None:
    folder, text = broken(tmp_path, "pack.yaml", "title: 同江市", "title: !!python/name:os.system 同江市")
    problem = only(problems_of(folder), "syntax")
    assert problem.message == "tag `tag:yaml.org,2002:python/name:os.system` is not allowed"
    assert problem.span == at(folder, "pack.yaml", *position(text, "!!python"))


def test_python_object_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    folder, _ = broken(
        tmp_path, "reprimand.yaml", "    source: 对连续2年",
        f'    source: !!python/object/apply:os.system ["touch {marker}"]\n    note: 对连续2年',
    )
    problems_of(folder)  # refused
    assert not marker.exists()


def test_python_tag_in_data_text_is_refused() -> None:
    _, problems = parse_yaml_text("a: !!python/object:builtins.dict x\nb: !!binary aGVsbG8=\n", "x.yaml")
    assert [p.message for p in problems] == [
        "tag `tag:yaml.org,2002:python/object:builtins.dict` is not allowed",
        "tag `tag:yaml.org,2002:binary` is not allowed",
    ]
    assert [(p.span.line, p.span.column) for p in problems if p.span] == [(1, 4), (2, 4)]


def test_python_tag_on_a_collection_is_refused(tmp_path: Path) -> None:
    folder, _ = broken(tmp_path, "pack.yaml", "rule_files:\n", "rule_files: !!python/tuple\n")
    problems = problems_of(folder)
    assert any("python/tuple" in p.message for p in problems)


def test_allowed_values_are_not_held_to_the_range_of_the_value() -> None:
    """A parameter with allowed values and a maximum accepts an allowed value within the range,
    and refuses one outside it (the allowed list itself is not range-checked)."""
    from partybuild_rules.policy.documents import ParameterSpec
    from partybuild_rules.policy.pack_files import parameter_value

    spec = ParameterSpec(title="t", type="integer", default=2, allowed=(1, 2, 3, 9), max=3)
    assert parameter_value(spec, 1) == 1
    with pytest.raises(ValueError, match="above the maximum 3"):
        parameter_value(spec, 9)
    with pytest.raises(ValueError, match="not one of"):
        parameter_value(spec, 4)


def test_libyaml_and_pyyaml_read_every_bundled_yaml_file_alike() -> None:
    """YAML is read with libyaml's parser where PyYAML has it (PyYAML's own parser only for a
    document libyaml refuses): on every YAML file the project ships, both give the same data and
    the same position for every value and key."""
    import yaml

    from partybuild_rules.policy import loader

    if loader._FastLoader is None:
        pytest.skip("PyYAML was built without libyaml here")
    root = Path(__file__).resolve().parents[1]
    files = sorted(p for folder in ("policies", "examples", "tests/packs") for p in (root / folder).rglob("*.y*ml"))
    assert len(files) > 20
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            py = loader._single_node(loader._NodeLoader, text)
        except yaml.YAMLError:
            continue  # a deliberately broken example: libyaml refuses it too, then PyYAML reads it
        fast = loader._single_node(loader._FastLoader, text)

        def walk(a: Any, b: Any, where: str) -> None:
            assert type(a) is type(b) and a.tag == b.tag, where
            assert (a.start_mark.line, a.start_mark.column) == (b.start_mark.line, b.start_mark.column), where
            if isinstance(a, yaml.ScalarNode):
                assert (a.value, a.style or None) == (b.value, b.style or None), where  # plain: None or ""
            elif isinstance(a, yaml.SequenceNode):
                assert len(a.value) == len(b.value), where
                for x, y in zip(a.value, b.value):
                    walk(x, y, where)
            else:
                assert len(a.value) == len(b.value), where
                for (k1, v1), (k2, v2) in zip(a.value, b.value):
                    walk(k1, k2, where)
                    walk(v1, v2, f"{where}:{k1.value}")

        if py is None:
            assert fast is None, path
        else:
            walk(py, fast, str(path))
