"""Facts per second: finlora's lxml path and Arelle path against a plain full Arelle load.

    python benchmarks/bench_xbrl.py [--repeat 3]

"plain Arelle" is `Cntlr.modelManager.load(instance)` offline with no taxonomy (what a user gets
without finlora's stubs: only company-extension facts survive in a plain instance), timed the
same way, in the same process, after a warm-up.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from finlora.xbrl import find_entry_point, load_filing

FILINGS = Path(__file__).resolve().parents[1] / "examples" / "filings"


def timed(function, repeat: int) -> tuple[float, int]:
    function()  # warm-up
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), count


def plain_arelle(path: Path) -> int:
    from arelle import Cntlr

    global _plain
    if "_plain" not in globals():
        _plain = Cntlr.Cntlr(logFileName="logToBuffer")
        _plain.webCache.workOffline = True
    model = _plain.modelManager.load(str(path))
    count = len(model.facts)
    _plain.modelManager.close(model)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for folder in sorted(p for p in FILINGS.iterdir() if p.is_dir()):
        entry = find_entry_point(folder)
        lxml_s, n = timed(lambda e=entry: len(load_filing(e, engine="lxml").facts), args.repeat)
        arelle_s, n_arelle = timed(lambda e=entry: len(load_filing(e, engine="arelle").facts),
                                   args.repeat)
        plain_s, n_plain = timed(lambda e=entry: plain_arelle(e), args.repeat)
        rows.append((folder.name, n, lxml_s, n_arelle, arelle_s, n_plain, plain_s))
    print("| filing | facts | finlora lxml | finlora Arelle (stubs) | plain Arelle load "
          "(facts kept) | lxml vs plain Arelle (facts/s) | lxml vs plain Arelle (time) |")
    print("|---|---|---|---|---|---|---|")
    for name, n, lx, na, ar, npl, pl in rows:
        print(f"| {name} | {n} | {lx * 1000:.0f} ms ({n / lx:,.0f} facts/s) "
              f"| {ar * 1000:.0f} ms ({na / ar:,.0f} facts/s) "
              f"| {pl * 1000:.0f} ms ({npl} facts, {npl / pl:,.0f} facts/s) "
              f"| {(n / lx) / (npl / pl):.1f}× | {pl / lx:.1f}× |")


if __name__ == "__main__":
    main()
