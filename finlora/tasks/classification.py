"""Tasks whose answer is one label from a fixed set: label scoring picks among `labels`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from finlora.tasks.answers import Labels
from finlora.tasks.base import Example, Task
from finlora.tasks.metrics import classification_report
from finlora.tasks.parsing import match_label


class LabelTask(Task):
    """A classification task: its answer is one of `labels`."""

    kind: ClassVar = "classification"
    max_new_tokens: ClassVar[int] = 8

    def candidates(self, example: Example) -> Sequence[str]:
        return self.labels

    def answer_space(self, example: Example) -> Labels:
        return Labels(tuple(self.candidates(example)), "mean")

    def parse_answer(self, text: str, example: Example | None = None) -> str | None:
        return match_label(text, self.candidates(example) if example else self.labels)

    def score(self, predictions: Sequence[str | None], examples: Sequence[Example]
              ) -> dict[str, Any]:
        return classification_report(predictions, [ex.target for ex in examples], self.labels)
