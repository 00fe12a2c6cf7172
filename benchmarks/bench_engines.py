"""The two rules engines on the same data: evaluation only (data generated and loaded once), the
engines alternating in one process so that a change of load on a shared machine hits both alike.

    python benchmarks/bench_engines.py            # --scale 10, 3 runs per engine
    python benchmarks/bench_engines.py 5 1        # 5 runs per engine on --scale 1

Prints one JSON line per run and, last, the median evaluation time per engine. Each evaluation
compiles the pack for its engine (a fresh ``Evaluator``), as ``partybuild-rules evaluate`` does.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from partybuild_rules import Evaluator, bundled_pack, load_dataset, load_pack
from partybuild_rules.data.generate import generate, write_dataset


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    scale = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"scale{scale}.json"
        write_dataset(path, generate(scale=scale))
        pack, data = load_pack(bundled_pack()), load_dataset(path)
    print(json.dumps({"scale": scale, "events": len(data.events)}), flush=True)
    times: dict[str, list[float]] = {"durable": [], "clips": []}
    for _ in range(runs):
        for name in times:
            started = time.perf_counter()
            with Evaluator(pack, name) as evaluator:
                result = evaluator.evaluate(data, 2024)
            times[name].append(round(time.perf_counter() - started, 2))
            print(json.dumps({"engine": name, "evaluate_s": times[name][-1], "outcomes": len(result.outcomes)}), flush=True)
    print(json.dumps({name: statistics.median(values) for name, values in times.items()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
