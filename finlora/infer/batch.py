"""Extraction over many filings: resumable, sharded over ranks, errors kept in a manifest.

Each filing's records go to `OUT/<filing id>.<format>`, written atomically, so an output that
exists is complete: a rerun skips it. Every attempt appends one JSON line to
`OUT/manifest.jsonl` (status ok / error / skipped, the error message, record count, seconds,
rank). A bad filing is reported and skipped; the batch goes on. Filings are parsed in worker
processes (`workers`, see `finlora.infer.parse_pool`) while the model runs in this one. Under
torchrun each rank takes every WORLD_SIZE-th filing (data parallelism over filings), with its
own model copy and parsing pool.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from finlora.errors import ConfigError
from finlora.infer.output import Format, write_records
from finlora.progress import progress_bar

MANIFEST = "manifest.jsonl"
FILING_SUFFIXES = (".xml", ".htm", ".html", ".xhtml", ".txt", ".zip")


@dataclass
class BatchResult:
    """What one rank did."""

    ok: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def all_succeeded(self) -> bool:
        return not self.failed


class _ParseFailure(Exception):
    """A filing the parsing worker could not load (its message and traceback, as text)."""

    def __init__(self, message: str, trace: str | None):
        super().__init__(message)
        self.trace = trace


def find_filings(spec: str | Path) -> list[Path]:
    """The filings named by a folder (its filing sub-folders, instance / inline files, EDGAR
    .txt submissions and .zip files) or a glob pattern (each match is one filing), sorted."""
    from finlora.xbrl.sources import LINKBASE_STEMS, is_submission

    path = Path(spec)
    if path.is_dir():
        found = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")]
        found += [p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILING_SUFFIXES
                  and not p.stem.endswith(LINKBASE_STEMS) and not p.name.startswith(".")
                  and (p.suffix.lower() != ".txt" or is_submission(p))]
    else:
        found = [Path(p) for p in glob.glob(str(spec), recursive=True)]
    if not found:
        raise ConfigError(f"{spec}: no filings found (give a folder of filings or a glob such "
                          "as 'filings/*/*_htm.xml')")
    return sorted(found)


def filing_id(path: Path, taken: set[str]) -> str:
    """A file-name-safe id: the folder name or file stem, with a path hash if already taken."""
    name = path.name if path.is_dir() else path.stem
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "filing"
    if name in taken:
        name = f"{name}-{hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:8]}"
    taken.add(name)
    return name


def shard() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) when run alone."""
    from finlora.torchrun import launch

    where = launch()
    return where.rank, where.world_size


def _log(manifest: Path, entry: dict[str, object]) -> None:
    """Append one line with a single write (appends of one short line do not interleave)."""
    line = (json.dumps(entry) + "\n").encode()
    fd = os.open(manifest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def run_batch(filings: Sequence[Path], out_dir: str | Path, tagger: object, *,
              questions: Sequence[str] | None = None, fmt: Format = "jsonl",
              rank: int = 0, world_size: int = 1, force: bool = False,
              show_progress: bool = True, workers: int | None = None) -> BatchResult:
    """Extract every filing of this rank's shard into `out_dir`; see the module docstring.

    `workers` parsing processes (default: one per spare core; 0 parses in this process).
    """
    from finlora.infer.parse_pool import default_workers, parsed_filings

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / MANIFEST
    taken: set[str] = set()
    jobs = [(path, filing_id(path, taken)) for path in filings][rank::world_size]
    result = BatchResult()
    with progress_bar(disable=not show_progress) as bar:
        task = bar.add_task(f"rank {rank}: extracting" if world_size > 1 else "extracting",
                            total=len(jobs), status="")
        todo = []
        for path, name in jobs:
            target = out / f"{name}.{fmt}"
            if target.exists() and not force:
                result.skipped.append(str(path))
                _log(manifest, {"filing": str(path), "output": target.name, "rank": rank,
                                "status": "skipped"})
                bar.advance(task)
            else:
                todo.append((path, name))
        count = default_workers(world_size) if workers is None else workers
        count = min(count, len(todo))
        started = time.perf_counter()
        parsed = parsed_filings([p for p, _ in todo], count)
        for (path, name), (_, (filing, error, trace)) in zip(todo, parsed, strict=True):
            target = out / f"{name}.{fmt}"
            bar.update(task, status=name)
            entry: dict[str, object] = {"filing": str(path), "output": target.name, "rank": rank}
            try:
                if error is not None:
                    raise _ParseFailure(error, trace)
                records = tagger.extract(filing, questions)  # type: ignore[attr-defined]
                write_records(records, target, fmt)
            except Exception as exc:  # one bad filing must not stop the batch
                message = str(exc) if isinstance(exc, _ParseFailure) else \
                    f"{type(exc).__name__}: {exc}"
                result.failed[str(path)] = message
                _log(manifest, {**entry, "status": "error", "error": message,
                                "traceback": exc.trace if isinstance(exc, _ParseFailure) else
                                traceback.format_exc(limit=3),
                                "seconds": round(time.perf_counter() - started, 3)})
            else:
                result.ok.append(str(path))
                _log(manifest, {**entry, "status": "ok", "records": len(records),
                                "seconds": round(time.perf_counter() - started, 3)})
            started = time.perf_counter()
            bar.advance(task)
    return result
