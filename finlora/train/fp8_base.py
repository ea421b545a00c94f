"""An opt-in fp8 path for the frozen base matmuls of the fused LoRA layers (Hopper / Ada).

`TrainConfig(base_precision="fp8")` (`finlora train --fp8-base`): each fused LoRA layer's
frozen base weight is quantized once to float8_e4m3fn with one scale per output channel (from
the dense weight: nf4 dequantized first, or the bf16 weight as it is). Then, per call:

- forward: y = x W^T with `torch._scaled_mm`, x quantized dynamically to e4m3 with one scale
  per token (row-wise scaling on both sides; bf16 output);
- input gradient: grad_x = grad_y W, a second fp8 matmul: grad_y times the weight's channel
  scales is quantized to e5m2 (more range, less precision: the usual choice for gradients)
  with one scale for the tensor; the weight's transposed layout is made on the fly (one
  copy of 1 byte per weight, freed after the layer's backward);
- no weight gradient (the base is frozen). The LoRA part is unchanged, in the compute dtype.

`_scaled_mm` needs both dimensions of the weight to be multiples of 16; a layer whose shape
is not keeps its bf16 base matmul (`use_fp8_base` counts the layers it converted). The fp8
copy (1 byte per weight) is kept beside the base layer's own weight, which PEFT's unfused
forward, merging and DoRA still read.

On a CPU (tests) the same arithmetic runs emulated: the fp8 values (`.to(torch.float8_*)`)
multiplied in fp32 and scaled, so its rounding matches the GPU's up to accumulation order.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from finlora.errors import ConfigError

E4M3 = torch.float8_e4m3fn
E5M2 = torch.float8_e5m2
E4M3_MAX = torch.finfo(E4M3).max  # 448
E5M2_MAX = torch.finfo(E5M2).max  # 57344
MIN_CAPABILITY = (8, 9)  # fp8 tensor cores: Ada (8.9) and Hopper (9.0) onwards


def check_fp8_device(device: torch.device | str) -> None:
    """ConfigError unless `device` is a CUDA GPU with fp8 tensor cores."""
    device = torch.device(device)
    if device.type != "cuda" or not torch.cuda.is_available():
        raise ConfigError(f"base_precision: fp8 needs a CUDA GPU with fp8 tensor cores "
                          f"(Hopper, Ada); the device is {device}. Use base_precision: compute")
    capability = torch.cuda.get_device_capability(device)
    if capability < MIN_CAPABILITY:
        raise ConfigError(f"base_precision: fp8 needs compute capability 8.9 or newer (Hopper, "
                          f"Ada); {torch.cuda.get_device_name(device)} is "
                          f"{capability[0]}.{capability[1]}. Use base_precision: compute")


def fp8_shape_ok(out_features: int, in_features: int) -> bool:
    """Whether `_scaled_mm` takes a weight of this shape (both dimensions multiples of 16)."""
    return out_features % 16 == 0 and in_features % 16 == 0


def quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(e4m3 weight (out, in), fp32 scale per output channel (out,)): weight ≈ q * scale."""
    w = weight.detach().float()
    scale = (w.abs().amax(dim=1) / E4M3_MAX).clamp_(min=1e-12)
    q = (w / scale[:, None]).clamp_(-E4M3_MAX, E4M3_MAX).to(E4M3)
    return q, scale


def quantize_rows(x: torch.Tensor, dtype: torch.dtype = E4M3) -> tuple[torch.Tensor, torch.Tensor]:
    """(fp8 x, fp32 scale per row (rows, 1)): x ≈ q * scale, each row scaled to fp8's range."""
    top = torch.finfo(dtype).max
    scale = (x.detach().abs().amax(dim=-1, keepdim=True).float() / top).clamp_(min=1e-12)
    return (x.float() / scale).clamp_(-top, top).to(dtype), scale


def quantize_tensor(x: torch.Tensor, dtype: torch.dtype = E5M2) -> tuple[torch.Tensor, torch.Tensor]:
    """(fp8 x, fp32 scalar scale): one scale for the whole tensor."""
    top = torch.finfo(dtype).max
    scale = (x.detach().abs().amax().float() / top).clamp_(min=1e-12)
    return (x.float() / scale).clamp_(-top, top).to(dtype), scale


