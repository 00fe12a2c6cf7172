"""Policy tests written in YAML and shipped with a pack, like ``opa test`` or ``kyverno test``.

A pack lists its test files in ``pack.yaml`` (``tests: [tests/reprimand.yaml, ...]``). Each file
holds ``cases``: a small dataset, the year to evaluate, optional parameter overrides, and the
outcomes that must (``expect``) or must not (``expect_none``) be produced::

    cases:
      - name: R2 连续6个月未参加活动
        year: 2024
        parameters: {absence_months: 6}
        data: {covers: {start: "2023-07-01", end: "2024-12-31"}, communities: [...], ...}
        expect:
          - {rule: R2.member-absence, subject: M1, period: "2024-08", measure: 通报批评}
          - {rule: A1.committee-wage, subject: M2, period: "2024-03", amount: "1638.71", count: 1}
        expect_none:
          - {rule: R2.member-absence, subject: M1, period: "2024-09"}

An expectation matches an outcome when every field it gives matches; ``count: N`` in ``expect``
means exactly N outcomes match. Case files are checked like rule files: every mistake is reported
at once with ``file:line:column`` (unknown fields, unknown rule ids, subjects missing from the
case's data, measures the rule does not take, unknown parameters) before anything is evaluated
(:mod:`.case_files`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from ..domain.errors import EngineError
from ..domain.messages import Lang
from ..domain.outcomes import (
    Allocation,
    Allowance,
    Commendation,
    Evaluation,
    Reprimand,
    Result,
)
from ..evaluation.evaluator import Evaluator
from ..policy.cases import Case, CaseFile, Expect, ExpectNone
from ..policy.compose import as_tested
from ..policy.pack import Pack
from .case_files import LoadedCase, load_cases
from .explain import headline

__all__ = [
    "Case",
    "CaseFile",
    "CaseResult",
    "Expect",
    "ExpectNone",
    "Failure",
    "LoadedCase",
    "TestReport",
    "load_cases",
    "render_test_report",
    "run_pack_tests",
]

# ---------------------------------------------------------------------------------------------
# results


_HEADS: dict[str, tuple[str, str]] = {
    # kind: (English, Chinese)
    "missing": ("expected an outcome matching {expectation}, found none",
                "应有结果 {expectation}，但没有匹配的结果"),
    "count": ("expected exactly {wanted} outcomes matching {expectation}, found {matched}",
              "应恰有 {wanted} 个结果匹配 {expectation}，实有 {matched} 个"),
    "unexpected": ("expected no outcome matching {expectation}, found {matched}",
                   "不应有结果匹配 {expectation}，但有 {matched} 个"),
    "error": ("evaluation failed: {detail}", "评估失败：{detail}"),
}


@dataclass(frozen=True)
class Failure:
    """One expectation a case did not meet (or the evaluation's error), with the outcomes found:
    for ``missing`` and ``count`` those of the expectation's subject and rule, for ``unexpected``
    the ones that matched."""

    kind: Literal["missing", "count", "unexpected", "error"]
    line: int
    expectation: str = ""
    wanted: int | None = None
    matched: int = 0
    found: tuple[str, ...] = ()
    scope: str = ""
    detail: str = ""

    def message(self, lang: Lang = "en") -> str:
        english, chinese = _HEADS[self.kind]
        zh = lang == "zh"
        lines = [(chinese if zh else english).format(**self.__dict__)]
        if self.kind in ("missing", "count"):
            label = f"{'实际结果' if zh else 'outcomes found'} ({self.scope})"
            if self.found:
                lines += [f"{label}:"] + [f"  {line}" for line in self.found]
            else:
                lines.append(f"{label}: {'无' if zh else 'none'}")
        elif self.kind == "unexpected":
            lines += [f"  {line}" for line in self.found]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message("en")


@dataclass(frozen=True)
class CaseResult:
    """The verdict on one case."""

    name: str
    file: str
    line: int
    failures: tuple[Failure, ...] = ()
    outcomes: int = 0
    skipped: tuple[str, ...] = ()
    """The replaced or disabled rules this case names (a case of an extended pack): not run."""

    @property
    def passed(self) -> bool:
        return not self.failures and not self.skipped

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class TestReport:
    """Every case run for a pack; :attr:`ok` when at least one ran and none failed."""

    __test__ = False  # not a pytest test class

    pack: str
    version: str
    cases: tuple[CaseResult, ...] = ()
    select: str | None = None

    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.passed)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed - self.skipped

    @property
    def skipped(self) -> int:
        return sum(1 for case in self.cases if case.skipped)

    @property
    def ok(self) -> bool:
        return bool(self.cases) and not self.failed


# ---------------------------------------------------------------------------------------------
# running


def run_pack_tests(pack: Pack, *, select: str | None = None, engine: str | None = None) -> TestReport:
    """Run the test cases of ``pack``'s test files (``tests:`` in pack.yaml) with ``engine``
    (as in :class:`~partybuild_rules.Evaluator`).

    ``select`` keeps the cases whose name contains it (so ``R2`` runs every R2 case). Test files
    are checked first, all of them: any problem raises :class:`PolicyError` listing every one.
    """
    loaded = [item for item in load_cases(pack) if select is None or select in item.case.name]
    evaluators: _Evaluators = {}
    try:
        results = tuple(_run(pack, item, evaluators, engine) for item in loaded)
    finally:
        for evaluator in evaluators.values():
            evaluator.close()
    return TestReport(pack=pack.name, version=pack.version, cases=results, select=select)


_Evaluators = dict[tuple[Any, ...], Evaluator]
"""One compiled evaluator per test file and distinct set of parameter overrides, shared by the cases."""


def _run(pack: Pack, item: LoadedCase, evaluators: _Evaluators, engine: str | None) -> CaseResult:
    case = item.case
    if item.skipped:
        return CaseResult(case.name, item.file, item.line, skipped=item.skipped)
    key = (str(item.path),) + tuple(sorted((name, str(value)) for name, value in case.parameters.items()))
    try:
        evaluator = evaluators.get(key)
        if evaluator is None:
            tested = as_tested(pack, item.path) if item.path is not None else pack
            evaluator = evaluators.setdefault(key, Evaluator(tested.with_overrides(dict(case.parameters)), engine))
        result = evaluator.evaluate(case.data, case.year)
    except EngineError as error:
        failure = Failure("error", item.line, detail=str(error))
        return CaseResult(case.name, item.file, item.line, (failure,))
    failures = [
        failure
        for j, expectation in enumerate(case.expect)
        for failure in _missing(pack, result, expectation, item.line_of("expect", j))
    ] + [
        failure
        for j, absent in enumerate(case.expect_none)
        for failure in _unexpected(pack, result, absent, item.line_of("expect_none", j))
    ]
    return CaseResult(case.name, item.file, item.line, tuple(failures), len(result.outcomes))


def _missing(pack: Pack, result: Result, expectation: Expect, line: int) -> list[Failure]:
    """No matching outcome (or not exactly ``count``), shown with the outcomes of the same subject
    and rule that were found instead."""
    matched = [o for o in result.outcomes if _matches(pack, o, expectation)]
    wanted = expectation.count
    if (wanted is None and matched) or (wanted is not None and len(matched) == wanted):
        return []
    nearby = [
        o for o in result.outcomes
        if (expectation.rule is None or o.rule_id == expectation.rule)
        and (expectation.subject is None or o.subject == expectation.subject)
    ]
    scope = " · ".join(p for p in (expectation.subject, expectation.rule) if p) or "all outcomes"
    if wanted is None:
        return [Failure("missing", line, expectation.shown(), None, 0, _lines(nearby), scope)]
    shown = matched or nearby
    return [Failure("count", line, expectation.shown(), wanted, len(matched), _lines(shown), scope)]


def _unexpected(pack: Pack, result: Result, expectation: ExpectNone, line: int) -> list[Failure]:
    """Outcomes that should not exist, listed."""
    matched = [o for o in result.outcomes if _matches(pack, o, expectation)]
    if not matched:
        return []
    return [Failure("unexpected", line, expectation.shown(), 0, len(matched), _lines(matched))]


_MAX_SHOWN = 12


def _lines(outcomes: list[Any]) -> tuple[str, ...]:
    lines = [f"{o.rule_id} {o.subject} [{o.period}] {headline(o)}" for o in outcomes[:_MAX_SHOWN]]
    if len(outcomes) > _MAX_SHOWN:
        lines.append(f"… {len(outcomes) - _MAX_SHOWN} more")
    return tuple(lines)


def _matches(pack: Pack, outcome: Any, e: ExpectNone) -> bool:
    if e.rule is not None and outcome.rule_id != e.rule:
        return False
    if e.subject is not None and outcome.subject != e.subject:
        return False
    if e.period is not None and outcome.period != e.period:
        return False
    if e.kind is not None and outcome.kind != e.kind.value:
        return False
    if e.tier is not None and not (isinstance(outcome, Evaluation) and outcome.tier == e.tier):
        return False
    if e.amount is not None and not (isinstance(outcome, Allowance) and outcome.amount == e.amount):
        return False
    if e.to is not None and not (isinstance(outcome, Allocation) and outcome.to_community == e.to):
        return False
    if e.measure is None and e.target is None and e.deadline is None:
        return True
    return any(
        (e.measure is None or name == e.measure)
        and (e.target is None or target == e.target)
        and (e.deadline is None or deadline == e.deadline)
        for name, target, deadline in _measures(pack, outcome)
    )


def _measures(pack: Pack, outcome: Any) -> list[tuple[str, str, date | None]]:
    if isinstance(outcome, Reprimand):
        return [(m.measure, m.target, m.deadline) for m in outcome.measures]
    if isinstance(outcome, Commendation):
        try:
            rule = pack.rule(outcome.rule_id)
        except KeyError:
            return []
        return [(m.measure, outcome.subject_name, None) for m in rule.then]
    return []


# ---------------------------------------------------------------------------------------------
# rendering


def render_test_report(report: TestReport, lang: Lang = "zh") -> str:
    """The report as text: one line per case, the failures under their case, and a closing line
    ``N passed, M failed`` (always in English: CI reads it)."""
    zh = lang == "zh"
    ok, bad, skip = ("通过", "失败", "跳过") if zh else ("PASS", "FAIL", "SKIP")
    lines: list[str] = []
    for case in report.cases:
        if case.skipped:
            why = "、".join(case.skipped)
            lines.append(f"{skip}  {case.where}  {case.name}  "
                         + (f"（规则 {why} 已被取代或停用）" if zh else f"(rule {why} replaced or disabled)"))
            continue
        lines.append(f"{ok if case.passed else bad}  {case.where}  {case.name}")
        for failure in case.failures:
            text = failure.message(lang).splitlines()
            lines.append(f"      {case.file}:{failure.line}: {text[0]}")
            lines += [f"        {more}" for more in text[1:]]
    if not report.cases:
        if report.select is not None:
            lines.append(f"没有名称包含 `{report.select}` 的用例" if zh
                         else f"no case name contains `{report.select}`")
        else:
            lines.append(f"政策包 `{report.pack}` 没有测试用例（pack.yaml 的 `tests:`）" if zh
                         else f"pack `{report.pack}` has no test cases (`tests:` in pack.yaml)")
    skipped_zh = f"，{report.skipped} 个跳过" if report.skipped else ""
    skipped_en = f", {report.skipped} skipped" if report.skipped else ""
    if zh:
        lines.append(f"政策包 {report.pack} {report.version}：共 {len(report.cases)} 个用例，"
                     f"{report.passed} 个通过，{report.failed} 个失败{skipped_zh}")
    lines.append(f"{report.passed} passed, {report.failed} failed{skipped_en}")
    return "\n".join(lines)
