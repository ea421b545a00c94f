"""A fused forward/backward for LoRA layers on plain or bitsandbytes-nf4 linear layers.

PEFT's LoRA forward (for the same math: y = W x + s · B A dropout(x)) clones the base output,
casts the input to fp32 for the fp32 adapter weights, materialises the dropout output, runs
the two small matmuls in fp32 and adds a cast copy back. On a large model that is several
copies of every activation, kept alive for the backward pass. Here one autograd function
does the whole layer in the compute dtype: the adapter product is accumulated into the base
output in place, and the backward keeps only the layer input (one tensor shared by q/k/v or
gate/up), a boolean dropout mask and the rank-r intermediate: it recomputes the dropped-out
input (one elementwise kernel) instead of keeping a copy per layer, and it dequantizes an nf4 weight again rather than keeping it (inside opaque ops,
base_matmul.py, so that a compiled graph cannot keep the dense weight either). The double
quantization of nf4 block scales is undone once, when the layer is built (`_nf4_scales`).
The adapter weights stay fp32 masters (gradients come back in fp32); the saved adapter is
unchanged, standard PEFT.

The layers that call it are fused_layers.py's (PEFT LoRA layers of finlora's own, for plain
LoRA / rsLoRA over nn.Linear or bnb Linear4bit bases); DoRA and int8 layers keep PEFT's.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from finlora.train.base_matmul import base_grad_input, base_linear


def _nf4_scales(state: Any) -> torch.Tensor:
    """The fp32 block scales of a bnb 4-bit weight, with double quantization undone.

    bitsandbytes undoes the double quantization of the scales on every dequantization (two
    more kernels and a page of Python per call); a frozen base weight needs it once. The
    cache (each fused layer keeps its own) costs 4 bytes per 64 weights: 0.44 GB for an 8B
    model.
    """
    if state.nested:
        import bitsandbytes.functional as bnbf

        return (bnbf.dequantize_blockwise(state.absmax, state.state2) + state.offset).float()
    return state.absmax.float()




class LoRALinearFunction(torch.autograd.Function):
    """y = x W^T (+ bias) + scaling · (dropout(x) A^T) B^T, with a lean backward.

    Takes only tensors and constants, so torch.compile can trace it into a decoder layer's
    graph (`compile_layers`); `weight` is the packed nf4 bytes when `nf4` is given.
    """

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lora_a: torch.Tensor, lora_b: torch.Tensor,
                weight: torch.Tensor, scales: torch.Tensor | None, bias: torch.Tensor | None,
                nf4: tuple | None, scaling: float, dropout: float) -> torch.Tensor:
        shape = x.shape
        x2 = x.reshape(-1, shape[-1])
        dtype = x.dtype
        out = base_linear(x2, weight, scales, bias, nf4)
        a = lora_a.to(dtype)
        b = lora_b.to(dtype)
        mask = None
        if dropout > 0:
            xd, mask = torch.native_dropout(x2, dropout, True)  # one kernel: output and mask
        else:
            xd = x2
        t = xd @ a.t()
        out.addmm_(t, b.t(), alpha=scaling)
        # The input is kept, not the dropped-out input: the input is one tensor shared by q, k,
        # v (gate, up) and often saved anyway; the backward recomputes x · mask from it.
        ctx.save_for_backward(x2, t, a, b, mask, weight, scales)
        ctx.nf4 = nf4
        ctx.scaling = scaling
        ctx.keep_scale = 1.0 / (1.0 - dropout)
        ctx.shape = shape
        ctx.master_dtypes = (lora_a.dtype, lora_b.dtype)
        return out.view(*shape[:-1], out.shape[-1])

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple:
        x2, t, a, b, mask, weight, scales = ctx.saved_tensors
        g = grad_out.reshape(-1, grad_out.shape[-1])
        scaling = ctx.scaling
        grad_x = grad_a = grad_b = None
        gt = (g @ b).mul_(scaling)  # (N, r)
        if ctx.needs_input_grad[2]:
            grad_b = (g.t() @ t).mul_(scaling).to(ctx.master_dtypes[1])
        if ctx.needs_input_grad[1]:
            xd = x2 if mask is None else torch.ops.aten.native_dropout_backward(
                x2, mask, ctx.keep_scale)  # = the forward's dropout output, recomputed
            grad_a = (gt.t() @ xd).to(ctx.master_dtypes[0])
        if ctx.needs_input_grad[0]:
            grad_x = base_grad_input(g, weight, scales, ctx.nf4)
            if mask is not None:  # the adapter's share, through the same dropout mask
                grad_x.add_(torch.ops.aten.native_dropout_backward(gt @ a, mask, ctx.keep_scale))
            else:
                grad_x.addmm_(gt, a)
            grad_x = grad_x.view(ctx.shape)
        return grad_x, grad_a, grad_b, None, None, None, None, None, None


def base_inputs(base: nn.Module) -> tuple:
    """(packed bytes, fp32 block scales, (blocksize, quant type, shape)) of an nf4 base layer;
    (None, None, None) for a plain one, whose weight is read at each call."""
    state = getattr(base.weight, "quant_state", None)
    if state is None:
        return None, None, None
    return base.weight.data, _nf4_scales(state), (state.blocksize, state.quant_type,
                                                  tuple(state.shape))
