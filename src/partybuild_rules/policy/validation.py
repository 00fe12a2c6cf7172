"""pydantic's validation errors made problems: each at the position of the value at fault (or of
its key), in the user's words, with the nearest known name when a field is misspelt, and without
the "field required" a misspelling also causes."""

from __future__ import annotations

import collections.abc
import difflib
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from ..domain.errors import Problem
from .loader import Document, Path_

__all__ = ["path_is_tag", "suggestion", "validation_problems"]


def _data_path(loc: tuple[Any, ...], data: Any) -> Path_:
    """Follow a pydantic ``loc`` through the data, dropping union tags that are not data keys."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and not path_is_tag(part, node):
            path.append(part)
            node = None
    return tuple(path)


def path_is_tag(part: str, node: dict[str, Any]) -> bool:
    # pydantic inserts the discriminator value (e.g. `activity`) or a type name into locations.
    # A pack's own event type is tagged `pack` (the union's tag for every non-core `type`).
    return (node.get("type") == part or part[:1].isupper() or "[" in part or part.startswith("function-")
            or (part == "pack" and "type" in node and "pack" not in node))


def _unwrap(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if origin in (tuple, list, dict, typing.Mapping, collections.abc.Mapping):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return [m for arg in args[-1:] for m in _unwrap(arg)]
    return [annotation]


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...], data: Any) -> list[str]:
    """The field names allowed where an unknown field was found at ``loc``."""
    candidates: list[Any] = [model]
    node = data
    for part in loc[:-1]:
        nxt: list[Any] = []
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                if isinstance(part, str) and part in candidate.model_fields:
                    nxt.extend(_unwrap(candidate.model_fields[part].annotation))
                else:
                    nxt.append(candidate)  # a list index or a union tag: stay on this model
            elif isinstance(part, int) or isinstance(part, str):
                nxt.append(candidate)
        candidates = nxt
        if isinstance(node, dict):
            if isinstance(part, str) and part in node:
                node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
    names: list[str] = []
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            tag = node.get("type") if isinstance(node, dict) else None
            type_field = candidate.model_fields.get("type")
            tag_default = type_field.default if type_field is not None else None
            if tag is not None and isinstance(tag_default, str) and tag_default != tag:
                continue
            names.extend(name for name in candidate.model_fields if name not in names)
    return names


def suggestion(word: str, choices: list[str] | set[str] | tuple[str, ...]) -> str | None:
    """``did you mean `x`?`` for the closest choice, if one is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def validation_problems(
    error: ValidationError, document: Document, model: type[BaseModel], prefix: Path_ = (),
    limit: int | None = None,
) -> list[Problem]:
    """Turn every error of a pydantic validation into a problem at the offending text (the
    first ``limit`` errors only, when given: the caller says how many more there were)."""
    problems: list[Problem] = []
    data = document.data
    for node in prefix:
        if isinstance(data, dict) or (isinstance(data, list) and isinstance(node, int)):
            data = data[node]  # type: ignore[index]
    for item in error.errors(include_url=False)[:limit]:
        loc = tuple(item["loc"])
        path = prefix + _data_path(loc, data)
        kind = item["type"]
        if kind == "extra_forbidden":
            name = str(path[-1]) if path else str(loc[-1])
            allowed = [a for a in _fields_at(model, loc, data) if a != name]
            hint = suggestion(name, allowed) or (
                f"allowed here: {', '.join(f'`{a}`' for a in allowed)}" if allowed else None
            )
            problems.append(Problem(
                f"unknown field `{name}`", document.span(path, key=True), "unknown-field", hint, path
            ))
            continue
        if kind == "missing":
            problems.append(Problem(
                f"missing field `{loc[-1]}`", document.span(path), "missing-field",
                f"add `{loc[-1]}:`", path,
            ))
            continue
        ctx_error = (item.get("ctx") or {}).get("error")
        nested = getattr(ctx_error, "problems", None)
        if nested:
            for sub_path, message in nested:
                full = path + tuple(sub_path)
                problems.append(Problem(message, document.span(full), "reference", None, full))
            continue
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, "):]
        field = ".".join(str(p) for p in path) or "document"
        value = item.get("input")
        shown = f" (got `{value}`)" if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        problems.append(Problem(
            f"`{field}`: {message[:1].lower() + message[1:]}{shown}", document.span(path), kind, None, path
        ))
    return _drop_missing_explained_by_typos(problems)


def _drop_missing_explained_by_typos(problems: list[Problem]) -> list[Problem]:
    """``kindd:`` yields both "unknown field `kindd`" (did you mean `kind`?) and "missing field
    `kind`"; the first says it all."""
    explained = {
        (p.path[:-1], p.help.split("`")[1])
        for p in problems
        if p.code == "unknown-field" and p.help and p.help.startswith("did you mean")
    }
    return [
        p for p in problems
        if not (p.code == "missing-field" and (p.path[:-1], str(p.path[-1]) if p.path else "") in explained)
    ]
