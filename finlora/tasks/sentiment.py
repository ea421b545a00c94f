"""Financial sentiment: FPB, FiQA-SA, TFNS (3 classes) and NWGI (7 classes)."""

from __future__ import annotations

from dataclasses import dataclass

from finlora.errors import DataError
from finlora.tasks.base import Example, Split, input_text
from finlora.tasks.classification import LabelTask
from finlora.tasks.datafiles import (
    bundled,
    examples_from_rows,
    read_csv,
    read_jsonl,
    split_deduplicated,
)
from finlora.tasks.dedup import groups

THREE = ("negative", "neutral", "positive")
SEVEN = ("strong negative", "moderately negative", "mildly negative", "neutral",
         "mildly positive", "moderately positive", "strong positive")


@dataclass(frozen=True)
class Variant:
    file: str
    labels: tuple[str, ...]
    source: str  # "news" or "tweet", as FinLoRA's prompt says (FiQA mixes both)


VARIANTS = {
    "fpb": Variant("fpb_test.jsonl.gz", THREE, "news"),
    "fiqa": Variant("fiqa_test.jsonl.gz", THREE, "tweet"),
    "tfns": Variant("tfns_test.jsonl.gz", THREE, "tweet"),
    "nwgi": Variant("nwgi_test.jsonl.gz", SEVEN, "news"),
}
# FinLoRA's TFNS conversion maps the dataset's ids {0, 1, 2} to negative / neutral / positive,
# but the dataset card defines LABEL_1 = Bullish, LABEL_2 = Neutral: positive and neutral are
# swapped in the bundled file (checked against the texts; see docs/tasks.md). Fixed on load.
TFNS_FIX = {"positive": "neutral", "neutral": "positive"}


def sentiment_prompt(text: str, labels: tuple[str, ...], source: str) -> str:
    """FinLoRA's sentiment prompt, byte for byte."""
    return (f"Instruction: What is the sentiment of this {source}? Please choose an answer from "
            f"{{{'/'.join(labels)}}}.\nInput: {text}\nAnswer: ")


class Sentiment(LabelTask):
    """Sentiment of a financial news sentence or tweet.

    Splits: FPB's test split is FinLoRA's `fpb_test` (so numbers compare with the paper); its
    train / dev splits are the rest of Financial PhraseBank (50% agreement), minus every test
    sentence and every near duplicate of one. FiQA, TFNS and NWGI are deduplicated (texts equal
    once normalized, URLs stripped) and split 70/10/20 by a hash of the input text, near
    duplicates together (`finlora.tasks.dedup`).
    """

    def __init__(self, variant: str = "fpb", fix_tfns_labels: bool = True) -> None:
        if variant not in VARIANTS:
            raise DataError(f"unknown sentiment variant {variant!r}: {sorted(VARIANTS)}")
        self.name = variant
        self.variant = VARIANTS[variant]
        self.labels = self.variant.labels
        self.fix_tfns_labels = fix_tfns_labels

    def prompt_for(self, text: str, source: str | None = None) -> str:
        """FinLoRA's prompt for `text`; `source` is "news" or "tweet" (FiQA has both: its
        headlines say news, its microblog posts tweet)."""
        return sentiment_prompt(text, self.labels, source or self.variant.source)

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        rows = self.from_finlora_rows(
            examples_from_rows(read_jsonl(bundled(self.variant.file)), self.variant.file))
        if self.name == "fpb":
            examples = rows if split == "test" else self._phrasebank(split, rows)
        else:
            key = (self.name, self.fix_tfns_labels)
            if key not in _SPLITS:
                _SPLITS[key] = split_deduplicated(rows, lambda ex: input_text(ex.prompt))
            examples = list(_SPLITS[key][split])
        return examples[:limit] if limit is not None else examples

    def from_finlora_rows(self, examples: list[Example]) -> list[Example]:
        """TFNS lines in FinLoRA's conversion have positive and neutral swapped: swapped back
        (unless `fix_tfns_labels=False`), for the bundled file and for a user's FinLoRA file."""
        if self.name != "tfns" or not self.fix_tfns_labels:
            return examples
        return [Example(ex.prompt, TFNS_FIX.get(ex.target, ex.target), ex.meta)
                for ex in examples]

    def _phrasebank(self, split: Split, test: list[Example]) -> list[Example]:
        """Financial PhraseBank sentences that are neither in the FPB test split nor near
        duplicates of a test sentence, deduplicated, split 90/10 train/dev (near duplicates
        together)."""
        if "fpb" not in _SPLITS:
            test_keys = {_key(input_text(ex.prompt)) for ex in test}
            rows = [row for row in read_csv(bundled("fpb_50agree_minus_holdout.csv.gz"))
                    if _key(row["sentence"]) not in test_keys
                    and row["in_finlora_fpb_test"] != "yes"]
            tests = [input_text(ex.prompt) for ex in test]
            owner = groups(tests + [row["sentence"] for row in rows])
            rows = [row for i, row in enumerate(rows) if owner[len(tests) + i] >= len(tests)]
            candidates = [Example(self.prompt_for(row["sentence"]), row["label"])
                          for row in rows]
            _SPLITS["fpb"] = split_deduplicated(candidates, lambda ex: input_text(ex.prompt),
                                                (0.9, 0.1))
        return list(_SPLITS["fpb"][split])


# deduplicated splits per (variant, label fix), computed once per process
_SPLITS: dict[object, dict[str, list[Example]]] = {}


def _key(text: str) -> str:
    """ASCII letters and digits only: the Phrasebank CSV has mojibake where FinLoRA's file has
    accented letters ("Sepp+\ufffdl+\ufffd" vs "Seppälä"), and both reduce to "seppl"."""
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())
