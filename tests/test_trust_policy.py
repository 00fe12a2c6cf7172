"""Regression tests for policy inputs that once crashed, hung or were silently coerced.

Each test writes the exact input that was reported and checks that it is refused with a located
problem (file:line:column), in English and in Chinese — never a traceback.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from partybuild_rules import PolicyError, load_pack
from partybuild_rules.domain.messages import translate
from partybuild_rules.policy.limits import Limits
from partybuild_rules.policy.loader import read_document

from test_policy_errors import broken, copy_pack, edit, position, problems_of


def _located(problem: object, folder: Path, file: str, text: str, needle: str, at: str | None = None) -> None:
    line, column = position(text, needle, at)
    span = problem.span  # type: ignore[attr-defined]
    assert (span.file, span.line, span.column) == (str(folder / file), line, column), problem
    assert translate(problem.message) != problem.message, f"no Chinese for {problem.message!r}"  # type: ignore[attr-defined]


def test_integer_parameter_default_true_is_refused(tmp_path: Path) -> None:
    """`default: true` for an integer parameter was read as 1 (6 → 1 turned 42 reprimands into 2,491)."""
    folder, text = broken(tmp_path, "pack.yaml", "    default: 6\n", "    default: true\n")
    (problem,) = problems_of(folder)
    assert problem.message == "parameter `absence_months`: default expected a whole number, got `True`"
    _located(problem, folder, "pack.yaml", text, "    default: true\n", "true")


def test_integer_bound_true_is_refused(tmp_path: Path) -> None:
    """A truth value as a parameter's `min` is not the number 1."""
    folder, text = broken(tmp_path, "pack.yaml", "    min: 1\n    max: 24\n", "    min: true\n    max: 24\n")
    (problem,) = problems_of(folder)
    assert "`min`: a truth value is not a number" in problem.message


@pytest.mark.parametrize("digits", ["٣١٢", "３１２"])
def test_non_ascii_digits_are_not_numbers(tmp_path: Path, digits: str) -> None:
    """`٣١٢` (Arabic-Indic) and full-width digits were read as 312."""
    folder, text = broken(tmp_path, "pack.yaml", "    default: 30\n", f'    default: "{digits}"\n')
    (problem,) = problems_of(folder)
    assert problem.message == f"parameter `rectification_days`: default expected a whole number, got `{digits}`"
    with pytest.raises(PolicyError) as caught:
        load_pack(copy_pack(tmp_path / "b"), overrides={"minimum_income": digits})
    assert "is not a decimal number" in caught.value.problems[0].message


def test_empty_subject_is_refused_by_validation(tmp_path: Path) -> None:
    """`subject: []` passed validation and ended in a TypeError."""
    folder, text = broken(tmp_path, "reprimand.yaml", "    subject: unit\n", "    subject: []\n")
    problems = problems_of(folder)
    assert [p.message for p in problems] == ["rule `R1.unit-interview` names no subject"]
    _located(problems[0], folder, "reprimand.yaml", text, "    subject: []\n", "[]")


def test_misspelt_score_field_is_refused_by_validation(tmp_path: Path) -> None:
    """A score item reading `scor` passed validation, then evaluation raised AttributeError."""
    folder, text = broken(tmp_path, "evaluation.yaml", "        field: score\n", "        field: scor\n")
    (problem,) = problems_of(folder)
    assert problem.message == "events of type `assessment` have no numeric field `scor`"
    assert problem.help == "did you mean `score`?"
    _located(problem, folder, "evaluation.yaml", text, "        field: scor\n", "scor")


def test_misspelt_score_field_per_subject(tmp_path: Path) -> None:
    folder, _ = broken(tmp_path, "evaluation.yaml", "community: score_of_community}", "community: score_of_comunity}")
    (problem,) = problems_of(folder)
    assert problem.message == "events of type `two_way_review` have no numeric field `score_of_comunity`"


def test_huge_deadline_days_are_refused_before_evaluating(tmp_path: Path) -> None:
    """`rectification_days: 3000000` (its `max` removed) ended in an OverflowError."""
    folder = copy_pack(tmp_path)
    edit(folder, "pack.yaml", "    max: 365\n", "")
    edit(folder, "pack.yaml", "    default: 30\n", "    default: 3000000\n")
    (problem,) = problems_of(folder)
    assert problem.message == "rule `R7.rectification-overdue`: a deadline 3000000 days on is more than 36500 days"
    assert problem.span is not None and problem.span.file.endswith("reprimand.yaml") and problem.span.line > 0
    edit(folder, "pack.yaml", "    default: 3000000\n", "    default: 30\n")
    pack = load_pack(folder)
    with pytest.raises(PolicyError) as caught:
        pack.with_overrides({"rectification_days": "3000000"})
    assert "more than 36500 days" in caught.value.problems[0].message


