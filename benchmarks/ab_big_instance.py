"""Two checkouts of finlora on the big plain instance, alternately, at the same moment.

    python benchmarks/ab_big_instance.py --old /work/main --new . [--big-mb 200] [--repeat 4]
        [--out benchmarks/results/xbrl_big_ab.json]

The instance is `bench_xbrl.build_big`'s; each run is `bench_xbrl`'s child process (pinned to
one core, the engine imported before the clock starts) with PYTHONPATH set to one checkout.
The two alternate run by run, so the other sessions on a shared machine load both alike;
the best CPU time of each is reported (medians in the JSON too).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_xbrl import _CHILD, ROOT, build_big

MODES = ("load_filing", "iter_facts", "parse")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--old", type=Path, required=True)
    parser.add_argument("--new", type=Path, default=ROOT)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                        "xbrl_big_ab.json")
    args = parser.parse_args()
    uptime = [subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()]
    runs: dict[str, dict[str, list]] = {"old": {m: [] for m in MODES},
                                        "new": {m: [] for m in MODES}}
    with tempfile.TemporaryDirectory() as folder:
        path = build_big(Path(folder), args.big_mb)
        env = {**os.environ, "FINLORA_MAX_FILING_BYTES": str(path.stat().st_size + 1)}
        for _ in range(args.repeat):
            for mode in MODES:
                for name, tree in (("old", args.old), ("new", args.new)):
                    out = subprocess.run(
                        [sys.executable, "-c", _CHILD, str(path), mode], capture_output=True,
                        text=True, check=True, cwd=folder,
                        env={**env, "PYTHONPATH": str(tree.resolve())}).stdout.split()
                    runs[name][mode].append({"count": int(out[0]), "seconds": float(out[1]),
                                             "cpu_seconds": float(out[2]),
                                             "peak_rss_bytes": int(out[3])})
    uptime.append(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    summary = {}
    for name, modes in runs.items():
        facts = modes["load_filing"][0]["count"]
        for mode, rows in modes.items():
            best = min(rows, key=lambda row: row["cpu_seconds"])
            summary[f"{name} {mode}"] = {
                **best, "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in rows),
                **({"facts_per_cpu_s": facts / best["cpu_seconds"]} if mode != "parse" else {})}
    result = {"command": " ".join(["python", *sys.argv]), "old": str(args.old),
              "new": str(args.new), "big_mb": args.big_mb, "uptime": uptime,
              "summary": summary, "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("\n".join(uptime))
    for key, row in summary.items():
        rate = f", {row['facts_per_cpu_s']:,.0f} facts/CPU-s" if "facts_per_cpu_s" in row else ""
        print(f"{key}: best {row['cpu_seconds']:.2f} s CPU (median "
              f"{row['median_cpu_seconds']:.2f}){rate}, peak RSS "
              f"{row['peak_rss_bytes'] / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
