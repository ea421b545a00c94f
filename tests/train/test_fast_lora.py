"""finlora's fused LoRA layer computes what PEFT's LoRA forward computes: same loss, same
gradients, on a plain and on an nf4 base."""

from __future__ import annotations

import pytest
import torch

from finlora.models import load_tokenizer
from finlora.train import TrainConfig
from finlora.train.data import collate
from finlora.train.fast_lora import patch_lora_layers, unpatch_lora_layers
from finlora.train.model import build_model

from .helpers import answer_loss_with_random_b, fpb_items, loss_and_grads

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("quantization", ["none", "nf4"])
def test_fused_equals_peft(embedded_model_path, quantization) -> None:
    config = TrainConfig(quantization=quantization, dropout=0.0, target_modules="all-linear",
                         rank=8, seed=3)
    loss_fn = answer_loss_with_random_b(embedded_model_path, config, std=0.05)
    model = loss_fn.model
    tokenizer = load_tokenizer(embedded_model_path)
    items = fpb_items(tokenizer, 3, max_seq_len=128)
    batch = collate(items, max_seq_len=128, packing=True, pad_id=tokenizer.pad_token_id)
    normalizer = float(sum(it.n_answer for it in items))
    fused_loss, fused = loss_and_grads(loss_fn, batch, normalizer)
    unpatch_lora_layers(model)
    peft_loss, peft = loss_and_grads(loss_fn, batch, normalizer)
    assert patch_lora_layers(model) == 7 * model.config.num_hidden_layers
    assert fused_loss == pytest.approx(peft_loss, rel=1e-4)
    assert fused.keys() == peft.keys() and len(fused) == 2 * 7 * model.config.num_hidden_layers
    diff = sum(float((fused[k] - peft[k]).pow(2).sum()) for k in fused) ** 0.5
    norm = sum(float(peft[k].pow(2).sum()) for k in fused) ** 0.5
    assert diff <= 1e-3 * norm, (diff, norm)


def test_fused_dropout_is_active_only_in_training(embedded_model_path) -> None:
    config = TrainConfig(quantization="none", dropout=0.5, rank=8, seed=3)
    model = build_model(embedded_model_path, config, torch.device("cpu"))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    ids = torch.arange(10, 40)[None]
    model.eval()
    with torch.no_grad():
        first = model(input_ids=ids).logits
        assert torch.equal(first, model(input_ids=ids).logits)
        model.train()
        assert not torch.allclose(first, model(input_ids=ids).logits)
