"""Outcomes to text: a Chinese summary table, JSON for other systems, and CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from ..analysis.explain import headline
from ..domain.outcomes import Allocation, Allowance, ComplianceFinding, Reprimand, Result
from ..policy.pack import Pack

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


def summary(result: Result, pack: Pack, *, max_names: int = 20) -> str:
    """A readable Chinese summary: outcomes per rule, who was reprimanded, money per rule and in
    all, compliance findings per period, and the balancing proposals (if the pack makes any)."""
    titles = {rule.id: rule.title for rule in pack.rules}
    per_rule = Counter(o.rule_id for o in result.outcomes)
    head = (
        f"{pack.title}（{result.pack} {result.pack_version}）— 数据集 {result.dataset or '（未命名）'}，"
        f"{result.year} 年，共 {len(result.outcomes)} 项结果"
    )

    rules = Table(title="各规则结果 Outcomes per rule", title_justify="left")
    rules.add_column("规则 rule")
    rules.add_column("名称 title")
    rules.add_column("结果数 count", justify="right")
    for rule in pack.rules:
        rules.add_row(rule.id, titles[rule.id], str(per_rule.get(rule.id, 0)))

    reprimands = [o for o in result.outcomes if isinstance(o, Reprimand)]
    people = Table(title=f"问责对象 Reprimanded（{len(reprimands)}）", title_justify="left")
    for column in ("规则 rule", "对象 subject", "时间 period", "措施 measures"):
        people.add_column(column)
    for o in reprimands[:max_names]:
        people.add_row(o.rule_id, f"{o.subject_name}（{o.subject}）", o.period, headline(o)[3:])
    if len(reprimands) > max_names:
        people.add_row("…", f"另 {len(reprimands) - max_names} 项，见 --format json/csv", "", "")

    money: dict[str, Decimal] = defaultdict(Decimal)
    payees: dict[str, set[str]] = defaultdict(set)
    for allowance in result.outcomes:
        if isinstance(allowance, Allowance):
            money[allowance.rule_id] += allowance.amount
            payees[allowance.rule_id].add(allowance.subject)
    funds = Table(title="待遇经费合计 Allowance totals (元)", title_justify="left")
    funds.add_column("规则 rule")
    funds.add_column("名称 title")
    funds.add_column("对象数 payees", justify="right")
    funds.add_column("金额 amount", justify="right")
    for rule_id, total in money.items():
        funds.add_row(rule_id, titles.get(rule_id, ""), str(len(payees[rule_id])), f"{total:,.2f}")
    funds.add_row("合计 total", "", "", f"{sum(money.values(), Decimal(0)):,.2f}")

    findings: dict[str, Counter[str]] = defaultdict(Counter)
    for finding in result.outcomes:
        if isinstance(finding, ComplianceFinding):
            findings[finding.period][finding.rule_id] += 1
    compliance_rules = [r.id for r in pack.rules if r.kind.value == "compliance"]
    periods = Table(title="各期合规问题 Compliance findings per period", title_justify="left")
    periods.add_column("期间 period")
    for rule_id in compliance_rules:
        periods.add_column(rule_id.split(".")[0], justify="right")
    for period in sorted(findings):
        periods.add_row(period, *(str(findings[period].get(r, 0)) for r in compliance_rules))
    if not findings:
        periods.add_row("（无 none）", *("0" for _ in compliance_rules))

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
