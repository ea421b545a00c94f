"""finlora's lxml engine against Arelle, in one run, on one CPU core: same facts, wall time.

    python benchmarks/bench_xbrl.py [--repeat 3] [--big-mb 200] [--out benchmarks/results/xbrl.json]
    python benchmarks/bench_xbrl.py --inline-only --big-mb 0 --repeat 15 --out /tmp/inline.json

What is timed (the best of `--repeat` runs after a warm-up — the one the other sessions on
the shared machine disturbed least; medians are in the JSON too — all in this process, pinned
to one core; wall and CPU seconds of the process):
1. Every bundled filing's instance, and the inline Apple 10-Q (.htm):
   - `load_filing(path, engine="lxml")`: the document(s) parsed, every fact built with its
     value, the schema read; a plain instance's label and calculation linkbases too, while an
     inline load leaves those to first use (`linkbases.read_linkbases_lazily`).
     "facts/CPU-s" is facts divided by this CPU time;
   - "+ labels read": the same load, then every fact's label and the calculations read (what
     a user who reads them all waits for in total);
   - the load's share for the linkbases alone (`read_linkbases(schema)`, or for inline
     `read_linkbases_lazily(schema)`, timed on its own), and "without linkbases" = load −
     linkbases (what the facts themselves cost);
   - `parse floor`: the filing's document(s) parsed with the same safe lxml parser and
     nothing else — the part no Python change can remove;
   - finlora's Arelle path (stub schemas, so Arelle keeps every fact: the facts are asserted
     equal to lxml's first) and a plain Arelle load (`modelManager.load`, offline, no
     taxonomy; it loads the schema and every linkbase too, and keeps only the facts whose
     concepts it can resolve).
2. A big plain instance (`--big-mb`, built in a temporary folder by repeating Microsoft's
   non-text facts, each copy with its own contexts; never kept): `load_filing` (all facts
   kept), `iter_facts` (none kept) and the bare streaming parse (the same parser and blocks,
   each child of the root dropped unread), each in a fresh process pinned to one core, the
   engine imported before the clock starts: wall, CPU, facts per CPU-second, peak RSS.
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
from finlora.xbrl.linkbases import read_linkbases, read_linkbases_lazily
from finlora.xbrl.safe_xml import parse_xml
from finlora.xbrl.sources import INLINE_SUFFIXES

ROOT = Path(__file__).resolve().parents[1]
FILINGS = ROOT / "examples" / "filings"
INLINE = FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm"


def timed(function, repeat: int) -> tuple[float, float, int]:
    """Best (least) wall and CPU seconds of `repeat` calls after a warm-up, and the call's
    result. The least is the run the other sessions on this shared machine disturbed least
    (CPU time too grows when they load the other core); medians go to `MEDIANS`."""
    function()  # warm-up
    walls, cpus, count = [], [], 0
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        count = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    MEDIANS.append((statistics.median(walls), statistics.median(cpus)))
    return min(walls), min(cpus), count


MEDIANS: list[tuple[float, float]] = []


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
    schema = next(path.parent.glob("*.xsd"))
    links = (read_linkbases_lazily if path.suffix.lower() in INLINE_SUFFIXES else
             read_linkbases)
    lxml_s, lxml_cpu, n = timed(lambda: len(load_filing(path, engine="lxml").facts), repeat)
    read_s, read_cpu, _ = timed(lambda: all_read(path), repeat)
    _, links_cpu, _ = timed(lambda: len(links(schema)), repeat)
    _, parse_cpu, _ = timed(lambda: len(parse_xml(path)), repeat)
    arelle_s, arelle_cpu, _ = timed(lambda: len(load_filing(path, engine="arelle").facts), repeat)
    plain_s, plain_cpu, n_plain = timed(lambda: plain_arelle(path), repeat)
    medians = MEDIANS[-6:]
    return {"document": str(path.relative_to(ROOT)), "facts": n,
            "medians_wall_cpu_s": {"lxml": medians[0], "lxml_labels_read": medians[1],
                                   "linkbases": medians[2], "parse_floor": medians[3],
                                   "arelle_stubs": medians[4], "arelle_plain": medians[5]},
            "lxml_s": lxml_s,
            "lxml_cpu_s": lxml_cpu, "lxml_facts_per_s": n / lxml_s,
            "lxml_labels_read_s": read_s, "lxml_labels_read_cpu_s": read_cpu,
            "lxml_labels_read_facts_per_cpu_s": n / read_cpu,
            "lxml_facts_per_cpu_s": n / lxml_cpu, "linkbases_cpu_s": links_cpu,
            "lxml_without_linkbases_cpu_s": lxml_cpu - links_cpu,
            "lxml_without_linkbases_facts_per_cpu_s": n / max(lxml_cpu - links_cpu, 1e-9),
            "parse_floor_cpu_s": parse_cpu, "arelle_stubs_s": arelle_s,
            "arelle_stubs_cpu_s": arelle_cpu, "arelle_plain_s": plain_s,
            "arelle_plain_cpu_s": plain_cpu, "arelle_plain_facts": n_plain,
            "speedup_vs_arelle_stubs": arelle_s / lxml_s,
            "speedup_vs_arelle_stubs_cpu": arelle_cpu / lxml_cpu,
            "speedup_vs_arelle_plain": plain_s / lxml_s,
            "speedup_vs_arelle_plain_cpu": plain_cpu / lxml_cpu,
            "speedup_vs_arelle_plain_labels_read": plain_s / read_s,
            "speedup_vs_arelle_plain_labels_read_cpu": plain_cpu / read_cpu}


def all_read(path: Path) -> int:
    """A load, then every fact's label and the calculations read."""
    filing = load_filing(path, engine="lxml")
    return sum(fact.label is not None for fact in filing.facts) + len(filing.calculations)


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
import finlora.xbrl.instance_stream  # imported before the clock starts: a one-time cost
start, cpu = time.perf_counter(), time.process_time()
if sys.argv[2] == "load_filing":
    count = len(load_filing(sys.argv[1]).facts)
