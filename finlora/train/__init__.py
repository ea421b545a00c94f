"""finlora.train: QLoRA / LoRA finetuning on finlora tasks, on one process or many (DDP).

    from finlora.train import finetune, TrainConfig
    result = finetune("fpb", config=TrainConfig(max_steps=50), output_dir="runs/fpb")
    result.adapter_dir  # a standard PEFT adapter folder

See docs/training.md.
"""

from finlora.train.config import TARGET_PRESETS, TrainConfig
from finlora.train.export import merge_adapter
from finlora.train.loop import TrainResult, finetune

__all__ = ["TARGET_PRESETS", "TrainConfig", "TrainResult", "finetune", "merge_adapter"]
