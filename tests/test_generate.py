"""The synthetic dataset generator: deterministic, exact counts, valid, and the shipped example."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from partybuild_rules.data.generate import generate, write_dataset
from partybuild_rules.domain.model import Dataset

ROOT = Path(__file__).resolve().parents[1]
TONGJIANG = ROOT / "examples" / "tongjiang" / "dataset.json"
SMALL = ROOT / "examples" / "small" / "dataset.yaml"
DATA_FORMAT = ROOT / "docs" / "data-format.md"

Data = dict[str, Any]


@pytest.fixture(scope="module")
def data() -> Data:
    return generate()


@pytest.fixture(scope="module")
def doubled() -> Data:
    return generate(scale=2)


def _members_with_role(data: Data, role: str) -> int:
    return sum(1 for m in data["members"] if any(h["role"] == role for h in m["roles"]))


def _counts(data: Data) -> dict[str, int]:
    return {
        "communities": len(data["communities"]),
        "grids": len(data["grids"]),
        "units": len(data["units"]),
        "in_service": sum(1 for m in data["members"] if m["in_service"]),
        "grid_leaders": _members_with_role(data, "grid_leader"),
        "committee_members": _members_with_role(data, "committee_member"),
        "community_workers": _members_with_role(data, "community_worker"),
        "party_secretaries": _members_with_role(data, "party_secretary"),
        "inspection_groups": len(data["inspection_groups"]),
    }


SCALE_1 = {
    "communities": 9, "grids": 120, "units": 160, "in_service": 2174, "grid_leaders": 120,
    "committee_members": 50, "community_workers": 57, "party_secretaries": 9, "inspection_groups": 6,
}


def test_same_seed_same_data(data: Data) -> None:
    """Two calls with the same arguments give equal data."""
    assert generate() == data


def test_different_seed_different_data(data: Data) -> None:
    """Another seed draws another dataset."""
    assert generate(seed=7) != data


def test_written_bytes_are_deterministic(data: Data, tmp_path: Path) -> None:
    """Writing the same data twice gives the same bytes, one record per line."""
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_dataset(first, data)
    write_dataset(second, generate())
    assert first.read_bytes() == second.read_bytes()
    lines = first.read_text(encoding="utf-8").splitlines()
    assert len(lines) > len(data["events"]) + len(data["members"])
    assert json.loads(first.read_text(encoding="utf-8")) == data


def test_scale_1_counts_are_the_reports(data: Data) -> None:
    """Scale 1 has exactly the report's numbers."""
    assert _counts(data) == SCALE_1


def test_scale_2_doubles_the_counts(doubled: Data) -> None:
    """Scale 2 has twice every count."""
    assert _counts(doubled) == {key: 2 * value for key, value in SCALE_1.items()}


def test_validates(data: Data) -> None:
    """The model accepts the data: every reference resolves and every event is inside covers."""
    Dataset.model_validate(data)


def test_scale_2_validates(doubled: Data) -> None:
    """Ids stay unique and references resolve across blocks."""
    Dataset.model_validate(doubled)


@pytest.mark.parametrize("year", [2021, 2025])
def test_other_years_validate(year: int) -> None:
    """Another evaluation year (leap or not) moves the window and still validates."""
    data = generate(year=year, seed=year)
    assert data["covers"] == {"start": f"{year - 1}-07-01", "end": f"{year}-12-31"}
    Dataset.model_validate(data)


def test_every_event_inside_covers(data: Data, doubled: Data) -> None:
    """Every event date lies in covers, the year before's second half through the year's end."""
    for dataset in (data, doubled):
        start, end = dataset["covers"]["start"], dataset["covers"]["end"]
        assert (start, end) == ("2023-07-01", "2024-12-31")
        assert all(start <= event["date"] <= end for event in dataset["events"])


def test_json_plain_and_exact(data: Data) -> None:
    """Plain JSON types only; no float anywhere, so scores stay exact."""

    def floats(value: object) -> int:
        if isinstance(value, float):
            return 1
        if isinstance(value, dict):
            return sum(floats(v) for v in value.values())
        if isinstance(value, list):
            return sum(floats(v) for v in value)
        assert value is None or isinstance(value, (str, int, bool))
        return 0

    assert floats(data) == 0
    assert set(data) == {"name", "covers", "communities", "grids", "units", "members",
                         "inspection_groups", "ratings", "events", "declared_by"}


def test_event_volume_and_ids(data: Data) -> None:
    """Roughly 25-35k core events at scale 1, numbered E000001.. in date order; the bundled
    packs' events (dues payments, points awards) follow, numbered D…/P… in date order."""
    core = [e for e in data["events"] if e["id"].startswith("E")]
    assert 25_000 <= len(core) <= 35_000
    assert [e["id"] for e in core[:2]] == ["E000001", "E000002"]
    assert [e["date"] for e in core] == sorted(e["date"] for e in core)
    assert Counter(e["type"] for e in core).keys() == {
        "unit_report", "member_report_in", "activity", "joint_meeting", "inspection",
        "rectification", "assessment", "two_way_review",
    }
    packs = [e for e in data["events"] if not e["id"].startswith("E")]
    assert Counter(e["type"] for e in packs).keys() == {"dues_payment", "points_award"}
    for prefix in ("D", "P"):
        own = [e for e in packs if e["id"].startswith(prefix)]
        assert [e["date"] for e in own] == sorted(e["date"] for e in own)
    assert set(data["declared_by"]) == {"party-dues", "points"}


