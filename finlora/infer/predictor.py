"""`Predictor`: one loaded base model (optionally quantized), any number of LoRA adapters, and
the right way to answer each task — label scoring where the task lists its allowed answers,
batched greedy generation only where the answer is free-form.

    predictor = Predictor(adapters={"fpb": "runs/fpb/adapter", "ner": "runs/ner/adapter"})
    predictor.predict(tasks.get("fpb"), examples, adapter="fpb")
    predictor.predict(tasks.get("ner"), examples, adapter="ner")   # same base, no reload
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from finlora.errors import ModelError
from finlora.infer.generation import generate
from finlora.infer.scoring import LabelScores, Normalization, PrefixCache, score_labels
from finlora.models import (
    Quantization,
    check_adapter_tokenizer,
    load_base_model,
    load_tokenizer,
    resolve_model,
)
from finlora.tasks.answers import AnswerSpace, Choice, FreeText, Grounded, LabelLists, Labels

if TYPE_CHECKING:
    from finlora.tasks.base import Example, Task

AdapterSpec = str | os.PathLike[str] | Mapping[str, str | os.PathLike[str]] | None


class Prediction(BaseModel):
    """A model's answer to one example.

    `text` is what the model produced (the chosen label, or generated text); `answer` is the
    task's parsed answer (None when generated text cannot be parsed); `scores` are the
    length-normalised log-likelihoods of the allowed answers and `confidence` the probability
    of the chosen one among them (both None for free generation).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    answer: str | None
    scores: dict[str, float] | None = None
    confidence: float | None = None


def adapter_folders(adapters: AdapterSpec) -> dict[str, Path]:
    """`None`, one adapter folder, or {name: folder} → {name: folder}, each checked to exist."""
    if adapters is None:
        return {}
    if isinstance(adapters, Mapping):
        named = {str(k): Path(v) for k, v in adapters.items()}
    else:
        path = Path(adapters)
        named = {path.resolve().name or "adapter": path}
    for name, path in named.items():
        if not (path / "adapter_config.json").is_file():
            raise ModelError(f"adapter {name!r}: {path} is not a PEFT adapter folder (no "
                             "adapter_config.json); pass the folder `finlora train` wrote")
    return named


