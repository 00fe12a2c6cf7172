"""Reading a dataset file (JSON, YAML or an Excel ledger) into a checked
:class:`~partybuild_rules.domain.model.Dataset`."""

from __future__ import annotations

import typing
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from pydantic import TypeAdapter, ValidationError

from ..domain.arguments import expect
from ..domain.collector import collector_paused
from ..domain.errors import DataError, Problem, Span, bounded
from ..domain.integrity import integrity_problems
from ..domain.model import Coverage, Dataset
from ..policy.declarations import declaration_problems
from ..policy.limits import DEFAULT_LIMITS, Limits
from ..policy.loader import Document, read_document
from ..policy.validation import validation_problems
from ..policy.pack import Pack, declarations_for
from .compact import read_compact
from .resources import bundled_policies

__all__ = ["load_dataset", "check_declared", "located", "LEDGER_SUFFIXES"]

LEDGER_SUFFIXES = (".xlsx", ".xlsm")
"""Suffixes read as Excel ledgers (台账); any other file is JSON or YAML."""


def load_dataset(
    path: str | Path, packs: Pack | Sequence[Pack] = (), *, limits: Limits = DEFAULT_LIMITS,
    compact: bool = False,
) -> Dataset:
    """Load and check a dataset against the packs in use; raise :class:`DataError` listing every
    bad record with its ``file:line:column`` (for a ``.xlsx`` ledger: sheet, row, column and
    header). Nothing is dropped: a dataset with any problem is refused whole. Attributes and event
    types must be declared by one of ``packs`` or by a pack the dataset names in ``declared_by``.
    ``limits`` bounds the file's size, nesting, records per section and problems listed.

    ``compact=True`` (for a large JSON file that is to be evaluated) holds the core events as
    compact read-only records rather than pydantic models: about a third of the memory held and
    faster to read (measured in ``docs/scale.md``), with the same checks and the same errors (see ``docs/scale.md``). Such a dataset
    is for :func:`evaluate` (in one process, or with ``jobs`` or ``dask``): its events have the
    models' fields but not their methods, so dumping and editing need the default, and a
    :class:`Session` or :func:`early_warnings` first makes the models, at the default's cost."""
    expect(path, (str, Path), "path", "a dataset file (.json, .yaml or .xlsx)")
    if not isinstance(packs, Pack):
        expect(packs, (list, tuple), "packs", "a pack or a list of packs loaded by load_pack")
        for each in packs:
            expect(each, Pack, "packs", "a pack or a list of packs loaded by load_pack")
    expect(limits, Limits, "limits", "a Limits")
    with collector_paused():
        return _load(path, packs, limits, compact)


def _load(path: str | Path, packs: Pack | Sequence[Pack], limits: Limits, compact: bool = False) -> Dataset:
    if Path(path).suffix.lower() in LEDGER_SUFFIXES:
        from .ledger import load_ledger

        return load_ledger(path, packs)
    if compact and Path(path).suffix.lower() == ".json":
        read = read_compact(Path(path), limits)
        if read is not None:
            try:
                check_declared(read, packs)
            except DataError:
                pass  # reported below, with the positions of the records at fault
            else:
                return read
    document, problems = read_document(Path(path), limits)
    if document is None or problems:
        raise DataError(problems)
    if not isinstance(document.data, dict):
        raise DataError([Problem("expected a mapping with `covers`, `communities`, `units`, ...",
                                 document.span(()), "type")])
    problems = _size_problems(document, limits)
    if problems:
        raise DataError(problems)
    try:
        data = Dataset.model_validate(document.data)
    except ValidationError as error:
        problems = validation_problems(error, document, Dataset, limit=limits.max_problems)
        hidden = max(error.error_count() - limits.max_problems, 0)
    else:
        check_declared(data, packs, document)
        return data
    if not hidden:
        problems += _reference_problems_of_valid_records(document.data, document)
    raise DataError(bounded(_unique(problems), limits.max_problems, hidden))


