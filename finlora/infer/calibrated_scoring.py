"""Calibrated label scoring: each label's score against a content-free prompt.

A model's label scores carry a prior of its own (a label it favours whatever the input).
Contextual calibration (Zhao et al., 2021) and PMI-style scoring (Holtzman et al., 2021) remove
it: score the labels once more after the same instruction with a content-free input ("N/A"),
and subtract. The calibrated score of label y for prompt x is
`score(y | x) - score(y | x_free)`, both normalised the same way (mean or sum over y's tokens).
`score_labels(..., calibration=...)` does this; it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from finlora.infer.label_scores import LabelScores

CONTENT_FREE = "N/A"


def content_free_prompt(prompt: str, text: str, placeholder: str = CONTENT_FREE) -> str:
    """`prompt` with its input `text` (its last occurrence) replaced by `placeholder`."""
    at = prompt.rfind(text) if text else -1
    if at < 0:
        raise ValueError(f"input text {text[:60]!r} does not occur in the prompt")
    return prompt[:at] + placeholder + prompt[at + len(text):]


def per_prompt_baselines(free: Sequence[str], labels: Sequence[Sequence[str]],
                         score: Callable[[list[str], list[list[str]]], list[LabelScores]],
                         ) -> list[LabelScores]:
    """The content-free scores for each prompt; each distinct (content-free prompt, labels)
    pair is scored once."""
    if len(free) != len(labels):
        raise ValueError(f"{len(labels)} prompts but {len(free)} content-free prompts")
    unique = list(dict.fromkeys(zip(free, (tuple(ls) for ls in labels), strict=True)))
    scored = score([f for f, _ in unique], [list(ls) for _, ls in unique])
    lookup = dict(zip(unique, scored, strict=True))
    return [lookup[(f, tuple(ls))] for f, ls in zip(free, labels, strict=True)]


def calibrated(results: Sequence[LabelScores], baselines: Sequence[LabelScores],
               ) -> list[LabelScores]:
    """`results` with scores minus the baseline's scores; the raw log-likelihoods are kept and
    the baseline's summed log-likelihoods stored beside them."""

    out = []
    for got, base in zip(results, baselines, strict=True):
        scores = tuple(s - b for s, b in zip(got.scores, base.scores, strict=True))
        out.append(LabelScores(got.labels, scores, got.log_likelihoods, base.log_likelihoods))
    return out


def calibrated_answers(predictor: Any, task: Any, examples: Sequence[Any],
                       adapter: str | None = None) -> list[str | None]:
    """Answers of a label task (`Labels` answer spaces, FinLoRA `Input:` prompts) by
    calibrated label scoring with `predictor`'s model: each prompt's content-free twin is the
    same prompt with its input replaced by "N/A". Examples of other spaces get None."""
    from finlora.infer.scoring import score_labels
    from finlora.tasks.answers import Labels
    from finlora.tasks.base import input_text

    prompts = predictor.render(task, examples)
    spaces = [task.answer_space(ex) for ex in examples]
    keep = [i for i, s in enumerate(spaces) if isinstance(s, Labels) and s.labels]
    free = [content_free_prompt(prompts[i], input_text(examples[i].prompt)) for i in keep]
    if not keep:
        return [None] * len(examples)
    norm = predictor.normalization or spaces[keep[0]].normalization
    with predictor.using(adapter):
        scored = score_labels(predictor.model, predictor.tokenizer, [prompts[i] for i in keep],
                              [list(spaces[i].labels) for i in keep],
                              batch_size=predictor.batch_size,
                              normalization=norm, calibration=free)
    answers: list[str | None] = [None] * len(examples)
    for i, ls in zip(keep, scored, strict=True):
        answers[i] = task.parse_answer(ls.best, examples[i]) or ls.best
    return answers
