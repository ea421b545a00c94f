"""finlora.train: QLoRA / LoRA finetuning on finlora tasks, on one process or many (DDP).

    from finlora.train import finetune, TrainConfig
    result = finetune("fpb", config=TrainConfig(max_steps=50), output_dir="runs/fpb")
    result.adapter_dir  # a standard PEFT adapter folder

The recipe is train/recipe.py (setup_data / setup_model / setup_optimizer / train / save);
LoRA variants are registered in train/variants.py. See docs/training.md.
"""

from finlora.train.config import TARGET_PRESETS, TrainConfig
from finlora.train.export import merge_adapter
from finlora.train.recipe import TrainResult, finetune
from finlora.train.variants import LORA_VARIANTS, LoraVariant

__all__ = ["LORA_VARIANTS", "TARGET_PRESETS", "LoraVariant", "TrainConfig", "TrainResult",
           "finetune", "merge_adapter"]
