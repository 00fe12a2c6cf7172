"""Loading and evaluating composed packs against the Tongjiang pack alone, on the bundled data.

Run from the repository root: ``python benchmarks/bench_compose.py`` (medians of five runs each).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from partybuild_rules import Evaluator, bundled_dataset, bundled_pack, load_dataset, load_pack

ROOT = Path(__file__).resolve().parents[1]
PACKS: list[tuple[str, list[str | Path]]] = [
    ("tongjiang", [bundled_pack()]),
    ("neighbour (extends tongjiang, dated values)", [ROOT / "tests" / "packs" / "neighbour"]),
    ("tongjiang + volunteer-service", [bundled_pack(), ROOT / "examples" / "pack-package" / "src" / "partybuild_pack_example"]),
]


def main(runs: int = 5) -> None:
    data = load_dataset(bundled_dataset())
    for name, refs in PACKS:
        loads, evaluations = [], []
        for _ in range(runs):
            start = time.perf_counter()
            pack = load_pack(refs)
            loads.append(time.perf_counter() - start)
            with Evaluator(pack) as evaluator:
                start = time.perf_counter()
                evaluator.evaluate(data, 2024)
                evaluations.append(time.perf_counter() - start)
        print(f"{name}: load {statistics.median(loads):.3f} s, evaluate {statistics.median(evaluations):.2f} s "
              f"(median of {runs})")


if __name__ == "__main__":
    main()
