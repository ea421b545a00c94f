"""Packed rows give the same loss and gradients as one example per row: no token attends
across example boundaries, and padding changes nothing."""

from __future__ import annotations

import pytest
import torch

from finlora import tasks
from finlora.models import load_tokenizer
from finlora.train import TrainConfig
from finlora.train.data import collate, tokenize_examples
from finlora.train.model import AnswerLoss, build_model

pytestmark = pytest.mark.slow


def _loss_and_grads(loss_fn: AnswerLoss, batch: dict, normalizer: float):
    loss_fn.zero_grad(set_to_none=True)
    loss = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], normalizer)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in loss_fn.named_parameters() if p.grad is not None}
    return float(loss.detach()), grads


def test_packed_loss_equals_unpacked(embedded_model_path) -> None:
    config = TrainConfig(quantization="none", dropout=0.0, dtype="fp32", seed=1)
    model = build_model(embedded_model_path, config, torch.device("cpu"))
    with torch.no_grad():  # non-zero B so the adapters' gradients depend on the inputs too
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.02)
    loss_fn = AnswerLoss(model)
    tokenizer = load_tokenizer(embedded_model_path)
    fpb = tasks.get("fpb")
    items = tokenize_examples([(fpb, fpb.load("train", limit=5))], tokenizer, chat=False,
                              max_seq_len=256)
    normalizer = float(sum(it.n_answer for it in items))
    pad = tokenizer.pad_token_id
    packed = collate(items, max_seq_len=256, packing=True, pad_id=pad)
    plain = collate(items, max_seq_len=256, packing=False, pad_id=pad)
    assert packed["input_ids"].shape[0] <= 2  # five FPB examples fit in two 256-token rows
    loss_packed, grads_packed = _loss_and_grads(loss_fn, packed, normalizer)
    loss_plain, grads_plain = _loss_and_grads(loss_fn, plain, normalizer)
    assert loss_packed == pytest.approx(loss_plain, rel=1e-5)
    assert grads_packed.keys() == grads_plain.keys() and grads_packed
    for name, grad in grads_packed.items():
        scale = float(grads_plain[name].abs().max())
        diff = float((grad - grads_plain[name]).abs().max())
        assert diff <= 1e-3 * scale + 1e-8, name

    # the check can fail: letting examples see each other (one causal run) changes the loss
    leaky = dict(packed, position_ids=torch.arange(packed["input_ids"].shape[1]).expand_as(
        packed["position_ids"]).contiguous())
    loss_leaky, _ = _loss_and_grads(loss_fn, leaky, normalizer)
    assert abs(loss_leaky - loss_plain) > 1e-3
