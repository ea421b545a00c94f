"""One progress-bar style for every long job (rich): on stderr, so stdout carries only the
requested output, and off when stderr is not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


def progress_bar(*, transient: bool = False, disable: bool = False) -> Progress:
    """A rich `Progress` with count, elapsed time, ETA and a free-text status field, drawn on
    stderr, and only when stderr is a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=transient,
        disable=disable or not sys.stderr.isatty(),
    )


def track(items: Iterable[T], description: str, total: int | None = None,
          disable: bool = False) -> Iterator[T]:
    """Iterate over `items` with a progress bar."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with progress_bar(disable=disable) as bar:
        task = bar.add_task(description, total=total, status="")
        for item in items:
            yield item
            bar.advance(task)
