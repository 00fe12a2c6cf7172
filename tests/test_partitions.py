"""Evaluating community partitions apart (``jobs``, ``dask``, the partition function) gives the
result of one process: the same JSON, outcome for outcome, provenance included."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import socket
import threading
import types
from pathlib import Path
from typing import Any, Iterator

import pytest

from partybuild_rules import (
    DataError,
    Dataset,
    EngineError,
    Evaluator,
    Pack,
    Result,
    evaluate,
    load_dataset,
    load_pack,
)
from partybuild_rules.cli import main
from partybuild_rules.data.compact import is_compact
from partybuild_rules.data.resources import bundled_policies
from partybuild_rules.evaluation import partitions as P
from partybuild_rules.evaluation import runners as R
from partybuild_rules.evaluation import splitting as S
from partybuild_rules.reports.text import to_json

YEAR = 2024
ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "examples" / "small" / "dataset.yaml"


@pytest.fixture(scope="module")
def composed() -> Pack:
    """Three packs evaluated together: Tongjiang, party dues and points."""
    return load_pack([bundled_policies() / name for name in ("tongjiang", "party-dues", "points")])


@pytest.fixture(scope="module")
def composed_json(composed: Pack, example_data: Dataset, engine: str) -> str:
    """The composed packs over the bundled example, in one process."""
    return to_json(evaluate(composed, example_data, YEAR))


@pytest.fixture(scope="module")
def small() -> Dataset:
    return load_dataset(SMALL)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A Dask cluster of two worker processes on this machine, for the module's tests."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as local:
        with distributed.Client(local) as client:
            yield client


def test_two_jobs_give_the_json_of_one_process(tongjiang_pack: Pack, example_data: Dataset,
                                               example_result: Result) -> None:
    """The bundled example, Tongjiang pack: identical JSON, progress reported per partition."""
    seen: list[tuple[str, int, int]] = []
    result = evaluate(tongjiang_pack, example_data, YEAR, lambda *a: seen.append(a), jobs=2)
    assert to_json(result) == to_json(example_result)
    done = [(d, t) for stage, d, t in seen if stage == "partitions"]
    assert done == [(n, len(example_data.communities)) for n in range(1, len(example_data.communities) + 1)]


def test_compactly_read_data_is_split_as_the_models_are(
    composed: Pack, example_data: Dataset, example_data_path: Path
) -> None:
    """Read with ``compact=True`` (as the command line reads), the partitions are written from the
    compact events themselves, not from models made of them, and hold the same records: each
    partition's text read back equals the one written from the models, event for event."""
    compact = load_dataset(example_data_path, compact=True)
    assert is_compact(compact)
    from_models = P.split(example_data, composed)
    from_compact = P.split(compact, composed)
    assert [p.community for p in from_compact] == [p.community for p in from_models]
    for ours, theirs in zip(from_compact, from_models):
        assert S._Payload.model_validate_json(ours.dataset) == S._Payload.model_validate_json(theirs.dataset)
        assert ours.records == theirs.records


def test_two_jobs_on_compactly_read_data(composed: Pack, example_data_path: Path, composed_json: str) -> None:
    compact = load_dataset(example_data_path, compact=True)
    assert to_json(evaluate(composed, compact, YEAR, jobs=2)) == composed_json


def test_two_jobs_with_composed_packs(composed: Pack, example_data: Dataset, composed_json: str) -> None:
    """Tongjiang, party dues and points together (pack events routed by their reference fields)."""
    assert to_json(Evaluator(composed).evaluate(example_data, YEAR, jobs=2)) == composed_json


def test_two_jobs_with_an_extending_pack_that_reads_an_earlier_year(example_data: Dataset) -> None:
    """Fuyuan extends Tongjiang and reads the reprimands of the year before (F1): the partitions
    evaluate the earlier year too, each for its own community."""
    pack = load_pack(bundled_policies() / "fuyuan")
    assert "F1.repeated-absence-talk" in P.plan(pack).partitioned
    assert to_json(evaluate(pack, example_data, YEAR, jobs=2)) == to_json(evaluate(pack, example_data, YEAR))


def test_the_plan_says_what_runs_over_the_whole_city(tongjiang_pack: Pack, composed: Pack) -> None:
    chosen = P.plan(tongjiang_pack)
    assert set(chosen.whole) == {"A4.secretary-subsidy", "B1.balancing"}
    assert "local: false" in chosen.whole["A4.secretary-subsidy"]
    assert chosen.second == {"A1.committee-wage", "A2.grid-leader-subsidy"}  # role allowances: ratings first
    assert len(chosen.partitioned) == 13
    assert {r.id for r in composed.rules if r.id.startswith(("D", "P"))} <= P.plan(composed).partitioned


