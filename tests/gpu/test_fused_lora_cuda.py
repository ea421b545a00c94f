"""The fused LoRA layer's CUDA path against PEFT's own forward, in bf16 (the training dtype),
on a plain and on an nf4 base: outputs and gradients as close to the fp32 truth as PEFT's;
and with dropout, exactly the gradients of plain autograd math in fp32 on CUDA."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from finlora.train.config import TrainConfig
from finlora.train.fused_layers import FusedLora, set_fused
from finlora.train.trainable import AnswerLoss, build_model, lora_config

from .helpers import (
    loss_and_grads,
    packed_batch,
    random_items,
    randomize_lora_b,
    relative_difference,
)

pytestmark = pytest.mark.gpu
CUDA = torch.device("cuda")


def _lora_layer(quantized: bool, dtype: torch.dtype) -> tuple[nn.Module, torch.Tensor]:
    """A 256 → 384 LoRA r8 layer built by PEFT (finlora's fused class), fp32 adapters with a
    non-zero B; and its base weight as a dense fp32 matrix (the truth)."""
    import bitsandbytes as bnb
    import bitsandbytes.functional as bnbf
    from peft import inject_adapter_in_model

    torch.manual_seed(0)
    weight = torch.randn(384, 256) / 16
    if quantized:
        base = bnb.nn.Linear4bit(256, 384, bias=False, compute_dtype=dtype, quant_type="nf4",
                                 compress_statistics=True)
        base.weight = bnb.nn.Params4bit(weight, requires_grad=False, quant_type="nf4",
                                        compress_statistics=True)
        base = base.to(CUDA)  # quantized on the move
        dense = bnbf.dequantize_4bit(base.weight.data, base.weight.quant_state).float()
    else:
        base = nn.Linear(256, 384, bias=False).to(CUDA, dtype)
        base.weight.data.copy_(weight)
        dense = base.weight.detach().float()
    config = lora_config(TrainConfig(quantization="nf4" if quantized else "none", rank=8,
                                     alpha=16, dropout=0.0, target_modules=["proj"]))
    holder = inject_adapter_in_model(config, nn.ModuleDict({"proj": base}))
    for name, param in holder.named_parameters():
        if "lora_" in name:  # fp32 masters, as get_peft_model keeps them over a bf16 base
            param.data = param.data.float()
    randomize_lora_b(holder, std=0.05)
    layer = holder["proj"]
    assert isinstance(layer, FusedLora) and layer.fused
    return layer, dense


def _out_and_grads(layer: nn.Module, x: torch.Tensor, upstream: torch.Tensor) -> list:
    a, b = layer.lora_A["default"].weight, layer.lora_B["default"].weight
    out = layer(x)
    return [out.float(), *(g.float() for g in torch.autograd.grad(out, (x, a, b), upstream))]


def _rel(got: torch.Tensor, want: torch.Tensor) -> float:
    return float((got - want).norm() / want.norm())


@pytest.mark.parametrize("quantized", [False, True], ids=["bf16-base", "nf4-base"])
def test_fused_layer_matches_peft_in_bf16_on_cuda(quantized) -> None:
    layer, dense = _lora_layer(quantized, torch.bfloat16)
    torch.manual_seed(1)
    x = torch.randn(4, 33, 256, device=CUDA, dtype=torch.bfloat16, requires_grad=True)
    upstream = torch.randn(4, 33, 384, device=CUDA, dtype=torch.bfloat16)

    fused = _out_and_grads(layer, x, upstream)
    set_fused(layer, on=False)
    peft = _out_and_grads(layer, x, upstream)
    # the truth: the same math in fp32 with plain autograd
    a = layer.lora_A["default"].weight.detach().clone().requires_grad_(True)
    b = layer.lora_B["default"].weight.detach().clone().requires_grad_(True)
    x32 = x.detach().float().requires_grad_(True)
    out = x32 @ dense.t() + layer.scaling["default"] * (x32 @ a.t()) @ b.t()
    truth = [out, *torch.autograd.grad(out, (x32, a, b), upstream.float())]

    assert layer.lora_A["default"].weight.dtype == torch.float32  # gradients for fp32 masters
    for name, got, theirs, want in zip(["out", "x", "A", "B"], fused, peft, truth, strict=True):
        assert _rel(got, want) <= 2 * _rel(theirs, want) + 1e-2, name  # about as exact as PEFT
        assert _rel(got, theirs) <= 2e-2, name


@pytest.mark.parametrize("quantized", [False, True], ids=["fp32-base", "nf4-base"])
def test_fused_function_with_dropout_has_exact_gradients_on_cuda(quantized) -> None:
    """fp32 on CUDA: the same dropout mask (same generator state) gives the same numbers as
    plain autograd math, to float rounding."""
    from finlora.train.base_matmul import dense_weight
    from finlora.train.fast_lora import LoRALinearFunction, base_inputs

    layer, _ = _lora_layer(quantized, torch.float32)
    packed, scales, nf4 = base_inputs(layer.get_base_layer())
    stored = layer.get_base_layer().weight if packed is None else packed
    weight = dense_weight(stored, scales, nf4, torch.float32).detach()
    x = torch.randn(2, 17, 256, device=CUDA, requires_grad=True)
    a = layer.lora_A["default"].weight
    b = layer.lora_B["default"].weight
    upstream = torch.randn(2, 17, 384, device=CUDA)

    torch.manual_seed(7)
    out = LoRALinearFunction.apply(x, a, b, stored, scales, None, nf4, 2.0, 0.3)
    got = torch.autograd.grad(out, (x, a, b), upstream)
    torch.manual_seed(7)
    xd, _ = torch.native_dropout(x.reshape(-1, 256), 0.3, True)
    want_out = x.reshape(-1, 256) @ weight.t() + 2.0 * (xd @ a.t()) @ b.t()
    want = torch.autograd.grad(want_out, (x, a, b), upstream.reshape(-1, 384))
    torch.testing.assert_close(out.reshape(-1, 384), want_out, rtol=1e-4, atol=1e-4)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g.reshape(w.shape), w, rtol=1e-4, atol=1e-4)


def test_fused_model_matches_peft_in_bf16_on_cuda(tiny_llama_path) -> None:
    """The whole answer-only loss of an nf4 model, bf16 compute, fused vs PEFT's layers."""
    config = TrainConfig(quantization="nf4", dtype="bf16", rank=8, dropout=0.0,
                         target_modules="all-linear", compile_layers=False, seed=3)
    model = build_model(tiny_llama_path, config, CUDA)
    randomize_lora_b(model, std=0.05)
    loss_fn = AnswerLoss(model)
    batch, normalizer = packed_batch(random_items([60, 45, 90, 30], answer=3, seed=0), CUDA)
    fused_loss, fused = loss_and_grads(loss_fn, batch, normalizer)
    assert set_fused(model, on=False) == 7 * 2  # every targeted layer is a fused one
    peft_loss, peft = loss_and_grads(loss_fn, batch, normalizer)
    assert fused_loss == pytest.approx(peft_loss, rel=1e-2)
    assert len(fused) == 2 * 7 * 2 and relative_difference(fused, peft) <= 5e-2
