"""Set-up shared by the training tests that compare losses and gradients."""

from __future__ import annotations

import torch

from finlora import tasks
from finlora.train import TrainConfig
from finlora.train.data import Tokenized, tokenize_examples
from finlora.train.trainable import AnswerLoss, build_model


def answer_loss_with_random_b(model_path: str, config: TrainConfig, std: float) -> AnswerLoss:
    """The model on CPU with non-zero LoRA B matrices (so adapter gradients depend on the
    inputs), wrapped in the answer-only loss."""
    model = build_model(model_path, config, torch.device("cpu"))
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, std)
    return AnswerLoss(model)


def fpb_items(tokenizer, n: int, max_seq_len: int) -> list[Tokenized]:
    fpb = tasks.get("fpb")
    return tokenize_examples([(fpb, fpb.load("train", limit=n))], tokenizer, chat=False,
                             max_seq_len=max_seq_len)


def loss_and_grads(loss_fn: AnswerLoss, batch: dict, normalizer: float):
    """The loss of one batch and every trainable parameter's gradient."""
    loss_fn.zero_grad(set_to_none=True)
    loss = loss_fn(batch["input_ids"], batch["position_ids"], batch["labels"], normalizer)
    loss.backward()
    return float(loss.detach()), {n: p.grad.clone() for n, p in loss_fn.named_parameters()
                                  if p.grad is not None}
