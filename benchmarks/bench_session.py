"""Incremental evaluation: a session loaded once, then single events added as a grid worker's app
adds them, each timed.

    python benchmarks/bench_session.py                          # scales 1 and 10, both engines, 500 events
    python benchmarks/bench_session.py --scales 1 --engines clips --events 200

Per scale and engine (each in a process of its own, so that one run's memory does not slow the
next): the dataset is generated (``generate(scale=S, pack_records=False)``) and checked, the
session set up (one whole evaluation), then ``--events`` events are added one by one — mostly
members signing in to an activity of their community (an activity with that one member), some
new activities of a community with a few participants or a unit, some units' monthly reports
and some daily assessment scores (which can change a rating, and so the role allowances of the
members holding a role there) — and each ``add`` is timed, by the wall clock and by the thread's CPU
time (on a shared machine the wall clock also counts the time other processes held the CPU; the
load average is printed). At the end the session's result is
compared with a whole evaluation of its dataset (``same`` must be true). Prints one JSON line per
run, then a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

KINDS = ("collective", "party_lesson", "theme_day", "volunteer", "other")
MIX = (("sign-in", 60), ("activity", 25), ("unit report", 10), ("assessment", 5))


def events_for(data: Any, count: int, year: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` new events of the mix above, dated in ``year`` inside the recorded dates."""
    rng = random.Random(seed)
    members: dict[str, list[str]] = {}
    for member in data.members:
        members.setdefault(member.residence_community, []).append(member.id)
    units: dict[str, list[str]] = {}
    for unit in data.units:
        units.setdefault(unit.community, []).append(unit.id)
    communities = [c.id for c in data.communities if members.get(c.id)]
    first = max(date(year, 1, 1), data.covers.start)
    days = (min(date(year, 12, 31), data.covers.end) - first).days
    names = [name for name, weight in MIX for _ in range(weight)]
    events = []
    for number in range(count):
        what = rng.choice(names)
        community = rng.choice(communities)
        event: dict[str, Any] = {"id": f"APP{number:05d}", "date": (first + timedelta(days=rng.randint(0, days))).isoformat()}
        if what in ("sign-in", "activity"):
            participants = [rng.choice(members[community])] if what == "sign-in" else rng.sample(
                members[community], min(len(members[community]), rng.randint(2, 6)))
            event.update(type="activity", community=community, kind=rng.choice(KINDS),
                         co_building=rng.random() < 0.8, participants=participants)
            if what == "activity" and units.get(community) and rng.random() < 0.5:
                event["units"] = [rng.choice(units[community])]
        elif what == "unit report":
            event.update(type="unit_report", unit=rng.choice(units.get(community) or [u.id for u in data.units]))
        else:
            kind = rng.choice(["unit", "community"]) if units.get(community) else "community"
            subject = rng.choice(units[community]) if kind == "unit" else community
            event.update(type="assessment", subject_kind=kind, subject=subject, part="daily",
                         score=f"{rng.uniform(55, 99):.2f}")
        events.append((what, event))
    return events


def run_one(scale: int, engine: str, count: int, year: int, seed: int) -> dict[str, Any]:
    from partybuild_rules import Dataset, Session, bundled_pack, evaluate, load_pack
    from partybuild_rules.data.generate import generate

    pack = load_pack(bundled_pack())
    data = Dataset.model_validate(generate(scale=scale, year=year, pack_records=False))
    started = time.perf_counter()
    session = Session(pack, data, year, engine=engine)
    setup = time.perf_counter() - started
    latencies: dict[str, list[float]] = {name: [] for name, _ in MIX}
    cpu: list[float] = []
    changed = 0
    for what, event in events_for(data, count, year, seed):
        started, started_cpu = time.perf_counter(), time.thread_time()
        changes = session.add(event)
        latencies[what].append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        changed += not changes.empty
    cpu.sort()
    started = time.perf_counter()
    result = session.result
    result_s = time.perf_counter() - started
    full = evaluate(pack, session.dataset, year, engine=engine)
    every = sorted(t for times in latencies.values() for t in times)
    return {
        "scale": scale,
        "engine": engine,
        "events": len(data.events),
        "members": len(data.members),
        "added": len(every),
        "changed": changed,
        "setup_s": round(setup, 2),
        "p50_ms": round(_quantile(every, 0.50), 3),
        "p99_ms": round(_quantile(every, 0.99), 3),
        "max_ms": round(every[-1], 3),
        "cpu_p50_ms": round(_quantile(cpu, 0.50), 3),
        "cpu_p99_ms": round(_quantile(cpu, 0.99), 3),
        "by_kind_p99_ms": {name: round(_quantile(sorted(times), 0.99), 3) for name, times in latencies.items() if times},
        "load": os.getloadavg()[0],
        "result_s": round(result_s, 3),
        "same": result.to_json() == full.to_json(),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _quantile(ordered: list[float], q: float) -> float:
    """The nearest-rank quantile of sorted values."""
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--engines", nargs="+", default=["durable", "clips"])
    parser.add_argument("--events", type=int, default=500, help="events added one by one per run")
    parser.add_argument("--year", type=int, default=2024)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.scales[0], args.engines[0], args.events, args.year, args.seed)))
        return 0
    rows = []
    for scale in args.scales:
        for engine in args.engines:
            output = subprocess.run(
                [sys.executable, __file__, "--child", "--scales", str(scale), "--engines", engine,
                 "--events", str(args.events), "--year", str(args.year), "--seed", str(args.seed)],
                check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]
            print(output, flush=True)
            rows.append(json.loads(output))
    print()
    kinds = [name for name, _ in MIX]
    print("| scale | engine | events | setup s | add p50 ms | add p99 ms | add max ms | CPU p50 ms | CPU p99 ms | "
          + " | ".join(f"p99 {name} ms" for name in kinds) + " | result s | same |")
    print("|---|---|---|---|---|---|---|---|---|" + "---|" * len(kinds) + "---|---|")
    for row in rows:
        by_kind = " | ".join(str(row["by_kind_p99_ms"].get(name, "")) for name in kinds)
        print(f"| {row['scale']} | {row['engine']} | {row['events']:,} | {row['setup_s']} | {row['p50_ms']} | "
              f"{row['p99_ms']} | {row['max_ms']} | {row['cpu_p50_ms']} | {row['cpu_p99_ms']} | {by_kind} | "
              f"{row['result_s']} | {row['same']} |")
    return 0 if all(row["same"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
