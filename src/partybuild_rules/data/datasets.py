"""Reading a dataset file (JSON or YAML) into a checked :class:`~partybuild_rules.domain.model.Dataset`."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..domain.errors import DataError, Problem
from ..domain.model import Coverage, Dataset, integrity_problems
from ..policy.loader import read_document, validation_problems

__all__ = ["load_dataset"]


def load_dataset(path: str | Path) -> Dataset:
    """Load and check a dataset; raise :class:`DataError` listing every bad record with its
    ``file:line:column``. Nothing is dropped: a dataset with any problem is refused whole."""
    document, problems = read_document(Path(path))
    if document is None or problems:
        raise DataError(problems)
    if not isinstance(document.data, dict):
        raise DataError([Problem("expected a mapping with `covers`, `communities`, `units`, ...",
                                 document.span(()), "type")])
    try:
        return Dataset.model_validate(document.data)
    except ValidationError as error:
        problems = validation_problems(error, document, Dataset)
    problems += _reference_problems_of_valid_records(document.data, document)
    raise DataError(_unique(problems))


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
        if not isinstance(raw, list):
            continue
        adapter = TypeAdapter(_item_type(field.annotation))
        kept, where = [], []
        for i, item in enumerate(raw):
            try:
                kept.append(adapter.validate_python(item))
                where.append(i)
            except ValidationError:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    invalid_ids.setdefault(name, set()).add(item["id"])
        sections[name], origin[name] = kept, where
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


def _item_type(annotation: Any) -> Any:
    return typing.get_args(annotation)[0]
