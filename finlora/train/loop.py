"""`finetune()`: the whole training recipe, top to bottom, single- or multi-process.

    from finlora.train import finetune, TrainConfig
    result = finetune(["fpb"], config=TrainConfig(max_steps=50), output_dir="runs/fpb")

Order of work: check the inputs (tasks, model, data, lengths, output folder) before loading
any weights; build the model; then step through the deterministic data plan, checkpointing
every `save_every` steps; finally rank 0 writes the adapter folder and its model card.
Under torchrun the same function runs on every process (DDP, one full model per process).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from finlora import __version__
from finlora.atomic import write_text_atomically
from finlora.errors import ConfigError, DataError
from finlora.models import load_tokenizer, resolve_model
from finlora.progress import progress_bar
from finlora.tasks import Task, get_many
from finlora.train import checkpoint as ckpt
from finlora.train import distributed
from finlora.train.config import TrainConfig
from finlora.train.data import (
    Plan,
    collate,
    data_hash,
    make_plan,
    merge_micro_batches,
    tokenize_examples,
)
from finlora.train.export import merge_adapter, save_adapter
from finlora.train.model import AnswerLoss, build_model, check_target_modules
from finlora.train.recipe_options import EpochHook, epoch_end, make_scheduler


@dataclass
class TrainResult:
    """Where the adapter is, and what the run measured."""

    adapter_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    merged_dir: Path | None = None


def resolve_tasks(tasks: str | Task | Sequence[str | Task]) -> list[Task]:
    """Task objects from names, groups ('sentiment'), a comma list, or Task objects."""
    if isinstance(tasks, Task):
        return [tasks]
    if isinstance(tasks, str):
        return get_many(tasks)
    out: list[Task] = []
    for item in tasks:
        out.extend([item] if isinstance(item, Task) else get_many(item))
    if not out:
        raise DataError("no tasks given: name at least one (e.g. 'fpb' or 'sentiment')")
    return out


def finetune(tasks: str | Task | Sequence[str | Task], base_model: str | None = None,
             config: TrainConfig | None = None, output_dir: str | Path = "runs/finlora", *,
             resume: bool = False, merge: bool = False, progress: bool = True,
             device: str | None = None, on_epoch_end: EpochHook | None = None) -> TrainResult:
    """Finetune `base_model` (None = the embedded model) with (Q)LoRA on `tasks`.

    Writes a PEFT adapter folder at `output_dir` (+ finlora_metadata.json, README.md,
    metrics.jsonl). With `resume=True`, continues from the newest checkpoint there. With
    `merge=True`, also writes `output_dir/merged`: the adapter merged into a dequantized base.
    `on_epoch_end(EpochEnd, model)` runs after each epoch (see `recipe_options.BestOnDev`).
    """
    config = config or TrainConfig()
    output_dir = Path(output_dir)
    # -- cheap checks first: nothing heavy is loaded until all of these pass
    task_list = resolve_tasks(tasks)
    model_path = resolve_model(base_model)
    world = distributed.setup(device)
    try:
        return _run(task_list, base_model, model_path, config, output_dir, world,
                    resume=resume, merge=merge, progress=progress, on_epoch_end=on_epoch_end)
    finally:
        distributed.teardown(world)


def _run(task_list: list[Task], base_model: str | None, model_path: str, config: TrainConfig,
         output_dir: Path, world: distributed.Dist, *, resume: bool, merge: bool,
         progress: bool, on_epoch_end: EpochHook | None = None) -> TrainResult:
    last = ckpt.latest_checkpoint(output_dir)
    if last is not None and not resume:
        raise ConfigError(f"{output_dir}: holds checkpoints of an unfinished run; pass "
                          "--resume to continue it, or choose another output directory")
    if resume and last is None and world.is_main:
        print(f"no checkpoint in {output_dir}: starting from step 0")

    tokenizer = load_tokenizer(model_path)
    loaded = [(task, task.load(config.split, config.limit)) for task in task_list]
    items = tokenize_examples(loaded, tokenizer, chat=config.chat_template,
                              max_seq_len=config.max_seq_len)
    plan = make_plan(len(items), batch_size=config.batch_size, grad_accum=config.grad_accum,
                     world_size=world.world_size, seed=config.seed, epochs=config.epochs,
                     max_steps=config.max_steps)
    digest = data_hash(items)
    fingerprint = hashlib.sha256(json.dumps(
        [config.model_dump(mode="json"), digest, model_path]).encode()).hexdigest()

    check_target_modules(model_path, config.target_module_names)
    model = build_model(model_path, config, world.device)
    loss_fn = AnswerLoss(model, label_smoothing=config.label_smoothing)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if world.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        frozen = [n for n, p in loss_fn.named_parameters() if not p.requires_grad]
        frozen += [n for n, _ in loss_fn.named_buffers()]
        DDP._set_params_and_buffers_to_ignore_for_model(loss_fn, frozen)
        runner: torch.nn.Module = DDP(
            loss_fn, device_ids=[world.device] if world.device.type == "cuda" else None)
    else:
        runner = loss_fn
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate,
                                  weight_decay=config.weight_decay,
                                  fused=world.device.type == "cuda")
    scheduler = make_scheduler(optimizer, config.lr_schedule,
                               math.ceil(config.warmup_ratio * plan.total_steps), plan.total_steps)

    start = 0
    if resume and last is not None:
        start = ckpt.load_checkpoint(last, model=model, optimizer=optimizer,
                                     scheduler=scheduler, fingerprint=fingerprint, dist=world)
    metrics_path = output_dir / "metrics.jsonl"
    if world.is_main:
        output_dir.mkdir(parents=True, exist_ok=True)
        _trim_metrics(metrics_path, start)

    pad_id = tokenizer.pad_token_id
    history: list[dict[str, Any]] = []
    began = time.perf_counter()
    tokens_done = 0
    bar = progress_bar(disable=not (progress and world.is_main))
    with bar:
        task_id = bar.add_task("training", total=plan.total_steps, completed=start, status="")
        for step in range(start, plan.total_steps):
            record = _train_step(step, plan, items, runner, optimizer, scheduler, trainable,
                                 config, world, pad_id)
            tokens_done += record["tokens"]
            elapsed = time.perf_counter() - began
            record["tokens_per_s"] = round(tokens_done / elapsed, 1)
            record["elapsed_s"] = round(elapsed, 2)
            history.append(record)
            if world.is_main and ((step + 1) % config.log_every == 0
                                  or step + 1 == plan.total_steps):
                with metrics_path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
            bar.update(task_id, advance=1, status=f"loss {record['loss']:.4f} · "
                                                  f"{record['tokens_per_s']:.0f} tok/s")
            done = step + 1
            end = epoch_end(plan.n_examples / plan.global_batch, done, plan.total_steps)
            if on_epoch_end is not None and end is not None:
                on_epoch_end(end, model)
            if config.save_every and done % config.save_every == 0 and done < plan.total_steps:
                ckpt.save_checkpoint(output_dir, done, model=model, optimizer=optimizer,
                                     scheduler=scheduler, fingerprint=fingerprint, dist=world)

    metrics = _summary(history, output_dir, world, plan)
    if world.is_main:
        meta = {
            "finlora_version": __version__,
            "base_model": base_model or "embedded:SmolLM2-135M-Instruct",
            "base_model_path": model_path,
            "tasks": [t.name for t in task_list],
            "split": config.split,
            "n_examples": len(items),
            "data_hash": digest,
            "config": config.model_dump(mode="json"),
            "world_size": world.world_size,
            "metrics": metrics,
            "versions": _versions(),
        }
        save_adapter(model, output_dir, meta)
        shutil.rmtree(ckpt.checkpoint_root(output_dir), ignore_errors=True)
    world.barrier()
    merged = None
    if merge and world.is_main:
        merged = merge_adapter(output_dir, output_dir / "merged", base_model=model_path)
    return TrainResult(adapter_dir=output_dir, metrics=metrics, merged_dir=merged)


def _train_step(step: int, plan: Plan, items: list, runner: torch.nn.Module,
                optimizer: torch.optim.Optimizer, scheduler: Any, trainable: list,
                config: TrainConfig, world: distributed.Dist, pad_id: int) -> dict[str, Any]:
    """One optimizer step over `grad_accum` micro-batches; the loss is the mean over every
    answer token of the global batch, however it is split across processes."""
    micro = plan.step(step)
    everyone = [items[i] for per_rank in micro for part in per_rank for i in part]
    normalizer = float(sum(it.n_answer for it in everyone))
    tokens = sum(len(it.input_ids) for it in everyone)
    scale = world.world_size  # DDP averages gradients over processes; we want their sum
    local_loss = 0.0
    parts = [[items[i] for i in per_rank[world.rank]] for per_rank in micro]
    if config.packing:  # never more tokens in a pass than one full micro-batch could hold
        parts = merge_micro_batches(parts, config.batch_size * config.max_seq_len)
    for m, part in enumerate(parts):
        batch = collate(part, max_seq_len=config.max_seq_len, packing=config.packing,
                        pad_id=pad_id)
        sync = m == len(parts) - 1 or not world.enabled
        context = contextlib.nullcontext() if sync else runner.no_sync()
        with context:
            loss = runner(batch["input_ids"].to(world.device),
                          batch["position_ids"].to(world.device),
                          batch["labels"].to(world.device), normalizer)
            (loss * scale).backward()
        local_loss += float(loss.detach())
    grad_norm = None
    if config.max_grad_norm is not None:
        grad_norm = float(torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm))
    lr = scheduler.get_last_lr()[0]
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return {"step": step + 1, "epoch": round(plan.epoch_at(step + 1), 4),
            "loss": world.sum(local_loss), "lr": lr, "grad_norm": grad_norm, "tokens": tokens,
            "answer_tokens": int(normalizer)}


def _trim_metrics(path: Path, keep_through: int) -> None:
    """Drop metric lines past the step we resume from (a killed run may have logged them)."""
    if not path.is_file():
        return
    if keep_through == 0:
        path.unlink()
        return
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and json.loads(line)["step"] <= keep_through]
    write_text_atomically(path, "".join(line + "\n" for line in lines))


def _summary(history: list[dict[str, Any]], output_dir: Path, world: distributed.Dist,
             plan: Plan) -> dict[str, Any]:
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


def _versions() -> dict[str, str]:
    import peft
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__}
