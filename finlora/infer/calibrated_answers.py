"""A label task answered by calibrated scoring (`calibrated_scoring`): each FinLoRA prompt
against its content-free twin, the input replaced by "N/A"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finlora.infer.calibrated_scoring import content_free_prompt
from finlora.infer.scoring import score_labels
from finlora.tasks.answers import Labels
from finlora.tasks.base import input_text


def calibrated_answers(predictor: Any, task: Any, examples: Sequence[Any],
                       adapter: str | None = None, chat: bool | None = None
                       ) -> list[str | None]:
    """Answers of a label task (`Labels` answer spaces, FinLoRA `Input:` prompts) by
    calibrated label scoring with `predictor`'s model: each prompt's content-free twin is the
    same prompt with its input replaced by "N/A". Examples of other spaces get None."""
    prompts = predictor.render(task, examples, chat)
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
