"""The README's Python API example (examples/api_example.py) runs and says what it claims."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "api_example.py"


def test_api_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """It prints reprimanded members with the clause they breached, the committee wage total at
    the overridden minimum income, and an explanation of a unit interviewed under R1."""
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    printed = capsys.readouterr().out
    assert "通报批评" in printed
    assert "because: 对连续半年不参加“联学共建”活动的在职党员通报批评" in printed
    assert "committee wages: 1910510.75" in printed  # 1,300.00 × 2.5 per month held, pro-rated
    assert "R1.unit-interview" in printed and "约谈" in printed


def test_readme_shows_the_example() -> None:
    """The README's API snippet is the example file's code (so the README cannot drift)."""
    readme = (EXAMPLE.parents[1] / "README.md").read_text(encoding="utf-8")
    for line in ("pack = load_pack(bundled_pack(), overrides={\"minimum_income\": \"1300.00\"})",
                 "result = evaluate(pack, data, 2024)"):
        assert line in readme and line in EXAMPLE.read_text(encoding="utf-8")
