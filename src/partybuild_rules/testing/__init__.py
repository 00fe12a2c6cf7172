"""Property-based testing for policy packs: hypothesis strategies, invariants and a check runner.

- strategies for every record, for whole consistent datasets (:func:`datasets`), for datasets
  aimed at rules of a pack (:func:`datasets_for_rules`), for balancing (:func:`neighbourhoods`)
  and for parameter overrides within their declarations (:func:`parameter_overrides`);
- invariants, each a function taking a pack and returning a :class:`PropertyResult`
  (``check_tier_table``, ``check_money``, ``check_order_independence``, ``check_idempotence``,
  ``check_partition``, ``check_exclusive``, ``check_monotone``, ``check_reachable``);
- :func:`run_checks` runs them all within a budget; :func:`render_report` renders the report::

    from partybuild_rules import load_pack
    from partybuild_rules.testing import render_report, run_checks

    report = run_checks(load_pack("examples/broken-pack"), max_examples=50, seed=0)
    text = render_report(report)  # report.ok is False: every fault has a counterexample

This package needs hypothesis, a test extra (``pip install 'partybuild-rules[test]'``); the core
library never imports it. See ``docs/consistency.md``.
"""

try:
    import hypothesis  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "partybuild_rules.testing needs hypothesis, which is a test extra: "
        "pip install 'partybuild-rules[test]'"
    ) from error

from ._search import Budget, EvaluateFn, Progress
from .check import DEFAULT_EXAMPLES, CheckReport, render_report, run_checks
from .invariants import (
    PROPERTIES,
    PropertyResult,
    Violation,
    check_exclusive,
    check_idempotence,
    check_money,
    check_monotone,
    check_order_independence,
    check_partition,
    check_reachable,
    check_tier_table,
    community_alone,
)
from .strategies import (
    DEFAULT_TIERS,
    Size,
    activity,
    agreed_item,
    assessment,
    pack_event,
    community,
    coverage,
    dataset_dict,
    datasets,
    datasets_for_rules,
    finding,
    grid,
    inspection,
    inspection_group,
    joint_meeting,
    member,
    member_report_in,
    half_fen_ties,
    neighbourhoods,
    parameter_overrides,
    parameter_value,
    rating,
    rectification,
    resident_unit,
    role_holding,
    score,
    tier_names,
    two_way_review,
    unit_report,
)

__all__ = [
    "Budget",
    "CheckReport",
    "DEFAULT_EXAMPLES",
    "DEFAULT_TIERS",
    "EvaluateFn",
    "PROPERTIES",
    "Progress",
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
    "community_alone",
    "render_report",
    "run_checks",
    "Size",
    "activity",
    "agreed_item",
    "assessment",
    "pack_event",
    "community",
    "coverage",
    "dataset_dict",
    "datasets",
    "datasets_for_rules",
    "finding",
    "grid",
    "inspection",
    "inspection_group",
    "joint_meeting",
    "member",
    "member_report_in",
    "half_fen_ties",
    "neighbourhoods",
    "parameter_overrides",
    "parameter_value",
    "rating",
    "rectification",
    "resident_unit",
    "role_holding",
    "score",
    "tier_names",
    "two_way_review",
    "unit_report",
]
