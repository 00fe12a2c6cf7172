"""Outcomes to an Excel workbook (结果.xlsx): a summary sheet and one sheet per outcome kind.

Money cells are numbers formatted to the fen (``#,##0.00``), each kind sheet ends with a totals
row, carries the provenance (rule, source clause, rule file and line, parameters), and has its
column widths and an auto-filter set. The figures come from :mod:`.tables`, like the HTML report.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..domain.outcomes import Result
from ..policy.pack import Pack
from .tables import Table, allowance_totals, amount_text, kind_tables, rule_counts, word

__all__ = ["write_result_xlsx", "MONEY_FORMAT"]

MONEY_FORMAT = "#,##0.00"
_HEAD_FILL = PatternFill("solid", fgColor="C00000")
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_BOLD = Font(bold=True)


def write_result_xlsx(path: str | Path, result: Result, pack: Pack | None = None,
                      lang: Literal["zh", "en"] = "zh") -> None:
    """Write ``result`` as a workbook; ``pack`` adds the rules that gave no outcome and the
    amounts behind each money rule to the summary."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = word("summary_sheet", lang)
    _summary(summary, result, pack, lang)
    for table in kind_tables(result, lang):
        _kind_sheet(book.create_sheet(table.title), table, lang)
    book.save(Path(path))


def _header(ws: Worksheet, row: int, values: list[str]) -> None:
    for n, value in enumerate(values, start=1):
        cell = ws.cell(row, n, value)
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL


def _kind_sheet(ws: Worksheet, table: Table, lang: Literal["zh", "en"]) -> None:
    _header(ws, 1, list(table.headers))
    ws.freeze_panes = "A2"
    for r, row in enumerate(table.rows, start=2):
        for c, value in enumerate(row, start=1):
            _put(ws, r, c, value, c - 1 in table.money)
    last = len(table.rows) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.headers))}{last}"
    total_row = last + 1
    ws.cell(total_row, 1, word("total", lang)).font = _BOLD
    ws.cell(total_row, 2, len(table.rows)).font = _BOLD
    for c in table.money:
        total = Decimal("0.00")
        for values in table.rows:
            amount = values[c]
            if isinstance(amount, Decimal):
                total += amount
        _put(ws, total_row, c + 1, total, True).font = _BOLD
    _widths(ws, [table.headers, *table.rows[:200]])


def _put(ws: Worksheet, row: int, column: int, value: Any, money: bool) -> Any:
    if isinstance(value, Decimal):
        # An amount to the fen has at most 15 significant digits: the float shows it exactly.
        cell = ws.cell(row, column, float(value))
        cell.number_format = MONEY_FORMAT if money else "0.0#"
        return cell
    return ws.cell(row, column, value)


def _widths(ws: Worksheet, rows: list[tuple[Any, ...]]) -> None:
    widths: dict[int, float] = {}
    for row in rows:
        for n, value in enumerate(row, start=1):
            text = "" if value is None else str(value)
            width = float(sum(2 if ord(ch) > 0x2E7F else 1 for ch in text) + 2)
            widths[n] = min(max(widths.get(n, 8.0), width), 60.0)
    for n, width in widths.items():
        ws.column_dimensions[get_column_letter(n)].width = width


def _summary(ws: Worksheet, result: Result, pack: Pack | None, lang: Literal["zh", "en"]) -> None:
    rows: list[tuple[Any, ...]] = [
        (word("pack", lang), result.pack), (word("version", lang), result.pack_version),
        (word("dataset", lang), result.dataset), (word("year", lang), result.year),
        (word("outcomes", lang), len(result.outcomes)),
    ]
    for n, (key, value) in enumerate(rows, start=1):
        ws.cell(n, 1, key).font = _BOLD
        ws.cell(n, 2, value)
    row = len(rows) + 2
    _header(ws, row, [word("rule", lang), word("rule_title", lang), word("outcomes", lang)])
    for rule_id, title, count in rule_counts(result, pack):
        row += 1
        ws.cell(row, 1, rule_id)
        ws.cell(row, 2, title)
        ws.cell(row, 3, count)
    row += 2
    _header(ws, row, [word("rule", lang), word("rule_title", lang), word("payees", lang),
                      word("amount", lang), word("formula", lang)])
    totals = allowance_totals(result)
    for rule_id, title, payees, total in totals:
        row += 1
        ws.cell(row, 1, rule_id)
        ws.cell(row, 2, title)
        ws.cell(row, 3, payees)
        _put(ws, row, 4, total, True)
        ws.cell(row, 5, amount_text(pack, rule_id, lang) if pack is not None else "")
    row += 1
    ws.cell(row, 1, word("total", lang)).font = _BOLD
    _put(ws, row, 4, sum((t[3] for t in totals), Decimal("0.00")), True).font = _BOLD
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 52
    ws.column_dimensions["C"].width = 10
    ws.column_dimensions["D"].width = 18
    ws.column_dimensions["E"].width = 44
