"""Shared by the GPU tests: random answer-only batches and loss / gradient comparisons."""

from __future__ import annotations

import torch

from finlora.train.data import IGNORE_INDEX, Tokenized, collate

VOCAB = 1024  # the tiny Llama's vocabulary


def random_items(lengths: list[int], answer: int, seed: int) -> list[Tokenized]:
    """Random token rows; the last `answer` tokens of each are its answer (shifted labels)."""
    generator = torch.Generator().manual_seed(seed)
    items = []
    for n in lengths:
        ids = torch.randint(3, VOCAB, (n,), generator=generator).tolist()
        labels = [IGNORE_INDEX] * (n - answer - 1) + ids[n - answer:] + [IGNORE_INDEX]
        items.append(Tokenized(ids, labels, f"random#{len(items)}"))
    return items


def packed_batch(items: list[Tokenized], device: torch.device) -> tuple[dict, float]:
    batch = collate(items, max_seq_len=512, packing=True, pad_id=0)
    return ({k: v.to(device) for k, v in batch.items()},
            float(sum(item.n_answer for item in items)))


def loss_and_grads(loss_fn, batch: dict, normalizer: float) -> tuple[float, dict]:
    loss_fn.zero_grad(set_to_none=True)
    loss = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], normalizer)
    loss.backward()
    return float(loss.detach()), {n: p.grad.detach().float().clone()
                                  for n, p in loss_fn.named_parameters() if p.grad is not None}


def relative_difference(got: dict, want: dict) -> float:
    """‖got − want‖ / ‖want‖ over all the gradients together."""
    assert got.keys() == want.keys() and got
    diff = sum(float((got[k] - want[k]).pow(2).sum()) for k in want) ** 0.5
    norm = sum(float(want[k].pow(2).sum()) for k in want) ** 0.5
    return diff / norm


def randomize_lora_b(model, std: float) -> None:
    """Non-zero B matrices, so that adapter gradients depend on the inputs."""
    generator = torch.Generator().manual_seed(11)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=generator) * std)
