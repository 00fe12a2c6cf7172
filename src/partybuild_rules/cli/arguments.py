"""What the command line accepts: its parser and argument types, the usage errors it reports
before any work is done, and its exit codes."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields, replace
from datetime import date
from enum import IntEnum
from pathlib import Path
from typing import Callable, NoReturn, Sequence

from .. import __version__
from ..domain.errors import Problem
from ..domain.messages import translate
from ..evaluation.engines.base import ENGINES, ENV_VAR
from ..policy.limits import DEFAULT_LIMITS, Limits
from ..policy.validation import suggestion

__all__ = [
    "Exit", "UsageError", "UsageProblem", "needs_output", "pairs", "parser", "reading_limits",
    "requested_lang", "spread", "writable",
]


class Exit(IntEnum):
    OK = 0
    INVALID = 1  # the policy or the data has problems (all listed)
    USAGE = 2  # the command line itself is wrong
    ENGINE = 3  # the rules engine failed; no outcome is reported
    INTERRUPTED = 130  # Ctrl-C: stopped, nothing half-written


class _Parser(argparse.ArgumentParser):
    """argparse, with its error messages in the user's language (``--lang``)."""

    lang = "zh"

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        label = "错误" if self.lang == "zh" else "error"
        self.exit(Exit.USAGE, f"{self.prog}: {label}: {translate(message, 'en' if self.lang == 'en' else 'zh')}\n")


def requested_lang(argv: Sequence[str]) -> str:
    """The ``--lang`` given, read before the command line is parsed (for argparse's messages)."""
    lang = "zh"
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif arg.startswith("--lang="):
            lang = arg.partition("=")[2]
    return "en" if lang == "en" else "zh"


