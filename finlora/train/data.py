"""Training data: task examples → token ids with answer-only labels → packed micro-batches.

Training text = `task.render(example)` + target + EOS. Only the answer tokens (target + EOS)
carry a loss. Short examples are packed into rows of at most `max_seq_len` tokens; every
example restarts its position ids at 0, which transformers turns into a block-diagonal causal
mask (sdpa / eager) or varlen attention (flash), so no token attends across examples.

The order of examples is a pure function of the seed: one stream of per-epoch permutations,
cut into global batches, each split across processes and micro-batches. Every process can
compute the whole plan, so a resumed or distributed run sees exactly the same data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from finlora.errors import DataError
from finlora.models.fingerprint import answer_end_id
from finlora.tasks import Example, Task
from finlora.tasks.base import prompt_token_ids, split_trailing_space

if TYPE_CHECKING:
    import torch

T = TypeVar("T")
IGNORE_INDEX = -100  # the label of a position with no loss (PyTorch cross-entropy default)


@dataclass(frozen=True)
class Tokenized:
    """One training example as token ids; `labels[i]` is the target for `input_ids[i]`'s
    successor position, i.e. labels are already shifted (IGNORE_INDEX where there is no loss)."""

    input_ids: list[int]
    labels: list[int]
    source: str  # "task#index", for error messages

    @property
    def n_answer(self) -> int:
        return sum(1 for t in self.labels if t != IGNORE_INDEX)


def tokenize_examples(task_examples: Sequence[tuple[Task, Sequence[Example]]], tokenizer: Any,
                      *, chat: bool, max_seq_len: int) -> list[Tokenized]:
    """Tokenize every example; raise DataError for an empty dataset or one that cannot fit."""
    items: list[Tokenized] = []
    if tokenizer.eos_token_id is None:
        raise DataError("the tokenizer has no EOS token; training needs one to end answers")
    eos = answer_end_id(tokenizer)
    for task, examples in task_examples:
        if not examples:
            raise DataError(f"task {task.name!r} gave no training examples (empty split or "
                            "limit); choose another split or task")
        for index, example in enumerate(examples):
            prompt, space = split_trailing_space(task.render(example, tokenizer, chat))
            prompt_ids = prompt_token_ids(tokenizer, prompt)
            answer_ids = tokenizer(space + example.target,
                                   add_special_tokens=False)["input_ids"] + [eos]
            if not example.target.strip():
                raise DataError(f"task {task.name!r} example {index}: empty target answer")
            ids = prompt_ids + answer_ids
            if len(ids) > max_seq_len:
                raise DataError(
                    f"task {task.name!r} example {index} is {len(ids)} tokens, longer than "
                    f"max_seq_len={max_seq_len}: raise max_seq_len (e.g. --max-seq-len "
                    f"{_round_up(len(ids), 64)}) or drop long examples")
            # labels shifted by one: position i predicts ids[i + 1]
            labels = [IGNORE_INDEX] * (len(prompt_ids) - 1) + answer_ids + [IGNORE_INDEX]
            items.append(Tokenized(ids, labels, f"{task.name}#{index}"))
    if not items:
        raise DataError("no training examples: give at least one task with data")
    return items


def data_hash(items: Sequence[Tokenized]) -> str:
    """A sha256 over the token ids and labels of the training set (order included)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps([item.input_ids, item.labels]).encode())
    return digest.hexdigest()


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


