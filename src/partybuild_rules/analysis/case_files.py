"""A pack's test files read and checked before anything is evaluated: every case's shape, and, across
the files, names given twice, parameters the pack does not have, and rules, subjects and measures
a case names that do not exist, each at its ``file:line:column`` (:mod:`.pack_tests` runs them)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..domain.errors import PolicyError, Problem, Span
from ..policy.cases import Case, CaseFile
from ..policy.loader import Document, read_document
from ..policy.pack import Pack
from ..policy.validation import suggestion, validation_problems

__all__ = ["LoadedCase", "load_cases"]


@dataclass(frozen=True)
class LoadedCase:
    """A checked case and where it is written."""

    case: Case
    file: str
    index: int
    document: Document = field(compare=False, repr=False)
    path: Path | None = None
    skipped: tuple[str, ...] = ()

    @property
    def line(self) -> int:
        return self.document.span(("cases", self.index)).line

    def line_of(self, *path: str | int) -> int:
        return self.document.span(("cases", self.index, *path)).line


def load_cases(pack: Pack) -> list[LoadedCase]:
    """Read and check every test file of ``pack``, without evaluating anything; raise
    :class:`PolicyError` listing every problem of every file, sorted by position."""
    problems: list[Problem] = []
    loaded: list[LoadedCase] = []
    for path in pack.test_files:
        document, read_problems = read_document(Path(path))
        problems += read_problems
        if document is None or read_problems:
            continue
        if not isinstance(document.data, dict):
            problems.append(Problem("expected a mapping with `cases:` at the top of the file",
                                    document.span(()), "type"))
            continue
        try:
            cases = list(enumerate(CaseFile.model_validate(document.data).cases))
        except ValidationError as error:
            problems += [_explained(p) for p in validation_problems(error, document, CaseFile)]
            cases = _valid_cases(document.data)  # so that the later stages check them too
        setup = pack.test_setups.get(Path(path))
        skip = setup.skip if setup else frozenset()
        loaded += [
            LoadedCase(case, str(path), i, document, Path(path), tuple(sorted(_named_rules(case) & skip)))
            for i, case in cases
        ]
    for stage in _STAGES:
        problems += stage(pack, [item for item in loaded if not item.skipped])
    if problems:
        raise PolicyError(problems)
    return loaded


def _named_rules(case: Case) -> set[str]:
    return {e.rule for e in (*case.expect, *case.expect_none) if e.rule is not None}


def _valid_cases(data: dict[str, Any]) -> list[tuple[int, Case]]:
    """The cases of a file that are valid on their own (their errors are already reported)."""
    raw = data.get("cases")
    if not isinstance(raw, list):
        return []
    valid = []
    for index, item in enumerate(raw):
        try:
            valid.append((index, Case.model_validate(item)))
        except ValidationError:
            continue
    return valid


def _explained(problem: Problem) -> Problem:
    """A clearer hint for ``count`` under ``expect_none`` than "did you mean `amount`?"."""
    if problem.message == "unknown field `count`" and "expect_none" in problem.path:
        return replace(problem, help="`count` belongs under `expect` (exactly N outcomes match); "
                       "under `expect_none` no outcome may match at all")
    return problem


def _duplicate_names(pack: Pack, loaded: list[LoadedCase]) -> list[Problem]:
    seen: dict[str, Span] = {}
    problems = []
    for item in loaded:
        span = item.document.span(("cases", item.index, "name"))
        if item.case.name in seen:
            problems.append(Problem(
                f"case name `{item.case.name}` is used twice (first at {seen[item.case.name]})", span,
                "duplicate-case", "give each case its own name, so that `--case` can select it",
            ))
        else:
            seen[item.case.name] = span
    return problems


def _unknown_parameters(pack: Pack, loaded: list[LoadedCase]) -> list[Problem]:
    problems = []
    for item in loaded:
        for name, value in item.case.parameters.items():
            known = name in pack.parameters
            span = item.document.span(("cases", item.index, "parameters", name), key=not known)
            if not known:
                problems.append(Problem(
                    f"unknown parameter `{name}` in case `{item.case.name}`", span, "unknown-parameter",
                    suggestion(name, list(pack.parameters)) or "declare it under `parameters:` in pack.yaml",
                ))
                continue
            try:
                pack.with_overrides({name: value})
            except PolicyError as error:
                problems += [Problem(p.message, span, p.code, p.help) for p in error.problems]
    return problems


def _unknown_references(pack: Pack, loaded: list[LoadedCase]) -> list[Problem]:
    """Rule ids, subjects, communities and measures named by expectations must exist: a misspelt name in
    ``expect_none`` would otherwise pass silently."""
    rule_ids = [rule.id for rule in pack.rules]
    all_measures = sorted({m.measure for rule in pack.rules for m in rule.then})
    problems = []
    for item in loaded:
        data = item.case.data
        subjects = [m.id for m in data.members] + [u.id for u in data.units] + [c.id for c in data.communities]
        for key in ("expect", "expect_none"):
            for j, expectation in enumerate(getattr(item.case, key)):
                at = ("cases", item.index, key, j)

                def problem(name: str, message: str, hint: str | None, code: str) -> Problem:
                    return Problem(message, item.document.span(at + (name,)), code, hint, at + (name,))

                if expectation.rule is not None and expectation.rule not in rule_ids:
                    problems.append(problem(
                        "rule", f"unknown rule `{expectation.rule}`",
                        suggestion(expectation.rule, rule_ids), "unknown-rule",
                    ))
                if expectation.subject is not None and expectation.subject not in subjects:
                    problems.append(problem(
                        "subject", f"no member, unit or community `{expectation.subject}` in the case's data",
                        suggestion(expectation.subject, subjects), "unknown-subject",
                    ))
                places = [c.id for c in data.communities]
                if expectation.to is not None and expectation.to not in places:
                    problems.append(problem(
                        "to", f"no community `{expectation.to}` in the case's data",
                        suggestion(expectation.to, places), "unknown-subject",
                    ))
                if expectation.measure is not None:
                    known = all_measures
                    if expectation.rule in rule_ids:
                        known = [m.measure for m in pack.rule(expectation.rule).then]
                    if expectation.measure not in known:
                        problems.append(problem(
                            "measure", f"unknown measure `{expectation.measure}`",
                            suggestion(expectation.measure, known)
                            or (f"measures: {', '.join(f'`{m}`' for m in known)}" if known
                                else "this rule takes no measures"),
                            "unknown-measure",
                        ))
    return problems


_STAGES = (_duplicate_names, _unknown_parameters, _unknown_references)
