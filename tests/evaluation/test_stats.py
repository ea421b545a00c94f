"""MCC, class distribution and the majority baseline against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from finlora.evaluation import class_distribution, majority_baseline, mcc
from finlora.tasks.metrics import classification_report

LABELS = ("negative", "neutral", "positive")


def from_confusion(matrix: list[list[int]], labels=LABELS) -> tuple[list[str], list[str]]:
    """(predictions, targets) with matrix[gold][predicted] examples of each pair."""
    preds, gold = [], []
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            preds += [labels[j]] * count
            gold += [labels[i]] * count
    return preds, gold


# gold \ predicted   neg neu pos
CONFUSION = [[3, 1, 0],   # negative: 4
             [0, 1, 1],   # neutral:  2
             [1, 0, 3]]   # positive: 4


def test_three_class_metrics_by_hand() -> None:
    preds, gold = from_confusion(CONFUSION)
    # s = 10 examples, c = 7 correct; gold counts t = (4, 2, 4), predicted counts p = (4, 2, 4)
    # MCC = (c*s - sum p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2))
    #     = (70 - 36) / sqrt((100 - 36)(100 - 36)) = 34 / 64
    assert mcc(preds, gold) == pytest.approx(34 / 64)
    report = classification_report(preds, gold, LABELS)
    # per-class F1: negative 3/4 (P 3/4, R 3/4), neutral 1/2, positive 3/4
    assert report["f1_macro"] == pytest.approx((0.75 + 0.5 + 0.75) / 3)
    assert report["f1_weighted"] == pytest.approx((0.75 * 4 + 0.5 * 2 + 0.75 * 4) / 10)
    assert report["f1_weighted"] != pytest.approx(report["f1_macro"])  # 0.70 vs 0.667
    assert class_distribution(gold, LABELS) == {"negative": 4, "neutral": 2, "positive": 4}


def test_binary_mcc_is_the_classic_formula() -> None:
    tp, fn, tn, fp = 4, 1, 3, 2
    preds, gold = from_confusion([[tn, fp], [fn, tp]], ("no", "yes"))
    classic = (tp * tn - fp * fn) / math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    assert classic == pytest.approx(10 / math.sqrt(600))
    assert mcc(preds, gold) == pytest.approx(classic)


def test_unparsed_answer_is_its_own_wrong_class() -> None:
    # gold a a b b, predicted a ? b b: s=4, c=3, t=(a 2, b 2), p=(a 1, ? 1, b 2)
    # (3*4 - (1*2 + 2*2)) / sqrt((16 - (1 + 1 + 4)) * (16 - (4 + 4))) = 6 / sqrt(80)
    assert mcc(["a", None, "b", "b"], ["a", "a", "b", "b"]) == pytest.approx(6 / math.sqrt(80))


def test_undefined_mcc_is_zero() -> None:
    assert mcc(["a", "a", "a"], ["a", "b", "b"]) == 0.0  # constant prediction
    assert mcc(["a", "b"], ["a", "a"]) == 0.0  # one gold class


def test_majority_baseline_by_hand() -> None:
    _, gold = from_confusion(CONFUSION)
    baseline = majority_baseline(gold, LABELS)
    # negative and positive tie at 4 of 10: the first in label order wins
    assert baseline["label"] == "negative"
    assert baseline["accuracy"] == pytest.approx(0.4)
    f1_negative = 2 * 0.4 * 1.0 / (0.4 + 1.0)  # precision 4/10, recall 4/4
    assert baseline["f1_weighted"] == pytest.approx(f1_negative * 4 / 10)
    assert baseline["f1_macro"] == pytest.approx(f1_negative / 3)
    assert baseline["mcc"] == 0.0
