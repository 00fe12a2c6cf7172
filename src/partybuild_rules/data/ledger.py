"""Ledgers in: an Excel workbook (台账, ``.xlsx``) in the layout of :mod:`.sheets` read into a
checked :class:`~partybuild_rules.domain.model.Dataset`.

Every problem of the workbook is reported at once, each with its sheet, row, column letter and
header; a workbook with any problem is refused whole, so no valid row is ever silently dropped
and no cell is silently changed. The defined behaviours:

- a header may be the Chinese header of the template or the English field name;
- an empty row anywhere is skipped (the rows after it are read, row numbers stay the sheet's own);
- a date cell may be an Excel date or the text ``YYYY-MM-DD`` (also ``YYYY/M/D``, ``YYYY年M月D日``);
  a plain number where a date is expected is an error (it is not guessed to be a serial date);
- an id, reference or tier with a space before or after it is an error (it would not match);
- a formula cell is an error (its cached value may be stale or missing: paste the values);
- a merged cell is an error (only its first cell holds the value; the rows below would be empty);
- a hidden sheet is an error (what is evaluated must be what the officer sees);
- an unknown sheet or header is an error, with the nearest known name as a hint.

The workbook is read with python-calamine (about fifteen times faster than openpyxl's read-only
mode on the scale-10 ledger, see ``docs/ledger.md``); each cell is read as its column's type by
:mod:`.cells`, and formula cells, which calamine reports only by their cached value, are found in
the sheets' XML by :mod:`.formulas`.
"""

from __future__ import annotations

import typing
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..domain.errors import CellSpan, DataError, Problem
from ..domain.integrity import integrity_problems
from ..domain.model import Coverage, Dataset, PackEvent
from .cells import cell_reader, cell_text, raw_value
from .formulas import formula_cells
from .sheets import (
    DATASET_SHEET,
    NOTES_SHEET,
    Column,
    ExtraSchema,
    Sheet,
    event_models,
    ledger_schema,
    ledger_sheets,
)

__all__ = ["load_ledger", "read_ledger"]


@dataclass(slots=True)  # one per row: a ledger of a large city has close to a million
class _Row:
    """A record read from one row, with where each of its fields came from."""

    sheet: Sheet
    sheet_index: int
    row: int
    values: dict[str, Any]
    columns: dict[str, tuple[int, str]]
    """field → (column number, header as written)."""
    record: Any = None
    children: dict[str, list[_Row]] = field(default_factory=lambda: defaultdict(list))
    invalid: bool = False
    """A cell of the row is bad (and reported)."""


