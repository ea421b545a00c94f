"""Numbers that put a classifier's accuracy in context: Matthews correlation (MCC), the class
distribution of the evaluated set, and the majority-class baseline on it."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from finlora.tasks.metrics import UNPARSED, classification_report


def mcc(predictions: Sequence[str | None], targets: Sequence[str]) -> float:
    """Multi-class Matthews correlation (Gorodkin's R_K, as scikit-learn computes it):

        (c·s − Σ_k p_k·t_k) / sqrt((s² − Σ_k p_k²) · (s² − Σ_k t_k²))

    with s examples, c correct, t_k the gold count and p_k the predicted count of class k. An
    unparsed prediction (None) is a class of its own that is never gold. 0 when undefined
    (a constant prediction or a single gold class)."""
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions for {len(targets)} targets")
    preds = [p if p is not None else UNPARSED for p in predictions]
    s = len(targets)
    c = sum(p == t for p, t in zip(preds, targets, strict=True))
    gold, predicted = Counter(targets), Counter(preds)
    classes = set(gold) | set(predicted)
    cov = c * s - sum(predicted[k] * gold[k] for k in classes)
    denominator = ((s * s - sum(v * v for v in predicted.values()))
                   * (s * s - sum(v * v for v in gold.values())))
    return cov / math.sqrt(denominator) if denominator > 0 else 0.0


def class_distribution(targets: Sequence[str], labels: Sequence[str] = ()) -> dict[str, int]:
    """Gold count per class: the task's labels first (0 when absent), then any others."""
    counts = Counter(targets)
    ordered = list(labels) + sorted(set(counts) - set(labels))
    return {label: counts[label] for label in ordered}


def majority_baseline(targets: Sequence[str], labels: Sequence[str] = ()) -> dict[str, Any]:
    """Always answering the most frequent gold class of the evaluated set (ties: the first in
    the task's label order): its label, accuracy, weighted / macro F1 and MCC (always 0)."""
    if not targets:
        raise ValueError("no targets")
    distribution = class_distribution(targets, labels)
    label = max(distribution, key=lambda k: distribution[k])  # first of the largest
    report = classification_report([label] * len(targets), targets, list(labels) or None)
    return {"label": label, "accuracy": report["accuracy"],
            "f1_weighted": report["f1_weighted"], "f1_macro": report["f1_macro"],
            "mcc": mcc([label] * len(targets), targets)}
