"""The check runner: every invariant of a pack within a budget, and a report a policy officer reads.

``run_checks(pack)`` runs the static checks (tier tables) and then the searches, each with at most
``max_examples`` examples and, with ``seconds``, a fair share of the time left; a given ``seed``
gives the same report on any machine unless the time limit cuts a search short (the report says
so). ``render_report`` renders it as text with Chinese titles and English beside them, each
counterexample as a short YAML dataset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterable

import yaml

from ..evaluation.engines.base import resolve_engine
from ..policy.pack import Pack
from ._search import Budget, EvaluateFn, OnEngine, Progress
from .invariants import (
    PROPERTIES,
    PropertyResult,
    check_exclusive,
    check_idempotence,
    check_money,
    check_monotone,
    check_order_independence,
    check_partition,
    check_reachable,
    check_tables,
    check_tier_table,
)

__all__ = ["CheckReport", "DEFAULT_EXAMPLES", "run_checks", "render_report"]

DEFAULT_EXAMPLES = 50
"""Examples per searched property by default: the Tongjiang pack checks in about 20 s on two cores."""


@dataclass(frozen=True)
class CheckReport:
    """Every property checked for one pack, in the order they ran."""

    pack: str
    title: str
    version: str
    seed: int
    max_examples: int
    seconds: float
    results: tuple[PropertyResult, ...]

    @property
    def ok(self) -> bool:
        """True when every property held."""
        return all(result.held for result in self.results)

    @property
    def violations(self) -> tuple[PropertyResult, ...]:
        return tuple(result for result in self.results if not result.held)


@dataclass(frozen=True)
class _Step:
    property: str
    name: str
    run: Callable[[Budget], PropertyResult]


def _plan(pack: Pack, evaluate: EvaluateFn | None, progress: Progress | None, year: int) -> list[_Step]:
    """Every check the pack calls for, static checks first."""
    hooks: dict[str, Any] = {"evaluate": evaluate, "progress": progress}

    def tiers(rule_id: str) -> Callable[[Budget], PropertyResult]:
        return lambda budget: check_tier_table(pack, rule_id, year, evaluate=evaluate)

    steps = [_Step("tiers", f"tiers[{rule.id}]", tiers(rule.id)) for rule in pack.rules if rule.tiers]
    steps += [
        _Step("tables", "tables", lambda budget: check_tables(pack)),
        _Step("money", "money", partial(check_money, pack, **hooks)),
        _Step("determinism", "determinism", partial(check_order_independence, pack, **hooks)),
        _Step("idempotence", "idempotence", partial(check_idempotence, pack, **hooks)),
        _Step("partition", "partition", partial(check_partition, pack, **hooks)),
    ]
    steps += [
        _Step("exclusivity", f"exclusivity[{a} × {b}]", partial(check_exclusive, pack, (a, b), **hooks))
        for a, b in pack.exclusive
    ]
    steps += [
        _Step("monotonicity", f"monotonicity[{rule.id}]", partial(check_monotone, pack, rule.id, **hooks))
        for rule in pack.rules if rule.monotone
    ]
    steps += [
        _Step("reachability", f"reachability[{rule.id}]", partial(check_reachable, pack, rule.id, **hooks))
        for rule in pack.rules
    ]
    return steps


def run_checks(
    pack: Pack,
    *,
    max_examples: int = DEFAULT_EXAMPLES,
    seconds: float | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    year: int | None = None,
    only: Iterable[str] | None = None,
    evaluate: EvaluateFn | None = None,
    engine: str | None = None,
) -> CheckReport:
    """Check every invariant of ``pack``: tier tables, money, determinism, idempotence,
    partition-independence, each ``exclusive`` pair, each ``monotone`` rule, and that every rule
    can fire. Each search tries at most ``max_examples`` examples; with ``seconds``, the whole
    run stops starting new examples after about that long. ``progress(name, done, total)`` is
    called as examples are tried (``total`` is ``max_examples``; static checks report 1 of 1).
    ``only`` restricts the run to some properties (names of :data:`PROPERTIES`, or result names
    such as ``monotonicity[R2.member-absence]``); ``year`` is the evaluated year (default: the
    year the pack takes effect). ``engine`` chooses the rules engine (as in
    :class:`~partybuild_rules.Evaluator`) when no ``evaluate`` function is given."""
    started = time.monotonic()
    if evaluate is None and engine is not None:
        evaluate = OnEngine(resolve_engine(engine))
    evaluated_year = Budget(year=year).year_of(pack)
    plan = _plan(pack, evaluate, progress, evaluated_year)
    if only is not None:
        chosen = set(only)
        unknown = chosen - set(PROPERTIES) - {step.name for step in plan}
        if unknown:
            raise ValueError(f"unknown properties: {', '.join(sorted(unknown))}; known: {', '.join(PROPERTIES)} "
                             "or a name such as `monotonicity[R2.member-absence]`")
        plan = [step for step in plan if step.property in chosen or step.name in chosen]
    results = []
    for index, step in enumerate(plan):
        share = None
        if seconds is not None:
            searches_left = sum(1 for later in plan[index:] if later.property != "tiers")
            share = max(0.0, seconds - (time.monotonic() - started)) / max(1, searches_left)
        results.append(step.run(Budget(max_examples=max_examples, seconds=share, seed=seed, year=evaluated_year)))
        if progress is not None:  # the property is done, whether or not it used its whole budget
            total = 1 if step.property == "tiers" else max_examples
            progress(step.name, total, total)
    return CheckReport(
        pack=pack.name, title=pack.title, version=pack.version, seed=seed, max_examples=max_examples,
        seconds=time.monotonic() - started, results=tuple(results),
    )


# ---------------------------------------------------------------------------------------------
# rendering

_HELD = "✓ 成立 held    "
_VIOLATED = "✗ 违反 violated"


def render_report(report: CheckReport) -> str:
    """The report as text: a line per property, then each violation with its counterexample as
    YAML (a dataset a policy officer can save and run ``partybuild-rules evaluate --data`` on)."""
    lines = [
        f"一致性检查 consistency check: {report.title} ({report.pack} {report.version})",
        f"种子 seed {report.seed} · 每项最多 {report.max_examples} 例 up to {report.max_examples} examples "
        f"per property · 用时 {report.seconds:.1f} s",
        "",
    ]
    width = max((len(r.name) for r in report.results), default=0)
    for result in report.results:
        mark = _HELD if result.held else _VIOLATED
        plural = "" if result.examples == 1 else "s"
        tried = "static" if result.property == "tiers" else f"{result.examples} example{plural}"
        note = f"  ({result.note})" if result.note else ""
        lines.append(f"{mark}  {result.name:<{width}}  {PROPERTIES[result.property]}  · {tried}, "
                     f"{result.seconds:.1f} s{note}")
    held = sum(1 for r in report.results if r.held)
    lines += ["", f"{held} 项成立 held, {len(report.results) - held} 项违反 violated"]
    for result in report.violations:
        lines += ["", f"── {_VIOLATED} {result.name}: {PROPERTIES[result.property]}", _counterexample(result)]
    return "\n".join(lines).rstrip() + "\n"


def _counterexample(result: PropertyResult) -> str:
    violation = result.violation
    assert violation is not None
    document: dict[str, Any] = {"问题 problem": violation.message}
    if violation.rule:
        document["规则 rule"] = violation.rule
    if violation.year is not None and violation.dataset is not None:
        document["年度 year"] = violation.year
    document["参数 parameters"] = dict(violation.overrides) or "默认值 defaults"
    for key, value in violation.details.items():
        document[_DETAIL_TITLES.get(key, key)] = value
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    if violation.dataset is not None:
        # records one per line (flow style) keep a dataset short enough to read at a glance
        text += yaml.safe_dump({"反例数据 counterexample dataset": violation.dataset}, allow_unicode=True,
                               sort_keys=False, width=100, default_flow_style=None)
    return text


_DETAIL_TITLES = {
    "missing": "缺少的结果 missing outcomes",
    "reordered": "顺序改变的结果 outcomes in another order",
    "extra": "多出的结果 extra outcomes",
    "community": "社区 community",
    "added": "新增事件 added event",
    "outcomes after": "新增后的结果 outcomes after",
    "outcomes": "同时出现的结果 outcomes together",
    "problems": "问题 problems",
    "outcomes at fault": "有问题的结果数 outcomes at fault",
    "tiers the witness gets": "反例得到的档次 tiers the counterexample gets",
    "evaluation": "评估 evaluation",
}
