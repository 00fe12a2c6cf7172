"""The machinery under the invariants: a budget, a seeded hypothesis search that records its
smallest counterexample instead of raising, evaluators cached per parameter overrides, and a
reducer that drops records a counterexample does not need."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Mapping, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis.strategies import SearchStrategy
from pydantic import ValidationError

from ..domain.model import Dataset
from ..domain.outcomes import Result
from ..evaluation.evaluator import Evaluator
from ..policy.pack import Pack
from ._draw import Size

__all__ = ["Budget", "Engines", "EvaluateFn", "Found", "Progress", "reduce_dataset", "reduce_overrides", "search"]

T = TypeVar("T")
W = TypeVar("W")
EvaluateFn = Callable[[Pack, Dataset, int], Result]
"""Evaluates a pack (with its overrides applied) over a dataset for a year."""
Progress = Callable[[str, int, int], None]
"""Called as ``progress(name, done, total)``: examples tried of a property, out of the budget."""


@dataclass(frozen=True)
class Budget:
    """How hard one search tries: at most ``max_examples`` examples (and, if ``seconds`` is set,
    no new example after that many seconds), seeded by ``seed``; datasets of ``year`` sized by
    ``sizes`` (keyword arguments of :func:`~partybuild_rules.testing.datasets`)."""

    max_examples: int = 50
    seconds: float | None = None
    seed: int = 0
    year: int | None = None
    sizes: Mapping[str, Size] = field(default_factory=dict)

    def year_of(self, pack: Pack) -> int:
        """The year checked: the one given, else the pack's first year in force in which every
        earlier year its rules read (outcomes of ``year: previous``) is in force too."""
        if self.year is not None:
            return self.year
        look_back = max((-c.outcome.offset for rule in pack.rules if rule.when for c in rule.when.walk()
                         if c.outcome is not None and c.outcome.offset < 0), default=0)
        return pack.effective_from.year + look_back

    @property
    def shrink_limit(self) -> int:
        """Calls allowed after the first counterexample for hypothesis to shrink it (a count, not
        a time, so that a seed gives the same report on any machine)."""
        return min(self.max_examples + 20, 60)

    @property
    def reduce_limit(self) -> int:
        """Calls allowed to drop what the shrunk counterexample does not need."""
        return 60


@dataclass(frozen=True)
class Found(Generic[T, W]):
    """What a search found: the smallest failing input and what the probe said about it."""

    value: T | None
    witness: W | None
    examples: int
    timed_out: bool


class _Stop(Exception):
    """Raised inside the hypothesis test to mark an example as failing."""


class _Abort(BaseException):
    """Raised inside the hypothesis test when a budget runs out: hypothesis lets exceptions that
    are not ``Exception`` (like ``KeyboardInterrupt``) end the run at once, without shrinking."""


def search(
    strategy: SearchStrategy[T],
    probe: Callable[[T], W | None],
    budget: Budget,
    *,
    name: str,
    progress: Progress | None = None,
    shrink: bool = True,
    size: Callable[[T], int] | None = None,
) -> Found[T, W]:
    """Run ``probe`` on examples of ``strategy`` until it returns something (a counterexample, or
    a witness); shrink it unless ``shrink`` is false; return the smallest by ``size``."""
    deadline = None if budget.seconds is None else time.monotonic() + budget.seconds
    state = {"examples": 0, "after": 0, "timed_out": False}
    found: list[tuple[int, T, W]] = []

    @settings(
        max_examples=max(1, budget.max_examples), deadline=None, database=None, derandomize=False,
        phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
        suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False,
        print_blob=False,
    )
    @seed(budget.seed)
    @given(strategy)
    def test(value: T) -> None:
        if found:
            state["after"] += 1
            if state["after"] > budget.shrink_limit:
                raise _Abort
        elif deadline is not None and time.monotonic() > deadline:
            state["timed_out"] = True
            raise _Abort
        else:
            state["examples"] += 1
            if progress is not None:
                progress(name, state["examples"], budget.max_examples)
        witness = probe(value)
        if witness is not None:
            found.append((size(value) if size else 0, value, witness))
            raise _Stop

    try:
        test()
    except _Abort:
        pass
    except Exception:  # _Stop, raised again by hypothesis for the smallest failing example
        if not found:
            raise
    if not found:
        return Found(None, None, state["examples"], bool(state["timed_out"]))
    _, value, witness = min(found, key=lambda item: item[0])
    return Found(value, witness, state["examples"], bool(state["timed_out"]))


def dataset_size(data: Dataset) -> int:
    """How big a dataset reads: the length of its JSON."""
    return len(data.model_dump_json(exclude_defaults=True))


# ---------------------------------------------------------------------------------------------
# evaluators


class OnEngine:
    """An ``evaluate`` hook that runs the library's own evaluator on the rules engine ``engine``
    (``durable`` or ``clips``); :class:`Engines` recognises it and keeps its evaluators as usual."""

    def __init__(self, engine: str) -> None:
        self.engine = engine

    def __call__(self, pack: Pack, data: Dataset, year: int) -> Result:
        with Evaluator(pack, self.engine) as evaluator:
            return evaluator.evaluate(data, year)


class Engines:
    """Evaluators of one pack, compiled once per parameter overrides and closed with this object
    (or, with ``evaluate``, that function instead of the library's engine)."""

    def __init__(self, pack: Pack, evaluate: EvaluateFn | None = None, keep: int = 4) -> None:
        self.base = pack
        self._engine = evaluate.engine if isinstance(evaluate, OnEngine) else None
        self._evaluate = None if isinstance(evaluate, OnEngine) else evaluate
        self._keep = keep
        self._packs: dict[tuple[tuple[str, str], ...], Pack] = {}
        self._evaluators: OrderedDict[tuple[tuple[str, str], ...], Evaluator] = OrderedDict()

    def __enter__(self) -> Engines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for evaluator in self._evaluators.values():
            evaluator.close()
        self._evaluators.clear()

    def pack(self, overrides: Mapping[str, Any]) -> Pack:
        key = _key(overrides)
        if key not in self._packs:
            self._packs[key] = self.base.with_overrides(overrides) if overrides else self.base
        return self._packs[key]

    def result(self, overrides: Mapping[str, Any], data: Dataset, year: int) -> Result:
        pack = self.pack(overrides)
        if self._evaluate is not None:
            return self._evaluate(pack, data, year)
        key = _key(overrides)
        evaluator = self._evaluators.get(key)
        if evaluator is None:
            evaluator = self._evaluators[key] = Evaluator(pack, self._engine)
            while len(self._evaluators) > self._keep:
                self._evaluators.popitem(last=False)[1].close()
        else:
            self._evaluators.move_to_end(key)
        return evaluator.evaluate(data, year)


def _key(overrides: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name, str(value)) for name, value in overrides.items()))


