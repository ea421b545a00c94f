"""Fixed-shape steps (static_step.py): the packed layout checked by hand, and the loss and
gradients of `AnswerLoss` on the same examples through transformers' own packed-row handling
(position-id restarts), with padding and unused answer slots that must change nothing.
CUDA-graph capture itself is tested in tests/gpu/test_static_step_cuda.py."""

from __future__ import annotations

import pytest
import torch

from finlora.train.data import IGNORE_INDEX as IGN
from finlora.train.data import Tokenized, collate
from finlora.train.static_step import (
    CapturedStep,
    block_causal_mask,
    pack_static,
    static_budget,
    static_loss,
)
from finlora.train.trainable import AnswerLoss


def test_pack_static_layout_by_hand() -> None:
    items = [Tokenized([5, 6, 7], [IGN, 7, IGN], "a"), Tokenized([8, 9], [9, IGN], "b")]
    batch = pack_static(items, tokens=8, answers=4, pad_id=0)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9, 0, 0, 0]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 0, 1, 2]]
    assert batch["answer_index"].tolist() == [1, 3, 0, 0]
    assert batch["targets"].tolist() == [7, 9, IGN, IGN]
    assert float(batch["normalizer"]) == 2.0
    assert batch["segment_ids"].tolist() == [[0, 0, 0, 1, 1, 2, 2, 2]]
    mask = block_causal_mask(batch["segment_ids"])[0, 0]
    assert mask.shape == (8, 8)
    assert mask[2].tolist() == [True, True, True, False, False, False, False, False]
    assert mask[4].tolist() == [False, False, False, True, True, False, False, False]
    assert mask[6].tolist() == [False] * 5 + [True, True, False]
    assert static_budget([items, items[:1]]) == (64, 8)
    with pytest.raises(ValueError, match="do not fit"):
        pack_static(items, tokens=4, answers=4, pad_id=0)


def _tiny_answer_loss() -> AnswerLoss:
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=96, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         tie_word_embeddings=False)
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = get_peft_model(LlamaForCausalLM(config), LoraConfig(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"], lora_dropout=0.0))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.1)
    return AnswerLoss(model)


def _items(seed: int) -> list[Tokenized]:
    generator = torch.Generator().manual_seed(seed)
    items = []
    for n, answer in [(11, 2), (7, 1), (15, 3)]:
        ids = torch.randint(3, 96, (n,), generator=generator).tolist()
        labels = [IGN] * (n - answer - 1) + ids[n - answer:] + [IGN]
        items.append(Tokenized(ids, labels, f"r{len(items)}"))
    return items


def _grads(loss_fn: AnswerLoss) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in loss_fn.named_parameters() if p.grad is not None}


def test_static_loss_equals_answer_loss_on_packed_rows() -> None:
    loss_fn = _tiny_answer_loss()
    step = CapturedStep(loss_fn)  # no CUDA here: every call is the eager fixed-shape step
    for seed in (1, 2):
        items = _items(seed)
        batch = collate(items, max_seq_len=64, packing=True, pad_id=0)
        loss_fn.zero_grad(set_to_none=True)
        want = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], 6.0)
        want.backward()
        want_grads = _grads(loss_fn)
        loss_fn.zero_grad(set_to_none=True)
        got = step(pack_static(items, tokens=64, answers=16, pad_id=0))  # 31 pad, 10 unused
        assert float(got.detach()) == pytest.approx(float(want.detach()), rel=1e-5)
        got_grads = _grads(loss_fn)
        assert got_grads.keys() == want_grads.keys() and got_grads
        for name, grad in want_grads.items():
            torch.testing.assert_close(got_grads[name], grad, rtol=1e-4, atol=1e-6)
    assert step.graph is None and step.failure is None
    assert float(static_loss(loss_fn, pack_static(_items(3), 40, 8, 0)).detach()) > 0
