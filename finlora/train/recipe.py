"""`finetune()`: the training recipe, top to bottom, on one process or many.

    from finlora.train import finetune, TrainConfig
    result = finetune(["fpb"], config=TrainConfig(max_steps=50), output_dir="runs/fpb")

The stages, each a function of what the ones before made (and each testable alone):

1. `setup_data`: tasks → token ids with answer-only labels → the deterministic data plan.
2. `setup_model`: the frozen base (quantized as configured) with fresh LoRA adapters, wrapped
   in the answer-only loss; under torchrun that loss is wrapped in DDP (one full model per
   process). Distributed training is this one difference plus the data plan's split.
3. `setup_optimizer`: AdamW over the adapter weights, the LR schedule with warm-up.
4. `train` (train/loop.py): the steps, checkpointing every `save_every`.
5. `save`: rank 0 writes the adapter folder, its model card and metadata (and the merge).

Cheap checks run first: tasks, model, checkpoints and data are validated before any weights
are loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from finlora import __version__, torchrun
from finlora.errors import ConfigError, DataError
from finlora.models import load_tokenizer, resolve_model, tokenizer_fingerprint
from finlora.tasks import Task, get_many
from finlora.torchrun import Dist
from finlora.train import checkpoint as ckpt
from finlora.train.config import TrainConfig
from finlora.train.data import Plan, Tokenized, data_hash, make_plan, tokenize_examples
from finlora.train.export import merge_adapter, save_adapter
from finlora.train.loop import Optim, Trainee, summarize, train
from finlora.train.recipe_options import EpochHook, make_scheduler
from finlora.train.trainable import AnswerLoss, build_model, check_target_modules


@dataclass
class TrainResult:
    """Where the adapter is, and what the run measured."""

    adapter_dir: Path
    metrics: dict[str, Any] = field(default_factory=dict)
    merged_dir: Path | None = None


@dataclass(frozen=True)
class TrainData:
    """The tokenized training set and the order in which each process sees it."""

    items: list[Tokenized]
    plan: Plan
    digest: str  # sha256 of the token ids and labels (`data_hash`)
    pad_id: int
    tokenizer: dict[str, Any]  # the tokenizer's fingerprint (`tokenizer_fingerprint`)


def finetune(tasks: str | Task | Sequence[str | Task], base_model: str | None = None,
             config: TrainConfig | None = None, output_dir: str | Path = "runs/finlora", *,
             resume: bool = False, merge: bool = False, progress: bool = True,
             device: str | None = None, on_epoch_end: EpochHook | None = None) -> TrainResult:
    """Finetune `base_model` (None = the embedded model) with (Q)LoRA on `tasks`.

    Writes a PEFT adapter folder at `output_dir` (+ finlora_metadata.json, README.md,
    metrics.jsonl). With `resume=True`, continues from the newest checkpoint there. With
    `merge=True`, also writes `output_dir/merged`: the adapter merged into a dequantized base.
    `on_epoch_end(EpochEnd, model)` runs after each epoch (see `recipe_options.BestOnDev`).
    Under torchrun every process calls it with the same arguments.
    """
    config = config or TrainConfig()
    output_dir = Path(output_dir)
    task_list = resolve_tasks(tasks)
    model_path = resolve_model(base_model)
    world = torchrun.setup(device)
    try:
        last = resume_point(output_dir, resume, world)
        data = setup_data(task_list, model_path, config, world.world_size)
        fingerprint = run_fingerprint(config, data.digest, model_path)
        trainee = setup_model(model_path, config, world)
        optim = setup_optimizer(trainee.params, config, data.plan.total_steps, world.device)
        start = 0
        if last is not None:
            start = ckpt.load_checkpoint(last, model=trainee.model, optimizer=optim.optimizer,
                                         scheduler=optim.scheduler, fingerprint=fingerprint,
                                         dist=world)
        history = train(data.items, data.plan, trainee, optim, config, world, output_dir,
                        start=start, fingerprint=fingerprint, pad_id=data.pad_id,
                        progress=progress, on_epoch_end=on_epoch_end)
        metrics = summarize(history, output_dir, world, data.plan)
        meta = run_metadata(task_list, base_model, model_path, config, data, world, metrics)
        return save(trainee.model, output_dir, meta, world,
                    merge_into=model_path if merge else None)
    finally:
        torchrun.teardown(world)


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


def resume_point(output_dir: Path, resume: bool, world: Dist) -> Path | None:
    """The checkpoint to resume from (None: start at step 0); a ConfigError if `output_dir`
    holds an unfinished run and `resume` is off."""
    last = ckpt.latest_checkpoint(output_dir)
    if last is not None and not resume:
        raise ConfigError(f"{output_dir}: holds checkpoints of an unfinished run; pass "
                          "--resume to continue it, or choose another output directory")
    if resume and last is None and world.is_main:
        print(f"no checkpoint in {output_dir}: starting from step 0")
    return last


def setup_data(task_list: Sequence[Task], model_path: str, config: TrainConfig,
               world_size: int) -> TrainData:
    """Load and tokenize every task's split; plan which examples each step of each process
    uses (a pure function of the seed)."""
    tokenizer = load_tokenizer(model_path)
    loaded = [(task, task.load(config.split, config.limit)) for task in task_list]
    items = tokenize_examples(loaded, tokenizer, chat=config.chat_template,
                              max_seq_len=config.max_seq_len)
    plan = make_plan(len(items), batch_size=config.batch_size, grad_accum=config.grad_accum,
                     world_size=world_size, seed=config.seed, epochs=config.epochs,
                     max_steps=config.max_steps)
    return TrainData(items, plan, data_hash(items), tokenizer.pad_token_id,
                     tokenizer_fingerprint(tokenizer))


def run_fingerprint(config: TrainConfig, digest: str, model_path: str) -> str:
    """What a checkpoint must match to be resumed: the config, the data and the base model."""
    return hashlib.sha256(json.dumps(
        [config.model_dump(mode="json"), digest, model_path]).encode()).hexdigest()


def setup_model(model_path: str, config: TrainConfig, world: Dist) -> Trainee:
    """The base with fresh adapters on this process's device, wrapped in the answer-only loss;
    DDP-wrapped when there is more than one process (frozen weights are not synchronized)."""
    check_target_modules(model_path, config.target_module_names)
    model = build_model(model_path, config, world.device)
    loss_fn = AnswerLoss(model, label_smoothing=config.label_smoothing)
    runner: torch.nn.Module = loss_fn
    if world.enabled:
        from torch.nn.parallel import DistributedDataParallel as DDP

        frozen = [n for n, p in loss_fn.named_parameters() if not p.requires_grad]
        frozen += [n for n, _ in loss_fn.named_buffers()]
        DDP._set_params_and_buffers_to_ignore_for_model(loss_fn, frozen)
        runner = DDP(loss_fn, device_ids=[world.device] if world.device.type == "cuda" else None)
    params = [p for p in model.parameters() if p.requires_grad]
    return Trainee(model, runner, params)


def setup_optimizer(params: list[torch.nn.Parameter], config: TrainConfig, total_steps: int,
                    device: torch.device) -> Optim:
    """AdamW (fused on CUDA) and the configured schedule (`lr_schedule`) after a
    `warmup_ratio` linear warm-up."""
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate,
                                  weight_decay=config.weight_decay, fused=device.type == "cuda")
    scheduler = make_scheduler(optimizer, config.lr_schedule,
                               math.ceil(config.warmup_ratio * total_steps), total_steps)
    return Optim(optimizer, scheduler)


def run_metadata(task_list: Sequence[Task], base_model: str | None, model_path: str,
                 config: TrainConfig, data: TrainData, world: Dist,
                 metrics: dict[str, Any]) -> dict[str, Any]:
    """finlora_metadata.json: what was trained on what, with which settings and versions."""
    import peft
    import transformers

    return {
        "finlora_version": __version__,
        "base_model": base_model or "embedded:SmolLM2-135M-Instruct",
        "base_model_path": model_path,
        "tasks": [t.name for t in task_list],
        "split": config.split,
        "n_examples": len(data.items),
        "data_hash": data.digest,
        "tokenizer": data.tokenizer,
        "config": config.model_dump(mode="json"),
        "world_size": world.world_size,
        "metrics": metrics,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "peft": peft.__version__},
    }


def save(model: torch.nn.Module, output_dir: Path, meta: dict[str, Any], world: Dist, *,
         merge_into: str | None = None) -> TrainResult:
    """Rank 0 writes the adapter folder and drops the checkpoints; with `merge_into` (the base
    model's path) it also writes `output_dir/merged`. Every process gets the result."""
    if world.is_main:
        save_adapter(model, output_dir, meta)
        shutil.rmtree(ckpt.checkpoint_root(output_dir), ignore_errors=True)
    world.barrier()
    merged = None
    if merge_into is not None and world.is_main:
        merged = merge_adapter(output_dir, output_dir / "merged", base_model=merge_into)
    return TrainResult(adapter_dir=output_dir, metrics=meta["metrics"], merged_dir=merged)
