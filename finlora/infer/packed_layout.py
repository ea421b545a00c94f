"""Packed layout for label scoring: several prompts per row, no padding between them.

Each prompt becomes a segment: its tokens after the shared prefix (whose keys and values sit in
a cache computed once), then the label-trie nodes that have children. Segments are packed into
rows of one width by first-fit decreasing; a block-diagonal mask lets each token see the shared
prefix, the earlier tokens of its own prompt and, for trie nodes, its own ancestors only. Position
ids restart per segment (after the prefix), so every segment computes what it would alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from finlora.infer.tree_scoring import _build_trie, _Trie

if TYPE_CHECKING:
    import torch

ROW_TOKENS = 1024  # widest row the packer aims for (longer segments get a row of their own)


def bucket(n: int) -> int:
    """Round a row width up to a few static shapes (multiples of 16, then of 64)."""
    step = 16 if n <= 256 else 64
    return -(-n // step) * step


@dataclass
class PackedRows:
    """One forward pass: `rows` × `width` tokens after `prefix_len` cached ones."""

    input_ids: torch.Tensor   # [rows, width]
    positions: torch.Tensor   # [rows, width]
    allowed: torch.Tensor     # [rows, width, prefix_len + width] bool: True where attention may go
    scored_at: torch.Tensor   # [n] flat index (row * width + column) of each hidden state scored
    picks: torch.Tensor       # [k] per label token: its index into `scored_at`
    targets: torch.Tensor     # [k] per label token: its token id
    tries: list[_Trie]        # per prompt, in input order
    real_tokens: int          # tokens that are not padding

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.input_ids.shape)  # type: ignore[return-value]


def _segments(prompt_ids: Sequence[Sequence[int]], tries: Sequence[_Trie], prefix_len: int,
              ) -> list[tuple[list[int], list[int]]]:
    """Per prompt: its own tokens and the trie nodes fed after them (nodes with children)."""
    return [(list(p[prefix_len:]), sorted(set(t.parents) - {-1}))
            for p, t in zip(prompt_ids, tries, strict=True)]


def _assign_rows(lengths: Sequence[int], row_tokens: int, prefix_len: int,
                 ) -> tuple[int, list[list[int]]]:
    """Width and segments per row, first-fit decreasing; few rows, little slack. Widths are
    bucketed so that prefix + width (the key length) is a multiple of 16, as the fused
    attention kernels want it."""
    total, longest = sum(lengths), max(lengths)
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    rows = max(1, -(-total // max(row_tokens, longest)))
    while True:
        width = bucket(max(longest, -(-total // rows)) + prefix_len) - prefix_len
        for _ in range(3):  # a little wider before one more row
            fill = [0] * rows
            members: list[list[int]] = [[] for _ in range(rows)]
            for i in order:
                r = next((r for r in range(rows) if fill[r] + lengths[i] <= width), None)
                if r is None:
                    break
                fill[r] += lengths[i]
                members[r].append(i)
            else:
                return width, members
            width = bucket(width + prefix_len + 1) - prefix_len
        rows += 1


def pack_rows(prompt_ids: Sequence[Sequence[int]], label_ids: Sequence[Sequence[Sequence[int]]],
              *, pad_id: int, prefix_len: int = 0, row_tokens: int = ROW_TOKENS) -> PackedRows:
    """Lay out prompts (minus the first `prefix_len` tokens) and their label tries in rows."""
    import torch

    tries = [_build_trie(ids) for ids in label_ids]
    segments = _segments(prompt_ids, tries, prefix_len)
    lengths = [len(own) + len(fed) for own, fed in segments]
    width, members = _assign_rows(lengths, row_tokens, prefix_len)
    rows = len(members)
    input_ids = torch.full((rows, width), pad_id, dtype=torch.long)
    positions = torch.zeros((rows, width), dtype=torch.long)
    allowed = torch.zeros((rows, width, prefix_len + width), dtype=torch.bool)
    allowed[:, :, :prefix_len] = True
    causal = torch.ones(max(lengths), max(lengths), dtype=torch.bool).tril()
    sources: list[list[list[int]]] = [[] for _ in prompt_ids]  # flat index per label token
    for r, row in enumerate(members):
        at = 0
        for i in row:
            own, fed = segments[i]
            trie, s = tries[i], len(own)
            base = r * width + at
            input_ids[r, at:at + s] = torch.tensor(own)
            positions[r, at:at + s] = torch.arange(prefix_len, prefix_len + s)
            allowed[r, at:at + s, prefix_len + at:prefix_len + at + s] = causal[:s, :s]
            slot = {node: at + s + j for j, node in enumerate(fed)}
            for node, col in slot.items():
                input_ids[r, col] = trie.tokens[node]
                positions[r, col] = prefix_len + s + trie.depths[node] - 1
                allowed[r, col, prefix_len + at:prefix_len + at + s] = True
                ancestor = node
                while ancestor != -1:
                    allowed[r, col, prefix_len + slot[ancestor]] = True
                    ancestor = trie.parents[ancestor]
            sources[i] = [[base + s - 1 if trie.parents[n] == -1 else r * width + slot[trie.parents[n]]
                           for n in path] for path in trie.paths]
            at += s + len(fed)
        for col in range(at, width):  # padding sees itself only
            allowed[r, col, prefix_len + col] = True
    flat = sorted({f for per in sources for path in per for f in path})
    where = {f: k for k, f in enumerate(flat)}
    picks = [where[f] for per in sources for path in per for f in path]
    targets = [trie.tokens[n] for trie in tries for path in trie.paths for n in path]
    return PackedRows(input_ids, positions, allowed, torch.tensor(flat), torch.tensor(picks),
                      torch.tensor(targets), tries, sum(lengths))
