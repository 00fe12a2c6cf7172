"""B1 balancing (均衡调剂): proposals to move resident units to neighbouring communities with fewer.

The report: 按照资源共享、均衡调剂的原则，将共建单位就近分流到驻区单位较少的社区. An ``allocation``
rule gives the two numbers of the policy (``balance: {tolerance, max_moves}``); nearness comes
from the data (each community's ``neighbours``, symmetric). :func:`balance_moves` is a pure,
deterministic function of the dataset and those numbers; it never changes the dataset.

What counts as balanced: every community has within ``tolerance`` resident units of the city
mean (all units over all communities). One proposal at a time, until balanced or ``max_moves``
proposals are made, the algorithm takes, among all pairs of neighbouring communities whose
counts differ by at least 2 and of which at least one is out of balance (the giving community
above the mean by more than ``tolerance``, or the receiving one below it by more), the pair with
the largest difference; ties go to the giving community with more units, then to the lower
community ids. The receiving community is therefore always the giving community's neighbour with
the fewest units. The unit moved is, of the giving community's units that the rule's
``applies_if`` admits and that have not moved yet, the one with the most in-service members
living in the receiving community (就近: its members are already there), ties by unit id. Each
proposal counts after the ones before it; a unit moves at most once.

Because a unit only ever moves to a community with at least 2 fewer units, no community ends
above the highest count or below the lowest: the spread (highest − lowest) never grows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Callable, Mapping

from ..domain.errors import PolicyError, Problem
from ..domain.model import Dataset, ResidentUnit, SubjectKind
from ..domain.money import to_decimal
from ..domain.outcomes import Allocation, Provenance, RuleKind
from ..policy.documents import Rule
from ..policy.pack import Pack
from ..policy.pack_checks import rule_dependencies

__all__ = ["Move", "allocation_outcomes", "allocation_problems", "balance_moves", "neighbours_of"]

_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class Move:
    """One proposal: ``unit`` from ``source`` to ``target``, with the counts just before it and
    what made the choice (``members_there``: the unit's in-service members living in ``target``)."""

    step: int
    unit: str
    source: str
    target: str
    source_before: int
    target_before: int
    members_there: int
    source_neighbours: tuple[tuple[str, int], ...]
    """The giving community's neighbours with their counts just before the move, by id."""


def neighbours_of(data: Dataset) -> dict[str, tuple[str, ...]]:
    """Each community's neighbours, by id; a neighbour listed by either side counts for both."""
    found: dict[str, set[str]] = {c.id: set() for c in data.communities}
    for community in data.communities:
        for other in community.neighbours:
            if other != community.id and other in found:
                found[community.id].add(other)
                found[other].add(community.id)
    return {place: tuple(sorted(others)) for place, others in sorted(found.items())}


def city_mean(data: Dataset) -> Fraction:
    """Resident units per community, exactly (0 for a dataset without communities)."""
    return Fraction(len(data.units), len(data.communities)) if data.communities else Fraction(0)


def balance_moves(
    data: Dataset,
    tolerance: Decimal,
    max_moves: int,
    movable: Callable[[ResidentUnit], bool] | None = None,
) -> tuple[Move, ...]:
    """The proposals for ``data`` (see the module's description); ``movable`` limits which units
    may move (all of them by default); every community and every unit still counts."""
    mean, allowed = city_mean(data), Fraction(tolerance)
    counts: Counter[str] = Counter({c.id: 0 for c in data.communities})
    counts.update(u.community for u in data.units)
    near = neighbours_of(data)
    there = Counter((m.unit, m.residence_community) for m in data.members if m.in_service and m.unit)
    pool: dict[str, list[str]] = {place: [] for place in near}
    for unit in sorted(data.units, key=lambda u: u.id):
        if movable is None or movable(unit):
            pool[unit.community].append(unit.id)
    moves: list[Move] = []
    while len(moves) < max_moves:
        pairs = [
            (-(counts[source] - counts[target]), -counts[source], source, target)
            for source in near if pool[source]
            for target in near[source]
            if counts[source] - counts[target] >= 2
            and (counts[source] - mean > allowed or mean - counts[target] > allowed)
        ]
        if not pairs:
            break
        _, _, source, target = min(pairs)
        chosen = min(pool[source], key=lambda u: (-there[(u, target)], u))
        moves.append(Move(
            step=len(moves) + 1, unit=chosen, source=source, target=target,
            source_before=counts[source], target_before=counts[target],
            members_there=there[(chosen, target)],
            source_neighbours=tuple((n, counts[n]) for n in near[source]),
        ))
        pool[source].remove(chosen)
        counts[source] -= 1
        counts[target] += 1
    return tuple(moves)


# ---------------------------------------------------------------------------------------------
# the rule's numbers


def _resolved(pack: Pack, value: int | str) -> tuple[Any, str | None]:
    """A literal or a ``$parameter``'s current value, and the parameter's name if any."""
    if isinstance(value, str) and value.startswith("$"):
        name = value[1:]
        return pack.values.get(name), name
    return value, None


def _settings(pack: Pack, rule: Rule) -> tuple[Decimal, int, dict[str, str], list[Problem]]:
    """``tolerance``, ``max_moves``, the parameters they name (with values), and what is wrong."""
    assert rule.balance is not None
    problems: list[Problem] = []
    used: dict[str, str] = {}
    span = pack.spans.get(rule.id)

    def number(field: str, value: int | str, whole: bool) -> Decimal:
        raw, name = _resolved(pack, value)
        if name is not None and raw is not None:
            used[name] = str(raw)
        try:
            number = to_decimal(raw)
        except (ValueError, TypeError, ArithmeticError):
            problems.append(Problem(f"rule `{rule.id}`: `{field}` must be a number, got `{raw}`", span, "parameter"))
            return Decimal(0)
        if whole and number != number.to_integral_value():
            problems.append(Problem(
                f"rule `{rule.id}`: `{field}` must be a whole number, got `{raw}`", span, "parameter"
            ))
        elif number < 0:
            problems.append(Problem(f"rule `{rule.id}`: `{field}` must be at least 0, got `{raw}`", span, "parameter"))
        return number

    tolerance = number("tolerance", rule.balance.tolerance, False)
    max_moves = number("max_moves", rule.balance.max_moves, True)
    return tolerance, int(max_moves), used, problems


def allocation_problems(pack: Pack, rule: Rule) -> list[Problem]:
    """What is wrong with an allocation rule's numbers under the pack's parameter values, and
    every rule that would read its proposals (they are made after all other rules)."""
    if rule.kind is not RuleKind.ALLOCATION:
        return []
    readers = [other for other, needs in rule_dependencies(pack.rules).items() if rule.id in needs]
    return _settings(pack, rule)[3] + [
        Problem(f"rule `{reader}` reads the outcomes of allocation rule `{rule.id}`, which are proposed "
                "after every other rule", pack.spans.get(reader), "cycle",
                "read the proposals in a report, not in a rule")
        for reader in readers
    ]


# ---------------------------------------------------------------------------------------------
# outcomes


def _movable(rule: Rule) -> Callable[[ResidentUnit], bool]:
    """The rule's ``applies_if`` on a unit's fields (``kind``, ``community``)."""

    def admits(unit: ResidentUnit) -> bool:
        fields = {"kind": unit.kind.value, "community": unit.community}
        for name, wanted in rule.applies_if.items():
            options = wanted if isinstance(wanted, tuple) else (wanted,)
            if fields.get(name) not in options:
                return False
        return True

    return admits


def _shown(value: Fraction) -> str:
    """A count or a mean to 0.01, half up, e.g. ``17.78``."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return str(exact.quantize(_HUNDREDTH, ROUND_HALF_UP))


def _reason(move: Move, names: Mapping[str, str], unit_name: str, mean: Fraction, tolerance: Decimal) -> str:
    """Why this unit, from that community, to this one — in Chinese, as a policy officer reads it."""
    source, target, allowed = names[move.source], names[move.target], Fraction(tolerance)

    def versus_mean(count: int) -> str:
        gap = Fraction(count) - mean
        text = f"比全市平均 {_shown(mean)} 家{'多' if gap >= 0 else '少'} {_shown(abs(gap))} 家"
        return text + (f"，超出允许偏差 {tolerance} 家" if abs(gap) > allowed else "")

    why_unit = (f"其 {move.members_there} 名在职党员住在{target}，在{source}可调剂的单位中最多（同数按单位编号）"
                if move.members_there else f"{source}可调剂的单位都没有在职党员住在{target}，按单位编号取第一家")
    return (
        f"第 {move.step} 项：{source}（{move.source}）有 {move.source_before} 家驻区单位，"
        f"{versus_mean(move.source_before)}；相邻社区中{target}（{move.target}）驻区单位最少，"
        f"{move.target_before} 家，{versus_mean(move.target_before)}。调出{unit_name}（{move.unit}）：{why_unit}。"
        f"调剂后{source} {move.source_before - 1} 家、{target} {move.target_before + 1} 家。"
    )


def allocation_outcomes(pack: Pack, data: Dataset, year: int) -> list[Allocation]:
    """The proposals of every allocation rule of ``pack`` over ``data``, as outcomes of ``year``
    (the assignment of units to communities has no dates: the proposals are the same each year)."""
    outcomes: list[Allocation] = []
    names = {c.id: c.name for c in data.communities}
    units = {u.id: u for u in data.units}
    mean = city_mean(data)
    for rule in pack.rules:
        if rule.kind is not RuleKind.ALLOCATION:
            continue
        tolerance, max_moves, used, problems = _settings(pack, rule)
        if problems:
            raise PolicyError(problems)
        span = pack.spans.get(rule.id)
        origin = pack.origin(rule.id)  # the pack the rule came from, in a composition
        for move in balance_moves(data, tolerance, max_moves, _movable(rule)):
            unit = units[move.unit]
            fact: dict[str, Any] = {
                "pattern": "balance", "s": move.unit, "step": move.step,
                "from": move.source, "from_units": move.source_before,
                "to": move.target, "to_units": move.target_before, "mean": _shown(mean),
                "neighbours": ", ".join(f"{n}:{c}" for n, c in move.source_neighbours),
                "members_in_to": move.members_there,
            }
            outcomes.append(Allocation(
                rule_id=rule.id, subject_kind=SubjectKind.UNIT, subject=unit.id, subject_name=unit.name,
                community=move.source, year=year, period=str(year),
                provenance=Provenance(
                    rule_id=rule.id, rule_title=rule.title, pack=origin.name, pack_version=origin.version,
                    file=pack.rule_file(rule.id), line=span.line if span else 0,
                    source=rule.source, facts=(fact,), parameters=dict(used),
                ),
                step=move.step, from_community=move.source, from_community_name=names[move.source],
                to_community=move.target, to_community_name=names[move.target],
                from_before=move.source_before, from_after=move.source_before - 1,
                to_before=move.target_before, to_after=move.target_before + 1,
                mean=_shown(mean), reason=_reason(move, names, unit.name, mean, tolerance),
            ))
    return outcomes
