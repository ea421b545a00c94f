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

The arithmetic is in fp8_matmul.py. On a CPU (tests) it runs emulated: the fp8 values
(`.to(torch.float8_*)`) multiplied in fp32 and scaled, so its rounding matches the GPU's up to
accumulation order.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from finlora.errors import ConfigError
from finlora.train.base_matmul import dense_weight
from finlora.train.fp8_matmul import quantize_weight
from finlora.train.fused_layers import FusedLora

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


def use_fp8_base(model: nn.Module, device: torch.device | str | None = None) -> int:
    """Quantize the base weight of every fused LoRA layer of `model` to fp8 (once) and switch
    their fused forward to the fp8 base matmuls; return how many layers were converted
    (layers whose shape `_scaled_mm` cannot take keep the compute-dtype base).

    `device` (default: where the model's parameters are) must have fp8 tensor cores."""
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
        dense = dense_weight(base.weight if packed is None else packed, scales, nf4,
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