def test_a_rule_reading_a_whole_city_rule_runs_over_the_whole_city(tongjiang_pack: Pack) -> None:
    """Making E1 non-local sends every rule that reads ratings to the whole city as well (the
    role allowances included: they read the ratings)."""
    rules = tuple(r.model_copy(update={"local": False}) if r.id == "E1.annual-rating" else r
                  for r in tongjiang_pack.rules)
    pack = dataclasses.replace(tongjiang_pack, rules=rules, _cache={})
    whole = P.plan(pack).whole
    assert "`E1.annual-rating`" in whole["A4.new-org-activity-funds"]
    assert "`E1.annual-rating`" in whole["R1.unit-interview"]
    assert "E2.advanced-organisation" in whole  # through R1
    assert "A1.committee-wage" in whole and not P.plan(pack).second
    assert "C1.unit-monthly-report" in P.plan(pack).partitioned


def test_the_partition_function_gives_the_communitys_own_outcomes(
    tongjiang_pack: Pack, example_data: Dataset, example_result: Result, engine: str
) -> None:
    """Each partition alone: the outcomes of the partitioned rules for its own subjects, as plain
    records, in the order of the whole result; in the second round, given the communities'
    ratings, those of the role allowances."""
    chosen = P.plan(tongjiang_pack)
    bundle = P.pack_bundle(tongjiang_pack)
    partitions = P.split(example_data, tongjiang_pack)
    assert [p.community for p in partitions] == [c.id for c in example_data.communities]
    first = {p.community: P.evaluate_partition(json.loads(json.dumps(p.payload())), bundle, YEAR, engine)
             for p in partitions}
    ratings = P.community_ratings(example_data, YEAR, [r for rows in first.values() for r in rows])
    assert set(ratings) == {c.id for c in example_data.communities}
    for partition in partitions[:3]:
        expected = [o.model_dump(mode="json") for o in example_result.outcomes
                    if o.rule_id in chosen.partitioned and o.community == partition.community]
        assert first[partition.community] and first[partition.community] == expected
        second = P.evaluate_partition(partition.payload(), bundle, YEAR, engine, ratings)
        expected = [o.model_dump(mode="json") for o in example_result.outcomes
                    if o.rule_id in chosen.second and o.community == partition.community]
        assert second and second == expected


def test_dask_gives_the_json_of_one_process(cluster: Any, tongjiang_pack: Pack, example_data: Dataset,
                                            example_result: Result, small: Dataset) -> None:
    """On a Dask cluster of two worker processes: the bundled example and the small example."""
    assert to_json(evaluate(tongjiang_pack, example_data, YEAR, dask=cluster)) == to_json(example_result)
    year = small.covers.end.year
    assert to_json(evaluate(tongjiang_pack, small, year, dask=cluster)) == to_json(evaluate(tongjiang_pack, small, year))


def test_dask_by_scheduler_address(cluster: Any, tongjiang_pack: Pack, small: Dataset) -> None:
    """A scheduler address (the command line's `--dask`): connected to, used, and closed."""
    year = small.covers.end.year
    address = cluster.scheduler_info()["address"]
    assert to_json(evaluate(tongjiang_pack, small, year, dask=address)) == to_json(evaluate(tongjiang_pack, small, year))


def test_an_unreachable_scheduler_is_a_clear_error_not_a_hang(
    tongjiang_pack: Pack, small: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(R, "DASK_CONNECT_TIMEOUT", 2)
    with pytest.raises(EngineError, match="cannot reach the Dask scheduler at `tcp://127.0.0.1:9`"):
        evaluate(tongjiang_pack, small, small.covers.end.year, dask="tcp://127.0.0.1:9")


def test_an_address_that_is_not_a_scheduler_is_a_clear_error(tongjiang_pack: Pack, small: Dataset) -> None:
    """A port where something else answers (a web server, the dashboard) is an :class:`EngineError`
    saying so, not the ``MemoryError`` of reading its first bytes as a message length."""
    pytest.importorskip("distributed")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer() -> None:
        with server, server.accept()[0] as connection:
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4)

    threading.Thread(target=answer, daemon=True).start()
    with pytest.raises(EngineError, match=f"`tcp://127.0.0.1:{port}` does not answer as a Dask scheduler"):
        evaluate(tongjiang_pack, small, small.covers.end.year, dask=f"tcp://127.0.0.1:{port}")


