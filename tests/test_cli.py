"""The command line: ``main(argv, out, err)`` returns an exit code and never raises for bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import pytest

from partybuild_rules import (
    EngineError,
    Pack,
    Result,
    bundled_pack,
    evaluate,
    load_dataset,
)
from partybuild_rules.cli import Exit, main
from partybuild_rules.data.generate import write_dataset


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def default_run(engine: str) -> tuple[int, str, str]:
    return run("evaluate")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory, community_subset: Callable[[list[str]], Any]) -> str:
    """A two-community dataset file (it has R1, R7 and A1 outcomes): quicker than the example."""
    path = tmp_path_factory.mktemp("small") / "small.json"
    write_dataset(path, community_subset(["C02", "C03"]))
    return str(path)


@pytest.fixture(scope="module")
def small_result(small: str, tongjiang_pack: Pack, engine: str) -> Result:
    return evaluate(tongjiang_pack, load_dataset(small), 2024)


@pytest.fixture(scope="module")
def json_run(small: str, engine: str) -> tuple[int, str, str]:
    return run("evaluate", "--format", "json", "--data", small)


# -- evaluate ------------------------------------------------------------------------------------


def test_evaluate_without_arguments(default_run: tuple[int, str, str], tongjiang_pack: Pack) -> None:
    code, out, err = default_run
    assert code == Exit.OK, err
    for title in ("各规则结果", "问责对象", "待遇经费合计", "各期合规问题"):
        assert title in out
    for rule in tongjiang_pack.rules:
        assert rule.id in out
    assert tongjiang_pack.title in out
    assert "Traceback" not in out + err


def test_evaluate_counts_match_the_library(default_run: tuple[int, str, str], example_result: Result) -> None:
    _, out, _ = default_run
    assert f"共 {len(example_result.outcomes)} 项结果" in out


def test_evaluate_json(json_run: tuple[int, str, str], small_result: Result) -> None:
    code, out, err = json_run
    assert code == Exit.OK, err
    document = json.loads(out)
    assert document["pack"] == "tongjiang" and document["year"] == 2024
    assert len(document["outcomes"]) == len(small_result.outcomes)
    allowances = [o for o in document["outcomes"] if o["kind"] == "allowance"]
    assert allowances
    for outcome in allowances:
        assert isinstance(outcome["amount"], str) and isinstance(outcome["full_amount"], str)
        assert Decimal(outcome["amount"]).as_tuple().exponent == -2
    a1 = [o for o in allowances if o["rule_id"] == "A1.committee-wage"]
    assert "3175.00" in {o["amount"] for o in a1}
    assert '"amount": "3175.00"' in out
    assert document["parameters"]["minimum_income"] == "1270.00"


def test_evaluate_json_round_trips_to_the_result(json_run: tuple[int, str, str], small_result: Result) -> None:
    _, out, _ = json_run
    assert Result.model_validate_json(out) == small_result


def test_evaluate_csv(small: str, small_result: Result) -> None:
    code, out, err = run("evaluate", "--format", "csv", "--data", small)
    assert code == Exit.OK, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0].startswith("kind,rule_id,subject_kind,subject")
    assert len(rows) == len(small_result.outcomes)
    assert {r["rule_id"] for r in rows} == {o.rule_id for o in small_result.outcomes}
    assert all(r["amount"] for r in rows if r["kind"] == "allowance")


def test_evaluate_output_file(tmp_path: Path, small: str, small_result: Result) -> None:
    target = tmp_path / "result.json"
    code, out, err = run("evaluate", "--format", "json", "--output", str(target), "--data", small)
    assert code == Exit.OK, err
    assert out == ""
    assert str(target) in err
    assert len(json.loads(target.read_text(encoding="utf-8"))["outcomes"]) == len(small_result.outcomes)


def test_set_changes_the_amounts(small: str) -> None:
    code, out, err = run("evaluate", "--format", "json", "--set", "minimum_income=1300.00", "--data", small)
    assert code == Exit.OK, err
    document = json.loads(out)
    a1 = [o for o in document["outcomes"] if o["rule_id"] == "A1.committee-wage"]
    full = [o for o in a1 if o["days_held"] == o["days_in_period"]]
    assert full and {o["amount"] for o in full} == {"3250.00"}
    assert {o["full_amount"] for o in a1} == {"3250.00"}
    assert all(o["provenance"]["parameters"]["minimum_income"] == "1300.00" for o in a1)
    assert document["parameters"]["minimum_income"] == "1300.00"


def test_overrides_file(tmp_path: Path, small: str) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("minimum_income: 1300.00\n", encoding="utf-8")
    code, out, err = run("evaluate", "--format", "json", "--overrides", str(path), "--data", small)
    assert code == Exit.OK, err
    assert json.loads(out)["parameters"]["minimum_income"] == "1300.00"


@pytest.mark.parametrize(
    ("argv", "lines"),
    [
        (["--set", "minimum_income=13x"], ["--set: parameter `minimum_income`: `13x` is not a decimal number"]),
        (
            ["--set", "minimum_incme=1300", "--set", "absence_months=0"],
            [
                "--set: parameter `absence_months`: `0` is below the minimum 1",
                "--set: unknown parameter `minimum_incme`",
                "  help: did you mean `minimum_income`?",
            ],
        ),
        (["--set", "oops"], ["`--set oops` is not NAME=VALUE", "  help: write it as --set name=value"]),
    ],
)
def test_bad_set_lists_each_problem(argv: list[str], lines: list[str]) -> None:
    """A wrong `--set` is a bad command line: exit 2, every problem listed."""
    code, out, err = run("evaluate", "--lang", "en", *argv)
    assert code == Exit.USAGE
    assert out == ""
    assert "Traceback" not in err
    reported = err.splitlines()
    assert reported[0].startswith("error: ")
    assert reported[1:] == lines


def test_huge_set_value_exits_2_without_a_traceback() -> None:
    code, out, err = run("evaluate", "--lang", "en", "--set", "minimum_income=1e30")
    assert code == Exit.USAGE
    assert "minimum_income" in err


def test_bad_set_in_chinese_by_default() -> None:
    code, out, err = run("evaluate", "--set", "absence_months=0", "--set", "minimum_incme=1")
    assert code == Exit.USAGE and out == ""
    assert err.splitlines() == [
        "错误: 命令行共有 2 处问题：",
        "--set: 参数 `absence_months`：`0` 小于最小值 1",
        "--set: 未知参数 `minimum_incme`",
        "  提示: 您是不是想写 `minimum_income`？",
    ]


def test_lang_before_the_command() -> None:
    code, _, err = run("--lang", "en", "evaluate", "--set", "absence_months=0")
    assert code == Exit.USAGE
    assert err.startswith("error: 1 problem in command line:")


# -- validate ------------------------------------------------------------------------------------


def test_validate_bundled_pack() -> None:
    code, out, err = run("validate")
    assert code == Exit.OK, err
    assert out.startswith("通过：政策包 `tongjiang`")
    assert run("--lang", "en", "validate")[1].startswith("ok: pack `tongjiang`")


def test_validate_with_data(example_data_path: Path) -> None:
    code, out, err = run("validate", "--data", str(example_data_path))
    assert code == Exit.OK, err
    assert "通过：数据集" in out


def test_validate_broken_pack_lists_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    reprimand = folder / "reprimand.yaml"
    text = reprimand.read_text(encoding="utf-8").replace("reaches: $absence_months", "reaches: $absense_months")
    reprimand.write_text(text, encoding="utf-8")
    allowance = folder / "allowance.yaml"
    text2 = allowance.read_text(encoding="utf-8").replace("    subject: community\n", "    subjct: community\n", 1)
    allowance.write_text(text2, encoding="utf-8")
    line = text[: text.index("$absense_months")].count("\n") + 1
    line2 = text2[: text2.index("subjct")].count("\n") + 1
    code, out, err = run("validate", str(folder), "--lang", "en")
    assert code == Exit.INVALID
    assert out == ""
    assert f"{allowance}:{line2}:5: unknown field `subjct`" in err
    assert f"{reprimand}:{line}:" in err and "unknown parameter `$absense_months`" in err
    assert "did you mean `absence_months`?" in err
    assert err.index(str(allowance)) < err.index(str(reprimand))
    assert "Traceback" not in err


def test_validate_broken_pack_in_chinese_shows_the_line(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    reprimand = folder / "reprimand.yaml"
    text = reprimand.read_text(encoding="utf-8").replace("reaches: $absence_months", "reaches: $absense_months")
    reprimand.write_text(text, encoding="utf-8")
    start = text.index("$absense_months")
    line = text[:start].count("\n") + 1
    column = start - text.rfind("\n", 0, start)
    code, out, err = run("validate", str(folder))
    assert code == Exit.INVALID and out == ""
    lines = err.splitlines()
    assert lines[0] == "错误: 政策包共有 1 处问题："
    assert lines[1] == f"{reprimand}:{line}:{column}: 未知参数 `$absense_months`"
    source_line = text.splitlines()[line - 1]
    assert lines[2] == f"  {line} | {source_line}"
    assert lines[3].endswith("| " + " " * (column - 1) + "^")
    assert lines[4] == "  提示: 您是不是想写 `absence_months`？"


# -- explain -------------------------------------------------------------------------------------


def test_explain_r1_unit(small: str, small_result: Result) -> None:
    outcomes = small_result.of_rule("R1.unit-interview")
    assert outcomes, "the example should have an R1 outcome"
    unit = outcomes[0]
    code, out, err = run("explain", unit.subject, "--data", small)
    assert code == Exit.OK, err
    assert "R1.unit-interview" in out
    assert unit.provenance.source in out
    assert unit.subject_name in out
    assert f"reprimand.yaml:{unit.provenance.line}" in out


def test_explain_json(small: str, small_result: Result) -> None:
    unit = small_result.of_rule("R1.unit-interview")[0]
    code, out, err = run("explain", unit.subject, "--format", "json", "--data", small)
    assert code == Exit.OK, err
    outcomes = json.loads(out)["outcomes"]
    assert outcomes and {o["subject"] for o in outcomes} == {unit.subject}
    assert "R1.unit-interview" in {o["rule_id"] for o in outcomes}


def test_explain_unknown_subject_suggests(small: str, small_result: Result) -> None:
    unit = small_result.of_rule("R1.unit-interview")[0].subject  # e.g. U0048
    typo = unit.replace("0", "O", 1)  # a letter O for a zero
    code, out, err = run("explain", typo, "--data", small, "--lang", "en")
    assert code == Exit.INVALID
    assert out == ""
    assert f"no member, unit or community `{typo}` in the dataset" in err
    assert "help: did you mean `" in err
    assert "Traceback" not in err


# -- bad input -----------------------------------------------------------------------------------


def test_missing_data_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    code, out, err = run("evaluate", "--data", str(missing), "--lang", "en")
    assert code == Exit.INVALID
    assert out == ""
    assert f"file not found: `{missing}`" in err
    assert "Traceback" not in err


def test_missing_pack_folder(tmp_path: Path) -> None:
    code, _, err = run("evaluate", "--policies", str(tmp_path / "nopack"), "--lang", "en")
    assert code == Exit.INVALID
    assert "file not found" in err


def test_usage_error_exits_2() -> None:
    assert run("bogus")[0] == Exit.USAGE
    assert run("evaluate", "--format", "xml")[0] == Exit.USAGE


def test_usage_error_is_written_to_err(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run("evaluate", "--format", "xml")
    assert code == Exit.USAGE and out == ""
    assert "参数 --format：无效的取值 'xml'" in err


def test_engine_error_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    from partybuild_rules.evaluation.evaluator import Evaluator

    def fail(self: object, *args: object, **kwargs: object) -> None:
        raise EngineError("the engine refused a fact as already seen")

    monkeypatch.setattr(Evaluator, "evaluate", fail)
    code, out, err = run("evaluate")
    assert code == Exit.ENGINE
    assert out == ""
    assert err.startswith("规则引擎错误: the engine refused")
    assert run("--lang", "en", "evaluate")[2].startswith("engine error: the engine refused")


def test_generate_writes_a_loadable_dataset(tmp_path: Path) -> None:
    target = tmp_path / "generated.json"
    code, _, err = run("generate", "--output", str(target))
    assert code == Exit.OK, err
    code, out, err = run("validate", "--data", str(target))
    assert code == Exit.OK, err


# -- console script --------------------------------------------------------------------------------


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("partybuild-rules")
    if script.exists():
        return [str(script)]
    found = shutil.which("partybuild-rules")
    if found:
        return [found]
    pytest.skip("the partybuild-rules console script is not installed")


def test_console_script_from_another_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    done = subprocess.run(
        [*_console_script(), "evaluate"], cwd=tmp_path, capture_output=True, text=True, encoding="utf-8",
        env=env, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "A1.committee-wage" in done.stdout and "各规则结果" in done.stdout


def test_a_year_outside_the_recorded_dates_is_an_error() -> None:
    """Evaluating a year the dataset does not cover says so (exit 1) instead of reporting nothing."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["--lang", "en", "evaluate", "--year", "2030"], out, err) == 1
    assert "year 2030 is outside the recorded dates 2023-07-01..2024-12-31" in err.getvalue()
