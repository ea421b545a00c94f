"""Filings parsed in worker processes, handed back in order: `parsed_filings`.

Parsing (lxml, or Arelle whose state is process-wide) runs in a pool of spawned processes
while the main process runs the model. A filing that fails, or a worker that dies, gives an
error for that filing only; the pool is restarted and the rest go on.
"""

from __future__ import annotations

import os
import traceback
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

Outcome = tuple[Any, str | None, str | None]  # (filing, error message, traceback)


def default_workers(world_size: int = 1) -> int:
    """One parsing process per spare core of this rank's share of the machine (at least 1)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // max(1, world_size) - 1)


def parse_one(path: str) -> Outcome:
    """Load one filing; never raises (the error travels back as text)."""
    from finlora.xbrl import load_filing

    try:
        return load_filing(path), None, None
    except Exception as exc:  # reported per filing; the batch goes on
        return None, f"{type(exc).__name__}: {exc}", traceback.format_exc(limit=3)


def parsed_filings(paths: Sequence[Path], workers: int) -> Iterator[tuple[Path, Outcome]]:
    """(path, outcome) for each path, in order; `workers=0` parses in this process."""
    if workers <= 0:
        for path in paths:
            yield path, parse_one(str(path))
        return
    pending: deque[tuple[Path, Future[Outcome]]] = deque()
    queue = deque(paths)
    pool = _pool(workers)
    try:
        while queue or pending:
            while queue and len(pending) < 2 * workers:  # bounded: memory stays flat
                path = queue.popleft()
                pending.append((path, pool.submit(parse_one, str(path))))
            path, future = pending.popleft()
            try:
                yield path, future.result()
            except BrokenProcessPool:  # a worker died (killed, out of memory...)
                yield path, (None, "a parsing worker process died reading this filing", None)
                pool.shutdown(cancel_futures=True)
                queue.extendleft(reversed([p for p, _ in pending]))
                pending.clear()
                pool = _pool(workers)
    finally:
        pool.shutdown(cancel_futures=True)


def _pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
