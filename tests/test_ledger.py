"""Excel ledgers (台账): the template, reading a workbook, converting to and from JSON.

Workbooks are built with openpyxl the way a spreadsheet program saves them; each defined
behaviour of the reader (formula, merged cell, number for a date, a space around an id, an empty
row in the middle, a hidden sheet) has its own test.
"""

from __future__ import annotations

import gc
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from partybuild_rules import DataError, Dataset, Pack, Result, evaluate, load_dataset
from partybuild_rules.data.convert import convert
from partybuild_rules.data.ledger import load_ledger, read_ledger
from partybuild_rules.data.sheets import DATASET_SHEET, NOTES_SHEET, ExtraField, ExtraSchema, ledger_sheets
from partybuild_rules.data.template import write_ledger, write_template
from partybuild_rules.domain.errors import CellSpan

SMALL = Path(__file__).resolve().parents[1] / "examples" / "small" / "dataset.yaml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "台账模板.xlsx"
    write_template(path)
    return path


@pytest.fixture(scope="module")
def bundled_ledger(tmp_path_factory: pytest.TempPathFactory, example_data_path: Path) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "台账.xlsx"
    convert(example_data_path, path)
    return path


def _fill(template: Path, target: Path, rows: dict[str, list[list[Any]]]) -> Path:
    """Write rows under the headers of the template's sheets, as an officer would."""
    book = load_workbook(template)
    for sheet, lines in rows.items():
        for line in lines:
            book[sheet].append(line)
    book.save(target)
    return target


def _minimal(template: Path, target: Path, **more: list[list[Any]]) -> Path:
    rows: dict[str, list[list[Any]]] = {
        DATASET_SHEET: [["测试台账", date(2024, 1, 1), date(2024, 12, 31)]],
        "社区": [["C01", "东江社区"]],
        "驻区单位": [["U0001", "同江市财政局", "C01", "党政机关", "李明"]],
        "党员": [["M00001", "张丽", "C01", "U0001", None, "是", "否", date(2024, 1, 10)]],
    }
    rows.update(more)
    return _fill(template, target, rows)


def _problems(path: Path) -> list[tuple[str, int, str, str, str]]:
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    spans = []
    for problem in caught.value.problems:
        span = problem.span
        assert isinstance(span, CellSpan), problem
        spans.append((span.sheet, span.line, span.letter, span.header, problem.message))
    return spans


# -- the template ------------------------------------------------------------------------------


def test_template_has_every_sheet_header_frozen_row_and_notes(template: Path) -> None:
    """Every sheet of the layout is there with its headers in a frozen first row, and the notes
    sheet explains every column."""
    book = load_workbook(template)
    layout = ledger_sheets()
    assert book.sheetnames == [s.name for s in layout] + [NOTES_SHEET]
    for sheet in layout:
        ws = book[sheet.name]
        assert [c.value for c in ws[1]] == [c.header for c in sheet.columns]
        assert ws.freeze_panes == "A2"
        assert ws.max_row == 1
    notes = book[NOTES_SHEET]
    explained = {(row[0], row[1]) for row in notes.iter_rows(min_row=2, values_only=True)}
    assert {(s.name, c.header) for s in layout for c in s.columns} <= explained


def test_template_has_drop_downs_for_enumerations(template: Path) -> None:
    """Enumerations and yes/no columns get a list validation with the Chinese labels."""
    book = load_workbook(template)
    lists = {
        str(v.sqref).split(":")[0]: v.formula1 for v in book["驻区单位"].data_validations.dataValidation
    }
    assert "党政机关" in lists["D2"] and "“两新”组织" in lists["D2"]
    member_lists = {str(v.sqref).split(":")[0]: v.formula1 for v in book["党员"].data_validations.dataValidation}
    assert member_lists["F2"] == '"是,否"'


def test_the_layout_follows_the_model() -> None:
    """Each record field of the model is a column, each event type a sheet (nothing hand-listed)."""
    from partybuild_rules.domain.model import Activity, Member

    sheets = {s.key: s for s in ledger_sheets()}
    assert {c.field for c in sheets["members"].columns} == set(Member.model_fields) - {"roles", "attributes"}
    assert {c.field for c in sheets["activity"].columns} == set(Activity.model_fields) - {"type"}
    assert sheets["members.roles"].columns[0].field == "member"
    event_types = {s.event_type for s in sheets.values() if s.section == "events" and s.parent is None}
    assert len(event_types) == 8


