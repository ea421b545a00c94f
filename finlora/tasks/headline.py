"""Headline classification: yes/no questions about gold-news headlines (FinLoRA's Headline)."""

from __future__ import annotations

from pathlib import Path

from finlora.errors import DataError
from finlora.tasks.base import Example, Split
from finlora.tasks.classification import LabelTask
from finlora.tasks.datafiles import load_split


class Headline(LabelTask):
    """Yes/No answers. FinLoRA's headline files were not available to bundle: pass `data`, a
    FinLoRA-format JSONL file or a Hugging Face dataset (folder or cached id)."""

    name = "headline"
    labels = ("Yes", "No")

    def __init__(self, data: str | Path | None = None) -> None:
        self.data = data

    @staticmethod
    def prompt_for(headline: str, question: str) -> str:
        return (f"Instruction: {question} Please choose an answer from {{Yes/No}}.\n"
                f"Input: {headline}\nAnswer: ")

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        if self.data is None:
            raise DataError("headline: no data bundled (FinLoRA's headline files were not "
                            "available); use Headline(data='headline.jsonl') or a HF dataset")
        examples = load_split(self.data, split)
        return examples[:limit] if limit is not None else examples
