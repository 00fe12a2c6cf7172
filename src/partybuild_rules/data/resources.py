"""Where the bundled Tongjiang pack and example dataset are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_pack", "bundled_dataset", "bundled_policies"]

_PACKAGE = Path(__file__).resolve().parents[1]


def _bundled(*parts: str) -> Path:
    # A built wheel carries copies under ``_bundled``; an editable install or a checkout reads the
    # top-level folders of the repository.
    inside = _PACKAGE.joinpath("_bundled", *parts)
    if inside.exists():
        return inside
    return _PACKAGE.parents[1].joinpath(*parts)


def bundled_pack() -> Path:
    """The Tongjiang policy pack folder (``policies/tongjiang``)."""
    return _bundled("policies", "tongjiang")


def bundled_dataset() -> Path:
    """The Tongjiang example dataset (``examples/tongjiang/dataset.json``)."""
    return _bundled("examples", "tongjiang", "dataset.json")


def bundled_policies() -> Path:
    """The folder of the bundled policy packs (``policies/``), one folder per pack."""
    return _bundled("policies")