def test_extra_schema_adds_columns_and_event_sheets(tmp_path: Path) -> None:
    """Attributes and event types a pack declares get their own columns and sheets, and their
    cells are read with their declared types."""
    extra = ExtraSchema(
        attributes={"members": {"monthly_income": ExtraField("money", "月收入（元）")}},
        events={"dues_payment": {"month": ExtraField("text", "月份"), "amount": ExtraField("money", "金额", True)}},
        event_titles={"dues_payment": "党费缴纳"},
    )
    path = tmp_path / "t.xlsx"
    write_template(path, extra)
    book = load_workbook(path)
    assert "月收入（元）" in [c.value for c in book["党员"][1]]
    assert [c.value for c in book["党费缴纳"][1]] == ["编号", "日期", "月份", "金额"]
    book["党员"].append(["M1", "张丽", "C01", None, None, "否", "否", None, 1270.5])
    book["党费缴纳"].append(["E1", date(2024, 3, 1), "2024-03", "12.30"])
    book.save(path)
    document, problems = read_ledger(path, extra)
    assert problems == []  # the template's 数据集 sheet is there, still empty
    assert document["members"][0]["attributes"] == {"monthly_income": "1270.5"}
    assert document["events"][0] == {"id": "E1", "date": "2024-03-01", "month": "2024-03", "amount": "12.30",
                                     "type": "dues_payment"}


def test_template_for_a_pack_has_its_attributes_and_event_types(tmp_path: Path) -> None:
    """`template --policies` gives the pack's declared attributes and event types their columns
    and sheets, with drop-downs for its enumerations."""
    from partybuild_rules import load_pack
    from partybuild_rules.cli import main

    dues = load_pack(Path(__file__).resolve().parents[1] / "policies" / "party-dues")
    path = tmp_path / "t.xlsx"
    assert main(["template", "--policies", str(dues.path), "--output", str(path), "--quiet"]) == 0
    book = load_workbook(path)
    headers = [c.value for c in book["党员"][1]]
    for name, spec in dues.attributes[next(iter(dues.attributes))].items():
        assert (spec.title or name) in headers
    for event in dues.event_types.values():
        assert event.title in book.sheetnames


# -- converting ----------------------------------------------------------------------------------


def test_bundled_data_round_trips_json_xlsx_json(bundled_ledger: Path, example_data: Dataset,
                                                 tmp_path: Path) -> None:
    """JSON → xlsx → JSON gives the same dataset, record for record."""
    back = tmp_path / "back.json"
    convert(bundled_ledger, back)
    assert load_dataset(bundled_ledger) == example_data
    assert load_dataset(back) == example_data
    assert load_dataset(back).model_dump(mode="json") == example_data.model_dump(mode="json")


def test_evaluating_the_workbook_gives_the_json_outcomes(bundled_ledger: Path, tongjiang_pack: Pack,
                                                         example_result: Result) -> None:
    """The bundled data evaluated from the workbook gives exactly the outcomes of the JSON."""
    result = evaluate(tongjiang_pack, load_dataset(bundled_ledger), 2024)
    assert result.outcomes == example_result.outcomes
    assert len(result.outcomes) > 1000


def test_small_yaml_round_trips_with_its_nested_lists(tmp_path: Path) -> None:
    """Roles, agreed items and findings go to their own sheets and come back to their parents."""
    data = load_dataset(SMALL)
    path = tmp_path / "small.xlsx"
    write_ledger(path, data)
    book = load_workbook(path)
    assert [c.value for c in book["党员任职"][2]][:3] == ["M00002", "网格长", "C01"]
    assert book["督查问题"]["A2"].value == "E000005"
    assert load_dataset(path) == data


def test_exact_decimals_survive_the_workbook(tmp_path: Path) -> None:
    """A score written ``76.0`` stays ``76.0`` (text when an Excel number would lose it)."""
    data = load_dataset(SMALL)
    path = tmp_path / "small.xlsx"
    write_ledger(path, data)
    back = load_dataset(path)
    review = [e for e in back.events if e.type == "two_way_review"][0]
    assert str(review.score_of_unit) == "76.0" and str(review.score_of_community) == "92.5"


