"""The impact diff as a readable Chinese report, and as JSON."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.table import Table

from ..analysis.diff import ImpactDiff, MoneyDelta, OutcomeChange, content_of
from ..analysis.explain import headline
from ..domain.outcomes import Allowance
from .text import render_text

__all__ = ["diff_to_json", "render_diff"]



def diff_to_json(diff: ImpactDiff) -> str:
    """The whole diff as JSON: money as exact strings, outcomes with their provenance."""
    return diff.to_json()


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _signed(amount: Decimal) -> str:
    return f"{amount:+,.2f}" if amount else "0.00"


def _who(outcome: Any) -> str:
    return f"{outcome.subject_name}（{outcome.subject}）"


def _change_line(change: OutcomeChange) -> str:
    old, new = change.base, change.new
    period = old.period if old.period == new.period else f"{old.period} → {new.period}"
    head = f"{new.rule_id} {_who(new)} {period}"
    if isinstance(old, Allowance) and isinstance(new, Allowance) and "amount" in change.fields:
        return f"{head}: {old.amount} → {new.amount} ({new.amount - old.amount:+.2f})"
    before, after = content_of(old), content_of(new)
    parts = [f"{name} {_plain(before.get(name))} → {_plain(after[name])}"
             for name in change.fields if name != "period"]
    return f"{head}: " + ("；".join(parts) if parts else headline(new))


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, dict):
        return "/".join(str(v) for v in value.values() if v is not None)
    return str(value)


def _outcome_line(sign: str, outcome: Any) -> str:
    return f"{sign} {outcome.rule_id} {_who(outcome)} {outcome.period}: {headline(outcome)}"


def _rows(title: str, lines: list[str], max_rows: int) -> str:
    shown = lines[:max_rows] or ["（无 none）"]
    if len(lines) > max_rows:
        shown.append(f"… 另 {len(lines) - max_rows} 项 more，见 JSON")
    return "\n".join([title, *(f"  {line}" for line in shown)])


_COUNT_COLUMNS = ("原数\nbase", "新数\nnew", "新增\nadded", "取消\nremoved", "变化\nchanged")
_MONEY_COLUMNS = ("原金额\nbase amount", "新金额\nnew amount", "差额\ndelta")


def _money_cells(money: MoneyDelta | None) -> list[str]:
    if money is None:
        return ["—"] * 3
    return [_yuan(money.base), _yuan(money.new), _signed(money.delta)]


def _table(title: str, first: str, columns: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(first, no_wrap=True)
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    return table


def _parameter_table(diff: ImpactDiff) -> Table:
    table = Table(title="参数变化 Parameter changes", title_justify="left")
    for column in ("参数 parameter", "名称 title", "原值 old", "新值 new"):
        table.add_column(column)
    for p in diff.parameters:
        table.add_row(p.name, p.title, "—" if p.old is None else p.old, "—" if p.new is None else p.new)
    if not diff.parameters:
        table.add_row("（无 none）", "", "", "")
    return table


def _rule_table(diff: ImpactDiff) -> Table:
    table = _table("各规则影响 Impact per rule (元)", "规则 rule", _COUNT_COLUMNS + _MONEY_COLUMNS)
    for r in diff.rules:
        counts = (r.base_count, r.new_count, r.added, r.removed, r.changed)
        table.add_row(r.rule_id, *map(str, counts), *_money_cells(r.money))
    counts = (
        sum(r.base_count for r in diff.rules), sum(r.new_count for r in diff.rules),
        len(diff.added), len(diff.removed), len(diff.changed),
    )
    table.add_row("合计 total", *map(str, counts), *_money_cells(diff.total))
    return table


def _community_table(diff: ImpactDiff) -> Table:
    table = _table("各社区影响 Impact per community (元)", "社区 community", _COUNT_COLUMNS[2:] + _MONEY_COLUMNS)
    for c in diff.communities:
        label = f"{c.name}（{c.community}）" if c.name else c.community
        table.add_row(label, str(c.added), str(c.removed), str(c.changed), *_money_cells(c.money))
    return table


def render_diff(diff: ImpactDiff, *, max_rows: int = 30) -> str:
    """A readable Chinese report of a diff: parameter changes, outcomes and money per rule and
    per community, the yearly cost difference, and the first ``max_rows`` changed, added and
    removed outcomes."""
    head = (
        f"政策影响对比 Impact diff — 数据集 {diff.dataset or '（未命名）'}，{diff.year} 年\n"
        f"基准 base: {diff.base_pack} {diff.base_version}    新 new: {diff.new_pack} {diff.new_version}\n"
        f"新增 added {len(diff.added)} 项 · 取消 removed {len(diff.removed)} 项 · "
        f"变化 changed {len(diff.changed)} 项\n"
        f"年度经费差额 Yearly cost difference: {_signed(diff.total.delta)} 元"
        f"（{_yuan(diff.total.base)} → {_yuan(diff.total.new)}）"
    )
    if diff.empty:
        return render_text(head, "两次评估结果相同 No differences: same parameters, same outcomes.", width=120)
    details = (
        (f"变化明细 Changed outcomes（{len(diff.changed)}）", [_change_line(c) for c in diff.changed]),
        (f"新增结果 Added outcomes（{len(diff.added)}）", [_outcome_line("+", o) for o in diff.added]),
        (f"取消结果 Removed outcomes（{len(diff.removed)}）", [_outcome_line("-", o) for o in diff.removed]),
    )
    return render_text(
        head, _parameter_table(diff), _rule_table(diff), _community_table(diff),
        *(_rows(title, lines, max_rows) for title, lines in details), width=120,
    )
