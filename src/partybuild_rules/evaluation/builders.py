"""Outcomes made from the engine's firings, one builder per kind of rule: an evaluation's tier, a
commendation's title, a compliance finding's count, a reprimand's measures, an allowance's (or a
charge's) money. Each outcome carries its provenance: the rule, its source, its parameters and the
facts that fired it, personal values left out.

What an outcome cites but for its facts, and an amount that depends on the pack's parameters only,
are worked out once per pack here, not once per outcome."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator

from ..domain.errors import DataError, Problem
from ..domain.model import SubjectKind
from ..domain.money import round_to, to_decimal
from ..domain.outcomes import (
    Allowance,
    Charge,
    Commendation,
    ComplianceFinding,
    Evaluation,
    Measure,
    Provenance,
    Reprimand,
    RuleKind,
    built,
)
from ..domain.periods import Period
from ..policy.dated import dated_allowance
from ..policy.expr import attributes as attributes_of
from ..policy.expr import calls
from ..policy.expr import evaluate as evaluate_formula
from ..policy.expr import parse_expr
from ..policy.pack import BandTable, Pack
from .measurer import PackTables
from .compile import Program, Query, parameters_of, resolve
from .engines.base import Fired
from .index import Fact, Index, Subject
from .measures import bound_value

__all__ = ["OutcomeBuilder", "hidden_fields"]

_HIDDEN = {"sid", "id", "q", "held_from", "held_until"}
_ROUNDING = {"fen": Decimal("0.01"), "jiao": Decimal("0.1"), "yuan": Decimal("1")}
_Build = Callable[[Query, Fired, Fact, Subject, dict[str, Any], Index], Any]


class OutcomeBuilder:
    """The outcomes of one pack's compiled ``program``: :meth:`build` makes the outcome of a
    firing. Holds nothing of an evaluation; several evaluations may use it at once."""

    def __init__(self, pack: Pack, program: Program) -> None:
        self.pack = pack
        self.queries = {q.qid: q for q in program.queries}
        """The program's queries by id (the evaluator reads them here too)."""
        personal = pack.declarations.personal()
        self._hidden = {q.qid: hidden_fields(q, personal) for q in program.queries}
        """Per query, the fact fields provenance leaves out: the engine's own, and personal values."""
        self._files = {rule_id: pack.rule_file(rule_id) for rule_id in pack.spans}
        self._parameters_used = program.parameters_used
        # A formula that depends on parameters only is computed once per pack, not per outcome.
        self._numbers = {k: to_decimal(v) for k, v in pack.values.items() if isinstance(v, (int, Decimal))}
        self._formulas = {rule.id: parse_expr(rule.amount) for rule in pack.rules if rule.amount is not None}
        self._amounts = {
            rule_id: evaluate_formula(expr, self._numbers)
            for rule_id, expr in self._formulas.items() if not attributes_of(expr) and not calls(expr)
        }
        self._dated = {rule.id: [n for n in parameters_of(pack, rule) if n in pack.dated] for rule in pack.rules}
        self._citations = {q.rule.id: self._citation(q.rule) for q in program.queries}
        """Per rule, what its outcomes cite but for the facts and parameters (the pack's alone)."""
        self._parameters_shown = {
            q.rule.id: {k: pack.shown(k) for k in self._parameters_used.get(q.rule.id, {})} for q in program.queries
        }
        """Per rule, the values of the parameters it uses, as shown (each outcome has its own copy)."""
        self._builders: dict[RuleKind, _Build] = {
            RuleKind.EVALUATION: self._evaluation,
            RuleKind.COMMENDATION: self._commendation,
            RuleKind.COMPLIANCE: self._compliance,
            RuleKind.REPRIMAND: self._reprimand,
            RuleKind.ALLOWANCE: self._allowance,
            RuleKind.CHARGE: self._allowance,
        }

    def hidden(self, query: Query) -> set[str]:
        """The fields of ``query``'s facts that are never shown (see :func:`hidden_fields`)."""
        return self._hidden[query.qid]

    def build(self, index: Index, fired: Fired) -> Any:
        """The outcome of one firing, with its provenance."""
        query = self.queries[fired.rule.qid]
        rule = query.rule
        first = next(iter(fired.facts.values()))
        subject = index.subject(query.subject, first["s"])
        hidden = self._hidden[query.qid]
        provenance = built(
            Provenance,
            **self._citations[rule.id],
            parameters=dict(self._parameters_shown[rule.id]),
            facts=tuple(
                {"pattern": alias, **{k: v for k, v in fact.items() if k not in hidden}}
                for alias, fact in fired.facts.items()
            ),
        )
        common: dict[str, Any] = dict(
            rule_id=rule.id,
            subject_kind=subject.kind,
            subject=subject.id,
            subject_name=subject.name,
            community=subject.community,
            year=index.year,
            period=_period(query, first, index.year),
            provenance=provenance,
        )
        return self._builders[rule.kind](query, fired, first, subject, common, index)

    # -- one builder per kind of rule -------------------------------------------------------

    @staticmethod
    def _evaluation(query: Query, fired: Fired, fact: Fact, subject: Subject, common: dict[str, Any],
                    index: Index) -> Evaluation:
        return built(Evaluation, score=fact["score"], tier=fired.rule.variant, rating=query.rule.rating, **common)

    @staticmethod
    def _commendation(query: Query, fired: Fired, fact: Fact, subject: Subject, common: dict[str, Any],
                      index: Index) -> Commendation:
        return built(Commendation, title="、".join(m.measure for m in query.rule.then), **common)

    def _compliance(self, query: Query, fired: Fired, fact: Fact, subject: Subject, common: dict[str, Any],
                    index: Index) -> ComplianceFinding:
        count, required = self._counted(query, fact)
        rule = query.rule
        return built(ComplianceFinding, finding=rule.finding or rule.title, count=count, required=required, **common)

    def _reprimand(self, query: Query, fired: Fired, fact: Fact, subject: Subject, common: dict[str, Any],
                   index: Index) -> Reprimand:
        on = date.fromisoformat(fact["deadline"]) if "deadline" in fact else None
        return built(
            Reprimand, measures=tuple(self._measures(index, query, subject, fact, on)), on=on,
            since=fact.get("start"), **common,
        )

    def _allowance(self, query: Query, fired: Fired, fact: Fact, subject: Subject, common: dict[str, Any],
                   index: Index) -> Allowance:
        rule = query.rule
        basis = ""
        if rule.amount is not None:
            full = self._amounts.get(rule.id)
            if full is None:
                full, basis = self._subject_amount(rule, index, subject)
        else:
            assert rule.amount_by_tier is not None
            full = to_decimal(resolve(self.pack, rule.amount_by_tier[fact["tier"]]))
        held, total = fact.get("days_held", 1), fact.get("days_in_period", 1)
        unit = _ROUNDING[rule.rounding]
        amount = round_to(full * held / total if rule.prorate == "by_days" and held < total else full, unit)
        if self._dated[rule.id]:  # a rate that changes on a date: paid day by day
            period = Period.parse(_period(query, fact, common["year"]))
            held_days = (fact.get("held_from"), fact.get("held_until")) if rule.prorate == "by_days" else (None, None)
            full, amount = dated_allowance(
                self.pack, rule, self._dated[rule.id], fact.get("tier"), period, *held_days, unit=unit,
                attrs={**subject.fields, **index.attributes(subject)}, tables=PackTables(self.pack),
            )
        money = Charge if rule.kind is RuleKind.CHARGE else Allowance
        return built(
            money, amount=amount, full_amount=round_to(full, unit), days_held=held, days_in_period=total,
            payee=subject.name, role=fact.get("role"), role_community=fact.get("role_community"),
            basis=basis, **common,
        )

    # -- their parts ------------------------------------------------------------------------

    def _citation(self, rule: Any) -> dict[str, Any]:
        """What a rule's outcomes cite, but for the facts and parameters: the same for all of them."""
        span = self.pack.spans.get(rule.id)
        origin = self.pack.origin(rule.id)
        return dict(
            rule_id=rule.id,
            rule_title=rule.title,
            pack=origin.name,
            pack_version=origin.version,
            file=self._files.get(rule.id, ""),
            line=span.line if span else 0,
            source=rule.source,
        )

    def _measures(
        self, index: Index, query: Query, subject: Subject, fact: Fact, on: date | None
    ) -> Iterator[Measure]:
        for measure in query.rule.then:
            if measure.if_ and any(fact.get(f"s_{k}") != _json_value(v) for k, v in measure.if_.items()):
                continue
            target = subject.name
            if measure.target == "leader" and subject.kind is SubjectKind.UNIT:
                target = index.units[subject.id].leader or f"{subject.name}主要领导"
            deadline = None
            if measure.deadline_days is not None:
                days = int(bound_value(self.pack, measure.deadline_days))
                deadline = (on or date(index.year, 12, 31)) + timedelta(days=days)
            yield built(Measure, measure=measure.measure, target=target, revoke=measure.revoke, deadline=deadline)

    def _counted(self, query: Query, fact: Fact) -> tuple[int, int]:
        """A compliance finding's count and the number required: the first count of the rule."""
        if "count" in fact:
            return int(fact["count"]), query.threshold or 0
        for leaf in query.leaves:
            if leaf.condition.count is not None:
                name, bound = leaf.condition.count.bound
                limit = bound[0] if name == "between" else bound
                return int(fact[leaf.field]), int(bound_value(self.pack, limit))
        if query.kind == "streak2":
            return int(fact.get("length", 0)), query.threshold or 0
        return 0, 0

    def _subject_amount(self, rule: Any, index: Index, subject: Subject) -> tuple[Decimal, str]:
        """A formula over the subject's attributes, and how it was found: for a personal
        attribute, the band it falls in and the band's value, never the value itself. Worked
        out once per subject in an evaluation (the attributes do not change from month to month)."""
        key = (rule.id, subject.kind, subject.id)
        known = index.memo.get(key)
        if known is None:
            known = index.memo[key] = self._work_out_amount(rule, index, subject)
        amount: tuple[Decimal, str] = known
        return amount

    def _work_out_amount(self, rule: Any, index: Index, subject: Subject) -> tuple[Decimal, str]:
        expr = self._formulas[rule.id]
        attrs = {**subject.fields, **index.attributes(subject)}
        tables = PackTables(self.pack)
        try:
            amount = evaluate_formula(expr, self._numbers, attrs, tables)
        except KeyError as error:
            raise DataError([Problem(
                f"rule `{rule.id}`: the amount of {subject.kind.value} `{subject.id}` needs {error}, "
                "which is not recorded", None, "missing-value",
                "record the attribute, or restrict the rule with `applies_if`/`when`",
            )]) from None
        personal = self.pack.declarations.personal()
        notes = []
        for call in calls(expr):
            table = self.pack.values.get(call.args[0].name) if call.function == "band" else None  # type: ignore[union-attr]
            if isinstance(table, BandTable):
                row = table.row_for(evaluate_formula(call.args[1], self._numbers, attrs, tables))
                if row is not None:
                    notes.append(f"{call.args[0].name}: {row.label()} → {row.value}")  # type: ignore[union-attr]
        shown = [f"{a.name}={attrs[a.name]}" for a in attributes_of(expr) if a.name not in personal]
        return amount, "；".join(dict.fromkeys(notes + shown))


def hidden_fields(query: Query, personal: set[str]) -> set[str]:
    """The fields of a query's facts never shown: the engine's keys, and the values of personal
    attributes (an income), whether measured by a condition or tested by ``applies_if``."""
    hidden = set(_HIDDEN) | {f"s_{name}" for name in personal}
    for leaf in query.leaves:
        if leaf.condition.attribute is not None and leaf.condition.attribute.name in personal:
            hidden.add(leaf.field)
    return hidden


def _json_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def _period(query: Query, fact: Fact, year: int) -> str:
    if query.kind in ("streak", "streak2"):
        return str(fact["reached"])
    if query.kind == "finding":
        return str(fact["deadline"])[:7]
    if "period" in fact:
        return str(fact["period"])
    return str(year)
