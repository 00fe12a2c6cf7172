"""The only module that reads YAML or JSON; it keeps the position of every value.

YAML is read with a resolver that knows only YAML 1.2's core scalars we allow: ``null``,
``true``/``false`` and plain decimal integers. Everything else stays the string the author wrote,
so ``no`` is not false, ``010`` is not eight, ``2024-01-01`` is not a date object and ``0.1`` is not
a float: pydantic then reads each string as the field's declared type, exactly.
"""

from __future__ import annotations

import collections.abc
import difflib
import json
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

import yaml
from pydantic import BaseModel, ValidationError

from ..domain.errors import Problem, Span

__all__ = ["Document", "read_document", "parse_yaml_text", "validation_problems"]

Path_ = tuple[Union[str, int], ...]


class _StrictResolver(yaml.resolver.BaseResolver):
    """Resolves only null, true/false and decimal integers; every other plain scalar is a string."""


_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)

_CParser = getattr(yaml, "CParser", None)
if _CParser is not None:

    class _NodeLoader(_CParser, _StrictResolver):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)  # type: ignore[misc]
            _StrictResolver.__init__(self)

else:  # pragma: no cover - libyaml missing

    class _NodeLoader(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer,
        _StrictResolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _StrictResolver.__init__(self)


_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


@dataclass
class Document:
    """Plain data read from a file, with the span of every value and every mapping key."""

    file: str
    data: Any
    values: dict[Path_, Span]
    keys: dict[Path_, Span]

    def span(self, path: Path_, *, key: bool = False) -> Span:
        """The closest known span to ``path`` (its key's when ``key``), falling back to parents."""
        table = self.keys if key else self.values
        while path:
            if path in table:
                return table[path]
            if not key and path in self.keys:
                return self.keys[path]
            path = path[:-1]
        return self.values.get((), Span(self.file, 1, 1))


class _Walker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[Path_, Span] = {}
        self.keys: dict[Path_, Span] = {}
        self.problems: list[Problem] = []

    def span(self, node: yaml.Node) -> Span:
        return Span(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.values[path] = self.span(node)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            self.problems.append(Problem(
                f"tag `{node.tag}` is not allowed", self.span(node), "syntax",
                "policies and data are plain YAML: remove the tag",
            ))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node, path)

    def mapping(self, node: yaml.MappingNode, path: Path_) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problems.append(Problem(
                    "merge keys (`<<`) are not supported", self.span(key_node), "syntax",
                    "write the fields out in full",
                ))
                continue
            key = self.scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                self.problems.append(Problem(
                    "a mapping key must be a plain name", self.span(key_node), "syntax"
                ))
                continue
            key = str(key)
            if key in result:
                first = self.keys[path + (key,)]
                self.problems.append(Problem(
                    f"duplicate key `{key}` (first at line {first.line})", self.span(key_node),
                    "duplicate-key", "remove one of the two; YAML would silently keep only the last",
                ))
                continue
            self.keys[path + (key,)] = self.span(key_node)
            result[key] = self.convert(value_node, path + (key,))
        return result

    def scalar(self, node: yaml.ScalarNode, path: Path_) -> Any:
        tag = node.tag
        text = node.value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return int(text)
        if tag in ("tag:yaml.org,2002:str", "!"):
            return text
        self.problems.append(Problem(
            f"tag `{tag}` is not allowed", self.span(node), "syntax",
            "policies and data are plain YAML: remove the tag",
        ))
        return text


def parse_yaml_text(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Read YAML text safely into plain data with spans; syntax errors become problems."""
    try:
        loader = _NodeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file)
        message = f"yaml syntax: {error.problem or error.context}"
        return None, [Problem(message, span, "syntax", "check indentation, colons and quotes")]
    except yaml.YAMLError as error:
        return None, [Problem(f"yaml syntax: {error}", Span(file), "syntax")]
    walker = _Walker(file)
    data = walker.convert(node, ()) if node is not None else None
    return Document(file, data, walker.values, walker.keys), walker.problems


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key `{key}`")
            seen.add(key)
    return result


def _exact(text: str) -> Decimal:
    # A JSON number with a fraction would become a float; keep it exact (and still a number, so
    # that a text field refuses it).
    return Decimal(text)


def read_document(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read a ``.yaml``/``.yml`` or ``.json`` file. JSON is parsed fast; positions are
    recovered (by reading the text again as YAML) only when something needs reporting."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(f"file not found: `{file}`", Span(file), "io")]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(f"cannot read `{file}`: {error}", Span(file), "io")]
    if path.suffix.lower() != ".json":
        return parse_yaml_text(text, file)
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_float=_exact)
    except (ValueError, json.JSONDecodeError) as error:
        document, problems = parse_yaml_text(text, file)
        if problems:
            return None, problems
        line = getattr(error, "lineno", 0)
        column = getattr(error, "colno", 0)
        return None, [Problem(f"json: {error}", Span(file, line, column), "syntax")]
    return _LazyDocument(file, data, text), []


class _LazyDocument(Document):
    """A JSON document whose spans are computed on first use."""

    def __init__(self, file: str, data: Any, text: str) -> None:
        super().__init__(file, data, {}, {})
        self._text: str | None = text

    def span(self, path: Path_, *, key: bool = False) -> Span:
        if self._text is not None:
            document, _ = parse_yaml_text(self._text, self.file)
            self._text = None
            if document is not None:
                self.values, self.keys = document.values, document.keys
        return super().span(path, key=key)


# ---------------------------------------------------------------------------------------------
# pydantic errors -> problems with spans


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
    return node.get("type") == part or part[:1].isupper() or "[" in part or part.startswith("function-")


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
    error: ValidationError, document: Document, model: type[BaseModel], prefix: Path_ = ()
) -> list[Problem]:
    """Turn every error of a pydantic validation into a problem at the offending text."""
    problems: list[Problem] = []
    data = document.data
    for node in prefix:
        if isinstance(data, dict) or (isinstance(data, list) and isinstance(node, int)):
            data = data[node]  # type: ignore[index]
    for item in error.errors(include_url=False):
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
