"""`evaluate(task, data=...)` and `finlora eval --data FILE`: scoring a FinLoRA-format file the
project has never seen (ten news sentences written for this test, labelled by hand)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from finlora.errors import DataError
from finlora.evaluation import evaluate, write_results
from finlora.tasks.sentiment import THREE, sentiment_prompt
from tests.evaluation.test_harness import ScriptedPredictor

SENTENCES = [  # (sentence, gold label, what the scripted model answers)
    ("Quarterly losses widened as the retailer closed forty stores.", "negative", "negative"),
    ("The lender cut its dividend after provisions tripled.", "negative", "negative"),
    ("Shares slid 12% when the drug trial was halted.", "negative", "negative"),
    ("The airline warned that fuel costs will erase its profit.", "negative", "neutral"),
    ("The company will publish its annual report on 14 March.", "neutral", "neutral"),
    ("The board meets in Helsinki next week.", "neutral", "positive"),
    ("Net sales rose 18% and the margin reached a record.", "positive", "negative"),
    ("The brewer raised its full-year outlook.", "positive", "positive"),
    ("Orders doubled after the new plant opened.", "positive", "positive"),
    ("The bank beat analysts' profit estimates by a wide margin.", "positive", "positive"),
]


def write_data(path: Path, rows=SENTENCES) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for sentence, label, _ in rows:
            context = sentiment_prompt(sentence, THREE, "news")
            handle.write(json.dumps({"context": context, "target": label}) + "\n")
    return path


def test_evaluate_scores_a_user_file_with_baseline_and_mcc(tmp_path: Path) -> None:
    data = write_data(tmp_path / "my.jsonl")
    answers = ScriptedPredictor([answer for _, _, answer in SENTENCES])
    result = evaluate("fpb", data=data, predictor=answers)
    # the confusion matrix is tests/evaluation/test_stats.py's CONFUSION, worked out by hand
    assert result.n == 10 and result.data == str(data)
    assert result.metrics["accuracy"] == pytest.approx(0.7)
    assert result.metrics["f1_weighted"] == pytest.approx(0.7)
    assert result.metrics["f1_macro"] == pytest.approx(2 / 3)
    assert result.metrics["mcc"] == pytest.approx(34 / 64)
    assert result.distribution == {"negative": 4, "neutral": 2, "positive": 4}
    assert result.baseline["label"] == "negative"
    assert result.baseline["accuracy"] == pytest.approx(0.4)

    out = write_results(tmp_path / "results", [result], [result])
    summary = json.loads((out / "results.json").read_text())["tasks"]["fpb"]
    assert summary["n"] == 10 and summary["distribution"]["neutral"] == 2
    assert summary["majority_baseline"]["accuracy"] == pytest.approx(0.4)
    assert summary["base"]["mcc"] == pytest.approx(34 / 64)
    assert summary["finetuned"]["parse_failures"] == 0
    table = (out / "results.md").read_text()
    assert "| majority class (`negative`) | 40.00 | 22.86 | 19.05 | 0.000 | – |" in table
    assert "| base | 70.00 | 70.00 | 66.67 | 0.531 | 0 (0.0%) |" in table
    assert "negative 4 (40.0%), neutral 2 (20.0%), positive 4 (40.0%)" in table


def test_a_target_outside_the_tasks_labels_is_refused(tmp_path: Path) -> None:
    rows = [*SENTENCES[:2], ("Guidance was left unchanged.", "bullish", "neutral")]
    with pytest.raises(DataError, match=r"my\.jsonl: row 3: target 'bullish' is not a fpb"):
        evaluate("fpb", data=write_data(tmp_path / "my.jsonl", rows),
                 predictor=ScriptedPredictor(["neutral"] * 3))


def test_labels_are_matched_whatever_their_case(tmp_path: Path) -> None:
    rows = [(s, label.upper(), a) for s, label, a in SENTENCES[:3]]
    result = evaluate("fpb", data=write_data(tmp_path / "my.jsonl", rows),
                      predictor=ScriptedPredictor(["negative"] * 3))
    assert result.targets == ["negative"] * 3 and result.metrics["accuracy"] == 1.0


def finlora(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finlora", *args], capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=900)


def test_cli_data_needs_one_task_and_good_rows(tmp_path: Path) -> None:
    data = write_data(tmp_path / "my.jsonl")
    two = finlora("eval", "--task", "fpb,fiqa", "--data", str(data))
    assert two.returncode == 2 and "--data scores one task" in two.stderr
    bad = write_data(tmp_path / "bad.jsonl", [("Sales fell.", "down", "negative")])
    result = finlora("eval", "--task", "fpb", "--data", str(bad), "-o", str(tmp_path / "r"))
    assert result.returncode == 3 and "row 1: target 'down'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_cli_scores_a_new_file_with_the_shipped_adapter(tmp_path: Path) -> None:
    data = write_data(tmp_path / "my.jsonl")
    out = tmp_path / "results"
    result = finlora("eval", "--task", "fpb", "--data", str(data), "--adapter", "shipped",
                     "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "| majority class (`negative`) | 40.00 |" in result.stdout
    summary = json.loads((out / "results.json").read_text())["tasks"]["fpb"]
    assert summary["data"] == str(data) and summary["n"] == 10
    assert Path(summary["finetuned"]["adapter"]).name == "sentiment"
    for variant in ("base", "finetuned"):
        assert 0 <= summary[variant]["accuracy"] <= 1
        assert -1 <= summary[variant]["mcc"] <= 1