def test_events_read_in_date_order_whatever_the_sheets(tmp_path: Path, template: Path) -> None:
    """Events from several sheets form one list ordered by date then id."""
    path = _minimal(template, tmp_path / "a.xlsx", **{
        "单位报到": [["E2", date(2024, 3, 1), "U0001"], ["E1", date(2024, 1, 5), "U0001"]],
        "党员报到": [["E3", date(2024, 2, 1), "M00001", "C01"]],
    })
    assert [e.id for e in load_dataset(path).events] == ["E1", "E3", "E2"]


# -- reading what officers write ----------------------------------------------------------------


def test_three_hand_filled_rows_evaluate(tmp_path: Path, template: Path, tongjiang_pack: Pack) -> None:
    """A template filled by hand (Chinese labels, 是/否, text dates, ids in one cell) evaluates."""
    path = _minimal(template, tmp_path / "hand.xlsx", **{
        "联学共建活动": [["E1", "2024-03-20", "C01", "集中活动", "是", "联学共建集中活动", "U0001", "M00001"]],
        "单位报到": [["E2", "2024/1/8", "U0001"], ["E3", "2024年2月8日", "U0001"]],
    })
    data = load_dataset(path)
    assert [e.date for e in data.events] == [date(2024, 1, 8), date(2024, 2, 8), date(2024, 3, 20)]
    assert data.members[0].reported_in == date(2024, 1, 10)
    activity = data.events[2]
    assert activity.participants == ("M00001",) and activity.kind.value == "collective"
    result = evaluate(tongjiang_pack, data, 2024)
    reports = [o for o in result.of_rule("C1.unit-monthly-report")]
    assert len(reports) == 10  # reported in January and February only


def test_english_headers_and_values_are_accepted(tmp_path: Path) -> None:
    """Field names as headers and enumeration values in English read like the Chinese ones."""
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "dataset"
    first.append(["name", "covers.start", "covers.end"])
    first.append(["x", "2024-01-01", "2024-12-31"])
    units = book.create_sheet("units")
    units.append(["id", "name", "community", "kind"])
    units.append(["U1", "单位", "C1", "enterprise"])
    communities = book.create_sheet("communities")
    communities.append(["id", "name"])
    communities.append(["C1", "社区"])
    path = tmp_path / "en.xlsx"
    book.save(path)
    data = load_dataset(path)
    assert data.units[0].kind.value == "enterprise" and data.communities[0].id == "C1"


def test_an_empty_row_in_the_middle_is_skipped_and_later_rows_kept(tmp_path: Path, template: Path) -> None:
    """Rows after an empty row are read; errors keep the sheet's own row numbers."""
    path = _minimal(template, tmp_path / "gap.xlsx", **{
        "单位报到": [["E1", date(2024, 1, 5), "U0001"], [None, None, None], [], ["E2", date(2024, 2, 5), "U0001"],
                 ["E3", date(2024, 3, 5), "U9"]],
    })
    assert _problems(path) == [("单位报到", 6, "C", "驻区单位", "unknown unit `U9`")]
    fixed = _minimal(template, tmp_path / "gap2.xlsx", **{
        "单位报到": [["E1", date(2024, 1, 5), "U0001"], [], ["E2", date(2024, 2, 5), "U0001"]],
    })
    assert [e.id for e in load_dataset(fixed).events] == ["E1", "E2"]


def test_a_formula_cell_is_an_error(tmp_path: Path, template: Path) -> None:
    """A formula's cached value may be stale or missing: the cell is reported, not read."""
    path = _minimal(template, tmp_path / "f.xlsx", **{"单位报到": [["E1", "=DATE(2024,1,5)", "U0001"]]})
    assert _problems(path) == [("单位报到", 2, "B", "日期", "a formula cell")]


def test_a_merged_cell_is_an_error(tmp_path: Path, template: Path) -> None:
    """A merged range holds its value in its first cell only: it is reported, with its range."""
    path = _minimal(template, tmp_path / "m.xlsx", **{
        "单位报到": [["E1", date(2024, 1, 5), "U0001"], ["E2", date(2024, 2, 5), None]],
    })
    book = load_workbook(path)
    book["单位报到"].merge_cells("C2:C3")
    book.save(path)
    assert _problems(path) == [("单位报到", 2, "C", "驻区单位", "merged cells C2:C3")]


def test_a_number_where_a_date_is_expected_is_an_error(tmp_path: Path, template: Path) -> None:
    """A plain number is not guessed to be an Excel serial date."""
    path = _minimal(template, tmp_path / "d.xlsx", **{"单位报到": [["E1", 45300, "U0001"]]})
    assert _problems(path) == [("单位报到", 2, "B", "日期", "a number `45300` where a date is expected")]


