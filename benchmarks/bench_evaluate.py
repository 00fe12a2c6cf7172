"""End-to-end benchmark: load pack, load data, derive facts, evaluate, produce outcomes (JSON),
on each rules engine over the same data.

    python benchmarks/bench_evaluate.py                     # the bundled example and --scale 10, both engines, 3 runs
    python benchmarks/bench_evaluate.py --scales 1 10 20 --engines clips --runs 5

Each run is its own process so that peak memory (max RSS) is that run's alone. Every run prints a
JSON line; the last lines are a Markdown table of the medians per scale and engine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIELDS = ("load_pack_s", "load_data_s", "evaluate_s", "output_s", "total_s", "peak_rss_mib")


def run_one(data_path: str, year: int, engine: str) -> dict[str, float | int | str]:
    from partybuild_rules import bundled_pack, evaluate, load_dataset, load_pack
    from partybuild_rules.reports.text import to_json

    started = time.perf_counter()
    pack = load_pack(bundled_pack())
    loaded_pack = time.perf_counter()
    data = load_dataset(data_path)
    loaded_data = time.perf_counter()
    result = evaluate(pack, data, year, engine=engine)
    evaluated = time.perf_counter()
    to_json(result)
    finished = time.perf_counter()
    return {
        "engine": result.engine,
        "events": len(data.events),
        "members": len(data.members),
        "outcomes": len(result.outcomes),
        "load_pack_s": round(loaded_pack - started, 3),
        "load_data_s": round(loaded_data - loaded_pack, 3),
        "evaluate_s": round(evaluated - loaded_data, 3),
        "output_s": round(finished - evaluated, 3),
        "total_s": round(finished - started, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--engines", nargs="+", default=["durable", "clips"])
    parser.add_argument("--runs", type=int, default=3, help="runs per scale and engine (medians reported)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.year, args.engine)))
        return 0
    medians: list[dict[str, object]] = []
    from partybuild_rules import bundled_dataset
    from partybuild_rules.data.generate import generate, write_dataset

    with tempfile.TemporaryDirectory() as folder:
        for scale in args.scales:
            if scale == 1:
                path = str(bundled_dataset())
            else:
                path = str(Path(folder) / f"scale{scale}.json")
                write_dataset(Path(path), generate(scale=scale, year=args.year))
            runs: dict[str, list[dict[str, object]]] = {engine: [] for engine in args.engines}
            for _ in range(args.runs):  # engines alternate, so that a change of load hits both alike
                for engine in args.engines:
                    output = subprocess.run(
                        [sys.executable, __file__, "--child", path, "--year", str(args.year), "--engine", engine],
                        check=True, capture_output=True, text=True,
                    ).stdout
                    runs[engine].append(json.loads(output))
                    print(json.dumps({"scale": scale, **runs[engine][-1]}), flush=True)
            for engine, done in runs.items():
                medians.append({"scale": scale, **done[0], **{f: statistics.median(r[f] for r in done) for f in FIELDS}})  # type: ignore[type-var]
    print()
    print("| scale | engine | events | load pack | load data | evaluate | JSON | total | peak memory |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in medians:
        print(f"| {m['scale']} | {m['engine']} | {m['events']:,} | {m['load_pack_s']:.2f} s | {m['load_data_s']:.2f} s "
              f"| **{m['evaluate_s']:.2f} s** | {m['output_s']:.2f} s | {m['total_s']:.2f} s | {m['peak_rss_mib']:.0f} MiB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
