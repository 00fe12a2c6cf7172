"""The command line: a thin layer over the public API. ``main(argv)`` returns an exit code."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import fields, replace
from datetime import date
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from enum import IntEnum
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TextIO

from . import __version__
from .analysis.explain import AmbiguousSubject, explain_subject
from .data.datasets import load_dataset
from .data.resources import bundled_dataset, bundled_pack
from .domain.errors import DataError, EngineError, PolicyError, Problem
from .domain.messages import render_header
from .domain.model import Dataset
from .evaluation.engines.base import ENGINES, ENV_VAR
from .evaluation.evaluator import Evaluator, Progress
from .policy.limits import DEFAULT_LIMITS, Limits
from .policy.loader import suggestion
from .policy.pack import Pack, load_pack
from .reports.text import summary, to_csv, to_json

__all__ = ["main", "Exit"]


class Exit(IntEnum):
    OK = 0
    INVALID = 1  # the policy or the data has problems (all listed)
    USAGE = 2  # the command line itself is wrong
    ENGINE = 3  # the rules engine failed; no outcome is reported
    INTERRUPTED = 130  # Ctrl-C: stopped, nothing half-written


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
    common.add_argument("--quiet", action="store_true", default=False,
                        help="no progress bars or status lines (they are shown only on a terminal anyway)")

    engine = argparse.ArgumentParser(add_help=False)
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
    warn.add_argument("--as-of", dest="as_of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
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
    return parser


_PACKS_HELP = ("policy pack: a folder, or pkg:NAME for an installed pack package; repeat to evaluate "
               "several packs together (default: the bundled Tongjiang pack)")


def _packs(refs: list[str] | None) -> list[str | Path]:
    """The packs named on the command line, or the bundled one."""
    return list(refs) if refs else [bundled_pack()]


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


def _writable(output: Path | None) -> None:
    """Refuse an output file whose folder does not exist before any work is done."""
    if output is not None and not output.parent.is_dir():
        raise UsageError([Problem(f"folder `{output.parent}` of `--output {output}` does not exist",
                                  None, "usage", "create the folder first, or write elsewhere")])


def _pairs(items: list[str]) -> dict[str, str]:
    result = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError([_usage_problem(f"`--set {item}` is not NAME=VALUE")])
        result[name.strip()] = value.strip()
    return result


def _usage_problem(message: str) -> Problem:
    return Problem(message, None, "usage", "write it as --set name=value")


def _load(args: argparse.Namespace, err: TextIO | None = None, compact: bool = False) -> tuple[Pack, Dataset, int]:
    pack = load_pack(_packs(args.policies), overrides=args.overrides_file)
    if args.overrides:
        try:
            pack = pack.with_overrides(_pairs(args.overrides), origin="--set")
        except PolicyError as error:  # a wrong name or value on the command line
            raise UsageError(error.problems) from None
    data = _read_data(args, args.data or bundled_dataset(), err, pack, compact)
    year = args.year if args.year is not None else data.covers.end.year
    return pack, data, year


def _live(args: argparse.Namespace, stream: TextIO | None) -> bool:
    """Progress bars and status lines: on a terminal, unless ``--quiet``."""
    return stream is not None and stream.isatty() and not getattr(args, "quiet", False)


def _read_data(
    args: argparse.Namespace, path: Path, err: TextIO | None, pack: Pack | None = None, compact: bool = False
) -> Dataset:
    with _working(args, err, _words(args, f"读取数据 {path.name}", f"reading {path.name}")):
        return load_dataset(path, pack if pack is not None else (), limits=_limits(args), compact=compact)


def _limits(args: argparse.Namespace) -> Limits:
    """The reading limits, with those ``--limit NAME=N`` raises (or lowers)."""
    given: dict[str, int] = {}
    names = [f.name for f in fields(Limits)]
    for text in getattr(args, "limits", None) or []:
        name, _, value = text.partition("=")
        name = name.strip()
        if name not in names:
            raise _Usage(Problem(f"`--limit {text}`: no limit is called `{name}`", None, "usage",
                                 suggestion(name, names) or "limits: " + ", ".join(names)))
        try:
            given[name] = int(value.strip())
        except ValueError:
            raise _Usage(Problem(f"`--limit {text}`: the value must be a whole number", None, "usage",
                                 f"e.g. --limit {name}={getattr(DEFAULT_LIMITS, name) * 2}")) from None
    try:
        return replace(DEFAULT_LIMITS, **given)
    except ValueError as error:
        raise _Usage(Problem(f"`--limit`: {error}", None, "usage")) from None


@contextmanager
def _working(args: argparse.Namespace, err: TextIO | None, label: str) -> Iterator[None]:
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


def _words(args: argparse.Namespace, zh: str, en: str) -> str:
    return en if getattr(args, "lang", "zh") == "en" else zh


@contextmanager
def _progress(args: argparse.Namespace, stream: TextIO) -> Iterator[Progress | None]:
    if not _live(args, stream):
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    label = _words(args, "评估", "evaluating")
    with Bar(console=Console(file=stream), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def report(stage: str, done: int, total: int) -> None:
            stage_text = stage.replace("stage ", _words(args, "阶段 ", "stage ")).replace(
                "partitions", _words(args, "分区", "partitions")).replace(
                "second round", _words(args, "分区第二轮", "second round"))
            bar.update(task, description=f"{label}（{stage_text}）", completed=done, total=total)

        yield report


def _emit(text: str, output: Path | None, out: TextIO) -> None:
    if output is None:
        out.write(text if text.endswith("\n") else text + "\n")
    else:
        _atomically(output, lambda path: _write_text(path, text))


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _atomically(output: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary file beside ``output`` and rename it: an interrupted run (Ctrl-C)
    leaves no partial file, and an existing file is replaced only by a whole new one."""
    handle, name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        write(temporary)
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)


