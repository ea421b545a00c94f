"""A user's FinLoRA-format file gets the same corrections as the bundled one (`finlora eval
--task tfns --data FILE`): FinLoRA's TFNS conversion swapped positive and neutral."""

from __future__ import annotations

import json
from pathlib import Path

from finlora.evaluation.harness import load_examples
from finlora.tasks import get

PROMPT = ("Instruction: What is the sentiment of this tweet? Please choose an answer from "
          "{negative/neutral/positive}.\nInput: {text}\nAnswer: ")
# Written by hand, FinLoRA-style: the bullish tweet carries FinLoRA's (swapped) label
# "neutral", the flat one "positive"; negative is not affected by the swap.
LINES = [("$XYZ beats estimates, raises full-year guidance", "neutral"),
         ("$XYZ to present at a conference on Tuesday", "positive"),
         ("$XYZ cuts outlook, shares slide", "negative")]


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "tfns_user.jsonl"
    path.write_text("".join(json.dumps({"context": PROMPT.replace("{text}", text),
                                        "target": target}) + "\n" for text, target in LINES))
    return path


def test_tfns_user_file_is_relabelled_like_the_bundled_one(tmp_path: Path) -> None:
    examples = load_examples(get("tfns"), _file(tmp_path))
    assert [ex.target for ex in examples] == ["positive", "neutral", "negative"]


def test_the_fix_can_be_turned_off_and_other_tasks_are_untouched(tmp_path: Path) -> None:
    raw = load_examples(get("tfns", fix_tfns_labels=False), _file(tmp_path))
    assert [ex.target for ex in raw] == ["neutral", "positive", "negative"]
    fiqa = load_examples(get("fiqa"), _file(tmp_path))
    assert [ex.target for ex in fiqa] == ["neutral", "positive", "negative"]