# ---------------------------------------------------------------------------------------------
# reducing counterexamples

_LISTS = ("events", "ratings", "members", "units", "grids", "inspection_groups", "communities")
_OPTIONAL = (("members", "grid"), ("units", "leader"), ("communities", "liaison"), ("communities", "area_m2"))
_NESTED = {"events": ("participants", "units", "findings", "items"), "members": ("roles",),
           "communities": ("neighbours",)}


def reduce_overrides(
    overrides: Mapping[str, Any], fails: Callable[[dict[str, Any]], W | None], trials: int
) -> tuple[dict[str, Any], W | None]:
    """Drop the parameter overrides that ``fails`` does not need, within ``trials`` calls."""
    left = [trials]
    best: list[W | None] = [None]

    def attempt(candidate: dict[str, Any]) -> bool:
        if left[0] <= 0:
            return False
        left[0] -= 1
        verdict = fails({name: overrides[name] for name in candidate["names"]})
        if verdict is not None:
            best[0] = verdict
        return verdict is not None

    names = _reduce_list({"names": list(overrides)}, ["names"], attempt)
    return {name: overrides[name] for name in names}, best[0]


def reduce_dataset(
    data: Dataset, fails: Callable[[Dataset], W | None], trials: int
) -> tuple[Dataset, W | None]:
    """Drop records (and list entries inside records) that ``fails`` does not need, trying chunks
    before single items, within ``trials`` calls; return the reduced dataset and what ``fails``
    said about it (``None`` if it no longer fails, which cannot happen for the input)."""
    raw = json.loads(data.model_dump_json())
    best = fails(data)
    left = [trials]

    def attempt(candidate: dict[str, Any]) -> bool:
        nonlocal best
        if left[0] <= 0:
            return False
        left[0] -= 1
        try:
            reduced = Dataset.model_validate(candidate)
        except (ValidationError, ValueError):
            return False
        verdict = fails(reduced)
        if verdict is not None:
            best = verdict
        return verdict is not None

    for section, name in _OPTIONAL:
        if any(record.get(name) is not None for record in raw[section]):
            candidate = {**raw, section: [{**record, name: None} for record in raw[section]]}
            if attempt(candidate):
                raw = candidate
    for section in _LISTS:
        raw[section] = _reduce_list(raw, [section], attempt)
        for index in range(len(raw[section])):
            for inner in _NESTED.get(section, ()):
                if raw[section][index].get(inner):
                    raw[section][index][inner] = _reduce_list(raw, [section, index, inner], attempt)
    return Dataset.model_validate(raw), best


def _reduce_list(raw: dict[str, Any], path: list[Any], attempt: Callable[[dict[str, Any]], bool]) -> list[Any]:
    """ddmin-style: remove chunks (all of them first, then halves, quarters, ...) while the
    candidate still fails."""
    items = _get(raw, path)
    chunk = max(1, len(items))
    while items and chunk >= 1:
        start, changed = 0, False
        while start < len(items):
            candidate_items = items[:start] + items[start + chunk:]
            if attempt(_set(raw, path, candidate_items)):
                items, changed = candidate_items, True
            else:
                start += chunk
        if not changed:
            chunk //= 2
    return items


def _get(raw: Any, path: list[Any]) -> list[Any]:
    for step in path:
        raw = raw[step]
    return list(raw)


def _set(raw: dict[str, Any], path: list[Any], value: list[Any]) -> dict[str, Any]:
    copy = dict(raw)
    target: Any = copy
    for step in path[:-1]:
        target[step] = list(target[step]) if isinstance(target[step], list) else dict(target[step])
        target = target[step]
    target[path[-1]] = value
    return copy
