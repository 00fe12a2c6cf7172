"""A dataset with problems is refused whole, with every problem at its file:line:column; a valid
dataset loads every record."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from partybuild_rules import DataError, Dataset, Problem, Span, load_dataset
from partybuild_rules.data.generate import write_dataset

Raw = dict[str, Any]

TINY: Raw = {
    "name": "tiny",
    "covers": {"start": "2024-01-01", "end": "2024-12-31"},
    "communities": [{"id": "C1", "name": "东江社区"}, {"id": "C2", "name": "西江社区"}],
    "grids": [{"id": "G1", "name": "东江社区第1网格", "community": "C1"}],
    "units": [
        {"id": "U1", "name": "同江市税务局", "community": "C1", "kind": "party_government", "leader": "王五"},
        {"id": "U2", "name": "同江市华瑞电子商务有限公司", "community": "C2", "kind": "new_economic_social"},
    ],
    "members": [
        {"id": "M1", "name": "张三", "residence_community": "C1", "unit": "U1", "reported_in": "2024-01-05"},
        {"id": "M2", "name": "李四", "residence_community": "C2", "unit": "U2", "five_star": True},
        {
            "id": "M3", "name": "赵六", "residence_community": "C1", "grid": "G1", "in_service": False,
            "roles": [{"role": "grid_leader", "community": "C1", "start": "2024-03-16"}],
        },
    ],
    "inspection_groups": [{"id": "IG1", "name": "第一巡回督查组"}],
    "ratings": [{"subject_kind": "unit", "subject": "U1", "year": 2023, "tier": "一般"}],
    "events": [
        {"id": "E1", "date": "2024-01-10", "type": "unit_report", "unit": "U1"},
        {"id": "E2", "date": "2024-02-01", "type": "activity", "community": "C1", "kind": "collective",
         "units": ["U1"], "participants": ["M1"]},
        {"id": "E3", "date": "2024-03-01", "type": "assessment", "subject_kind": "unit", "subject": "U1",
         "part": "daily", "score": "88.15"},
        {"id": "E4", "date": "2024-04-01", "type": "inspection", "group": "IG1", "subject_kind": "community",
         "subject": "C1", "findings": [{"id": "F1", "description": "台账不全", "deadline": "2024-05-01"}]},
        {"id": "E5", "date": "2024-04-20", "type": "rectification", "finding": "F1"},
        {"id": "E6", "date": "2024-06-30", "type": "joint_meeting", "community": "C2", "units": ["U2"]},
    ],
}


def tiny() -> Raw:
    return copy.deepcopy(TINY)


def json_text(data: Raw) -> str:
    """JSON with one record per line, as ``write_dataset`` writes it, so lines are meaningful."""
    lines = ["{"]
    keys = list(data)
    for n, key in enumerate(keys):
        value, comma = data[key], "," if n < len(keys) - 1 else ""
        if isinstance(value, list):
            lines.append(f"{json.dumps(key)}: [")
            lines += [json.dumps(r, ensure_ascii=False) + ("," if i < len(value) - 1 else "") for i, r in enumerate(value)]
            lines.append(f"]{comma}")
        else:
            lines.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def yaml_text(data: Raw) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def position(text: str, needle: str, at: str | None = None) -> tuple[int, int]:
    """1-based line and column of ``at`` inside the first occurrence of ``needle``."""
    start = text.index(needle) + (needle.index(at) if at is not None else 0)
    line = text.count("\n", 0, start) + 1
    return line, start - (text.rfind("\n", 0, start) + 1) + 1


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    return caught.value.problems


def counts(data: Dataset | Raw) -> dict[str, int]:
    sections = ("communities", "grids", "units", "members", "inspection_groups", "ratings", "events")
    if isinstance(data, Dataset):
        return {name: len(getattr(data, name)) for name in sections}
    return {name: len(data.get(name, [])) for name in sections}


# -- valid files load every record -------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_valid_tiny_file_loads_every_record(tmp_path: Path, suffix: str) -> None:
    text = json_text(TINY) if suffix == "json" else yaml_text(TINY)
    data = load_dataset(write(tmp_path, f"data.{suffix}", text))
    assert counts(data) == counts(TINY)
    assert data == Dataset.model_validate(TINY)


def test_valid_example_file_loads_every_record(example_data_path: Path, example_data: Dataset) -> None:
    raw = json.loads(example_data_path.read_text(encoding="utf-8"))
    assert counts(example_data) == counts(raw)
    assert [e.id for e in example_data.events] == [e["id"] for e in raw["events"]]


def test_generated_file_written_and_read_back_loses_nothing(
    tmp_path: Path, generated_raw: Raw
) -> None:
    path = tmp_path / "generated.json"
    write_dataset(path, generated_raw)
    assert counts(load_dataset(path)) == counts(generated_raw)


# -- references, duplicates, coverage -----------------------------------------------------------


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_unknown_unit_of_a_member(tmp_path: Path, suffix: str) -> None:
    data = tiny()
    data["members"][1]["unit"] = "U9"
    text = json_text(data) if suffix == "json" else yaml_text(data)
    path = write(tmp_path, f"data.{suffix}", text)
    (problem,) = problems_of(path)
    assert problem.message == "unknown unit `U9`"
    needle = '"unit": "U9"' if suffix == "json" else "unit: U9"
    assert problem.span == Span(str(path), *position(text, needle, "U9" if suffix == "yaml" else '"U9"'))
    assert problem.path == ("members", 1, "unit")


def test_duplicate_ids_are_each_reported(tmp_path: Path) -> None:
    data = tiny()
    data["members"][2]["id"] = "M1"
    text = json_text(data)
    path = write(tmp_path, "data.json", text)
    problems = problems_of(path)
    assert [p.message for p in problems] == ["duplicate id `M1`", "duplicate id `M1`"]
    assert [p.span for p in problems] == [
        Span(str(path), *position(text, '{"id": "M1", "name": "张三"', '"M1"')),
        Span(str(path), *position(text, '{"id": "M1", "name": "赵六"', '"M1"')),
    ]


def test_event_outside_covers(tmp_path: Path) -> None:
    data = tiny()
    data["events"][0]["date"] = "2025-01-10"
    text = json_text(data)
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.message == "date 2025-01-10 is outside the covered dates 2024-01-01..2024-12-31"
    assert problem.span == Span(str(path), *position(text, '"2025-01-10"'))


def test_rectification_of_an_unknown_finding(tmp_path: Path) -> None:
    data = tiny()
    data["events"][4]["finding"] = "F9"
    text = yaml_text(data)
    path = write(tmp_path, "data.yaml", text)
    (problem,) = problems_of(path)
    assert problem.message == "unknown finding `F9`"
    assert problem.span == Span(str(path), *position(text, "finding: F9", "F9"))


# -- unknown fields, wrong types, exact numbers ------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "index", "good", "bad"),
    [
        ("events", 1, "participants", "participents"),
        ("members", 0, "reported_in", "reported_on"),
        ("units", 0, "leader", "leadr"),
    ],
)
def test_unknown_field_with_suggestion(tmp_path: Path, section: str, index: int, good: str, bad: str) -> None:
    data = tiny()
    record = data[section][index]
    data[section][index] = {(bad if k == good else k): v for k, v in record.items()}
    text = json_text(data)
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.message == f"unknown field `{bad}`"
    assert problem.help == f"did you mean `{good}`?"
    assert problem.span == Span(str(path), *position(text, f'"{bad}"'))


def test_json_score_with_a_fraction_stays_exact(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"score": "88.15"', '"score": 88.15')
    assert '"score": 88.15' in text
    data = load_dataset(write(tmp_path, "data.json", text))
    score = data.events[2].score  # type: ignore[union-attr]
    assert isinstance(score, Decimal) and score == Decimal("88.15") and str(score) == "88.15"


def test_yaml_score_with_a_fraction_stays_exact(tmp_path: Path) -> None:
    data = tiny()
    text = yaml_text(data).replace("score: '88.15'", "score: 0.1")
    assert "score: 0.1" in text
    score = load_dataset(write(tmp_path, "data.yaml", text)).events[2].score  # type: ignore[union-attr]
    assert score == Decimal("0.1") and str(score) == "0.1"


def test_float_score_from_python_is_refused() -> None:
    data = tiny()
    data["events"][2]["score"] = 88.15
    with pytest.raises(ValidationError, match="is a float"):
        Dataset.model_validate(data)


def test_score_that_is_not_a_number(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"score": "88.15"', '"score": "0x10"')
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.message.startswith("`events.2.score`: ")
    assert "`0x10` is not a decimal number" in problem.message
    assert problem.span == Span(str(path), *position(text, '"0x10"'))


def test_score_out_of_range(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"score": "88.15"', '"score": "100.5"')
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.path == ("events", 2, "score")
    assert "100" in problem.message


def test_unknown_event_type(tmp_path: Path) -> None:
    data = tiny()
    data["events"][0]["type"] = "party"
    text = json_text(data)
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert "`party`" in problem.message and "unit_report" in (problem.help or "")
    assert problem.span is not None and problem.span.line == position(text, '"type": "party"')[0]


def test_yaml_11_truth_words_are_not_booleans(tmp_path: Path) -> None:
    text = yaml_text(tiny()).replace("in_service: false", "in_service: no")
    assert "in_service: no" in text
    problems = problems_of(write(tmp_path, "data.yaml", text))
    assert any("in_service" in p.message for p in problems)


def test_json_number_in_a_text_field_is_refused(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"name": "东江社区"', '"name": 1.5')
    problems = problems_of(write(tmp_path, "data.json", text))
    assert any(p.path == ("communities", 0, "name") for p in problems)


def test_json_integer_in_a_text_field_is_refused(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"name": "东江社区"', '"name": 15')
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.path == ("communities", 0, "name")
    assert problem.span == Span(str(path), *position(text, '"name": 15', "15"))


# -- everything at once ---------------------------------------------------------------------------


def _many_problems() -> Raw:
    data = tiny()
    data["members"][1]["unit"] = "U9"  # unknown reference
    data["members"][2]["id"] = "M1"  # duplicate id (reported twice)
    data["events"][0]["date"] = "2025-01-10"  # outside covers
    data["events"][1] = {("participents" if k == "participants" else k): v for k, v in data["events"][1].items()}
    data["units"][1]["kind"] = "bank"  # not a unit kind
    return data


def test_every_problem_of_a_json_file_at_once(tmp_path: Path) -> None:
    text = json_text(_many_problems())
    path = write(tmp_path, "data.json", text)
    problems = problems_of(path)
    expected = [
        (position(text, '"kind": "bank"', '"bank"'), "`units.1.kind`"),
        (position(text, '{"id": "M1", "name": "张三"', '"M1"'), "duplicate id `M1`"),
        (position(text, '"unit": "U9"', '"U9"'), "unknown unit `U9`"),
        (position(text, '{"id": "M1", "name": "赵六"', '"M1"'), "duplicate id `M1`"),
        (position(text, '"2025-01-10"'), "date 2025-01-10 is outside"),
        (position(text, '"participents"'), "unknown field `participents`"),
    ]
    assert [(p.span.line, p.span.column) for p in problems if p.span] == [where for where, _ in expected]
    for problem, (_, message) in zip(problems, expected):
        assert problem.message.startswith(message), problem
    assert all(p.span and p.span.file == str(path) for p in problems)
    assert list(problems) == sorted(problems, key=Problem.sort_key)


def test_every_problem_of_a_yaml_file_at_once(tmp_path: Path) -> None:
    text = yaml_text(_many_problems())
    path = write(tmp_path, "data.yaml", text)
    problems = problems_of(path)
    lines = [p.span.line for p in problems if p.span]
    assert lines == sorted(lines) and len(problems) == 6
    assert {p.message.split(" `")[0] for p in problems} >= {
        "unknown unit", "duplicate id", "unknown field",
    }
    assert (position(text, "unit: U9", "U9")) in [(p.span.line, p.span.column) for p in problems if p.span]


def test_invalid_record_still_counts_as_known_for_references(tmp_path: Path) -> None:
    """A unit with a bad field is reported once; members of that unit are not also reported."""
    data = tiny()
    data["units"][0]["kind"] = "bank"
    data["members"][1]["unit"] = "U9"
    path = write(tmp_path, "data.json", json_text(data))
    messages = [p.message for p in problems_of(path)]
    assert len(messages) == 2, messages
    assert messages[1] == "unknown unit `U9`"
    assert not any("`U1`" in m for m in messages)


# -- files that are not datasets ----------------------------------------------------------------------


def test_json_duplicate_key_has_its_line(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"name": "东江社区"', '"name": "东江社区", "name": "北江社区"')
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.code == "duplicate-key"
    assert problem.message.startswith("duplicate key `name`")
    assert problem.span == Span(str(path), *position(text, '"name": "北江社区"'))


def test_json_syntax_error_has_its_line(tmp_path: Path) -> None:
    text = json_text(tiny()).replace('"name": "东江社区"}', '"name": "东江社区",}')
    path = write(tmp_path, "data.json", text)
    (problem,) = problems_of(path)
    assert problem.code == "syntax"
    assert problem.span is not None and problem.span.line == position(text, '"东江社区",}')[0]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    (problem,) = problems_of(path)
    assert problem.code == "io"
    assert problem.message == f"file not found: `{path}`"


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    (problem,) = problems_of(write(tmp_path, "data.json", "[]\n"))
    assert problem.code == "type"
