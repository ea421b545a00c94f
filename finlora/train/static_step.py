"""Fixed-shape training steps, captured once as a CUDA graph and replayed.

Small steps (8 FPB examples) are launch-bound: the GPU waits on Python and kernel launches.
Packing every step's examples into one row of a fixed token budget makes every step the same
shapes: one row of `tokens` tokens (examples back to back, position ids restarting, padding at
the end as a segment of its own), a block-diagonal causal mask built from segment ids on the
device, and a fixed
number of answer slots (`answers`: the positions whose hidden state predicts an answer token;
unused slots have target IGNORE_INDEX). Nothing in the step then depends on the data's shape,
so `CapturedStep` records forward + backward once with `torch.cuda.graphs` and replays it:
one launch a step. The optimizer step runs after it, outside the graph (fused AdamW: a few
kernels).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from finlora.train.compiled_layers import compiler_settings
from finlora.train.data import IGNORE_INDEX, Tokenized


def static_budget(steps: Sequence[Sequence[Tokenized]], multiple: int = 64) -> tuple[int, int]:
    """(tokens, answer slots) that hold every step of `steps`, rounded up to `multiple` / 8."""
    tokens = max(sum(len(it.input_ids) for it in step) for step in steps)
    answers = max(sum(it.n_answer for it in step) for step in steps)
    return -(-tokens // multiple) * multiple, -(-answers // 8) * 8


def pack_static(items: Sequence[Tokenized], tokens: int, answers: int, pad_id: int,
                normalizer: float | None = None) -> dict[str, torch.Tensor]:
    """One row of exactly `tokens` tokens and `answers` answer slots (see the module doc);
    `normalizer` (default: the answer tokens) divides the summed loss."""
    n = sum(len(it.input_ids) for it in items)
    labels = [label for it in items for label in it.labels]
    keep = [i for i, label in enumerate(labels) if label != IGNORE_INDEX]
    if n > tokens or len(keep) > answers:
        raise ValueError(f"{len(items)} examples of {n} tokens / {len(keep)} answer tokens do "
                         f"not fit a static step of {tokens} / {answers}")
    ids = torch.full((tokens,), pad_id, dtype=torch.long)
    ids[:n] = torch.tensor([t for it in items for t in it.input_ids], dtype=torch.long)
    segment = torch.empty(tokens, dtype=torch.long)
    pos = torch.empty(tokens, dtype=torch.long)
    at = 0
    for s, length in enumerate([len(it.input_ids) for it in items] + [tokens - n]):
        segment[at:at + length] = s
        pos[at:at + length] = torch.arange(length)
        at += length
    index = torch.zeros(answers, dtype=torch.long)
    targets = torch.full((answers,), IGNORE_INDEX, dtype=torch.long)
    index[:len(keep)] = torch.tensor(keep, dtype=torch.long)
    targets[:len(keep)] = torch.tensor([labels[i] for i in keep], dtype=torch.long)
    return {"input_ids": ids[None], "position_ids": pos[None], "segment_ids": segment[None],
            "answer_index": index, "targets": targets,
            "normalizer": torch.tensor(float(normalizer or len(keep)), dtype=torch.float32)}


def block_causal_mask(segment_ids: torch.Tensor) -> torch.Tensor:
    """(rows, 1, T, T) boolean mask: a token attends to earlier tokens of its own segment."""
    same = segment_ids[:, :, None] == segment_ids[:, None, :]
    return (same & torch.ones_like(same[0], dtype=torch.bool).tril())[:, None]


def static_loss(loss_fn: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """`AnswerLoss`'s loss (summed answer cross-entropy / normalizer) on a `pack_static` batch,
    with no data-dependent shape anywhere (answer slots are gathered, not masked)."""
    with compiler_settings():
        hidden = loss_fn.decoder(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                                 attention_mask=block_causal_mask(batch["segment_ids"]),
                                 use_cache=False).last_hidden_state
    logits = loss_fn.lm_head(hidden[0].index_select(0, batch["answer_index"])).float()
    total = nn.functional.cross_entropy(logits, batch["targets"], reduction="sum",
                                        ignore_index=IGNORE_INDEX,
                                        label_smoothing=loss_fn.label_smoothing)
    return total / batch["normalizer"]


class CapturedStep:
    """Forward + backward of fixed-shape steps: `warmup` calls eager, then captured as a CUDA
    graph at the next call and replayed from then on.

    Each call returns the loss with the gradients written to the trainable parameters'
    `.grad` (replaced, not accumulated: one pass per optimizer step). Zeroing them between
    steps (either way) is harmless. If capture fails, `failure` says why and every later call
    runs eagerly (still at fixed shapes).
    """

    def __init__(self, loss_fn: nn.Module, warmup: int = 2, capture: bool = True) -> None:
        self.loss_fn = loss_fn
        self.warmup = warmup
        self.capture = capture and torch.cuda.is_available()
        self.params = [p for p in loss_fn.parameters() if p.requires_grad]
        self.calls = 0
        self.graph: torch.cuda.CUDAGraph | None = None
        self.failure: str | None = None
        self._static: dict[str, torch.Tensor] = {}
        self._loss: torch.Tensor | None = None
        self._grads: list[torch.Tensor | None] = []

    def _eager(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        loss = static_loss(self.loss_fn, batch)
        loss.backward()
        return loss

    def _record(self, batch: dict[str, torch.Tensor]) -> None:
        self._static = {k: v.clone() for k, v in batch.items()}
        for p in self.params:
            p.grad = None  # the captured backward allocates them in the graph's pool
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            self._loss = self._eager(self._static)
        self._grads = [p.grad for p in self.params]
        self.graph = graph

    def __call__(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.calls += 1
        if not self.capture or self.failure:
            return self._eager(batch)
        if self.calls <= self.warmup:  # on a side stream, as torch.cuda.graphs' docs warm up
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                loss = self._eager(batch)
            torch.cuda.current_stream().wait_stream(stream)
            return loss
        if self.graph is None:
            try:
                self._record(batch)
            except Exception as exc:  # noqa: BLE001 - reported; the step runs eagerly
                self.failure = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
                self.graph = None
                for p in self.params:
                    p.grad = None
                return self._eager(batch)
        for key, value in batch.items():
            self._static[key].copy_(value, non_blocking=True)
        self.graph.replay()
        for p, grad in zip(self.params, self._grads, strict=True):
            p.grad = grad
        assert self._loss is not None
        return self._loss
