"""Running the community partitions of :mod:`.partitions`: in worker processes on this machine
(``jobs``) or as tasks on a Dask distributed cluster (``dask``), then the whole-city rules here.

A task is a few consecutive partitions (their JSON text), the pack (pickled once, shipped once
to every Dask worker) and the year; it gives back plain records, or the problems of an error to
raise again here as they are. ``docs/scale.md`` explains the design and what it costs.
"""

from __future__ import annotations

import importlib
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Iterator, Mapping

from ..domain.errors import DataError, EngineError, PolicyError
from ..domain.model import Dataset
from ..domain.outcomes import Result
from .evaluator import Evaluator, Progress
from .partitions import (
    _OUTCOMES,
    _partitioned_queries,
    _whole,
    community_ratings,
    evaluate_partition,
    pack_bundle,
)
from .splitting import Partition, written_partitions

__all__ = ["DASK_CONNECT_TIMEOUT", "distributed_module", "evaluate_split"]

DASK_CONNECT_TIMEOUT = 10
"""Seconds to wait for a Dask scheduler before giving up with a clear message."""


def evaluate_split(
    evaluator: Evaluator, data: Dataset, year: int, progress: Progress | None = None, *,
    jobs: int = 1, dask: Any = None,
) -> Result:
    """Evaluate with the community partitions in ``jobs`` worker processes, or on the Dask
    cluster ``dask`` (a scheduler address or a ``distributed.Client``); the result is the one
    :meth:`Evaluator.evaluate` gives in one process."""
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be a whole number of processes, 1 or more, not {jobs!r}")
    evaluator.check(data, year)  # the errors of the whole dataset, as one process reports them
    queries = _partitioned_queries(evaluator)
    if not (queries.first or queries.second) or (dask is None and jobs == 1):
        return evaluator._run(data, year, progress, None)
    runner: _Runner = _DaskRunner(dask) if dask is not None else _PoolRunner(min(jobs, len(data.communities)) or 1)
    with runner:
        sizes, partitions = written_partitions(data, evaluator.pack)
        bundle = pack_bundle(evaluator.pack)
        heads: list[dict[str, str]] = []

        def written() -> Iterator[Partition]:
            for partition in partitions:
                heads.append({"community": partition.community, "dataset": partition.records})
                yield partition

        records: dict[str, list[dict[str, Any]]] = {}
        pending: set[Any] = set()

        def take(block: bool) -> None:
            for done in runner.results(pending, block):
                for community, found in _unwrapped(done):
                    records[community] = found
                    if progress is not None:
                        progress("partitions", len(records), len(sizes))

        # tasks are sent as their partitions are written: the workers start on the first ones
        for chunk in _chunks(sizes, written(), runner.width):
            pending.add(runner.submit(chunk, bundle, year, evaluator.engine, None))
            take(block=False)

        def gather() -> list[Any]:
            take(block=True)
            found = [r for community in sizes for r in records.get(community, ())]
            if queries.second:  # the role allowances, given every community's rating
                ratings = community_ratings(data, year, found)
                step = max(1, len(heads) // max(1, runner.width * 2))
                pending.update(runner.submit(heads[i:i + step], bundle, year, evaluator.engine, ratings)
                               for i in range(0, len(heads), step))
                second = 0
                for done in runner.results(pending, True):
                    rows = _unwrapped(done)
                    found += [r for _, part in rows for r in part]
                    second += len(rows)
                    if progress is not None:
                        progress("second round", second, len(heads))
            return _OUTCOMES.validate_python(found)

        return _whole(evaluator, data, year, progress, gather)


# ---------------------------------------------------------------------------------------------
# running the partitions: worker processes or Dask


Chunk = list[dict[str, str]]
Done = tuple[str, Any]
"""What a task gives back: ``("ok", [(community, records), ...])`` or an error to raise."""


def _chunks(sizes: Mapping[str, int], partitions: Iterator[Partition], width: int) -> Iterator[Chunk]:
    """Consecutive partitions, some ``4 × width`` tasks of about as many events each: several
    partitions per task to spread the cost of a task, a few tasks per worker to balance them."""
    share = max(1, sum(sizes.values()) // max(1, width * 4))
    chunk: Chunk = []
    held = 0
    for partition in partitions:
        chunk.append(partition.payload())
        held += sizes[partition.community]
        if held >= share:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def _task(chunk: Chunk, bundle: bytes, year: int, engine: str, ratings: Mapping[str, str] | None) -> Done:
    """One task in a worker: evaluate each partition of ``chunk`` (in the second round with
    ``ratings``). The errors of the library come back as data (their problems), to be raised
    again as they are."""
    try:
        return "ok", [(p["community"], evaluate_partition(p, bundle, year, engine, ratings)) for p in chunk]
    except (DataError, PolicyError) as error:
        return type(error).__name__, list(error.problems)
    except EngineError as error:
        return "EngineError", str(error)


def _unwrapped(done: Done) -> list[tuple[str, list[dict[str, Any]]]]:
    kind, value = done
    if kind == "ok":
        found: list[tuple[str, list[dict[str, Any]]]] = value
        return found
    if kind == "DataError":
        raise DataError(value)
    if kind == "PolicyError":
        raise PolicyError(value)
    raise EngineError(str(value))


class _Runner:
    width = 1

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        self.close(failed=kind is not None)

    def close(self, failed: bool) -> None:
        raise NotImplementedError

    def submit(self, chunk: Chunk, bundle: bytes, year: int, engine: str, ratings: Mapping[str, str] | None) -> Any:
        raise NotImplementedError

    def results(self, pending: set[Any], block: bool) -> Iterator[Done]:
        """What the tasks of ``pending`` gave, as they finish (each taken out of ``pending``):
        all of them with ``block``, else those already finished."""
        raise NotImplementedError


def _start_method() -> str:
    # Never fork: the parent may hold engine handles and threads (a progress bar, a Dask client).
    return "forkserver" if "forkserver" in get_all_start_methods() else "spawn"


class _PoolRunner(_Runner):
    """Worker processes on this machine, started fresh (never forked from this process)."""

    def __init__(self, jobs: int) -> None:
        self.width = jobs
        self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context(_start_method()))

    def close(self, failed: bool) -> None:
        # after an error or Ctrl-C the tasks not started are dropped and nothing more is awaited
        self.pool.shutdown(wait=not failed, cancel_futures=True)

    def submit(self, chunk: Chunk, bundle: bytes, year: int, engine: str, ratings: Mapping[str, str] | None) -> Any:
        return self.pool.submit(_task, chunk, bundle, year, engine, ratings)

    def results(self, pending: set[Any], block: bool) -> Iterator[Done]:
        while pending:
            finished, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
            if not finished:
                return
            for future in finished:
                pending.discard(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    raise EngineError(
                        "a worker process stopped before it finished its partitions (out of memory?); "
                        "evaluate with fewer --jobs, or in one process"
                    ) from None


class _DaskRunner(_Runner):
    """Tasks on a Dask distributed cluster."""

    def __init__(self, dask: Any) -> None:
        self.distributed = distributed_module()
        self.own = isinstance(dask, str)
        if isinstance(dask, str):
            try:
                self.client = self.distributed.Client(dask, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                raise EngineError(
                    f"cannot reach the Dask scheduler at `{dask}` within {DASK_CONNECT_TIMEOUT} s ({error}); "
                    "check the address (e.g. tcp://host:8786) and that the scheduler runs"
                ) from None
            except Exception as error:  # something answered, but not as a scheduler (a MemoryError
                # when its first bytes are read as a message length)
                raise EngineError(
                    f"`{dask}` does not answer as a Dask scheduler ({': '.join(filter(None, (type(error).__name__, str(error))))}); "
                    "check the address and port (a scheduler listens on tcp://host:8786 by default)"
                ) from None
        elif callable(getattr(dask, "submit", None)) and callable(getattr(dask, "scheduler_info", None)):
            self.client = dask
        else:
            raise TypeError(f"dask must be a scheduler address or a distributed.Client, not {type(dask).__name__}")
        self.shipped: Any = None
        workers = self.client.scheduler_info().get("workers", {})
        self.width = max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))

    def close(self, failed: bool) -> None:
        if self.own:
            self.client.close()

    def submit(self, chunk: Chunk, bundle: bytes, year: int, engine: str, ratings: Mapping[str, str] | None) -> Any:
        if self.shipped is None:  # the pack once to every worker, not once per task
            self.shipped = self.client.scatter(bundle, broadcast=True, hash=True)
        return self.client.submit(_task, chunk, self.shipped, year, engine, ratings, pure=False)

    def results(self, pending: set[Any], block: bool) -> Iterator[Done]:
        ready = self.distributed.as_completed(list(pending)) if block else [f for f in pending if f.done()]
        for future in ready:
            pending.discard(future)
            yield future.result()


def distributed_module() -> Any:
    """The ``distributed`` package, or an :class:`EngineError` saying how to install it."""
    try:
        return importlib.import_module("distributed")
    except ImportError:
        raise EngineError(
            "evaluating on a Dask cluster needs the `distributed` package: pip install 'partybuild-rules[dask]'"
        ) from None

