"""The open policy language: each construct's semantics at its edges, and each new kind of
mistake refused with its position (file:line:column) and a hint.

Packs are written into a temporary folder from short YAML texts; expected outcomes are worked
out by hand in each test from the construct's documented meaning."""

from __future__ import annotations

import json
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partybuild_rules import DataError, Dataset, Pack, PolicyError, evaluate, load_dataset, load_pack

MANIFEST = """\
pack: demo
title: 示例
version: "1"
effective: {{from: "2020-01-01"}}
rule_files: [rules.yaml]
{extra}
"""


def write_pack(tmp_path: Path, rules: str, extra: str = "") -> Path:
    folder = tmp_path / "demo"
    folder.mkdir(exist_ok=True)
    (folder / "pack.yaml").write_text(MANIFEST.format(extra=textwrap.dedent(extra)), encoding="utf-8")
    (folder / "rules.yaml").write_text(textwrap.dedent(rules), encoding="utf-8")
    return folder


def policy_problems(folder: Path) -> list[Any]:
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    return list(caught.value.problems)


def line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text.count("\n", 0, text.index(needle)) + 1


def city(members: list[dict[str, Any]], events: list[dict[str, Any]] = (), covers: tuple[str, str] = (  # type: ignore[assignment]
        "2024-01-01", "2024-12-31")) -> Dataset:
    return Dataset.model_validate({
        "covers": {"start": covers[0], "end": covers[1]},
        "communities": [{"id": "C1", "name": "东江社区"}],
        "units": [{"id": "U1", "name": "同江市财政局", "community": "C1"}],
        "members": [{"residence_community": "C1", "unit": "U1", "name": m["id"], **m} for m in members],
        "events": list(events),
    })


ATTRIBUTES = """\
attributes:
  member:
    income: {type: money, personal: true}
    category: {type: {one_of: [在职, 学生]}}
event_types:
  award:
    title: 加分
    fields:
      member: {type: {ref: member}, required: true}
      points: {type: integer, required: true}
parameters:
  rates:
    title: 比例
    type: table
    monotone: increasing
    bands:
      - {max: "100.00", value: "0.1"}
      - {above: "100.00", value: "0.2"}
"""


# -- composable conditions -------------------------------------------------------------------


def test_any_not_and_between_over_counts_and_sums(tmp_path: Path) -> None:
    """`any` of two measures, `not` of a count and `between` (inclusive at both ends) combine
    as written: M1 (points 5, one award) fires by the sum between 5 and 9; M2 (points 10) by no
    measure; M3 (no award) by `not` at least one award."""
    folder = write_pack(tmp_path, """\
        rules:
          - id: X1.combined
            title: 组合
            kind: reprimand
            subject: member
            when:
              any:
                - sum: {events: {type: award}, field: points, between: [5, 9]}
                - not: {count: {events: {type: award}, at_least: 1}}
            per: year
            then: [{measure: 谈话}]
            source: 示例
        """, ATTRIBUTES)
    pack = load_pack(folder)
    data = city([{"id": "M1"}, {"id": "M2"}, {"id": "M3"}], [
        {"id": "A1", "date": "2024-03-01", "type": "award", "member": "M1", "points": 5},
        {"id": "A2", "date": "2024-03-01", "type": "award", "member": "M2", "points": 10},
    ])
    fired = {o.subject for o in evaluate(pack, data, 2024).outcomes}
    assert fired == {"M1", "M3"}


def test_attribute_tests_and_a_value_not_recorded(tmp_path: Path) -> None:
    """`attribute` compares a declared attribute; a value not recorded satisfies neither the test
    nor its `not`; `recorded: false` finds it."""
    folder = write_pack(tmp_path, """\
        rules:
          - id: X1.high
            title: 高
            kind: reprimand
            subject: member
            when: {attribute: {name: income, at_least: "100.01"}}
            per: year
            then: [{measure: 高}]
            source: 示例
          - id: X2.not-high
            title: 不高
            kind: reprimand
            subject: member
            when: {not: {attribute: {name: income, at_least: "100.01"}}}
            per: year
            then: [{measure: 不高}]
            source: 示例
          - id: X3.unrecorded
            title: 未登记
            kind: compliance
            subject: member
            when: {attribute: {name: income, recorded: false}}
            per: year
            finding: 未登记
            source: 示例
        """, ATTRIBUTES)
    data = city([{"id": "M1", "attributes": {"income": "100.01"}}, {"id": "M2", "attributes": {"income": "100.00"}},
                 {"id": "M3"}])
    result = evaluate(load_pack(folder), data, 2024)
    by_rule = {rule: {o.subject for o in result.of_rule(rule)} for rule in ("X1.high", "X2.not-high", "X3.unrecorded")}
    assert by_rule == {"X1.high": {"M1"}, "X2.not-high": {"M2"}, "X3.unrecorded": {"M3"}}


