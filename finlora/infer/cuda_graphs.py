"""CUDA-graph replay of the packed scoring forward, one graph per static input shape.

A small batch (one prompt: ~40 tokens) leaves the GPU waiting on Python and kernel launches:
an 8B model's forward is ~600 kernels. A captured graph replays them with one launch. Shapes are
bucketed by `packed_layout.bucket`, so a run captures a handful of graphs; all share one memory
pool (replays are sequential, and outputs are copied out before the next replay). A graph holds
the addresses of the weights and of the prefix keys and values it was captured with: it stays
valid while those tensors live (in-place weight updates are seen), and is dropped with them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

MAX_GRAPHS = 48


@dataclass
class _Captured:
    graph: torch.cuda.CUDAGraph
    inputs: list[torch.Tensor]
    output: torch.Tensor


class GraphRunner:
    """`fn(*inputs) -> tensor`, replayed from a CUDA graph per input shape."""

    def __init__(self, fn: Callable[..., torch.Tensor], max_graphs: int = MAX_GRAPHS) -> None:
        self.fn = fn
        self.max_graphs = max_graphs
        self.graphs: dict[tuple, _Captured] = {}
        self.pool: tuple | None = None
        self.failure: str | None = None  # why capture was given up, if it was
        self.captures = self.replays = 0

    def _capture(self, inputs: Sequence[torch.Tensor]) -> _Captured:
        static = [x.clone() for x in inputs]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up outside the graph (allocator, lazy init)
            self.fn(*static)
        torch.cuda.current_stream().wait_stream(side)
        if self.pool is None:
            self.pool = torch.cuda.graph_pool_handle()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, pool=self.pool):
            output = self.fn(*static)
        self.captures += 1
        return _Captured(graph, static, output)

    def __call__(self, inputs: Sequence[torch.Tensor]) -> torch.Tensor | None:
        """The output (a view into graph memory: copy what you keep before the next call),
        or None when this shape is not captured and cannot be (then run `fn` yourself)."""
        if self.failure is not None:
            return None
        key = tuple((tuple(x.shape), x.dtype) for x in inputs)
        captured = self.graphs.get(key)
        if captured is None:
            if len(self.graphs) >= self.max_graphs:
                return None
            try:
                captured = self._capture(inputs)
            except Exception as exc:  # noqa: BLE001 - any capture failure: run eagerly instead
                with contextlib.suppress(Exception):
                    torch.cuda.synchronize()
                self.failure = f"{type(exc).__name__}: {str(exc).strip()[:300]}"
                return None
            self.graphs[key] = captured
            # the capture ran the forward on its own inputs copies: fall through to a replay
        for static, x in zip(captured.inputs, inputs, strict=True):
            static.copy_(x, non_blocking=True)
        captured.graph.replay()
        self.replays += 1
        return captured.output

    def clear(self) -> None:
        self.graphs.clear()
        self.pool = None
