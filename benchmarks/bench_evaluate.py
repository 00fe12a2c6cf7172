"""End-to-end benchmark: load pack, load data, derive facts, evaluate, produce outcomes (JSON).

    python benchmarks/bench_evaluate.py            # the bundled example and --scale 10
    python benchmarks/bench_evaluate.py --scales 1 10 20

Each scale runs in its own process so that peak memory (max RSS) is that run's alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_one(data_path: str, year: int) -> dict[str, float | int]:
    from partybuild_rules import bundled_pack, evaluate, load_dataset, load_pack
    from partybuild_rules.reports.text import to_json

    started = time.perf_counter()
    pack = load_pack(bundled_pack())
    loaded_pack = time.perf_counter()
    data = load_dataset(data_path)
    loaded_data = time.perf_counter()
    result = evaluate(pack, data, year)
    evaluated = time.perf_counter()
    to_json(result)
    finished = time.perf_counter()
    return {
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
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.year)))
        return 0
    from partybuild_rules import bundled_dataset
    from partybuild_rules.data.generate import generate, write_dataset

    with tempfile.TemporaryDirectory() as folder:
        for scale in args.scales:
            if scale == 1:
                path = str(bundled_dataset())
            else:
                path = str(Path(folder) / f"scale{scale}.json")
                write_dataset(Path(path), generate(scale=scale, year=args.year))
            output = subprocess.run(
                [sys.executable, __file__, "--child", path, "--year", str(args.year)],
                check=True, capture_output=True, text=True,
            ).stdout
            print(json.dumps({"scale": scale, **json.loads(output)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
