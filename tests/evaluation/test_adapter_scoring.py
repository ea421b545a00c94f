"""The per-task label scoring chosen on dev (plain or calibrated) is recorded in the adapter's
metadata and applied by `finlora eval --adapter shipped`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from finlora import tasks
from finlora.errors import DataError
from finlora.evaluation.adapter_scoring import adapter_calibrated_tasks

ROOT = Path(__file__).resolve().parents[2]
SENTIMENT = ROOT / "finlora" / "adapters" / "sentiment"
DEV_CHOICE = ROOT / "docs" / "results" / "cpu-2026-12-02c" / "calibration.json"
# FiQA test examples (indices into tasks.get("fiqa").load("test")) whose answers differ between
# plain and calibrated scoring with the shipped sentiment adapter, and both answers as
# scripts/calibration_dev_select.py measured them on CPU (docs/results/cpu-2026-12-02c/)
FIQA_ROWS = [(0, "neutral", "negative"), (5, "neutral", "positive"), (11, "neutral", "negative"),
             (14, "neutral", "positive")]


def test_metadata_key_is_read_and_checked(tmp_path: Path) -> None:
    assert adapter_calibrated_tasks(tmp_path) == frozenset()  # no metadata: plain everywhere
    meta = tmp_path / "finlora_metadata.json"
    meta.write_text(json.dumps({"tasks": ["fpb", "fiqa"]}))
    assert adapter_calibrated_tasks(tmp_path) == frozenset()
    meta.write_text(json.dumps({"calibrated_tasks": ["fiqa"]}))
    assert adapter_calibrated_tasks(tmp_path) == {"fiqa"}
    meta.write_text(json.dumps({"calibrated_tasks": "fiqa"}))
    with pytest.raises(DataError, match="calibrated_tasks must be a list"):
        adapter_calibrated_tasks(tmp_path)


def test_shipped_sentiment_adapter_records_the_dev_choice() -> None:
    chosen = json.loads(DEV_CHOICE.read_text())["tasks"]
    calibrated = sorted(name for name, row in chosen.items() if row["choice"] == "calibrated")
    meta = json.loads((SENTIMENT / "finlora_metadata.json").read_text())
    assert sorted(meta.get("calibrated_tasks", [])) == calibrated


@pytest.mark.slow
def test_eval_shipped_applies_calibrated_scoring_to_fiqa(tmp_path: Path) -> None:
    fiqa = tasks.get("fiqa")
    test = fiqa.load("test")
    data = tmp_path / "fiqa.jsonl"
    data.write_text("".join(json.dumps({"context": test[i].prompt, "target": test[i].target})
                            + "\n" for i, _, _ in FIQA_ROWS))
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "finlora", "eval", "--task", "fiqa", "--data",
                    str(data), "--adapter", "shipped", "--no-base", "-o", str(out)],
                   check=True, capture_output=True, cwd=ROOT, timeout=600)
    result = json.loads((out / "results.json").read_text())["finetuned"][0]
    assert result["calibrated"] is True
    lines = (out / "predictions_fiqa_finetuned.jsonl").read_text().splitlines()
    predictions = [json.loads(line)["prediction"] for line in lines]
    assert predictions == [calibrated for _, _, calibrated in FIQA_ROWS]
    assert predictions != [plain for _, plain, _ in FIQA_ROWS]  # the scorings do differ here
