"""The command line: a thin layer over the public API. ``main(argv)`` returns an exit code; this
package is the only code that writes to the terminal (``arguments``: what it accepts; ``terminal``:
progress and output files; ``commands``: one function per command)."""

from __future__ import annotations

import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Sequence, TextIO

from ..domain.errors import DataError, EngineError, PolicyError, Problem
from ..domain.messages import render_header
from .arguments import Exit, UsageError, UsageProblem, parser, requested_lang
from .commands import COMMANDS
from .terminal import OutputError

__all__ = ["main", "Exit"]


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit code (never raises for bad input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    command_line = parser(requested_lang(sys.argv[1:] if argv is None else argv))
    try:
        with redirect_stdout(out), redirect_stderr(err):  # argparse writes usage and help itself
            args = command_line.parse_args(argv)
    except SystemExit as stop:
        return Exit.USAGE if stop.code else Exit.OK
    try:
        return COMMANDS[args.command](args, out, err)
    except UsageProblem as usage:
        label = "错误" if args.lang == "zh" else "error"
        err.write(f"{label}: {usage.problem.render(args.lang)}\n")
        return Exit.USAGE
    except (PolicyError, DataError) as error:
        label = "错误" if args.lang == "zh" else "error"
        err.write(f"{label}: {error.render(args.lang)}\n")
        return Exit.INVALID
    except UsageError as error:
        label = "错误" if args.lang == "zh" else "error"
        head = render_header("command line", len(error.problems), args.lang)
        colon = ":" if args.lang == "en" else "："
        problems = sorted(error.problems, key=Problem.sort_key)
        err.write(f"{label}: {head}{colon}\n" + "\n".join(p.render(args.lang) for p in problems) + "\n")
        return Exit.USAGE
    except KeyboardInterrupt:
        err.write("已中断（interrupted）\n" if args.lang == "zh" else "interrupted\n")
        return Exit.INTERRUPTED
    except EngineError as error:
        err.write(("规则引擎错误" if args.lang == "zh" else "engine error") + f": {error}\n")
        return Exit.ENGINE
    except OutputError as error:
        label = "错误" if args.lang == "zh" else "error"
        err.write(f"{label}: {Problem(str(error), None, 'output').render(args.lang)}\n")
        return Exit.INVALID
    except OSError as error:
        err.write(("错误" if args.lang == "zh" else "error") + f": {error}\n")
        return Exit.INVALID

