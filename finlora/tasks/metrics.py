"""Metrics: accuracy, weighted / macro F1, per-class report and confusion-matrix data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

UNPARSED = "<unparsed>"


def classification_report(predictions: Sequence[str | None], targets: Sequence[str],
                          labels: Sequence[str] | None = None) -> dict[str, Any]:
    """Scores of predicted labels against gold labels. None (unparseable) counts as wrong and
    appears as `<unparsed>` in the confusion matrix."""
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions for {len(targets)} targets")
    preds = [p if p is not None else UNPARSED for p in predictions]
    classes = list(labels) if labels is not None else sorted(set(targets))
    extra = sorted({p for p in preds if p not in classes} - {UNPARSED})
    columns = classes + extra + ([UNPARSED] if UNPARSED in preds else [])
    n = len(targets)
    correct = sum(p == t for p, t in zip(preds, targets, strict=True))
    support = Counter(targets)
    predicted = Counter(preds)
    per_class: dict[str, dict[str, float]] = {}
    for label in classes + extra:
        tp = sum(p == t == label for p, t in zip(preds, targets, strict=True))
        precision = tp / predicted[label] if predicted[label] else 0.0
        recall = tp / support[label] if support[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": support[label]}
    present = [c for c in classes + extra if support[c]]
    macro = sum(per_class[c]["f1"] for c in present) / len(present) if present else 0.0
    weighted = sum(per_class[c]["f1"] * support[c] for c in present) / n if n else 0.0
    index = {label: i for i, label in enumerate(columns)}
    matrix = [[0] * len(columns) for _ in classes + extra]
    rows = {label: i for i, label in enumerate(classes + extra)}
    for p, t in zip(preds, targets, strict=True):
        if t in rows:
            matrix[rows[t]][index[p]] += 1
    return {
        "n": n,
        "accuracy": correct / n if n else 0.0,
        "f1_weighted": weighted,
        "f1_macro": macro,
        "per_class": per_class,
        "confusion": {"labels": classes + extra, "columns": columns, "matrix": matrix},
        "parse_failures": predicted[UNPARSED],
    }
