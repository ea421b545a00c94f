"""Class weighting by resampling: a task whose train split repeats minority-class examples.

Class `c` with `n_c` of the split's `n_max`-sized largest class keeps all its examples and
gains repeats up to `round(n_c * (n_max / n_c) ** power)` (power 0: unchanged; 0.5: the
square-root weighting; 1: every class as large as the largest). In expectation this is the
class-weighted loss with weights `(n_max / n_c) ** power`, without touching the loss, and it
works for any task whose target is a label. Only the train split is resampled.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

from finlora.tasks.base import Example, Split, Task


def rebalance(examples: list[Example], power: float, seed: int = 0) -> list[Example]:
    """`examples` with each class's examples repeated towards balance (see the module doc)."""
    if power <= 0 or not examples:
        return list(examples)
    by_class: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_class[example.target].append(example)
    largest = max(len(group) for group in by_class.values())
    rng = random.Random(seed)
    out: list[Example] = []
    for target in sorted(by_class):
        group = by_class[target]
        wanted = round(len(group) * (largest / len(group)) ** power)
        copies, extra = divmod(wanted, len(group))
        out += group * copies + rng.sample(group, extra)
    rng.shuffle(out)
    return out


class Rebalanced(Task):
    """`task` with its train split rebalanced (`rebalance`); everything else is `task`'s."""

    def __init__(self, task: Task, power: float = 0.5, seed: int = 0) -> None:
        self.task = task
        self.power = power
        self.seed = seed
        self.name = task.name
        self.kind = task.kind  # type: ignore[misc]
        self.max_new_tokens = task.max_new_tokens  # type: ignore[misc]
        self.labels = task.labels

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        examples = self.task.load(split, limit)
        return rebalance(examples, self.power, self.seed) if split == "train" else examples

    def __getattr__(self, name: str) -> Any:  # attributes Task does not define
        return getattr(self.task, name)

    # Task's own methods are found on the class before __getattr__: each is passed on here
    def from_finlora_rows(self, examples: list[Example]) -> list[Example]:
        return self.task.from_finlora_rows(examples)

    def candidates(self, example: Example) -> Any:
        return self.task.candidates(example)

    def answer_space(self, example: Example) -> Any:
        return self.task.answer_space(example)

    def render(self, example: Example, tokenizer: Any = None, chat: bool = False) -> str:
        return self.task.render(example, tokenizer, chat)

    def parse_answer(self, text: str, example: Example | None = None) -> str | None:
        return self.task.parse_answer(text, example)

    def score(self, predictions: Any, examples: Any) -> dict[str, Any]:
        return self.task.score(predictions, examples)
