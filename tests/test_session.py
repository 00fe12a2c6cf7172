"""Incremental evaluation: a session's outcomes after any sequence of additions and removals
equal a full evaluation of its dataset, and each change reports what it did."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
from hypothesis import event as note, given
from hypothesis import strategies as st

from helpers import City, month_range
from partybuild_rules import Changes, DataError, Dataset, Pack, Result, Session, evaluate, load_pack
from partybuild_rules.domain.model import Inspection, Rectification, SubjectKind
from partybuild_rules.testing import (
    activity,
    assessment,
    datasets,
    inspection,
    joint_meeting,
    member_report_in,
    rectification,
    two_way_review,
    unit_report,
)

YEAR = 2024
ROOT = Path(__file__).resolve().parents[1]


def _json(outcome: Any) -> str:
    return str(outcome.model_dump_json())


def _applies(before: Result, changes: Changes, after: Result) -> bool:
    """Whether ``changes`` turn the outcomes of ``before`` into those of ``after``."""
    outcomes = Counter(_json(o) for o in before.outcomes)
    outcomes.subtract(_json(o) for o in changes.removed)
    outcomes.subtract(_json(old) for old, _ in changes.changed)
    outcomes.update(_json(o) for o in changes.added)
    outcomes.update(_json(new) for _, new in changes.changed)
    return +outcomes == Counter(_json(o) for o in after.outcomes)


def _check(session: Session, pack: Pack, engine: str) -> None:
    full = evaluate(pack, session.dataset, YEAR, engine=engine)
    assert session.result.to_json() == full.to_json()


@st.composite
def _event(draw: Any, data: Dataset, number: int) -> Any:
    """One new event of any core type, naming the dataset's records, with a fresh id."""
    between = (data.covers.start, data.covers.end)
    members = [m.id for m in data.members]
    units = [u.id for u in data.units]
    communities = [c.id for c in data.communities]
    subjects = {SubjectKind.UNIT: units, SubjectKind.COMMUNITY: communities}
    findings = [f.id for e in data.events if isinstance(e, Inspection) for f in e.findings]
    choices = [
        activity(communities, between=between, members=members, units=units),
        unit_report(units, between=between, communities=communities),
        member_report_in(members, communities, between=between),
        assessment(subjects, between=between),
        joint_meeting(communities, between=between, units=units),
        two_way_review({u.id: u.community for u in data.units}, year=YEAR, between=between),
    ]
    if data.inspection_groups:
        choices.append(inspection([g.id for g in data.inspection_groups], subjects, between=between))
    if findings:
        choices.append(rectification(findings, between=between))
    event = draw(st.one_of(choices))
    update: dict[str, Any] = {"id": f"N{number}"}
    if isinstance(event, Inspection):  # findings of their own, as a new inspection has
        update["findings"] = tuple(
            f.model_copy(update={"id": f"N{number}F{j}"}) for j, f in enumerate(event.findings)
        )
    return event.model_copy(update=update)


@pytest.fixture(scope="module", params=["tongjiang", "points"])
def any_pack(request: pytest.FixtureRequest) -> Pack:
    """The bundled pack, and the points pack (sums by formula, periods counted from the
    report-in, rules reading other rules' outcomes)."""
    return load_pack(ROOT / "policies" / request.param)


@given(datasets(communities=(1, 2), units=(1, 3), members=(1, 4)), st.data())
def test_any_sequence_of_changes_equals_a_full_evaluation(
    any_pack: Pack, engine: str, data: Dataset, draw: st.DataObject
) -> None:
    session = Session(any_pack, data, YEAR, engine=engine)
    _check(session, any_pack, engine)
    for number in range(draw.draw(st.integers(1, 6), label="steps")):
        before = session.result
        held = list(session.dataset.events)
        if held and draw.draw(st.booleans(), label="remove"):
            event_id = draw.draw(st.sampled_from(held), label="event").id
            try:
                changes = session.remove(event_id)
            except DataError:  # an inspection whose finding a rectification still names
                assert session.result is before
                continue
        else:
            changes = session.add(draw.draw(_event(session.dataset, number), label="event"))
        note("changed outcomes" if not changes.empty else "no change")
        assert _applies(before, changes, session.result)
        _check(session, any_pack, engine)


# -- edge cases ------------------------------------------------------------------------------


def _absent_half_year() -> City:
    """M1 takes part every month of 2024 but January to June: R2 reached in June."""
    city = City(covers=("2024-01-01", "2024-12-31"))
    city.member("M1", reported_in="2024-01-01")
    city.attend("M1", month_range("2024-07", "2024-12"))
    return city


