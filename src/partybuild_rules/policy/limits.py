"""Bounds on what reading one file may cost, so that no input can hang or exhaust memory.

Each limit refuses with a located message rather than trying harder; raise one (or pass a
:class:`Limits` of your own to ``load_dataset`` / ``load_pack``) for a legitimately larger input.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "DEFAULT_LIMITS"]

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one policy file, override file or dataset may contain.

    ``max_bytes``: size of one file (the bundled 10× city is 61 MiB); ``max_depth``: nesting of
    mappings and lists (packs need 8, datasets 5); ``max_aliases``: YAML aliases (``*name``) in
    one file — each may copy a whole subtree, so ten nested ones make billions of values;
    ``max_values``: values in one file once aliases are expanded; ``max_records``: records in one
    section of a dataset (``events``, ``members``, …); ``max_problems``: problems reported in
    full before the rest are only counted.
    """

    max_bytes: int = 128 * MIB
    max_depth: int = 32
    max_aliases: int = 100
    max_values: int = 20_000_000
    max_records: int = 2_000_000
    max_problems: int = 200

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"limit `{name}` must be a positive whole number, got `{value}`")


DEFAULT_LIMITS = Limits()