class Predictor:
    """A base model with optional LoRA adapters, answering any finlora task in batches."""

    def __init__(self, base_model: str | os.PathLike[str] | None = None,
                 adapters: AdapterSpec = None, *, quantization: Quantization = "none",
                 device: str | None = None, batch_size: int = 16, chat: bool = False,
                 normalization: Normalization | None = None, allow_network: bool = False,
                 model: Any = None, tokenizer: Any = None,
                 allow_tokenizer_mismatch: bool | None = None) -> None:
        """Load `base_model` (default: the embedded model) once, then each adapter onto it.

        Pass `model` and `tokenizer` to wrap an already loaded model instead. An adapter
        trained with another tokenizer is refused unless `allow_tokenizer_mismatch=True`.
        """
        self.allow_tokenizer_mismatch = allow_tokenizer_mismatch
        self.batch_size = batch_size
        self.chat = chat
        # None: per-token mean for classification labels, whole probability for concept names
        # and tags (long identifiers whose tails the model copies from the prompt)
        self.normalization = normalization
        if model is None:
            path = resolve_model(base_model, allow_network=allow_network)
            tokenizer = load_tokenizer(path)
            model = load_base_model(path, quantization=quantization, device=device)
            self.base_model_path = path
        else:
            self.base_model_path = str(base_model or getattr(model, "name_or_path", "model"))
            if tokenizer is None:
                raise ModelError("Predictor(model=...) also needs tokenizer=...")
        self.tokenizer = tokenizer
        self._prefixes: dict[str | None, PrefixCache] = {}  # per adapter state
        self._state: str | None = None
        self.adapters: dict[str, Path] = {}
        self.model = model
        for name, folder in adapter_folders(adapters).items():
            self.add_adapter(name, folder)
        self.model.eval()

    def add_adapter(self, name: str, folder: str | os.PathLike[str]) -> None:
        """Load another adapter onto the same base model (the base is not reloaded)."""
        from peft import PeftModel

        folder = adapter_folders({name: folder})[name]
        check_adapter_tokenizer(folder, self.tokenizer, base=self.base_model_path,
                                allow_mismatch=self.allow_tokenizer_mismatch)
        try:
            if not self.adapters:
                self.model = PeftModel.from_pretrained(self.model, str(folder), adapter_name=name)
            else:
                self.model.load_adapter(str(folder), adapter_name=name)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"adapter {name!r} at {folder} does not fit base model "
                             f"{self.base_model_path}: {exc}") from exc
        if not self.adapters:
            self.model.set_adapter(name)
        self.adapters[name] = folder
        self._prefixes.clear()
        self.model.eval()

    @property
    def active_adapter(self) -> str | None:
        return self.model.active_adapter if self.adapters else None

    @contextlib.contextmanager
    def using(self, adapter: str | None) -> Iterator[None]:
        """Run with `adapter` active ("base": the plain base model; None: the active adapter)."""
        if adapter not in (None, "base") and adapter not in self.adapters:
            raise ModelError(f"adapter {adapter!r} is not loaded; loaded: {sorted(self.adapters)}")
        outer = self._state
        if not self.adapters or adapter is None:
            self._state = "base" if not self.adapters else self.model.active_adapter
            context: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        elif adapter == "base":
            self._state = "base"
            context = self.model.disable_adapter()
        else:
            self._state = adapter
            context = self._switched_to(adapter)
        try:
            with context:
                yield
        finally:
            self._state = outer

    @contextlib.contextmanager
    def _switched_to(self, adapter: str) -> Iterator[None]:
        previous = self.model.active_adapter
        self.model.set_adapter(adapter)
        try:
            yield
        finally:
            self.model.set_adapter(previous)

    def score_labels(self, prompts: Sequence[str], labels: Sequence[Sequence[str]] | Sequence[str],
                     *, adapter: str | None = None, end: str | None = None,
                     normalization: Normalization | None = None) -> list[LabelScores]:
        """Each allowed label's likelihood per prompt (see `finlora.infer.scoring`)."""
        with self.using(adapter):
            return score_labels(self.model, self.tokenizer, prompts, labels,
                                batch_size=self.batch_size,
                                normalization=normalization or self.normalization or "mean",
                                end=end,
                                prefix_cache=self._prefixes.setdefault(self._state, PrefixCache()))

    def score_label_lists(self, prompts: Sequence[str],
                          labels: Sequence[Sequence[str]] | Sequence[Sequence[Sequence[str]]],
                          lengths: Sequence[int], *, separator: str = ",",
                          adapter: str | None = None, normalization: Normalization | None = None,
                          ) -> list[list[LabelScores]]:
        """Constrained decoding of answers that are lists of labels (`tag1,tag2,...`): slot by
        slot, every prompt's next label is chosen by label scoring after the labels chosen so
        far, so every answer is well-formed and every item an allowed label. `labels[i]` is
        prompt i's allowed labels, or one list of allowed labels per slot.

        Tags are long identifiers whose tails the model copies from the prompt once the first
        tokens are chosen; a per-token mean would favour the longest tag, so the default here
        is the tag's whole probability (`"sum"` of log-probabilities)."""
        def allowed(i: int, slot: int) -> list[str]:
            options = labels[i]
            per_slot = bool(options) and not isinstance(options[0], str)
            return list(options[slot] if per_slot else options)  # type: ignore[arg-type]

        chosen: list[list[LabelScores]] = [[] for _ in prompts]
        for slot in range(max(lengths, default=0)):
            active = [i for i, n in enumerate(lengths) if slot < n]
            for last in (True, False):  # the last item of a list ends the text, others a separator
                group = [i for i in active if (slot == lengths[i] - 1) == last]
                if not group:
                    continue
                texts = [prompts[i] + "".join(ls.best + separator for ls in chosen[i])
                         for i in group]
                scored = self.score_labels(texts, [allowed(i, slot) for i in group],
                                           adapter=adapter, end=None if last else separator,
                                           normalization=normalization or self.normalization
                                           or "sum")
                for i, ls in zip(group, scored, strict=True):
                    chosen[i].append(ls)
        return chosen

    def generate(self, prompts: Sequence[str], *, max_new_tokens: int = 16,
                 adapter: str | None = None) -> list[str]:
        """Greedy continuations, batched by length with left padding."""
        with self.using(adapter):
            return generate(self.model, self.tokenizer, prompts, max_new_tokens=max_new_tokens,
                            batch_size=self.batch_size)

    def render(self, task: Task, examples: Sequence[Example], chat: bool | None = None) -> list[str]:
        use_chat = self.chat if chat is None else chat
        return [task.render(ex, self.tokenizer, chat=use_chat) for ex in examples]

    def predict(self, task: Task, examples: Sequence[Example], *, chat: bool | None = None,
                adapter: str | None = None, mode: str = "auto") -> list[Prediction]:
        """Answer `examples` of `task` the way each example's answer space says (labels and
        label lists: label scoring; grounded: label choices the task turns into an answer;
        free text: generation). `mode="generate"` forces generation everywhere; `"score"`
        refuses examples whose answer is free text."""
        if mode not in ("auto", "generate", "score"):
            raise ValueError(f"mode {mode!r}: choose auto, generate or score")
        prompts = self.render(task, examples, chat)
        spaces: list[AnswerSpace] = [
            FreeText(task.max_new_tokens) if mode == "generate" else task.answer_space(ex)
            for ex in examples]
        if mode == "score" and any(isinstance(s, FreeText) for s in spaces):
            raise ModelError(f"task {task.name!r} has examples without allowed answers; "
                             "use mode='auto' or 'generate'")
        results: list[Prediction | None] = [None] * len(examples)

        def parsed(i: int, text: str) -> str | None:
            return task.parse_answer(text, examples[i])

        for separator in {s.separator for s in spaces if isinstance(s, LabelLists)}:
            lists = [i for i, s in enumerate(spaces)
                     if isinstance(s, LabelLists) and s.separator == separator]
            slots = self.score_label_lists(
                [prompts[i] for i in lists], [spaces[i].slots for i in lists],
                [len(spaces[i].slots) for i in lists], separator=separator, adapter=adapter)
            for i, per_slot in zip(lists, slots, strict=True):
                text = separator.join(ls.best for ls in per_slot)
                results[i] = Prediction(text=text, answer=parsed(i, text),
                                        confidence=math.prod(ls.confidence for ls in per_slot))
        single = [i for i, s in enumerate(spaces) if isinstance(s, Labels) and s.labels]
        scored = self._score_choices([(prompts[i], spaces[i]) for i in single], adapter)
        for i, ls in zip(single, scored, strict=True):
            answer = parsed(i, ls.best)
            results[i] = Prediction(text=ls.best, answer=answer if answer is not None else ls.best,
                                    scores=ls.as_dict(), confidence=ls.confidence)
        grounded = [i for i, s in enumerate(spaces) if isinstance(s, Grounded)]
        questions = [(self._render_raw(task, c.prompt, chat), c)
                     for i in grounded for c in spaces[i].choices]
        chosen = iter(self._score_choices(questions, adapter))
        for i in grounded:
            picks = [next(chosen) for _ in spaces[i].choices]
            text = spaces[i].answer(tuple(ls.best for ls in picks)) or ""
            results[i] = Prediction(text=text, answer=parsed(i, text) if text else None,
                                    confidence=math.prod(ls.confidence for ls in picks))
        free = [i for i in range(len(examples)) if results[i] is None]
        for limit in sorted({_max_new_tokens(spaces[i], task) for i in free}):
            group = [i for i in free if _max_new_tokens(spaces[i], task) == limit]
            texts = self.generate([prompts[i] for i in group], max_new_tokens=limit,
                                  adapter=adapter)
            for i, text in zip(group, texts, strict=True):
                results[i] = Prediction(text=text, answer=parsed(i, text))
        return results  # type: ignore[return-value]

    def _render_raw(self, task: Task, prompt: str, chat: bool | None) -> str:
        from finlora.tasks.base import Example

        return self.render(task, [Example(prompt, "")], chat)[0]

    def _score_choices(self, items: Sequence[tuple[str, Labels | Choice]],
                       adapter: str | None) -> list[LabelScores]:
        """Label scores for (prompt, labels) pairs, in order, one batched call per
        normalization (the predictor's own `normalization` overrides the spaces'). A pair with
        one label is not scored: that label, probability 1 (scores 0)."""
        out: list[LabelScores | None] = [LabelScores(s.labels, (0.0,), (0.0,))
                                         if len(s.labels) == 1 else None for _, s in items]
        norms = [self.normalization or space.normalization for _, space in items]
        for norm in sorted({n for k, n in enumerate(norms) if out[k] is None}):
            group = [k for k, n in enumerate(norms) if n == norm and out[k] is None]
            scored = self.score_labels([items[k][0] for k in group],
                                       [list(items[k][1].labels) for k in group],
                                       adapter=adapter, normalization=norm)
            for k, ls in zip(group, scored, strict=True):
                out[k] = ls
        return out  # type: ignore[return-value]


def _max_new_tokens(space: AnswerSpace, task: Task) -> int:
    return space.max_new_tokens if isinstance(space, FreeText) else task.max_new_tokens
