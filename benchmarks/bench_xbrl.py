"""finlora's lxml engine against Arelle, in one run, on one CPU core: same facts, wall time.

    python benchmarks/bench_xbrl.py [--repeat 3] [--big-mb 200] [--out benchmarks/results/xbrl.json]

1. Every bundled filing's instance, and the inline Apple 10-Q (.htm): finlora lxml vs finlora's
   Arelle path (stub schemas, so Arelle keeps every fact: the facts are asserted equal) vs a
   plain Arelle load (`modelManager.load`, offline, no taxonomy). Median of `--repeat` after a
   warm-up, all in this process, pinned to one core.
2. A big plain instance (`--big-mb`, built in a temporary folder by repeating Microsoft's
   non-text facts, each copy with its own contexts; never kept): load time, facts/s and peak
   RSS, in a fresh process (also pinned to one core).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

from finlora.xbrl import find_entry_point, load_filing

ROOT = Path(__file__).resolve().parents[1]
FILINGS = ROOT / "examples" / "filings"
INLINE = FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm"


def timed(function, repeat: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of `repeat` calls after a warm-up (CPU time is what a shared,
    loaded machine distorts least), and the call's result."""
    function()  # warm-up
    walls, cpus, count = [], [], 0
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        count = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), count


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


def key(fact) -> tuple:  # noqa: ANN001
    return (fact.concept, fact.context_id, fact.unit, fact.value, fact.decimals, fact.id)


def compare(path: Path, repeat: int) -> dict:
    ours = load_filing(path, engine="lxml")
    arelle = load_filing(path, engine="arelle")
    assert sorted(map(key, ours.facts)) == sorted(map(key, arelle.facts)), path
    lxml_s, lxml_cpu, n = timed(lambda: len(load_filing(path, engine="lxml").facts), repeat)
    arelle_s, arelle_cpu, _ = timed(lambda: len(load_filing(path, engine="arelle").facts), repeat)
    plain_s, plain_cpu, n_plain = timed(lambda: plain_arelle(path), repeat)
    return {"document": str(path.relative_to(ROOT)), "facts": n, "lxml_s": lxml_s,
            "lxml_cpu_s": lxml_cpu, "lxml_facts_per_s": n / lxml_s,
            "lxml_facts_per_cpu_s": n / lxml_cpu, "arelle_stubs_s": arelle_s,
            "arelle_stubs_cpu_s": arelle_cpu, "arelle_plain_s": plain_s,
            "arelle_plain_cpu_s": plain_cpu, "arelle_plain_facts": n_plain,
            "speedup_vs_arelle_stubs": arelle_s / lxml_s,
            "speedup_vs_arelle_stubs_cpu": arelle_cpu / lxml_cpu,
            "speedup_vs_arelle_plain": plain_s / lxml_s}


def build_big(folder: Path, megabytes: int) -> Path:
    """Microsoft's instance with its non-text facts repeated, each copy with its own contexts."""
    import shutil

    source = FILINGS / "microsoft-10k-2015-06-30"
    for path in source.iterdir():
        if path.suffix == ".xsd" or path.stem.endswith(("_lab", "_cal", "_pre", "_def")):
            shutil.copy(path, folder / path.name)
    compact = etree.XMLParser(remove_blank_text=True)  # no indentation: EDGAR-like density
    root = etree.parse(str(source / "msft-20150630.xml"), compact).getroot()
    contexts = [e for e in root if e.tag == "{http://www.xbrl.org/2003/instance}context"]
    facts = [e for e in root if isinstance(e.tag, str) and e.get("contextRef")
             and len(e.text or "") <= 100]
    for element in list(root):
        if element not in contexts and element not in facts and element.get("contextRef"):
            root.remove(element)  # text blocks
    for element in reversed(contexts):  # contexts first, as EDGAR writes its instances
        root.remove(element)
        root.insert(0, element)
    whole = etree.tostring(root)
    start, end = whole.index(b">") + 1, whole.rindex(b"</")
    head, first, tail = whole[:start], whole[start:end], whole[end:]
    for element in list(root):
        if element not in contexts and element not in facts:
            root.remove(element)  # schemaRef, units, footnotes: once only
    target = folder / "msft-big.xml"
    with target.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n' + head + first)
        copy = 1
        while out.tell() < megabytes * 1_000_000:
            for element in contexts:
                element.set("id", element.get("id").split("~")[0] + f"~{copy}")
            for element in facts:
                element.set("contextRef", element.get("contextRef").split("~")[0] + f"~{copy}")
                if element.get("id"):
                    element.set("id", element.get("id").split("~")[0] + f"~{copy}")
            text = etree.tostring(root)
            out.write(text[text.index(b">") + 1: text.rindex(b"</")])
            copy += 1
        out.write(tail)
    return target


