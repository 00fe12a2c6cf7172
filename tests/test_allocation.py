"""B1 balancing (均衡调剂): proposals that move resident units to neighbouring communities with
fewer, from the data's neighbour lists and the rule's tolerance and maximum number of moves.

The algorithm is tested at its edges directly (``balance_moves``), through the pack (outcomes
with provenance, text, explain, JSON), for its located errors, and by properties over
:func:`partybuild_rules.testing.neighbourhoods`."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from helpers import pack
from hypothesis import given
from hypothesis import strategies as st

from partybuild_rules import (
    Allocation,
    DataError,
    Dataset,
    PolicyError,
    Result,
    bundled_pack,
    evaluate,
    explain,
    load_dataset,
    load_pack,
)
from partybuild_rules.domain.messages import translate
from partybuild_rules.domain.outcomes import OUTCOMES
from partybuild_rules.evaluation.allocation import Move, balance_moves, neighbours_of
from partybuild_rules.evaluation.evaluator import Evaluator
from partybuild_rules.reports.text import summary
from partybuild_rules.testing import neighbourhoods

RULE = "B1.balancing"
COVERS = {"start": "2024-01-01", "end": "2024-12-31"}


def city(
    counts: dict[str, int], neighbours: dict[str, list[str]], members: tuple[tuple[str, str], ...] = ()
) -> Dataset:
    """Communities with ``counts`` units each (ids U01, U02, ... community by community),
    ``neighbours`` as listed, and in-service ``members`` as (unit, residence) pairs."""
    units, number = [], 0
    for place, count in counts.items():
        for _ in range(count):
            number += 1
            units.append({"id": f"U{number:02d}", "name": f"单位{number}", "community": place})
    return Dataset.model_validate({
        "covers": COVERS,
        "communities": [{"id": c, "name": f"{c}社区", "neighbours": neighbours.get(c, [])} for c in counts],
        "units": units,
        "members": [{"id": f"M{n}", "name": "王丽", "residence_community": home, "unit": unit}
                    for n, (unit, home) in enumerate(members)],
    })


def path(moves: tuple[Move, ...]) -> list[tuple[str, str, str]]:
    return [(m.unit, m.source, m.target) for m in moves]


# -- the algorithm at its edges ---------------------------------------------------------------


def test_already_balanced_gives_nothing() -> None:
    """Every community within the tolerance of the mean: no proposal, whatever max_moves."""
    data = city({"C1": 3, "C2": 2, "C3": 2}, {"C1": ["C2", "C3"]})
    assert balance_moves(data, Decimal(1), 10) == ()


def test_max_moves_zero_gives_nothing() -> None:
    data = city({"C1": 6, "C2": 0}, {"C1": ["C2"]})
    assert balance_moves(data, Decimal(0), 0) == ()
    assert len(balance_moves(data, Decimal(0), 1)) == 1


def test_max_moves_caps_the_proposals() -> None:
    """6 and 0 units need 3 moves to balance; 2 allowed give the first 2 of them."""
    data = city({"C1": 6, "C2": 0}, {"C1": ["C2"]})
    assert len(balance_moves(data, Decimal(0), 10)) == 3
    assert path(balance_moves(data, Decimal(0), 2)) == [("U01", "C1", "C2"), ("U02", "C1", "C2")]


def test_no_neighbour_with_fewer_units_gives_no_move() -> None:
    """C2 is empty but nobody's neighbour; C1 and C3 are neighbours with the same count."""
    data = city({"C1": 5, "C2": 0, "C3": 5}, {"C1": ["C3"]})
    assert balance_moves(data, Decimal(0), 10) == ()


def test_a_difference_of_one_never_moves() -> None:
    """Moving a unit between counts 2 and 1 would only swap them: out of balance, but no move."""
    data = city({"C1": 2, "C2": 1}, {"C1": ["C2"]})
    assert balance_moves(data, Decimal(0), 10) == ()


