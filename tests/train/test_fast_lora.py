"""finlora's fused LoRA layer computes what PEFT's LoRA forward computes: same loss, same
gradients, on a plain and on an nf4 base."""

from __future__ import annotations

import pytest
import torch

from finlora.models import load_tokenizer
from finlora.train import TrainConfig
from finlora.train.data import collate
from finlora.train.fused_layers import set_fused
from finlora.train.trainable import build_model

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
    assert set_fused(model, on=False) == 7 * model.config.num_hidden_layers
    peft_loss, peft = loss_and_grads(loss_fn, batch, normalizer)
    set_fused(model, on=True)
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


def _reference_lora(x, weight, lora_a, lora_b, scaling, p):
    """Plain autograd math of a LoRA layer, drawing the dropout mask as the fused layer does."""
    xd, _ = torch.native_dropout(x, p, True)
    return x @ weight.t() + scaling * (xd @ lora_a.t()) @ lora_b.t()


@pytest.mark.parametrize("quantized", [False, True])
def test_fused_layer_with_dropout_has_exact_gradients(quantized) -> None:
    import bitsandbytes as bnb

    from finlora.train.base_matmul import dense_weight
    from finlora.train.fast_lora import LoRALinearFunction, base_inputs

    torch.manual_seed(0)
    dtype = torch.float32 if quantized else torch.float64
    base = torch.nn.Linear(64, 48, bias=False, dtype=dtype)
    if quantized:  # nf4 with double-quantized block scales, as QLoRA loads it
        base = bnb.nn.Linear4bit(64, 48, bias=False, compute_dtype=dtype, quant_type="nf4",
                                 compress_statistics=True)
        base.weight = bnb.nn.Params4bit(torch.randn(48, 64), requires_grad=False,
                                        quant_type="nf4", compress_statistics=True)
        base = base.to("cpu")
    packed, scales, nf4 = base_inputs(base)
    stored = base.weight if packed is None else packed
    weight = dense_weight(stored, scales, nf4, dtype).detach()
    if quantized:  # the cached block scales give bitsandbytes' own dequantization
        import bitsandbytes.functional as bnbf

        torch.testing.assert_close(weight, bnbf.dequantize_4bit(packed, base.weight.quant_state))
    x = torch.randn(2, 5, 64, dtype=dtype, requires_grad=True)
    lora_a = torch.randn(8, 64, requires_grad=True, dtype=dtype)
    lora_b = torch.randn(48, 8, requires_grad=True, dtype=dtype)
    upstream = torch.randn(2, 5, 48, dtype=dtype)

    torch.manual_seed(7)
    fused = LoRALinearFunction.apply(x, lora_a, lora_b, stored, scales, None, nf4, 2.0, 0.3)
    fused_grads = torch.autograd.grad(fused, (x, lora_a, lora_b), upstream)
    torch.manual_seed(7)
    reference = _reference_lora(x.reshape(-1, 64), weight, lora_a, lora_b, 2.0, 0.3)
    reference_grads = torch.autograd.grad(reference, (x, lora_a, lora_b), upstream.reshape(-1, 48))

    tolerance = {"rtol": 1e-5, "atol": 1e-5} if quantized else {}
    torch.testing.assert_close(fused.reshape(-1, 48), reference, **tolerance)
    for got, want in zip(fused_grads, reference_grads, strict=True):
        torch.testing.assert_close(got.reshape(want.shape), want, **tolerance)
    assert (fused_grads[0] != 0).any() and (fused_grads[1] != 0).any()
