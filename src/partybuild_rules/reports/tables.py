"""Outcomes as tables: one table per outcome kind with headers in Chinese or English, the
money rules' amounts spelt out, and the per-rule counts and totals every report shows.

The Excel and HTML reports (and the terminal summary's money lines) are made from these, so the
figures agree across formats.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Literal

from ..analysis.explain import headline
from ..domain.outcomes import Allowance, Commendation, ComplianceFinding, Evaluation, Reprimand, Result, RuleKind
from ..domain.money import to_decimal
from ..policy.expr import evaluate as evaluate_formula
from ..policy.expr import parse_expr
from ..policy.pack import Pack

__all__ = ["Table", "Value", "kind_tables", "rule_counts", "allowance_totals", "amount_text", "word"]

Lang = Literal["zh", "en"]
Value = str | int | Decimal | None


@dataclass(frozen=True)
class Table:
    """One outcome kind as rows; ``money`` names the columns holding yuan."""

    kind: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    money: frozenset[int]
    """Indexes of the columns holding yuan (as Decimal)."""


_WORDS: dict[str, tuple[str, str]] = {
    "rule": ("规则", "rule"), "rule_title": ("规则名称", "rule title"),
    "subject_kind": ("对象类别", "subject kind"), "subject": ("对象编号", "subject"),
    "subject_name": ("对象名称", "name"), "community": ("社区", "community"), "year": ("年度", "year"),
    "period": ("期间", "period"), "summary": ("结果", "outcome"),
    "score": ("得分", "score"), "tier": ("档次", "tier"), "rating": ("年度档次", "annual rating"),
    "title": ("表彰", "commendation"), "measures": ("措施", "measures"), "since": ("起始月份", "since"),
    "deadline": ("整改期限", "deadline"), "finding": ("问题", "finding"), "count": ("实际次数", "count"),
    "required": ("要求次数", "required"), "payee": ("领取人", "payee"), "role": ("职务", "role"),
    "role_community": ("任职社区", "role community"), "amount": ("金额（元）", "amount (yuan)"),
    "full_amount": ("标准（元）", "full amount (yuan)"), "days_held": ("在岗天数", "days held"),
    "days_in_period": ("当期天数", "days in period"), "source": ("依据条款", "source clause"),
    "rule_file": ("规则文件", "rule file"), "parameters": ("参数", "parameters"),
    "total": ("合计", "total"), "payees": ("对象数", "payees"), "outcomes": ("结果数", "outcomes"),
    "kind": ("类别", "kind"), "yes": ("是", "yes"), "no": ("否", "no"),
    "summary_sheet": ("汇总", "Summary"), "pack": ("政策包", "pack"), "version": ("版本", "version"),
    "dataset": ("数据集", "dataset"), "formula": ("计算", "formula"),
    "evaluation": ("考核评价", "Evaluations"), "commendation": ("表彰", "Commendations"),
    "reprimand": ("问责", "Reprimands"), "compliance": ("合规问题", "Compliance findings"),
    "allowance": ("待遇经费", "Allowances"), "charge": ("应缴费用", "Charges"), "basis": ("依据", "basis"),
    "allocation": ("均衡调剂建议", "Balancing proposals"), "step": ("序号", "step"),
    "from_community": ("调出社区", "from community"), "to_community": ("调入社区", "to community"),
    "from_before": ("调出社区原有单位数", "units there before"), "to_before": ("调入社区原有单位数", "units here before"),
    "reason": ("理由", "reason"),
    "member": ("党员", "member"), "unit": ("驻区单位", "unit"),
}


def word(key: str, lang: Lang = "zh") -> str:
    """A report word in ``lang``."""
    zh, en = _WORDS[key]
    return zh if lang == "zh" else en


_KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "evaluation": ("score", "tier", "rating"),
    "commendation": ("title",),
    "reprimand": ("measures", "deadline", "since"),
    "compliance": ("finding", "count", "required"),
    "allowance": ("payee", "role", "role_community", "amount", "full_amount", "days_held", "days_in_period"),
    "charge": ("payee", "amount", "full_amount", "basis", "days_held", "days_in_period"),
    "allocation": ("step", "from_community", "to_community", "from_before", "to_before", "reason"),
}
_MONEY = {"amount", "full_amount"}
_COMMON = ("rule", "rule_title", "subject_kind", "subject", "subject_name", "community", "year", "period", "summary")
_PROVENANCE = ("source", "rule_file", "parameters")


def kind_tables(result: Result, lang: Lang = "zh") -> list[Table]:
    """One table per outcome kind, in the kinds' order, every outcome a row."""
    tables = []
    for kind in RuleKind:
        outcomes = [o for o in result.outcomes if o.kind == kind.value]
        columns = _COMMON + _KIND_COLUMNS.get(kind.value, ()) + _PROVENANCE
        rows = tuple(tuple(_cell(o, c, lang) for c in columns) for o in outcomes)
        tables.append(Table(kind.value, word(kind.value, lang), tuple(word(c, lang) for c in columns), rows,
                            frozenset(i for i, c in enumerate(columns) if c in _MONEY)))
    return tables


