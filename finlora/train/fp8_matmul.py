"""The fp8 arithmetic of the fp8 base path (train/fp8_base.py has the option and its checks).

`Fp8BaseFunction`: y = x W^T with `torch._scaled_mm` (x quantized per token to e4m3, W stored
in e4m3 with a scale per output channel), and grad_x = grad_y W as a second fp8 matmul (grad_y
times the channel scales, in e5m2 with one scale); no weight gradient. On a CPU the same fp8
values are multiplied in fp32 (emulation, for tests).
"""

from __future__ import annotations

from typing import Any

import torch

E4M3 = torch.float8_e4m3fn
E5M2 = torch.float8_e5m2
E4M3_MAX = torch.finfo(E4M3).max  # 448
E5M2_MAX = torch.finfo(E5M2).max  # 57344


def to_fp8(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The one rounding step of every quantizer here (a test swaps it for the identity, to
    check that the scales and layouts alone reproduce the bf16 matmuls)."""
    return x.to(dtype)


def quantize_weight(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(e4m3 weight (out, in), fp32 scale per output channel (out,)): weight ≈ q * scale."""
    w = weight.detach().float()
    scale = (w.abs().amax(dim=1) / E4M3_MAX).clamp_(min=1e-12)
    q = to_fp8((w / scale[:, None]).clamp_(-E4M3_MAX, E4M3_MAX), E4M3)
    return q, scale


def quantize_rows(x: torch.Tensor, dtype: torch.dtype = E4M3) -> tuple[torch.Tensor, torch.Tensor]:
    """(fp8 x, fp32 scale per row (rows, 1)): x ≈ q * scale, each row scaled to fp8's range."""
    top = torch.finfo(dtype).max
    scale = (x.detach().abs().amax(dim=-1, keepdim=True).float() / top).clamp_(min=1e-12)
    return to_fp8((x.float() / scale).clamp_(-top, top), dtype), scale


def quantize_tensor(x: torch.Tensor, dtype: torch.dtype = E5M2) -> tuple[torch.Tensor, torch.Tensor]:
    """(fp8 x, fp32 scalar scale): one scale for the whole tensor."""
    top = torch.finfo(dtype).max
    scale = (x.detach().abs().amax().float() / top).clamp_(min=1e-12)
    return to_fp8((x.float() / scale).clamp_(-top, top), dtype), scale


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