class _Reader:
    def __init__(self, path: Path, extra: ExtraSchema | None) -> None:
        self.path = path
        self.file = str(path)
        self.sheets = ledger_sheets(extra)
        self.problems: list[Problem] = []
        self.rows: dict[str, list[_Row]] = defaultdict(list)
        self.dataset_sheet: tuple[str, int] | None = None
        """The 数据集 sheet's name and position, once its headers are read."""

    def problem(self, message: str, sheet: str, index: int, row: int = 0, column: int = 0,
                header: str = "", code: str = "ledger", help: str | None = None) -> None:
        span = CellSpan(self.file, row, column, sheet=sheet, sheet_index=index, header=header)
        self.problems.append(Problem(message, span, code, help))

    # -- the workbook ------------------------------------------------------------------------

    def read(self) -> None:
        from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

        if self.path.is_dir():
            self.problems.append(Problem(f"`{self.file}` is a folder, not a file", None, "read"))
            return
        if not self.path.is_file():
            self.problems.append(Problem(f"file not found: `{self.file}`", None, "read"))
            return
        try:
            book = CalamineWorkbook.from_path(str(self.path))
        except (CalamineError, OSError, ValueError) as error:
            self.problems.append(Problem(f"cannot read `{self.file}`: {error}", None, "read"))
            return
        formulas = formula_cells(self.path)
        by_name = {s.name: s for s in self.sheets} | {s.key: s for s in self.sheets}
        seen: dict[str, str] = {}
        for index, meta in enumerate(book.sheets_metadata):
            name = meta.name
            if name == NOTES_SHEET:
                continue
            sheet = by_name.get(name) or by_name.get(name.strip())
            if sheet is None:
                from ..policy.validation import suggestion

                known = [s.name for s in self.sheets]
                self.problem(f"unknown sheet `{name}`", name, index, code="sheet",
                             help=suggestion(name, known) or f"sheets: {', '.join(known)}")
                continue
            if sheet.key in seen:
                self.problem(f"sheet `{name}` repeats sheet `{seen[sheet.key]}`", name, index, code="sheet")
                continue
            seen[sheet.key] = name
            if meta.visible != SheetVisibleEnum.Visible:
                self.problem(f"sheet `{name}` is hidden", name, index, code="hidden",
                             help="unhide it (取消隐藏) or delete it: what is read must be what is seen")
                continue
            self._sheet(book.get_sheet_by_name(name), sheet, name, index, formulas.get(name, []))
        if "dataset" not in seen:
            self.problem(f"sheet `{DATASET_SHEET}` is missing", DATASET_SHEET, 0, code="sheet",
                         help="it holds the dataset's name and recorded period (covers)")

    def _sheet(self, ws: Any, sheet: Sheet, name: str, index: int, formulas: list[tuple[int, int]]) -> None:
        top, left = ws.start if ws.start is not None else (0, 0)
        rows = ws.iter_rows()
        header = next(rows, None) if top == 0 else None
        if header is None:
            self.problem("the first row must hold the headers", name, index, 1, code="header")
            return
        columns = self._headers(header, left, sheet, name, index)
        if columns is None:
            return
        if sheet.key == "dataset":
            self.dataset_sheet = (name, index)
        merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ()]
        for r0, c0, r1, c1 in merged:
            self.problem(f"merged cells {_letter(c0)}{r0}:{_letter(c1)}{r1}", name, index, r0, c0,
                         columns.get(c0, (None, ""))[1], code="merged",
                         help="unmerge them and write the value in every row")
        for row, col in formulas:
            self.problem("a formula cell", name, index, row, col, columns.get(col, (None, ""))[1],
                         code="formula", help="paste the values instead (选择性粘贴为数值)")
        bad = _Cells(set(formulas), merged)
        positions = {c.field: (n, header) for n, (c, header) in columns.items() if c is not None}
        for known in sheet.columns:
            positions.setdefault(known.field, (0, known.header))
        width = max(columns, default=left)
        plan: list[_Cell] = []
        for n in range(left + 1, width + 1):
            at, header = columns.get(n, _NO_COLUMN)
            plan.append((at, header, cell_reader(at) if at is not None else None))
        for offset, cells in enumerate(rows, start=2):
            if len(cells) > len(plan):  # a row wider than the header row: values under no header
                plan += [(None, "", None)] * (len(cells) - len(plan))
            self._row(cells, top + offset, left, plan, positions, sheet, name, index, bad or None)

    def _headers(self, cells: list[Any], left: int, sheet: Sheet, name: str,
                 index: int) -> dict[int, tuple[Column | None, str]] | None:
        known = {c.header: c for c in sheet.columns} | {c.field: c for c in sheet.columns}
        columns: dict[int, tuple[Column | None, str]] = {}
        used: dict[str, int] = {}
        for n, value in enumerate(cells, start=left + 1):
            text = cell_text(value).strip()
            if not text:
                columns[n] = (None, "")
                continue
            column = known.get(text)
            if column is None:
                from ..policy.validation import suggestion

                self.problem(f"unknown header `{text}`", name, index, 1, n, text, code="header",
                             help=suggestion(text, [c.header for c in sheet.columns])
                             or "headers: " + "、".join(c.header for c in sheet.columns))
            elif column.field in used:
                self.problem(f"header `{text}` repeats column {_letter(used[column.field])}", name, index, 1, n,
                             text, code="header")
                column = None
            else:
                used[column.field] = n
            columns[n] = (column, text)
        missing = [c for c in sheet.columns if c.required and c.field not in used]
        for column in missing:
            self.problem(f"missing column `{column.header}`", name, index, 1, 0, code="header",
                         help=f"add a column headed `{column.header}` (or `{column.field}`)")
        return columns

    def _row(self, cells: list[Any], row: int, left: int, plan: list[_Cell], positions: dict[str, tuple[int, str]],
             sheet: Sheet, name: str, index: int, bad: _Cells | None) -> None:
        if _EMPTY.issuperset(cells):
            return
        values: dict[str, Any] = {}
        invalid = False
        for n, (value, (column, header, read)) in enumerate(zip(cells, plan), start=left + 1):
            if bad is not None and bad.holds(row, n):
                if column is not None:
                    values[column.field] = _INVALID  # reported once, for the whole range
                    invalid = True
                continue
            if value is None or value == "":
                continue
            if column is None or read is None:
                if not header:
                    self.problem("a value in a column without a header", name, index, row, n, code="header",
                                 help="give the column a header or clear it")
                continue
            try:
                if column.attribute:
                    values.setdefault("attributes", {})[column.field] = raw_value(column, read(column, value))
                elif sheet.extra:
                    values[column.field] = raw_value(column, read(column, value))
                else:
                    values[column.field] = read(column, value)
            except ValueError as error:
                message = "invalid value (not shown: personal data)" if column.personal else str(error)
                self.problem(message, name, index, row, n, header, code="cell")
                values[column.field] = _INVALID
                invalid = True
                if column.field == "id":  # records naming the id as meant are not reported again
                    values[_MEANT_ID] = str(value).strip()
        self.rows[sheet.key].append(_Row(sheet, index, row, values, positions, invalid=invalid))

    # -- records -----------------------------------------------------------------------------

    def records(self) -> dict[str, Any]:
        """The dataset's fields: ``name``, ``covers`` and, per list, the rows read (each with its
        validated record, or None when a cell of it is bad)."""
        document: dict[str, Any] = {}
        dataset_rows = self.rows.get("dataset", [])
        for extra_row in dataset_rows[1:]:
            self.at(extra_row, "name", f"sheet `{DATASET_SHEET}` holds one row; this is a second one")
        if dataset_rows:
            first = dataset_rows[0]
            document["name"] = first.values.get("name", "")
            declared_by = first.values.get("declared_by", [])
            document["declared_by"] = tuple(declared_by) if isinstance(declared_by, list) else ()
            covers = {k: first.values[f"covers.{k}"] for k in ("start", "end") if f"covers.{k}" in first.values}
            self._validate(first, _COVERAGE, covers, rename={"start": "covers.start", "end": "covers.end"})
            if first.record is not None:
                document["covers"] = first.record
        models = _models()
        for sheet in self.sheets:  # nested lists first: their parents are validated holding them
            if sheet.parent is not None and sheet.child_field is not None:
                self._attach(sheet, models[sheet.key], models[f"[{sheet.key}]"])
        for sheet in self.sheets:
            if sheet.parent is not None or sheet.key == "dataset":
                continue
            model = models.get(sheet.key)
            batch = models.get(f"[{sheet.key}]")
            if model is None and sheet.extra and sheet.event_type is not None:
                model, batch = _PACK_EVENT, _PACK_EVENTS
            rows = self.rows.get(sheet.key, [])
            if sheet.event_type is not None:
                for row in rows:
                    row.values["type"] = sheet.event_type
            if model is not None and not self._validate_all(rows, batch):
                for row in rows:
                    skip = {c for c in row.children}
                    self._validate(row, model, row.values, skip=skip)
                    if any(k.record is None for kids in row.children.values() for k in kids):
                        row.record = None
            document.setdefault(sheet.section, []).extend(rows)
        if "events" in document:
            # One id space over all event sheets, in one order: the core events by date then id,
            # then each pack's events (in sheet order) by date then id.
            rank = {s.key: n for n, s in enumerate(x for x in self.sheets if x.extra and x.event_type)}
            document["events"].sort(key=lambda r: (rank.get(r.sheet.key, -1), str(r.values.get("date", "")),
                                                    str(r.values.get("id", ""))))
        return document

    @staticmethod
    def _validate_all(rows: list[_Row], adapter: Any) -> bool:
        """Validate a whole sheet in one call (fast); False when some row needs a closer look."""
        if adapter is None or any(r.invalid for r in rows):
            return False
        try:
            records = adapter.validate_python([r.values for r in rows])
        except ValidationError:
            return False
        for row, record in zip(rows, records):
            row.record = record
        return True

    def _attach(self, sheet: Sheet, model: Any, batch: Any) -> None:
        assert sheet.parent is not None and sheet.child_field is not None
        parent_field = sheet.columns[0].field
        parents = {str(r.values.get(_MEANT_ID, r.values.get("id"))): r for r in self.rows.get(sheet.parent, [])}
        rows = self.rows.get(sheet.key, [])
        parent_ids = [row.values.pop(parent_field, None) for row in rows]
        if not self._validate_all(rows, batch):
            for row in rows:
                self._validate(row, model, row.values)
        for row, parent_id in zip(rows, parent_ids):
            if parent_id is None:
                self.at(row, parent_field, "field required")
                continue
            parent = parents.get(str(parent_id))
            if parent is None:
                what = _PARENT_WHAT.get(sheet.parent, sheet.parent)
                self.at(row, parent_field, f"unknown {what} `{parent_id}`", "reference")
                continue
            parent.children[sheet.child_field].append(row)
        for parent in parents.values():
            kids = parent.children.get(sheet.child_field)
            if kids:
                parent.values[sheet.child_field] = [k.values for k in kids]

    def _validate(self, row: _Row, model: Any, values: dict[str, Any], *, skip: set[str] = frozenset(),  # type: ignore[assignment]
                  rename: dict[str, str] | None = None) -> None:
        # A bad cell is reported once, by the cell reader; the row's other cells are still checked.
        bad = {k for k, v in values.items() if v is _INVALID} if row.invalid else set()
        if bad:
            values = {k: v for k, v in values.items() if v is not _INVALID and k != _MEANT_ID}
        try:
            row.record = model.validate_python(values)
        except ValidationError as error:
            row.record = None
            for item in error.errors():
                loc = item["loc"]
                fieldname = str(loc[0]) if loc else ""
                if fieldname in skip or fieldname in bad or (bad and not loc):
                    continue  # a nested row reports its own problems
                if rename:
                    fieldname = rename.get(fieldname, fieldname)
                self.at(row, fieldname, _pydantic_message(item))
        if bad:
            row.record = None

    def at(self, row: _Row, fieldname: str, message: str, code: str = "cell") -> None:
        column, header = row.columns.get(fieldname, (0, ""))
        self.problem(message, row.sheet.name, row.sheet_index, row.row, column, header, code=code)