elif sys.argv[2] == "iter_facts":
    count = sum(1 for _ in iter_facts(sys.argv[1]))
else:  # the bare streaming parse: the same parser and blocks, children dropped unread
    from pathlib import Path
    from finlora.xbrl.instance_stream import _chunks, _parser
    parser, root, count = _parser(), None, 0
    for block in _chunks(Path(sys.argv[1])):
        parser.feed(block)
        for _, element in parser.read_events():
            root = element
        if root is not None and len(root) > 1:
            count += len(root) - 1
            del root[:len(root) - 1]
    parser.close()
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(count, seconds, cpu, rss * 1024)
"""


def big(megabytes: int) -> dict:
    """`load_filing` (every fact kept), `iter_facts` (none kept) and the bare parse (`parse`:
    its count is of the root's children, not facts), each in a fresh process."""
    result: dict = {}
    with tempfile.TemporaryDirectory() as folder:
        path = build_big(Path(folder), megabytes)
        result["bytes"] = path.stat().st_size
        env = {**os.environ, "FINLORA_MAX_FILING_BYTES": str(result["bytes"] + 1)}
        for mode in ("load_filing", "iter_facts", "parse"):
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode],
                                 capture_output=True, text=True, env=env, check=True)
            facts, seconds, cpu, rss = out.stdout.split()
            result[mode] = {"count": int(facts), "seconds": float(seconds),
                            "cpu_seconds": float(cpu), "peak_rss_bytes": int(rss)}
        facts = result["load_filing"]["count"]
        for mode in ("load_filing", "iter_facts"):
            result[mode]["facts_per_s"] = facts / result[mode]["seconds"]
            result[mode]["facts_per_cpu_s"] = facts / result[mode]["cpu_seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--big-mb", type=int, default=200)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "xbrl.json")
    parser.add_argument("--inline-only", action="store_true",
                        help="only the inline Apple 10-Q row (with --big-mb 0: a quick check)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    uptime_start = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    rows = [] if args.inline_only else [
        compare(find_entry_point(folder), args.repeat)
        for folder in sorted(p for p in FILINGS.iterdir() if p.is_dir())]
    rows.append(compare(INLINE, args.repeat))
    big_instance = big(args.big_mb) if args.big_mb else None
    result = {"command": " ".join(["python", *sys.argv]), "python": platform.python_version(),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores (1 used)",
              "uptime_start": uptime_start,
              "uptime_end": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
              "load_average": os.getloadavg(), "filings": rows, "big_instance": big_instance}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"load average {result['load_average']}; {result['machine']}")
    print("| document | facts | lxml load, wall / CPU (facts/CPU-s) | + labels read, wall / CPU "
          "(facts/CPU-s) | of which linkbases, CPU | "
          "without linkbases, CPU (facts/CPU-s) | parse floor, CPU | Arelle + stubs, wall / "
          "CPU | plain Arelle, wall / CPU (facts kept) | × vs plain Arelle, wall / CPU (+ labels "
          "read) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['document'].split('/', 2)[-1]} | {r['facts']} | {r['lxml_s'] * 1000:.0f} / "
              f"{r['lxml_cpu_s'] * 1000:.0f} ms ({r['lxml_facts_per_cpu_s']:,.0f}) "
              f"| {r['lxml_labels_read_s'] * 1000:.0f} / {r['lxml_labels_read_cpu_s'] * 1000:.0f} "
              f"ms ({r['lxml_labels_read_facts_per_cpu_s']:,.0f}) "
              f"| {r['linkbases_cpu_s'] * 1000:.0f} ms "
              f"| {r['lxml_without_linkbases_cpu_s'] * 1000:.0f} ms "
              f"({r['lxml_without_linkbases_facts_per_cpu_s']:,.0f}) "
              f"| {r['parse_floor_cpu_s'] * 1000:.0f} ms "
              f"| {r['arelle_stubs_s'] * 1000:.0f} / {r['arelle_stubs_cpu_s'] * 1000:.0f} ms "
              f"| {r['arelle_plain_s'] * 1000:.0f} / {r['arelle_plain_cpu_s'] * 1000:.0f} ms "
              f"({r['arelle_plain_facts']}) | {r['speedup_vs_arelle_plain']:.1f}× / "
              f"{r['speedup_vs_arelle_plain_cpu']:.1f}× "
              f"({r['speedup_vs_arelle_plain_labels_read']:.1f}× / "
              f"{r['speedup_vs_arelle_plain_labels_read_cpu']:.1f}×) |")
    if result["big_instance"]:
        b = result["big_instance"]
        for mode in ("load_filing", "iter_facts", "parse"):
            m = b[mode]
            rate = (f"{m['facts_per_cpu_s']:,.0f} facts/CPU-s, {m['facts_per_s']:,.0f} facts/s"
                    if "facts_per_s" in m else f"{m['count']:,} elements")
            print(f"big instance, {mode}: {b['bytes'] / 1e6:.0f} MB, "
                  f"{b['load_filing']['count']:,} facts, {m['seconds']:.1f} s wall / "
                  f"{m['cpu_seconds']:.1f} s CPU ({rate}), peak RSS "
                  f"{m['peak_rss_bytes'] / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
