"""What training trains: a frozen (quantized) base with LoRA adapters, and an answer-only loss.

`AnswerLoss` runs the decoder, keeps only the hidden states at answer positions, and only
then applies the LM head, in chunks, so full-vocabulary fp32 logits are never built for the
prompt tokens (most of a financial training example).
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from finlora.errors import ConfigError, ModelError
from finlora.models import default_dtype, load_base_model, split_causal_lm
from finlora.train.compiled_layers import (
    compile_decoder_layers,
    compiler_settings,
    compiler_works,
)
from finlora.train.config import TrainConfig
from finlora.train.data import IGNORE_INDEX
from finlora.train.variants import get_variant

if TYPE_CHECKING:
    from peft import PeftModel

CE_CHUNK = 4096  # answer positions per LM-head chunk


def compute_dtype(config: TrainConfig, device: torch.device) -> torch.dtype:
    if config.dtype == "bf16":
        return torch.bfloat16
    if config.dtype == "fp32":
        return torch.float32
    return default_dtype(device)


def check_target_modules(model_path: str, names: list[str]) -> None:
    """ConfigError if some target module name matches no Linear layer of the model.

    Builds the architecture on the meta device (no weights), so it costs milliseconds even
    for a 70B model, and runs before any weights are loaded.
    """
    from transformers import AutoConfig, AutoModelForCausalLM

    try:
        model_config = AutoConfig.from_pretrained(model_path)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read the config of model {model_path!r}: {exc}") from exc
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(model_config)
    leaves = {name.rsplit(".", 1)[-1] for name, module in model.named_modules()
              if isinstance(module, nn.Linear) or "Linear" in type(module).__name__}
    missing = [n for n in names if n not in leaves]
    if missing:
        raise ConfigError(
            f"target_modules: {missing} not found in the model; its linear layers are "
            f"{sorted(leaves)}. Use a preset ('attention', 'all-linear') or these names.")


def lora_config(config: TrainConfig) -> Any:
    """The `peft.LoraConfig` of `config`: rank, alpha, dropout, targets and the variant's own
    keyword arguments (train/variants.py); with `fused_lora` (and a variant the fused layer
    computes) PEFT builds finlora's fused layers (train/fused_layers.py)."""
    from peft import LoraConfig

    peft_config = LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=config.target_module_names,
        bias="none",
        task_type="CAUSAL_LM",
        **get_variant(config.variant).peft_kwargs,
    )
    if config.fused_lora and get_variant(config.variant).fused:
        from finlora.train.fused_layers import register_fused_layers

        register_fused_layers(peft_config, config.quantization)
    return peft_config


def build_model(model_path: str, config: TrainConfig, device: torch.device) -> PeftModel:
    """Load the base (quantized as configured), freeze it and attach fresh LoRA adapters."""
    from peft import get_peft_model

    dtype = compute_dtype(config, device)
    if config.base_precision == "fp8":  # a cheap check before any weights are loaded
        from finlora.train.fp8_base import check_fp8_device

        check_fp8_device(device)
    base = load_base_model(model_path, quantization=config.quantization, dtype=dtype,
                           device=device)
    base.config.use_cache = False
    for param in base.parameters():
        param.requires_grad_(False)
    if config.gradient_checkpointing:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    torch.manual_seed(config.seed)  # adapter init is part of the reproducible state
    # peft keeps the adapter weights in fp32 (autocast_adapter_dtype) over a bf16 base
    model = get_peft_model(base, lora_config(config))
    if config.base_precision == "fp8":
        from finlora.train.fp8_base import use_fp8_base

        use_fp8_base(model, device)
    if config.compile_layers or (config.compile_layers is None and device.type == "cuda"):
        problem = compiler_works(device)
        if problem is None:
            compile_decoder_layers(model)
        elif config.compile_layers:
            raise ConfigError(f"compile_layers: torch.compile does not work on {device} here "
                              f"({problem}); set compile_layers: false")
        else:
            warnings.warn(f"torch.compile does not work on {device} here ({problem}); "
                          "decoder layers stay eager", RuntimeWarning, stacklevel=2)
    model.train()
    return model


class AnswerLoss(nn.Module):
    """Summed cross-entropy over answer tokens (optionally label-smoothed), divided by
    `normalizer`.

    Wrap this module (not the PEFT model) in DDP: its forward is the whole training graph.
    """

    def __init__(self, model: PeftModel, label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.model = model
        self.label_smoothing = label_smoothing
        self.decoder, self.lm_head = split_causal_lm(model)
        if self.decoder is None or self.lm_head is None:
            raise ModelError("the base model has no decoder / output embeddings to train")

    def forward(self, input_ids: torch.Tensor, position_ids: torch.Tensor, labels: torch.Tensor,
                normalizer: float) -> torch.Tensor:
        with compiler_settings():  # compiled blocks may recompile on a new shape
            hidden = self.decoder(input_ids=input_ids, position_ids=position_ids,
                                  use_cache=False).last_hidden_state
        keep = labels != IGNORE_INDEX
        hidden = hidden[keep]
        targets = labels[keep]
        total = hidden.new_zeros((), dtype=torch.float32)
        for start in range(0, targets.numel(), CE_CHUNK):
            logits = self.lm_head(hidden[start:start + CE_CHUNK]).float()
            total = total + nn.functional.cross_entropy(
                logits, targets[start:start + CE_CHUNK], reduction="sum",
                label_smoothing=self.label_smoothing)
        return total / normalizer


def trainable_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trainable parameters (LoRA / DoRA weights) by name."""
    return {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
