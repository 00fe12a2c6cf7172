"""The office's commands: template, convert, warn, --format xlsx|html, --data x.xlsx, languages."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from partybuild_rules import bundled_pack, evaluate, load_dataset, load_pack
from partybuild_rules.cli import Exit, main

SMALL = Path(__file__).resolve().parents[1] / "examples" / "small" / "dataset.yaml"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_a_new_user_fills_the_template_and_reads_the_results(tmp_path: Path) -> None:
    """Template → three rows typed in → evaluate to Excel and to HTML."""
    template = tmp_path / "台账模板.xlsx"
    code, _, err = run("template", "--output", str(template))
    assert code == Exit.OK, err
    assert "已写入台账模板" in err
    book = load_workbook(template)
    book["数据集"].append(["我的社区", "2024-01-01", "2024-12-31"])
    book["社区"].append(["C01", "东江社区"])
    book["驻区单位"].append(["U0001", "同江市财政局", "C01", "党政机关", "李明"])
    book["单位报到"].append(["E1", date(2024, 1, 8), "U0001"])
    ledger = tmp_path / "台账.xlsx"
    book.save(ledger)
    result = tmp_path / "结果.xlsx"
    code, _, err = run("evaluate", "--data", str(ledger), "--format", "xlsx", "--output", str(result))
    assert code == Exit.OK, err
    findings = load_workbook(result)["合规问题"]
    expected = evaluate(load_pack(bundled_pack()), load_dataset(ledger), 2024)
    assert findings.cell(findings.max_row, 2).value == len([o for o in expected.outcomes if o.kind == "compliance"])
    assert len(expected.of_rule("C1.unit-monthly-report")) == 11  # reported in January only
    report = tmp_path / "报告.html"
    code, _, err = run("evaluate", "--data", str(ledger), "--format", "html", "--output", str(report))
    assert code == Exit.OK, err
    assert "data-rule='C1.unit-monthly-report' data-count='11'" in report.read_text(encoding="utf-8")


def test_convert_both_ways(tmp_path: Path) -> None:
    """YAML → xlsx → JSON keeps the dataset."""
    ledger = tmp_path / "台账.xlsx"
    back = tmp_path / "back.json"
    assert run("convert", str(SMALL), "--output", str(ledger))[0] == Exit.OK
    assert run("validate", "--data", str(ledger))[0] == Exit.OK
    assert run("convert", str(ledger), "--output", str(back))[0] == Exit.OK
    assert load_dataset(back) == load_dataset(SMALL)


def test_convert_to_an_unknown_format_is_an_error(tmp_path: Path) -> None:
    code, _, err = run("convert", str(SMALL), "--output", str(tmp_path / "x.txt"))
    assert code == Exit.INVALID and "无法把数据集写成 `.txt` 格式" in err


def test_bad_ledger_cells_are_listed_in_chinese_and_english(tmp_path: Path) -> None:
    """Every bad cell, with sheet, row, column letter and header; exit 1, no traceback."""
    ledger = tmp_path / "台账.xlsx"
    run("convert", str(SMALL), "--output", str(ledger))
    book = load_workbook(ledger)
    book["单位报到"]["B2"] = 45300
    book["单位报到"]["B2"].number_format = "General"  # a date-formatted cell would show 45300 as a date
    book["党员"]["A2"] = "M00001 "
    book.save(ledger)
    code, _, err = run("evaluate", "--data", str(ledger))
    assert code == Exit.INVALID
    assert "工作表“单位报到”第 2 行 B 列（日期）: 此处应为日期，实际为数字 `45300`" in err
    assert "工作表“党员”第 2 行 A 列（编号）" in err
    code, _, err = run("--lang", "en", "evaluate", "--data", str(ledger))
    assert "sheet `单位报到`, row 2, column B (`日期`): a number `45300` where a date is expected" in err
    assert "Traceback" not in err


def test_warn_in_every_format(tmp_path: Path) -> None:
    """warn --as-of writes a table, JSON, CSV, a workbook and a page with the same warnings."""
    code, out, err = run("warn", "--as-of", "2024-09-30", "--format", "json", "--data", str(SMALL))
    assert code == Exit.OK, err
    report = json.loads(out)
    assert report["as_of"] == "2024-09-30"
    count = len(report["warnings"])
    code, out, _ = run("warn", "--as-of", "2024-09-30", "--format", "csv", "--data", str(SMALL))
    assert len(out.strip().splitlines()) == count + 1
    code, out, _ = run("warn", "--as-of", "2024-09-30", "--data", str(SMALL))
    assert f"共 {count} 项" in out
    xlsx = tmp_path / "预警.xlsx"
    assert run("warn", "--as-of", "2024-09-30", "--format", "xlsx", "--output", str(xlsx), "--data", str(SMALL))[0] == 0
    ws = load_workbook(xlsx).active
    assert ws is not None and ws.cell(ws.max_row, 2).value == count
    page = tmp_path / "预警.html"
    assert run("warn", "--as-of", "2024-09-30", "--format", "html", "--output", str(page), "--data", str(SMALL))[0] == 0
    assert f"data-value='{count}'" in page.read_text(encoding="utf-8")


def test_warn_takes_the_engine_like_evaluate(engine: str) -> None:
    """warn --engine NAME evaluates on that engine; the warnings do not depend on it."""
    code, out, err = run("warn", "--as-of", "2024-09-30", "--format", "json", "--data", str(SMALL), "--engine", engine)
    assert code == Exit.OK, err
    default = run("warn", "--as-of", "2024-09-30", "--format", "json", "--data", str(SMALL))[1]
    assert json.loads(out) == json.loads(default)


def test_xlsx_and_html_need_an_output_file() -> None:
    code, _, err = run("evaluate", "--format", "xlsx")
    assert code == Exit.USAGE and "需要 `--output 文件`" in err


def test_chinese_status_lines_have_no_english(tmp_path: Path) -> None:
    """In Chinese mode nothing written to the user is an English sentence."""
    code, _, err = run("evaluate", "--data", str(SMALL), "--format", "json", "--output", str(tmp_path / "r.json"))
    assert code == Exit.OK and err.startswith("已写入") and "wrote" not in err
    code, out, _ = run("validate", "--data", str(SMALL))
    assert not re.search(r"\b(ok|rules|units|members|events)\b", out)
    code, _, err = run("evaluate", "--set", "minimum_income=abc")
    assert not re.search(r"[a-z]{4,} [a-z]{4,}", err.replace("minimum_income", "")), err


def test_english_summary_translates_the_tables() -> None:
    """--lang en gives English headers and titles; Chinese stays in the pack's own words only."""
    code, out, _ = run("--lang", "en", "evaluate", "--data", str(SMALL))
    assert code == Exit.OK
    assert "Outcomes per rule" in out and "Allowance totals (yuan)" in out and "各规则结果" not in out
    code, out, _ = run("evaluate", "--data", str(SMALL))
    assert "各规则结果" in out and "Outcomes per rule" not in out