def test_units_go_only_to_neighbours() -> None:
    """C3 has fewest units but is no neighbour of C1: the unit goes to C2."""
    data = city({"C1": 6, "C2": 2, "C3": 0}, {"C1": ["C2"]})
    moves = balance_moves(data, Decimal(1), 1)
    assert path(moves) == [("U01", "C1", "C2")]


def test_neighbours_are_symmetric() -> None:
    """A neighbour listed by one side only makes both neighbours, in sorted order."""
    data = city({"C1": 0, "C2": 4, "C3": 0}, {"C3": ["C2"], "C1": ["C2"]})
    assert neighbours_of(data) == {"C1": ("C2",), "C2": ("C1", "C3"), "C3": ("C2",)}
    assert path(balance_moves(data, Decimal(0), 10)) == [("U01", "C2", "C1"), ("U02", "C2", "C3")]


def test_ties_go_to_the_larger_source_then_to_the_lower_ids() -> None:
    """C1 and C2 both have 5 next to the empty C3: C1 first (lower id), then C2 (now the larger
    difference), then C1 again (equal counts, lower id)."""
    data = city({"C1": 5, "C2": 5, "C3": 0}, {"C3": ["C2", "C1"]})
    assert path(balance_moves(data, Decimal(1), 10)) == [
        ("U01", "C1", "C3"), ("U06", "C2", "C3"), ("U02", "C1", "C3"),
    ]


def test_the_largest_difference_goes_first() -> None:
    """C2 (7 next to 0) before C1 (8 next to 4), though C1 has more units."""
    data = city({"C1": 8, "C2": 7, "C3": 0, "C4": 4}, {"C1": ["C4"], "C2": ["C3"]})
    first = balance_moves(data, Decimal(1), 1)[0]
    assert (first.source, first.target, first.source_before, first.target_before) == ("C2", "C3", 7, 0)


def test_the_unit_with_most_members_living_there_moves() -> None:
    """U03 has two in-service members living in C2, U02 one: U03 moves, then U02."""
    members = (("U03", "C2"), ("U03", "C2"), ("U02", "C2"), ("U01", "C1"))
    data = city({"C1": 5, "C2": 0}, {"C1": ["C2"]}, members)
    moves = balance_moves(data, Decimal(0), 2)
    assert [(m.unit, m.members_there) for m in moves] == [("U03", 2), ("U02", 1)]


def test_a_unit_moves_at_most_once_and_movable_limits_the_choice() -> None:
    """Only U02 may move: it moves once, and then nothing else can."""
    data = city({"C1": 6, "C2": 0}, {"C1": ["C2"]})
    moves = balance_moves(data, Decimal(0), 10, movable=lambda unit: unit.id == "U02")
    assert path(moves) == [("U02", "C1", "C2")]


def test_an_empty_city_gives_nothing() -> None:
    data = Dataset.model_validate({"covers": COVERS})
    assert balance_moves(data, Decimal(0), 5) == ()


# -- properties ---------------------------------------------------------------------------------

TOLERANCES = st.sampled_from(["0", "0.5", "1", "1.5", "2", "3"]).map(Decimal)


def spread(counts: Counter[str], places: list[str]) -> int:
    return max(counts[p] for p in places) - min(counts[p] for p in places)


