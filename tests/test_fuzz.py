"""Fuzzing: mutated packs, override files and datasets end in success or a located error.

Hypothesis mutates the bundled files — byte flips, token swaps and replacements from a list of
troublemakers (truth values, huge numbers, timestamps, non-ASCII digits, surrogates, aliases,
tags), deletions, type changes and deep nesting — and each mutant is loaded (and, if it loads,
evaluated). The property: the result is a success, or a ``PolicyError``/``DataError`` whose every
problem names its file, renders in Chinese and English, and encodes as UTF-8; never another
exception, and never longer than ``SECONDS_PER_INPUT``.

The budget is the hypothesis profile's (``ci``: 25 inputs per target); ``HYPOTHESIS_PROFILE=fuzz``
runs 2,000 per target. Set ``FUZZ_STATS=file.json`` to write the count of each outcome class.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partybuild_rules import DataError, Dataset, PolicyError, bundled_pack, evaluate, load_dataset, load_pack
from partybuild_rules.data.generate import write_dataset
from partybuild_rules.domain.model import CORE_EVENT_TYPES
from partybuild_rules.evaluation.evaluator import Evaluator

from conftest import subset

SECONDS_PER_INPUT = 60
FUZZ = settings(suppress_health_check=list(HealthCheck), deadline=None)
STATS: Counter[str] = Counter()

TROUBLE = [
    "true", "false", "null", "~", "[]", "{}", "[[[[[[[[[[]]]]]]]]]]", "-1", "0", "3000000",
    "9" * 40, "1e400", "nan", "1704672000", "٣١٢", "３１２", '"\\ud800"', '"\\udfff x"', "*a", "&a x",
    "!!python/object:os.system", "!!binary AAAA", "<<: {a: 1}", "'", '"', "{", "]", ":", "- ", "\t",
    "1.005", "1,270.00", "2024-02-30", "2024-13-01", "110101199003077777", "一 般", "\x00", "\ufeff",
    "%YAML 1.1", "---", "...", "? x", "$nope", "$minimum_income", "(", "*", "1/0",
]
TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*|[0-9]+(?:\.[0-9]+)?|\"[^\"\n]*\"|[^\sA-Za-z0-9]")


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` after one to four mutations."""
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(MUTATIONS))(draw, text)
    return text


def _flip(draw: st.DrawFn, text: str) -> str:
    raw = bytearray(text.encode("utf-8", "surrogatepass"))
    if raw:
        raw[draw(st.integers(0, len(raw) - 1))] = draw(st.integers(0, 255))
    return raw.decode("utf-8", "replace")


def _tokens(text: str) -> list[re.Match[str]]:
    return list(TOKEN.finditer(text))


def _swap(draw: st.DrawFn, text: str) -> str:
    tokens = _tokens(text)
    if len(tokens) < 2:
        return text
    a, b = sorted(draw(st.lists(st.integers(0, len(tokens) - 1), min_size=2, max_size=2, unique=True)))
    x, y = tokens[a], tokens[b]
    return text[:x.start()] + y.group() + text[x.end():y.start()] + x.group() + text[y.end():]


def _replace(draw: st.DrawFn, text: str) -> str:
    tokens = _tokens(text)
    if not tokens:
        return text
    token = tokens[draw(st.integers(0, len(tokens) - 1))]
    return text[:token.start()] + draw(st.sampled_from(TROUBLE)) + text[token.end():]


