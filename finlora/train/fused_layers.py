"""finlora's fused LoRA layers, as PEFT LoRA layers of their own.

`FusedLoraLinear` (over a plain nn.Linear) and `FusedLoraLinear4bit` (over a bitsandbytes nf4
Linear4bit) are subclasses of PEFT's own LoRA layers for those bases: same adapters
(`lora_A` / `lora_B`, fp32 masters), same `scaling`, same merging and saving, so the adapter
folder is standard PEFT and loads with plain PEFT. Only their `forward` differs: one autograd
function for the whole layer (`fast_lora.LoRALinearFunction`), whenever the call is the plain
training case (one active adapter, not merged, no PEFT variant such as DoRA, no extra
arguments); anything else goes to PEFT's forward.

PEFT creates them itself: `register_fused_layers(lora_config, quantization)` registers them
through PEFT's extension point for custom LoRA layers (`LoraConfig._register_custom_module`,
docs: huggingface.co/docs/peft/developer_guides/custom_models) before `get_peft_model`.
`set_fused(model, on)` switches the fused forward on or off (for A/B comparisons).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from peft.tuners.lora import Linear as PeftLoraLinear
from torch import nn

from finlora.train.fast_lora import LoRALinearFunction, base_inputs
from finlora.train.fp8_matmul import fp8_lora_forward


class FusedLora:
    """The fused forward shared by both layer classes (mixed in before PEFT's class, whose
    attributes it reads: adapters, dropout, scaling, the base layer; PEFT's own forward serves
    every call that is not the plain training case)."""

    fused: bool = True  # False: PEFT's own forward, always
    traced: bool = True  # False: torch.compile calls the fused function instead of tracing it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cache_base()

    def forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        if self.fusable(args, kwargs):
            return self.fused_forward(x) if self.traced else self._opaque_fused_forward(x)
        return self._peft_forward(x, *args, **kwargs)

    @torch.compiler.disable
    def _peft_forward(self, x: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
        """PEFT's forward, which a compiled block calls rather than traces."""
        return super().forward(x, *args, **kwargs)  # type: ignore[misc]

    @torch.compiler.disable
    def _opaque_fused_forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fused_forward(x)

    def cache_base(self) -> None:
        """Keep the nf4 base weight's packed bytes and fp32 block scales (double quantization
        undone once); call again if the base layer is moved to another device."""
        layer: Any = self
        self._base = base_inputs(layer.get_base_layer())

    def fusable(self, args: tuple, kwargs: dict) -> bool:
        """Whether this call is the plain case the fused function computes."""
        layer: Any = self
        adapters = layer.active_adapters
        return (self.fused and not args and not kwargs and not layer.disable_adapters
                and not layer.merged and len(adapters) == 1 and adapters[0] in layer.lora_A
                and adapters[0] not in layer.lora_variant)

    def fused_forward(self, x: torch.Tensor) -> torch.Tensor:
        layer: Any = self
        name = layer.active_adapters[0]
        dropout = layer.lora_dropout[name]
        p = dropout.p if isinstance(dropout, nn.Dropout) and layer.training else 0.0
        base = layer.get_base_layer()
        if getattr(self, "_fp8", None) is not None:  # fp8_base.use_fp8_base: fp8 base matmuls
            return fp8_lora_forward(x, layer.lora_A[name].weight, layer.lora_B[name].weight,
                                    self._fp8, base.bias, float(layer.scaling[name]), float(p),
                                    layer.training)
        packed, scales, nf4 = self._base
        return LoRALinearFunction.apply(
            x, layer.lora_A[name].weight, layer.lora_B[name].weight,
            base.weight if packed is None else packed, scales, base.bias, nf4,
            float(layer.scaling[name]), float(p))


class FusedLoraLinear(FusedLora, PeftLoraLinear):
    """PEFT's LoRA Linear over a plain nn.Linear, with the fused forward."""


def _peft_linear4bit() -> type | None:
    try:
        from peft.tuners.lora.bnb import Linear4bit
    except ImportError:  # pragma: no cover - bitsandbytes is a dependency
        return None
    return Linear4bit


_PeftLinear4bit = _peft_linear4bit()

if _PeftLinear4bit is not None:
    class FusedLoraLinear4bit(FusedLora, _PeftLinear4bit):  # type: ignore[misc, valid-type]
        """PEFT's LoRA Linear4bit over a bitsandbytes nf4 layer, with the fused forward (the
        weight is dequantized by one kernel in the forward and again in the backward)."""


def register_fused_layers(lora_config: Any, quantization: str) -> bool:
    """Have PEFT build finlora's fused layers over nn.Linear bases, and over bnb Linear4bit
    with 'nf4' (int8 keeps PEFT's layers); False if this PEFT cannot. A Linear4bit is an
    nn.Linear too, and PEFT takes the first registered type that matches: 4-bit goes first."""
    if quantization == "int8":
        return False
    if not hasattr(lora_config, "_register_custom_module"):  # PEFT older than 0.15
        warnings.warn("this PEFT has no custom LoRA layers: the fused LoRA layer is off",
                      RuntimeWarning, stacklevel=2)
        return False
    if quantization == "nf4":
        import bitsandbytes as bnb

        if _PeftLinear4bit is None:  # pragma: no cover
            return False
        lora_config._register_custom_module({bnb.nn.Linear4bit: FusedLoraLinear4bit})
    lora_config._register_custom_module({nn.Linear: FusedLoraLinear})
    return True


def set_fused(model: nn.Module, on: bool = True) -> int:
    """Switch the fused forward of every fused layer of `model` on (or off: PEFT's forward);
    return how many layers there are. Switching on refreshes their cached base weights."""
    layers = [m for m in model.modules() if isinstance(m, FusedLora)]
    for layer in layers:
        layer.fused = on
        if on:
            layer.cache_base()
    return len(layers)
