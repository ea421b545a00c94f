"""finlora.train: QLoRA / LoRA finetuning on finlora tasks, on one process or many (DDP).

    from finlora.train import finetune, TrainConfig
    result = finetune("fpb", config=TrainConfig(max_steps=50), output_dir="runs/fpb")
    result.adapter_dir  # a standard PEFT adapter folder

The recipe is train/recipe.py (setup_data / setup_model / setup_optimizer / train / save);
LoRA variants are registered in train/variants.py. See docs/training.md. Names are imported
when first used, so importing one submodule does not load the whole recipe.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LORA_VARIANTS": "finlora.train.variants",
    "LoraVariant": "finlora.train.variants",
    "TARGET_PRESETS": "finlora.train.config",
    "TrainConfig": "finlora.train.config",
    "TrainResult": "finlora.train.recipe",
    "finetune": "finlora.train.recipe",
    "merge_adapter": "finlora.train.export",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'finlora.train' has no attribute {name!r}")
