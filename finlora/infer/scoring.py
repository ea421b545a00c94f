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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from finlora.infer.label_scores import LabelScores
from finlora.infer.prefix_cache import PrefixCache, _shared_prefix_length, cache_kwarg
from finlora.infer.tree_scoring import (
    Normalization,
    PackedBatch,
    label_scores_from_hidden,
    pack_batch,
)
from finlora.models import answer_end_id, split_causal_lm
from finlora.tasks.base import prompt_token_ids, split_trailing_space

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["LabelScores", "Normalization", "PackedBatch", "PrefixCache", "encode_prompts",
           "label_scores_from_hidden", "label_token_ids", "pack_batch", "pad_token_id",
           "score_batch", "score_labels", "score_sorted_batches", "split_trailing_space"]
Engine = Literal["auto", "packed", "tree"]


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
                 prefix_cache: PrefixCache | None = None,
                 calibration: str | Sequence[str] | None = None,
                 **engine: Any) -> list[LabelScores]:
    """Score every allowed label of every prompt; `labels` is one list for all prompts or one
    list per prompt. `end` is the text that follows an answer (default: end of text; a
    separator such as "," inside a list of answers). Prompts are grouped by length into
    batches; results keep input order.

    `calibration`: a content-free prompt (one for all, or one per prompt; e.g. the same
    instruction with input "N/A", see `calibrated_scoring.content_free_prompt`): each label's
    score is then its score after the prompt minus its score after the content-free one.
    `engine` options go to `score_sorted_batches`."""
    if labels and isinstance(labels[0], str):
        per_prompt: list[Sequence[str]] = [labels] * len(prompts)  # type: ignore[list-item]
    else:
        per_prompt = list(labels)  # type: ignore[arg-type]
    if len(per_prompt) != len(prompts):
        raise ValueError(f"{len(prompts)} prompts but {len(per_prompt)} label lists")
    prompt_ids, label_ids = encode_prompts(tokenizer, prompts, per_prompt, end)
    scored = score_sorted_batches(model, prompt_ids, label_ids, batch_size=batch_size,
                                  pad_id=pad_token_id(tokenizer), normalization=normalization,
                                  reuse_prefix=reuse_prefix, prefix_cache=prefix_cache,
                                  **engine)
    results = [LabelScores(tuple(ls), tuple(scores), tuple(sums))
               for ls, (scores, sums) in zip(per_prompt, scored, strict=True)]
    if calibration is None:
        return results
    from finlora.infer.calibrated_scoring import calibrated, per_prompt_baselines

    free = [calibration] * len(prompts) if isinstance(calibration, str) else list(calibration)
    baselines = per_prompt_baselines(
        free, per_prompt, lambda ps, ls: score_labels(
            model, tokenizer, ps, ls, batch_size=batch_size, normalization=normalization,
            reuse_prefix=reuse_prefix, end=end, prefix_cache=prefix_cache, **engine))
    return calibrated(results, baselines)


def score_sorted_batches(model: PreTrainedModel, prompt_ids: Sequence[Sequence[int]],
                         label_ids: Sequence[Sequence[Sequence[int]]], *, batch_size: int,
                         pad_id: int, normalization: Normalization = "mean",
                         reuse_prefix: bool = True, prefix_cache: PrefixCache | None = None,
                         engine: Engine = "auto", cuda_graphs: bool | None = None,
                         dense_base: bool | None = None, fused: bool | None = None,
                         ) -> list[tuple[list[float], list[float]]]:
    """Score any number of prompts, grouped by length into batches of `batch_size`; results
    in input order.

    `engine`: "packed" (`packed_scoring`: several prompts per row, no padding, the shared
    prefix run once per call, or once while `prefix_cache` lives), "tree" (`score_batch`: one
    prompt per row), "auto": packed where the architecture allows (Llama, Mistral, Qwen2).
    Packed only: `cuda_graphs` (default: on for CUDA when `prefix_cache` is given, which
    keeps the graphs), `dense_base` (a bf16 copy of nf4 weights, see `dense_base`; default:
    when it fits in free GPU memory) and `fused` (compiled glue between projections; default: on CUDA for long runs, see
    `packed_scoring.FUSED_AFTER_PROMPTS`)."""
    import torch

    if engine != "tree":
        from finlora.infer.packed_forward import unsupported

        reason = unsupported(split_causal_lm(model)[0])
        if reason is None:
            from finlora.infer.packed_scoring import score_packed

            return score_packed(
                model, prompt_ids, label_ids, batch_size=batch_size, pad_id=pad_id,
                normalization=normalization, reuse_prefix=reuse_prefix,
                state=prefix_cache.packed if prefix_cache is not None else None,
                cuda_graphs=prefix_cache is not None if cuda_graphs is None else cuda_graphs,
                dense_base=dense_base, fused=fused)
        if engine == "packed":
            raise ValueError(f"packed scoring: {reason}")

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
