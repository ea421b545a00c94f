"""Label scoring: every allowed answer's log-likelihood in one batched forward pass.

For each prompt the allowed answers are merged into a token trie and packed after the prompt;
a 4-D attention mask lets each answer token see the prompt and its own ancestors only (tree
attention). So one forward pass scores all answers of a batch of prompts, answers that share
leading tokens share their computation, and the prompt is computed once — not once per answer.
When all prompts of a batch start with the same tokens (an instruction), that prefix is
computed once and reused through the KV cache.

The score of an answer is the mean log-probability of its tokens. An answer that is a proper
prefix of another one (`InterestExpense` / `InterestExpenseDebt`) also pays for the end-of-text
token, so the two are told apart by the model, not by hash or dictionary order. Ties go to the
answer listed first.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from finlora.models import answer_end_id, split_causal_lm
from finlora.tasks.base import prompt_token_ids, split_trailing_space

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

Normalization = Literal["mean", "sum"]
MIN_SHARED_PREFIX = 16  # tokens; below this a separate prefix pass does not pay


@dataclass(frozen=True)
class LabelScores:
    """The scores of one prompt's allowed answers, and the chosen one."""

    labels: tuple[str, ...]
    scores: tuple[float, ...]          # normalised log-likelihood per label
    log_likelihoods: tuple[float, ...]  # summed log-probability per label

    @property
    def best_index(self) -> int:
        """The highest score; on a tie, the label listed first."""
        return max(range(len(self.labels)), key=lambda i: (self.scores[i], -i))

    @property
    def best(self) -> str:
        return self.labels[self.best_index]

    @property
    def probabilities(self) -> tuple[float, ...]:
        """The model's probability of each label, given that the answer is one of them."""
        top = max(self.log_likelihoods)
        weights = [math.exp(ll - top) for ll in self.log_likelihoods]
        total = sum(weights)
        return tuple(w / total for w in weights)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.best_index]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.scores, strict=True))


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


def label_token_ids(tokenizer: PreTrainedTokenizerBase, labels: Sequence[str],
                    end: str | None = None) -> list[list[int]]:
    """Each label's tokens as the model would generate them after the prompt; labels that are a
    proper token prefix of another label end with `end`'s tokens (default: end of text)."""
    encoded = [tokenizer(label, add_special_tokens=False)["input_ids"] for label in labels]
    for label, ids in zip(labels, encoded, strict=True):
        if not ids:
            raise ValueError(f"label {label!r} has no tokens")
    if len({tuple(ids) for ids in encoded}) != len(encoded):
        raise ValueError(f"labels {list(labels)} are not distinct once tokenized")
    stop = tokenizer(end, add_special_tokens=False)["input_ids"] if end else [answer_end_id(tokenizer)]
    finished = []
    for ids in encoded:
        is_prefix = any(len(other) > len(ids) and other[: len(ids)] == ids for other in encoded)
        finished.append([*ids, *stop] if is_prefix else list(ids))
    return finished


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

    def clear(self) -> None:
        self.ids, self._cache = (), None

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


def pad_token_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The tokenizer's padding id, or its end-of-text id when it has none."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def mask_dtype(head: torch.nn.Module) -> torch.dtype:
    """The dtype of the additive attention mask: the LM head's (bf16 for a quantized head)."""
    import torch

    return head.weight.dtype if head.weight.is_floating_point() else torch.bfloat16


def encode_prompts(tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
                   labels: Sequence[Sequence[str]], end: str | None = None,
                   ) -> tuple[list[list[int]], list[list[list[int]]]]:
    """Token ids of each prompt (trailing spaces moved into its answers) and of each of its
    allowed labels; label lists shared by many prompts are tokenized once."""
    contexts = [split_trailing_space(p) for p in prompts]
    prompt_ids = [prompt_token_ids(tokenizer, context) for context, _ in contexts]
    cache: dict[tuple[str, ...], list[list[int]]] = {}
    label_ids = []
    for (_, space), ls in zip(contexts, labels, strict=True):
        key = tuple(space + label for label in ls)
        if key not in cache:
            cache[key] = label_token_ids(tokenizer, key, end)
        label_ids.append(cache[key])
    return prompt_ids, label_ids


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
    results, at = [], 0
    for trie in packed.tries:
        sums, scores = [], []
        for path in trie.paths:
            total = sum(values[at:at + len(path)])
            at += len(path)
            sums.append(total)
            scores.append(total / len(path) if normalization == "mean" else total)
        results.append((scores, sums))
    return results


