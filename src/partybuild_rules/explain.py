"""Why a subject got its outcomes: each outcome with its rule, clause, facts and parameters."""

from __future__ import annotations

from typing import Any

from .outcomes import Allowance, Commendation, ComplianceFinding, Evaluation, Reprimand, Result

__all__ = ["explain", "headline"]


def headline(outcome: Any) -> str:
    """One line in Chinese saying what the outcome is."""
    if isinstance(outcome, Evaluation):
        return f"评定 {outcome.tier}（{outcome.score} 分）"
    if isinstance(outcome, Commendation):
        return f"表彰：{outcome.title}"
    if isinstance(outcome, Reprimand):
        parts = []
        for measure in outcome.measures:
            text = f"{measure.measure}（{measure.target}）"
            if measure.deadline:
                text += f"，整改期限 {measure.deadline}"
            parts.append(text)
        return "问责：" + "；".join(parts)
    if isinstance(outcome, ComplianceFinding):
        return f"合规问题：{outcome.finding}（{outcome.count}/{outcome.required}）"
    if isinstance(outcome, Allowance):
        days = "" if outcome.days_held == outcome.days_in_period else (
            f"，按 {outcome.days_held}/{outcome.days_in_period} 天折算"
        )
        return f"发放 {outcome.amount} 元（标准 {outcome.full_amount} 元{days}）"
    return str(outcome)


def explain(result: Result, subject: str) -> str:
    """A readable tree of every outcome of ``subject`` (an id, or a name) in ``result``."""
    outcomes = [o for o in result.outcomes if subject in (o.subject, o.subject_name)]
    if not outcomes:
        return f"{subject}：{result.year} 年没有任何结果（no outcomes）"
    first = outcomes[0]
    lines = [
        f"{first.subject_name}（{first.subject_kind.label} {first.subject}，社区 {first.community}）"
        f" — {result.year} 年，政策包 {result.pack} {result.pack_version}"
    ]
    for n, outcome in enumerate(outcomes):
        last = n == len(outcomes) - 1
        branch, stem = ("└─ ", "   ") if last else ("├─ ", "│  ")
        p = outcome.provenance
        lines.append(f"{branch}[{outcome.period}] {headline(outcome)}")
        lines.append(f"{stem}├─ 规则 rule: {p.rule_id} {p.rule_title}（{p.file}:{p.line}）")
        lines.append(f"{stem}├─ 依据 source: {p.source}")
        for fact in p.facts:
            shown = ", ".join(f"{k}={v}" for k, v in fact.items() if k not in ("pattern", "s"))
            lines.append(f"{stem}├─ 事实 fact: {shown}")
        params = ", ".join(f"{k}={v}" for k, v in p.parameters.items()) or "（无）"
        lines.append(f"{stem}└─ 参数 parameters: {params}")
    return "\n".join(lines)
