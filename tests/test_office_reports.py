"""Outcomes to Excel and to HTML: the workbook read back, the page opened in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

from partybuild_rules import Allowance, Dataset, Pack, Result
from partybuild_rules.reports.html import render_html, write_result_html
from partybuild_rules.reports.tables import amount_text
from partybuild_rules.reports.xlsx import MONEY_FORMAT, write_result_xlsx

KIND_SHEETS = {"evaluation": "考核评价", "commendation": "表彰", "reprimand": "问责", "compliance": "合规问题",
               "allowance": "待遇经费", "charge": "应缴费用", "allocation": "均衡调剂建议"}


@pytest.fixture(scope="module")
def result_workbook(tmp_path_factory: pytest.TempPathFactory, example_result: Result, tongjiang_pack: Pack) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "结果.xlsx"
    write_result_xlsx(path, example_result, tongjiang_pack)
    return path


def test_workbook_has_a_sheet_per_kind_and_a_summary(result_workbook: Path, example_result: Result) -> None:
    """Summary first, then one sheet per outcome kind, each with one row per outcome and a totals row."""
    book = load_workbook(result_workbook)
    assert book.sheetnames == ["汇总", *KIND_SHEETS.values()]
    for kind, name in KIND_SHEETS.items():
        ws = book[name]
        outcomes = [o for o in example_result.outcomes if o.kind == kind]
        assert ws.max_row == len(outcomes) + 2  # header, rows, totals
        assert ws.cell(ws.max_row, 1).value == "合计" and ws.cell(ws.max_row, 2).value == len(outcomes)
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        headers = [c.value for c in ws[1]]
        assert {"规则", "依据条款", "规则文件"} <= set(headers)
        assert ws.column_dimensions["B"].width > 8


def test_workbook_money_equals_the_result(result_workbook: Path, example_result: Result) -> None:
    """Amounts are numbers shown to the fen; each row and the total equal the Result's amounts."""
    ws = load_workbook(result_workbook)["待遇经费"]
    headers = [c.value for c in ws[1]]
    amount = headers.index("金额（元）") + 1
    allowances = [o for o in example_result.outcomes if (isinstance(o, Allowance) and o.kind == "allowance")]
    cells = [ws.cell(r, amount) for r in range(2, ws.max_row)]
    assert all(c.number_format == MONEY_FORMAT and isinstance(c.value, (int, float)) for c in cells)
    assert [Decimal(repr(c.value)).quantize(Decimal("0.01")) for c in cells] == [o.amount for o in allowances]
    total = Decimal(repr(ws.cell(ws.max_row, amount).value)).quantize(Decimal("0.01"))
    assert total == sum((o.amount for o in allowances), Decimal(0))


def test_workbook_summary_counts_and_formulas(result_workbook: Path, example_result: Result,
                                              tongjiang_pack: Pack) -> None:
    """The summary lists every rule's count and the parameter values behind each money rule."""
    ws = load_workbook(result_workbook)["汇总"]
    rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
    counts = Counter(o.rule_id for o in example_result.outcomes)
    listed = {r[0]: r[2] for r in rows if r[0] in {rule.id for rule in tongjiang_pack.rules} and r[4] is None}
    assert listed == {rule.id: counts.get(rule.id, 0) for rule in tongjiang_pack.rules}
    formulas = [r[4] for r in rows if r[4]]
    assert "2.5 × 1,270.00 = 3,175.00 元/月" in formulas


def test_amount_text_follows_the_parameters(tongjiang_pack: Pack) -> None:
    """The amount's text is computed from the current parameter values, not written down."""
    rule = next(r for r in tongjiang_pack.rules if r.amount and "*" in r.amount)
    changed = tongjiang_pack.with_overrides({"minimum_income": "1300.00"})
    assert amount_text(changed, rule.id) == "2.5 × 1,300.00 = 3,250.00 元/月"
    assert amount_text(changed, rule.id, "en").endswith("yuan/month")


