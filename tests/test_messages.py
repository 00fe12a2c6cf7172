"""Every kind of policy mistake reads in Chinese by default (and in English with `--lang en`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from partybuild_rules import PolicyError, bundled_pack, load_pack
from partybuild_rules.domain.messages import translate

CJK = re.compile(r"[\u4e00-\u9fff]")

BREAKS = [
    ("reprimand.yaml", "    subject: unit\n", "    subjct: unit\n"),  # unknown field
    ("reprimand.yaml", "$absence_months", "$absense_months"),  # unknown parameter
    ("reprimand.yaml", "applies_if: {in_service: true}", "applies_if: {in_servce: true}"),  # subject field
    ("reprimand.yaml", "applies_if: {in_service: true}", "applies_if: {in_service: no}"),  # field type
    ("reprimand.yaml", "rating: {year: previous, tier: 一般}", "rating: {year: previous, tier: 一搬}"),  # tier
    ("reprimand.yaml", "  - id: R7.rectification-overdue", "  - id: R2.member-absence"),  # rule id twice
    ("reprimand.yaml", "    kind: reprimand\n", "    kind: reprimand\n    kind: reprimand\n"),  # duplicate key
    ("reprimand.yaml", "rules:\n", "rules:\n  - [\n"),  # yaml syntax
    ("pack.yaml", 'default: "1270.00"', 'default: "1270.005"'),  # bad money literal
    ("pack.yaml", "  - allowance.yaml\n", "  - allowances.yaml\n"),  # missing rule file
    ("compliance.yaml", "per: month", "per: fortnight"),  # bad period
    ("allowance.yaml", "amount: $committee_multiplier * $minimum_income", "amount: $committee_multiplier * * 2"),
]


@pytest.mark.parametrize(("file", "old", "new"), BREAKS)
def test_each_kind_of_policy_mistake_reads_in_chinese(tmp_path: Path, file: str, old: str, new: str) -> None:
    """The problem is located (file:line:column) and its message and hint are in Chinese, while
    the English text stays available for `--lang en`."""
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    for problem in caught.value.problems:
        assert problem.span is not None and problem.span.file.endswith(".yaml") and problem.span.line > 0
        chinese = problem.render("zh")
        assert CJK.search(translate(problem.message, "zh")), f"no Chinese for: {problem.message}"
        if problem.help:
            assert CJK.search(translate(problem.help, "zh")) or "`" in problem.help, problem.help
        assert f"{problem.span.line} | " in chinese  # the offending line is shown
        assert problem.render("en").startswith(f"{problem.span}: {problem.message}")
