"""partybuild-rules: auditable rules for urban grassroots Party building (城市基层党建).

Load a policy pack, load a dataset, evaluate a year, read and explain the outcomes::

    from partybuild_rules import bundled_dataset, bundled_pack, evaluate, load_dataset, load_pack

    pack = load_pack(bundled_pack(), overrides={"minimum_income": "1300.00"})
    data = load_dataset(bundled_dataset())
    result = evaluate(pack, data, 2024)
    for outcome in result.of_rule("R2.member-absence"):
        print(outcome.subject_name, outcome.period, outcome.provenance.source)
"""

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
