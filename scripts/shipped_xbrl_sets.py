"""The XBRL question sets of scripts/train_shipped_adapters.py: finlora's own questions and
FinLoRA-shaped tag questions, built from the bundled example filings."""

from __future__ import annotations

from pathlib import Path

from finlora.tasks import Example, XBRLExtraction
from finlora.tasks.finlora_xbrl_questions import tag_questions
from finlora.xbrl import load_filing

FILINGS = Path(__file__).resolve().parents[1] / "examples" / "filings"
TRAIN_FILINGS = ["amazon-10k-2022-12-31", "microsoft-10k-2015-06-30", "netflix-10k-2023-12-31",
                 "globalarena-10q-2024-09-30"]
HELD_OUT_FILINGS = ["tesla-10q-2024-06-30", "apple-10q-2025-03-29"]


class FilingQuestions(XBRLExtraction):
    """XBRL extraction questions built from a fixed list of filings (all of them, any split)."""

    def __init__(self, folders: list[str], name: str) -> None:
        super().__init__("xbrl_tags")
        self.name = name
        self.examples = [ex for folder in folders
                         for ex in XBRLExtraction.from_filing(load_filing(FILINGS / folder))]

    def load(self, split="test", limit=None) -> list[Example]:  # noqa: ARG002 - one set
        return self.examples[:limit] if limit else self.examples


class FinLoRAStyleQuestions(XBRLExtraction):
    """FinLoRA-shaped tag questions (`finlora_xbrl_questions.tag_questions`) over filings."""

    def __init__(self, folders: list[str], name: str, per_label: int = 3) -> None:
        super().__init__("xbrl_tags")
        self.name = name
        self.examples = [ex for seed, folder in enumerate(folders)
                         for ex in tag_questions(load_filing(FILINGS / folder),
                                                 per_label=per_label, seed=seed)]

    def load(self, split="test", limit=None) -> list[Example]:  # noqa: ARG002 - one set
        return self.examples[:limit] if limit else self.examples


def missing_filings(folders: list[str]) -> list[str]:
    """The folders of `folders` that are absent under examples/filings or empty."""
    return [f for f in folders if not (FILINGS / f).is_dir() or not any((FILINGS / f).iterdir())]


def check_filings(folders: list[str], need: bool) -> bool:
    """True when every filing of `folders` is there. Otherwise: SystemExit naming them when
    `need` (training needs them), else a warning and False (their question sets are skipped)."""
    missing = missing_filings(folders)
    if not missing:
        return True
    message = (f"{FILINGS}: filing folders missing or empty: {', '.join(missing)} "
               "(copy examples/filings along with the scripts)")
    if need:
        raise SystemExit(f"error: {message}")
    print(f"warning: {message}; their question sets are skipped", flush=True)
    return False
