"""Levers of scripts/train_shipped_adapters.py beyond TrainConfig: upweighting a small task's
train split, and a best-on-dev hook that also saves the best adapter as it goes and stops the
run at a deadline (so a sweep that runs out of time still has each run's best epoch)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from finlora.atomic import write_text_atomically
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


def record_metadata(folder: Path, task_list: Sequence[Task], config: Any, extra: dict[str, Any],
                    metrics: dict[str, Any] | None = None) -> Path:
    """`folder`'s finlora_metadata.json with `extra` keys added (the command, the tag-retrieval
    k, the dev curve). A run stopped at its deadline has none (finetune() writes it at the
    end): it is rebuilt from the same tasks and config (the data hash and tokenizer fingerprint
    of the tokenized train split, as finetune() computes them), with `metrics`."""
    from finlora.models import resolve_model
    from finlora.train.recipe import run_metadata, setup_data

    path = folder / "finlora_metadata.json"
    if path.is_file():
        meta = json.loads(path.read_text(encoding="utf-8"))
    else:
        model_path = str(resolve_model(None))
        data = setup_data(task_list, model_path, config, world_size=1)
        meta = run_metadata(task_list, None, model_path, config, data,
                            SimpleNamespace(world_size=1), metrics or {})  # type: ignore[arg-type]
    meta.update(extra)
    write_text_atomically(path, json.dumps(meta, indent=2) + "\n")
    return path
