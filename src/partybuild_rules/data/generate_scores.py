"""Ratings and scores: the past ratings of each unit and community, the tier each is meant to reach
in the evaluation year (with the consecutive 一般 and exact-floor cases among them), and quarterly
and year-end scores drawn so that their weighted sum lands in that tier.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from .generate_city import Record, _Block

# the generator's insides: its entry points are in ``generate``
__all__: list[str] = []

# --- Ratings and scores --------------------------------------------------------------------

TIER_FLOORS: tuple[tuple[str, Decimal], ...] = (
    ("好", Decimal(90)), ("较好", Decimal(80)), ("一般", Decimal(60)), ("差", Decimal(0)),
)
# where a subject's scores centre, in tenths of a point, for each target tier
TIER_BANDS: dict[str, tuple[int, int]] = {
    "好": (905, 970), "较好": (810, 890), "一般": (620, 780), "差": (450, 580),
}
DAILY_WEIGHT = Decimal("0.4")
YEAR_END_WEIGHT = Decimal("0.6")
TENTH = Decimal("0.1")


@dataclass
class _Tiers:
    """Past ratings and the tier each subject's scores are drawn to reach in the year."""

    past: dict[tuple[str, int], str]  # (subject, year) -> tier
    target: dict[str, str]  # subject -> tier of the evaluation year
    exact: dict[str, Decimal]  # subject -> exact combined score (threshold cases)


def _tiers(rng: random.Random, block: _Block, year: int) -> _Tiers:
    units = [unit["id"] for unit in block.units]
    picked = rng.sample(units, 12 + 4 + 1 + 3)
    twice, prior_only, poor, edges = picked[:12], picked[12:16], picked[16], picked[17:]
    past: dict[tuple[str, int], str] = {}
    target: dict[str, str] = {}
    for unit in units:
        past[(unit, year - 2)] = rng.choice(("好", "较好", "较好"))
        past[(unit, year - 1)] = rng.choice(("好", "较好", "较好"))
        target[unit] = rng.choices(("好", "较好", "一般", "差"), (30, 55, 11, 4))[0]
    for n, unit in enumerate(twice):  # 一般 last year; half of them 一般 again (R1)
        past[(unit, year - 1)] = "一般"
        if n < 3:
            past[(unit, year - 2)] = "一般"
        target[unit] = "一般" if n % 2 == 0 else ("差" if n == 11 else "较好")
    for n, unit in enumerate(prior_only):  # 一般 two years ago: not consecutive with this year
        past[(unit, year - 2)] = "一般"
        target[unit] = "一般" if n < 2 else "较好"
    past[(poor, year - 1)] = "差"  # 差 then 一般: not two 一般 in a row
    target[poor] = "一般"
    past[(edges[-1], year - 2)] = "差"
    exact = dict(zip(edges, (Decimal(90), Decimal(80), Decimal(60))))
    for unit, score in exact.items():
        target[unit] = _tier_of(score)
    communities = [c["id"] for c in block.communities]
    for n, community in enumerate(communities):
        past[(community, year - 2)] = rng.choice(("好", "较好"))
        past[(community, year - 1)] = "一般" if n == 4 else rng.choice(("好", "较好"))
        target[community] = "一般" if n == 7 else rng.choice(("好", "较好"))
    return _Tiers(past, target, exact)


def _tier_of(score: Decimal) -> str:
    return next(tier for tier, floor in TIER_FLOORS if score >= floor)


def _combined(daily: list[Decimal], year_end: Decimal) -> Decimal:
    return DAILY_WEIGHT * sum(daily, Decimal(0)) / len(daily) + YEAR_END_WEIGHT * year_end


def _near_threshold(score: Decimal) -> bool:
    """Just under a tier floor, where rounding to a tenth would change the tier: avoided."""
    return any(floor - Decimal("0.05") <= score < floor for _, floor in TIER_FLOORS if floor)


def _tenths(rng: random.Random, centre: int, spread: int) -> Decimal:
    return Decimal(max(0, min(1000, centre + rng.randint(-spread, spread)))) * TENTH


def _scores(rng: random.Random, tier: str, exact: Decimal | None) -> tuple[list[Decimal], Decimal]:
    """Four quarterly daily scores and a year-end score whose weighted sum falls in ``tier``."""
    if exact is not None:
        wobble = [Decimal("1.2"), Decimal("-1.2"), Decimal("0.5"), Decimal("-0.5")]
        return [exact + w for w in wobble], exact
    low, high = TIER_BANDS[tier]
    while True:
        centre = rng.randint(low, high)
        daily = [_tenths(rng, centre, 40) for _ in range(4)]
        year_end = _tenths(rng, centre, 30)
        score = _combined(daily, year_end)
        if _tier_of(score) == tier and not _near_threshold(score):
            return daily, year_end


def _subjects(block: _Block) -> list[tuple[str, str]]:
    """(subject kind, id) of everything rated, assessed and inspected: units, then communities."""
    return [("unit", u["id"]) for u in block.units] + [("community", c["id"]) for c in block.communities]


def _ratings(block: _Block, tiers: _Tiers, year: int) -> list[Record]:
    subjects = _subjects(block)
    return [
        {"subject_kind": kind, "subject": subject, "year": rated, "tier": tiers.past[(subject, rated)]}
        for rated in (year - 2, year - 1)
        for kind, subject in subjects
    ]