def test_a_participation_in_the_sixth_absent_month_removes_the_reprimand(
    tongjiang_pack: Pack, engine: str
) -> None:
    session = Session(tongjiang_pack, _absent_half_year().build(), YEAR, engine=engine)
    assert [o.period for o in session.result.of_rule("R2.member-absence")] == ["2024-06"]
    changes = session.add({"id": "S1", "date": "2024-06-20", "type": "activity", "community": "C1",
                           "kind": "theme_day", "participants": ["M1"]})
    assert [(o.rule_id, o.subject, o.period) for o in changes.removed] == [("R2.member-absence", "M1", "2024-06")]
    assert session.result.of_rule("R2.member-absence") == []
    _check(session, tongjiang_pack, engine)


def test_a_refused_event_changes_nothing(tongjiang_pack: Pack, engine: str) -> None:
    data = _absent_half_year().build()
    session = Session(tongjiang_pack, data, YEAR, engine=engine)
    before = session.result
    refused = [
        ({"id": "E1", "date": "2024-06-20", "type": "activity", "community": "C1", "kind": "theme_day"},
         "duplicate id `E1`"),
        ({"id": "S1", "date": "2024-06-20", "type": "activity", "community": "C9", "kind": "theme_day",
          "participants": ["M1", "M7"]}, "unknown community `C9`"),
        ({"id": "S1", "date": "2025-01-02", "type": "unit_report", "unit": "U1"}, "outside the covered dates"),
        ({"id": "S1", "date": "2024-03-02", "type": "dues_payment", "member": "M1"}, "unknown event type"),
        ({"id": "S1", "date": "2024-03-02", "type": "unit_report", "unit": "U1", "colour": "red"},
         "unknown field `colour`"),
        ({"id": "S1", "date": "2024-03-02", "type": "rectification", "finding": "F1"}, "unknown finding `F1`"),
    ]
    for event, message in refused:
        with pytest.raises(DataError) as error:
            session.add(event)
        assert message in str(error.value)
        assert all(p.path[:2] == ("events", len(data.events)) for p in error.value.problems)
    with pytest.raises(DataError, match="no event has the id `S9`"):
        session.remove("S9")
    assert session.result is before
    assert session.dataset == data


def test_removing_then_adding_again_gives_the_original_result(tongjiang_pack: Pack, engine: str) -> None:
    city = _absent_half_year()
    city.unit("U2")
    city.event("unit_report", "2024-03-10", unit="U2")
    session = Session(tongjiang_pack, city.build(), YEAR, engine=engine)
    original = session.result
    for event in list(session.dataset.events):
        removal = session.remove(event.id)
        without = session.result
        assert _applies(original, removal, without)
        _check(session, tongjiang_pack, engine)
        addition = session.add(event)
        assert _applies(without, addition, session.result)
        assert session.result.to_json() == original.to_json()


def test_an_inspection_named_by_a_rectification_stays(tongjiang_pack: Pack, engine: str) -> None:
    city = City(covers=("2024-01-01", "2024-12-31"))
    city.unit("U1")
    city.groups.append({"id": "G1", "name": "第一巡回督查组"})
    city.event("inspection", "2024-02-01", group="G1", subject_kind="unit", subject="U1",
               findings=[{"id": "F1", "description": "台账不全", "deadline": "2024-03-01"}])
    session = Session(tongjiang_pack, city.build(), YEAR, engine=engine)
    assert [o.subject for o in session.result.of_rule("R7.rectification-overdue")] == ["U1"]
    changes = session.add(Rectification(id="S1", date=date(2024, 2, 20), finding="F1"))
    assert [o.rule_id for o in changes.removed] == ["R7.rectification-overdue"]
    with pytest.raises(DataError, match="rectifications still name: `F1`"):
        session.remove("E1")
    changes = session.remove("S1")
    assert [o.rule_id for o in changes.added] == ["R7.rectification-overdue"]
    _check(session, tongjiang_pack, engine)


# -- other packs: pack events, sums and formulas, rule chaining, earlier years -----------------


@pytest.mark.parametrize("name", ["points", "party-dues", "fuyuan"])
def test_pack_events_and_chained_rules_follow_each_change(
    name: str, engine: str, community_subset: Callable[[Iterable[str]], dict[str, Any]]
) -> None:
    pack = load_pack(ROOT / "policies" / name)
    data = Dataset.model_validate(community_subset(["C01"]))
    session = Session(pack, data, YEAR, engine=engine)
    assert session.incremental is (name != "fuyuan")  # fuyuan reads last year's reprimands
    original = session.result.to_json()
    assert original == evaluate(pack, data, YEAR, engine=engine).to_json()
    by_type: dict[str, list[Any]] = {}
    for event in data.events:
        by_type.setdefault(event.type, []).append(event)
    picked = [events[len(events) // 2] for events in by_type.values()]  # one of each type
    if not session.incremental:
        picked = picked[:3]  # each change is a whole evaluation
    for event in picked:
        before = session.result
        removal = session.remove(event.id)
        assert _applies(before, removal, session.result)
        _check(session, pack, engine)
    for event in reversed(picked):
        before = session.result
        assert _applies(before, session.add(event), session.result)
    _check(session, pack, engine)
    assert session.result.to_json() == original
