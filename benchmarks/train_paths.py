"""Each path's set-up and training step in `bench_train.py`: stock (transformers + peft,
right-padded micro-batches), finlora (`finlora.train`'s packed passes through the fused,
compiled layers; `finlora-fp8` the same with fp8 base matmuls), finlora-static (the same layers,
every step one row of a fixed token budget, forward + backward captured as a CUDA graph:
static_step.py) and the peers of `train_peers.py` (one packed row a step). Paths other than
finlora's run the shared model's compiled blocks eagerly."""

from __future__ import annotations

import time

import torch
import train_peers

from finlora.train.compiled_layers import compile_decoder_layers, eager_decoder_layers
from finlora.train.data import IGNORE_INDEX, Tokenized, collate, merge_micro_batches
from finlora.train.fused_layers import FusedLora, set_fused
from finlora.train.static_step import CapturedStep, pack_static, static_budget


def stock_batch(examples, device):
    width = max(len(ids) for ids, _ in examples)
    ids = torch.zeros((len(examples), width), dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    for row, (tokens, answer) in enumerate(examples):
        ids[row, :len(tokens)] = torch.tensor(tokens)
        mask[row, :len(tokens)] = 1
        labels[row, len(tokens) - answer:len(tokens)] = torch.tensor(tokens[-answer:])
    return {"input_ids": ids.to(device), "attention_mask": mask.to(device),
            "labels": labels.to(device)}


def finlora_items(examples) -> list[Tokenized]:
    return [Tokenized(ids, [IGNORE_INDEX] * (len(ids) - a - 1) + ids[len(ids) - a:] + [IGNORE_INDEX], "")
            for ids, a in examples]


def finlora_batch(items: list[Tokenized], device) -> dict[str, torch.Tensor]:
    """One packed pass over `items` on `device`, as finlora.train collates it."""
    batch = collate(items, max_seq_len=512, packing=True, pad_id=0)
    return {k: v.to(device) for k, v in batch.items() if k != "n_tokens"}


FP8_PROBLEM: list[Exception] = []  # why the fp8 path cannot run here (raised by its steps)


def fp8_base(model, on: bool) -> None:
    """The `finlora-fp8` path's fp8 base weights (`TrainConfig.base_precision="fp8"`): made
    from the nf4 weights when on, dropped when off (1 byte per weight: not in other rows' peak)."""
    from finlora.errors import ConfigError
    from finlora.train.fp8_base import use_fp8_base

    if on:
        if not any(getattr(m, "_fp8", None) is not None for m in model.modules()):
            try:
                use_fp8_base(model)
            except ConfigError as exc:  # not here (no fp8 GPU): its rows become error rows
                FP8_PROBLEM[:] = [exc]
        return
    for layer in model.modules():
        if isinstance(layer, FusedLora):
            layer._fp8 = None


def prepare_path(path: str, model, args) -> None:
    """finlora's layers (fused LoRA, compiled blocks) for its paths (`finlora-fp8`: fp8 base
    matmuls), PEFT's for every other."""
    fp8_base(model, on=path == "finlora-fp8")
    if path.startswith("finlora"):
        set_fused(model, on=True)
        if args.compile:
            compile_decoder_layers(model, trace_fused_lora=args.trace_lora)
    else:  # its compiled blocks run eagerly on this path (train_step)
        set_fused(model, on=False)
        for layer in model.modules():  # the other paths do not carry finlora's cached fp32
            if isinstance(layer, FusedLora):  # nf4 scales (~0.4 GiB for 8B) in their peak;
                layer._base = None  # set_fused(on=True) caches them again


class StaticRunner:
    """finlora-static's steps: each step's examples in one row of a token budget that holds
    every step of `steps` (lists of bench examples), through one `CapturedStep`."""

    def __init__(self, loss_fn, steps: list, device, capture: bool = True) -> None:
        self.tokens, self.answers = static_budget([finlora_items(s) for s in steps])
        self.step = CapturedStep(loss_fn, capture=capture and device.type == "cuda")
        self.device = device

    def __call__(self, examples: list) -> torch.Tensor:
        batch = pack_static(finlora_items(examples), self.tokens, self.answers, pad_id=0)
        return self.step({k: v.to(self.device, non_blocking=True) for k, v in batch.items()})

    def describe(self) -> dict:
        return {"static_tokens": self.tokens, "static_answers": self.answers,
                "cuda_graph": self.step.graph is not None, "capture_failure": self.step.failure}


def train_step(path: str, micro: list, model, loss_fn, device,
               static: StaticRunner | None = None) -> torch.Tensor:
    """Forward + backward of one optimizer step over its micro-batches; the last pass's loss."""
    if path == "finlora-static":
        assert static is not None, "finlora-static needs its StaticRunner"
        return static([ex for part in micro for ex in part])
    if path == "finlora-fp8" and FP8_PROBLEM:
        raise FP8_PROBLEM[0]
    if not path.startswith("finlora"):
        with eager_decoder_layers():
            return _other_step(path, micro, model, device)
    per_micro = max(len(part) for part in micro)
    parts = merge_micro_batches([finlora_items(part) for part in micro], per_micro * 512)
    normalizer = float(sum(it.n_answer for part in parts for it in part))
    for part in parts:  # finlora.train's loop: micro-batches merged into packed passes
        batch = finlora_batch(part, device)
        loss = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], normalizer)
        loss.backward()
    return loss


def _other_step(path: str, micro: list, model, device) -> torch.Tensor:
    if path.startswith("stock") or path.endswith("-padded"):  # a pass per micro-batch, gradients accumulated
        for part in micro:
            loss = model(**stock_batch(part, device)).loss / len(micro)
            loss.backward()
    else:  # a peer (train_peers.py): the step's examples as one packed row, one pass
        loss = model(**train_peers.packed_row([ex for part in micro for ex in part], device)).loss
        loss.backward()
    return loss


def profile_step(model, loss_fn, examples, compiled: bool, trace_lora: bool) -> str:
    """Top CUDA ops of one finlora step on the long case (after the timed runs: warm)."""
    from torch.profiler import ProfilerActivity, profile

    model.gradient_checkpointing_disable()
    set_fused(model, on=True)
    if compiled:
        compile_decoder_layers(model, trace_fused_lora=trace_lora)
    items = finlora_items(examples)
    batch = finlora_batch(items, "cuda")
    normalizer = float(sum(it.n_answer for it in items))
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        began = time.perf_counter()
        loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], normalizer).backward()
        torch.cuda.synchronize()
        wall_ms = (time.perf_counter() - began) * 1e3
    table = prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=30,
                                      max_name_column_width=60)
    table += f"\nforward + backward wall time under the profiler: {wall_ms:.1f} ms"
    print(table)
    model.zero_grad(set_to_none=True)
    return table