def test_a_trailing_space_in_an_id_is_an_error(tmp_path: Path, template: Path) -> None:
    """``U0001 `` would not match ``U0001``: the space is reported, never stripped silently."""
    path = _minimal(template, tmp_path / "s.xlsx", **{"单位报到": [["E1", date(2024, 1, 5), "U0001 "]]})
    assert _problems(path) == [("单位报到", 2, "C", "驻区单位", "`U0001 ` has a space before or after it")]


def test_a_hidden_sheet_is_an_error(tmp_path: Path, template: Path) -> None:
    """What is evaluated must be what the officer sees: a hidden sheet is refused."""
    path = _minimal(template, tmp_path / "h.xlsx", **{"单位报到": [["E1", date(2024, 1, 5), "U0001"]]})
    book = load_workbook(path)
    book["单位报到"].sheet_state = "hidden"
    book.save(path)
    assert _problems(path) == [("单位报到", 0, "", "", "sheet `单位报到` is hidden")]


def test_every_problem_at_once_in_chinese_and_english(tmp_path: Path, template: Path) -> None:
    """Bad cells of several sheets are all reported, each with sheet, row, column and header."""
    path = _minimal(template, tmp_path / "all.xlsx", **{
        "单位报到": [["E1", "2024-13-01", "U0001"], ["E2", date(2024, 2, 1), "U0001", "C09"]],
        "考核评分": [["E3", date(2024, 12, 1), "驻区单位", "U0001", "日常", 101]],
    })
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    error = caught.value
    zh = error.render("zh")
    en = error.render("en")
    assert "数据共有 4 处问题" in zh
    assert "all.xlsx：工作表“单位报到”第 2 行 B 列（日期）: `2024-13-01` 不是日期（YYYY-MM-DD）" in zh
    assert "工作表“考核评分”第 2 行 E 列（评分类别）" in zh
    assert "all.xlsx: sheet `单位报到`, row 3, column D (`报告社区`): unknown community `C09`" in en
    assert "column F (`得分`)" in en  # the score above 100


def test_unknown_sheet_and_header_suggest_the_known_names(tmp_path: Path, template: Path) -> None:
    """A misspelt sheet or header is reported with the nearest known name."""
    path = _minimal(template, tmp_path / "u.xlsx")
    book = load_workbook(path)
    book["单位报到"].title = "单位报道"
    book["党员报到"]["C1"] = "党员编码"
    book.save(path)
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    problems = {p.message: p.help for p in caught.value.problems}
    assert "did you mean `单位报到`" in str(problems["unknown sheet `单位报道`"])
    assert "unknown header `党员编码`" in problems
    assert "missing column `党员`" in problems


def test_a_date_with_a_time_is_an_error(tmp_path: Path, template: Path) -> None:
    """A date-time is not cut to its day silently."""
    path = _minimal(template, tmp_path / "t.xlsx", **{"单位报到": [["E1", datetime(2024, 1, 5, 9, 30), "U0001"]]})
    assert _problems(path) == [("单位报到", 2, "B", "日期", "expected a date without a time, got `2024-01-05 09:30:00`")]


def test_a_file_that_is_not_a_workbook_is_an_error(tmp_path: Path) -> None:
    """A broken or missing file is one clear problem, not a traceback."""
    path = tmp_path / "broken.xlsx"
    path.write_text("not a zip", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read"):
        load_ledger(path)
    with pytest.raises(DataError, match="file not found"):
        load_ledger(tmp_path / "missing.xlsx")


def test_writing_into_a_missing_folder_fails_at_once_and_quietly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ledger that cannot be written is a ``FileNotFoundError``, and nothing is left behind to
    report errors on stderr when it is collected (openpyxl's half-written sheets did)."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(FileNotFoundError):
        write_template(tmp_path / "missing" / "台账模板.xlsx")
    gc.collect()
    assert unraisable == []


def test_the_empty_template_is_an_error_naming_its_empty_dataset_sheet(template: Path) -> None:
    """A ledger whose 数据集 sheet has only its headers (the template) is one problem at that sheet,
    not an error that lists none."""
    assert _problems(template) == [(DATASET_SHEET, 2, "", "", f"sheet `{DATASET_SHEET}` has no row")]
