"""Invariants of a policy pack, each a reusable check that takes a pack and returns a
:class:`PropertyResult`: held or violated, examples tried, time, and for a violation a structured
:class:`Violation` (property, message, smallest counterexample dataset as a dict, parameter
overrides). Nothing here raises for a violation or prints.

Static checks (tier tables) read the pack only; the others search with hypothesis over datasets
from :mod:`partybuild_rules.testing.strategies` and, where it matters, over parameter values within
their declared constraints. See ``docs/consistency.md`` for what each invariant means.

This module is the public face of the checks; they live in private modules by kind:
``_results`` (the results and what the searches share), ``_independence_checks`` (order,
idempotence, partition), ``_declared_checks`` (monotone rules, exclusive pairs),
``_structure_checks`` (tier tables, band tables, reachability) and ``_money_checks``.
"""

from __future__ import annotations

from ._declared_checks import check_exclusive, check_monotone
from ._independence_checks import check_idempotence, check_order_independence, check_partition, community_alone
from ._money_checks import check_money
from ._results import PROPERTIES, PropertyResult, Violation
from ._search import Budget, EvaluateFn
from ._structure_checks import check_reachable, check_tables, check_tier_table

# Outside ``__all__``, but importable from this module before the checks moved out of it.
from ._declared_checks import Addition as Addition
from ._money_checks import full_amounts as full_amounts
from ._results import FEN as FEN
from ._results import Case as Case
from ._structure_checks import budget_year as budget_year

__all__ = [
    "PROPERTIES",
    "Budget",
    "EvaluateFn",
    "PropertyResult",
    "Violation",
    "check_exclusive",
    "check_idempotence",
    "check_money",
    "check_monotone",
    "check_order_independence",
    "check_partition",
    "check_reachable",
    "check_tier_table",
    "check_tables",
    "community_alone",
]
