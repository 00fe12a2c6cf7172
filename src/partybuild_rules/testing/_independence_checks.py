"""The checks that the outcomes do not depend on how the evaluation is run: the records in another
order (``determinism``), the same dataset twice (``idempotence``), one community at a time
(``partition``)."""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from typing import Any

from hypothesis import strategies as st

from ..domain.model import Dataset
from ..evaluation.partitions import community_dataset
from ..policy.pack import Pack
from ._datasets import datasets
from ._results import (
    Case,
    PropertyResult,
    Violation,
    _canonical,
    _case_size,
    _difference,
    _failure,
    _finish,
    _key,
    _overrides,
    _sizes,
)
from ._search import Budget, Engines, EvaluateFn, Progress, search
from ._steering import tier_names


# ---------------------------------------------------------------------------------------------
# determinism, order-independence and idempotence


def _shuffled(data: Dataset, rng: random.Random | None) -> Dataset:
    """The same records in another order, also inside records (participants, findings, roles):
    shuffled by ``rng``, or reversed without one (an order that survives reducing the dataset)."""
    raw = data.model_dump()

    def mix(items: list[Any]) -> list[Any]:
        items = list(items)
        if rng is None:
            items.reverse()
        else:
            rng.shuffle(items)
        return items

    for section in ("communities", "grids", "units", "members", "inspection_groups", "ratings", "events"):
        raw[section] = mix(raw[section])
    for place in raw["communities"]:
        place["neighbours"] = mix(place["neighbours"])
    for event in raw["events"]:
        for inner in ("participants", "units", "findings", "items"):
            if inner in event:
                event[inner] = mix(event[inner])
    for record in raw["members"]:
        record["roles"] = mix(record["roles"])
    return Dataset.model_validate(raw)


def check_order_independence(
    pack: Pack, budget: Budget = Budget(), *, evaluate: EvaluateFn | None = None, progress: Progress | None = None
) -> PropertyResult:
    """Shuffling the records and events of a dataset (and the entries inside them) never changes
    the outcomes, nor their order in the result."""
    started, year = time.monotonic(), budget.year_of(pack)
    strategy = st.tuples(datasets(**_sizes(budget, year=year, tiers=tier_names(pack))), _overrides(pack),
                         st.integers(0, 2**32 - 1))
    with Engines(pack, evaluate) as engines:

        def probe(case: tuple[Dataset, dict[str, Any], int]) -> Violation | None:
            data, overrides, shuffle = case
            try:
                first = engines.result(overrides, data, year)
                for order in (None, random.Random(shuffle)):
                    second = engines.result(overrides, _shuffled(data, order), year)
                    if first.outcomes != second.outcomes:
                        break
                else:
                    return None
            except Exception as error:
                return _failure("determinism", error)
            if _canonical(first) == _canonical(second):
                moved = [_key(a) for a, b in zip(first.outcomes, second.outcomes) if a != b]
                return Violation("determinism", "the same records in another order give the same outcomes "
                                 "in another order", details={"reordered": moved[:6]})
            return Violation("determinism", "the same records in another order give other outcomes",
                             details=_difference(first.outcomes, second.outcomes))

        found = search(strategy, probe, budget, name="determinism", progress=progress, size=_case_size)
        return _finish("determinism", None, started, found, budget, year, probe)


def check_idempotence(
    pack: Pack, budget: Budget = Budget(), *, evaluate: EvaluateFn | None = None, progress: Progress | None = None
) -> PropertyResult:
    """Evaluating the same dataset twice gives the same result, in the same order."""
    started, year = time.monotonic(), budget.year_of(pack)
    strategy = st.tuples(datasets(**_sizes(budget, year=year, tiers=tier_names(pack))), _overrides(pack))
    with Engines(pack, evaluate) as engines:

        def probe(case: Case) -> Violation | None:
            data, overrides = case
            try:
                first = engines.result(overrides, data, year)
                second = engines.result(overrides, data, year)
            except Exception as error:
                return _failure("idempotence", error)
            if first == second:
                return None
            return Violation("idempotence", "evaluating the same dataset twice gives different results",
                             details=_difference(first.outcomes, second.outcomes))

        found = search(strategy, probe, budget, name="idempotence", progress=progress, size=_case_size)
        return _finish("idempotence", None, started, found, budget, year, probe)


# ---------------------------------------------------------------------------------------------
# partition-independence


def community_alone(data: Dataset, community: str, pack: Pack | None = None) -> Dataset:
    """The dataset of one community, as the evaluation's partitions cut it (see
    :func:`partybuild_rules.evaluation.partitions.community_dataset`): its units, the members
    residing there, their ratings and every event that counts for one of them (a pack event by
    the reference fields ``pack`` declares), with the rectifications of its inspections' findings,
    keeping records outside the community only as the context those records refer to."""
    return community_dataset(data, community, pack)


def _decision(outcome: Any) -> str:
    """An outcome without the facts of its provenance (which may describe context records a
    community's own dataset does not rate, such as the rating of a role's community)."""
    return json.dumps(outcome.model_dump(mode="json", exclude={"provenance": {"facts"}}), sort_keys=True)


def check_partition(
    pack: Pack, budget: Budget = Budget(), *, evaluate: EvaluateFn | None = None, progress: Progress | None = None
) -> PropertyResult:
    """For rules with ``local: true``: evaluating each community alone (see
    :func:`community_alone`) and merging the outcomes of its own subjects gives the outcomes of
    the whole city."""
    started, year = time.monotonic(), budget.year_of(pack)
    local = {rule.id for rule in pack.rules if rule.local}
    if not local:
        return PropertyResult("partition", None, True, 0, 0.0, note="no rule is `local: true`")
    strategy = st.tuples(
        datasets(**_sizes(budget, communities=(2, 3), year=year, tiers=tier_names(pack))), _overrides(pack)
    )
    with Engines(pack, evaluate) as engines:

        def probe(case: Case) -> Violation | None:
            data, overrides = case
            try:
                whole = [o for o in engines.result(overrides, data, year).outcomes if o.rule_id in local]
                for place in data.communities:
                    alone = engines.result(overrides, community_alone(data, place.id, pack), year)
                    mine = [o for o in alone.outcomes if o.rule_id in local and o.community == place.id]
                    expected = [o for o in whole if o.community == place.id]
                    if Counter(map(_decision, mine)) != Counter(map(_decision, expected)):
                        return Violation(
                            "partition",
                            f"evaluated alone, community `{place.id}` gets other outcomes than in the whole city",
                            details={"community": place.id, **_difference(expected, mine, _decision)},
                        )
            except Exception as error:
                return _failure("partition", error)
            return None

        found = search(strategy, probe, budget, name="partition", progress=progress, size=_case_size)
        return _finish("partition", None, started, found, budget, year, probe)