_INVALID = object()
_MEANT_ID = "\x00id"
_EMPTY = frozenset({"", None})
_Cell = tuple[Column | None, str, Callable[[Column, Any], Any] | None]


@dataclass(frozen=True)
class _Cells:
    """Cells already reported (formulas, merged ranges): their values are not read again."""

    cells: set[tuple[int, int]]
    ranges: list[tuple[int, int, int, int]]

    def __bool__(self) -> bool:
        return bool(self.cells or self.ranges)

    def holds(self, row: int, column: int) -> bool:
        return (row, column) in self.cells or any(
            r0 <= row <= r1 and c0 <= column <= c1 for r0, c0, r1, c1 in self.ranges)

_NO_COLUMN: tuple[Column | None, str] = (None, "")
_PACK_EVENT: Any = TypeAdapter(PackEvent)
_PACK_EVENTS: Any = TypeAdapter(list[PackEvent])
_PARENT_WHAT = {"members": "member", "joint_meeting": "joint meeting", "inspection": "inspection"}
_COVERAGE: Any = TypeAdapter(Coverage)


def _models() -> dict[str, Any]:
    """The pydantic model (as a TypeAdapter) of each sheet's records, read off the dataset model."""
    adapters: dict[str, Any] = {}
    for name, info in Dataset.model_fields.items():
        item = _item(info.annotation)
        if item is None:
            continue
        if name == "events":
            for model in event_models():
                key = model.model_fields["type"].default
                adapters[key] = TypeAdapter(model)
                adapters[f"[{key}]"] = TypeAdapter(list[model])  # type: ignore[valid-type]
                _children(key, model, adapters)
        else:
            adapters[name] = TypeAdapter(item)
            adapters[f"[{name}]"] = TypeAdapter(list[item])  # type: ignore[valid-type]
            _children(name, item, adapters)
    return adapters


