"""The captured fixed-shape step (static_step.py) on CUDA: nf4 fused LoRA in compiled blocks,
forward + backward recorded once as a CUDA graph and replayed over different batches. Its loss
curve under AdamW equals the uncaptured step's from the same LoRA init (the replay really
reads each new batch: the same batch every step would give another curve), and it matches
`AnswerLoss` on finlora's ordinary packed rows."""

from __future__ import annotations

import pytest
import torch

from finlora.train.compiled_layers import compile_decoder_layers
from finlora.train.config import TrainConfig
from finlora.train.data import collate
from finlora.train.static_step import CapturedStep, pack_static, static_budget
from finlora.train.trainable import AnswerLoss, build_model

from .helpers import random_items, randomize_lora_b

pytestmark = pytest.mark.gpu
CUDA = torch.device("cuda")
STEPS = 6


def _curve(loss_fn: AnswerLoss, steps: list, run) -> list[float]:
    init = {n: p.detach().clone() for n, p in loss_fn.named_parameters() if p.requires_grad}
    params = [p for p in loss_fn.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=2e-3)
    losses = []
    for items in steps:
        losses.append(float(run(items).detach()))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    with torch.no_grad():
        for n, p in loss_fn.named_parameters():
            if p.requires_grad:
                p.copy_(init[n])
    return losses


@pytest.mark.parametrize("compiled", [False, True])
def test_captured_step_follows_the_eager_loss_curve(tiny_llama_path, compiled) -> None:
    config = TrainConfig(quantization="nf4", dtype="fp32", rank=8, dropout=0.0,
                         target_modules="all-linear", compile_layers=False, seed=5)
    model = build_model(tiny_llama_path, config, CUDA)
    randomize_lora_b(model, std=0.05)
    loss_fn = AnswerLoss(model)
    if compiled:
        compile_decoder_layers(model)
    steps = [random_items([30 + 7 * i, 50, 20 + 3 * i], answer=3, seed=100 + i)
             for i in range(STEPS)]
    tokens, answers = static_budget(steps)

    def packed(items):  # finlora's ordinary path, the reference
        batch = {k: v.to(CUDA) for k, v in collate(items, max_seq_len=512, packing=True,
                                                    pad_id=0).items()}
        loss = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"],
                       float(sum(it.n_answer for it in items)))
        loss.backward()
        return loss

    captured = CapturedStep(loss_fn, warmup=2)

    def static(items):
        batch = pack_static(items, tokens, answers, pad_id=0)
        return captured({k: v.to(CUDA) for k, v in batch.items()})

    want = _curve(loss_fn, steps, packed)
    got = _curve(loss_fn, steps, static)
    assert captured.failure is None and captured.graph is not None
    assert captured.calls == STEPS
    assert want[0] - want[-1] > 0.05, want  # the curve moves: the check can tell paths apart
    assert got == pytest.approx(want, rel=2e-3, abs=2e-3), (got, want)
