"""The public API's answers to wrong input: library errors that say what is wrong, never an
``AttributeError`` or ``KeyError`` from deep inside."""

from __future__ import annotations

import pytest

from partybuild_rules import DataError, Dataset, Evaluator, Pack, explain_subject
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