_CHILD = """
import os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from finlora.xbrl import iter_facts, load_filing
start, cpu = time.perf_counter(), time.process_time()
if sys.argv[2] == "load_filing":
    count = len(load_filing(sys.argv[1]).facts)
else:
    count = sum(1 for _ in iter_facts(sys.argv[1]))
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(count, seconds, cpu, rss * 1024)
"""


def big(megabytes: int) -> dict:
    """`load_filing` (every fact kept) and `iter_facts` (none kept), each in a fresh process."""
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        path = build_big(Path(folder), megabytes)
        result["bytes"] = path.stat().st_size
        env = {**os.environ, "FINLORA_MAX_FILING_BYTES": str(result["bytes"] + 1)}
        for mode in ("load_filing", "iter_facts"):
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode],
                                 capture_output=True, text=True, env=env, check=True)
            facts, seconds, cpu, rss = out.stdout.split()
            result[mode] = {"facts": int(facts), "seconds": float(seconds),
                            "cpu_seconds": float(cpu), "facts_per_s": int(facts) / float(seconds),
                            "peak_rss_bytes": int(rss)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "xbrl.json")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    rows = [compare(find_entry_point(folder), args.repeat)
            for folder in sorted(p for p in FILINGS.iterdir() if p.is_dir())]
    rows.append(compare(INLINE, args.repeat))
    result = {"command": " ".join(["python", *sys.argv]), "python": platform.python_version(),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (1 used)",
              "load_average": os.getloadavg(), "filings": rows,
              "big_instance": big(args.big_mb) if args.big_mb else None}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("| document | facts | finlora lxml, wall / CPU | Arelle + stubs (same facts), wall / "
          "CPU | plain Arelle (facts kept) | × vs Arelle + stubs, wall / CPU | × vs plain Arelle |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['document'].split('/', 2)[-1]} | {r['facts']} | {r['lxml_s'] * 1000:.0f} / "
              f"{r['lxml_cpu_s'] * 1000:.0f} ms ({r['lxml_facts_per_cpu_s']:,.0f} facts/CPU-s) "
              f"| {r['arelle_stubs_s'] * 1000:.0f} / {r['arelle_stubs_cpu_s'] * 1000:.0f} ms "
              f"| {r['arelle_plain_s'] * 1000:.0f} ms ({r['arelle_plain_facts']}) "
              f"| {r['speedup_vs_arelle_stubs']:.1f}× / {r['speedup_vs_arelle_stubs_cpu']:.1f}× "
              f"| {r['speedup_vs_arelle_plain']:.1f}× |")
    if result["big_instance"]:
        b = result["big_instance"]
        for mode in ("load_filing", "iter_facts"):
            m = b[mode]
            print(f"big instance, {mode}: {b['bytes'] / 1e6:.0f} MB, {m['facts']:,} facts, "
                  f"{m['seconds']:.1f} s wall / {m['cpu_seconds']:.1f} s CPU "
                  f"({m['facts_per_s']:,.0f} facts/s), peak RSS "
                  f"{m['peak_rss_bytes'] / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
