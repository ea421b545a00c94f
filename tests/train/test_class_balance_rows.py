"""Rebalanced passes a user's FinLoRA rows through its task's fixes (TFNS labels swapped back)."""

from __future__ import annotations

from finlora import tasks
from finlora.tasks.base import Example
from finlora.train.class_balance import Rebalanced


def test_rebalanced_tfns_swaps_finlora_labels_back() -> None:
    # FinLoRA's TFNS conversion labels a bullish tweet "neutral" and a neutral one "positive"
    # (docs/tasks.md); the wrapped task must undo that for a user's file as the bare task does
    rows = [Example("tweet A", "neutral"), Example("tweet B", "positive"),
            Example("tweet C", "negative")]
    fixed = Rebalanced(tasks.get("tfns"), power=0.5).from_finlora_rows(rows)
    assert [ex.target for ex in fixed] == ["positive", "neutral", "negative"]
