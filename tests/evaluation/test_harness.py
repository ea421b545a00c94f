"""The evaluation harness on a tiny fixed set with hand-checked scores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from finlora import tasks
from finlora.evaluation import evaluate, expand_task_names, write_results
from finlora.tasks import Example


class ScriptedPredictor:
    """Answers with fixed texts, so the harness's own arithmetic can be checked by hand."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = list(texts)

    def predict(self, task, examples, **_):
        from types import SimpleNamespace

        return [SimpleNamespace(text=t, answer=task.parse_answer(t, ex))
                for t, ex in zip(self.texts, examples, strict=True)]


class FixedTask(tasks.Sentiment):
    def __init__(self, examples: list[Example]) -> None:
        super().__init__("fpb")
        self.fixed = examples

    def load(self, split="test", limit=None):
        return self.fixed[:limit] if limit else self.fixed


def five_examples() -> list[Example]:
    return [Example(p.prompt, t) for p, t in zip(
        tasks.get("fpb").load("test", limit=5),
        ["positive", "positive", "negative", "neutral", "neutral"], strict=True)]


def test_hand_checked_scores(tmp_path: Path) -> None:
    task = FixedTask(five_examples())
    outputs = ["Positive", "negative.", "the answer is negative", "neutral", "I cannot say"]
    result = evaluate(task, predictor=ScriptedPredictor(outputs))
    assert result.n == 5
    assert result.metrics["accuracy"] == pytest.approx(3 / 5)
    assert result.metrics["f1_macro"] == pytest.approx(2 / 3)
    assert result.parse_failure_rate == pytest.approx(1 / 5)
    assert result.predictions == ["positive", "negative", "negative", "neutral", None]

    tuned = evaluate(task, predictor=ScriptedPredictor(["positive", "positive", "negative",
                                                       "neutral", "neutral"]))
    out = write_results(tmp_path / "results", [result], [tuned])
    table = (out / "results.md").read_text()
    assert "| fpb | 5 | 60.00 | 100.00 |" in table and "68.73 / 85.64" in table
    payload = json.loads((out / "results.json").read_text())
    assert payload["finetuned"][0]["metrics"]["accuracy"] == 1.0
    assert (out / "confusion_fpb_base.png").stat().st_size > 1000
    assert (out / "accuracy.png").stat().st_size > 1000
    lines = (out / "predictions_fpb_base.jsonl").read_text().splitlines()
    assert json.loads(lines[4]) == {"prediction": None, "target": "neutral"}


def test_suites_expand() -> None:
    assert expand_task_names(["sentiment", "fpb", "ner"]) == ["fpb", "fiqa", "tfns", "nwgi",
                                                             "ner"]


def test_results_say_how_examples_were_answered() -> None:
    """FinLoRA's xbrl_value lines are FinLoRA-shaped, so grounded; the same task with
    `grounded=False` generates freely; sentiment is label scoring. Counted per result."""
    result = evaluate(FixedTask(five_examples()), predictor=ScriptedPredictor(["neutral"] * 5))
    assert result.answered == {"labels": 5}
    for grounded, kind in ((True, "grounded"), (False, "free text")):
        task = tasks.get("xbrl_value", grounded=grounded)
        result = evaluate(task, predictor=ScriptedPredictor(["0", "0"]), limit=2)
        assert result.answered == {kind: 2}
