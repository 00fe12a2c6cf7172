"""An atheris (libFuzzer) target for the YAML and JSON loaders.

Run: ``pip install atheris`` then ``python fuzz/atheris_loaders.py -max_total_time=600 fuzz/corpus``.
Every input is written as a ``.yaml`` and a ``.json`` file and read with ``read_document`` and,
for the JSON, ``load_dataset``; the only exceptions allowed are ``DataError``/``PolicyError``
(raised by the dataset loader), and every problem must render and encode as UTF-8.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from partybuild_rules import DataError, load_dataset
    from partybuild_rules.policy.loader import read_document

FOLDER = Path(tempfile.mkdtemp(prefix="atheris-"))


def test_one_input(data: bytes) -> None:
    for suffix in (".yaml", ".json"):
        path = FOLDER / f"input{suffix}"
        path.write_bytes(data)
        _, problems = read_document(path)
        for problem in problems:
            problem.render("zh").encode("utf-8")
    try:
        load_dataset(FOLDER / "input.json")
    except DataError as error:
        error.render("zh").encode("utf-8")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
