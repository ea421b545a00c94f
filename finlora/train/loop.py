"""The training loop: optimizer steps over the data plan, metrics, periodic checkpoints.

`train_step` is one optimizer step, the same on one process or many: the loss is the mean
over every answer token of the global batch, however it is split across processes and
micro-batches.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from finlora.atomic import write_text_atomically
from finlora.progress import progress_bar
from finlora.torchrun import Dist
from finlora.train import checkpoint as ckpt
from finlora.train.compiled_layers import compiler_settings
from finlora.train.config import TrainConfig
from finlora.train.data import Plan, Tokenized, collate, merge_micro_batches


@dataclass(frozen=True)
class Trainee:
    """The model being trained, the module a step calls (the answer-only loss, DDP-wrapped
    under torchrun) and the parameters the optimizer updates."""

    model: torch.nn.Module
    runner: torch.nn.Module
    params: list[torch.nn.Parameter]


@dataclass(frozen=True)
class Optim:
    optimizer: torch.optim.Optimizer
    scheduler: Any  # a torch LR scheduler


def train(items: list[Tokenized], plan: Plan, trainee: Trainee, optim: Optim,
          config: TrainConfig, world: Dist, output_dir: Path, *, start: int, fingerprint: str,
          pad_id: int, progress: bool) -> list[dict[str, Any]]:
    """Steps `start` .. `plan.total_steps`; returns one record per step run. Rank 0 appends
    every `log_every`-th record to metrics.jsonl; a checkpoint every `save_every` steps."""
    metrics_path = output_dir / "metrics.jsonl"
    if world.is_main:
        output_dir.mkdir(parents=True, exist_ok=True)
        trim_metrics(metrics_path, start)
    history: list[dict[str, Any]] = []
    began = time.perf_counter()
    tokens_done = 0
    bar = progress_bar(disable=not (progress and world.is_main))
    with bar, compiler_settings():  # the backward may run compiled blocks again
        task_id = bar.add_task("training", total=plan.total_steps, completed=start, status="")
        for step in range(start, plan.total_steps):
            record = train_step(step, plan, items, trainee, optim, config, world, pad_id)
            tokens_done += record["tokens"]
            elapsed = time.perf_counter() - began
            record["tokens_per_s"] = round(tokens_done / elapsed, 1)
            record["elapsed_s"] = round(elapsed, 2)
            history.append(record)
            done = step + 1
            if world.is_main and (done % config.log_every == 0 or done == plan.total_steps):
                with metrics_path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
            bar.update(task_id, advance=1, status=f"loss {record['loss']:.4f} · "
                                                  f"{record['tokens_per_s']:.0f} tok/s")
            if config.save_every and done % config.save_every == 0 and done < plan.total_steps:
                ckpt.save_checkpoint(output_dir, done, model=trainee.model,
                                     optimizer=optim.optimizer, scheduler=optim.scheduler,
                                     fingerprint=fingerprint, dist=world)
    return history


def train_step(step: int, plan: Plan, items: list[Tokenized], trainee: Trainee, optim: Optim,
               config: TrainConfig, world: Dist, pad_id: int) -> dict[str, Any]:
    """One optimizer step over `grad_accum` micro-batches (merged into fewer packed passes
    when they fit); returns its metrics record."""
    micro = plan.step(step)
    everyone = [items[i] for per_rank in micro for part in per_rank for i in part]
    normalizer = float(sum(it.n_answer for it in everyone))
    tokens = sum(len(it.input_ids) for it in everyone)
    scale = world.world_size  # DDP averages gradients over processes; we want their sum
    local_loss = 0.0
    parts = [[items[i] for i in per_rank[world.rank]] for per_rank in micro]
    if config.packing:  # never more tokens in a pass than one full micro-batch could hold
        parts = merge_micro_batches(parts, config.batch_size * config.max_seq_len)
    runner = trainee.runner
    for m, part in enumerate(parts):
        batch = collate(part, max_seq_len=config.max_seq_len, packing=config.packing,
                        pad_id=pad_id)
        sync = m == len(parts) - 1 or not world.enabled
        with contextlib.nullcontext() if sync else runner.no_sync():
            loss = runner(batch["input_ids"].to(world.device),
                          batch["position_ids"].to(world.device),
                          batch["labels"].to(world.device), normalizer)
            (loss * scale).backward()
        local_loss += float(loss.detach())
    grad_norm = None
    if config.max_grad_norm is not None:
        grad_norm = float(torch.nn.utils.clip_grad_norm_(trainee.params, config.max_grad_norm))
    lr = optim.scheduler.get_last_lr()[0]
    optim.optimizer.step()
    optim.scheduler.step()
    optim.optimizer.zero_grad(set_to_none=True)
    return {"step": step + 1, "epoch": round(plan.epoch_at(step + 1), 4),
            "loss": world.sum(local_loss), "lr": lr, "grad_norm": grad_norm, "tokens": tokens,
            "answer_tokens": int(normalizer)}


def trim_metrics(path: Path, keep_through: int) -> None:
    """Drop metric lines past the step we resume from (a killed run may have logged them)."""
    if not path.is_file():
        return
    if keep_through == 0:
        path.unlink()
        return
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["step"] <= keep_through]
    write_text_atomically(path, "".join(line + "\n" for line in lines))


def summarize(history: list[dict[str, Any]], output_dir: Path, world: Dist,
              plan: Plan) -> dict[str, Any]:
    """The run's metrics: steps, first and final loss (across a resume), speed, memory."""
    records = history
    path = output_dir / "metrics.jsonl"
    if world.is_main and path.is_file():  # include steps from before a resume
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    metrics: dict[str, Any] = {
        "steps": plan.total_steps,
        "epochs": round(plan.epoch_at(plan.total_steps), 4),
        "first_loss": records[0]["loss"] if records else None,
        "final_loss": records[-1]["loss"] if records else None,
        "tokens_per_s": history[-1]["tokens_per_s"] if history else None,
        "train_seconds": history[-1]["elapsed_s"] if history else 0.0,
        "world_size": world.world_size,
    }
    if world.device.type == "cuda":
        metrics["peak_memory_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return metrics
