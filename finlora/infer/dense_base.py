"""A bf16 copy of a 4-bit base model's weights, for inference only.

bitsandbytes' nf4 layers dequantize their whole weight on every call with more than one token
(one read of the 4-bit weight, one write and one read of a bf16 copy), then multiply in bf16.
For label scoring, whose forward passes are short, that is a large share of the time. With
`DenseBase` each nf4 weight is dequantized once, kept in bf16 (for an 8B model: ~15 GB of GPU
memory beside the ~5 GB of nf4 weights) and used while the context is active; PEFT's LoRA layers
around the nf4 layers keep working, since they call their base layer. The copy is taken from
the weights as they are: make a new one if the base weights change. `dense_fits` says whether
the copy fits in free GPU memory (the packed scorer's default uses it only then).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch.nn import functional


def four_bit_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """bitsandbytes 4-bit linear layers (not PEFT's wrappers around them)."""
    return [module for _, module in _named_four_bit(model)]


def _named_four_bit(model: torch.nn.Module) -> list[tuple[str, torch.nn.Module]]:
    return [(name, m) for name, m in model.named_modules()
            if hasattr(getattr(m, "weight", None), "quant_state") and not hasattr(m, "base_layer")]


class DenseLinear(torch.nn.Module):
    """Stands in for a 4-bit layer while a `DenseBase` is active: the same product with the
    layer's bf16 copy (its input cast to the copy's dtype, its output back to the input's)."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.weight, self.bias = weight, bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return functional.linear(x.to(self.weight.dtype), self.weight, self.bias).to(x.dtype)


def _swap(model: torch.nn.Module, name: str, module: torch.nn.Module) -> None:
    parent, _, child = name.rpartition(".")
    setattr(model.get_submodule(parent), child, module)


class DenseBase:
    """Dense copies of a model's 4-bit weights (in each layer's compute dtype, bf16 when it
    has none), made on first use and kept by the layer's name in the model."""

    def __init__(self, dtype: torch.dtype = torch.bfloat16) -> None:
        self.dtype = dtype
        self.weights: dict[str, torch.Tensor] = {}

    @property
    def nbytes(self) -> int:
        return sum(w.numel() * w.element_size() for w in self.weights.values())

    def _dense(self, name: str, module: torch.nn.Module) -> torch.Tensor:
        weight = self.weights.get(name)
        if weight is None:
            import bitsandbytes.functional as bnbf

            packed = module.weight
            dtype = getattr(module, "compute_dtype", None) or self.dtype
            weight = bnbf.dequantize_4bit(packed.data, packed.quant_state).to(dtype)
            self.weights[name] = weight
        return weight

    @contextlib.contextmanager
    def active(self, model: torch.nn.Module) -> Iterator[int]:
        """Inside, each 4-bit layer of `model` is swapped (as a submodule, through the public
        `nn.Module` API) for a `DenseLinear` over its bf16 copy; yields how many. PEFT's LoRA
        layers keep working around the swapped base layer; the 4-bit layers come back on exit."""
        layers = _named_four_bit(model)
        for name, module in layers:
            _swap(model, name, DenseLinear(self._dense(name, module), module.bias))
        try:
            yield len(layers)
        finally:
            for name, module in layers:
                _swap(model, name, module)


DENSE_MARGIN = 4 * 2**30  # bytes of GPU memory left free beside a dense copy (activations)


def dense_bytes(model: torch.nn.Module, dtype: torch.dtype = torch.bfloat16) -> int:
    """Bytes a `DenseBase` copy of `model`'s 4-bit weights takes (0 when it has none)."""
    total = 0
    for module in four_bit_layers(model):
        shape = module.weight.quant_state.shape
        each = torch.empty((), dtype=getattr(module, "compute_dtype", None) or dtype)
        total += int(torch.Size(shape).numel()) * each.element_size()
    return total


def dense_fits(model: torch.nn.Module, margin: int = DENSE_MARGIN) -> bool:
    """Whether a dense copy of the 4-bit weights fits in free GPU memory with `margin` left."""
    needed = dense_bytes(model)
    if not needed:
        return False
    device = next(model.parameters()).device
    if device.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(device)
    free += torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)  # cached
    return needed + margin <= free
