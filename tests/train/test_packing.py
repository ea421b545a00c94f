"""Packed rows give the same loss and gradients as one example per row: no token attends
across example boundaries, and padding changes nothing."""

from __future__ import annotations

import pytest
import torch

from finlora.models import load_tokenizer
from finlora.train import TrainConfig
from finlora.train.data import collate

from .helpers import answer_loss_with_random_b, fpb_items, loss_and_grads

pytestmark = pytest.mark.slow


def test_packed_loss_equals_unpacked(embedded_model_path) -> None:
    config = TrainConfig(quantization="none", dropout=0.0, dtype="fp32", seed=1)
    loss_fn = answer_loss_with_random_b(embedded_model_path, config, std=0.02)
    tokenizer = load_tokenizer(embedded_model_path)
    items = fpb_items(tokenizer, 5, max_seq_len=256)
    normalizer = float(sum(it.n_answer for it in items))
    pad = tokenizer.pad_token_id
    packed = collate(items, max_seq_len=256, packing=True, pad_id=pad)
    plain = collate(items, max_seq_len=256, packing=False, pad_id=pad)
    assert packed["input_ids"].shape[0] <= 2  # five FPB examples fit in two 256-token rows
    loss_packed, grads_packed = loss_and_grads(loss_fn, packed, normalizer)
    loss_plain, grads_plain = loss_and_grads(loss_fn, plain, normalizer)
    assert loss_packed == pytest.approx(loss_plain, rel=1e-5)
    assert grads_packed.keys() == grads_plain.keys() and grads_packed
    for name, grad in grads_packed.items():
        scale = float(grads_plain[name].abs().max())
        diff = float((grad - grads_plain[name]).abs().max())
        assert diff <= 1e-3 * scale + 1e-8, name

    # the check can fail: letting examples see each other (one causal run) changes the loss
    leaky = dict(packed, position_ids=torch.arange(packed["input_ids"].shape[1]).expand_as(
        packed["position_ids"]).contiguous())
    loss_leaky, _ = loss_and_grads(loss_fn, leaky, normalizer)
    assert abs(loss_leaky - loss_plain) > 1e-3


def test_merged_micro_batches_give_the_accumulated_gradients(embedded_model_path) -> None:
    """One packed pass over a step's two micro-batches == the two passes accumulated."""
    from finlora.train.data import merge_micro_batches

    config = TrainConfig(quantization="none", dropout=0.0, dtype="fp32", seed=1)
    loss_fn = answer_loss_with_random_b(embedded_model_path, config, std=0.02)
    tokenizer = load_tokenizer(embedded_model_path)
    items = fpb_items(tokenizer, 6, max_seq_len=256)
    parts = [items[:3], items[3:]]
    normalizer = float(sum(it.n_answer for it in items))
    pad = tokenizer.pad_token_id
    [merged] = merge_micro_batches(parts, token_budget=3 * 256)
    loss_one, grads_one = loss_and_grads(loss_fn, collate(merged, max_seq_len=256, packing=True,
                                                          pad_id=pad), normalizer)
    separate = [loss_and_grads(loss_fn, collate(p, max_seq_len=256, packing=True, pad_id=pad),
                               normalizer) for p in parts]
    assert loss_one == pytest.approx(sum(loss for loss, _ in separate), rel=1e-5)
    for name, grad in grads_one.items():
        summed = separate[0][1][name] + separate[1][1][name]
        assert float((grad - summed).abs().max()) <= 1e-3 * float(summed.abs().max()) + 1e-8, name