def _month(day: str, year: int = 2024) -> int:
    """Window month index: 0 is July of the year before, 17 is December of the year."""
    return (int(day[:4]) - year + 1) * 12 + int(day[5:7]) - 7


def _absence_outcomes(data: Data) -> list[tuple[str, int]]:
    """(member, month) at which an in-service member's absence streak reaches 6 (R2), counted
    from the later of the first covered month and the month of reporting in."""
    present: dict[str, set[int]] = defaultdict(set)
    for event in data["events"]:
        if event["type"] == "activity" and event["co_building"]:
            for member in event["participants"]:
                present[member].add(_month(event["date"]))
    outcomes = []
    for member in data["members"]:
        if not member["in_service"]:
            continue
        run = 0
        for month in range(max(0, _month(member["reported_in"])), 18):
            run = 0 if month in present[member["id"]] else run + 1
            if run == 6:
                outcomes.append((member["id"], month))
    return outcomes


def test_designed_absence_streaks(data: Data) -> None:
    """The designed R2 cases are all there: 42 streaks reach 6 months in 2024 (39 members),
    10 reached 6 in 2023, and no other member is ever absent more than 3 months running."""
    outcomes = _absence_outcomes(data)
    in_year = [(member, month) for member, month in outcomes if month >= 6]
    assert len(in_year) == 42
    assert len({member for member, _ in in_year}) == 39
    assert len(outcomes) - len(in_year) == 10


def test_designed_compliance_gaps(data: Data) -> None:
    """C1-C4 have a few misses in 2024: 15 units miss reports, 2 community-quarters lack a
    collective activity, 1 community-half lacks a joint meeting, 10 subject-quarters lack an
    inspection."""
    events = data["events"]
    reported = {(e["unit"], _month(e["date"])) for e in events if e["type"] == "unit_report"}
    assert len({u["id"] for u in data["units"] for m in range(6, 18) if (u["id"], m) not in reported}) == 15
    collective = {(e["community"], _month(e["date"]) // 3) for e in events
                  if e["type"] == "activity" and e["kind"] == "collective"}
    assert sum((c["id"], q) not in collective for c in data["communities"] for q in range(6)) == 2
    met = {(e["community"], _month(e["date"]) // 6) for e in events if e["type"] == "joint_meeting"}
    assert sum((c["id"], h) not in met for c in data["communities"] for h in range(3)) == 1
    inspected = {(e["subject"], _month(e["date"]) // 3) for e in events if e["type"] == "inspection"}
    subjects = [u["id"] for u in data["units"]] + [c["id"] for c in data["communities"]]
    assert sum((s, q) not in inspected for s in subjects for q in range(6)) == 10


def test_ratings_cover_two_past_years(data: Data) -> None:
    """Every unit and community is rated for 2022 and 2023; 12 units were 一般 in 2023."""
    ratings = {(r["subject"], r["year"]): r["tier"] for r in data["ratings"]}
    subjects = [u["id"] for u in data["units"]] + [c["id"] for c in data["communities"]]
    assert len(ratings) == len(data["ratings"]) == 2 * len(subjects)
    assert sum(ratings[(u["id"], 2023)] == "一般" for u in data["units"]) == 12


def test_bundled_example_is_reproducible(data: Data, tmp_path: Path) -> None:
    """examples/tongjiang/dataset.json is exactly what generate() and write_dataset() produce."""
    assert json.loads(TONGJIANG.read_text(encoding="utf-8")) == data
    rewritten = tmp_path / "dataset.json"
    write_dataset(rewritten, data)
    assert rewritten.read_bytes() == TONGJIANG.read_bytes()


def test_small_example_validates() -> None:
    """examples/small/dataset.yaml is a valid dataset for a plain YAML reader."""
    dataset = Dataset.model_validate(yaml.safe_load(SMALL.read_text(encoding="utf-8")))
    assert (len(dataset.communities), len(dataset.units), len(dataset.members)) == (1, 1, 2)


def test_small_example_is_the_documented_one() -> None:
    """The YAML example in docs/data-format.md is the file examples/small/dataset.yaml."""
    block = re.search(r"```yaml\n(.*?)```", DATA_FORMAT.read_text(encoding="utf-8"), re.S)
    assert block is not None
    assert block.group(1) == SMALL.read_text(encoding="utf-8")


def test_scale_below_one_is_refused() -> None:
    """A scale of 0 is a mistake, not an empty city."""
    with pytest.raises(ValueError, match="scale"):
        generate(scale=0)
