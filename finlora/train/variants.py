"""The LoRA variants finlora trains, one entry each: what PEFT is asked for, and whether
finlora's fused layer (`fast_lora.py`) computes it.

Adding a variant is one `LoraVariant(...)` line in `LORA_VARIANTS`: `TrainConfig.variant`
accepts its name, `finlora train --variant` passes it through, `lora_config` hands its keyword
arguments to `peft.LoraConfig`. Mark it `fused=True` only if a layer computes plain LoRA math,
y = W x + s · B A dropout(x), with PEFT's `scaling` as s (rsLoRA changes only s). A variant
with its own layer math (DoRA's magnitude vector) runs PEFT's own forward.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from finlora.errors import ConfigError


@dataclass(frozen=True)
class LoraVariant:
    """One LoRA variant: its name, the `peft.LoraConfig` keyword arguments that select it,
    and whether finlora's fused layer computes it."""

    name: str
    description: str
    peft_kwargs: dict[str, Any] = field(default_factory=dict)
    fused: bool = False


LORA_VARIANTS: dict[str, LoraVariant] = {v.name: v for v in (
    LoraVariant("lora", "LoRA (Hu et al. 2021): scale alpha / r.", {}, fused=True),
    LoraVariant("rslora", "rank-stabilized LoRA: scale alpha / sqrt(r).", {"use_rslora": True},
                fused=True),
    LoraVariant("dora", "DoRA: weight-decomposed LoRA (a learned magnitude per output).",
                {"use_dora": True}, fused=False),
)}


def get_variant(name: str) -> LoraVariant:
    """The registered variant called `name`; ConfigError naming the known ones otherwise."""
    try:
        return LORA_VARIANTS[name]
    except KeyError:
        raise ConfigError(f"variant: unknown LoRA variant {name!r}; known: "
                          f"{', '.join(sorted(LORA_VARIANTS))}") from None
