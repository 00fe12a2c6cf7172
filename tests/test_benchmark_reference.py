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
def _benchmark_module(name: str) -> ModuleType:
    """A module of ``benchmarks/`` (a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, BENCHMARK_REFERENCE.parent / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fast() -> ModuleType:
    return _benchmark_module("reference_evaluator")


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


# -- the benchmark's verdicts ---------------------------------------------------------------------


def _summary(**changes: Any) -> dict[str, Any]:
    measured: dict[str, Any] = dict(
        events=1, engine="durable", jobs=None, jobs_supported=True, outcomes=(1, 1), agree=True,
        library_import_s=0.4, library_load_s=0.2, library_evaluate_s=0.2, library_end_to_end_s=0.9,
        library_peak_mib=96, reference_load_s=0.15, reference_evaluate_s=0.05, reference_end_to_end_s=0.25,
        reference_peak_mib=65,
    )
    measured.update(changes)
    measured["evaluate_ratio"] = measured["library_evaluate_s"] / measured["reference_evaluate_s"]
    measured["end_to_end_ratio"] = measured["library_end_to_end_s"] / measured["reference_end_to_end_s"]
    return measured


def test_the_benchmark_says_which_target_is_not_met_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse
    import time

    bench = _benchmark_module("bench_scale")
    summary = {
        1: _summary(),
        10: _summary(library_evaluate_s=1.0, reference_evaluate_s=0.6, library_end_to_end_s=5.0,
                     reference_end_to_end_s=3.0),
        100: _summary(library_end_to_end_s=73.6, reference_end_to_end_s=66.4, library_peak_mib=3772),
    }
    bench.report(summary, argparse.Namespace(runs=1, jobs=None), [], time.perf_counter())
    lines = capsys.readouterr().out.splitlines()

    def verdict(start: str) -> str:
        (line,) = [line for line in lines if line.startswith(start)]
        return line

    assert "NOT met — why: the library derives the facts" in verdict("- scale 1: evaluate ratio 4.00")
    assert "NOT met — why: importing the library took 0.40 s of it, 1.6×" in verdict("- scale 1: end-to-end")
    assert verdict("- scale 10: evaluate ratio 1.67 ≤ 2: met").endswith("met")
    assert verdict("- scale 10: end-to-end ratio 1.67 ≤ 3: met").endswith("met")
    assert "NOT met — why: the reference itself took 66.4 s" in verdict("- scale 100: end to end 73.6 s")
    assert verdict("- scale 100: peak 3.68 GiB < 4 GiB").endswith(": met")
    assert verdict("- scale 10: at least 100 times faster").endswith("115 times, met")


def test_the_benchmark_writes_the_bytecode_before_it_times_imports() -> None:
    bench = _benchmark_module("bench_scale")
    reference = Path(bench.HERE) / "reference_evaluator.py"
    spec = importlib.util.find_spec("partybuild_rules")
    assert spec is not None and spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    compiled = [Path(importlib.util.cache_from_source(str(p))) for p in (reference, package / "__init__.py")]
    for path in compiled:
        path.unlink(missing_ok=True)
    bench.compile_bytecode()
    assert all(path.exists() for path in compiled)
