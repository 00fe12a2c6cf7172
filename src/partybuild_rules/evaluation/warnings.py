"""What is legal but suspicious in a dataset: worth a look before the outcomes are trusted.

Warnings never change outcomes; they say where an outcome may be missing for a reason the
data does not show (a member who never reported in cannot be counted for absences, a unit that
sent no report at all may be missing from the data rather than negligent).
"""

from __future__ import annotations

from typing import cast

from ..domain.model import Dataset, MemberReportIn, UnitReport
from ..domain.outcomes import Notice

__all__ = ["dataset_warnings"]


def dataset_warnings(data: Dataset, year: int) -> tuple[Notice, ...]:
    """Every warning about ``data`` for an evaluation of ``year``, in record order."""
    reported: set[str] = set()
    reporting: set[str] = set()
    for event in data.events:  # one pass; by type: compact events are not the models (data/compact.py)
        if event.type == "unit_report":
            if event.date.year == year:
                reporting.add(cast(UnitReport, event).unit)
        elif event.type == "member_report_in":
            reported.add(cast(MemberReportIn, event).member)
    notices = [
        Notice(code="no-report-in", subject_kind="member", subject=member.id,
               message=f"in-service member `{member.id}` has no report-in date: not counted for absences")
        for member in data.members
        if member.in_service and member.reported_in is None and member.id not in reported
    ]
    notices += [
        Notice(code="no-unit-reports", subject_kind="unit", subject=unit.id,
               message=f"unit `{unit.id}` sent no report at all in {year}")
        for unit in data.units if unit.id not in reporting
    ]
    return tuple(notices)