def test_a_streak_of_quarters(tmp_path: Path) -> None:
    """`streak` counts consecutive periods of any length; it fires once, at the period it
    reaches the threshold: no award in Q2, Q3 and Q4 reaches 2 quarters in Q3."""
    folder = write_pack(tmp_path, """\
        rules:
          - id: X1.quarters
            title: 连续季度
            kind: compliance
            subject: member
            when:
              streak:
                period: quarter
                of: {count: {events: {type: award}, less_than: 1}}
                reaches: 2
            finding: 连续两个季度没有加分
            source: 示例
        """, ATTRIBUTES)
    data = city([{"id": "M1"}], [{"id": "A1", "date": "2024-02-01", "type": "award", "member": "M1", "points": 1}])
    outcomes = evaluate(load_pack(folder), data, 2024).outcomes
    assert [(o.subject, o.period) for o in outcomes] == [("M1", "2024-Q3")]


# -- rule chaining -----------------------------------------------------------------------------


CHAINED = """\
rules:
  - id: X1.no-award
    title: 全年无加分
    kind: reprimand
    subject: member
    when: {count: {events: {type: award}, less_than: 1}}
    per: year
    then: [{measure: 提醒}]
    source: 示例
  - id: X2.twice
    title: 连续两年无加分
    kind: reprimand
    subject: member
    when:
      all:
        - outcome: {rule: X1.no-award}
        - outcome: {rule: X1.no-award, year: previous}
    then: [{measure: 约谈}]
    source: 示例
"""


def test_a_rule_reads_outcomes_of_this_and_the_previous_year(tmp_path: Path) -> None:
    """A chained rule fires on the outcomes of another rule in the same evaluation and in the
    year before (which is evaluated for it): M1 has no award in 2023 or 2024, M2 had one in 2023."""
    folder = write_pack(tmp_path, CHAINED, ATTRIBUTES)
    data = city([{"id": "M1"}, {"id": "M2"}],
                [{"id": "A1", "date": "2023-05-01", "type": "award", "member": "M2", "points": 1}],
                covers=("2023-01-01", "2024-12-31"))
    result = evaluate(load_pack(folder), data, 2024)
    assert {o.subject for o in result.of_rule("X1.no-award")} == {"M1", "M2"}
    assert {o.subject for o in result.of_rule("X2.twice")} == {"M1"}


def test_a_cycle_of_rules_is_refused_at_every_rule_in_it(tmp_path: Path) -> None:
    """Two rules that read each other's outcomes cannot be ordered: each is reported at its own
    position, with the whole cycle."""
    folder = write_pack(tmp_path, CHAINED.replace("when: {count: {events: {type: award}, less_than: 1}}",
                                                  "when: {outcome: {rule: X2.twice}}"), ATTRIBUTES)
    problems = [p for p in policy_problems(folder) if p.code == "cycle"]
    rules = folder / "rules.yaml"
    assert sorted(p.span.line for p in problems) == [line_of(rules, "- id: X1"), line_of(rules, "- id: X2")]
    assert all("X1.no-award" in p.message and "X2.twice" in p.message for p in problems)


def test_an_outcome_of_an_unknown_rule_is_refused(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, CHAINED.replace("rule: X1.no-award, year: previous", "rule: X1.no-awrd, year: previous"),
                        ATTRIBUTES)
    (problem,) = [p for p in policy_problems(folder) if p.code == "unknown-rule"]
    assert "X1.no-awrd" in problem.message and problem.help and "X1.no-award" in problem.help
    assert problem.span.line == line_of(folder / "rules.yaml", "X1.no-awrd")


# -- tables, formulas, rounding ------------------------------------------------------------------


CHARGE = """\
rules:
  - id: X1.charge
    title: 应缴
    kind: charge
    subject: member
    when: {attribute: {name: income, recorded: true}}
    per: month
    amount: band($rates, income) * income
    rounding: ROUNDING
    source: 示例
"""


