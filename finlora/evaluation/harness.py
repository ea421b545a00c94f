"""`evaluate()`: score a model (with or without an adapter) on a task's split or on any
FinLoRA-format data file.

The task decides prompt, allowed answers, parsing and metrics; the `Predictor` decides how the
model answers (label scoring for classification, generation otherwise). Nothing is re-defined
here, so evaluation and training see the same task.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from finlora import tasks as task_registry
from finlora.errors import DataError
from finlora.evaluation.stats import class_distribution, majority_baseline, mcc
from finlora.tasks import Example, Task
from finlora.tasks.answers import answer_kinds
from finlora.tasks.registry import expand_names

SHIPPED = "shipped"  # adapter="shipped": finlora's shipped adapter for the task


class TaskResult(BaseModel):
    """The outcome of one task on one model: metrics, failures and throughput.

    For classification tasks `metrics` also holds `mcc`, and `distribution` / `baseline` give
    the evaluated set's gold class counts and its majority-class baseline."""

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
    data: str | None = None
    distribution: dict[str, int] | None = None
    baseline: dict[str, Any] | None = None
    calibrated: bool = False
    answered: dict[str, int] = {}  # examples per answer space ("grounded", "free text", ...)


def expand_task_names(names: Sequence[str]) -> list[str]:
    """Task names with group names (`finlora`, `sentiment`: `finlora.tasks.GROUPS`) expanded,
    order kept, no repeats."""
    return expand_names(names)


def load_examples(task: Task, data: str | os.PathLike[str], split: str = "test",
                  limit: int | None = None) -> list[Example]:
    """All examples of a FinLoRA-format JSONL file (`context`, `target`) or a saved Hugging
    Face dataset (for a DatasetDict: its `split`), checked against `task`: a classification
    target must be one of the task's labels (case is forgiven). The task's corrections of
    FinLoRA's data apply (TFNS: positive / neutral swapped back, `Task.from_finlora_rows`)."""
    from finlora.tasks.datafiles import load_user_data

    examples = load_user_data(data, split)
    if not examples:
        raise DataError(f"{data}: no examples")
    labels = tuple(task.labels)
    if task.kind == "classification" and labels:
        canonical = {label.lower(): label for label in labels}
        checked = []
        for number, ex in enumerate(examples, 1):
            label = canonical.get(ex.target.strip().lower())
            if label is None:
                raise DataError(f"{data}: row {number}: target {ex.target!r} is not a "
                                f"{task.name} label ({', '.join(labels)})")
            checked.append(Example(ex.prompt, label, ex.meta))
        examples = task.from_finlora_rows(checked)
    return examples[:limit] if limit is not None else examples


def evaluate(task: str | Task, model: str | None = None, adapter: str | None = None,
             split: str = "test", *, data: str | os.PathLike[str] | None = None,
             limit: int | None = None, predictor: Any = None, batch_size: int = 16,
             chat: bool | None = None, use_adapter: str | None = None,
             calibrated: bool | None = None) -> TaskResult:
    """Score `model` (default: the embedded one) plus optional `adapter` on `task`.

    `data`: a FinLoRA-format JSONL file or saved HF dataset to score instead of the task's
    bundled `split`. `adapter="shipped"`: finlora's shipped adapter for the task. Pass an
    existing `predictor` to reuse a loaded model across tasks, and `use_adapter` to pick one of
    its adapters ("base" runs the plain base model). `calibrated`: score labels calibrated
    (content-free "N/A" prompt); None: when `adapter`'s metadata lists the task under
    `calibrated_tasks` (the choice made on dev, `finlora.evaluation.adapter_scoring`).
    """
    from finlora.evaluation.adapter_scoring import adapter_calibrated_tasks
    from finlora.infer import Predictor
    from finlora.infer.calibrated_answers import calibrated_answers

    task_obj = task_registry.get(task) if isinstance(task, str) else task
    if adapter == SHIPPED:
        from finlora.evaluation.shipped import shipped_adapter_for

        adapter = str(shipped_adapter_for(task_obj))
    if data is not None:
        examples = load_examples(task_obj, data, split, limit)
    else:
        examples = task_obj.load(split, limit=limit)
    if not examples:
        raise DataError(f"task {task_obj.name!r} has no examples in split {split!r}")
    if predictor is None:
        predictor = Predictor(base_model=model, adapters=adapter, batch_size=batch_size)
    kwargs: dict[str, Any] = {} if chat is None else {"chat": chat}
    if use_adapter is not None:
        kwargs["adapter"] = use_adapter
    if calibrated is None:
        calibrated = (adapter is not None and use_adapter != "base"
                      and task_obj.name in adapter_calibrated_tasks(adapter))
    start = time.perf_counter()
    if calibrated:
        answers = calibrated_answers(predictor, task_obj, examples, adapter=use_adapter,
                                     chat=chat)
    else:
        answers = [out.answer for out in predictor.predict(task_obj, examples, **kwargs)]
    seconds = time.perf_counter() - start
    targets = [ex.target for ex in examples]
    metrics = task_obj.score(answers, examples)
    distribution = baseline = None
    if task_obj.kind == "classification":
        labels = tuple(task_obj.labels)
        metrics = {**metrics, "mcc": mcc(answers, targets)}
        distribution = class_distribution(targets, labels)
        baseline = majority_baseline(targets, labels)
    failures = sum(answer is None for answer in answers)
    answered = answer_kinds(task_obj.answer_space(ex) for ex in examples)
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
        targets=targets,
        data=str(data) if data is not None else None,
        distribution=distribution,
        baseline=baseline,
        calibrated=calibrated,
        answered=answered,
    )