@given(neighbourhoods(), TOLERANCES, st.integers(0, 12))
def test_moves_go_to_a_neighbour_with_fewer_and_the_spread_never_grows(
    data: Dataset, tolerance: Decimal, max_moves: int
) -> None:
    """Replayed one by one, every proposal moves a unit that is (still) in its source to a
    neighbour with at least 2 fewer units; no unit moves twice; there are at most max_moves;
    the spread (highest − lowest count) never grows; and fewer than max_moves proposals means
    no further move is possible: the city is balanced or no neighbour can take a unit."""
    moves = balance_moves(data, tolerance, max_moves)
    near = neighbours_of(data)
    places = [c.id for c in data.communities]
    home = {u.id: u.community for u in data.units}
    counts: Counter[str] = Counter({p: 0 for p in places})
    counts.update(home.values())
    assert len(moves) <= max_moves
    assert len({m.unit for m in moves}) == len(moves)
    before = spread(counts, places)
    for step, move in enumerate(moves, 1):
        assert move.step == step
        assert home[move.unit] == move.source
        assert move.target in near[move.source]
        assert (move.source_before, move.target_before) == (counts[move.source], counts[move.target])
        assert counts[move.target] <= counts[move.source] - 2
        home[move.unit] = move.target
        counts[move.source] -= 1
        counts[move.target] += 1
        assert spread(counts, places) <= before
        before = spread(counts, places)
    if len(moves) < max_moves:
        mean = Fraction(len(data.units), len(places))
        moved = {m.unit for m in moves}
        for source in places:
            free = [u for u, p in home.items() if p == source and u not in moved]
            for target in near[source]:
                out = counts[source] - mean > tolerance or mean - counts[target] > tolerance
                assert not (free and out and counts[source] - counts[target] >= 2), (source, target)


def shuffled(data: Dataset, rng: random.Random) -> Dataset:
    raw = data.model_dump()
    for section in ("communities", "units", "members"):
        raw[section] = rng.sample(list(raw[section]), len(raw[section]))
    for place in raw["communities"]:
        place["neighbours"] = rng.sample(list(place["neighbours"]), len(place["neighbours"]))
    return Dataset.model_validate(raw)


@given(neighbourhoods(), TOLERANCES, st.integers(0, 12), st.randoms(use_true_random=False))
def test_the_proposals_do_not_depend_on_the_order_of_records(
    data: Dataset, tolerance: Decimal, max_moves: int, rng: random.Random
) -> None:
    """The same records (and neighbour lists) in another order give the same proposals."""
    assert balance_moves(shuffled(data, rng), tolerance, max_moves) == balance_moves(data, tolerance, max_moves)


@given(neighbourhoods(communities=(2, 5), units=(0, 16)))
def test_evaluating_never_changes_the_dataset(data: Dataset) -> None:
    """The proposals are outcomes; the dataset's units stay where they were."""
    before = data.model_dump_json()
    result = evaluate(pack(balance_tolerance="0"), data, 2024)
    assert data.model_dump_json() == before
    homes = {u.id: u.community for u in data.units}
    assert all(o.from_community == homes[o.subject] for o in result.of_rule(RULE) if o.step == 1)


# -- through the pack -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled(example_result: Result) -> list[Allocation]:
    return example_result.of_rule(RULE)


def test_the_bundled_data_gets_five_proposals_that_balance_it(bundled: list[Allocation], example_data: Dataset) -> None:
    """Counts 14–21 (mean 17.78, tolerance 2): 5 proposals, after which every community is within
    2 units of the mean."""
    assert [(o.subject, o.from_community, o.to_community) for o in bundled] == [
        ("U0021", "C02", "C03"), ("U0138", "C08", "C05"), ("U0003", "C01", "C03"),
        ("U0023", "C02", "C09"), ("U0106", "C07", "C05"),
    ]
    counts = Counter(u.community for u in example_data.units)
    for o in bundled:
        assert (o.from_before, o.to_before) == (counts[o.from_community], counts[o.to_community])
        assert (o.from_after, o.to_after) == (o.from_before - 1, o.to_before + 1)
        counts[o.from_community] -= 1
        counts[o.to_community] += 1
    mean = Fraction(len(example_data.units), len(example_data.communities))
    assert all(abs(n - mean) <= 2 for n in counts.values())


