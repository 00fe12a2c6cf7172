"""Why a subject got its outcomes — and which rules nearly fired for it.

An explanation lists every outcome of one member, unit or community with its rule, the clause of
the source it implements, the facts matched and the parameter values used; then the *near misses*:
facts that came close to a rule's condition without meeting it ("5 of 6 absent months", "rated
一般 once"). Near misses are read off the same derived facts the engine saw; they explain, they never
decide.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from ..domain.arguments import expect
from ..domain.errors import DataError, Problem
from ..domain.outcomes import (
    OUTCOMES,
    Allocation,
    Allowance,
    Charge,
    Commendation,
    ComplianceFinding,
    Evaluation,
    Outcome,
    Reprimand,
    Result,
)
from ..evaluation.compile import Query
from ..evaluation.index import Fact
from ..policy.validation import suggestion

if TYPE_CHECKING:
    from ..domain.model import Dataset
    from ..evaluation.evaluator import Evaluator

__all__ = ["AmbiguousSubject", "Explanation", "NearMiss", "explain", "explain_subject", "headline"]

SCORE_MARGIN = Decimal("2")
"""A score this close below a higher tier's floor is reported as a near miss."""
COUNT_MARGIN = 5
"""A count this close below an `at_least` bound is reported as a near miss."""


class NearMiss(BaseModel):
    """A rule that did not fire for the subject, and how close it came."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    rule_title: str
    period: str
    message: str
    facts: tuple[dict[str, Any], ...]
    parameters: dict[str, str]


class Explanation(BaseModel):
    """Everything known about one subject's year: outcomes with provenance, and near misses."""

    model_config = ConfigDict(frozen=True)

    subject: str
    subject_name: str
    subject_kind: str
    community: str
    year: int
    pack: str
    pack_version: str
    outcomes: tuple[Outcome, ...]
    near_misses: tuple[NearMiss, ...]

    def to_text(self) -> str:
        """The readable tree :func:`explain` prints, with the near misses after the outcomes."""
        return _tree(self)


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
        basis = f"；{outcome.basis}" if outcome.basis else ""
        verb = "应缴" if isinstance(outcome, Charge) else "发放"
        return f"{verb} {outcome.amount} 元（标准 {outcome.full_amount} 元{days}{basis}）"
    if isinstance(outcome, Allocation):
        return (f"建议调剂（第 {outcome.step} 项）：{outcome.from_community_name} → {outcome.to_community_name}"
                f"（{outcome.from_before}→{outcome.from_after} 家，{outcome.to_before}→{outcome.to_after} 家）")
    return str(outcome)


def explain(result: Result, subject: str) -> str:
    """A readable tree of every outcome of ``subject`` (an id, or a name) in ``result``."""
    outcomes = [o for o in result.outcomes if o.subject == subject]
    if not outcomes:
        outcomes = [o for o in result.outcomes if o.subject_name == subject]
        named = sorted({(o.subject, o.subject_name, o.subject_kind.label, o.community) for o in outcomes})
        if len(named) > 1:
            raise AmbiguousSubject(subject, named)
    if not outcomes:
        return f"{subject}：{result.year} 年没有任何结果（no outcomes）"
    first = outcomes[0]
    explanation = Explanation(
        subject=first.subject, subject_name=first.subject_name, subject_kind=first.subject_kind.label,
        community=first.community, year=result.year, pack=result.pack, pack_version=result.pack_version,
        outcomes=OUTCOMES.validate_python(tuple(outcomes)), near_misses=(),
    )
    return _tree(explanation)


def explain_subject(evaluator: Evaluator, data: Dataset, year: int, subject: str) -> Explanation:
    """Evaluate ``year`` with ``evaluator`` (an :class:`~partybuild_rules.Evaluator`) and explain
    ``subject`` (a member, unit or community id, or its exact name). A subject the dataset does not
    have is a :class:`DataError` (with the nearest id); a name several subjects share, an
    :class:`AmbiguousSubject` (a :class:`DataError` listing them)."""
    from ..evaluation.evaluator import Evaluator

    expect(evaluator, Evaluator, "evaluator", "an Evaluator, e.g. Evaluator(pack)")
    subject_id, name, kind, community = _find_subject(data, subject)
    result, watched = evaluator.evaluate_watching(data, year, subject_id)
    outcomes = tuple(o for o in result.outcomes if o.subject == subject_id)
    fired = {(o.rule_id, o.period) for o in outcomes}
    misses = [
        miss for query, fact in watched
        for miss in _near_misses(evaluator, query, fact, fired, watched)
    ]
    unique: dict[tuple[str, str, str], NearMiss] = {}
    for miss in misses:
        unique.setdefault((miss.rule_id, miss.period, miss.message), miss)
    return Explanation(
        subject=subject_id, subject_name=name, subject_kind=kind, community=community, year=year,
        pack=result.pack, pack_version=result.pack_version, outcomes=outcomes,
        near_misses=tuple(sorted(unique.values(), key=lambda m: (m.rule_id, m.period))),
    )


