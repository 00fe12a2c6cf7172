"""The public API's answers to wrong input: library errors that say what is wrong, never an
``AttributeError`` or ``KeyError`` from deep inside."""

from __future__ import annotations

from typing import Callable

import pytest

from partybuild_rules import (
    DataError,
    Dataset,
    Evaluator,
    Pack,
    Session,
    bundled_dataset,
    bundled_pack,
    compose,
    early_warnings,
    evaluate,
    explain_subject,
    load_dataset,
    load_pack,
)
from partybuild_rules.analysis.explain import AmbiguousSubject


@pytest.fixture(scope="module")
def evaluator(tongjiang_pack: Pack, engine: str) -> Evaluator:
    return Evaluator(tongjiang_pack, engine)


def test_explaining_an_unknown_subject_is_a_data_error_with_the_nearest_id(
        evaluator: Evaluator, example_data: Dataset) -> None:
    """An id the dataset does not have is a :class:`DataError` naming it, with the nearest id."""
    with pytest.raises(DataError) as caught:
        explain_subject(evaluator, example_data, 2024, "U0O48")
    (problem,) = caught.value.problems
    assert problem.message == "no member, unit or community `U0O48` in the dataset"
    assert problem.help is not None and problem.help.startswith("did you mean `U0")


def test_explaining_a_shared_name_is_a_data_error_listing_the_subjects(
        evaluator: Evaluator, example_data: Dataset) -> None:
    """A name two members share is a :class:`DataError` (:class:`AmbiguousSubject`) listing both."""
    with pytest.raises(AmbiguousSubject) as caught:
        explain_subject(evaluator, example_data, 2024, "刘俊")
    assert isinstance(caught.value, DataError)
    assert [c[0] for c in caught.value.candidates] == ["M00003", "M01069"]
    assert caught.value.problems[0].message == "`刘俊` names 2 subjects: M00003 (党员, C01); M01069 (党员, C05)"



Call = Callable[[Pack, Dataset], object]
WRONG_ARGUMENTS: dict[str, tuple[Call, str]] = {
    # each: a call with one wrong argument, and the start of the message it must raise
    "evaluate, year as text": (lambda p, d: evaluate(p, d, "2024"), "`year` must be a whole number"),  # type: ignore[arg-type]
    "evaluate, year as float": (lambda p, d: evaluate(p, d, 2024.0), "`year` must be a whole number"),  # type: ignore[arg-type]
    "evaluate, year as bool": (lambda p, d: evaluate(p, d, True), "`year` must be a whole number"),
    "evaluate, a path for data": (lambda p, d: evaluate(p, bundled_dataset(), 2024), "`data` must be a Dataset"),  # type: ignore[arg-type]
    "evaluate, a path for the pack": (lambda p, d: evaluate(bundled_pack(), d, 2024), "`pack` must be a Pack"),  # type: ignore[arg-type]
    "Evaluator, no pack": (lambda p, d: Evaluator(None), "`pack` must be a Pack"),  # type: ignore[arg-type]
    "Session, a mapping for data": (lambda p, d: Session(p, {"covers": {}}, 2024), "`data` must be a Dataset"),  # type: ignore[arg-type]
    "Session, year as text": (lambda p, d: Session(p, d, "2024"), "`year` must be a whole number"),  # type: ignore[arg-type]
    "explain_subject, a pack for the evaluator": (
        lambda p, d: explain_subject(p, d, 2024, "U0048"), "`evaluator` must be an Evaluator"),  # type: ignore[arg-type]
    "early_warnings, as_of as text": (
        lambda p, d: early_warnings(p, d, "2024-09-30"), "`as_of` must be a date"),  # type: ignore[arg-type]
    "load_pack, no path": (lambda p, d: load_pack(None), "`path` must be a pack folder"),  # type: ignore[arg-type]
    "load_pack, overrides as a list": (
        lambda p, d: load_pack(bundled_pack(), overrides=[("a", 1)]), "`overrides` must be a mapping"),  # type: ignore[arg-type]
    "with_overrides, no mapping": (lambda p, d: p.with_overrides(None), "`overrides` must be a mapping"),  # type: ignore[arg-type]
    "load_dataset, no path": (lambda p, d: load_dataset(None), "`path` must be a dataset file"),  # type: ignore[arg-type]
    "load_dataset, a pack name for packs": (
        lambda p, d: load_dataset(bundled_dataset(), "tongjiang"), "`packs` must be a pack or a list"),  # type: ignore[arg-type]
    "load_dataset, a mapping for limits": (
        lambda p, d: load_dataset(bundled_dataset(), limits={"max_bytes": 10}), "`limits` must be a Limits"),  # type: ignore[arg-type]
    "compose, a name for a pack": (lambda p, d: compose([p, "party-dues"]), "`packs` must be a list of packs"),  # type: ignore[list-item]
}


@pytest.mark.parametrize("call", list(WRONG_ARGUMENTS))
def test_a_wrong_argument_is_a_type_error_naming_it(call: str, tongjiang_pack: Pack, example_data: Dataset) -> None:
    """A value of the wrong type is a ``TypeError`` that names the argument and what it takes,
    raised before any work, never an ``AttributeError`` or a comparison failing deep inside."""
    function, message = WRONG_ARGUMENTS[call]
    with pytest.raises(TypeError) as caught:
        function(tongjiang_pack, example_data)
    assert str(caught.value).startswith(message)