def test_a_proposal_explains_itself(bundled: list[Allocation], example_result: Result) -> None:
    """Reason, provenance (rule file and line, source clause, parameters, facts) as for any outcome."""
    first = bundled[0]
    p = first.provenance
    assert (p.rule_id, p.file, p.pack) == (RULE, "tongjiang/allocation.yaml", "tongjiang")
    assert p.line == 5 and "均衡调剂" in p.source
    assert p.parameters == {"balance_tolerance": "2", "balance_max_moves": "10"}
    assert p.facts[0]["from_units"] == 21 and p.facts[0]["to_units"] == 15 and p.facts[0]["neighbours"] == "C03:15, C09:16"
    assert first.mean == "17.78"
    for part in ("西江社区（C02）有 21 家", "多 3.22 家，超出允许偏差 2 家", "三江社区（C03）驻区单位最少，15 家",
                 "同江市发展和改革局（U0021）", "2 名在职党员住在三江社区", "调剂后西江社区 20 家、三江社区 16 家"):
        assert part in first.reason, part
    tree = explain(example_result, "U0021")
    assert "建议调剂（第 1 项）：西江社区 → 三江社区" in tree and "理由 reason: 第 1 项" in tree


def example_json(outcomes: list[Allocation]) -> str:
    return Result(pack="tongjiang", pack_version="1.0.0", dataset="", year=2024, parameters={},
                  outcomes=tuple(outcomes)).to_json()


def test_proposals_round_trip_through_json(bundled: list[Allocation]) -> None:
    parsed = Result.model_validate_json(example_json(bundled))
    assert parsed.outcomes == tuple(bundled)
    assert OUTCOMES.validate_python(tuple(o.model_dump() for o in bundled)) == tuple(bundled)


def test_the_summary_lists_the_proposals(example_result: Result, tongjiang_pack: Any, example_data: Dataset) -> None:
    text = summary(example_result, tongjiang_pack)
    assert "均衡调剂建议 Balancing proposals（5）" in text
    assert "同江市发展和改革局（U0021）" in text and "21→20 / 15→16" in text
    none = evaluate(pack(balance_max_moves=0), example_data, 2024)
    assert "均衡调剂建议" not in summary(none, tongjiang_pack)


def test_other_outcomes_do_not_depend_on_balancing(example_result: Result, example_data: Dataset) -> None:
    """With no moves allowed, every other outcome is the same: B1 only adds proposals."""
    none = evaluate(pack(balance_max_moves=0), example_data, 2024)
    assert none.of_rule(RULE) == []
    assert none.outcomes == tuple(o for o in example_result.outcomes if o.rule_id != RULE)


def test_applies_if_limits_which_units_move(tmp_path: Path) -> None:
    """`applies_if: {kind: enterprise}`: only enterprises are proposed, though all units count."""
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    rules = folder / "allocation.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace(
        "    subject: unit\n", "    subject: unit\n    applies_if: {kind: enterprise}\n", 1), encoding="utf-8")
    data = Dataset.model_validate({
        "covers": COVERS,
        "communities": [{"id": "C1", "name": "东江社区", "neighbours": ["C2"]}, {"id": "C2", "name": "西江社区"}],
        "units": [{"id": f"U{n}", "name": f"单位{n}", "community": "C1",
                   "kind": "enterprise" if n in (3, 4) else "other"} for n in range(1, 9)],
    })
    result = evaluate(load_pack(folder, overrides={"balance_tolerance": "0"}), data, 2024)
    assert [(o.subject, o.from_before, o.to_before) for o in result.of_rule(RULE)] == [("U3", 8, 0), ("U4", 7, 1)]


# -- located errors ---------------------------------------------------------------------------------


