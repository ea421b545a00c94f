"""calibrated_answers: a label task answered by calibrated scoring, checked against plain
forward passes over each prompt and its content-free twin."""

from __future__ import annotations

import pytest

from finlora import tasks
from finlora.infer.calibrated_answers import calibrated_answers
from finlora.infer.scoring import label_token_ids
from tests.infer.test_scoring import _full_forward_loglik

pytestmark = pytest.mark.slow


def test_calibrated_answers_pick_the_label_of_largest_gain_over_n_a(predictor):
    fpb = tasks.get("fpb")
    examples = fpb.load("test", limit=4)
    got = calibrated_answers(predictor, fpb, examples)
    labels = list(fpb.answer_space(examples[0]).labels)
    tokens = label_token_ids(predictor.tokenizer, [" " + label for label in labels])
    free = examples[0].prompt.split("\nInput: ", 1)[0] + "\nInput: N/A\nAnswer: "
    baseline = [_full_forward_loglik(predictor, free, ids) for ids in tokens]
    for example, answer in zip(examples, got, strict=True):
        raw = [_full_forward_loglik(predictor, example.prompt, ids) for ids in tokens]
        gain = [(r - b) / len(ids) for r, b, ids in zip(raw, baseline, tokens, strict=True)]
        assert answer == labels[max(range(len(labels)), key=gain.__getitem__)]