class _Usage(Exception):
    """A command line that parses but cannot be carried out (exit 2)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _needs_output(args: argparse.Namespace) -> None:
    if args.format in ("xlsx", "html") and args.output is None:
        raise _Usage(Problem(f"`--format {args.format}` needs `--output FILE`", None, "usage",
                             f"add e.g. --output result.{args.format}"))


def _spread(args: argparse.Namespace) -> None:
    """Refuse ``--jobs`` with ``--dask``, and ``--dask`` without the package, before any work."""
    if args.dask is None:
        return
    if args.jobs > 1:
        raise _Usage(Problem("give `--jobs` or `--dask`, not both", None, "usage",
                             "--jobs N uses this machine's processors, --dask ADDRESS a cluster's"))
    import importlib.util

    if importlib.util.find_spec("distributed") is None:
        raise _Usage(Problem("`--dask` needs the Dask distributed package, which is not installed", None, "usage",
                             "pip install 'partybuild-rules[dask]'"))


def _evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    _writable(args.output)
    _writable(args.audit)
    _needs_output(args)
    _spread(args)
    # the events are held compactly (docs/scale.md); partitions are written from them as they are
    pack, data, year = _load(args, err, compact=True)
    evaluator = Evaluator(pack, args.engine)
    try:
        with _progress(args, err) as progress:
            result = evaluator.evaluate(data, year, progress, jobs=args.jobs, dask=args.dask)
    finally:
        evaluator.close()
    _show_warnings(result, args.lang, err)
    if args.audit is not None:
        from .analysis.audit import append_record, record_of

        append_record(args.audit, record_of(
            result, pack, pack.path, args.data or bundled_dataset(),
            args.overrides_file,
        ))
    lang = args.lang
    if args.format in ("xlsx", "html"):
        from .reports.html import write_result_html
        from .reports.xlsx import write_result_xlsx

        with _working(args, err, _words(args, f"写入 {args.output.name}", f"writing {args.output.name}")):
            if args.format == "xlsx":
                _atomically(args.output, lambda path: write_result_xlsx(path, result, pack, lang))
            else:
                _atomically(args.output, lambda path: write_result_html(path, result, pack, data, lang))
    elif args.format == "json":
        _emit(to_json(result), args.output, out)
    elif args.format == "csv":
        _emit(to_csv(result), args.output, out)
    else:
        _emit(summary(result, pack, lang=lang), args.output, out)
    if args.output is not None and not args.quiet:
        err.write(_words(args, f"已写入 {len(result.outcomes)} 项结果：{args.output}",
                         f"wrote {len(result.outcomes)} outcomes to {args.output}") + "\n")
    return Exit.OK


MAX_WARNINGS_SHOWN = 20


def _show_warnings(result: Any, lang: str, err: TextIO) -> None:
    """Warnings on stderr: legal but suspicious data (the first few, then a count)."""
    from .domain.messages import translate

    label = "警告" if lang == "zh" else "warning"
    for notice in result.warnings[:MAX_WARNINGS_SHOWN]:
        err.write(f"{label}: {translate(notice.message, lang)}\n")  # type: ignore[arg-type]
    more = len(result.warnings) - MAX_WARNINGS_SHOWN
    if more > 0:
        err.write(f"{label}: 另有 {more} 条警告\n" if lang == "zh" else f"{label}: {more} more warnings\n")


def _replay(args: argparse.Namespace, out: TextIO) -> Exit:
    from .analysis.audit import replay

    checks = replay(args.audit_file)
    for check in checks:
        out.write(check.render(args.lang) + "\n")
    return Exit.OK if all(check.matches for check in checks) else Exit.INVALID


def _validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    pack = load_pack(_packs(args.pack))
    Evaluator(pack, args.engine).close()  # compiling checks what only the engine can check (limits, bounds)
    out.write(_words(args, f"通过：政策包 `{pack.name}` {pack.version}，{len(pack.rules)} 条规则，"
                           f"{len(pack.parameters)} 个参数",
                     f"ok: pack `{pack.name}` {pack.version}: {len(pack.rules)} rules, "
                     f"{len(pack.parameters)} parameters") + "\n")
    if args.data is not None:
        from .evaluation.crosscheck import rating_tier_problems

        data = _read_data(args, args.data, err, pack)
        tier_problems = rating_tier_problems(pack, data)
        if tier_problems:
            raise DataError(tier_problems)
        out.write(_words(args, f"通过：数据集 `{args.data}`，{len(data.units)} 个驻区单位，"
                               f"{len(data.members)} 名党员，{len(data.events)} 个事件",
                         f"ok: dataset `{args.data}`: {len(data.units)} units, {len(data.members)} members, "
                         f"{len(data.events)} events") + "\n")
    return Exit.OK


def _template(args: argparse.Namespace, err: TextIO) -> Exit:
    from .data.template import write_template

    from .data.sheets import ledger_schema
    from .policy.pack import declarations_for

    packs = [load_pack(args.policies)] if args.policies is not None else []
    declared, problems = declarations_for(packs)
    if problems:
        raise PolicyError(problems)
    write_template(args.output, ledger_schema(declared))
    if not args.quiet:
        err.write(_words(args, f"已写入台账模板：{args.output}", f"wrote the ledger template {args.output}") + "\n")
    return Exit.OK


def _convert(args: argparse.Namespace, err: TextIO) -> Exit:
    from .data.convert import write_dataset_file

    data = _read_data(args, args.source, err)
    with _working(args, err, _words(args, f"写入 {args.output.name}", f"writing {args.output.name}")):
        write_dataset_file(args.output, data)
    if not args.quiet:
        err.write(_words(args, f"已写入 {args.output}：{len(data.events)} 个事件",
                         f"wrote {args.output}: {len(data.events)} events") + "\n")
    return Exit.OK


def _warn(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from .analysis.warnings import early_warnings
    from .reports.warnings import warnings_csv, warnings_html, warnings_json, warnings_table, warnings_xlsx

    _needs_output(args)
    pack, data, _ = _load(args, err)
    as_of = args.as_of or data.covers.end
    report = early_warnings(pack, data, as_of, within_days=args.within, engine=args.engine)
    lang = args.lang
    if args.format == "xlsx":
        warnings_xlsx(args.output, report, lang)
    elif args.format == "html":
        Path(args.output).write_text(warnings_html(report, lang), encoding="utf-8")
    elif args.format == "json":
        _emit(warnings_json(report), args.output, out)
    elif args.format == "csv":
        _emit(warnings_csv(report, lang), args.output, out)
    else:
        _emit(warnings_table(report, lang), args.output, out)
    return Exit.OK


def _explain(args: argparse.Namespace, out: TextIO) -> Exit:
    pack, data, year = _load(args)
    evaluator = Evaluator(pack, args.engine)
    try:
        explanation = explain_subject(evaluator, data, year, args.subject)
    except AmbiguousSubject as error:
        raise UsageError([Problem(
            f"`{args.subject}` names {len(error.candidates)} subjects: "
            + "; ".join(f"{c[0]} ({c[2]}, {c[3]})" for c in error.candidates),
            None, "ambiguous-subject", "give one of these ids instead of the name",
        )]) from None
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
        err.write(_words(args, f"错误: 规则一致性检查需要测试依赖（{error}）：请运行 pip install 'partybuild-rules[test]'",
                         f"error: the consistency check needs the test extra ({error}): "
                         "pip install 'partybuild-rules[test]'") + "\n")
        return Exit.USAGE
    pack = load_pack(_packs(args.pack))
    examples = args.max_examples if args.max_examples is not None else DEFAULT_EXAMPLES
    with _check_progress(args, err) as progress:
        try:
            report = run_checks(pack, max_examples=examples, seconds=args.seconds, seed=args.seed,
                                progress=progress, only=args.only, engine=args.engine)
        except ValueError as error:  # an unknown --only name
            err.write(_words(args, "错误", "error") + f": {error}\n")
            return Exit.USAGE
    out.write(render_report(report))
    return Exit.OK if report.ok else Exit.INVALID


@contextmanager
def _check_progress(args: argparse.Namespace, stream: TextIO) -> Iterator[Callable[[str, int, int], None]]:
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
            stream.write(_words(args, f"已检查 {name}", f"checked {name}") + "\n")
            stream.flush()

    yield lines


def _schema(args: argparse.Namespace, out: TextIO) -> Exit:
    from .policy.schema import write_schema

    _writable(args.output)

    _emit(write_schema(args.schema_kind), args.output, out)
    return Exit.OK


def _diff(args: argparse.Namespace, out: TextIO) -> Exit:
    from .analysis.diff import impact, resolve_side
    from .reports.diff import diff_to_json, render_diff

    default = load_pack(_packs(args.policies))


    _writable(args.output)

    default = load_pack(args.policies or bundled_pack())
    base = resolve_side(args.base, default, origin="--base")
    new = resolve_side(args.new, default, origin="--new")
    data = _read_data(args, args.data or bundled_dataset(), None)
    year = args.year if args.year is not None else data.covers.end.year
    result = impact(base, new, data, year, engine=args.engine)
    _emit(diff_to_json(result) if args.format == "json" else render_diff(result), args.output, out)
    return Exit.OK


def _generate(args: argparse.Namespace, err: TextIO) -> Exit:
    from .data.generate import generate, write_dataset

    _writable(args.output)
    data = generate(scale=args.scale, seed=args.seed, year=args.year)
    _atomically(args.output, lambda path: write_dataset(path, data))
    counts = {name: len(data[name]) for name in ("units", "members", "events")}
    if not args.quiet:
        err.write(_words(args, f"已写入 {args.output}：{counts['units']} 个驻区单位，{counts['members']} 名党员，"
                               f"{counts['events']} 个事件",
                         f"wrote {args.output}: {counts['units']} units, {counts['members']} members, "
                         f"{counts['events']} events") + "\n")
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
            return _validate(args, out, err)
        if args.command == "warn":
            return _warn(args, out, err)
        if args.command == "template":
            return _template(args, err)
        if args.command == "convert":
            return _convert(args, err)
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
        if args.command == "replay":
            return _replay(args, out)
        return _generate(args, err)
    except _Usage as usage:
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
    except OSError as error:
        err.write(("错误" if args.lang == "zh" else "error") + f": {error}\n")
        return Exit.INVALID


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
