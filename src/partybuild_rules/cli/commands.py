"""The commands, one function each: read the arguments, call the public API, write the result.
Each returns its exit code; problems are raised and rendered by :func:`partybuild_rules.cli.main`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, TextIO

from ..analysis.explain import AmbiguousSubject, explain_subject
from ..data.datasets import LEDGER_SUFFIXES, load_dataset, located
from ..data.resources import bundled_dataset, bundled_pack
from ..domain.errors import DataError, PolicyError, Problem
from ..domain.messages import translate
from ..domain.model import Dataset
from ..evaluation.evaluator import Evaluator
from ..policy.pack import Pack, load_pack
from ..reports.text import summary, to_csv, to_json
from .arguments import Exit, UsageError, UsageProblem, needs_output, pairs, reading_limits, spread, writable
from .terminal import atomically, check_progress, emit, evaluation_progress, show_warnings, words, working

__all__ = ["COMMANDS"]

Command = Callable[[argparse.Namespace, TextIO, TextIO], Exit]


def packs_or_bundled(refs: list[str] | None) -> list[str | Path]:
    """The packs named on the command line, or the bundled one."""
    return list(refs) if refs else [bundled_pack()]


def load_inputs(args: argparse.Namespace, err: TextIO | None = None, compact: bool = False) -> tuple[Pack, Dataset, int]:
    pack = load_pack(packs_or_bundled(args.policies), overrides=args.overrides_file)
    if args.overrides:
        try:
            pack = pack.with_overrides(pairs(args.overrides), origin="--set")
        except PolicyError as error:  # a wrong name or value on the command line
            raise UsageError(error.problems) from None
    data = read_data(args, args.data or bundled_dataset(), err, pack, compact)
    known_tiers(args, args.data or bundled_dataset(), pack, data)
    year = args.year if args.year is not None else data.covers.end.year
    return pack, data, year


def known_tiers(args: argparse.Namespace, path: Path, pack: Pack, data: Dataset) -> None:
    """Refuse a rating whose tier the pack does not know (as evaluating would), pointing at the
    file, line and column (sheet, row and cell) it was read from."""
    from ..evaluation.crosscheck import rating_tier_problems

    problems = rating_tier_problems(pack, data)
    if problems:
        raise DataError(located(path, problems, pack, reading_limits(args)))


def read_data(
    args: argparse.Namespace, path: Path, err: TextIO | None, pack: Pack | None = None, compact: bool = False
) -> Dataset:
    with working(args, err, words(args, f"读取数据 {path.name}", f"reading {path.name}")):
        return load_dataset(path, pack if pack is not None else (), limits=reading_limits(args), compact=compact)


def evaluate(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    writable(args.output)
    writable(args.audit, "--audit")
    needs_output(args)
    spread(args)
    # the events are held compactly (docs/scale.md); partitions are written from them as they are
    pack, data, year = load_inputs(args, err, compact=True)
    evaluator = Evaluator(pack, args.engine)
    try:
        with evaluation_progress(args, err) as progress:
            result = evaluator.evaluate(data, year, progress, jobs=args.jobs, dask=args.dask)
    finally:
        evaluator.close()
    show_warnings(result, args.lang, err)
    if args.audit is not None:
        from ..analysis.audit import append_record, record_of

        append_record(args.audit, record_of(
            result, pack, pack.path, args.data or bundled_dataset(),
            args.overrides_file,
        ))
    lang = args.lang
    if args.format in ("xlsx", "html"):
        from ..reports.html import write_result_html
        from ..reports.xlsx import write_result_xlsx

        with working(args, err, words(args, f"写入 {args.output.name}", f"writing {args.output.name}")):
            if args.format == "xlsx":
                atomically(args.output, lambda path: write_result_xlsx(path, result, pack, lang))
            else:
                atomically(args.output, lambda path: write_result_html(path, result, pack, data, lang))
    elif args.format == "json":
        emit(to_json(result), args.output, out)
    elif args.format == "csv":
        emit(to_csv(result), args.output, out)
    else:
        emit(summary(result, pack, lang=lang), args.output, out)
    if args.output is not None and not args.quiet:
        err.write(words(args, f"已写入 {len(result.outcomes)} 项结果：{args.output}",
                         f"wrote {len(result.outcomes)} outcomes to {args.output}") + "\n")
    return Exit.OK


def replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..analysis.audit import replay

    checks = replay(args.audit_file)
    for check in checks:
        out.write(check.render(args.lang) + "\n")
    return Exit.OK if all(check.matches for check in checks) else Exit.INVALID


def validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    pack = load_pack(packs_or_bundled(args.pack))
    Evaluator(pack, args.engine).close()  # compiling checks what only the engine can check (limits, bounds)
    out.write(words(args, f"通过：政策包 `{pack.name}` {pack.version}，{len(pack.rules)} 条规则，"
                           f"{len(pack.parameters)} 个参数",
                     f"ok: pack `{pack.name}` {pack.version}: {len(pack.rules)} rules, "
                     f"{len(pack.parameters)} parameters") + "\n")
    if args.data is not None:
        data = read_data(args, args.data, err, pack)
        known_tiers(args, args.data, pack, data)
        out.write(words(args, f"通过：数据集 `{args.data}`，{len(data.units)} 个驻区单位，"
                               f"{len(data.members)} 名党员，{len(data.events)} 个事件",
                         f"ok: dataset `{args.data}`: {len(data.units)} units, {len(data.members)} members, "
                         f"{len(data.events)} events") + "\n")
    return Exit.OK


def write_ledger_template(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..data.sheets import ledger_schema
    from ..data.template import write_template
    from ..policy.pack import declarations_for

    writable(args.output, suffixes=LEDGER_SUFFIXES)
    packs = [load_pack(args.policies)] if args.policies is not None else []
    declared, problems = declarations_for(packs)
    if problems:
        raise PolicyError(problems)
    atomically(args.output, lambda path: write_template(path, ledger_schema(declared)))
    if not args.quiet:
        err.write(words(args, f"已写入台账模板：{args.output}", f"wrote the ledger template {args.output}") + "\n")
    return Exit.OK


def convert(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..data.convert import write_dataset_file

    writable(args.output)
    data = read_data(args, args.source, err)
    with working(args, err, words(args, f"写入 {args.output.name}", f"writing {args.output.name}")):
        atomically(args.output, lambda path: write_dataset_file(path, data))
    if not args.quiet:
        err.write(words(args, f"已写入 {args.output}：{len(data.events)} 个事件",
                         f"wrote {args.output}: {len(data.events)} events") + "\n")
    return Exit.OK


def warn(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..analysis.warnings import early_warnings
    from ..reports.warnings import warnings_csv, warnings_html, warnings_json, warnings_table, warnings_xlsx

    writable(args.output)
    needs_output(args)
    if args.within is not None and args.within < 0:  # a command-line mistake: refused before any work
        raise UsageProblem(Problem(f"`--within {args.within}` must not be negative", None, "usage"))
    pack, data, _ = load_inputs(args, err)
    as_of = args.as_of or data.covers.end
    report = early_warnings(pack, data, as_of, within_days=args.within, engine=args.engine)
    lang = args.lang
    if args.format == "xlsx":
        atomically(args.output, lambda path: warnings_xlsx(path, report, lang))
    elif args.format == "html":
        emit(warnings_html(report, lang), args.output, out)
    elif args.format == "json":
        emit(warnings_json(report), args.output, out)
    elif args.format == "csv":
        emit(warnings_csv(report, lang), args.output, out)
    else:
        emit(warnings_table(report, lang), args.output, out)
    return Exit.OK


def explain(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    pack, data, year = load_inputs(args)
    evaluator = Evaluator(pack, args.engine)
    try:
        explanation = explain_subject(evaluator, data, year, args.subject)
    except AmbiguousSubject as error:
        raise UsageError(error.problems) from None
    finally:
        evaluator.close()
    if args.format == "json":
        out.write(explanation.model_dump_json(indent=2) + "\n")
    else:
        out.write(explanation.to_text() + "\n")
    return Exit.OK


def run_tests(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..analysis.pack_tests import render_test_report, run_pack_tests

    report = run_pack_tests(load_pack(packs_or_bundled(args.pack)), select=args.case, engine=args.engine)
    out.write(render_test_report(report, args.lang) + "\n")
    return Exit.OK if report.ok else Exit.INVALID


def run_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    try:
        from ..testing.check import DEFAULT_EXAMPLES, render_report, run_checks
    except ImportError as error:  # hypothesis is a test extra
        err.write(words(args, f"错误: 规则一致性检查需要测试依赖（{error}）：请运行 pip install 'partybuild-rules[test]'",
                         f"error: the consistency check needs the test extra ({error}): "
                         "pip install 'partybuild-rules[test]'") + "\n")
        return Exit.USAGE
    pack = load_pack(packs_or_bundled(args.pack))
    examples = args.max_examples if args.max_examples is not None else DEFAULT_EXAMPLES
    with check_progress(args, err) as progress:
        try:
            report = run_checks(pack, max_examples=examples, seconds=args.seconds, seed=args.seed,
                                progress=progress, only=args.only, engine=args.engine)
        except ValueError as error:  # an unknown --only name
            err.write(words(args, "错误", "error") + f": {translate(str(error), args.lang)}\n")
            return Exit.USAGE
    out.write(render_report(report))
    return Exit.OK if report.ok else Exit.INVALID


def print_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..policy.schema import write_schema

    writable(args.output)
    emit(write_schema(args.schema_kind), args.output, out)
    return Exit.OK


def show_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..analysis.diff import impact, resolve_side
    from ..reports.diff import diff_to_json, render_diff

    writable(args.output)
    default = load_pack(packs_or_bundled(args.policies))
    base = resolve_side(args.base, default, origin="--base")
    new = resolve_side(args.new, default, origin="--new")
    data = read_data(args, args.data or bundled_dataset(), None)
    for side in (base, new):
        known_tiers(args, args.data or bundled_dataset(), side, data)
    year = args.year if args.year is not None else data.covers.end.year
    result = impact(base, new, data, year, engine=args.engine)
    emit(diff_to_json(result) if args.format == "json" else render_diff(result), args.output, out)
    return Exit.OK


def write_generated(args: argparse.Namespace, out: TextIO, err: TextIO) -> Exit:
    from ..data.generate import generate, write_dataset

    # a generated dataset is JSON (also read as YAML); an Excel ledger is made from it by `convert`
    writable(args.output, suffixes=(".json", ".yaml", ".yml"))
    data = generate(scale=args.scale, seed=args.seed, year=args.year)
    atomically(args.output, lambda path: write_dataset(path, data))
    counts = {name: len(data[name]) for name in ("units", "members", "events")}
    if not args.quiet:
        err.write(words(args, f"已写入 {args.output}：{counts['units']} 个驻区单位，{counts['members']} 名党员，"
                               f"{counts['events']} 个事件",
                         f"wrote {args.output}: {counts['units']} units, {counts['members']} members, "
                         f"{counts['events']} events") + "\n")
    return Exit.OK


COMMANDS: dict[str, Command] = {
    "evaluate": evaluate,
    "validate": validate,
    "warn": warn,
    "template": write_ledger_template,
    "convert": convert,
    "explain": explain,
    "diff": show_diff,
    "test": run_tests,
    "schema": print_schema,
    "check": run_check,
    "replay": replay,
    "generate": write_generated,
}
"""Each subcommand's function, called as ``command(args, out, err)``."""
