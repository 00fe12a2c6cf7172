"""Datasets read with ``compact=True`` (``data/compact.py``): the same files accepted, the same
records and outcomes, the same errors; on any doubt the ordinary reader decides."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partybuild_rules import DataError, Pack, evaluate, load_dataset, load_pack
from partybuild_rules.data.compact import _MODELS, as_models, is_compact
from partybuild_rules.data.resources import bundled_policies
from partybuild_rules.reports.text import to_json

Raw = dict[str, Any]
YEAR = 2024


def _read(path: Path, compact: bool) -> tuple[str, Any]:
    """What reading gives: the records (as the models' JSON) or the problems, as text."""
    try:
        data = load_dataset(path, compact=compact)
    except DataError as error:
        return "refused", [str(problem) for problem in error.problems]
    return "read", as_models(data).model_dump_json()


def _same_either_way(path: Path) -> tuple[str, Any]:
    ordinary = _read(path, compact=False)
    assert _read(path, compact=True) == ordinary
    return ordinary


@pytest.fixture(scope="module")
def small(community_subset: Callable[[Iterable[str]], Raw]) -> Raw:
    raw = community_subset(["C01"])
    types = {event["type"] for event in raw["events"]}
    assert {"activity", "joint_meeting", "inspection", "assessment", "two_way_review", "unit_report"} <= types
    return raw


def _written(tmp_path: Path, raw: Raw | str, name: str = "data.json") -> Path:
    path = tmp_path / name
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_structs_have_the_models_fields() -> None:
    for struct, model in _MODELS.items():
        assert set(struct.__struct_fields__) == set(model.model_fields) - {"type"}, struct.__name__


def test_the_bundled_example_reads_compactly_and_evaluates_the_same(example_data_path: Path, engine: str) -> None:
    """Every bundled pack gives byte-identical results on the example read either way; the
    compact events are not the models, and made the models again they equal the ordinary read."""
    compact = load_dataset(example_data_path, compact=True)
    ordinary = load_dataset(example_data_path)
    assert is_compact(compact) and not is_compact(ordinary)
    assert as_models(compact) == ordinary
    for name in ("tongjiang", "party-dues", "points", "fuyuan"):
        pack = load_pack(bundled_policies() / name)
        assert to_json(evaluate(pack, compact, YEAR)) == to_json(evaluate(pack, ordinary, YEAR)), name


def test_jobs_sessions_warnings_and_explanations_take_a_compact_dataset(
    small: Raw, tmp_path: Path, tongjiang_pack: Pack
) -> None:
    from datetime import date

    from partybuild_rules import Evaluator, Session, early_warnings, explain_subject

    path = _written(tmp_path, small)
    compact, ordinary = load_dataset(path, compact=True), load_dataset(path)
    assert is_compact(compact)
    expected = to_json(evaluate(tongjiang_pack, ordinary, YEAR))
    assert to_json(evaluate(tongjiang_pack, compact, YEAR, jobs=2)) == expected
    assert to_json(Session(tongjiang_pack, compact, YEAR).result) == expected
    as_of = date(YEAR, 9, 30)
    assert early_warnings(tongjiang_pack, compact, as_of) == early_warnings(tongjiang_pack, ordinary, as_of)
    with Evaluator(tongjiang_pack) as evaluator:
        for member in ordinary.members[:5]:
            assert explain_subject(evaluator, compact, YEAR, member.id) == explain_subject(
                evaluator, ordinary, YEAR, member.id)


def _event(raw: Raw, kind: str) -> Raw:
    event: Raw = next(e for e in raw["events"] if e["type"] == kind)
    return event


EDITS: dict[str, Callable[[Raw], None]] = {
    "id ending in a newline": lambda r: _event(r, "unit_report").update(id="E1\n"),
    "date without zeros": lambda r: _event(r, "activity").update(date="2024-1-8"),
    "date as a number": lambda r: _event(r, "activity").update(date=20240108),
    "date and time": lambda r: _event(r, "activity").update(date="2024-01-08T00:00:00"),
    "score over 100": lambda r: _event(r, "assessment").update(score=101),
    "score with an exponent": lambda r: _event(r, "assessment").update(score="1e2"),
    "score as a float": lambda r: _event(r, "assessment").update(score=88.5),
    "score with a thousands separator": lambda r: _event(r, "assessment").update(score="1,00"),
    "year as text": lambda r: _event(r, "two_way_review").update(year="2024"),
    "year as true": lambda r: _event(r, "two_way_review").update(year=True),
    "year of 19 digits": lambda r: _event(r, "two_way_review").update(year=10**18),
    "unknown field": lambda r: _event(r, "unit_report").update(comunity="C01"),
    "missing field": lambda r: _event(r, "activity").pop("kind"),
    "unknown activity kind": lambda r: _event(r, "activity").update(kind="party"),
    "bool as text": lambda r: _event(r, "activity").update(co_building="yes"),
    "units not a list": lambda r: _event(r, "activity").update(units="U001"),
    "inspected member": lambda r: _event(r, "inspection").update(subject_kind="member"),
    "unknown unit": lambda r: _event(r, "unit_report").update(unit="U999"),
    "event outside the dates": lambda r: _event(r, "unit_report").update(date="1999-01-01"),
    "repeated event id": lambda r: _event(r, "activity").update(id=_event(r, "unit_report")["id"]),
    "unknown event type": lambda r: _event(r, "unit_report").update(type="unit_reprt"),
    "title with a colon": lambda r: _event(r, "activity").update(title="议题: 共建"),
    "item without a title": lambda r: next(e for e in r["events"] if e["type"] == "joint_meeting" and e.get("items"))[
        "items"][0].pop("title"),
    "no events": lambda r: r.update(events=[]),
    "events not a list": lambda r: r.update(events={}),
}


READ_COMPACTLY = ("title with a colon", "score as a float", "no events")
"""Edits the compact reader takes itself (the rest it may leave to the ordinary reader)."""


def test_the_compact_reader_reads_plain_files_itself(small: Raw, tmp_path: Path) -> None:
    assert is_compact(load_dataset(_written(tmp_path, small), compact=True))
    for edit in READ_COMPACTLY:
        raw = json.loads(json.dumps(small))
        EDITS[edit](raw)
        data = load_dataset(_written(tmp_path, raw, f"{edit}.json"), compact=True)
        assert is_compact(data) or not data.events, edit


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_an_edited_file_reads_the_same_either_way(edit: str, small: Raw, tmp_path: Path) -> None:
    raw = json.loads(json.dumps(small))
    EDITS[edit](raw)
    _same_either_way(_written(tmp_path, raw))


TEXT_EDITS: dict[str, Callable[[str], str]] = {
    "repeated key in an event": lambda t: t.replace('{"id": "', '{"id": "X1", "id": "', 1),
    "repeated key `events`": lambda t: t.replace('"events": [', '"events": [], "events": [', 1),
    "repeated key in an item": lambda t: t.replace('"items": [{', '"items": [{"title": "x", ', 1),
    "colon written as an escape": lambda t: t.replace('"title": "', '"title": "\\u003a', 1),
    "lone surrogate": lambda t: t.replace('"title": "', '"title": "\\ud800', 1),
    "trailing comma": lambda t: t.replace("]}", "],}", 1),
    "not JSON": lambda t: t[: len(t) // 2],
}


@pytest.mark.parametrize("edit", sorted(TEXT_EDITS))
def test_an_edited_text_reads_the_same_either_way(edit: str, small: Raw, tmp_path: Path) -> None:
    text = json.dumps(small, ensure_ascii=False)
    edited = TEXT_EDITS[edit](text)
    assert edited != text
    kind, _ = _same_either_way(_written(tmp_path, edited))
    if edit.startswith("repeated"):
        assert kind == "refused"


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.text(max_size=6),
    st.sampled_from(["2024-03-04", "2024-3-4", "2024-03-04\n", "U001", "C01", "M00001", "collective", "unit",
                     "community", "member", "daily", "85.5", "1e1", "NaN", "", " C01"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.lists(st.sampled_from(["U001", "M00001", "C01", "x"]), max_size=3),
    st.just({"id": "F1", "description": "d", "deadline": "2024-05-01"}),
)


@given(edits=st.lists(st.tuples(st.integers(0, 10**6), st.text("abcdeimnorstuy_", min_size=2, max_size=12) |
                                st.sampled_from(["id", "date", "type", "unit", "community", "kind", "units",
                                                 "participants", "score", "subject_kind", "findings", "items",
                                                 "year", "co_building", "title", "member", "finding"]),
                                VALUES), min_size=1, max_size=3))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=30)
def test_any_edit_of_an_event_reads_the_same_either_way(
    edits: list[tuple[int, str, Any]], small: Raw, tmp_path: Path
) -> None:
    """Property: whatever values an event's fields are given (known fields or new ones), the
    compact reader accepts the file exactly when the ordinary reader does, with equal records,
    and refuses it with the same problems."""
    raw = json.loads(json.dumps(small))
    for position, field, value in edits:
        event = raw["events"][position % len(raw["events"])]
        event[field] = str(value) if hasattr(value, "as_tuple") and position % 2 else value
    text = json.dumps(raw, ensure_ascii=False, default=str)
    _same_either_way(_written(tmp_path, text))