def test_bad_neighbours_are_located_errors(tmp_path: Path) -> None:
    """An unknown id, a community listing itself and an id listed twice: every one reported at
    once, at its own position, Chinese first."""
    file = tmp_path / "data.yaml"
    file.write_text(
        'covers: {start: "2024-01-01", end: "2024-12-31"}\n'
        "communities:\n"
        "  - {id: C1, name: A, neighbours: [C2, C1, C9]}\n"
        "  - {id: C2, name: B, neighbours: [C1, C1]}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dataset(file)
    found = sorted((p.span.line, p.span.column, p.message) for p in caught.value.problems if p.span)
    assert found == [
        (3, 40, "community `C1` cannot be its own neighbour"),
        (3, 44, "unknown community `C9`"),
        (4, 40, "community `C1` is listed twice"),
    ]
    chinese = [translate(message, "zh") for _, _, message in found]
    assert chinese == ["社区 `C1` 不能是自己的相邻社区", "未知的社区 `C9`", "社区 `C1` 重复列出"]


def broken_rule(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    rules = folder / "allocation.yaml"
    text = rules.read_text(encoding="utf-8")
    assert old in text
    rules.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("old", "new", "message"), [
    ("    subject: unit\n", "    subject: member\n",
     "an allocation rule moves resident units: its `subject` is `unit`"),
    ("    subject: unit\n", "    subject: unit\n    local: true\n",
     "an allocation rule compares communities with each other: it cannot be `local`"),
    ("    subject: unit\n", "    subject: unit\n    per: year\n", "an allocation rule takes no `per`"),
    ("    balance:\n", "    balanse:\n", "unknown field `balanse`"),
    ("      max_moves: $balance_max_moves", "      max_moves: $balance_max_move", "unknown parameter `$balance_max_move`"),
    ("      tolerance: $balance_tolerance", "      tolerance: true", "expected a number or a `$parameter`"),
])
def test_a_misshapen_allocation_rule_is_a_located_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = broken_rule(tmp_path, old, new)
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    problems = [p for p in caught.value.problems if message in p.message]
    assert problems, [p.message for p in caught.value.problems]
    assert all(p.span and p.span.file.endswith("allocation.yaml") and p.span.line > 0 for p in problems)
    assert all("`" in translate(p.message, "zh") and translate(p.message, "zh") != p.message for p in problems)


def test_balance_on_another_kind_of_rule_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    rules = folder / "compliance.yaml"
    text = rules.read_text(encoding="utf-8")
    rules.write_text(text.replace("    finding: 本月未向社区报告共建情况\n", "    finding: 本月未向社区报告共建情况\n"
                                  "    balance: {tolerance: 1, max_moves: 1}\n", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_pack(folder)
    assert any("only an allocation rule takes `balance`" in p.message and p.span and p.span.file.endswith(
        "compliance.yaml") for p in caught.value.problems)


def test_a_fractional_number_of_moves_is_refused_when_compiling(tmp_path: Path) -> None:
    """`max_moves` naming a decimal parameter loads (the reference is fine) but cannot compile:
    the error names the rule and points at it."""
    folder = broken_rule(tmp_path, "      max_moves: $balance_max_moves", "      max_moves: $balance_tolerance")
    with pytest.raises(PolicyError) as caught:
        Evaluator(load_pack(folder, overrides={"balance_tolerance": "2.5"}))
    (problem,) = caught.value.problems
    assert problem.message == "rule `B1.balancing`: `max_moves` must be a whole number, got `2.5`"
    assert problem.span is not None and problem.span.file.endswith("allocation.yaml") and problem.span.line == 5
    assert translate(problem.message, "zh") == "规则 `B1.balancing`：`max_moves` 必须是整数，实际为 `2.5`"


@pytest.mark.parametrize("test", ["{rule: B1.balancing}", "{kind: allocation}"])
def test_a_rule_reading_the_proposals_is_refused(tmp_path: Path, test: str) -> None:
    """Proposals are made after every other rule: a rule conditioned on them could never see
    them, so compiling names that rule, at its position."""
    folder = tmp_path / "pack"
    shutil.copytree(bundled_pack(), folder)
    rules = folder / "allocation.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + (
        "\n  - id: R9.moved-unit\n    title: 被建议调剂的驻区单位约谈\n    kind: reprimand\n    subject: unit\n"
        f"    when: {{outcome: {test}}}\n    then: [{{measure: 约谈}}]\n    source: 示例\n"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        Evaluator(load_pack(folder))
    (problem,) = caught.value.problems
    assert problem.message == ("rule `R9.moved-unit` reads the outcomes of allocation rule `B1.balancing`, "
                               "which are proposed after every other rule")
    assert problem.span is not None and problem.span.file.endswith("allocation.yaml") and problem.span.line == 18
    assert translate(problem.message, "zh").startswith("规则 `R9.moved-unit` 读取了均衡调剂规则 `B1.balancing` 的结果")
