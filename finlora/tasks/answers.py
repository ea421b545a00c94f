"""What an answer can be: each task declares its answer space per example, and the predictor
decodes accordingly — it never probes a task for attributes.

- `Labels`: one label of a fixed list, chosen by label scoring (sentiment, NER, a concept).
- `LabelLists`: one label per slot (`tag1,tag2,...`), chosen slot by slot (FiNER, FNXL).
- `Grounded`: one or more label choices, each over its own prompt, turned into the answer by
  the task (a concept chosen by the model, its value read from the prompt's facts).
- `FreeText`: greedy generation, then the task's `parse_answer` normalizes the text.

This module imports no torch.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

Normalization = Literal["mean", "sum"]


@dataclass(frozen=True)
class Labels:
    """One of `labels`. `normalization`: per-token mean log-likelihood (short words) or the
    whole probability (`"sum"`: long identifiers whose tails the model copies)."""

    labels: tuple[str, ...]
    normalization: Normalization = "mean"


@dataclass(frozen=True)
class LabelLists:
    """One label per slot, joined by `separator`; slot `i`'s label is one of `slots[i]`."""

    slots: tuple[tuple[str, ...], ...]
    separator: str = ","
    normalization: Normalization = "sum"

    @classmethod
    def same(cls, labels: tuple[str, ...], n: int, separator: str = ",") -> LabelLists:
        """`n` slots that all allow `labels`."""
        return cls((labels,) * n, separator)


@dataclass(frozen=True)
class Choice:
    """One label-scoring question: which of `labels` follows `prompt` (a raw prompt text)."""

    prompt: str
    labels: tuple[str, ...]
    normalization: Normalization = "sum"


@dataclass(frozen=True)
class Grounded:
    """Label choices whose answers `answer` turns into the answer text (e.g. the chosen
    concepts' values substituted into a formula); None from `answer` = no answer."""

    choices: tuple[Choice, ...]
    answer: Callable[[tuple[str, ...]], str | None]


@dataclass(frozen=True)
class FreeText:
    """Generated text, at most `max_new_tokens`, normalized by the task's `parse_answer`."""

    max_new_tokens: int = 16


AnswerSpace = Labels | LabelLists | Grounded | FreeText

KINDS: dict[type, str] = {Labels: "labels", LabelLists: "label lists", Grounded: "grounded",
                          FreeText: "free text"}  # how results and the CLI name each space


def answer_kinds(spaces: Iterable[AnswerSpace]) -> dict[str, int]:
    """How many of `spaces` are of each kind, e.g. `{"grounded": 82, "free text": 1}`."""
    return dict(Counter(KINDS[type(space)] for space in spaces))
