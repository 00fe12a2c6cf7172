"""Outcomes to text: a Chinese summary table, JSON for other systems, and CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from decimal import Decimal

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from ..analysis.explain import headline
from ..domain.messages import Lang
from ..domain.outcomes import Allocation, Allowance, ComplianceFinding, Reprimand, Result
from ..policy.pack import Pack
from .tables import allowance_totals, amount_text

__all__ = ["summary", "to_csv", "to_json"]


def to_json(result: Result) -> str:
    """The whole result as JSON: money as strings (exact), dates ISO, outcomes in order."""
    return result.model_dump_json(indent=2)


_CSV_FIELDS = [
    "kind", "rule_id", "subject_kind", "subject", "subject_name", "community", "year", "period",
    "summary", "amount", "tier", "score", "source", "rule_file", "rule_line",
]


def to_csv(result: Result) -> str:
    """One row per outcome (UTF-8; open with a spreadsheet that reads UTF-8)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for o in result.outcomes:
        writer.writerow({
            "kind": o.kind,
            "rule_id": o.rule_id,
            "subject_kind": o.subject_kind.value,
            "subject": o.subject,
            "subject_name": o.subject_name,
            "community": o.community,
            "year": o.year,
            "period": o.period,
            "summary": headline(o),
            "amount": str(o.amount) if isinstance(o, Allowance) else "",
            "tier": getattr(o, "tier", ""),
            "score": getattr(o, "score", ""),
            "source": o.provenance.source,
            "rule_file": o.provenance.file,
            "rule_line": o.provenance.line,
        })
    return buffer.getvalue()


def render_text(*parts: Table | str, width: int = 110) -> str:
    """Rich tables and lines as plain text (rendered into memory, never to a terminal)."""
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    for part in parts:
        console.print(part)
    return console.export_text()


_SUMMARY_WORDS: dict[str, tuple[str, str]] = {
    "per_rule": ("各规则结果", "Outcomes per rule"), "rule": ("规则", "rule"), "title": ("名称", "title"),
    "count": ("结果数", "count"), "reprimanded": ("问责对象", "Reprimanded"), "subject": ("对象", "subject"),
    "period": ("时间", "period"), "measures": ("措施", "measures"),
    "more": ("另 {n} 项，见 --format json/csv/xlsx", "{n} more, see --format json/csv/xlsx"),
    "funds": ("待遇经费合计（元）", "Allowance totals (yuan)"), "payees": ("对象数", "payees"),
    "amount": ("金额", "amount"), "formula": ("计算", "formula"), "total": ("合计", "total"),
    "findings": ("各期合规问题", "Compliance findings per period"), "none": ("（无）", "(none)"),
    "head": ("{title}（{pack} {version}）— 数据集 {dataset}，{year} 年，共 {n} 项结果",
             "{title} ({pack} {version}) — dataset {dataset}, {year}, {n} outcomes"),
    "unnamed": ("（未命名）", "(unnamed)"),
}


def summary(result: Result, pack: Pack, *, max_names: int = 20, lang: Lang = "zh") -> str:
    """A readable summary (Chinese, or English with ``lang="en"``): outcomes per rule, who was
    reprimanded, money per rule with the parameter values behind it, compliance findings per
    period, and the balancing proposals (if the pack makes any). Long cells wrap at measure
    boundaries, never cut."""
    def w(key: str) -> str:
        return _SUMMARY_WORDS[key][0 if lang == "zh" else 1]

    titles = {rule.id: rule.title for rule in pack.rules}
    per_rule = Counter(o.rule_id for o in result.outcomes)
    head = w("head").format(title=pack.title, pack=result.pack, version=result.pack_version,
                            dataset=result.dataset or w("unnamed"), year=result.year, n=len(result.outcomes))

    rules = Table(title=w("per_rule"), title_justify="left")
    rules.add_column(w("rule"), no_wrap=True)
    rules.add_column(w("title"), overflow="fold")
    rules.add_column(w("count"), justify="right")
    for rule in pack.rules:
        rules.add_row(rule.id, titles[rule.id], str(per_rule.get(rule.id, 0)))

    reprimands = [o for o in result.outcomes if isinstance(o, Reprimand)]
    people = Table(title=f"{w('reprimanded')}（{len(reprimands)}）", title_justify="left")
    people.add_column(w("rule"), no_wrap=True)
    people.add_column(w("subject"), overflow="fold")
    people.add_column(w("period"), no_wrap=True)
    people.add_column(w("measures"), overflow="fold")
    for o in reprimands[:max_names]:
        # one measure a line: a narrow terminal wraps between measures, never cuts one
        measures = "\n".join(f"{m.measure}（{m.target}）" + (f" → {m.deadline}" if m.deadline else "")
                              for m in o.measures)
        people.add_row(o.rule_id, f"{o.subject_name}（{o.subject}）", o.period, measures)
    if len(reprimands) > max_names:
        people.add_row("…", w("more").format(n=len(reprimands) - max_names), "", "")

    funds = Table(title=w("funds"), title_justify="left")
    funds.add_column(w("rule"), no_wrap=True)
    funds.add_column(w("payees"), justify="right")
    funds.add_column(w("amount"), justify="right", no_wrap=True)
    totals = allowance_totals(result)
    # the parameter values behind each amount, a tier a line, so that no line is cut
    formulas = {rule_id: amount_text(pack, rule_id, lang).replace(" · ", "\n") for rule_id, *_ in totals}
    funds.add_column(w("formula"), min_width=max((cell_len(line) for f in formulas.values()
                                                  for line in f.splitlines()), default=4))
    for rule_id, _, payees, total in totals:
        funds.add_row(rule_id, str(payees), f"{total:,.2f}", formulas[rule_id])
    funds.add_row(w("total"), "", f"{sum((t[3] for t in totals), Decimal(0)):,.2f}", "")

    findings: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in result.outcomes:
        if isinstance(finding, ComplianceFinding):
            findings[finding.period][finding.rule_id] += 1
    compliance_rules = [r.id for r in pack.rules if r.kind.value == "compliance"]
    periods = Table(title=w("findings"), title_justify="left")
    periods.add_column(w("period"))
    for rule_id in compliance_rules:
        periods.add_column(rule_id.split(".")[0], justify="right")
    for period in sorted(findings):
        periods.add_row(period, *(str(findings[period].get(r, 0)) for r in compliance_rules))
    if not findings:
        periods.add_row(w("none"), *("0" for _ in compliance_rules))

    return head + "\n\n" + render_text(rules, people, funds, periods, *_allocations(result, max_names))


def _allocations(result: Result, max_names: int) -> list[Table]:
    """均衡调剂建议: each proposed move, in the order proposed; nothing for a pack without them."""
    moves = [o for o in result.outcomes if isinstance(o, Allocation)]
    if not moves:
        return []
    table = Table(title=f"均衡调剂建议 Balancing proposals（{len(moves)}）", title_justify="left")
    for column in ("序号 step", "驻区单位 unit", "调出社区 from", "调入社区 to", "调剂前→后 before→after"):
        table.add_column(column)
    for o in moves[:max_names]:
        table.add_row(
            str(o.step), f"{o.subject_name}（{o.subject}）", f"{o.from_community_name}（{o.from_community}）",
            f"{o.to_community_name}（{o.to_community}）",
            f"{o.from_before}→{o.from_after} / {o.to_before}→{o.to_after}",
        )
    if len(moves) > max_names:
        table.add_row("…", f"另 {len(moves) - max_names} 项，见 --format json/csv", "", "", "")
    return [table]