def _spark_example() -> str:
    """The partition function of docs/scale.md's Spark example."""
    text = (ROOT / "docs" / "scale.md").read_text(encoding="utf-8")
    found = re.search(r"^def evaluate_frames\(.*?(?=^\S)", text, re.S | re.M)
    assert found is not None
    return found.group(0)


class _Frames:
    """Just enough of pandas for the example when pandas is not installed: a frame is a mapping
    of columns, a new one the list of its rows."""

    @staticmethod
    def DataFrame(rows: list[dict[str, str]], columns: list[str]) -> list[dict[str, str]]:
        assert all(list(row) == columns for row in rows)
        return rows


def test_the_spark_example_function_gives_the_json_of_one_process(
    tongjiang_pack: Pack, example_data: Dataset, example_result: Result, engine: str
) -> None:
    """The function docs/scale.md hands to ``mapInPandas``, run over frames of two partitions each,
    then :func:`combine`: the in-process result."""
    try:
        import pandas as pd

        frame: Any = pd.DataFrame
        rows_of: Any = lambda out: out.to_dict("records")  # noqa: E731
    except ImportError:
        pd, frame, rows_of = _Frames(), dict, lambda out: out  # type: ignore[assignment]
    scope: dict[str, Any] = {"json": json, "pd": pd, "evaluate_partition": P.evaluate_partition,
                             "bundle": P.pack_bundle(tongjiang_pack), "year": YEAR, "engine": engine}
    exec(_spark_example(), scope)
    payloads = [p.payload() for p in P.split(example_data, tongjiang_pack)]
    frames = [frame({name: [p[name] for p in payloads[i:i + 2]] for name in ("community", "dataset", "records")})
              for i in range(0, len(payloads), 2)]

    def mapped(ratings: dict[str, str] | None) -> list[dict[str, Any]]:
        out = scope["evaluate_frames"](iter(frames), ratings)
        return [json.loads(row["outcome"]) for frame_out in out for row in rows_of(frame_out)]

    first = mapped(None)
    second = mapped(P.community_ratings(example_data, YEAR, first))
    result = P.combine(Evaluator(tongjiang_pack, engine), example_data, YEAR, first + second)
    assert to_json(result) == to_json(example_result)


def test_an_error_in_a_worker_comes_back_as_the_same_error(tongjiang_pack: Pack, engine: str) -> None:
    """A task gives the library's errors back as data, raised again in the evaluating process with
    the same problems (no traceback of the worker)."""
    bad = {"community": "C01", "dataset": '{"dataset": {}, "events": {}, "order": ""}'}
    done = R._task([bad], P.pack_bundle(tongjiang_pack), YEAR, engine, None)
    assert done[0] == "DataError"
    with pytest.raises(DataError, match="partition `C01` is not one that split\\(\\) wrote") as raised:
        R._unwrapped(done)
    assert raised.value.problems == tuple(done[1]) and raised.value.__cause__ is None


def test_a_bad_jobs_value_is_refused(tongjiang_pack: Pack, small: Dataset) -> None:
    with pytest.raises(ValueError, match="jobs"):
        evaluate(tongjiang_pack, small, 2024, jobs=0)


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out, err)
    return code, out.getvalue(), err.getvalue()


def test_cli_jobs_gives_the_json_of_one_process() -> None:
    code, alone, _ = _run("evaluate", "--quiet", "--format", "json")
    assert code == 0
    code, spread, err = _run("evaluate", "--quiet", "--format", "json", "--jobs", "2")
    assert code == 0, err
    assert spread == alone


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_cli_a_bad_jobs_value_is_a_usage_error(value: str) -> None:
    code, out, err = _run("evaluate", "--lang", "en", "--jobs", value)
    assert code == 2 and not out
    assert "--jobs" in err and "Traceback" not in err


def test_cli_dask_without_the_package_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    code, _, err = _run("evaluate", "--lang", "en", "--dask", "tcp://127.0.0.1:8786")
    assert code == 2
    assert "pip install 'partybuild-rules[dask]'" in err


def test_cli_jobs_and_dask_together_are_refused() -> None:
    code, _, err = _run("evaluate", "--lang", "en", "--jobs", "2", "--dask", "tcp://127.0.0.1:8786")
    assert code == 2 and "not both" in err


def test_pack_bundle_is_the_same_pack(composed: Pack) -> None:
    """The pack shipped to workers is the pack: same rules, values, provenance paths."""
    import pickle

    shipped = pickle.loads(P.pack_bundle(composed))
    assert shipped == composed and isinstance(shipped.values, types.MappingProxyType)
    assert shipped.origin("D1.in-service-dues") == composed.origin("D1.in-service-dues")
