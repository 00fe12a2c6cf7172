"""What the command line shows while it works and how it writes: progress bars and spinners (on
a terminal only, and not with ``--quiet``), messages in the user's language, warnings, and output
files written whole or not at all."""

from __future__ import annotations

import argparse
import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from ..evaluation.evaluator import Progress

__all__ = [
    "MAX_WARNINGS_SHOWN", "OutputError", "atomically", "check_progress", "emit", "evaluation_progress", "show_warnings",
    "words", "working",
]


def _live(args: argparse.Namespace, stream: TextIO | None) -> bool:
    """Progress bars and status lines: on a terminal, unless ``--quiet``."""
    return stream is not None and stream.isatty() and not getattr(args, "quiet", False)


@contextmanager
def working(args: argparse.Namespace, err: TextIO | None, label: str) -> Iterator[None]:
    """A spinner with the time elapsed, for work that cannot count its steps (reading, writing)."""
    if not _live(args, err):
        yield
        return
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    with Bar(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
             console=Console(file=err), transient=True) as bar:
        bar.add_task(label, total=None)
        yield


def words(args: argparse.Namespace, zh: str, en: str) -> str:
    return en if getattr(args, "lang", "zh") == "en" else zh


@contextmanager
def evaluation_progress(args: argparse.Namespace, stream: TextIO) -> Iterator[Progress | None]:
    if not _live(args, stream):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    label = words(args, "评估", "evaluating")
    with Bar(console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def report(stage: str, done: int, total: int) -> None:
            stage_text = stage.replace("stage ", words(args, "阶段 ", "stage ")).replace(
                "partitions", words(args, "分区", "partitions")).replace(
                "second round", words(args, "分区第二轮", "second round"))
            bar.update(task, description=f"{label}（{stage_text}）", completed=done, total=total)

        yield report


@contextmanager
def check_progress(args: argparse.Namespace, stream: TextIO) -> Iterator[Callable[[str, int, int], None]]:
    """A live bar on a terminal; elsewhere one line per property, so long runs show progress
    (none with ``--quiet``)."""
    if getattr(args, "quiet", False):
        yield lambda name, done, total: None
        return
    if stream.isatty():
        from rich.progress import Progress as Bar

        from rich.console import Console

        with Bar(console=Console(file=stream), transient=True) as bar:
            tasks: dict[str, Any] = {}

            def live(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(name, total=total)
                bar.update(tasks[name], completed=done, total=total)

            yield live
        return
    finished: set[str] = set()

    def lines(name: str, done: int, total: int) -> None:
        if done >= total and name not in finished:
            finished.add(name)
            stream.write(words(args, f"已检查 {name}", f"checked {name}") + "\n")
            stream.flush()

    yield lines


def emit(text: str, output: Path | None, out: TextIO) -> None:
    if output is None:
        out.write(text if text.endswith("\n") else text + "\n")
    else:
        atomically(output, lambda path: _write_text(path, text))


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def atomically(output: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary file beside ``output`` and rename it: an interrupted run (Ctrl-C)
    leaves no partial file, and an existing file is replaced only by a whole new one, keeping its
    permissions (a new file gets those the umask gives, as any other program's would). A symbolic
    link keeps pointing where it did (its target is replaced), and what is not a regular file
    (``/dev/stdout``, a named pipe) is written to directly: renaming over it would replace it."""
    try:
        _replace(Path(os.path.realpath(output)), write)
    except OSError as error:  # a full disk, a folder one may not write in, ...
        raise OutputError(output, error.strerror or str(error)) from None


class OutputError(Exception):
    """An output file could not be written (exit 1); ``reason`` says why, as the system did."""

    def __init__(self, output: Path, reason: str) -> None:
        super().__init__(f"cannot write `{output}`: {reason}")
        self.output = output
        self.reason = reason


def _replace(target: Path, write: Callable[[Path], None]) -> None:
    if target.exists() and not target.is_file():
        write(target)
        return
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o666 & ~_umask()
    # the temporary file ends as the output does, for writers that choose the format by the suffix
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it: set it straight back
    os.umask(mask)
    return mask


MAX_WARNINGS_SHOWN = 20


def show_warnings(result: Any, lang: str, err: TextIO) -> None:
    """Warnings on stderr: legal but suspicious data (the first few, then a count)."""
    from ..domain.messages import translate

    label = "警告" if lang == "zh" else "warning"
    for notice in result.warnings[:MAX_WARNINGS_SHOWN]:
        err.write(f"{label}: {translate(notice.message, lang)}\n")  # type: ignore[arg-type]
    more = len(result.warnings) - MAX_WARNINGS_SHOWN
    if more > 0:
        err.write(f"{label}: 另有 {more} 条警告\n" if lang == "zh" else f"{label}: {more} more warnings\n")
