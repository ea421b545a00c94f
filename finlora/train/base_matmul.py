"""The frozen base layer's two matrix products in a fused LoRA layer, as opaque torch ops.

`base_linear` (forward: x W^T + bias) and `base_grad_input` (backward: g W) take an nf4 weight
as its packed bytes and fp32 block scales and dequantize it inside the op, into a temporary
that is freed when the op returns. Registered with `torch.library.custom_op`, they are single
nodes to torch.compile: no dense weight ever appears in a traced forward + backward graph,
so none can be saved from forward to backward, whatever the partitioner or its
common-subexpression elimination decides (merging the two dequantizations of the traced
graph kept every layer's dense weight alive: +14 GiB on an 8B model). Plain weights (no nf4)
take the eager ops directly.
"""

from __future__ import annotations

import torch
from torch import nn


def dense_weight(weight: torch.Tensor, scales: torch.Tensor | None, nf4: tuple | None,
                 dtype: torch.dtype) -> torch.Tensor:
    """The base weight as a dense (out, in) matrix in `dtype`: nf4 is dequantized by one
    bitsandbytes kernel (`nf4` = blocksize, quant type, shape; `weight` the packed bytes)."""
    if nf4 is None:
        return weight.to(dtype)
    blocksize, quant_type, shape = nf4
    dense = torch.ops.bitsandbytes.dequantize_4bit.default(weight, scales, blocksize, quant_type,
                                                           list(shape), dtype)
    return dense.t() if weight.shape[0] == 1 else dense  # bnb's transposed packing, if any


@torch.library.custom_op("finlora::nf4_linear", mutates_args=())
def _nf4_linear(x: torch.Tensor, packed: torch.Tensor, scales: torch.Tensor,
                bias: torch.Tensor | None, blocksize: int, quant_type: str,
                shape: list[int]) -> torch.Tensor:
    weight = dense_weight(packed, scales, (blocksize, quant_type, tuple(shape)), x.dtype)
    return nn.functional.linear(x, weight, None if bias is None else bias.to(x.dtype))


@_nf4_linear.register_fake
def _(x, packed, scales, bias, blocksize, quant_type, shape):
    return x.new_empty((x.shape[0], shape[0]))


@torch.library.custom_op("finlora::nf4_grad_input", mutates_args=())
def _nf4_grad_input(g: torch.Tensor, packed: torch.Tensor, scales: torch.Tensor, blocksize: int,
                    quant_type: str, shape: list[int]) -> torch.Tensor:
    return g @ dense_weight(packed, scales, (blocksize, quant_type, tuple(shape)), g.dtype)


@_nf4_grad_input.register_fake
def _(g, packed, scales, blocksize, quant_type, shape):
    return g.new_empty((g.shape[0], shape[1]))


def base_linear(x: torch.Tensor, weight: torch.Tensor, scales: torch.Tensor | None,
                bias: torch.Tensor | None, nf4: tuple | None) -> torch.Tensor:
    """x (N, in) W^T + bias in x's dtype; `weight` is the packed nf4 bytes when `nf4` is given."""
    if nf4 is None:
        return nn.functional.linear(x, weight.to(x.dtype), None if bias is None else
                                    bias.to(x.dtype))
    blocksize, quant_type, shape = nf4
    return _nf4_linear(x, weight, scales, bias, blocksize, quant_type, list(shape))


def base_grad_input(g: torch.Tensor, weight: torch.Tensor, scales: torch.Tensor | None,
                    nf4: tuple | None) -> torch.Tensor:
    """g (N, out) W: the base layer's share of the input gradient, in g's dtype."""
    if nf4 is None:
        return g @ weight.to(g.dtype)
    blocksize, quant_type, shape = nf4
    return _nf4_grad_input(g, weight, scales, blocksize, quant_type, list(shape))