@pytest.mark.parametrize(("rounding", "income", "expected"), [
    ("fen", "100.00", "10.00"),    # the upper bound is inclusive: 100.00 × 0.1
    ("fen", "100.01", "20.00"),    # a cliff: 100.01 × 0.2 = 20.002 → 20.00
    ("jiao", "123.45", "24.70"),   # 24.69 → 24.7 (half up to the jiao)
    ("yuan", "102.50", "21.00"),   # 20.50 → 21 (half up to the yuan)
])
def test_band_lookup_in_a_formula_with_declared_rounding(tmp_path: Path, rounding: str, income: str,
                                                         expected: str) -> None:
    folder = write_pack(tmp_path, CHARGE.replace("ROUNDING", rounding), ATTRIBUTES)
    data = city([{"id": "M1", "attributes": {"income": income}}])
    outcomes = evaluate(load_pack(folder), data, 2024).outcomes
    assert len(outcomes) == 12 and {o.amount for o in outcomes} == {Decimal(expected)}


@pytest.mark.parametrize(("bands", "word"), [
    ('[{max: "100.00", value: "0.1"}, {above: "100.01", value: "0.2"}]', "gap"),
    ('[{max: "100.00", value: "0.1"}, {min: "100.00", value: "0.2"}]', "overlaps"),
    ('[{max: "100.00", value: "0.3"}, {above: "100.00", value: "0.2"}]', "monotone"),
])
def test_a_table_with_a_gap_an_overlap_or_broken_monotony_is_refused(tmp_path: Path, bands: str, word: str) -> None:
    extra = ATTRIBUTES.replace("""    bands:
      - {max: "100.00", value: "0.1"}
      - {above: "100.00", value: "0.2"}""", f"    bands: {bands}")
    folder = write_pack(tmp_path, CHARGE.replace("ROUNDING", "fen"), extra)
    (problem,) = [p for p in policy_problems(folder) if p.code == "table"]
    assert word in problem.message and "`rates`" in problem.message
    assert problem.span is not None and problem.span.line == line_of(folder / "pack.yaml", "bands:")


# -- declared data -----------------------------------------------------------------------------


def test_an_unknown_attribute_in_a_rule_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    folder = write_pack(tmp_path, CHARGE.replace("ROUNDING", "fen").replace("name: income", "name: incme"), ATTRIBUTES)
    (problem,) = [p for p in policy_problems(folder) if p.code == "unknown-attribute"]
    assert "incme" in problem.message and problem.help and "income" in problem.help
    assert problem.span.line == line_of(folder / "rules.yaml", "incme")


def test_dataset_values_are_checked_against_the_declarations(tmp_path: Path) -> None:
    """Loading a dataset against the packs in use: an attribute no pack declares, a value of the
    wrong type, a choice not offered and an unknown event type are each reported at their line."""
    pack = load_pack(write_pack(tmp_path, CHARGE.replace("ROUNDING", "fen"), ATTRIBUTES))
    raw = json.loads(city([{"id": "M1"}]).model_dump_json())
    raw["members"][0]["attributes"] = {"incme": "1.00", "category": "学 生"}
    raw["members"].append({**raw["members"][0], "id": "M2", "attributes": {"income": "ab"}})
    raw["events"] = [{"id": "E1", "date": "2024-01-01", "type": "awrd", "member": "M1"}]
    path = tmp_path / "data.json"
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(path, pack)
    messages = {p.message.split(":")[0]: p for p in caught.value.problems}
    assert {"unknown member attribute `incme`", "member attribute `category`", "member attribute `income`",
            "unknown event type `awrd`"} <= set(messages)
    assert "income" in (messages["unknown member attribute `incme`"].help or "")
    assert "ab" not in messages["member attribute `income`"].message  # personal: the value is not shown
    assert all(p.span is not None and p.span.line > 1 for p in caught.value.problems)


def test_evaluating_data_with_undeclared_records_is_a_data_error(tmp_path: Path) -> None:
    """A dataset built in code is checked when it is evaluated, too: never silently ignored."""
    pack = load_pack(write_pack(tmp_path, CHARGE.replace("ROUNDING", "fen"), ATTRIBUTES))
    with pytest.raises(DataError, match="nickname"):
        evaluate(pack, city([{"id": "M1", "attributes": {"nickname": "老王"}}]), 2024)


def test_a_pack_without_declarations_refuses_pack_data(tmp_path: Path) -> None:
    """An event of a type no pack in use declares is refused, not skipped."""
    pack: Pack = load_pack(write_pack(tmp_path, """\
        rules:
          - id: X1.reported
            title: 已报到
            kind: commendation
            subject: member
            when: {count: {events: {type: member_report_in}, at_least: 1, per: year}}
            then: [{measure: 表扬}]
            source: 示例
        """))
    with pytest.raises(DataError, match="unknown event type `award`"):
        evaluate(pack, city([{"id": "M1"}], [{"id": "A1", "date": "2024-02-01", "type": "award", "member": "M1"}]),
                 2024)
