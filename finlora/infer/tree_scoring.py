"""Tree attention for one prompt per row: the label trie after the prompt, right-padded.

The layout `score_batch` (and the pipeline-parallel scorer) runs: each row holds one prompt
(after any shared prefix in a KV cache) then the label-trie nodes that have children; a 4-D mask
lets each answer token see the prompt and its own ancestors only. `finlora.infer.packed_scoring`
packs several prompts into a row instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch

Normalization = Literal["mean", "sum"]

@dataclass
class _Trie:
    """Answer tokens merged by shared prefix. Node i holds token[i] at depth[i] under parent[i]."""

    tokens: list[int]
    parents: list[int]  # -1: child of the prompt
    depths: list[int]
    paths: list[list[int]]  # per label: its node indices, in order


def _build_trie(label_ids: Sequence[Sequence[int]]) -> _Trie:
    trie = _Trie([], [], [], [])
    index: dict[tuple[int, ...], int] = {}
    for ids in label_ids:
        path: list[int] = []
        parent = -1
        for depth, token in enumerate(ids, start=1):
            key = tuple(ids[:depth])
            node = index.get(key)
            if node is None:
                node = len(trie.tokens)
                index[key] = node
                trie.tokens.append(token)
                trie.parents.append(parent)
                trie.depths.append(depth)
            path.append(node)
            parent = node
        trie.paths.append(path)
    return trie



@dataclass
class PackedBatch:
    """A batch laid out for one tree-attention forward pass: per row the prompt (after any
    shared prefix) then the label-trie nodes that have children, right-padded."""

    input_ids: torch.Tensor   # [batch, width]
    positions: torch.Tensor   # [batch, width] position ids (after `prefix_len` cached tokens)
    allowed: torch.Tensor     # [batch, width, prefix_len + width] True where attention may go
    tries: list[_Trie]
    source: list[list[list[int]]]  # per row, per label: the position whose logits score a token

    def attention_bias(self, dtype: torch.dtype) -> torch.Tensor:
        """The additive 4-D mask [batch, 1, width, prefix + width] transformers accepts as is."""
        import torch

        bias = torch.zeros(self.allowed.shape, dtype=dtype)
        bias.masked_fill_(~self.allowed, torch.finfo(dtype).min)
        return bias[:, None]


def pack_batch(prompt_ids: Sequence[Sequence[int]], label_ids: Sequence[Sequence[Sequence[int]]],
               *, pad_id: int, prefix_len: int = 0) -> PackedBatch:
    """Lay out prompts (minus their first `prefix_len` tokens, which sit in a KV cache) and
    their label tries for one forward pass."""
    import torch

    tries = [_build_trie(ids) for ids in label_ids]
    suffixes = [list(p[prefix_len:]) for p in prompt_ids]
    # Only nodes with children are fed: a node's logits score its children.
    fed = [sorted(set(t.parents) - {-1}) for t in tries]
    rows = [len(s) + len(f) for s, f in zip(suffixes, fed, strict=True)]
    width = max(rows)
    batch = len(prompt_ids)
    input_ids = torch.full((batch, width), pad_id, dtype=torch.long)
    positions = torch.zeros((batch, width), dtype=torch.long)
    allowed = torch.zeros((batch, width, prefix_len + width), dtype=torch.bool)
    allowed[:, :, :prefix_len] = True
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    source: list[list[list[int]]] = []
    for b, (suffix, trie, nodes) in enumerate(zip(suffixes, tries, fed, strict=True)):
        s = len(suffix)
        input_ids[b, :s] = torch.tensor(suffix)
        positions[b, :s] = torch.arange(prefix_len, prefix_len + s)
        allowed[b, :s, prefix_len:prefix_len + s] = causal[:s, :s]
        slot = {node: s + i for i, node in enumerate(nodes)}
        for node, row in slot.items():
            input_ids[b, row] = trie.tokens[node]
            positions[b, row] = prefix_len + s + trie.depths[node] - 1
            allowed[b, row, prefix_len:prefix_len + s] = True
            ancestor = node
            while ancestor != -1:
                allowed[b, row, prefix_len + slot[ancestor]] = True
                ancestor = trie.parents[ancestor]
        for row in range(rows[b], width):  # padding sees itself only
            allowed[b, row, prefix_len + row] = True
        source.append([[s - 1 if trie.parents[n] == -1 else slot[trie.parents[n]] for n in path]
                       for path in trie.paths])
    return PackedBatch(input_ids, positions, allowed, tries, source)


def label_scores_from_hidden(hidden: torch.Tensor, head: torch.nn.Module, packed: PackedBatch,
                             normalization: Normalization = "mean",
                             ) -> list[tuple[list[float], list[float]]]:
    """Apply the LM head only where a label token is scored; per row (scores, log-likelihoods)."""
    import torch

    device = hidden.device
    wanted = sorted({(b, r) for b, per in enumerate(packed.source) for rs in per for r in rs})
    where = {key: i for i, key in enumerate(wanted)}
    rows_b = torch.tensor([b for b, _ in wanted], device=device)
    rows_r = torch.tensor([r for _, r in wanted], device=device)
    logprobs = torch.log_softmax(head(hidden[rows_b, rows_r]).float(), dim=-1)
    picks_i: list[int] = []
    picks_t: list[int] = []
    for b, (trie, per_label) in enumerate(zip(packed.tries, packed.source, strict=True)):
        for path, rows_of in zip(trie.paths, per_label, strict=True):
            picks_i += [where[(b, r)] for r in rows_of]
            picks_t += [trie.tokens[n] for n in path]
    values = logprobs[torch.tensor(picks_i, device=device),
                      torch.tensor(picks_t, device=device)].tolist()  # one device sync
    return scores_from_values(values, packed.tries, normalization)


def scores_from_values(values: Sequence[float], tries: Sequence[_Trie], normalization: str,
                       ) -> list[tuple[list[float], list[float]]]:
    """Per prompt (normalised scores, summed log-likelihoods) from the label tokens'
    log-probabilities, in the order of the tries' paths (`pack_batch` and `pack_rows` both
    lay them out so)."""
    results, at = [], 0
    for trie in tries:
        sums, scores = [], []
        for path in trie.paths:
            total = sum(values[at:at + len(path)])
            at += len(path)
            sums.append(total)
            scores.append(total / len(path) if normalization == "mean" else total)
        results.append((scores, sums))
    return results
