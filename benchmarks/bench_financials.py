"""Time the financial-statement layer on the bundled filings, after parsing, no model:
report periods, key facts, all ratios, checks and the three statements (presentation linkbase
read included).

    python benchmarks/bench_financials.py --out docs/results/financials_speed.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from finlora.xbrl import load_filing
from finlora.xbrl.financials import Financials

FILINGS = Path(__file__).resolve().parents[1] / "examples" / "filings"


def once(filing) -> float:  # noqa: ANN001 - a Filing
    start = time.perf_counter()
    fin = Financials(filing)  # uncached: periods, index, presentation read again
    fin.key_facts()
    fin.ratios()
    fin.checks()
    for kind in ("balance", "income", "cashflow"):
        fin.statement(kind).to_text()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = {}
    for folder in sorted(p for p in FILINGS.iterdir() if p.is_dir()):
        filing = load_filing(folder, engine="lxml")
        times = [once(filing) for _ in range(args.repeats)]
        rows[folder.name] = {"facts": len(filing.facts), "median_s": round(statistics.median(
            times), 4), "max_s": round(max(times), 4)}
        print(f"{folder.name:30} {rows[folder.name]['median_s'] * 1000:7.1f} ms", flush=True)
    result = {"what": "key facts + ratios + checks + 3 statements, after parsing, no model",
              "command": "python benchmarks/bench_financials.py --out "
                         "docs/results/financials_speed.json",
              "python": platform.python_version(), "machine": platform.machine(),
              "repeats": args.repeats, "filings": rows}
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
