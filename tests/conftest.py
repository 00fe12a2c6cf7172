"""Shared test settings and fixtures: hypothesis profiles, the rules engine, the bundled pack, data
and result.

Profiles: ``ci`` (derandomized, 25 examples), ``dev`` (50) and ``thorough`` (500); choose one with
``HYPOTHESIS_PROFILE``, otherwise ``ci`` when ``CI`` is set and ``dev`` when it is not.

Every test runs once per rules engine (``[durable]`` and ``[clips]`` in its id): the ``engine``
fixture is session-wide and automatic, and sets ``PARTYBUILD_ENGINE`` so that everything the test
evaluates, in this process or in a CLI subprocess, uses that engine. Where durable-rules does not
import (Python 3.13 and later) its half is skipped with the reason. ``PARTYBUILD_TEST_ENGINES``
(e.g. ``clips``) restricts the run to some engines.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pytest
from hypothesis import settings

from partybuild_rules import (
    Dataset,
    Pack,
    Result,
    bundled_dataset,
    bundled_pack,
    evaluate,
    load_pack,
)
from partybuild_rules.evaluation.engines.base import ENGINES, ENV_VAR, unavailable

settings.register_profile("ci", derandomize=True, max_examples=25, deadline=None, print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

EXAMPLE_YEAR = 2024
Raw = dict[str, Any]


def _engine_params() -> list[Any]:
    chosen = [e.strip() for e in os.environ.get("PARTYBUILD_TEST_ENGINES", ",".join(ENGINES)).split(",")]
    params = []
    for name in ENGINES:
        reason = unavailable(name)
        marks = [pytest.mark.skip(reason=f"the {name} engine cannot run here: {reason}")] if reason else []
        if name not in chosen:
            marks = [pytest.mark.skip(reason=f"PARTYBUILD_TEST_ENGINES leaves out {name}")]
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(scope="session", autouse=True, params=_engine_params())
def engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """The rules engine this test runs on; also set as ``PARTYBUILD_ENGINE`` while it runs."""
    name: str = request.param
    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = name
    yield name
    if before is None:
        os.environ.pop(ENV_VAR, None)
    else:
        os.environ[ENV_VAR] = before


@pytest.fixture(scope="session")
def tongjiang_pack() -> Pack:
    """The bundled Tongjiang pack with its default parameters."""
    return load_pack(bundled_pack())


@pytest.fixture(scope="session")
def example_data_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example dataset file; generated into a temporary folder if it is missing."""
    path = bundled_dataset()
    if path.exists():
        return path
    from partybuild_rules.data.generate import generate, write_dataset

    path = tmp_path_factory.mktemp("example") / "dataset.json"
    write_dataset(path, generate())
    return path


@pytest.fixture(scope="session")
def example_data(example_data_path: Path) -> Dataset:
    """The bundled example dataset, loaded and checked."""
    from partybuild_rules import load_dataset

    return load_dataset(example_data_path)


@pytest.fixture(scope="session")
def example_result(tongjiang_pack: Pack, example_data: Dataset, engine: str) -> Result:
    """The bundled pack evaluated over the bundled example for 2024 by ``engine``."""
    return evaluate(tongjiang_pack, example_data, EXAMPLE_YEAR, engine=engine)


@pytest.fixture(scope="session")
def generated_raw() -> Raw:
    """``generate(scale=1)`` as plain JSON data, built once per session (do not mutate)."""
    from partybuild_rules.data.generate import generate

    return generate(scale=1)


@pytest.fixture(scope="session")
def community_subset(generated_raw: Raw) -> Callable[[Iterable[str]], Raw]:
    """A function returning a consistent copy of the generated data restricted to some
    communities: small enough to evaluate in a fraction of a second."""
    return lambda communities: subset(generated_raw, communities)


def subset(raw: Raw, communities: Iterable[str]) -> Raw:
    """The records of ``raw`` that belong to ``communities``; references to dropped records are
    removed from lists (activity participants, meeting units) or the record is dropped."""
    keep = set(communities)
    out: Raw = {key: value for key, value in raw.items() if not isinstance(value, list) or key == "declared_by"}
    out["communities"] = [
        {**c, "neighbours": [n for n in c.get("neighbours", []) if n in keep]}
        for c in raw["communities"] if c["id"] in keep
    ]
    out["grids"] = [dict(g) for g in raw["grids"] if g["community"] in keep]
    grids = {g["id"] for g in out["grids"]} | {None}
    out["units"] = [dict(u) for u in raw["units"] if u["community"] in keep]
    units = {u["id"] for u in out["units"]}
    members = []
    for member in raw["members"]:
        if (
            member["residence_community"] in keep
            and member.get("unit") in units | {None}
            and member.get("grid") in grids
        ):
            member = dict(member)
            if "roles" in member:
                member["roles"] = [dict(h) for h in member["roles"] if h["community"] in keep]
            members.append(member)
    out["members"] = members
    member_ids = {m["id"] for m in members}
    out["inspection_groups"] = [dict(g) for g in raw["inspection_groups"]]

    def subject_kept(record: Raw) -> bool:
        return record["subject"] in (units if record["subject_kind"] == "unit" else keep)

    out["ratings"] = [dict(r) for r in raw["ratings"] if subject_kept(r)]
    events: list[Raw] = []
    findings: set[str] = set()
    for event in raw["events"]:
        kind = event["type"]
        event = dict(event)
        if kind == "unit_report":
            kept = event["unit"] in units and event.get("community", next(iter(keep))) in keep
        elif kind == "member_report_in":
            kept = event["member"] in member_ids and event["community"] in keep
        elif kind in ("activity", "joint_meeting"):
            kept = event["community"] in keep
            event["units"] = [u for u in event.get("units", []) if u in units]
            if kind == "activity":
                event["participants"] = [p for p in event.get("participants", []) if p in member_ids]
        elif kind == "two_way_review":
            kept = event["unit"] in units and event["community"] in keep
        elif kind in ("inspection", "assessment"):
            kept = subject_kept(event)
            if kept and kind == "inspection":
                findings |= {f["id"] for f in event.get("findings", [])}
        elif kind == "rectification":
            kept = True  # decided below, once every kept finding is known
        elif kind in ("dues_payment", "points_award"):  # the bundled packs' own events
            kept = event["member"] in member_ids
        else:  # pragma: no cover - a new event type needs a rule here
            raise AssertionError(f"unknown event type {kind}")
        if kept:
            events.append(event)
    out["events"] = [e for e in events if e["type"] != "rectification" or e["finding"] in findings]
    return out