def _children(key: str, model: type[BaseModel], adapters: dict[str, Any]) -> None:
    for name, info in model.model_fields.items():
        item = _item(info.annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            adapters[f"{key}.{name}"] = TypeAdapter(item)
            adapters[f"[{key}.{name}]"] = TypeAdapter(list[item])  # type: ignore[valid-type]


def _item(annotation: Any) -> Any:
    if typing.get_origin(annotation) is not tuple:
        return None
    item = typing.get_args(annotation)[0]
    if isinstance(item, type) and issubclass(item, BaseModel):
        return item
    if typing.get_origin(item) is typing.Annotated and typing.get_origin(typing.get_args(item)[0]) is typing.Union:
        return item
    return None


def read_ledger(path: str | Path, extra: ExtraSchema | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """The workbook's records as plain values by dataset field (what :meth:`Dataset.model_validate`
    takes, including the fields ``extra`` declares), and every problem found in its cells."""
    reader = _Reader(Path(path), extra)
    reader.read()
    rows = reader.records()
    document: dict[str, Any] = {
        key: [r.values for r in value] if isinstance(value, list) else value for key, value in rows.items()
    }
    if "covers" in document:
        document["covers"] = document["covers"].model_dump(mode="python")
    return document, reader.problems


def load_ledger(path: str | Path, packs: Any = ()) -> Dataset:
    """Read and check a ledger workbook against the packs in use (a pack or a sequence of packs;
    with those the workbook's 数据集 sheet names in 声明所用政策包, their declared attributes and
    event types get columns and sheets); raise :class:`DataError` listing every bad cell with its
    sheet, row, column letter and header."""
    from ..policy.declarations import declaration_problems
    from ..policy.pack import Pack, declarations_for
    from .datasets import _bundled_named, check_declared

    in_use = (packs,) if isinstance(packs, Pack) else tuple(packs)
    declared, problems = declarations_for(in_use, _declared_by(Path(path)), _bundled_named)
    if problems:
        raise DataError(problems)
    reader = _Reader(Path(path), ledger_schema(declared))
    reader.read()
    rows = reader.records()
    if "covers" not in rows:
        if reader.dataset_sheet is not None and not reader.rows.get("dataset"):  # only headers, as in the template
            name, index = reader.dataset_sheet
            reader.problem(f"sheet `{name}` has no row", name, index, 2, code="sheet",
                           help="it holds the dataset's name and recorded period (covers)")
        raise DataError(reader.problems)
    sections: dict[str, list[_Row]] = {k: v for k, v in rows.items() if isinstance(v, list)}
    valid = {k: [r for r in v if r.record is not None] for k, v in sections.items()}
    records = {k: tuple(r.record for r in v) for k, v in valid.items()}
    head = {"name": rows["name"], "covers": rows["covers"], "declared_by": rows.get("declared_by", ())}
    if not reader.problems:
        try:
            data = Dataset.model_validate({**head, **records})
        except ValidationError:
            pass  # broken references: located below
        else:
            for located_path, message, hint in declaration_problems(data, declared):
                reader_row, fieldname = _locate(valid, located_path)
                reader.at(reader_row, fieldname, message, "declaration")
            if not reader.problems:
                check_declared(data, in_use)  # records the check, so that evaluating does not repeat it
                return data
            raise DataError(reader.problems)
    invalid_ids = {k: {str(r.values.get(_MEANT_ID, r.values.get("id"))) for r in v if r.record is None}
                   for k, v in sections.items()}
    fields: dict[str, Any] = {**head, **records}
    partial = Dataset.model_construct(**fields)
    for located_path, message in integrity_problems(partial, invalid_ids):
        reader_row, fieldname = _locate(valid, located_path)
        reader.at(reader_row, fieldname, message, "reference")
    if not reader.problems:  # pragma: no cover - a whole-dataset check added to the model later
        reader.problems.append(Problem("the dataset is invalid", None, "invalid"))
    raise DataError(reader.problems)


def cell_spans(path: str | Path, packs: Any, paths: list[tuple[str | int, ...]]) -> list[CellSpan | None]:
    """The cell of a valid ledger that each dataset path (``("ratings", 3, "tier")``) was read
    from, or None where no cell holds it: for problems found after loading, to point at their cells."""
    from ..policy.pack import Pack, declarations_for
    from .datasets import _bundled_named

    in_use = (packs,) if isinstance(packs, Pack) else tuple(packs)
    declared, problems = declarations_for(in_use, _declared_by(Path(path)), _bundled_named)
    reader = _Reader(Path(path), ledger_schema(declared))
    reader.read()
    valid = {k: [r for r in v if r.record is not None] for k, v in reader.records().items() if isinstance(v, list)}
    spans: list[CellSpan | None] = []
    for located_path in paths:
        try:
            row, fieldname = _locate(valid, located_path)
        except (KeyError, IndexError, ValueError):
            spans.append(None)
            continue
        column, header = row.columns.get(fieldname, (0, ""))
        spans.append(CellSpan(reader.file, row.row, column, sheet=row.sheet.name, sheet_index=row.sheet_index,
                              header=header))
    return spans


def _declared_by(path: Path) -> tuple[str, ...]:
    """The pack names in the 数据集 sheet's 声明所用政策包 cell, read before the rest of the workbook
    (they decide its columns); a problem with them is reported by the full read."""
    from python_calamine import CalamineError, CalamineWorkbook

    column = next(c for c in ledger_sheets()[0].columns if c.field == "declared_by")
    try:
        book = CalamineWorkbook.from_path(str(path))
        name = next((n for n in book.sheet_names if n in (DATASET_SHEET, "dataset")), None)
        if name is None:
            return ()
        rows = book.get_sheet_by_name(name).to_python()
    except (CalamineError, OSError, ValueError):
        return ()
    if len(rows) < 2:
        return ()
    headers = [cell_text(h).strip() for h in rows[0]]
    for n, header in enumerate(headers):
        if header in (column.header, column.field) and n < len(rows[1]) and rows[1][n] not in ("", None):
            return tuple(cell_reader(column)(column, rows[1][n]))
    return ()


def _locate(valid: dict[str, list[_Row]], path: tuple[str | int, ...]) -> tuple[_Row, str]:
    section, index, *rest = path
    row = valid[str(section)][int(index)]
    if len(rest) >= 3 and isinstance(rest[1], int) and str(rest[0]) in row.children:
        return row.children[str(rest[0])][rest[1]], str(rest[2])
    if rest and rest[0] == "attributes":  # an attribute has its own column
        return row, str(rest[1]) if len(rest) > 1 else "id"
    return row, str(rest[0]) if rest else "id"


def _pydantic_message(item: Any) -> str:
    message = str(item.get("msg", "invalid"))
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    message = message[:1].lower() + message[1:]
    return message


def _letter(number: int) -> str:
    return CellSpan("", 0, number).letter


