"""Two checkouts of finlora on the inline Apple 10-Q (.htm), alternately, at the same moment.

    python benchmarks/ab_inline.py --old /work/main --new . [--rounds 4] [--loads 40]
        [--out benchmarks/results/xbrl_inline_ab.json]

Each round runs one fresh process per checkout (PYTHONPATH set to it, pinned to one core):
`load_filing` of the .htm once to warm up, then `--loads` times, each timed; the best CPU time
of each process is kept. The two alternate round by round, so the other sessions on a shared
machine load both alike; the best over all rounds is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INLINE = ROOT / "examples" / "filings" / "apple-10q-2025-03-29" / "aapl-20250329.htm"
_CHILD = """
import os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from finlora.xbrl import load_filing
path, loads = sys.argv[1], int(sys.argv[2])
facts = len(load_filing(path).facts)
cpu, wall = [], []
for _ in range(loads):
    start, clock = time.perf_counter(), time.process_time()
    load_filing(path)
    cpu.append(time.process_time() - clock)
    wall.append(time.perf_counter() - start)
print(facts, min(cpu), min(wall))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--loads", type=int, default=40)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                        "xbrl_inline_ab.json")
    args = parser.parse_args()
    uptime = [subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()]
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        for side in ("old", "new"):
            checkout = getattr(args, side).resolve()
            out = subprocess.run(  # cwd "/": `-c` puts the cwd first on sys.path
                [sys.executable, "-c", _CHILD, str(INLINE), str(args.loads)],
                capture_output=True, text=True, check=True, cwd="/",
                env={**os.environ, "PYTHONPATH": str(checkout)})
            facts, cpu, wall = out.stdout.split()
            runs[side].append({"facts": int(facts), "cpu_s": float(cpu), "wall_s": float(wall)})
    uptime.append(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    summary = {}
    for side, items in runs.items():
        best = min(item["cpu_s"] for item in items)
        facts = items[0]["facts"]
        summary[side] = {"best_cpu_s": best, "best_wall_s": min(i["wall_s"] for i in items),
                         "facts": facts, "facts_per_cpu_s": facts / best}
        print(f"{side}: best {best * 1000:.2f} ms CPU of {len(items)} rounds × {args.loads} "
              f"loads, {facts / best:,.0f} facts/CPU-s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "command": " ".join(["python", *sys.argv]), "old": str(args.old), "new": str(args.new),
        "uptime": uptime, "summary": summary, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
