"""Recipe levers beyond FinLoRA's defaults: the learning-rate schedule, and a hook called at
the end of every epoch — with `BestOnDev`, per-epoch evaluation on the dev split and model
selection on it (never on test).

    best = BestOnDev(lambda model: dev_accuracy(model))
    finetune("fpb", config=config, output_dir="runs/fpb", on_epoch_end=best)
    best.history   # [{"epoch": 1, "step": 120, "dev": 0.81}, ...]; the adapter saved is the best

Label smoothing lives in `AnswerLoss` (`TrainConfig.label_smoothing`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch

SCHEDULES = ("cosine", "linear", "constant")


def make_scheduler(optimizer: torch.optim.Optimizer, schedule: str, warmup_steps: int,
                   total_steps: int) -> Any:
    """Linear warm-up, then cosine decay to 0, linear decay to 0, or a constant rate."""
    from transformers import (
        get_constant_schedule_with_warmup,
        get_cosine_schedule_with_warmup,
        get_linear_schedule_with_warmup,
    )

    if schedule == "cosine":
        return get_cosine_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    if schedule == "linear":
        return get_linear_schedule_with_warmup(optimizer, warmup_steps, total_steps)
    if schedule == "constant":
        return get_constant_schedule_with_warmup(optimizer, warmup_steps)
    raise ValueError(f"lr schedule {schedule!r}: choose from {SCHEDULES}")


@dataclass(frozen=True)
class EpochEnd:
    """Training reached the end of epoch `epoch` (1-based) at optimizer step `step`; `final`:
    the last step of the run (a fractional last epoch counts as one)."""

    epoch: int
    step: int
    final: bool


class EpochHook(Protocol):
    def __call__(self, end: EpochEnd, model: torch.nn.Module) -> None: ...


def epoch_end(steps_per_epoch: float, step: int, total_steps: int) -> EpochEnd | None:
    """The EpochEnd reached at optimizer step `step` (1-based), or None mid-epoch."""
    final = step == total_steps
    whole = math.floor(step / steps_per_epoch + 1e-9)
    if final:
        return EpochEnd(max(1, round(step / steps_per_epoch)), step, final)
    if whole > math.floor((step - 1) / steps_per_epoch + 1e-9):
        return EpochEnd(whole, step, final)
    return None


def trainable_copy(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the trainable (adapter) parameters."""
    return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters()
            if p.requires_grad}


class BestOnDev:
    """An epoch hook: score the model on dev after each epoch (`score(model)`, higher is
    better), keep the best adapter weights, and put them back into the model at the end, so
    the adapter `finetune` saves is the one of the best dev epoch."""

    def __init__(self, score: Callable[[torch.nn.Module], float]) -> None:
        self.score = score
        self.history: list[dict[str, Any]] = []
        self.best: tuple[float, int, dict[str, torch.Tensor]] | None = None

    @property
    def best_epoch(self) -> int | None:
        return self.best[1] if self.best else None

    def __call__(self, end: EpochEnd, model: torch.nn.Module) -> None:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            value = float(self.score(model))
        model.train(was_training)
        self.history.append({"epoch": end.epoch, "step": end.step, "dev": value})
        if self.best is None or value > self.best[0]:
            self.best = (value, end.epoch, trainable_copy(model))
        if end.final and self.best is not None:
            params = dict(model.named_parameters())
            with torch.no_grad():
                for name, saved in self.best[2].items():
                    params[name].copy_(saved.to(params[name].device))
