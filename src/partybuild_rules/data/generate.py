"""A seeded generator of a synthetic but realistic Tongjiang (同江市) dataset.

The numbers of the public report (9 communities, 160 resident units, 2,174 in-service members,
120 grid leaders, 50 committee members, 57 community workers, 6 inspection groups, 10,004 m² of
premises) make one *block*; ``scale`` repeats the block, each copy named after a neighbouring
county so that names stay distinct. Besides everyday records the data holds deliberate edge
cases for every rule of ``shared/design/domain.md`` (absence streaks crossing the year boundary,
near misses, missed months and quarters, overdue findings, consecutive 一般 ratings, roles
pro-rated inside a month), so that a policy run over it has something to find.

Only ``random.Random(seed)`` is used and no set is ever iterated, so the same arguments give the
same dict (and, through :func:`write_dataset`, the same bytes) on every run and platform.

This module holds the entry points. A block's counts, designed exceptions and words are in
``generate_design``; its places and people are drawn in ``generate_city``, its ratings and scores
in ``generate_scores``, its events in ``generate_events``, and the other bundled packs' records
in ``generate_packs``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from .generate_city import Record, _block, _counters, _neighbours, _Window
from .generate_events import _block_events, _numbered
from .generate_packs import add_pack_records
from .generate_scores import _ratings, _tiers
from .resources import bundled_policies

__all__ = ["generate", "write_dataset"]


# --- Public API ----------------------------------------------------------------------------


def generate(*, scale: int = 1, seed: int = 2024, year: int = 2024, pack_records: bool = True) -> dict[str, Any]:
    """A synthetic dataset shaped like :class:`partybuild_rules.domain.model.Dataset`, as plain JSON data.

    ``scale`` repeats the report's numbers (scale 10: 90 communities, 1,600 units, 21,740
    in-service members); the events cover {year-1}-07-01 .. {year}-12-31. With ``pack_records``
    (the default) the records the other bundled packs' recipes describe are added; without, the
    dataset holds the Tongjiang records alone (what the benchmarks measure).
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    rng = random.Random(seed)
    window = _Window(year)
    ids = _counters(scale)
    blocks = [_block(rng, ids, number, window) for number in range(scale)]
    ratings: list[Record] = []
    events: list[Record] = []
    for block in blocks:
        tiers = _tiers(rng, block, year)
        ratings.extend(_ratings(block, tiers, year))
        events.extend(_block_events(rng, ids, block, tiers, window))
    # a stream of its own, drawn after everything else: adding neighbours changed no other record
    nearby = random.Random(f"{seed}:neighbours")
    for block in blocks:
        _neighbours(nearby, block.communities)
    suffix = "" if scale == 1 else f"，×{scale}"
    data: dict[str, Any] = {
        "name": f"同江市城市基层党建{year}年度数据（合成{suffix}）",
        "covers": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "communities": [c for b in blocks for c in b.communities],
        "grids": [g for b in blocks for g in b.grid_records],
        "units": [u for b in blocks for u in b.units],
        "members": [m for b in blocks for m in [p.record for p in b.people] + b.staff],
        "inspection_groups": [g for b in blocks for g in b.groups],
        "ratings": ratings,
        "events": _numbered(events),
    }
    if pack_records:
        add_pack_records(data, seed=seed, year=year, scale=scale, policies=bundled_policies())
    return data


def write_dataset(path: Path, data: dict[str, object]) -> None:
    """Write ``data`` as UTF-8 JSON with one record per line, so errors can point at a line."""
    lines = ["{"]
    keys = list(data)
    for n, key in enumerate(keys):
        value = data[key]
        comma = "," if n < len(keys) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"{json.dumps(key)}: [")
            lines.extend(
                _compact(record) + ("," if i < len(value) - 1 else "") for i, record in enumerate(value)
            )
            lines.append(f"]{comma}")
        else:
            lines.append(f"{json.dumps(key)}: {_compact(value)}{comma}")
    lines.append("}")
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        stream.write("\n".join(lines) + "\n")


def _compact(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