def test_huge_integer_literal_is_refused(tmp_path: Path) -> None:
    """An integer of thousands of digits made Python's int() raise ValueError while reading."""
    folder, text = broken(tmp_path, "pack.yaml", "    default: 30\n", "    default: " + "9" * 5000 + "\n")
    problem = problems_of(folder)[0]
    assert problem.message == "`99999999999999999999…` is too large for a whole number (more than 18 digits)"
    assert problem.span is not None and problem.span.line > 0


def test_lone_surrogate_is_refused(tmp_path: Path) -> None:
    """A lone surrogate `"\\ud800"` passed validation and made evaluation raise UnicodeEncodeError."""
    folder, text = broken(tmp_path, "reprimand.yaml", "    title: ", '    title: "\\ud800"\n    note: ')
    (problem,) = problems_of(folder)
    assert problem.message.startswith("text contains a lone surrogate")
    _located(problem, folder, "reprimand.yaml", text, '    title: "\\ud800"', '"')


def test_gbk_rule_file_is_not_reported_as_missing(tmp_path: Path) -> None:
    """A rule file saved as GBK was reported as "not found"."""
    folder = copy_pack(tmp_path)
    path = folder / "reprimand.yaml"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    (problem,) = problems_of(folder)
    assert problem.code == "encoding"
    assert "is not UTF-8 text" in problem.message and "GBK" in (problem.help or "")
    assert problem.span is not None and problem.span.line >= 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_rule_file_is_not_reported_as_missing(tmp_path: Path) -> None:  # pragma: no cover
    folder = copy_pack(tmp_path)
    (folder / "reprimand.yaml").chmod(0)
    (problem,) = problems_of(folder)
    assert problem.message.startswith("cannot read")


def test_rule_file_that_is_a_folder(tmp_path: Path) -> None:
    folder = copy_pack(tmp_path)
    (folder / "reprimand.yaml").unlink()
    (folder / "reprimand.yaml").mkdir()
    (problem,) = problems_of(folder)
    assert problem.message.endswith("is a folder, not a file")


def test_deep_nesting_is_refused_with_its_position(tmp_path: Path) -> None:
    """YAML nested 500 deep raised RecursionError."""
    folder = copy_pack(tmp_path)
    edit(folder, "reprimand.yaml", "    source: 对连续2年", "    deep: " + "[" * 500 + "]" * 500 + "\n    source: 对连续2年")
    (problem,) = problems_of(folder)
    assert problem.message == "nested more than 32 levels deep"
    assert problem.span is not None and problem.span.line > 1


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_deep_nesting_below_python_limit(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"deep{suffix}"
    path.write_text('{"a": ' + "[" * 100 + "]" * 100 + "}")
    document, problems = read_document(path)
    assert document is None and [p.message for p in problems] == ["nested more than 32 levels deep"]
    assert problems[0].span is not None and problems[0].span.column > 6
    assert read_document(path, Limits(max_depth=200))[1] == []


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    """Ten levels of aliases (10**10 values) hung and took 7 GB."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 11):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    document, problems = read_document(path)
    assert time.perf_counter() - started < 5
    assert document is None
    assert [p.message for p in problems] == ["more than 100 aliases (`*name`) in one file"]
    assert translate(problems[0].message).startswith("一个文件中的别名")


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    document, problems = read_document(path, Limits(max_bytes=1000))
    assert document is None and problems[0].code == "limit"
    assert problems[0].message == f"`{path}` is 2004 bytes, more than the limit of 1000"


def test_value_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text("a: [" + ", ".join(["1"] * 50) + "]\n")
    document, problems = read_document(path, Limits(max_values=20))
    assert document is None and problems[0].message == "more than 20 values in one file"


@pytest.mark.parametrize("text", ["10\n  ", '"\\ud800"', "null", "[1, [2, {}]]"])
def test_json_documents_that_are_not_mappings(tmp_path: Path, text: str) -> None:
    """A JSON document that is a number (`10`, found by atheris) raised TypeError while its
    nesting was measured."""
    from partybuild_rules import DataError, load_dataset

    path = tmp_path / "data.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert caught.value.problems and caught.value.render("zh").encode("utf-8")
