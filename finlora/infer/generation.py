"""Batched greedy generation: prompts sorted by length, left padding, results in input order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from finlora.infer.scoring import pad_token_id
from finlora.tasks.base import prompt_token_ids, split_trailing_space

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


def generate(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
             *, max_new_tokens: int = 16, batch_size: int = 16) -> list[str]:
    """Greedy continuations of `prompts` (new text only, special tokens dropped).

    A prompt's trailing spaces are left to the model to generate (see `split_trailing_space`),
    so the text starts with them; parsers strip them.

    Prompts of similar length are batched together (longest first) so little padding is
    computed; padding goes on the left so every prompt ends where generation starts.
    """
    import torch

    ids = [prompt_token_ids(tokenizer, split_trailing_space(p)[0]) for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: -len(ids[i]))
    pad_id = pad_token_id(tokenizer)
    device = next(model.parameters()).device
    texts: list[str] = [""] * len(prompts)
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            width = max(len(ids[i]) for i in chunk)
            input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
            attention = torch.zeros((len(chunk), width), dtype=torch.long)
            for row, i in enumerate(chunk):
                input_ids[row, width - len(ids[i]):] = torch.tensor(ids[i])
                attention[row, width - len(ids[i]):] = 1
            out = model.generate(input_ids=input_ids.to(device),
                                 attention_mask=attention.to(device),
                                 max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=pad_id)
            for row, i in enumerate(chunk):
                text = tokenizer.decode(out[row, width:], skip_special_tokens=True)
                space = split_trailing_space(prompts[i])[1]
                texts[i] = text[len(space):] if text.startswith(space) else text
    return texts