def parser(lang: str = "zh") -> argparse.ArgumentParser:
    parser = _Parser(
        prog="partybuild-rules",
        description="城市基层党建规则引擎：校验、评估、解释政策包。"
        " Validate, evaluate and explain Party-building policy packs.",
    )
    parser.lang = lang
    parser.add_argument("--version", action="version", version=f"partybuild-rules {__version__}")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh",
                        help="language of error messages: zh (中文, default) or en")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _Parser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                        help="language of messages: zh (中文, default) or en")
    common.add_argument("--quiet", action="store_true", default=False,
                        help="no progress bars or status lines (they are shown only on a terminal anyway)")

    engine = _Parser(add_help=False)
    engine.add_argument("--engine", choices=list(ENGINES), default=None,
                        help=f"rules engine (规则引擎): durable or clips; default ${ENV_VAR}, else durable "
                        "where it installs (Python < 3.13), else clips")

    def data_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--policies", action="append", default=None, metavar="PACK",
                         help=_PACKS_HELP)
        sub.add_argument("--data", type=Path, default=None,
                         help="dataset file, .json, .yaml or an Excel ledger .xlsx (default: the bundled example)")
        sub.add_argument("--year", type=int, default=None,
                         help="year to evaluate (default: the last year the dataset covers)")
        sub.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                         help="override a parameter, e.g. --set minimum_income=1300.00 (repeatable)")
        sub.add_argument("--overrides", dest="overrides_file", type=Path, default=None,
                         help="YAML file of parameter overrides (`name: value` lines)")
        limit_option(sub)

    def limit_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--limit", dest="limits", action="append", default=[], metavar="NAME=N",
                         help="raise a reading limit for a large dataset, e.g. --limit max_bytes=1000000000 "
                              "(names and defaults: docs/robustness.md; repeatable)")

    evaluate = commands.add_parser("evaluate", parents=[common, engine], help="evaluate a year and print a summary (默认评估同江示例)")
    data_options(evaluate)
    evaluate.add_argument("--format", choices=["table", "json", "csv", "xlsx", "html"], default="table",
                          help="xlsx and html need --output")
    evaluate.add_argument("--output", type=Path, default=None, help="write to this file instead of stdout")
    evaluate.add_argument("--audit", type=Path, default=None, metavar="FILE",
                          help="append one JSON line recording this evaluation (inputs' hashes, digest)")
    evaluate.add_argument("--jobs", type=_jobs, default=1, metavar="N",
                          help="evaluate the communities in N worker processes (default 1: in this process); "
                          "same outcomes (docs/scale.md)")
    evaluate.add_argument("--dask", default=None, metavar="ADDRESS",
                          help="evaluate the communities on the Dask cluster whose scheduler is at ADDRESS "
                          "(e.g. tcp://10.0.0.5:8786); needs pip install 'partybuild-rules[dask]'")

    replay = commands.add_parser("replay", parents=[common],
                                 help="re-run the evaluations an audit file recorded and compare digests (复核)")
    replay.add_argument("audit_file", type=Path, help="an audit file written by `evaluate --audit`")

    warn = commands.add_parser("warn", parents=[common, engine], help="subjects about to trigger a rule (预警)")
    data_options(warn)
    warn.add_argument("--as-of", dest="as_of", type=_day, default=None, metavar="YYYY-MM-DD",
                      help="warn from the records dated on or before this day (default: the dataset's last day)")
    warn.add_argument("--within", type=int, default=None, metavar="DAYS",
                      help="a finding due within this many days is a warning (default 30)")
    warn.add_argument("--format", choices=["table", "json", "csv", "xlsx", "html"], default="table")
    warn.add_argument("--output", type=Path, default=None)

    template = commands.add_parser("template", parents=[common],
                                   help="write an empty Excel ledger to fill in (台账模板)")
    template.add_argument("--output", type=Path, required=True, help="e.g. 台账模板.xlsx")
    template.add_argument("--policies", type=Path, default=None,
                          help="the pack in use (its declared attributes and event types get columns and sheets)")

    convert = commands.add_parser("convert", parents=[common],
                                  help="convert a dataset between JSON/YAML and an Excel ledger (格式转换)")
    convert.add_argument("source", type=Path, help="a .json, .yaml or .xlsx dataset")
    convert.add_argument("--output", type=Path, required=True, help="a .json or .xlsx file")

    validate = commands.add_parser("validate", parents=[common, engine], help="check a policy pack and list every problem (校验)")
    validate.add_argument("pack", nargs="*", default=None, help=_PACKS_HELP)
    validate.add_argument("--data", type=Path, default=None, help="also check this dataset (.json, .yaml, .xlsx)")
    limit_option(validate)

    explain_cmd = commands.add_parser("explain", parents=[common, engine], help="why a subject got its outcomes (解释)")
    explain_cmd.add_argument("subject", help="a member, unit or community id (or its exact name)")
    data_options(explain_cmd)
    explain_cmd.add_argument("--format", choices=["text", "json"], default="text")

    test = commands.add_parser("test", parents=[common, engine], help="run a pack's policy test cases (运行政策用例)")
    test.add_argument("pack", nargs="*", default=None, help=_PACKS_HELP)
    test.add_argument("--case", default=None, help="run only cases whose name contains this text")

    check = commands.add_parser("check", parents=[common, engine],
                                help="check a pack's rules for consistency (规则一致性检查)")
    check.add_argument("pack", nargs="*", default=None, help=_PACKS_HELP)
    check.add_argument("--max-examples", type=int, default=None,
                       help="examples tried per searched property")
    check.add_argument("--seconds", type=float, default=None, help="time budget for the whole run")
    check.add_argument("--seed", type=int, default=0, help="seed of the searches (same seed, same report)")
    check.add_argument("--only", action="append", default=None, metavar="PROPERTY",
                       help="check only this property (e.g. money, or monotonicity[R2.member-absence]); repeatable")

    schema = commands.add_parser("schema", parents=[common],
                                 help="print the JSON Schema for editors (编辑器校验模式)")
    which = schema.add_mutually_exclusive_group(required=True)
    which.add_argument("--policy", dest="schema_kind", action="store_const", const="policy",
                       help="schema of pack manifests, rule files and test files")
    which.add_argument("--dataset", dest="schema_kind", action="store_const", const="dataset",
                       help="schema of dataset files")
    schema.add_argument("--output", type=Path, default=None)

    diff = commands.add_parser("diff", parents=[common, engine],
                               help="impact of a policy change on the same data (影响对比)")
    diff.add_argument("--base", required=True,
                      help="the current policy: a pack folder, an overrides file, or name=value[,name=value]")
    diff.add_argument("--new", required=True, help="the proposed policy, in the same forms")
    diff.add_argument("--policies", action="append", default=None, metavar="PACK",
                      help="the pack(s) that overrides apply to (default: the bundled Tongjiang pack)")
    diff.add_argument("--data", type=Path, default=None, help="dataset, .json, .yaml or .xlsx (default: the bundled example)")
    limit_option(diff)
    diff.add_argument("--year", type=int, default=None)
    diff.add_argument("--format", choices=["text", "json"], default="text")
    diff.add_argument("--output", type=Path, default=None)

    generate = commands.add_parser("generate", parents=[common], help="write a synthetic Tongjiang-like dataset (生成示例数据)")
    generate.add_argument("--scale", type=_ranged(1, 100), default=1, help="city size multiplier, 1 to 100 (default 1)")
    generate.add_argument("--seed", type=int, default=2024)
    generate.add_argument("--year", type=_ranged(1950, 2200), default=2024, help="year, 1950 to 2200 (default 2024)")
    generate.add_argument("--output", type=Path, required=True)
    for command in commands.choices.values():  # each subcommand's parser is a _Parser too
        command.lang = lang
    return parser