def located(path: str | Path, problems: Sequence[Problem], packs: Pack | Sequence[Pack] = (),
            limits: Limits = DEFAULT_LIMITS) -> list[Problem]:
    """``problems`` found in the dataset read from ``path`` after loading it (a rating whose tier
    the pack does not know), each placed at the file, line and column (sheet, row and cell of a
    ledger) of its ``path``; a problem without a path, or one the file cannot place, is kept as it is."""
    wanted = [p for p in problems if p.path]
    if not wanted:
        return list(problems)
    if Path(path).suffix.lower() in LEDGER_SUFFIXES:
        from .ledger import cell_spans

        spans: dict[int, Span | None] = dict(zip(map(id, wanted), cell_spans(path, packs, [p.path for p in wanted])))
    else:
        document, _ = read_document(Path(path), limits)
        spans = {id(p): document.span(p.path) if document is not None else None for p in wanted}
    return [replace(p, span=spans.get(id(p)) or p.span) for p in problems]


def _size_problems(document: Document, limits: Limits) -> list[Problem]:
    return [
        Problem(f"`{name}` has {len(records)} records, more than the limit of {limits.max_records}",
                document.span((name,)), "limit", "split the dataset, or raise the limit `max_records`")
        for name, records in document.data.items()
        if isinstance(records, list) and len(records) > limits.max_records
    ]


def check_declared(data: Dataset, packs: Pack | Sequence[Pack] = (), document: Document | None = None) -> None:
    """Raise :class:`DataError` for every attribute and pack event of ``data`` that the packs in
    use (and those ``data.declared_by`` names) do not declare, or whose value has the wrong type."""
    in_use = (packs,) if isinstance(packs, Pack) else tuple(packs)
    key = tuple(sorted((p.name, p.version, str(p.path)) for p in in_use))
    if key in data._declared:
        return
    declared, problems = declarations_for(in_use, data.declared_by, _bundled_named)
    if problems:  # without those declarations every record of theirs would be reported too
        if document is not None:
            problems = [replace(p, span=p.span or document.span(("declared_by",))) for p in problems]
        raise DataError(problems)
    for path, message, hint in declaration_problems(data, declared):
        span = document.span(path) if document is not None else None
        problems.append(Problem(message, span, "declaration", hint, path))
    if problems:
        raise DataError(bounded(problems, DEFAULT_LIMITS.max_problems))
    data._declared.add(key)


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[object, str]] = set()
    result = []
    for problem in problems:
        key = (problem.span, problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result


def _reference_problems_of_valid_records(data: dict[str, Any], document: Any) -> list[Problem]:
    """Check references among the records that are valid on their own, so that a dataset with a
    bad field still gets its dangling references reported in the same run."""
    sections: dict[str, list[Any]] = {}
    origin: dict[str, list[int]] = {}
    invalid_ids: dict[str, set[str]] = {}
    for name, field in Dataset.model_fields.items():
        raw = data.get(name)
        if not isinstance(raw, list) or typing.get_origin(field.annotation) is not tuple:
            continue
        adapter: TypeAdapter[list[Any]] = TypeAdapter(list[_item_type(field.annotation)])  # type: ignore[misc, arg-type]
        bad = _invalid_indices(adapter, raw)
        for i in bad:
            item = raw[i]
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                invalid_ids.setdefault(name, set()).add(item["id"])
        where = [i for i in range(len(raw)) if i not in bad]
        # one bulk validation per section: 300,000 single calls would take seconds
        sections[name] = adapter.validate_python([raw[i] for i in where]) if bad else adapter.validate_python(raw)
        origin[name] = where
    try:
        covers = Coverage.model_validate(data.get("covers"))
    except ValidationError:
        return []
    fields: dict[str, Any] = {k: tuple(v) for k, v in sections.items()}
    partial = Dataset.model_construct(covers=covers, **fields)
    problems = []
    for path, message in integrity_problems(partial, invalid_ids):
        section, index, *rest = path
        full = (section, origin[str(section)][int(index)], *rest)
        problems.append(Problem(message, document.span(full), "reference", None, full))
    return problems


def _invalid_indices(adapter: TypeAdapter[Any], raw: list[Any]) -> set[int]:
    try:
        adapter.validate_python(raw)
    except ValidationError as error:
        return {item["loc"][0] for item in error.errors(include_url=False)
                if item["loc"] and isinstance(item["loc"][0], int)}
    return set()


def _item_type(annotation: Any) -> Any:
    return typing.get_args(annotation)[0]


def _bundled_named(name: str) -> Pack | None:
    """A pack bundled with the library, by name (``policies/NAME``)."""
    folder = bundled_policies() / name
    if not (folder / "pack.yaml").is_file():
        return None
    from ..policy.pack import load_pack

    return load_pack(folder)
