"""The benchmark's fast reference evaluator (``benchmarks/reference_evaluator.py``) gives the
same outcomes as the clear one (``tests/reference.py``): the same keys (rule, subject, period),
with multiplicity, and the same amounts to the fen. Both are written from domain.md alone, so
the benchmark's ratios are against an evaluator of the same rules."""

from __future__ import annotations

import importlib.util
from collections import Counter
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import reference

BENCHMARK_REFERENCE = Path(__file__).resolve().parent.parent / "benchmarks" / "reference_evaluator.py"

Key = tuple[str, str, str, "Decimal | None"]


@cache
def fast() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_evaluator", BENCHMARK_REFERENCE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clear_outcomes(raw: dict[str, Any], year: int) -> Counter[Key]:
    """``tests/reference.py``'s outcomes as (rule, subject, period, amount) keys."""
    return Counter(
        (o.rule_id, o.subject, o.period, o.detail[0] if o.rule_id.startswith("A") else None)
        for o in reference.expected(raw, year)
    )


def ends_on(raw: dict[str, Any], last: str) -> dict[str, Any]:
    """The data recorded up to ``last``, inside a month: the last month, quarter and half year
    are then only partly recorded."""
    return {**raw, "covers": {**raw["covers"], "end": last},
            "events": [e for e in raw["events"] if e["date"] <= last]}


@cache
def _compared(path: str) -> dict[str, tuple[Counter[Key], Counter[Key]]]:
    raw = reference.load(path)
    cases = {"2024": (raw, 2024), "2023": (raw, 2023), "cut-2024-10-20": (ends_on(raw, "2024-10-20"), 2024)}
    return {name: (Counter(fast().evaluate(data, year)), clear_outcomes(data, year))
            for name, (data, year) in cases.items()}


@pytest.fixture(scope="module")
def compared(example_data_path: Path) -> dict[str, tuple[Counter[Key], Counter[Key]]]:
    # Engine-independent: computed once however many engines the session runs.
    return _compared(str(example_data_path))


@pytest.mark.parametrize("case", ["2024", "2023", "cut-2024-10-20"])
def test_benchmark_reference_agrees_with_the_clear_reference(
    compared: dict[str, tuple[Counter[Key], Counter[Key]]], case: str
) -> None:
    got, want = compared[case]
    assert sum(want.values()) > 0
    assert got - want == Counter(), "outcomes only the benchmark reference gives"
    assert want - got == Counter(), "outcomes the benchmark reference misses"
    amounts = [key[3] for key in got if key[3] is not None]
    assert amounts and all(isinstance(a, Decimal) and a == a.quantize(Decimal("0.01")) for a in amounts)