@dataclass(frozen=True)
class Plan:
    """Which examples each process uses in each micro-batch of each optimizer step."""

    n_examples: int
    batch_size: int  # per process, per micro-batch
    grad_accum: int
    world_size: int
    seed: int
    total_steps: int

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.grad_accum * self.world_size

    def _stream(self, start: int, stop: int) -> list[int]:
        """Example indices at positions [start, stop) of the endless epoch-permuted stream."""
        import torch

        out: list[int] = []
        epoch = start // self.n_examples
        while len(out) < stop - start:
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            perm = torch.randperm(self.n_examples, generator=generator).tolist()
            lo = max(start - epoch * self.n_examples, 0)
            hi = min(stop - epoch * self.n_examples, self.n_examples)
            out.extend(perm[lo:hi])
            epoch += 1
        return out

    def step(self, step: int) -> list[list[list[int]]]:
        """For optimizer step `step` (0-based): [micro][rank] → example indices."""
        indices = self._stream(step * self.global_batch, (step + 1) * self.global_batch)
        size = self.batch_size
        return [[indices[(m * self.world_size + r) * size:(m * self.world_size + r + 1) * size]
                 for r in range(self.world_size)] for m in range(self.grad_accum)]

    def epoch_at(self, step: int) -> float:
        return step * self.global_batch / self.n_examples


def make_plan(n_examples: int, *, batch_size: int, grad_accum: int, world_size: int, seed: int,
              epochs: float, max_steps: int | None) -> Plan:
    global_batch = batch_size * grad_accum * world_size
    total = max_steps if max_steps is not None else max(1, round(epochs * n_examples / global_batch))
    return Plan(n_examples, batch_size, grad_accum, world_size, seed, total)


def first_fit(items: Iterable[T], size: Callable[[T], int], capacity: int) -> list[list[T]]:
    """Items in order into bins of `capacity`: each into the first bin it fits in, else a new
    one (an item larger than `capacity` gets a bin of its own)."""
    bins: list[list[T]] = []
    room: list[int] = []
    for item in items:
        need = size(item)
        for i, free in enumerate(room):
            if free >= need:
                bins[i].append(item)
                room[i] -= need
                break
        else:
            bins.append([item])
            room.append(capacity - need)
    return bins


def pack_rows(items: Sequence[Tokenized], max_seq_len: int, packing: bool) -> list[list[Tokenized]]:
    """Group examples into rows: first-fit by decreasing length when packing, else one per row."""
    if not packing:
        return [[item] for item in items]
    return first_fit(sorted(items, key=lambda it: -len(it.input_ids)),
                     lambda it: len(it.input_ids), max_seq_len)


def merge_micro_batches(parts: Sequence[Sequence[Tokenized]], token_budget: int,
                        ) -> list[list[Tokenized]]:
    """Consecutive micro-batches of one optimizer step joined while their tokens fit
    `token_budget`. The step's loss is a sum over its answer tokens, so one packed pass over
    the union gives the same loss and gradients as the separate passes; for short examples
    (FinLoRA's batch 8 × accumulation 2 of ~65-token prompts) it halves the passes."""
    merged: list[list[Tokenized]] = []
    used = token_budget + 1  # forces a new group for the first part
    for part in parts:
        size = sum(len(it.input_ids) for it in part)
        if merged and used + size <= token_budget:
            merged[-1].extend(part)
            used += size
        else:
            merged.append(list(part))
            used = size
    return merged


def collate(items: Sequence[Tokenized], *, max_seq_len: int, packing: bool, pad_id: int,
            pad_to_multiple: int = 8) -> dict[str, torch.Tensor]:
    """A micro-batch: input_ids, position_ids (restarting per example), shifted labels.

    Padding at a row's end is its own position-id segment with no labels, so it attends to
    nothing real and nothing real attends to it.
    """
    import torch

    rows = pack_rows(items, max_seq_len, packing)
    width = _round_up(max(sum(len(it.input_ids) for it in row) for row in rows), pad_to_multiple)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    pos = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
    for r, row in enumerate(rows):
        at = 0
        for item in row:
            n = len(item.input_ids)
            ids[r, at:at + n] = torch.tensor(item.input_ids)
            labels[r, at:at + n] = torch.tensor(item.labels)
            pos[r, at:at + n] = torch.arange(n)
            at += n
        pos[r, at:] = torch.arange(width - at)
    n_tokens = sum(len(it.input_ids) for it in items)
    return {"input_ids": ids, "position_ids": pos, "labels": labels,
            "n_tokens": torch.tensor(n_tokens)}
