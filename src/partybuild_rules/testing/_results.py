"""What a check returns (:class:`PropertyResult`, with a :class:`Violation` when the property
does not hold) and what every searching check shares: the strategy of parameter overrides, the
dataset sizes of a budget, outcome keys and differences for messages, and :func:`_finish`, which
turns a search's counterexample into a reduced :class:`Violation`."""

from __future__ import annotations

import builtins
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Sequence

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from ..domain.model import Dataset
from ..domain.outcomes import Allowance, Result
from ..policy.pack import Pack
from ._parameters import parameter_overrides
from ._raw_datasets import dataset_dict
from ._search import Budget, Found, dataset_size, reduce_dataset, reduce_overrides


PROPERTIES: dict[str, str] = {
    "tiers": "档次表无缺口无重叠 tier tables cover [0, 100] once",
    "determinism": "结果与记录顺序无关 determinism and order-independence",
    "idempotence": "重复评估结果相同 idempotence",
    "partition": "分社区评估与全市一致 partition-independence",
    "monotonicity": "单调性 monotonicity",
    "exclusivity": "互斥结果不同时出现 exclusivity",
    "money": "金额准确非负 money",
    "tables": "分档表无缺口无重叠、单调 band tables: no gap, no overlap, monotone where declared",
    "reachability": "规则可触发 reachability",
}
"""Each property's name and its title, in Chinese with the English beside it."""

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Violation:
    """A property that does not hold, with the smallest counterexample found: ``dataset`` (as
    :func:`~partybuild_rules.testing.dataset_dict` data, or ``None`` for a static finding),
    the parameter ``overrides`` it needs, the evaluated ``year``, and ``details`` such as the
    outcomes that differ."""

    property: str
    message: str
    rule: str | None = None
    dataset: dict[str, Any] | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    year: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PropertyResult:
    """One property checked: held or violated, the examples tried and the time taken."""

    property: str
    subject: str | None
    held: bool
    examples: int
    seconds: float
    violation: Violation | None = None
    note: str = ""

    @builtins.property  # the field `property` shadows the builtin in this class body
    def name(self) -> str:
        """``monotonicity[R2.member-absence]``; just the property when it concerns the whole pack."""
        return f"{self.property}[{self.subject}]" if self.subject else self.property

    @builtins.property
    def title(self) -> str:
        return PROPERTIES[self.property]


Case = tuple[Dataset, dict[str, Any]]


def _overrides(pack: Pack) -> SearchStrategy[dict[str, Any]]:
    """No override half the time, else some parameters within their constraints."""
    return st.one_of(st.just({}), parameter_overrides(pack))


def _sizes(budget: Budget, **defaults: Any) -> dict[str, Any]:
    return {**defaults, **budget.sizes}


def _key(outcome: Any) -> str:
    """An outcome's identity for messages: rule, subject, period."""
    role = f" {outcome.role}" if isinstance(outcome, Allowance) and outcome.role else ""
    return f"{outcome.rule_id} {outcome.subject} {outcome.period}{role}"


def _canonical(result: Result) -> Counter[str]:
    return Counter(outcome.model_dump_json() for outcome in result.outcomes)


def _difference(
    expected: Sequence[Any], got: Sequence[Any], identity: Callable[[Any], str] = lambda o: o.model_dump_json()
) -> dict[str, list[str]]:
    """Outcomes in one list and not the other, as short keys (at most five of each)."""
    want = Counter(map(identity, expected))
    have = Counter(map(identity, got))
    by_json = {identity(o): o for o in [*expected, *got]}
    missing = [_key(by_json[k]) for k in sorted((want - have).elements())]
    extra = [_key(by_json[k]) for k in sorted((have - want).elements())]
    return {"missing": missing[:5], "extra": extra[:5]}


def _failure(prop: str, error: Exception, rule: str | None = None) -> Violation:
    return Violation(prop, f"evaluation failed: {type(error).__name__}: {error}", rule)


def _finish(
    prop: str, subject: str | None, started: float, found: Found[Any, Violation], budget: Budget, year: int,
    probe: Callable[[Any], Violation | None],
) -> PropertyResult:
    """The result of a search: held, or the violation with its counterexample reduced (parameter
    overrides it does not need dropped, then records) by calling ``probe`` again."""
    note = "stopped at the time limit" if found.timed_out else ""
    if found.witness is None or found.value is None:
        return PropertyResult(prop, subject, True, found.examples, time.monotonic() - started, note=note)
    data, overrides, *rest = found.value
    overrides, fewer = reduce_overrides(overrides, lambda smaller: probe((data, smaller, *rest)), budget.reduce_limit)
    data, smaller = reduce_dataset(data, lambda smaller: probe((smaller, overrides, *rest)), budget.reduce_limit)
    verdict = smaller or fewer or found.witness
    violation = Violation(
        verdict.property, verdict.message, verdict.rule, dataset_dict(data), dict(overrides), year, verdict.details,
    )
    return PropertyResult(prop, subject, False, found.examples, time.monotonic() - started, violation, note)


def _case_size(case: Sequence[Any]) -> int:
    return dataset_size(case[0]) + 20 * len(case[1])
