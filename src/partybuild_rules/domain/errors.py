"""Source spans and error types; errors are collected, sorted by position, and reported together."""

from __future__ import annotations

import linecache
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .messages import Lang, render_header, render_problem

__all__ = ["Span", "CellSpan", "Problem", "PolicyError", "DataError", "EngineError"]


@dataclass(frozen=True, order=True)
class Span:
    """A place in a source file; line and column are 1-based."""

    file: str
    line: int = 0
    column: int = 0

    has_source_lines: ClassVar[bool] = True
    """Whether ``line`` is a line of a text file that an excerpt can show."""

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def text(self, lang: Lang = "en") -> str:
        """The place as the reader sees it, in ``lang``."""
        return str(self)

    def order(self) -> tuple[Any, ...]:
        return (self.file, 0, self.line, self.column)


@dataclass(frozen=True, order=True)
class CellSpan(Span):
    """A cell of a workbook: ``line`` is the row and ``column`` the column number (1-based);
    ``sheet`` and ``header`` name the sheet and the column's header."""

    sheet: str = ""
    sheet_index: int = 0
    header: str = ""

    has_source_lines: ClassVar[bool] = False

    @property
    def letter(self) -> str:
        number, letters = self.column, ""
        while number > 0:
            number, rest = divmod(number - 1, 26)
            letters = chr(ord("A") + rest) + letters
        return letters

    def __str__(self) -> str:
        return self.text("en")

    def text(self, lang: Lang = "en") -> str:
        header = f"（{self.header}）" if lang == "zh" and self.header else ""
        if lang == "zh":
            where = f"工作表“{self.sheet}”" + (f"第 {self.line} 行" if self.line else "")
            return f"{self.file}：{where}" + (f" {self.letter} 列{header}" if self.column else "")
        where = f"sheet `{self.sheet}`" + (f", row {self.line}" if self.line else "")
        column = f", column {self.letter}" + (f" (`{self.header}`)" if self.header else "") if self.column else ""
        return f"{self.file}: {where}{column}"

    def order(self) -> tuple[Any, ...]:
        return (self.file, self.sheet_index, self.line, self.column)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a policy or a dataset, where it is, and how to fix it."""

    message: str
    span: Span | None = None
    code: str = "invalid"
    help: str | None = None
    path: tuple[str | int, ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        span = self.span or Span("\uffff")  # problems without a place come last
        return (*span.order(), self.message)

    def render(self, lang: Lang = "en", *, excerpt: bool = True) -> str:
        """``file:line:column: message``, the offending line with a caret under the column, and
        the fix hint, in Chinese (``zh``) or English."""
        where = str(self.span) if self.span else ".".join(str(part) for part in self.path)
        return render_problem(
            self.span.text(lang) if self.span else where, self.message, self.help, lang,
            self.excerpt() if excerpt else None,
        )

    def excerpt(self) -> str | None:
        """The source line the problem points at, with a caret, or None if it cannot be read."""
        if self.span is None or not self.span.line or not self.span.has_source_lines:
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