class AmbiguousSubject(DataError):
    """A name shared by several members, units or communities: ``candidates`` lists each as
    ``(id, name, kind, community)``; ask for an id."""

    def __init__(self, subject: str, candidates: list[tuple[str, str, str, str]]) -> None:
        super().__init__([Problem(
            f"`{subject}` names {len(candidates)} subjects: "
            + "; ".join(f"{c[0]} ({c[2]}, {c[3]})" for c in candidates),
            None, "ambiguous-subject", "give one of these ids instead of the name",
        )])
        self.candidates = candidates


def _find_subject(data: Dataset, subject: str) -> tuple[str, str, str, str]:
    """The subject with this id, else the only one with this exact name."""
    found = [(m.id, m.name, "党员", m.residence_community) for m in data.members if subject in (m.id, m.name)]
    found += [(u.id, u.name, "驻区单位", u.community) for u in data.units if subject in (u.id, u.name)]
    found += [(c.id, c.name, "社区", c.id) for c in data.communities if subject in (c.id, c.name)]
    by_id = [f for f in found if f[0] == subject]
    if by_id:
        return by_id[0]
    if len(found) > 1:
        raise AmbiguousSubject(subject, found)
    if not found:
        known = [m.id for m in data.members] + [u.id for u in data.units] + [c.id for c in data.communities]
        raise DataError([Problem(f"no member, unit or community `{subject}` in the dataset", None,
                                 "unknown-subject", suggestion(subject, sorted(known)))])
    return found[0]


def _shown(fact: Fact) -> dict[str, Any]:
    return {k: v for k, v in fact.items() if k not in ("q", "sid", "id")}


def _near_misses(
    evaluator: Any, query: Query, fact: Fact, fired: set[tuple[str, str]],
    watched: list[tuple[Query, Fact]],
) -> list[NearMiss]:
    rule = query.rule
    if any(fact.get(f"s_{k}") != (int(v) if isinstance(v, bool) else v)
           for k, v in rule.applies_if.items() if not isinstance(v, tuple)):
        return []
    hidden = evaluator.hidden(query)
    fact = {k: v for k, v in fact.items() if k not in hidden}  # personal values never shown
    parameters = dict(evaluator.program.parameters_used.get(rule.id, {}))

    def miss(period: str, message: str, facts: tuple[dict[str, Any], ...] | None = None) -> NearMiss:
        return NearMiss(rule_id=rule.id, rule_title=rule.title, period=period, message=message,
                        facts=facts or (_shown(fact),), parameters=parameters)

    blocked = " 但本年度受到问责，不予表彰" if fact.get("reprimanded") else ""
    if query.kind == "streak" and query.threshold is not None:
        if max(1, query.threshold - 2) <= fact["length"] < query.threshold:
            return [miss(str(fact["end"]), f"连续 {fact['length']} 个月未参加（{fact['start']}～{fact['end']}），"
                                           f"未达到 {query.threshold} 个月")]
        if fact["reached"] and not fact["in_year"]:
            return [miss(str(fact["reached"]), f"连续未参加于 {fact['reached']} 达到 {query.threshold} 个月，"
                                               "不属于本年度")]
        return []
    if query.kind == "streak2" and query.threshold is not None and query.streak is not None:
        unit = query.streak.period.label
        if max(1, query.threshold - 2) <= fact["length"] < query.threshold:
            return [miss(str(fact["end"]), f"连续 {fact['length']} 个{unit}（{fact['start']}～{fact['end']}），"
                                           f"未达到 {query.threshold} 个{unit}")]
        return []
    if query.kind == "count" and rule.when and rule.when.count and rule.when.count.at_least is not None:
        need = query.threshold or 0
        if fact["count"] >= need and blocked:
            return [miss(str(fact["period"]), f"{fact['count']} 次，达到 {need} 次{blocked}")]
        if need - COUNT_MARGIN <= fact["count"] < need:
            return [miss(str(fact["period"]), f"{fact['count']} 次，需 {need} 次")]
        return []
    if query.kind == "rating":
        return _rating_miss(query, fact, fired, watched, miss, blocked)
    if query.kind == "score":
        return _score_miss(query, fact, evaluator, miss)
    if query.kind == "finding" and not fact["overdue"] and not fact["rectified"]:
        return [miss(str(fact["deadline"])[:7], f"问题 {fact['finding']} 期限 {fact['deadline']} 在记录期间之后，尚无法判断是否逾期")]
    return []


