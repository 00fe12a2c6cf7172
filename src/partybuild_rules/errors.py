"""Source spans and error types; errors are collected, sorted by position, and reported together."""

from __future__ import annotations

from dataclasses import dataclass, field

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
        span = self.span or Span("")
        return (span.file, span.line, span.column, self.message)

    def __str__(self) -> str:
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.message}"
        if self.help:
            text += f"\n  help: {self.help}"
        return text


class _ProblemsError(ValueError):
    """Base of errors that carry every problem found, sorted by position."""

    kind = "input"

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(problems, key=Problem.sort_key))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in {self.kind}"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in self.problems))


class PolicyError(_ProblemsError):
    """A policy pack (or a parameter override) is invalid; ``problems`` lists every mistake."""

    kind = "policy"


class DataError(_ProblemsError):
    """A dataset is invalid; ``problems`` lists every bad record with its position."""

    kind = "data"


class EngineError(RuntimeError):
    """The rules engine failed or refused a fact; the evaluation's outcomes cannot be trusted."""
