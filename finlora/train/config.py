"""`TrainConfig`: every finetuning setting, validated once, with FinLoRA's values as defaults.

FinLoRA (arXiv 2412.11378) trains with lr 1e-4 on a cosine schedule, LoRA alpha 16, dropout
0.05, rank 4 for 4-bit QLoRA and rank 8 for 8-bit / 16-bit LoRA, targets q/k/v, batch 8 with
gradient accumulation 2, for 4 epochs. Those are the defaults here. A config can be built in
Python, read from a YAML or TOML file (`TrainConfig.from_file`), and overridden field by field.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from finlora.errors import ConfigError
from finlora.train.variants import LORA_VARIANTS, get_variant

# LoRA target presets: module names as they appear in Llama-style decoders.
TARGET_PRESETS: dict[str, list[str]] = {
    "attention": ["q_proj", "k_proj", "v_proj"],
    "all-linear": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
}


class TrainConfig(BaseModel):
    """How to finetune. Unknown fields and out-of-range values are errors that name the field."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # base weights
    quantization: Literal["nf4", "int8", "none"] = Field(
        "nf4", description="Base weights: nf4 4-bit (double quant), int8, or none (16/32-bit).")
    dtype: Literal["auto", "bf16", "fp32"] = Field(
        "auto", description="Compute dtype: auto = bf16 on GPU, fp32 on CPU.")
    # adapter
    rank: int | None = Field(
        None, ge=1, le=1024, description="LoRA rank; None = FinLoRA's: 4 with nf4, else 8.")
    alpha: float = Field(16.0, gt=0, description="LoRA alpha (scale = alpha / rank).")
    dropout: float = Field(0.05, ge=0, lt=1, description="LoRA dropout.")
    target_modules: Literal["attention", "all-linear"] | list[str] = Field(
        "attention", description="'attention' (q,k,v: FinLoRA), 'all-linear', or module names.")
    variant: str = Field("lora", description="LoRA variant: a name in train/variants.py.")
    # optimisation
    learning_rate: float = Field(1e-4, gt=0, description="Peak learning rate (AdamW).")
    lr_schedule: Literal["cosine", "linear", "constant"] = Field(
        "cosine", description="After warm-up: cosine or linear decay to 0, or constant.")
    label_smoothing: float = Field(0.0, ge=0, lt=1,
                                   description="Label smoothing of the answer-token loss.")
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="Linear warm-up, share of steps.")
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float | None = Field(1.0, gt=0, description="Gradient clipping; None = off.")
    batch_size: int = Field(8, ge=1, description="Examples per micro-batch on each process.")
    grad_accum: int = Field(2, ge=1, description="Micro-batches per optimizer step.")
    epochs: float = Field(4.0, gt=0, description="Passes over the data (when max_steps is None).")
    max_steps: int | None = Field(None, ge=1, description="Optimizer steps; overrides epochs.")
    # data
    max_seq_len: int = Field(512, ge=8, description="Longest example (prompt + answer), tokens.")
    packing: bool = Field(True, description="Pack short examples into rows (no cross-attention).")
    chat_template: bool = Field(False, description="Wrap prompts in the tokenizer's chat template.")
    split: Literal["train", "dev", "test"] = Field("train", description="Task split to train on.")
    limit: int | None = Field(None, ge=1, description="Use at most this many examples per task.")
    # runtime
    gradient_checkpointing: bool = Field(False, description="Recompute activations (less memory).")
    fused_lora: bool = Field(True, description="finlora's fused LoRA layer (same math as PEFT, "
                             "less memory and time); off = PEFT's own forward.")
    base_precision: Literal["compute", "fp8"] = Field(
        "compute", description="Frozen base matmuls (forward, input gradient): in the compute "
        "dtype, or fp8 (Hopper / Ada GPUs; train/fp8_base.py). fp8 needs fused_lora.")
    compile_layers: bool | None = Field(
        None, description="torch.compile the decoder layers' norm / attention / MLP blocks "
        "(fused elementwise kernels); None = on with CUDA, off on CPU.")
    seed: int = Field(42, description="Seed for data order, adapter init and dropout.")
    save_every: int = Field(0, ge=0, description="Checkpoint every N steps (0 = only at the end).")
    log_every: int = Field(1, ge=1, description="Write a metrics line every N steps.")

    @field_validator("target_modules")
    @classmethod
    def _non_empty_targets(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError("give at least one module name, or a preset")
        return value

    @field_validator("variant")
    @classmethod
    def _known_variant(cls, value: str) -> str:
        if value not in LORA_VARIANTS:
            raise ValueError(f"unknown LoRA variant; known: {', '.join(sorted(LORA_VARIANTS))}")
        return value

    @model_validator(mode="after")
    def _rank_default(self) -> TrainConfig:
        if self.rank is None:
            # bypass validate_assignment recursion
            object.__setattr__(self, "rank", 4 if self.quantization == "nf4" else 8)
        return self

    @model_validator(mode="after")
    def _fp8_needs_fused(self) -> TrainConfig:
        if self.base_precision == "fp8" and (not self.fused_lora or self.quantization == "int8"
                                             or not get_variant(self.variant).fused):
            raise ValueError("base_precision fp8 runs in finlora's fused LoRA layers: it needs "
                             "fused_lora on, quantization nf4 or none, and a fused variant "
                             "(lora, rslora)")
        return self

    @property
    def target_module_names(self) -> list[str]:
        """The module names LoRA attaches to (presets expanded)."""
        if isinstance(self.target_modules, str):
            return list(TARGET_PRESETS[self.target_modules])
        return list(self.target_modules)

    @classmethod
    def build(cls, **values: Any) -> TrainConfig:
        """Validate `values`; a bad value is a ConfigError naming the field."""
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    @classmethod
    def from_file(cls, path: str | Path, **overrides: Any) -> TrainConfig:
        """Read a YAML (.yaml/.yml) or TOML (.toml) file; `overrides` (non-None) win."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix == ".toml":
                values = tomllib.loads(text)
            elif path.suffix in (".yaml", ".yml"):
                import yaml

                values = yaml.safe_load(text) or {}
            elif path.suffix == ".json":
                values = json.loads(text)
            else:
                raise ConfigError(f"{path}: use a .yaml, .yml, .toml or .json config file")
        except (tomllib.TOMLDecodeError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot parse: {exc}") from None
        except Exception as exc:  # yaml.YAMLError without importing yaml at module level
            if type(exc).__module__.startswith("yaml"):
                raise ConfigError(f"{path}: cannot parse YAML: {exc}") from None
            raise
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: expected a mapping of settings at the top level")
        values = dict(values.get("train", values))  # allow a [train] table / train: section
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(f"{path}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "config"
        parts.append(f"{field}: {error['msg']} (got {error.get('input')!r})")
    return "invalid training config: " + "; ".join(parts)
