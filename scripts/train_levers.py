"""Levers of scripts/train_shipped_adapters.py beyond TrainConfig: upweighting a small task's
train split, and a best-on-dev hook that also saves the best adapter as it goes and stops the
run at a deadline (so a sweep that runs out of time still has each run's best epoch)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from finlora.tasks.base import Example, Split, Task
from finlora.train.class_balance import Rebalanced
from finlora.train.recipe_options import BestOnDev, EpochEnd


class Upweighted(Rebalanced):
    """`task` with its train split repeated `times` times (a small task in a mixture)."""

    def __init__(self, task: Task, times: int) -> None:
        super().__init__(task, power=0.0)
        self.times = times

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        examples = self.task.load(split, limit)
        return examples * self.times if split == "train" else examples


class Deadline(Exception):  # noqa: N818 - a stop signal, not an error
    """Training ran past its deadline; the best adapter so far is on disk."""


class SavingBestOnDev(BestOnDev):
    """BestOnDev that writes the adapter to `folder` whenever dev improves, and raises
    `Deadline` at an epoch end after `deadline` (time.perf_counter() seconds)."""

    def __init__(self, score: Any, folder: Path, deadline: float | None = None) -> None:
        super().__init__(score)
        self.folder = folder
        self.deadline = deadline
        self.stopped_at: int | None = None

    def __call__(self, end: EpochEnd, model: Any) -> None:
        before = self.best_epoch
        super().__call__(end, model)
        if self.best_epoch != before and not end.final:
            self.folder.mkdir(parents=True, exist_ok=True)
            model.save_pretrained(str(self.folder), safe_serialization=True)
        if self.deadline is not None and not end.final and time.perf_counter() > self.deadline:
            self.stopped_at = end.epoch
            raise Deadline(f"stopped after epoch {end.epoch}")
