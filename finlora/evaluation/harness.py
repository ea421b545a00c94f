"""`evaluate()`: score a model (with or without an adapter) on a task's split.

The task decides prompt, allowed answers, parsing and metrics; the `Predictor` decides how the
model answers (label scoring for classification, generation otherwise). Nothing is re-defined
here, so evaluation and training see the same task.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from finlora import tasks as task_registry
from finlora.errors import DataError
from finlora.tasks import Task

SUITES: dict[str, list[str]] = {
    "sentiment": ["fpb", "fiqa", "tfns", "nwgi"],
    "finlora": ["fpb", "fiqa", "tfns", "nwgi", "ner", "headline", "finer", "fnxl",
                "xbrl_tags", "xbrl_value", "xbrl_formula"],
}


class TaskResult(BaseModel):
    """The outcome of one task on one model: metrics, failures and throughput."""

    model_config = ConfigDict(frozen=True)

    task: str
    model: str
    adapter: str | None
    split: str
    n: int
    metrics: dict[str, Any]
    parse_failure_rate: float
    seconds: float
    examples_per_second: float
    predictions: list[str | None]
    targets: list[str]


def expand_task_names(names: Sequence[str]) -> list[str]:
    """Task names with suite names (`finlora`, `sentiment`) expanded, order kept, no repeats."""
    expanded: list[str] = []
    for name in names:
        for item in SUITES.get(name, [name]):
            if item not in expanded:
                expanded.append(item)
    return expanded


def evaluate(task: str | Task, model: str | None = None, adapter: str | None = None,
             split: str = "test", *, limit: int | None = None, predictor: Any = None,
             batch_size: int = 16, chat: bool | None = None,
             use_adapter: str | None = None) -> TaskResult:
    """Score `model` (default: the embedded one) plus optional `adapter` on `task`'s split.

    Pass an existing `predictor` to reuse a loaded model across tasks, and `use_adapter` to pick
    one of its adapters ("base" runs the plain base model).
    """
    from finlora.infer import Predictor

    task_obj = task_registry.get(task) if isinstance(task, str) else task
    examples = task_obj.load(split, limit=limit)
    if not examples:
        raise DataError(f"task {task_obj.name!r} has no examples in split {split!r}")
    if predictor is None:
        predictor = Predictor(base_model=model, adapters=adapter, batch_size=batch_size)
    kwargs: dict[str, Any] = {} if chat is None else {"chat": chat}
    if use_adapter is not None:
        kwargs["adapter"] = use_adapter
    start = time.perf_counter()
    outputs = predictor.predict(task_obj, examples, **kwargs)
    seconds = time.perf_counter() - start
    answers = [out.answer for out in outputs]
    metrics = task_obj.score(answers, examples)
    failures = sum(answer is None for answer in answers)
    return TaskResult(
        task=task_obj.name,
        model=str(model or "default"),
        adapter=str(adapter) if adapter else None,
        split=split,
        n=len(examples),
        metrics=metrics,
        parse_failure_rate=failures / len(examples),
        seconds=seconds,
        examples_per_second=len(examples) / seconds if seconds > 0 else float("inf"),
        predictions=answers,
        targets=[ex.target for ex in examples],
    )