def _delete(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    start = draw(st.integers(0, len(lines) - 1))
    del lines[start:start + draw(st.integers(1, 3))]
    return "".join(lines)


def _retype(draw: st.DrawFn, text: str) -> str:
    """A value after a colon becomes a list, a mapping, a number, a truth value or null."""
    values = list(re.finditer(r"(?<=: )[^\n,}]+", text))
    if not values:
        return text
    value = values[draw(st.integers(0, len(values) - 1))]
    shape = draw(st.sampled_from(["[{0}]", "{{x: {0}}}", "12345", "true", "null", '"{0}"', "[{0}, {0}]"]))
    return text[:value.start()] + shape.format(value.group()) + text[value.end():]


def _nest(draw: st.DrawFn, text: str) -> str:
    depth = draw(st.sampled_from([10, 40, 200, 2000]))
    values = list(re.finditer(r"(?<=: )[^\n,}]+", text)) or [None]
    value = values[draw(st.integers(0, len(values) - 1))]
    nested = "[" * depth + "1" + "]" * depth
    if value is None:
        return text + "\nx: " + nested + "\n"
    return text[:value.start()] + nested + text[value.end():]


def _alias_bomb(draw: st.DrawFn, text: str) -> str:
    levels = draw(st.integers(2, 12))
    lines = ["b0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"b{n}: &b{n} [" + ", ".join([f"*b{n - 1}"] * 10) + "]" for n in range(1, levels)]
    return text.rstrip("\n") + "\n" + "\n".join(lines) + "\n"


MUTATIONS: list[Callable[[st.DrawFn, str], str]] = [_flip, _swap, _replace, _delete, _retype, _nest, _alias_bomb]


# -- the property -----------------------------------------------------------------------------


def _outcome(action: Callable[[], Any], *expected: type[Exception]) -> str:
    """Run ``action``; return the outcome class, asserting the property."""
    started = time.perf_counter()
    try:
        action()
        kind = "ok"
    except expected as error:
        _check_problems(error)
        kind = type(error).__name__
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS_PER_INPUT, f"took {elapsed:.1f} s"
    return kind


def _check_problems(error: Exception) -> None:
    problems = getattr(error, "problems", ())
    assert problems, "an error must list its problems"
    for problem in problems:
        # located: a place in a file, or (for a dataset built in code) the path of the record
        assert problem.code == "limit" or problem.span is not None or problem.path, problem
        for lang in ("zh", "en"):
            problem.render(lang).encode("utf-8")  # no lone surrogate reaches a message
    error.render("zh").encode("utf-8")  # type: ignore[attr-defined]


def _record(target: str, kind: str) -> None:
    STATS[f"{target}: {kind}"] += 1
    if sum(STATS.values()) % 25 == 0:
        _write_stats()


def _write_stats() -> None:
    path = os.environ.get("FUZZ_STATS")
    if path:  # rewritten as the run goes, so that a long run stopped early still reports
        Path(path).write_text(json.dumps(dict(sorted(STATS.items())), ensure_ascii=False, indent=1), encoding="utf-8")


@pytest.fixture(scope="module", autouse=True)
def _stats() -> Iterator[None]:
    yield
    _write_stats()


# -- the targets ------------------------------------------------------------------------------

PACK_FILES = ["pack.yaml", "reprimand.yaml", "evaluation.yaml", "compliance.yaml", "allowance.yaml"]


def _core(raw: dict[str, Any]) -> dict[str, Any]:
    """The generated city with the core event types and no attributes (the Tongjiang pack's)."""
    members = [{k: v for k, v in m.items() if k != "attributes"} for m in raw["members"]]
    return {**raw, "members": members, "events": [e for e in raw["events"] if e["type"] in CORE_EVENT_TYPES]}


@pytest.fixture(scope="module")
def small_data(generated_raw: dict[str, Any]) -> Dataset:
    return Dataset.model_validate(subset(_core(generated_raw), ["C02"]))


@FUZZ
@given(st.data())
def test_mutated_packs(tmp_path_factory: pytest.TempPathFactory, small_data: Dataset, data: st.DataObject) -> None:
    """A pack with one file mutated loads, compiles and evaluates, or raises PolicyError/DataError."""
    folder = tmp_path_factory.mktemp("pack")
    shutil.copytree(bundled_pack(), folder, dirs_exist_ok=True)
    name = data.draw(st.sampled_from(PACK_FILES))
    path = folder / name
    path.write_text(data.draw(mutated(path.read_text(encoding="utf-8"))), encoding="utf-8", errors="surrogatepass")

    def run() -> None:
        pack = load_pack(folder)
        with Evaluator(pack) as evaluator:
            evaluator.evaluate(small_data, 2024)

    _record("pack", _outcome(run, PolicyError, DataError))


OVERRIDES = """# 参数覆盖
minimum_income: "1300.00"
absence_months: 4
rectification_days: 10
grid_leader_subsidy: "1270.05"
"""


@FUZZ
@given(st.data())
def test_mutated_override_files(tmp_path_factory: pytest.TempPathFactory, small_data: Dataset,
                                data: st.DataObject) -> None:
    """A mutated override file applies, or raises PolicyError."""
    path = tmp_path_factory.mktemp("overrides") / "overrides.yaml"
    path.write_text(data.draw(mutated(OVERRIDES)), encoding="utf-8", errors="surrogatepass")
    _record("overrides", _outcome(lambda: evaluate(load_pack(bundled_pack(), overrides=path), small_data, 2024),
                                  PolicyError, DataError))


@pytest.fixture(scope="module")
def dataset_texts(tmp_path_factory: pytest.TempPathFactory, generated_raw: dict[str, Any]) -> dict[str, str]:
    path = tmp_path_factory.mktemp("seed") / "dataset.json"
    raw = subset(_core(generated_raw), ["C03"])
    raw["events"] = raw["events"][:400]
    write_dataset(path, raw)
    small = Path(__file__).parents[1] / "examples" / "small" / "dataset.yaml"
    return {".json": path.read_text(encoding="utf-8"), ".yaml": small.read_text(encoding="utf-8")}


@FUZZ
@given(st.data())
def test_mutated_datasets(tmp_path_factory: pytest.TempPathFactory, dataset_texts: dict[str, str],
                          data: st.DataObject) -> None:
    """A mutated dataset (JSON or YAML) loads and evaluates, or raises DataError."""
    suffix = data.draw(st.sampled_from(sorted(dataset_texts)))
    path = tmp_path_factory.mktemp("data") / f"dataset{suffix}"
    path.write_text(data.draw(mutated(dataset_texts[suffix])), encoding="utf-8", errors="surrogatepass")
    pack = load_pack(bundled_pack())

    def run() -> None:
        dataset = load_dataset(path)
        evaluate(pack, dataset, dataset.covers.end.year)

    _record("dataset", _outcome(run, DataError))