def test_summary_shows_the_amounts_behind_money_rules() -> None:
    """Each money rule's line shows the parameter values behind its amount."""
    code, out, _ = run("evaluate", "--data", str(SMALL))
    assert "2.5 × 1,270.00 = 3,175.00 元/月" in out
    code, out, _ = run("evaluate", "--data", str(SMALL), "--set", "minimum_income=1300.00")
    assert "2.5 × 1,300.00 = 3,250.00 元/月" in out


def test_quiet_writes_no_status_line(tmp_path: Path) -> None:
    code, _, err = run("evaluate", "--quiet", "--data", str(SMALL), "--format", "csv",
                       "--output", str(tmp_path / "r.csv"))
    assert code == Exit.OK and err == ""


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_on_a_terminal_unless_quiet(tmp_path: Path) -> None:
    """Reading, evaluating and writing show progress on a terminal; --quiet and a pipe show none."""
    target = tmp_path / "r.xlsx"
    err = _Terminal()
    assert main(["evaluate", "--data", str(SMALL), "--format", "xlsx", "--output", str(target)], io.StringIO(), err) == 0
    shown = err.getvalue()
    assert "读取数据 dataset.yaml" in shown and "评估" in shown and "写入 r.xlsx" in shown
    err = _Terminal()
    assert main(["evaluate", "--quiet", "--data", str(SMALL)], io.StringIO(), err) == 0
    assert err.getvalue() == ""
    piped = io.StringIO()
    assert main(["evaluate", "--data", str(SMALL)], io.StringIO(), piped) == 0
    assert piped.getvalue() == ""


def test_a_number_excel_cannot_hold_exactly_is_refused_not_rounded(tmp_path: Path) -> None:
    """A whole number of more than 15 digits in a cell (an id or a year typed as a number) was read
    as the digits of the float Excel kept: `1e30` became the year 1000000000000000019884624838656,
    and the id 123456789012345678 became `123456789012345680`, with no error."""
    ledger = tmp_path / "台账.xlsx"
    run("convert", str(SMALL), "--output", str(ledger))
    book = load_workbook(ledger)
    book["双向评议"]["C2"] = 10**30
    book["单位报到"]["A2"] = 123456789012345678
    book["社区"]["B2"] = 12345  # a short number in a text column is still the text it shows
    book.save(ledger)
    code, _, err = run("validate", "--data", str(ledger))
    assert code == Exit.INVALID
    assert "工作表“双向评议”第 2 行 C 列（年度）: `1e+30` 作为整数过大（超过 15 位）" in err
    assert ("工作表“单位报到”第 2 行 A 列（编号）: `1.23456789012346e+17` 的位数超过 Excel 能精确保存的 15 位："
            "请把单元格设为文本格式后重新填写") in err
    assert "数据共有 2 处问题" in err


def test_a_folder_named_like_a_ledger_is_called_a_folder(tmp_path: Path) -> None:
    """`--data 台账.xlsx` naming a folder read `找不到文件` (file not found), though it is there."""
    folder = tmp_path / "台账.xlsx"
    folder.mkdir()
    code, _, err = run("validate", "--data", str(folder))
    assert code == Exit.INVALID and f"`{folder}` 是文件夹，不是文件" in err and "找不到" not in err


def test_every_template_header_is_chinese_and_the_english_name_still_reads(tmp_path: Path) -> None:
    """The 社区 sheet's column of neighbouring communities was headed `neighbours`, the one English
    header of the template."""
    template = tmp_path / "台账模板.xlsx"
    assert run("template", "--output", str(template))[0] == Exit.OK
    book = load_workbook(template)
    headers = {(sheet.title, cell.value) for sheet in book.worksheets if sheet.title != "填表说明"
               for cell in sheet[1] if cell.value}
    assert ("社区", "相邻社区") in headers
    assert [h for h in headers if str(h[1]).isascii()] == []

    ledger = tmp_path / "台账.xlsx"
    assert run("convert", str(SMALL), "--output", str(ledger))[0] == Exit.OK
    book = load_workbook(ledger)
    column = next(cell.column for cell in book["社区"][1] if cell.value == "相邻社区")
    book["社区"].cell(1, column, "neighbours")  # an older ledger's header
    book.save(ledger)
    assert run("validate", "--data", str(ledger))[0] == Exit.OK