def scaled_mm(a: torch.Tensor, b: torch.Tensor, scale_a: torch.Tensor, scale_b: torch.Tensor,
              out_dtype: torch.dtype) -> torch.Tensor:
    """(a * scale_a) @ (b * scale_b) for fp8 `a` (M, K) and `b` (K, N): `torch._scaled_mm` on
    CUDA (a row-major, b column-major), emulated in fp32 elsewhere."""
    if a.is_cuda:
        return torch._scaled_mm(a, b, scale_a=scale_a, scale_b=scale_b, out_dtype=out_dtype)
    return ((a.float() @ b.float()) * scale_a * scale_b).to(out_dtype)


class Fp8BaseFunction(torch.autograd.Function):
    """y = x W^T with an fp8 weight (`weight` e4m3 (out, in), `scale` (out,)); the backward
    returns only grad_x (fp8 again: grad_y · scale in e5m2 times the e4m3 weight)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor,
                scale: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        xq, x_scale = quantize_rows(x2, E4M3)
        # row-wise scaled fp8 matmuls give bf16 (any other compute dtype: cast after)
        out = scaled_mm(xq, weight.t(), x_scale, scale.view(1, -1), torch.bfloat16).to(x.dtype)
        ctx.save_for_backward(weight, scale)
        ctx.shape = shape
        return out.view(*shape[:-1], out.shape[-1])

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple:
        weight, scale = ctx.saved_tensors
        if not ctx.needs_input_grad[0]:
            return None, None, None
        g = grad_out.reshape(-1, grad_out.shape[-1])
        # grad_x = g @ (diag(scale) q) = (g · scale) @ q: the channel scales move onto g
        gq, g_scale = quantize_tensor(g.float() * scale, E5M2)
        w_t = weight.t().contiguous()  # (in, out) row-major: `.t()` is the column-major (out, in)
        one = torch.ones((), device=g.device, dtype=torch.float32)
        grad_x = scaled_mm(gq, w_t.t(), g_scale, one, torch.bfloat16).to(grad_out.dtype)
        return grad_x.view(ctx.shape), None, None


def fp8_lora_forward(x: torch.Tensor, lora_a: torch.Tensor, lora_b: torch.Tensor,
                     fp8: tuple[torch.Tensor, torch.Tensor], bias: torch.Tensor | None,
                     scaling: float, dropout: float, training: bool) -> torch.Tensor:
    """A LoRA layer with the fp8 base: fp8(x W^T) (+ bias) + scaling · dropout(x) A^T B^T, the
    adapter part in x's dtype (the fp32 masters get their gradients through the casts)."""
    out = Fp8BaseFunction.apply(x, *fp8)
    if bias is not None:
        out = out + bias.to(out.dtype)
    # native_dropout, as fast_lora's: the same masks as the compute-dtype layer draws
    xd = torch.native_dropout(x, dropout, True)[0] if dropout > 0 and training else x
    lora = (xd @ lora_a.to(x.dtype).t()) @ lora_b.to(x.dtype).t()
    return out + lora * scaling


def use_fp8_base(model: nn.Module, device: torch.device | str | None = None) -> int:
    """Quantize the base weight of every fused LoRA layer of `model` to fp8 (once) and switch
    their fused forward to the fp8 base matmuls; return how many layers were converted
    (layers whose shape `_scaled_mm` cannot take keep the compute-dtype base).

    `device` (default: where the model's parameters are) must have fp8 tensor cores."""
    from finlora.train.fast_lora import _dense_weight
    from finlora.train.fused_layers import FusedLora

    layers = [m for m in model.modules() if isinstance(m, FusedLora)]
    if not layers:
        raise ConfigError("base_precision: fp8 runs in finlora's fused LoRA layers, and this "
                          "model has none (fused_lora off, int8 or a variant such as DoRA)")
    if device is None:
        device = next(model.parameters()).device
    check_fp8_device(device)
    converted = 0
    for layer in layers:
        base: Any = layer.get_base_layer()  # type: ignore[attr-defined]
        packed, scales, nf4 = base_inputs_of(layer)
        dense = _dense_weight(base.weight if packed is None else packed, scales, nf4,
                              torch.bfloat16)
        if not fp8_shape_ok(*dense.shape):
            layer._fp8 = None  # type: ignore[attr-defined]
            continue
        layer._fp8 = quantize_weight(dense)  # type: ignore[attr-defined]
        converted += 1
        del dense
    return converted


def base_inputs_of(layer: Any) -> tuple:
    """The layer's cached (packed, scales, nf4) base inputs, cached again if dropped."""
    if getattr(layer, "_base", None) is None:
        layer.cache_base()
    return layer._base
