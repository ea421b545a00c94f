"""Label scoring: exact log-likelihoods, only valid labels, agreement with greedy generation."""

from __future__ import annotations

import re

import pytest

from finlora import tasks
from finlora.infer.calibrated_scoring import content_free_prompt
from finlora.infer.scoring import LabelScores, label_token_ids, score_labels, split_trailing_space

pytestmark = pytest.mark.slow


def _full_forward_loglik(predictor, prompt: str, label_ids: list[int]) -> float:
    """The label's log-likelihood from one plain forward pass over prompt + label."""
    import torch

    context = predictor.tokenizer(split_trailing_space(prompt)[0])["input_ids"]
    ids = torch.tensor([context + label_ids])
    with torch.inference_mode():
        logprobs = torch.log_softmax(predictor.model(ids).logits[0].float(), dim=-1)
    return sum(logprobs[len(context) - 1 + j, t].item() for j, t in enumerate(label_ids))


def test_tree_scoring_equals_one_forward_pass_per_label(predictor):
    fpb = tasks.get("fpb")
    prompts = [ex.prompt for ex in fpb.load("test", limit=3)]
    labels = ["negative", "neutral", "positive", "InterestExpense", "InterestExpenseDebt"]
    # batch of 3 shares the instruction prefix (KV-cache reuse); batch of 1 does not
    batched = predictor.score_labels(prompts, labels)
    single = [predictor.score_labels([p], labels)[0] for p in prompts]
    tokens = label_token_ids(predictor.tokenizer, [" " + label for label in labels])
    for prompt, got, alone in zip(prompts, batched, single, strict=True):
        want = [_full_forward_loglik(predictor, prompt, ids) for ids in tokens]
        assert got.log_likelihoods == pytest.approx(want, abs=2e-3)
        assert alone.log_likelihoods == pytest.approx(want, abs=2e-3)


@pytest.mark.parametrize("engine", ["packed", "tree"])
def test_both_engines_equal_one_forward_pass_per_label(predictor, engine):
    fpb = tasks.get("fpb")
    prompts = [ex.prompt for ex in fpb.load("test", limit=4)]
    labels = ["negative", "neutral", "positive", "InterestExpense", "InterestExpenseDebt"]
    tokens = label_token_ids(predictor.tokenizer, [" " + label for label in labels])
    for batch in (1, 3):
        got = score_labels(predictor.model, predictor.tokenizer, prompts, labels,
                           batch_size=batch, engine=engine)
        for prompt, scores in zip(prompts, got, strict=True):
            want = [_full_forward_loglik(predictor, prompt, ids) for ids in tokens]
            assert scores.log_likelihoods == pytest.approx(want, abs=2e-3)


def test_calibrated_scores_are_the_difference_against_a_content_free_prompt(predictor):
    fpb = tasks.get("fpb")
    prompts = [ex.prompt for ex in fpb.load("test", limit=3)]
    inputs = [p.split("\nInput: ", 1)[1].rsplit("\nAnswer: ", 1)[0] for p in prompts]
    free = [content_free_prompt(p, text) for p, text in zip(prompts, inputs, strict=True)]
    assert free[0] == free[1] and free[0].endswith("\nInput: N/A\nAnswer: ")
    labels = ["negative", "neutral", "positive"]
    tokens = label_token_ids(predictor.tokenizer, [" " + label for label in labels])
    got = score_labels(predictor.model, predictor.tokenizer, prompts, labels, calibration=free)
    baseline = [_full_forward_loglik(predictor, free[0], ids) for ids in tokens]
    for prompt, scores in zip(prompts, got, strict=True):
        raw = [_full_forward_loglik(predictor, prompt, ids) for ids in tokens]
        want = [(r - b) / len(ids) for r, b, ids in zip(raw, baseline, tokens, strict=True)]
        assert scores.scores == pytest.approx(want, abs=2e-3)
        assert scores.log_likelihoods == pytest.approx(raw, abs=2e-3)
        assert scores.baseline == pytest.approx(baseline, abs=2e-3)
    plain = score_labels(predictor.model, predictor.tokenizer, prompts, labels)
    assert all(p.baseline is None for p in plain)  # off by default


def test_prefix_labels_are_told_apart_by_end_of_text(predictor):
    tok = predictor.tokenizer
    short, long = label_token_ids(tok, ["InterestExpense", "InterestExpenseDebt"])
    assert short[-1] == tok.eos_token_id and long[: len(short) - 1] == short[:-1]
    assert long[-1] != tok.eos_token_id


def test_ties_go_to_the_label_listed_first():
    scores = LabelScores(("b", "a", "c"), (-1.0, -1.0, -2.0), (-1.0, -1.0, -2.0))
    assert scores.best == "b"
    assert scores.confidence == pytest.approx(1 / (2 + 2.718281828 ** -1), rel=1e-6)


def test_label_scoring_returns_valid_labels_and_matches_greedy_generation(predictor):
    fpb = tasks.get("fpb")
    examples = fpb.load("test", limit=32)
    scored = predictor.predict(fpb, examples)
    generated = predictor.predict(fpb, examples, mode="generate")
    assert all(p.answer in fpb.labels and p.text in fpb.labels for p in scored)
    assert all(sum(p.scores.values()) < 0 and 0 < p.confidence <= 1 for p in scored)
    # "valid" generation: the greedy text starts with a label as a whole word
    valid = [(s.answer, m.group(1)) for s, g in zip(scored, generated, strict=True)
             if (m := re.match(r"(negative|neutral|positive)\b", g.text))]
    assert len(valid) >= 16, [g.text for g in generated]
    assert [a for a, _ in valid] == [b for _, b in valid]