# -- HTML --------------------------------------------------------------------------------------


class _Figures(HTMLParser):
    """The data- attributes of the rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.rules: dict[str, int] = {}
        self.total: str | None = None
        self.status: dict[str, str] = {}
        self.outcome_rows: Counter[str] = Counter()
        self.in_outcomes = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.in_outcomes = "outcomes" in a.get("class", "")
        if tag == "tr" and "data-count" in a:
            self.rules[a["data-rule"]] = int(a["data-count"])
        elif tag == "tr" and "data-rule" in a and self.in_outcomes:
            self.outcome_rows[a["data-rule"]] += 1
        if a.get("id") == "allowance-total":
            self.total = a["data-value"]
        if a.get("id") == "render-status":
            self.status = a


def _figures(text: str) -> _Figures:
    parser = _Figures()
    parser.feed(text)
    return parser


def test_html_is_self_contained_and_printable(example_result: Result, tongjiang_pack: Pack,
                                              example_data: Dataset) -> None:
    """No external script, style or font is fetched; the page has print styles and explanations."""
    page = render_html(example_result, tongjiang_pack, example_data)
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert "@media print" in page
    assert page.count("<details>") == len(example_result.outcomes)
    figures = _figures(page)
    assert figures.total == str(sum((o.amount for o in example_result.outcomes if (isinstance(o, Allowance) and o.kind == "allowance")),
                                    Decimal("0.00")))
    assert figures.status["data-charts-expected"] == "3"


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None and os.environ.get("CI") != "true",
                    reason="headless Chromium is not installed (Debian package `chromium`; CI installs it)")
def test_html_renders_in_headless_chromium(tmp_path: Path, example_result: Result, tongjiang_pack: Pack,
                                           example_data: Dataset) -> None:
    """Opened in a real browser, every chart renders with no script error, and the figures on the
    page (outcomes per rule, the allowance total) equal the Result's."""
    browser = _chromium()
    assert browser is not None, "CI must provide chromium (.ci/install-browser)"
    page = tmp_path / "报告.html"
    write_result_html(page, example_result, tongjiang_pack, example_data)
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--virtual-time-budget=20000", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180,
                         check=True).stdout
    shot = tmp_path / "report.png"
    subprocess.run([*flags, "--window-size=1280,2200", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=180, check=True)
    assert shot.stat().st_size > 20_000  # a blank page is a few kilobytes
    figures = _figures(dom)
    assert figures.status.get("data-state") == "ok", figures.status
    assert figures.status["data-errors"] == ""
    assert figures.status["data-charts-rendered"] == figures.status["data-charts-expected"] == "3"
    counts = Counter(o.rule_id for o in example_result.outcomes)
    assert figures.rules == {rule.id: counts.get(rule.id, 0) for rule in tongjiang_pack.rules}
    assert figures.outcome_rows == counts
    total = sum((o.amount for o in example_result.outcomes if (isinstance(o, Allowance) and o.kind == "allowance")), Decimal("0.00"))
    assert figures.total == str(total)
    assert dom.count("main-svg") >= 3


@pytest.mark.skipif(_chromium() is None and os.environ.get("CI") != "true",
                    reason="headless Chromium is not installed (Debian package `chromium`; CI installs it)")
def test_a_broken_chart_is_reported_by_the_page(tmp_path: Path, example_result: Result) -> None:
    """The render check can fail: a chart whose script throws is counted as not rendered."""
    browser = _chromium()
    assert browser is not None
    page = tmp_path / "broken.html"
    text = render_html(example_result).replace("Plotly.newPlot(", "Plotly.newPlotBroken(", 1)
    page.write_text(text, encoding="utf-8")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=180, check=True).stdout
    status = _figures(dom).status
    assert status["data-state"] == "failed" and "newPlotBroken" in status["data-errors"]
