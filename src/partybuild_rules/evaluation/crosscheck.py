"""Checks of a dataset against a pack: what each is valid alone but wrong together.

A rating given in the data with a tier the pack does not know (``一 般`` with a space, or a pack
whose tiers were renamed) would silently never match a rule that reads ratings; it is an error.
"""

from __future__ import annotations

from ..domain.errors import Problem, Span
from ..domain.model import Dataset
from ..policy.pack import Pack

__all__ = ["rating_tier_problems"]


def rating_tier_problems(pack: Pack, data: Dataset) -> list[Problem]:
    """Every dataset rating whose tier is not one of the tiers the pack's rating rule gives for
    that kind of subject (nothing to check when the pack has no rating rule for it)."""
    tiers: dict[str, list[str]] = {}
    for rule in pack.rules:
        if rule.rating:
            for kind in rule.subjects:
                tiers.setdefault(kind.value, []).extend(t.tier for t in rule.tiers or ())
    problems = []
    for i, rating in enumerate(data.ratings):
        known = tiers.get(rating.subject_kind.value)
        if known and rating.tier not in known:
            path = ("ratings", i, "tier")
            problems.append(Problem(
                f"ratings[{i}]: tier `{rating.tier}` of {rating.subject_kind.value} `{rating.subject}` "
                f"is not a tier of pack `{pack.name}`",
                Span(data.name or "dataset"), "unknown-tier", f"tiers: {', '.join(known)}", path,
            ))
    return problems
