"""Each path's set-up and training step in `bench_train.py`: stock (transformers + peft,
right-padded micro-batches), finlora (`finlora.train`'s packed passes through the fused,
compiled layers; `finlora-fp8` the same with fp8 base matmuls) and the peers of `train_peers.py` (one packed row a step)."""

from __future__ import annotations

import torch
import train_peers

from finlora.train.compiled_layers import compile_decoder_layers, uncompile_decoder_layers
from finlora.train.data import IGNORE_INDEX, Tokenized, collate, merge_micro_batches
from finlora.train.fused_layers import FusedLora, set_fused


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
    else:
        uncompile_decoder_layers(model)
        set_fused(model, on=False)
        for layer in model.modules():  # the other paths do not carry finlora's cached fp32
            if isinstance(layer, FusedLora):  # nf4 scales (~0.4 GiB for 8B) in their peak;
                layer._base = None  # set_fused(on=True) caches them again


def train_step(path: str, micro: list, model, loss_fn, device) -> torch.Tensor:
    """Forward + backward of one optimizer step over its micro-batches; the last pass's loss."""
    if path.startswith("stock") or path.endswith("-padded"):  # a pass per micro-batch
        for part in micro:
            loss = model(**stock_batch(part, device)).loss / len(micro)
            loss.backward()
    elif path.startswith("finlora"):  # finlora.train's loop: micro-batches merged into packed passes
        if path == "finlora-fp8" and FP8_PROBLEM:
            raise FP8_PROBLEM[0]
        per_micro = max(len(part) for part in micro)
        parts = merge_micro_batches([finlora_items(part) for part in micro], per_micro * 512)
        normalizer = float(sum(it.n_answer for part in parts for it in part))
        for part in parts:
            batch = finlora_batch(part, device)
            loss = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], normalizer)
            loss.backward()
    else:  # a peer (train_peers.py): the step's examples as one packed row, one pass
        loss = model(**train_peers.packed_row([ex for part in micro for ex in part], device)).loss
        loss.backward()
    return loss