def _rating_miss(query: Query, fact: Fact, fired: set[tuple[str, str]],
                 watched: list[tuple[Query, Fact]], miss: Any, blocked: str) -> list[NearMiss]:
    rule = query.rule
    if (rule.id, str(fact["year"])) in fired or (rule.id, str(fact.get("period", ""))) in fired:
        return []
    condition = rule.when
    assert condition is not None
    parts = [p.rating for p in (condition.all or (condition,)) if p.rating is not None]
    facts = [f for q, f in watched if q.qid == query.qid]
    if fact is not facts[0]:
        return []  # one verdict per subject, made from all its rating facts
    by_offset = {f["rel"]: f for f in facts}
    met: list[str] = []
    unmet: list[str] = []
    for part in parts:
        got = by_offset.get(part.offset)
        ok = got is not None and (part.tier is None or got["tier"] == part.tier)
        label = f"{got['year']} 年 {got['tier']}" if got else f"{query.rule.id} 所需年度无档次"
        (met if ok else unmet).append(label + ("" if ok or part.tier is None else f"（需 {part.tier}）"))
    shown = tuple(_shown(f) for f in facts)
    if met and not unmet and blocked:
        return [miss(str(facts[0]["year"]), "；".join(met) + blocked, shown)]
    if met and unmet:
        return [miss(str(facts[-1]["year"]), "符合：" + "；".join(met) + "。不符合：" + "；".join(unmet), shown)]
    return []


def _score_miss(query: Query, fact: Fact, evaluator: Any, miss: Any) -> list[NearMiss]:
    if not fact["complete"]:
        return [miss("", f"评分项不全，未评定：{fact['items']}")]
    score = Decimal(fact["score"])
    floors = [(t.tier, Decimal(str(_value(evaluator, t.min)))) for t in query.rule.tiers or ()]
    higher = [(tier, floor) for tier, floor in floors if floor > score and floor - score <= SCORE_MARGIN]
    if higher:
        tier, floor = min(higher, key=lambda item: item[1])
        return [miss("", f"{score} 分，距“{tier}”（{floor} 分）差 {floor - score} 分")]
    return []


def _value(evaluator: Any, value: Any) -> Any:
    from ..evaluation.compile import resolve

    return resolve(evaluator.pack, value)


def _tree(explanation: Explanation) -> str:
    e = explanation
    where = "" if e.community == e.subject else f"，社区 {e.community}"  # a community is its own
    lines = [
        f"{e.subject_name}（{e.subject_kind} {e.subject}{where}）"
        f" — {e.year} 年，政策包 {e.pack} {e.pack_version}"
    ]
    if not e.outcomes:
        lines.append("├─ 本年度没有结果（no outcomes）" if e.near_misses else "└─ 本年度没有结果（no outcomes）")
    for n, outcome in enumerate(e.outcomes):
        last = n == len(e.outcomes) - 1 and not e.near_misses
        branch, stem = ("└─ ", "   ") if last else ("├─ ", "│  ")
        p = outcome.provenance
        lines.append(f"{branch}[{outcome.period}] {headline(outcome)}")
        lines.append(f"{stem}├─ 规则 rule: {p.rule_id} {p.rule_title}（{p.file}:{p.line}）")
        lines.append(f"{stem}├─ 依据 source: {p.source}")
        for fact in p.facts:
            shown = ", ".join(f"{k}={v}" for k, v in fact.items() if k not in ("pattern", "s"))
            lines.append(f"{stem}├─ 事实 fact: {shown}")
        if isinstance(outcome, Allocation):
            lines.append(f"{stem}├─ 理由 reason: {outcome.reason}")
        params = ", ".join(f"{k}={v}" for k, v in p.parameters.items()) or "（无）"
        lines.append(f"{stem}└─ 参数 parameters: {params}")
    if e.near_misses:
        lines.append("└─ 差一点触发的规则 near misses")
        for n, near in enumerate(e.near_misses):
            last = n == len(e.near_misses) - 1
            branch, stem = ("   └─ ", "      ") if last else ("   ├─ ", "   │  ")
            period = f"[{near.period}] " if near.period else ""
            lines.append(f"{branch}{period}{near.rule_id} {near.rule_title}：{near.message}")
            params = ", ".join(f"{k}={v}" for k, v in near.parameters.items()) or "（无）"
            lines.append(f"{stem}└─ 参数 parameters: {params}")
    return "\n".join(lines)
