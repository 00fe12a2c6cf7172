"""The only module that reads YAML or JSON; it keeps the position of every value.

YAML is read with a resolver that knows only YAML 1.2's core scalars we allow: ``null``,
``true``/``false`` and plain decimal integers. Everything else stays the string the author wrote,
so ``no`` is not false, ``010`` is not eight, ``2024-01-01`` is not a date object and ``0.1`` is not
a float: pydantic then reads each string as the field's declared type, exactly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Union

import yaml

from ..domain.errors import Problem, Span
from .jsonspans import JsonLocator
from .limits import DEFAULT_LIMITS, Limits

__all__ = ["Document", "MAX_INT_DIGITS", "Path_", "SURROGATE_ESCAPE", "depth_within", "read_document",
           "parse_yaml_text"]

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

class _NodeLoader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _StrictResolver,
):
    """PyYAML's own parser: what a document that libyaml refuses is read again with, for its
    messages and positions (and what every document is read with where libyaml is missing)."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _StrictResolver.__init__(self)


_CParser = getattr(getattr(yaml, "cyaml", None), "CParser", None)
"""libyaml's parser (in C), when PyYAML was built with it."""
_FastLoader: Any = None
if _CParser is not None:

    class _FastLoader(_CParser, _StrictResolver):  # type: ignore[misc, valid-type, no-redef]
        """The same reading with libyaml's parser: about three times faster on the bundled pack.
        Both accept the same characters and give the same nodes and positions; a document it
        refuses is read again by :class:`_NodeLoader`, so that errors read as they always have
        (libyaml words them otherwise, and refuses outright what the reader reports more
        precisely, such as a lone surrogate escape)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)  # type: ignore[misc]
            _StrictResolver.__init__(self)


def _single_node(loader_class: Any, text: str) -> yaml.Node | None:
    loader = loader_class(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


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


class _Stop(Exception):
    """A limit was reached; the problem saying so is already recorded."""


class _Walker:
    def __init__(self, file: str, limits: Limits) -> None:
        self.file = file
        self.limits = limits
        self.values: dict[Path_, Span] = {}
        self.keys: dict[Path_, Span] = {}
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.aliases = 0

    def span(self, node: yaml.Node) -> Span:
        return Span(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def stop(self, message: str, node: yaml.Node, hint: str) -> _Stop:
        self.problems.append(Problem(message, self.span(node), "limit", hint))
        return _Stop()

    def count(self, node: yaml.Node, path: Path_) -> None:
        limits = self.limits
        if len(path) > limits.max_depth:
            raise self.stop(f"nested more than {limits.max_depth} levels deep", node,
                            "policies and data need only a few levels: check the indentation")
        if len(self.values) >= limits.max_values:
            raise self.stop(f"more than {limits.max_values} values in one file", node,
                            "split the file, or raise the limit `max_values`")
        if not isinstance(node, yaml.ScalarNode):
            if id(node) in self.seen:  # an alias: the same node again
                self.aliases += 1
                if self.aliases > limits.max_aliases:
                    raise self.stop(f"more than {limits.max_aliases} aliases (`*name`) in one file", node,
                                    "write the values out, or raise the limit `max_aliases`")
            self.seen.add(id(node))

    def convert(self, node: yaml.Node, path: Path_) -> Any:
        self.count(node, path)
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
            if len(text.lstrip("+-")) > MAX_INT_DIGITS:
                self.problems.append(_too_large(text, self.span(node)))
                return text
            return int(text)
        if tag in ("tag:yaml.org,2002:str", "!"):
            if _SURROGATE.search(text):
                self.problems.append(Problem(
                    "text contains a lone surrogate (an invalid `\\ud800`-style escape)",
                    self.span(node), "syntax", "remove the escape or write the character itself",
                ))
                # kept as the escape the author wrote, so that no later message carries it raw
                return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
            return text
        self.problems.append(Problem(
            f"tag `{tag}` is not allowed", self.span(node), "syntax",
            "policies and data are plain YAML: remove the tag",
        ))
        return text


def parse_yaml_text(
    text: str, file: str, limits: Limits = DEFAULT_LIMITS
) -> tuple[Document | None, list[Problem]]:
    """Read YAML text safely into plain data with spans; syntax errors and exceeded limits
    become problems."""
    node: yaml.Node | None = None
    fast = _FastLoader is not None
    if fast:
        try:
            node = _single_node(_FastLoader, text)
        except (yaml.YAMLError, RecursionError):
            fast = False  # read again below, for PyYAML's own message and position
    try:
        if not fast:
            node = _single_node(_NodeLoader, text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        span = Span(file, mark.line + 1, mark.column + 1) if mark else Span(file)
        message = f"yaml syntax: {error.problem or error.context}"
        return None, [Problem(message, span, "syntax", "check indentation, colons and quotes")]
    except yaml.YAMLError as error:
        return None, [Problem(f"yaml syntax: {error}", Span(file), "syntax")]
    except RecursionError:  # the parser nests deeper than Python's stack; find where
        return None, [_too_deep(text, file, limits)]
    walker = _Walker(file, limits)
    try:
        data = walker.convert(node, ()) if node is not None else None
    except _Stop:
        return None, walker.problems
    return Document(file, data, walker.values, walker.keys), walker.problems


def _too_deep(text: str, file: str, limits: Limits) -> Problem:
    """The first place where ``text`` nests deeper than ``limits.max_depth`` (read as events)."""
    loader: Any = _NodeLoader(text)
    depth, span = 0, Span(file)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > limits.max_depth and event.start_mark is not None:
                    span = Span(file, event.start_mark.line + 1, event.start_mark.column + 1)
                    break
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return Problem(f"nested more than {limits.max_depth} levels deep", span, "limit",
                   "policies and data need only a few levels: check the indentation")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key `{key}`")
            seen.add(key)
    return result


MAX_INT_DIGITS = 18
"""Whole numbers have at most 18 digits: they fit the engine's 64-bit integers, and Python's
``int()`` refuses thousands of digits with an error of its own."""


class _TooLarge(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _whole(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _TooLarge(text)
    return int(text)


def _too_large(text: str, span: Span) -> Problem:
    shown = text if len(text) <= 24 else text[:20] + "…"
    return Problem(f"`{shown}` is too large for a whole number (more than {MAX_INT_DIGITS} digits)", span,
                   "syntax", "a count or a number of days has only a few digits")


def _exact(text: str) -> Decimal:
    # A JSON number with a fraction would become a float; keep it exact (and still a number, so
    # that a text field refuses it).
    return Decimal(text)


def read_document(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[Document | None, list[Problem]]:
    """Read a ``.yaml``/``.yml`` or ``.json`` file (UTF-8) within ``limits``. JSON is parsed
    fast; positions are found (by :class:`JsonLocator`) only when something needs reporting."""
    file = str(path)
    text, problem = _read_text(path, limits)
    if text is None:
        return None, [problem] if problem else []
    if path.suffix.lower() != ".json":
        return parse_yaml_text(text, file, limits)
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates, parse_float=_exact, parse_int=_whole)
    except RecursionError:
        return None, [_too_deep(text, file, limits)]
    except _TooLarge as error:
        locator = JsonLocator(text)
        found = re.search(r"(?<![0-9.])" + re.escape(error.text) + r"(?![0-9.])", text)
        line, column = locator.line_column(found.start() if found else 0)
        return None, [_too_large(error.text, Span(file, line, column))]
    except json.JSONDecodeError as error:
        return None, [Problem(f"json: {error.msg}", Span(file, error.lineno, error.colno), "syntax",
                              "check commas, colons, brackets and quotes")]
    except ValueError:  # a duplicate key, refused by the hook; find where, without a YAML parse
        return None, [_duplicate_json_key(text, file)]
    document = _LazyDocument(file, data, text)
    problems = _plain_json_problems(document, limits)
    return (None, problems) if problems else (document, [])


def _duplicate_json_key(text: str, file: str) -> Problem:
    locator = JsonLocator(text)
    found = locator.duplicate_key()
    if found is None:  # pragma: no cover - the hook refused a key the locator accepts
        return Problem("json: duplicate key", Span(file), "duplicate-key")
    key, first, second = found
    line, column = locator.line_column(second)
    return Problem(
        f"duplicate key `{key}` (first at line {locator.line_column(first)[0]})", Span(file, line, column),
        "duplicate-key", "remove one of the two; a JSON reader would silently keep only the last",
    )


def _read_text(path: Path, limits: Limits) -> tuple[str | None, Problem | None]:
    """The file's text, or the reason it cannot be read: missing, unreadable, too large, not UTF-8."""
    file = str(path)
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            return None, Problem(
                f"`{file}` is {size} bytes, more than the limit of {limits.max_bytes}", Span(file),
                "limit", "split the file, or raise the limit `max_bytes`",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, Problem(f"file not found: `{file}`", Span(file), "io")
    except IsADirectoryError:
        return None, Problem(f"`{file}` is a folder, not a file", Span(file), "io")
    except OSError as error:
        return None, Problem(f"cannot read `{file}`: {error.strerror or error}", Span(file), "io")
    try:
        # a byte-order mark (Windows Notepad writes one) is no part of the text, in JSON as in YAML
        return raw.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return None, Problem(
            f"`{file}` is not UTF-8 text (byte {error.start + 1} is 0x{raw[error.start]:02x})",
            Span(file, line, column), "encoding",
            "save the file as UTF-8 (files saved as GBK or GB2312 must be converted)",
        )


def _plain_json_problems(document: Document, limits: Limits) -> list[Problem]:
    """What JSON allows and YAML reading refuses: nesting beyond the limit, lone surrogates."""
    deep = _deeper_than(document.data, limits.max_depth)
    if deep is not None:
        return [Problem(f"nested more than {limits.max_depth} levels deep", document.span(deep), "limit",
                        "policies and data need only a few levels: check the nesting")]
    if SURROGATE_ESCAPE.search(getattr(document, "_text", "")) is None:
        return []
    problems: list[Problem] = []
    stack: list[tuple[Any, Path_]] = [(document.data, ())]
    while stack and len(problems) < limits.max_problems:
        value, path = stack.pop()
        if isinstance(value, (dict, list)):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend((item, path + (key,)) for key, item in items)
        elif isinstance(value, str) and _SURROGATE.search(value):
            problems.append(Problem(
                "text contains a lone surrogate (an invalid `\\ud800`-style escape)",
                document.span(path), "syntax", "remove the escape or write the character itself",
            ))
    return problems


def _deeper_than(data: Any, max_depth: int) -> Path_ | None:
    """The path of a container nested deeper than ``max_depth``, or None. Level by level and
    without paths first (a 61 MB dataset takes 0.6 s); the path is found only when needed."""
    if depth_within(data, max_depth):
        return None
    path: Path_ = ()
    node = data
    while len(path) < max_depth:  # follow a child that is still too deep for what is left
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            if isinstance(child, (dict, list)) and not depth_within(child, max_depth - len(path) - 1):
                node, path = child, path + (key,)
                break
        else:
            break
    return path


def depth_within(data: Any, max_depth: int) -> bool:
    level, depth = ([data] if isinstance(data, (dict, list)) else []), 0
    while level:
        depth += 1
        if depth > max_depth:
            return False
        below: list[Any] = []
        for container in level:
            values = container.values() if type(container) is dict else container
            below += [v for v in values if type(v) is dict or type(v) is list]
        level = below
    return True


class _LazyDocument(Document):
    """A JSON document whose spans are found in the text on demand."""

    def __init__(self, file: str, data: Any, text: str) -> None:
        super().__init__(file, data, {}, {})
        self._text = text
        self._locator: JsonLocator | None = None

    def span(self, path: Path_, *, key: bool = False) -> Span:
        if self._locator is None:
            self._locator = JsonLocator(self._text)
        line, column = self._locator.line_column(self._locator.offset(path, key=key))
        return Span(self.file, line, column)
