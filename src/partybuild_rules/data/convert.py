"""Converting a dataset between its file formats: JSON/YAML ⇄ an Excel ledger, losslessly."""

from __future__ import annotations

from pathlib import Path

from ..domain.errors import DataError, Problem
from ..domain.model import Dataset
from .datasets import LEDGER_SUFFIXES, load_dataset
from .generate import write_dataset

__all__ = ["convert", "write_dataset_file", "WRITABLE_SUFFIXES"]

WRITABLE_SUFFIXES = (".json", *LEDGER_SUFFIXES)


def write_dataset_file(path: str | Path, data: Dataset) -> None:
    """Write ``data`` as JSON (one record per line) or as a ledger workbook, by the suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in LEDGER_SUFFIXES:
        from .template import write_ledger

        write_ledger(target, data)
    elif suffix == ".json":
        write_dataset(target, data.model_dump(mode="json"))
    else:
        raise DataError([Problem(
            f"cannot write a dataset as `{target.suffix or target.name}`", None, "usage",
            "write it as " + " or ".join(f"`{s}`" for s in WRITABLE_SUFFIXES),
        )])


def convert(source: str | Path, target: str | Path) -> Dataset:
    """Read ``source`` (JSON, YAML or ``.xlsx``), check it, and write it to ``target`` in the
    format its suffix names; return the dataset. Reading ``target`` back gives the same dataset."""
    data = load_dataset(source)
    write_dataset_file(target, data)
    return data