def score_batch(model: PreTrainedModel, prompt_ids: Sequence[Sequence[int]],
                label_ids: Sequence[Sequence[Sequence[int]]], *, pad_id: int,
                normalization: Normalization = "mean", reuse_prefix: bool = True,
                prefix_cache: PrefixCache | None = None,
                ) -> list[tuple[list[float], list[float]]]:
    """Score the labels of a batch of prompts in one forward pass (plus one for a shared prefix).

    Returns per prompt (normalised scores, summed log-likelihoods), in label order.
    """
    body, head = split_causal_lm(model)
    device = next(model.parameters()).device
    dtype = mask_dtype(head)

    prefix_len, past = 0, None
    if reuse_prefix:
        prefixes = prefix_cache if prefix_cache is not None else PrefixCache()
        prefix_len = prefixes.match(prompt_ids)
        if not prefix_len:
            prefix_len = _shared_prefix_length(prompt_ids)
            if prefix_len:
                prefixes.fill(body, prompt_ids[0][:prefix_len], device)
        if prefix_len:
            past = prefixes.expanded(len(prompt_ids))

    packed = pack_batch(prompt_ids, label_ids, pad_id=pad_id, prefix_len=prefix_len)
    out = body(input_ids=packed.input_ids.to(device), position_ids=packed.positions.to(device),
               attention_mask=packed.attention_bias(dtype).to(device), use_cache=False,
               **({cache_kwarg(body): past} if past is not None else {}))
    return label_scores_from_hidden(out.last_hidden_state, head, packed, normalization)


def score_labels(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                 prompts: Sequence[str], labels: Sequence[Sequence[str]] | Sequence[str], *,
                 batch_size: int = 16, normalization: Normalization = "mean",
                 reuse_prefix: bool = True, end: str | None = None,
                 prefix_cache: PrefixCache | None = None) -> list[LabelScores]:
    """Score every allowed label of every prompt; `labels` is one list for all prompts or one
    list per prompt. `end` is the text that follows an answer (default: end of text; a
    separator such as "," inside a list of answers). Prompts are grouped by length into
    batches; results keep input order."""
    if labels and isinstance(labels[0], str):
        per_prompt: list[Sequence[str]] = [labels] * len(prompts)  # type: ignore[list-item]
    else:
        per_prompt = list(labels)  # type: ignore[arg-type]
    if len(per_prompt) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(per_prompt)} label lists")
    prompt_ids, label_ids = encode_prompts(tokenizer, prompts, per_prompt, end)
    scored = score_sorted_batches(model, prompt_ids, label_ids, batch_size=batch_size,
                                  pad_id=pad_token_id(tokenizer), normalization=normalization,
                                  reuse_prefix=reuse_prefix, prefix_cache=prefix_cache)
    return [LabelScores(tuple(ls), tuple(scores), tuple(sums))
            for ls, (scores, sums) in zip(per_prompt, scored, strict=True)]


def score_sorted_batches(model: PreTrainedModel, prompt_ids: Sequence[Sequence[int]],
                         label_ids: Sequence[Sequence[Sequence[int]]], *, batch_size: int,
                         pad_id: int, normalization: Normalization = "mean",
                         reuse_prefix: bool = True, prefix_cache: PrefixCache | None = None,
                         ) -> list[tuple[list[float], list[float]]]:
    """`score_batch` over any number of prompts: grouped by length into batches of
    `batch_size` (little padding), results in input order."""
    import torch

    order = sorted(range(len(prompt_ids)), key=lambda i: -len(prompt_ids[i]))
    results: list[tuple[list[float], list[float]] | None] = [None] * len(prompt_ids)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            scored = score_batch(model, [prompt_ids[i] for i in chunk],
                                 [label_ids[i] for i in chunk], pad_id=pad_id,
                                 normalization=normalization, reuse_prefix=reuse_prefix,
                                 prefix_cache=prefix_cache)
            for i, result in zip(chunk, scored, strict=True):
                results[i] = result
    return results  # type: ignore[return-value]