def _cell(o: Any, column: str, lang: Lang) -> Value:
    p = o.provenance
    simple: dict[str, Callable[[], Value]] = {
        "rule": lambda: o.rule_id, "rule_title": lambda: p.rule_title,
        "subject_kind": lambda: o.subject_kind.label if lang == "zh" else o.subject_kind.value,
        "subject": lambda: o.subject, "subject_name": lambda: o.subject_name, "community": lambda: o.community,
        "year": lambda: o.year, "period": lambda: o.period, "summary": lambda: headline(o),
        "source": lambda: p.source, "rule_file": lambda: f"{p.file}:{p.line}",
        "parameters": lambda: ", ".join(f"{k}={v}" for k, v in p.parameters.items()),
    }
    if column in simple:
        return simple[column]()
    if isinstance(o, Evaluation):
        values: dict[str, Value] = {"score": Decimal(o.score), "tier": o.tier,
                                    "rating": word("yes" if o.rating else "no", lang)}
        return values[column]
    if isinstance(o, Commendation):
        return o.title
    if isinstance(o, Reprimand):
        if column == "measures":
            return "；".join(f"{m.measure}（{m.target}）" for m in o.measures)
        if column == "deadline":
            deadlines = [str(m.deadline) for m in o.measures if m.deadline]
            return deadlines[0] if deadlines else None
        return o.since
    if isinstance(o, ComplianceFinding):
        value: Value = getattr(o, column)
        return value
    if isinstance(o, Allowance):  # and Charge, its subclass
        allowance_value: Value = getattr(o, column)
        return allowance_value
    return None  # pragma: no cover


def rule_counts(result: Result, pack: Pack | None = None) -> list[tuple[str, str, int]]:
    """(rule id, title, outcomes) for every rule of the pack (or every rule that fired)."""
    counts = Counter(o.rule_id for o in result.outcomes)
    titles = {o.rule_id: o.provenance.rule_title for o in result.outcomes}
    if pack is not None:
        return [(r.id, r.title, counts.get(r.id, 0)) for r in pack.rules]
    return [(rule_id, titles[rule_id], n) for rule_id, n in counts.items()]


def allowance_totals(result: Result) -> list[tuple[str, str, int, Decimal]]:
    """(rule id, title, payees, yuan) per allowance rule, in the result's order (charges, money
    owed, are not allowances)."""
    money: dict[str, Decimal] = defaultdict(Decimal)
    payees: dict[str, set[str]] = defaultdict(set)
    titles: dict[str, str] = {}
    for o in result.outcomes:
        if isinstance(o, Allowance) and o.kind == "allowance":  # not charges (money owed)
            money[o.rule_id] += o.amount
            payees[o.rule_id].add(o.subject)
            titles[o.rule_id] = o.provenance.rule_title
    return [(r, titles[r], len(payees[r]), total) for r, total in money.items()]


_PER = {"month": ("元/月", "yuan/month"), "year": ("元/年", "yuan/year"), "quarter": ("元/季度", "yuan/quarter"),
        "half_year": ("元/半年", "yuan/half-year")}
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def amount_text(pack: Pack, rule_id: str, lang: Lang = "zh") -> str:
    """The parameter values behind a money rule's amount, e.g. ``2.5 × 1,270.00 = 3,175.00 元/月``
    or, for amounts by tier, ``好 6,000.00 · 较好 …``; empty for a rule without an amount."""
    rule = pack.rule(rule_id)
    per = getattr(rule.per, "value", rule.per)
    unit = _PER.get(str(per), ("元", "yuan"))[0 if lang == "zh" else 1]
    if rule.amount is not None:
        numbers = {k: to_decimal(v) for k, v in pack.values.items() if not isinstance(v, str)}
        total = evaluate_formula(parse_expr(rule.amount), numbers)
        shown = _PARAM.sub(lambda m: _shown(pack, m[1]), rule.amount).replace("*", "×").replace("/", "÷")
        if _PARAM.fullmatch(rule.amount.strip()):
            return f"{_money(total)} {unit}"
        return f"{shown} = {_money(total)} {unit}"
    if rule.amount_by_tier:
        parts = [f"{tier} {_shown(pack, str(v).lstrip('$'))}" if str(v).startswith("$") else f"{tier} {v}"
                 for tier, v in rule.amount_by_tier.items()]
        return " · ".join(parts) + f" {unit}"
    return ""


def _shown(pack: Pack, name: str) -> str:
    value = pack.values.get(name)
    spec = pack.parameters.get(name)
    if spec is not None and spec.type == "money" and value is not None:
        return _money(to_decimal(value))
    return str(value)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"
