"""Hypothesis strategies for every record of the domain, for whole datasets and for parameter values.

Every strategy shrinks towards the simplest value: few records, no events, the first day of the
covered dates, parameters left at their defaults. A dataset drawn by :func:`datasets` is
referentially consistent (``Dataset.model_validate`` accepts it) and small but rich enough to make
rules fire: members with absence streaks, units that miss monthly reports, low and boundary scores,
roles that start or end inside a month, ratings of the previous year, inspection findings with and
without rectification. Copy this into another project's tests::

    from hypothesis import given
    from partybuild_rules import Allowance, evaluate, load_pack
    from partybuild_rules.testing import datasets, parameter_overrides

    PACK = load_pack("policies/tongjiang")

    @given(datasets(communities=2, members=(1, 4)), parameter_overrides(PACK))
    def test_no_negative_money(data, overrides):
        result = evaluate(PACK.with_overrides(overrides), data, 2024)
        assert all(o.amount >= 0 for o in result.outcomes if isinstance(o, Allowance))

Datasets are drawn through few, combined integer choices (a month mask, one choice per record):
hypothesis spends its time per choice, and a dataset of 150 events then takes milliseconds.

This module is the public face of the strategies; they live in private modules: ``_draw`` (the
choices), ``_records`` (records and events), ``_datasets`` (whole datasets), ``_steering``
(datasets aimed at rules), ``_raw_datasets`` (editing raw datasets) and ``_parameters``.
"""

from __future__ import annotations

from ._datasets import datasets, neighbourhoods
from ._draw import Size
from ._parameters import half_fen_ties, parameter_overrides, parameter_value
from ._raw_datasets import dataset_dict
from ._records import (
    DEFAULT_TIERS,
    activity,
    agreed_item,
    assessment,
    community,
    coverage,
    finding,
    grid,
    inspection,
    inspection_group,
    joint_meeting,
    member,
    member_report_in,
    pack_event,
    rating,
    rectification,
    resident_unit,
    role_holding,
    score,
    two_way_review,
    unit_report,
)
from ._steering import datasets_for_rules, tier_names

# Outside ``__all__``, but importable from this module before the strategies moved out of it.
from ._draw import Window as Window
from ._raw_datasets import add_event as add_event
from ._raw_datasets import counted_event as counted_event
from ._raw_datasets import subject_ids as subject_ids
from ._records import Organisation as Organisation

__all__ = [
    "pack_event",
    "DEFAULT_TIERS",
    "Size",
    "activity",
    "agreed_item",
    "assessment",
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
