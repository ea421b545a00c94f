"""Helpers of scripts/train_shipped_adapters.py: dev scoring for model selection, the majority
baseline, MCC, and packing adapters (bf16 safetensors) into tars small enough to bring back."""

from __future__ import annotations

import math
import tarfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from finlora.tasks import Task
from finlora.train.data import first_fit


def mcc(predictions: Sequence[str | None], targets: Sequence[str]) -> float:
    """Matthews correlation coefficient, multi-class (Gorodkin's R_K); None counts as wrong."""
    preds = [p if p is not None else "<none>" for p in predictions]
    n = len(targets)
    if n == 0:
        return 0.0
    correct = sum(p == t for p, t in zip(preds, targets, strict=True))
    true, pred = Counter(targets), Counter(preds)
    classes = set(true) | set(pred)
    cov_tp = correct * n - sum(true[k] * pred[k] for k in classes)
    cov_pp = n * n - sum(pred[k] ** 2 for k in classes)
    cov_tt = n * n - sum(true[k] ** 2 for k in classes)
    denominator = math.sqrt(cov_pp * cov_tt)
    return cov_tp / denominator if denominator else 0.0


def flat_answers(task: Task, answers: Sequence[str | None], examples: Sequence[Any]
                 ) -> tuple[list[str | None], list[str]]:
    """Per-label predictions and targets (tag lists split per numeral; others as they are)."""
    if task.kind != "tagging":
        return list(answers), [ex.target for ex in examples]
    preds: list[str | None] = []
    gold: list[str] = []
    for answer, example in zip(answers, examples, strict=True):
        tags = [t.strip() for t in example.target.split(",")]
        guess = (answer or "").split(",")
        preds += [g or None for g in guess[:len(tags)]] + [None] * (len(tags) - len(guess))
        gold += tags
    return preds, gold


def majority_baseline(task: Task, test: Sequence[Any]) -> dict[str, Any] | None:
    """Always answering the train split's most frequent label: accuracy, macro F1, MCC on
    `test` (None for tasks without a train split or without labels)."""
    from finlora.tasks.metrics import classification_report

    if task.kind == "extraction":
        return None
    try:
        train = task.load("train")
    except Exception:  # noqa: BLE001 - test-only data sets have no train split
        return None
    labels = flat_answers(task, [ex.target for ex in train], train)[1]
    if not labels:
        return None
    majority = Counter(labels).most_common(1)[0][0]
    gold = flat_answers(task, [ex.target for ex in test], test)[1]
    report = classification_report([majority] * len(gold), gold)
    return {"label": majority, "accuracy": report["accuracy"], "f1_macro": report["f1_macro"],
            "mcc": mcc([majority] * len(gold), gold), "n": len(gold)}


def class_distribution(task: Task, examples: Sequence[Any]) -> dict[str, int]:
    gold = flat_answers(task, [ex.target for ex in examples], examples)[1]
    return dict(Counter(gold).most_common(30 if task.kind == "tagging" else None))


def dev_scorer(task_list: Sequence[Task], tokenizer: Any, batch_size: int, limit: int | None):
    """model → the mean over `task_list` of dev accuracy (label scoring with the model as it
    is mid-training; each call's per-task values appended to `score.per_task`). Used by
    `BestOnDev`: selection on dev, never on test."""
    from finlora.infer import Predictor

    dev = [(task, task.load("dev", limit)) for task in task_list]
    dev = [(task, examples) for task, examples in dev if examples]

    def score(model: Any) -> float:
        predictor = Predictor(model=model, tokenizer=tokenizer, batch_size=batch_size)
        values = {}
        for task, examples in dev:
            answers = [p.answer for p in predictor.predict(task, examples)]
            values[task.name] = task.score(answers, examples)["accuracy"]
        score.per_task.append(values)  # type: ignore[attr-defined]
        return sum(values.values()) / len(values) if values else 0.0

    score.per_task = []  # type: ignore[attr-defined]  # per epoch: {task: dev accuracy}
    return score


def to_bf16(adapter_dir: Path) -> None:
    """Rewrite the adapter's safetensors weights in bf16 (half the size; PEFT casts on load)."""
    import torch
    from safetensors.torch import load_file, save_file

    path = adapter_dir / "adapter_model.safetensors"
    weights = load_file(str(path))
    save_file({k: v.to(torch.bfloat16) if v.is_floating_point() else v
               for k, v in weights.items()}, str(path), metadata={"format": "pt"})


def pack(adapter_dirs: Sequence[Path], out: Path, prefix: str, limit: int = 15 * 2**20
         ) -> list[Path]:
    """Tar adapter folders (checkpoints and merged weights left out) into as few
    `prefix-N.tar` files under `out` as keep each below `limit` bytes."""
    def size(folder: Path) -> int:
        return sum(f.stat().st_size for f in _files(folder))

    groups = first_fit(adapter_dirs, lambda folder: size(folder) + 64 * 1024, limit)
    tars = []
    for i, group in enumerate(groups):
        path = out / f"{prefix}-{i}.tar"
        with tarfile.open(path, "w") as tar:
            for folder in group:
                for file in _files(folder):
                    tar.add(file, arcname=f"{folder.name}/{file.relative_to(folder)}")
        tars.append(path)
    return tars


def _files(folder: Path) -> list[Path]:
    return [f for f in sorted(folder.rglob("*")) if f.is_file()
            and not any(part in ("merged", "checkpoints") for part in f.relative_to(folder).parts)]
