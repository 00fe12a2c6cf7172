"""Positions in JSON text, found only for the values a problem points at.

A large dataset is parsed by :mod:`json` without positions (fast); when something must be
reported, :class:`JsonLocator` walks the text down the problem's path, skipping sibling values
with the C decoder and remembering each container's member offsets, so reporting a few bad
values of a 61 MB file costs about one extra parse, not a YAML parse of the whole text.
"""

from __future__ import annotations

import json
import re
from typing import Callable, Union

__all__ = ["JsonLocator"]

Path_ = tuple[Union[str, int], ...]
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_scanstring: Callable[[str, int], tuple[str, int]] = getattr(json.decoder, "scanstring")


class JsonLocator:
    """Offsets of values and keys in a JSON text that has already parsed cleanly."""

    def __init__(self, text: str) -> None:
        self.text = text
        # container offset -> {member: (key offset, value offset)}
        self._members: dict[int, dict[Union[str, int], tuple[int, int]]] = {}
        self._first_duplicate: tuple[str, int, int] | None = None

    def duplicate_key(self) -> tuple[str, int, int] | None:
        """The first key that a mapping repeats: (key, offset of the first, offset of the second)."""
        pending = [self._skip(0)]
        while pending and self._first_duplicate is None:
            position = pending.pop()
            pending.extend(value for _, value in self._container(position).values()
                           if self.text[value:value + 1] in ("{", "["))
        return self._first_duplicate

    def offset(self, path: Path_, *, key: bool = False) -> int:
        """The offset of the deepest value on ``path`` that exists (its key's when ``key``)."""
        position = self._skip(0)
        key_position = position
        for part in path:
            members = self._container(position)
            if part not in members:
                return position
            key_position, position = members[part]
        return key_position if key else position

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of ``offset``."""
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def _skip(self, position: int) -> int:
        match = _SPACE.match(self.text, position)
        return match.end() if match else position

    def _container(self, position: int) -> dict[Union[str, int], tuple[int, int]]:
        cached = self._members.get(position)
        if cached is not None:
            return cached
        members: dict[Union[str, int], tuple[int, int]] = {}
        text = self.text
        opener = text[position:position + 1]
        if opener in ("{", "["):
            closer = "}" if opener == "{" else "]"
            cursor = self._skip(position + 1)
            index = 0
            while cursor < len(text) and text[cursor] != closer:
                key_at = cursor
                name: Union[str, int] = index
                if opener == "{":
                    name, cursor = _scanstring(text, cursor + 1)
                    cursor = self._skip(self._skip(cursor) + 1)  # past the colon
                value_at = cursor
                _, cursor = _DECODER.raw_decode(text, value_at)
                if name in members and self._first_duplicate is None:
                    self._first_duplicate = (str(name), members[name][0], key_at)
                members.setdefault(name, (key_at, value_at))
                cursor = self._skip(cursor)
                if cursor < len(text) and text[cursor] == ",":
                    cursor = self._skip(cursor + 1)
                index += 1
        self._members[position] = members
        return members
