"""The command line: a thin layer over the public API. ``main(argv)`` returns an exit code."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TextIO

from . import __version__
from .analysis.explain import explain_subject
from .data.datasets import load_dataset
from .data.resources import bundled_dataset, bundled_pack
from .domain.errors import DataError, EngineError, PolicyError, Problem
from .domain.model import Dataset
from .evaluation.engines.base import ENGINES, ENV_VAR
from .evaluation.evaluator import Evaluator, Progress
from .policy.loader import suggestion
from .policy.pack import Pack, load_pack
from .reports.text import summary, to_csv, to_json

__all__ = ["main", "Exit"]


class Exit(IntEnum):
    OK = 0
    INVALID = 1  # the policy or the data has problems (all listed)
    USAGE = 2  # the command line itself is wrong
    ENGINE = 3  # the rules engine failed; no outcome is reported


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="partybuild-rules",
        description="城市基层党建规则引擎：校验、评估、解释政策包。"
        " Validate, evaluate and explain Party-building policy packs.",
    )
    parser.add_argument("--version", action="version", version=f"partybuild-rules {__version__}")
    parser.add_argument("--lang", choices=["zh", "en"], default="zh",
                        help="language of error messages: zh (中文, default) or en")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                        help="language of messages: zh (中文, default) or en")

    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--engine", choices=list(ENGINES), default=None,
                        help=f"rules engine (规则引擎): durable or clips; default ${ENV_VAR}, else durable "
                        "where it installs (Python < 3.13), else clips")

    def data_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--policies", action="append", default=None, metavar="PACK",
                         help=_PACKS_HELP)
        sub.add_argument("--data", type=Path, default=None,
                         help="dataset file, .json or .yaml (default: the bundled Tongjiang example)")
        sub.add_argument("--year", type=int, default=None,
                         help="year to evaluate (default: the last year the dataset covers)")
        sub.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                         help="override a parameter, e.g. --set minimum_income=1300.00 (repeatable)")
        sub.add_argument("--overrides", dest="overrides_file", type=Path, default=None,
                         help="YAML file of parameter overrides (`name: value` lines)")

    evaluate = commands.add_parser("evaluate", parents=[common, engine], help="evaluate a year and print a summary (默认评估同江示例)")
    data_options(evaluate)
    evaluate.add_argument("--format", choices=["table", "json", "csv"], default="table")
    evaluate.add_argument("--output", type=Path, default=None, help="write to this file instead of stdout")

    validate = commands.add_parser("validate", parents=[common, engine], help="check a policy pack and list every problem (校验)")
    validate.add_argument("pack", nargs="*", default=None, help=_PACKS_HELP)
    validate.add_argument("--data", type=Path, default=None, help="also check this dataset")

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
    diff.add_argument("--data", type=Path, default=None, help="dataset (default: the bundled example)")
    diff.add_argument("--year", type=int, default=None)
    diff.add_argument("--format", choices=["text", "json"], default="text")
    diff.add_argument("--output", type=Path, default=None)

    generate = commands.add_parser("generate", parents=[common], help="write a synthetic Tongjiang-like dataset (生成示例数据)")
    generate.add_argument("--scale", type=int, default=1, help="city size multiplier (default 1)")
    generate.add_argument("--seed", type=int, default=2024)
    generate.add_argument("--year", type=int, default=2024)
    generate.add_argument("--output", type=Path, required=True)
    return parser


_PACKS_HELP = ("policy pack: a folder, or pkg:NAME for an installed pack package; repeat to evaluate "
               "several packs together (default: the bundled Tongjiang pack)")


def _packs(refs: list[str] | None) -> list[str | Path]:
    """The packs named on the command line, or the bundled one."""
    return list(refs) if refs else [bundled_pack()]


def _pairs(items: list[str]) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise PolicyError([_usage_problem(f"`--set {item}` is not NAME=VALUE")])
        result[name.strip()] = value.strip()
    return result


def _usage_problem(message: str) -> Problem:
    return Problem(message, None, "usage", "write it as --set name=value")


def _load(args: argparse.Namespace) -> tuple[Pack, Dataset, int]:
    pack = load_pack(_packs(args.policies), overrides=args.overrides_file)
    if args.overrides:
        pack = pack.with_overrides(_pairs(args.overrides), origin="--set")
    data = load_dataset(args.data or bundled_dataset())
    year = args.year if args.year is not None else data.covers.end.year
    return pack, data, year


@contextmanager
def _progress(stream: TextIO) -> Iterator[Progress | None]:
    if not stream.isatty():
        yield None
        return
    from rich.progress import Progress as Bar

    with Bar(transient=True) as bar:
        task = bar.add_task("评估 evaluating", total=None)

        def report(stage: str, done: int, total: int) -> None:
            bar.update(task, description=f"评估 evaluating ({stage})", completed=done, total=total)

        yield report


def _emit(text: str, output: Path | None, out: TextIO) -> None:
    if output is None:
        out.write(text if text.endswith("\n") else text + "\n")
    else:
        output.write_text(text, encoding="utf-8")


def _evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    pack, data, year = _load(args)
    evaluator = Evaluator(pack, args.engine)
    try:
        with _progress(err) as progress:
            result = evaluator.evaluate(data, year, progress)
    finally:
        evaluator.close()
    if args.format == "json":
        text = to_json(result)
    elif args.format == "csv":
        text = to_csv(result)
    else:
        text = summary(result, pack)
    _emit(text, args.output, out)
    if args.output is not None:
        err.write(f"wrote {len(result.outcomes)} outcomes to {args.output}\n")
    return Exit.OK


def _validate(args: argparse.Namespace, out: TextIO) -> Exit:
    pack = load_pack(_packs(args.pack))
    Evaluator(pack, args.engine).close()  # compiling checks what only the engine can check (limits, bounds)
    out.write(f"ok: pack `{pack.name}` {pack.version}: {len(pack.rules)} rules, "
              f"{len(pack.parameters)} parameters\n")
    if args.data is not None:
        data = load_dataset(args.data)
        out.write(f"ok: dataset `{args.data}`: {len(data.units)} units, {len(data.members)} members, "
                  f"{len(data.events)} events\n")
    return Exit.OK


def _explain(args: argparse.Namespace, out: TextIO) -> Exit:
    pack, data, year = _load(args)
    evaluator = Evaluator(pack, args.engine)
    try:
        explanation = explain_subject(evaluator, data, year, args.subject)
    except KeyError:
        known = {m.id for m in data.members} | {u.id for u in data.units} | {c.id for c in data.communities}
        raise DataError([_unknown_subject(args.subject, known)]) from None
    finally:
        evaluator.close()
    if args.format == "json":
        out.write(explanation.model_dump_json(indent=2) + "\n")
    else:
        out.write(explanation.to_text() + "\n")
    return Exit.OK


def _unknown_subject(subject: str, known: set[str]) -> Problem:
    return Problem(f"no member, unit or community `{subject}` in the dataset", None, "unknown-subject",
                   suggestion(subject, sorted(known)))


def _test(args: argparse.Namespace, out: TextIO) -> Exit:
    from .analysis.pack_tests import render_test_report, run_pack_tests

    report = run_pack_tests(load_pack(_packs(args.pack)), select=args.case, engine=args.engine)
    out.write(render_test_report(report, args.lang) + "\n")
    return Exit.OK if report.ok else Exit.INVALID


def _check(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    try:
        from .testing.check import DEFAULT_EXAMPLES, render_report, run_checks
    except ImportError as error:  # hypothesis is a test extra
        err.write(f"error: {error}\n")
        return Exit.USAGE
    pack = load_pack(_packs(args.pack))
    examples = args.max_examples if args.max_examples is not None else DEFAULT_EXAMPLES
    with _check_progress(err) as progress:
        try:
            report = run_checks(pack, max_examples=examples, seconds=args.seconds, seed=args.seed,
                                progress=progress, only=args.only, engine=args.engine)
        except ValueError as error:  # an unknown --only name
            err.write(f"error: {error}\n")
            return Exit.USAGE
    out.write(render_report(report))
    return Exit.OK if report.ok else Exit.INVALID


@contextmanager
def _check_progress(stream: TextIO) -> Iterator[Callable[[str, int, int], None]]:
    """A live bar on a terminal; elsewhere one line per property, so long runs show progress."""
    if stream.isatty():
        from rich.progress import Progress as Bar

        with Bar(transient=True) as bar:
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
            stream.write(f"checked {name}\n")
            stream.flush()

    yield lines


def _schema(args: argparse.Namespace, out: TextIO) -> Exit:
    from .policy.schema import write_schema

    _emit(write_schema(args.schema_kind), args.output, out)
    return Exit.OK


def _diff(args: argparse.Namespace, out: TextIO) -> Exit:
    from .analysis.diff import impact, resolve_side
    from .reports.diff import diff_to_json, render_diff

    default = load_pack(_packs(args.policies))
    base = resolve_side(args.base, default, origin="--base")
    new = resolve_side(args.new, default, origin="--new")
    data = load_dataset(args.data or bundled_dataset())
    year = args.year if args.year is not None else data.covers.end.year
    result = impact(base, new, data, year, engine=args.engine)
    _emit(diff_to_json(result) if args.format == "json" else render_diff(result), args.output, out)
    return Exit.OK


def _generate(args: argparse.Namespace, err: TextIO) -> Exit:
    from .data.generate import generate, write_dataset

    data = generate(scale=args.scale, seed=args.seed, year=args.year)
    write_dataset(args.output, data)
    counts = {name: len(data[name]) for name in ("units", "members", "events")}
    err.write(f"wrote {args.output}: {counts['units']} units, {counts['members']} members, "
              f"{counts['events']} events\n")
    return Exit.OK


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit code (never raises for bad input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    try:
        with redirect_stdout(out), redirect_stderr(err):  # argparse writes usage and help itself
            args = parser.parse_args(argv)
    except SystemExit as stop:
        return Exit.USAGE if stop.code else Exit.OK
    try:
        if args.command == "evaluate":
            return _evaluate(args, out, err)
        if args.command == "validate":
            return _validate(args, out)
        if args.command == "explain":
            return _explain(args, out)
        if args.command == "diff":
            return _diff(args, out)
        if args.command == "test":
            return _test(args, out)
        if args.command == "schema":
            return _schema(args, out)
        if args.command == "check":
            return _check(args, out, err)
        return _generate(args, err)
    except (PolicyError, DataError) as error:
        label = "错误" if args.lang == "zh" else "error"
        err.write(f"{label}: {error.render(args.lang)}\n")
        return Exit.INVALID
    except EngineError as error:
        err.write(f"engine error: {error}\n")
        return Exit.ENGINE
    except OSError as error:
        err.write(f"error: {error}\n")
        return Exit.INVALID


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
