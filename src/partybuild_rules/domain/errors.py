"""Source spans and error types; errors are collected, sorted by position, and reported together."""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field

from .messages import Lang, render_header, render_problem

__all__ = ["Span", "Problem", "PolicyError", "DataError", "EngineError"]


@dataclass(frozen=True, order=True)
class Span:
    """A place in a source file; line and column are 1-based."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy or a dataset, where it is, and how to fix it."""

    message: str
    span: Span | None = None
    code: str = "invalid"
    help: str | None = None
    path: tuple[str | int, ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[str, int, int, str]:
        span = self.span or Span("\uffff")  # problems without a place come last
        return (span.file, span.line, span.column, self.message)

    def render(self, lang: Lang = "en", *, excerpt: bool = True) -> str:
        """``file:line:column: message``, the offending line with a caret under the column, and
        the fix hint, in Chinese (``zh``) or English."""
        where = str(self.span) if self.span else ".".join(str(part) for part in self.path)
        return render_problem(
            where, self.message, self.help, lang,
            self.excerpt() if excerpt else None,
        )

    def excerpt(self) -> str | None:
        """The source line the problem points at, with a caret, or None if it cannot be read."""
        if self.span is None or not self.span.line:
            return None
        linecache.checkcache(self.span.file)
        text = linecache.getline(self.span.file, self.span.line).rstrip("\n")
        if not text.strip() or len(text) > 200:
            return None
        number = str(self.span.line)
        pad = " " * len(number)
        caret = " " * max(self.span.column - 1, 0) + "^"
        return f"  {number} | {text}\n  {pad} | {caret}"

    def __str__(self) -> str:
        return self.render("en", excerpt=False)


def bounded(problems: list[Problem], limit: int, hidden: int = 0) -> list[Problem]:
    """The first ``limit`` problems by position, and one more saying how many were left out
    (``hidden`` counts problems already left out before this list was made)."""
    kept = sorted(problems, key=Problem.sort_key)[:limit]
    left = len(problems) - len(kept) + hidden
    if left <= 0:
        return problems
    return kept + [Problem(f"{left} more problems not listed (limit `max_problems` is {limit})",
                           None, "limit")]


class _ProblemsError(ValueError):
    """Base of errors that carry every problem found, sorted by position."""

    kind = "input"

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        super().__init__(self.render("en", excerpt=False))

    def render(self, lang: Lang = "en", *, excerpt: bool = True) -> str:
        """Every problem (with its source line and hint) under a count, in ``lang``."""
        head = render_header(self.kind, len(self.problems), lang)
        colon = ":" if lang == "en" else "："
        return head + colon + "\n" + "\n".join(p.render(lang, excerpt=excerpt) for p in self.problems)


class PolicyError(_ProblemsError):
    """A policy pack (or a parameter override) is invalid; ``problems`` lists every mistake."""

    kind = "policy"


class DataError(_ProblemsError):
    """A dataset is invalid; ``problems`` lists every bad record with its position."""

    kind = "data"


class EngineError(RuntimeError):
    """The rules engine failed or refused a fact; the evaluation's outcomes cannot be trusted."""
