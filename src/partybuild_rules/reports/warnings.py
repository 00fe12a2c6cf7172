"""Early warnings (预警) out: a terminal table, JSON, CSV, an Excel sheet and an HTML page."""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from rich.table import Table

from ..analysis.warnings import WarningReport
from ..domain.messages import Lang
from .text import render_text

__all__ = ["warnings_csv", "warnings_html", "warnings_json", "warnings_table", "warnings_xlsx"]

_WORDS: dict[str, tuple[str, str]] = {
    "head": ("预警：截至 {as_of}（展望至 {horizon}），共 {n} 项", "Early warnings as of {as_of} (looking to {horizon}): {n}"),
    "rule": ("规则", "rule"), "title": ("规则名称", "rule title"), "subject": ("对象", "subject"),
    "name": ("名称", "name"), "community": ("社区", "community"), "period": ("将触发期间", "would fire for"),
    "message": ("将产生的结果", "would give"), "count": ("预警数", "warnings"),
    "per_rule": ("各规则预警", "Warnings per rule"), "list": ("预警明细", "Warnings"),
    "none": ("（无预警）", "(no warnings)"), "why": ("为什么", "why"),
    "projected": ("推算时按已有得分补齐了 {n} 项缺失的考核评分", "{n} missing assessment parts projected from scores so far"),
}
_FIELDS = ("rule_id", "rule_title", "subject_kind", "subject", "subject_name", "community", "period", "message")


def _w(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


def _head(report: WarningReport, lang: Lang) -> str:
    text = _w("head", lang).format(as_of=report.as_of, horizon=report.horizon, n=len(report.warnings))
    if report.projected_assessments:
        text += "；" if lang == "zh" else "; "
        text += _w("projected", lang).format(n=report.projected_assessments)
    return text


def warnings_json(report: WarningReport) -> str:
    """The whole report as JSON (each warning with the outcome it would give)."""
    return report.model_dump_json(indent=2)


def warnings_csv(report: WarningReport, lang: Lang = "zh") -> str:
    """One row per warning."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_FIELDS)
    for warning in report.warnings:
        writer.writerow([getattr(warning, f) for f in _FIELDS])
    return buffer.getvalue()


def warnings_table(report: WarningReport, lang: Lang = "zh", *, max_rows: int = 40) -> str:
    """Counts per rule, then the first warnings, as text."""
    per_rule = Table(title=_w("per_rule", lang), title_justify="left")
    per_rule.add_column(_w("rule", lang), no_wrap=True)
    per_rule.add_column(_w("title", lang), overflow="fold")
    per_rule.add_column(_w("count", lang), justify="right")
    titles = {w.rule_id: w.rule_title for w in report.warnings}
    for rule_id, count in Counter(w.rule_id for w in report.warnings).items():
        per_rule.add_row(rule_id, titles[rule_id], str(count))
    rows = Table(title=_w("list", lang), title_justify="left")
    rows.add_column(_w("rule", lang), no_wrap=True)
    rows.add_column(_w("subject", lang), no_wrap=True)
    rows.add_column(_w("period", lang), no_wrap=True)
    rows.add_column(_w("message", lang), overflow="fold")
    for warning in report.warnings[:max_rows]:
        rows.add_row(warning.rule_id, f"{warning.subject_name}（{warning.subject}）", warning.period, warning.message)
    if not report.warnings:
        rows.add_row(_w("none", lang), "", "", "")
    elif len(report.warnings) > max_rows:
        rows.add_row("…", f"+{len(report.warnings) - max_rows}", "", "")
    return _head(report, lang) + "\n\n" + render_text(per_rule, rows)


def warnings_xlsx(path: str | Path, report: WarningReport, lang: Lang = "zh") -> None:
    """One sheet of warnings with filters, frozen headers and a count row."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "预警" if lang == "zh" else "Warnings"
    ws.append([_head(report, lang)])
    headers = [_w(k, lang) for k in ("rule", "title", "subject", "name", "community", "period", "message")]
    ws.append(headers)
    for n in range(1, len(headers) + 1):
        cell = ws.cell(2, n)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="C00000")
    for warning in report.warnings:
        ws.append([warning.rule_id, warning.rule_title, warning.subject, warning.subject_name,
                   warning.community, warning.period, warning.message])
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(headers))}{len(report.warnings) + 2}"
    ws.append([_w("count", lang), len(report.warnings)])
    for letter, width in zip("ABCDEFG", (26, 40, 12, 30, 10, 12, 50)):
        ws.column_dimensions[letter].width = width
    book.save(Path(path))


def warnings_html(report: WarningReport, lang: Lang = "zh") -> str:
    """A self-contained printable page; each warning's explanation folds open."""
    e = html.escape
    rows = "".join(
        f"<tr data-rule='{e(w.rule_id)}'><td>{e(w.rule_id)}</td><td>{e(w.subject_name)}（{e(w.subject)}）</td>"
        f"<td>{e(w.community)}</td><td>{e(w.period)}</td><td>{e(w.message)}</td>"
        f"<td><details><summary>{e(_w('why', lang))}</summary><pre>{e(w.explanation)}</pre></details></td></tr>"
        for w in report.warnings
    )
    heads = "".join(f"<th>{e(_w(k, lang))}</th>" for k in ("rule", "subject", "community", "period", "message", "why"))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>预警</title><style>"
        "body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:24px auto;max-width:1100px}"
        "h1{color:#b00000}table{border-collapse:collapse;width:100%;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f4e3e3}"
        "pre{white-space:pre-wrap;font-size:12px}@media print{tr{page-break-inside:avoid}}</style></head><body>"
        f"<h1 id='warning-count' data-value='{len(report.warnings)}'>{e(_head(report, lang))}</h1>"
        f"<table><thead><tr>{heads}</tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )
