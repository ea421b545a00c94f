"""The KV cache of a shared prompt prefix for `score_batch`, kept across calls, and the
packed scorer's state (`packed_scoring.PackedState`) for the same model state."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

MIN_SHARED_PREFIX = 16  # tokens; below this a separate prefix pass does not pay


def _shared_prefix_length(rows: Sequence[Sequence[int]]) -> int:
    """Tokens shared by every row, leaving at least one own token per row."""
    if len(rows) < 2:
        return 0
    limit = min(len(r) for r in rows) - 1
    n = 0
    first = rows[0]
    while n < limit and all(r[n] == first[n] for r in rows):
        n += 1
    return n if n >= MIN_SHARED_PREFIX else 0


class PrefixCache:
    """The KV cache of the last shared prompt prefix, kept across calls: the instruction of a
    classification task, or the 139-tag list of FiNER prompts while their tags are decoded slot
    by slot, is computed once. Valid for one model state only: use a new one (or `clear()`)
    when the weights or the active adapter change."""

    def __init__(self) -> None:
        self.ids: tuple[int, ...] = ()
        self._cache: Any = None
        self._packed: Any = None

    def clear(self) -> None:
        self.ids, self._cache, self._packed = (), None, None

    @property
    def packed(self) -> Any:
        """The packed scorer's state for this model state (`packed_scoring.PackedState`)."""
        if self._packed is None:
            from finlora.infer.packed_scoring import PackedState

            self._packed = PackedState()
        return self._packed

    def match(self, rows: Sequence[Sequence[int]]) -> int:
        """The cached prefix length when every row extends the cached prefix, else 0."""
        n = len(self.ids)
        if n and all(len(r) > n and tuple(r[:n]) == self.ids for r in rows):
            return n
        return 0

    def fill(self, body: torch.nn.Module, ids: Sequence[int], device: torch.device) -> None:
        import torch
        from transformers import DynamicCache

        cache = DynamicCache()
        body(input_ids=torch.tensor([list(ids)], device=device), use_cache=True,
             **{cache_kwarg(body): cache})
        self.ids, self._cache = tuple(ids), cache

    def expanded(self, batch: int) -> Any:
        """A fresh copy of the cached prefix, repeated for `batch` rows."""
        cache = copy.deepcopy(self._cache)
        cache.batch_repeat_interleave(batch)
        return cache


def cache_kwarg(module: torch.nn.Module) -> str:
    """The name of the KV-cache argument: `cache` in recent transformers, else the old name."""
    return "cache" if "cache" in inspect.signature(module.forward).parameters else "past_key_values"
