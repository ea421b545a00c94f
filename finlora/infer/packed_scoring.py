"""The packed label scorer: prompts packed into rows, the shared instruction computed once.

Per run (`score_packed`): the instruction every prompt starts with is run once and its keys and
values kept (`PackedState`, reused by later calls while the prompts still start with it); then
per batch, the prompts' own tokens and their label tries are packed into rows with a
block-diagonal mask (`packed_layout`), one forward pass computes them (`packed_forward`) —
replayed from a CUDA graph for small batches — and the LM head runs at the scored positions only.
While the GPU runs batch i the CPU packs batch i + 1; each batch's scores are read back once.
An nf4 base is multiplied by a bf16 copy of its weights (`dense_base`) when that fits in free
GPU memory (else each nf4 weight is dequantized once per forward: the prefix is not re-run per
batch). Passes up to `graph_tokens` tokens replay a CUDA graph, larger ones run eagerly: on the
H200 (benchmarks/results/infer_h200_packed.json) graphs won at every batch in bf16 / dense
(batch 64: 740 against 638 prompts/s), but with nf4 layers dequantizing inside the graph the
eager path won at batch 64 (~2,700-token passes: 662 against 577) while graphs won at batch
16 (~650-token passes: 478 against 211), hence `NF4_GRAPH_TOKENS`. `fused` runs the glue
between projections compiled (`fused_glue`).
Scores equal a plain forward pass per prompt and label (tests/infer/test_packed_scoring.py).
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch

from finlora.infer.cuda_graphs import GraphRunner
from finlora.infer.dense_base import DenseBase, dense_fits, four_bit_layers
from finlora.infer.fused_glue import Glue, fusable
from finlora.infer.packed_forward import PrefixKV, packed_hidden, prefix_kv, unsupported
from finlora.infer.packed_layout import ROW_TOKENS, PackedRows, pack_rows
from finlora.infer.tree_scoring import scores_from_values
from finlora.models import split_causal_lm

if TYPE_CHECKING:
    from transformers import PreTrainedModel

GRAPH_TOKENS = 2048  # packed tokens per pass up to which the forward is replayed from a graph
FUSED_AFTER_PROMPTS = 4096  # default `fused`: on CUDA once a state has scored this many prompts
NF4_GRAPH_TOKENS = 1024  # the same while nf4 layers dequantize in the forward (no dense copy)
MIN_PREFIX = 4       # shared tokens worth a prefix (computed once per run, so nearly any pays)


class PackedState:
    """What the packed scorer keeps across calls, for one model state (weights, adapter):
    the shared prefix's keys and values, captured graphs, a bf16 copy of 4-bit weights, and
    per-phase counters (`stats`, seconds and counts; `reset_stats()`)."""

    def __init__(self) -> None:
        self.prefix: PrefixKV | None = None
        self.graphs: dict[tuple[bool, bool], GraphRunner] = {}  # by (dense copy, fused glue)
        self.dense: DenseBase | None = None
        self.dense_fits: bool | None = None  # whether a dense copy fits (the default asks once)
        self.glue: dict[bool, Glue] = {}  # by compiled
        self.stats: dict[str, Any] = defaultdict(float)
        self.scored = 0  # prompts scored through this state (the fused default looks at it)

    def clear(self) -> None:
        self.prefix, self.graphs, self.dense, self.glue = None, {}, None, {}
        self.dense_fits = None

    def reset_stats(self) -> dict[str, Any]:
        stats, self.stats = dict(self.stats), defaultdict(float)
        return stats


def shared_prefix(rows: Sequence[Sequence[int]]) -> int:
    """Tokens every row starts with, leaving at least one own token per row."""
    if not rows:
        return 0
    limit = min(len(r) for r in rows) - 1
    first, n = rows[0], 0
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return n if n >= MIN_PREFIX else 0


def _prefix_for(state: PackedState, body: torch.nn.Module, rows: Sequence[Sequence[int]],
                device: torch.device, reuse: bool) -> PrefixKV | None:
    if not reuse:
        return None
    cached = state.prefix
    if cached is not None and all(len(r) > len(cached) and tuple(r[:len(cached)]) == cached.ids
                                  for r in rows):
        return cached
    n = shared_prefix(rows) if len(rows) > 1 else 0
    if not n:
        return None  # the cached prefix stays for later calls
    start = time.perf_counter()
    state.prefix = prefix_kv(body, tuple(rows[0][:n]), device)
    for runner in state.graphs.values():
        runner.clear()  # captured with the old prefix's tensors
    state.stats["prefix_fills"] += 1
    state.stats["prefix_s"] += time.perf_counter() - start
    return state.prefix


def _launch(body: torch.nn.Module, head: torch.nn.Module, packed: PackedRows,
            prefix: PrefixKV | None, graphs: GraphRunner | None, graph_tokens: int,
            device: torch.device, stats: dict[str, Any], glue: Glue | None = None,
            ) -> tuple[torch.Tensor, list]:
    """Enqueue one pass; the label tokens' log-probabilities, on the device (not synced), and
    CUDA events around the forward and the LM head (none on the CPU)."""
    def to_device(t: torch.Tensor) -> torch.Tensor:  # pinned: the copy waits for nothing
        return (t.pin_memory() if device.type == "cuda" else t).to(device, non_blocking=True)

    ids, positions, allowed = (to_device(t)
                               for t in (packed.input_ids, packed.positions, packed.allowed))
    events = [torch.cuda.Event(enable_timing=True) for _ in range(3)] if device.type == "cuda" \
        else []
    if events:
        events[0].record()
    hidden = None
    rows, width = packed.shape
    if graphs is not None and rows * width <= graph_tokens:
        hidden = graphs((ids, positions, allowed))
    if hidden is None:
        hidden = packed_hidden(body, ids, positions, allowed, prefix, glue)
        stats["eager_passes"] += 1
    else:
        stats["graph_passes"] += 1
    if events:
        events[1].record()
    scored = hidden.index_select(0, to_device(packed.scored_at))
    logprobs = torch.log_softmax(head(scored).float(), dim=-1)
    values = logprobs[to_device(packed.picks), to_device(packed.targets)]
    if events:
        events[2].record()
    return values, events


def score_packed(model: PreTrainedModel, prompt_ids: Sequence[Sequence[int]],
                 label_ids: Sequence[Sequence[Sequence[int]]], *, batch_size: int, pad_id: int,
                 normalization: str = "mean", reuse_prefix: bool = True,
                 state: PackedState | None = None, cuda_graphs: bool = False,
                 dense_base: bool | None = None, fused: bool | None = None,
                 row_tokens: int = ROW_TOKENS, graph_tokens: int | None = None,
                 ) -> list[tuple[list[float], list[float]]]:
    """Per prompt (normalised scores, summed log-likelihoods) of its labels, in input order.

    Prompts are grouped by length, `batch_size` per forward pass. `cuda_graphs` replays passes
    of at most `graph_tokens` tokens from CUDA graphs (CUDA only; off by itself if capture
    fails, the reason in `state.stats["graph_failure"]`; default `GRAPH_TOKENS`, or
    `NF4_GRAPH_TOKENS` with nf4 layers and no dense copy). `dense_base` multiplies by a bf16
    copy of 4-bit weights (see `dense_base`); None (default): when it fits in free GPU memory
    with `DENSE_MARGIN` left, decided once per `state`. `fused` runs the glue between the
    projections as `torch.compile`d pieces (`fused_glue`; eager again if compiling fails, the
    reason in `state.stats["fused_failure"]`); None (default): on CUDA once `state` has scored
    `FUSED_AFTER_PROMPTS` prompts — fastest at every batch size on the H200
    (benchmarks/results/infer_h200_fused.json) but ~14 s of compiling per process, which a
    short run never earns back."""
    body, head = split_causal_lm(model)
    reason = unsupported(body)
    if reason:
        raise ValueError(f"packed scoring: {reason}")
    device = next(model.parameters()).device
    state = state if state is not None else PackedState()
    stats = state.stats
    dense: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    four_bit = bool(four_bit_layers(model))
    if dense_base is None:
        if state.dense_fits is None:  # asked once per state, not on every call
            state.dense_fits = four_bit and dense_fits(model)
        dense_base = state.dense is not None or state.dense_fits
    dense_base = dense_base and four_bit
    if graph_tokens is None:
        graph_tokens = NF4_GRAPH_TOKENS if four_bit and not dense_base else GRAPH_TOKENS
    glue = None
    state.scored += len(prompt_ids)
    if fused is None:  # compiling costs ~14 s once per process: worth it for long runs only
        fused = device.type == "cuda" and state.scored >= FUSED_AFTER_PROMPTS
    if fused and fusable(body.layers[0]) is None:
        compiled = device.type == "cuda"
        if compiled not in state.glue:
            state.glue[compiled] = Glue(compiled=compiled)
        glue = state.glue[compiled]
    if dense_base:
        state.dense = state.dense or DenseBase()
        dense = state.dense.active(model)
    graphs = None
    if cuda_graphs and device.type == "cuda":
        key = (dense_base, glue is not None)
        if key not in state.graphs:
            held = weakref.ref(state)  # no cycle: the state (and a dense copy) goes with its owner
            state.graphs[key] = GraphRunner(  # the prefix is in the mask's width
                lambda i, p, a: packed_hidden(
                    body, i, p, a, held().prefix if a.shape[-1] > i.shape[-1] else None, glue))
        graphs = state.graphs[key]
    order = sorted(range(len(prompt_ids)), key=lambda i: -len(prompt_ids[i]))
    results: list[tuple[list[float], list[float]] | None] = [None] * len(prompt_ids)
    pending: tuple[list[int], PackedRows, torch.Tensor, list] | None = None

    def finish() -> None:
        chunk, packed, values, events = pending  # type: ignore[misc]
        start = time.perf_counter()
        scored = scores_from_values(values.tolist(), packed.tries, normalization)
        stats["wait_s"] += time.perf_counter() - start
        if events:  # GPU time of the forward and of the LM head + gather
            events[2].synchronize()
            stats["gpu_forward_s"] += events[0].elapsed_time(events[1]) / 1000
            stats["gpu_head_s"] += events[1].elapsed_time(events[2]) / 1000
        for i, result in zip(chunk, scored, strict=True):
            results[i] = result

    with torch.inference_mode(), dense:
        prefix = _prefix_for(state, body, prompt_ids, device, reuse_prefix)
        n = len(prefix) if prefix is not None else 0
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            t0 = time.perf_counter()
            packed = pack_rows([prompt_ids[i] for i in chunk], [label_ids[i] for i in chunk],
                               pad_id=pad_id, prefix_len=n, row_tokens=row_tokens)
            t1 = time.perf_counter()
            values, events = _launch(body, head, packed, prefix, graphs, graph_tokens, device,
                                     stats, glue)
            stats["pack_s"] += t1 - t0
            stats["launch_s"] += time.perf_counter() - t1
            stats["rows"] += packed.shape[0]
            stats["slots"] += packed.shape[0] * packed.shape[1]
            stats["tokens"] += packed.real_tokens
            if pending is not None:
                finish()
            pending = (chunk, packed, values, events)
        if pending is not None:
            finish()
    if dense_base:
        stats["dense_bytes"] = state.dense.nbytes  # type: ignore[union-attr]
        stats["dense_layers"] = len(state.dense.weights)  # type: ignore[union-attr]
    if graphs is not None:
        stats["graph_captures"] = graphs.captures
        if graphs.failure:
            stats["graph_failure"] = graphs.failure
    if glue is not None and glue.failure:
        stats["fused_failure"] = glue.failure
    stats["dense_base"] = dense_base
    stats["graph_tokens"] = graph_tokens
    stats["prefix_tokens"] = n
    return results  # type: ignore[return-value]
