"""The `Task` contract shared by training, inference and evaluation.

A task owns its prompt, its answer parser, its metric and its data, so that every layer above
uses exactly the same definition. This module imports no torch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from finlora.errors import ModelError
from finlora.tasks.answers import AnswerSpace, FreeText, Labels

Split = Literal["train", "dev", "test"]
TaskKind = Literal["classification", "tagging", "extraction"]


def split_trailing_space(prompt: str) -> tuple[str, str]:
    """(prompt without its trailing spaces, those spaces).

    FinLoRA prompts end in `"Answer: "`. Tokenized alone, that last space becomes a token of its
    own, which a model never sees before a word in running text (`" positive"` is one token).
    Training and scoring therefore both move the space to the front of the answer, so the
    answer is tokenized as it would be in the whole text.
    """
    stripped = prompt.rstrip(" ")
    return stripped, prompt[len(stripped):]


def prompt_token_ids(tokenizer: Any, prompt: str) -> list[int]:
    """A prompt's token ids exactly as training and inference both feed them.

    The tokenizer adds its special tokens (Llama's BOS; SmolLM2 adds none), unless the text
    already starts with the BOS, as a chat template's output does. Answers are tokenized
    without special tokens and appended, so a prompt always starts the same way.
    """
    bos = getattr(tokenizer, "bos_token", None)
    add_special = not (isinstance(bos, str) and bos and prompt.startswith(bos))
    return list(tokenizer(prompt, add_special_tokens=add_special)["input_ids"])


def input_text(prompt: str) -> str:
    """The `Input:` part of a FinLoRA prompt (`Instruction: …\nInput: …\nAnswer: `)."""
    return prompt.split("\nInput: ", 1)[1].rsplit("\nAnswer: ", 1)[0]


@dataclass(frozen=True)
class Example:
    """One prompt with its gold answer.

    `prompt` is FinLoRA's `context` string byte for byte (no chat template applied);
    `target` is the gold answer string; `meta` carries task-specific extras (filing, fact ids...).
    """

    prompt: str
    target: str
    meta: dict[str, Any] = field(default_factory=dict)


class Task(ABC):
    """A financial task: prompt rendering, answer parsing, metrics and data splits."""

    name: ClassVar[str]
    kind: ClassVar[TaskKind]
    max_new_tokens: ClassVar[int] = 16
    labels: tuple[str, ...] = ()  # a classification task's fixed labels (empty: none)

    @abstractmethod
    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        """The examples of a deterministic split of this task's bundled data."""

    def from_finlora_rows(self, examples: list[Example]) -> list[Example]:
        """Examples read from a FinLoRA-format file (the bundled one or a user's own), with the
        corrections this task applies to FinLoRA's data (default: none)."""
        return examples

    def candidates(self, example: Example) -> Sequence[str] | None:
        """The allowed answers for this example (label scoring picks one), or None if free-form."""
        return None

    def answer_space(self, example: Example) -> AnswerSpace:
        """How this example is answered (see `finlora.tasks.answers`). The default: label
        scoring over `candidates(example)` when it lists any, else free generation."""
        allowed = self.candidates(example)
        if allowed:
            return Labels(tuple(allowed), "mean" if self.kind == "classification" else "sum")
        return FreeText(self.max_new_tokens)

    def render(self, example: Example, tokenizer: Any = None, chat: bool = False) -> str:
        """The text the model sees: the raw prompt, or the prompt inside the tokenizer's chat
        template (one user turn, generation prompt added). Training and evaluation both call this.
        """
        if not chat:
            return example.prompt
        if tokenizer is None:
            raise ValueError("chat=True needs the tokenizer whose chat template to apply")
        if not getattr(tokenizer, "chat_template", None):
            raise ModelError(f"{getattr(tokenizer, 'name_or_path', 'the tokenizer')} has no chat "
                             "template: use chat=False (the raw FinLoRA prompt)")
        messages = [{"role": "user", "content": example.prompt}]
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    @abstractmethod
    def parse_answer(self, text: str, example: Example | None = None) -> str | None:
        """The normalised answer found in a model's output, or None when it cannot be parsed."""

    @abstractmethod
    def score(self, predictions: Sequence[str | None], examples: Sequence[Example]) -> dict[str, Any]:
        """Metrics for parsed predictions against the examples' targets."""