_PACKS_HELP = ("policy pack: a folder, or pkg:NAME for an installed pack package; repeat to evaluate "
               "several packs together (default: the bundled Tongjiang pack)")


def _ranged(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"`{text}` is not between {low} and {high}")
        return value

    return parse


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date (YYYY-MM-DD)") from None


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number of processes") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"`{text}`: give 1 or more processes (1 evaluates in this process)")
    return value


class UsageError(Exception):
    """The command line is wrong (exit 2); ``problems`` say how."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = tuple(problems)


class UsageProblem(Exception):
    """A command line that parses but cannot be carried out (exit 2)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def writable(output: Path | None, option: str = "--output", suffixes: Sequence[str] = ()) -> None:
    """Refuse, before any work is done, an output file whose folder does not exist, a folder, and
    (given ``suffixes``) a file whose suffix names another format than the one written."""
    if output is None:
        return
    if not output.parent.is_dir():
        raise UsageError([Problem(f"folder `{output.parent}` of `{option} {output}` does not exist",
                                  None, "usage", "create the folder first, or write elsewhere")])
    if output.is_dir():
        raise UsageError([Problem(f"`{option} {output}` is a folder, not a file", None, "usage",
                                  f"name a file in it, e.g. {option} {output / ('result' + (suffixes[0] if suffixes else ''))}")])
    if suffixes and output.suffix.lower() not in suffixes:
        raise UsageError([Problem(
            f"`{option} {output}`: this command writes {' or '.join(f'`{s}`' for s in suffixes)} files",
            None, "usage", f"e.g. {option} {output.with_suffix(suffixes[0]).name}",
        )])


def pairs(items: list[str]) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError([_usage_problem(f"`--set {item}` is not NAME=VALUE")])
        result[name.strip()] = value.strip()
    return result


def _usage_problem(message: str) -> Problem:
    return Problem(message, None, "usage", "write it as --set name=value")


def reading_limits(args: argparse.Namespace) -> Limits:
    """The reading limits, with those ``--limit NAME=N`` raises (or lowers)."""
    given: dict[str, int] = {}
    names = [f.name for f in fields(Limits)]
    for text in getattr(args, "limits", None) or []:
        name, _, value = text.partition("=")
        name = name.strip()
        if name not in names:
            raise UsageProblem(Problem(f"`--limit {text}`: no limit is called `{name}`", None, "usage",
                                 suggestion(name, names) or "limits: " + ", ".join(names)))
        try:
            given[name] = int(value.strip())
        except ValueError:
            raise UsageProblem(Problem(f"`--limit {text}`: the value must be a whole number", None, "usage",
                                 f"e.g. --limit {name}={getattr(DEFAULT_LIMITS, name) * 2}")) from None
    try:
        return replace(DEFAULT_LIMITS, **given)
    except ValueError as error:
        raise UsageProblem(Problem(f"`--limit`: {error}", None, "usage")) from None


def needs_output(args: argparse.Namespace) -> None:
    if args.format in ("xlsx", "html") and args.output is None:
        raise UsageProblem(Problem(f"`--format {args.format}` needs `--output FILE`", None, "usage",
                             f"add e.g. --output result.{args.format}"))


def spread(args: argparse.Namespace) -> None:
    """Refuse ``--jobs`` with ``--dask``, and ``--dask`` without the package, before any work."""
    if args.dask is None:
        return
    if args.jobs > 1:
        raise UsageProblem(Problem("give `--jobs` or `--dask`, not both", None, "usage",
                             "--jobs N uses this machine's processors, --dask ADDRESS a cluster's"))
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise UsageProblem(Problem("`--dask` needs the Dask distributed package, which is not installed", None, "usage",
                             "pip install 'partybuild-rules[dask]'"))
