"""Workbooks out: the empty ledger template (台账模板) and a dataset written as a ledger.

Both follow :func:`~partybuild_rules.data.sheets.ledger_sheets`: every sheet with its Chinese
headers in a frozen first row, drop-down lists (data validation) for enumerations and yes/no
columns, dates formatted as dates, and a notes sheet (填表说明) explaining each column. A dataset
written here reads back through :func:`~partybuild_rules.data.ledger.load_ledger` unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..domain.errors import DataError, Problem
from ..domain.model import Dataset
from .sheets import DATASET_SHEET, NOTES_SHEET, Column, ExtraSchema, Sheet, event_models, ledger_sheets

__all__ = ["write_ledger", "write_template"]

LIST_SEPARATOR = "、"
YES, NO = "是", "否"
DATE_FORMAT = "yyyy-mm-dd"
_HEADER_FILL = PatternFill("solid", fgColor="C00000")
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_MAX_ROW = 1_048_576


def write_template(path: str | Path, extra: ExtraSchema | None = None) -> None:
    """Write an empty ledger: every sheet and header, drop-downs, and the notes sheet.
    ``extra`` adds the attributes and event types the packs in use declare."""
    _write(Path(path), None, extra)


def write_ledger(path: str | Path, data: Dataset, extra: ExtraSchema | None = None) -> None:
    """Write ``data`` as a ledger workbook in the template's layout (lossless: reading it back
    gives the same dataset). ``extra`` gives the columns of the attributes and pack event types
    ``data`` carries (default: what the packs it names in ``declared_by`` declare); a value with
    no column is an error, never dropped."""
    if extra is None:
        extra = _declared_schema(data)
    _unwritable(data, extra)
    _write(Path(path), data, extra)


def _declared_schema(data: Dataset) -> ExtraSchema:
    from ..policy.pack import declarations_for
    from .datasets import _bundled_named
    from .sheets import ledger_schema

    declared, problems = declarations_for((), data.declared_by, _bundled_named)
    if problems:
        raise DataError(problems)
    return ledger_schema(declared)


def _unwritable(data: Dataset, extra: ExtraSchema) -> None:
    problems = []
    for section in ("communities", "units", "members"):
        known = extra.attributes.get(section, {})
        names = sorted({n for record in getattr(data, section) for n in record.attributes if n not in known})
        problems += [Problem(f"unknown {section[:-1]} attribute `{n}`: no pack in use declares it", None,
                             "declaration") for n in names]
    core = {m.model_fields["type"].default for m in event_models()}
    types = sorted({e.type for e in data.events if e.type not in core and e.type not in extra.events})
    problems += [Problem(f"unknown event type `{t}`: neither the core model nor a pack in use declares it", None,
                         "declaration") for t in types]
    if problems:
        raise DataError(problems)


def _write(path: Path, data: Dataset | None, extra: ExtraSchema | None) -> None:
    sheets = ledger_sheets(extra)
    rows = _rows_by_sheet(data, sheets) if data is not None else {}
    # Opened before the sheets are made: a file that cannot be written (a missing folder) fails
    # here, rather than leaving openpyxl's write-only sheets to complain on stderr when collected.
    with path.open("wb") as file:
        book = Workbook(write_only=True)
        for sheet in sheets:
            _write_sheet(book, sheet, rows.get(sheet.key, []))
        _write_notes(book, sheets)
        book.save(file)


def _write_sheet(book: Workbook, sheet: Sheet, records: list[dict[str, Any]]) -> None:
    ws = book.create_sheet(sheet.name)
    ws.freeze_panes = "A2"
    for n, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(n)].width = _width(column)
    for n, column in enumerate(sheet.columns, start=1):
        choices = [column.label(c) for c in column.choices] if column.type == "enum" else (
            [YES, NO] if column.type == "boolean" else [])
        if choices:
            letter = get_column_letter(n)
            validation = DataValidation(
                type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True,
                showErrorMessage=True, errorTitle="取值不在列表中", error=column.description,
            )
            validation.add(f"{letter}2:{letter}{_MAX_ROW}")
            ws.data_validations.append(validation)
    header = []
    for column in sheet.columns:
        cell = WriteOnlyCell(ws, column.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    for record in records:
        ws.append([_cell(ws, column, record.get(f"attributes.{column.field}" if column.attribute else column.field))
                   for column in sheet.columns])


def _width(column: Column) -> float:
    wide = {"text": 24, "list": 30, "date": 12, "id": 12, "key": 12}
    return max(wide.get(column.type, 10), 2.2 * len(column.header) + 2)


def _cell(ws: Any, column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "date":
        day: Any = value if isinstance(value, date) else date.fromisoformat(value)  # stubs omit date
        cell = WriteOnlyCell(ws, day)
        cell.number_format = DATE_FORMAT
        return cell
    if column.type == "month":
        return str(value)
    if column.type == "boolean":
        return YES if value else NO
    if column.type == "enum":
        return column.label(str(getattr(value, "value", value)))
    if column.type == "list":
        return LIST_SEPARATOR.join(value) if value else None
    if column.type in ("decimal", "money"):
        return _number(Decimal(value), column)
    return value


def _number(value: Decimal, column: Column) -> Any:
    """A decimal as an Excel number when the number shows it exactly, else as its text."""
    if value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    number = float(value)
    text = str(value)
    # 93.0 would read back as 93, 5796.10 as 5796.1: only a number whose shortest text is the
    # decimal's is written as a number, so that the text read back is the text written.
    return number if repr(number) == text and not number.is_integer() else text


def _rows_by_sheet(data: Dataset, sheets: tuple[Sheet, ...]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    dumped = data.model_dump(mode="python")
    rows["dataset"].append({"name": data.name, "covers.start": data.covers.start, "covers.end": data.covers.end,
                            "declared_by": list(data.declared_by)})
    children = [s for s in sheets if s.parent is not None]
    for sheet in sheets:
        if sheet.parent is not None or sheet.key == "dataset":
            continue
        for record in _records(dumped, sheet):
            rows[sheet.key].append({**record, **{f"attributes.{k}": v for k, v in record.get("attributes", {}).items()}})
            for child in children:
                if child.parent == sheet.key and child.child_field is not None:
                    parent_field = child.columns[0].field
                    rows[child.key] += [{parent_field: record["id"], **item} for item in record[child.child_field]]
    return rows


def _records(dumped: dict[str, Any], sheet: Sheet) -> Iterator[dict[str, Any]]:
    records: Iterable[dict[str, Any]] = dumped.get(sheet.section, ())
    if sheet.event_type is None:
        yield from records
        return
    for record in records:
        if record["type"] == sheet.event_type:
            yield record


def _write_notes(book: Workbook, sheets: tuple[Sheet, ...]) -> None:
    ws = book.create_sheet(NOTES_SHEET)
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDE", (16, 24, 22, 80, 10)):
        ws.column_dimensions[letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for text in ("工作表", "表头", "字段名（英文表头亦可）", "说明", "必填"):
        cell = WriteOnlyCell(ws, text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        header.append(cell)
    ws.append(header)
    for line in _GENERAL_NOTES:
        cell = WriteOnlyCell(ws, line)
        cell.alignment = wrap
        ws.append(["（通则）", None, None, cell, None])
    for sheet in sheets:
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, column.description)
            cell.alignment = wrap
            ws.append([sheet.name, column.header, column.field, cell, YES if column.required else NO])


_GENERAL_NOTES = (
    "第一行为表头，请勿修改或合并；每行一条记录，空行会被跳过。",
    f"“{DATASET_SHEET}”表只填一行：数据集名称与记录期间（所有事件的日期都必须在记录期间之内）。",
    "编号是内部编号（如 C01、U0001、M00001），不得使用身份证号或姓名；记录之间只用编号互相引用。",
    "日期请用 Excel 日期格式，或写成文本 YYYY-MM-DD；不要写成普通数字。",
    "单元格内不要使用公式（请“选择性粘贴为数值”），不要合并单元格，不要隐藏工作表。",
    "多个编号（参加党员、参加单位）写在同一单元格内，用“、”或逗号分隔。",
    "“党员任职”“议定事项”“督查问题”三张表的第一列填所属党员、联席会议、督查的编号。",
)
