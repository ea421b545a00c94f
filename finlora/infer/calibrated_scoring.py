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
