"""partybuild-rules: auditable rules for urban grassroots Party building (城市基层党建).

Load a policy pack, load a dataset, evaluate a year, read and explain the outcomes::

    from partybuild_rules import bundled_dataset, bundled_pack, evaluate, load_dataset, load_pack

    pack = load_pack(bundled_pack(), overrides={"minimum_income": "1300.00"})
    data = load_dataset(bundled_dataset())
    result = evaluate(pack, data, 2024)
    for outcome in result.of_rule("R2.member-absence"):
        print(outcome.subject_name, outcome.period, outcome.provenance.source)
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analysis.diff import ImpactDiff, diff_results, impact
    from .analysis.explain import Explanation, NearMiss, explain, explain_subject
    from .analysis.pack_tests import run_pack_tests
    from .analysis.warnings import WarningReport, early_warnings
    from .data.datasets import load_dataset
    from .data.resources import bundled_dataset, bundled_pack
    from .domain.errors import DataError, EngineError, PolicyError, Problem, Span
    from .domain.model import Dataset
    from .domain.outcomes import (
        Allocation,
        Allowance,
        Charge,
        Commendation,
        ComplianceFinding,
        Evaluation,
        Outcome,
        Provenance,
        Reprimand,
        Result,
    )
    from .evaluation.evaluator import Evaluator, evaluate
    from .evaluation.session import Changes, Session
    from .policy.compose import compose
    from .policy.limits import Limits
    from .policy.pack import Pack, load_pack
    from .reports.diff import render_diff

# The public names are imported when first used, so that a program using a few of them (the CLI,
# a worker process) does not pay for importing all of them.
_LAZY = {
    "Allocation": ".domain.outcomes",
    "Allowance": ".domain.outcomes",
    "Changes": ".evaluation.session",
    "Charge": ".domain.outcomes",
    "Commendation": ".domain.outcomes",
    "ComplianceFinding": ".domain.outcomes",
    "DataError": ".domain.errors",
    "Dataset": ".domain.model",
    "EngineError": ".domain.errors",
    "Evaluation": ".domain.outcomes",
    "Evaluator": ".evaluation.evaluator",
    "Explanation": ".analysis.explain",
    "ImpactDiff": ".analysis.diff",
    "Limits": ".policy.limits",
    "NearMiss": ".analysis.explain",
    "Outcome": ".domain.outcomes",
    "Pack": ".policy.pack",
    "PolicyError": ".domain.errors",
    "Problem": ".domain.errors",
    "Provenance": ".domain.outcomes",
    "Reprimand": ".domain.outcomes",
    "Result": ".domain.outcomes",
    "Session": ".evaluation.session",
    "Span": ".domain.errors",
    "WarningReport": ".analysis.warnings",
    "bundled_dataset": ".data.resources",
    "bundled_pack": ".data.resources",
    "compose": ".policy.compose",
    "diff_results": ".analysis.diff",
    "early_warnings": ".analysis.warnings",
    "evaluate": ".evaluation.evaluator",
    "explain": ".analysis.explain",
    "explain_subject": ".analysis.explain",
    "impact": ".analysis.diff",
    "load_dataset": ".data.datasets",
    "load_pack": ".policy.pack",
    "render_diff": ".reports.diff",
    "run_pack_tests": ".analysis.pack_tests",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Allocation",
    "Allowance",
    "Changes",
    "Charge",
    "Commendation",
    "ComplianceFinding",
    "DataError",
    "Dataset",
    "EngineError",
    "Evaluation",
    "Evaluator",
    "Explanation",
    "ImpactDiff",
    "Limits",
    "NearMiss",
    "Outcome",
    "Pack",
    "PolicyError",
    "Problem",
    "Provenance",
    "Reprimand",
    "Result",
    "Session",
    "Span",
    "WarningReport",
    "bundled_dataset",
    "bundled_pack",
    "compose",
    "diff_results",
    "early_warnings",
    "evaluate",
    "explain",
    "explain_subject",
    "impact",
    "load_dataset",
    "load_pack",
    "render_diff",
    "run_pack_tests",
]

__version__ = "0.1.0"
