"""Compiled decoder blocks on CUDA (Triton kernels, fused LoRA layers traced in): the loss and
gradients of eager, over batches of changing shape, with gradient checkpointing; and the
no-CSE memory fix: no dense (weight-shaped) tensor is saved from forward to backward."""

from __future__ import annotations

import pytest
import torch

from finlora.train.compiled_layers import (
    compile_decoder_layers,
    compiler_works,
    is_compiled,
)
from finlora.train.config import TrainConfig
from finlora.train.fused_layers import FusedLora
from finlora.train.trainable import AnswerLoss, build_model

from .helpers import (
    loss_and_grads,
    packed_batch,
    random_items,
    randomize_lora_b,
    relative_difference,
)

pytestmark = pytest.mark.gpu
CUDA = torch.device("cuda")


def _nf4_loss(model_path: str, dtype: str, dropout: float, checkpointing: bool,
              target: str = "all-linear") -> AnswerLoss:
    config = TrainConfig(quantization="nf4", dtype=dtype, rank=8, dropout=dropout,
                         target_modules=target, compile_layers=False, seed=5,
                         gradient_checkpointing=checkpointing)
    model = build_model(model_path, config, CUDA)
    randomize_lora_b(model, std=0.05)
    return AnswerLoss(model)


@pytest.mark.parametrize(("dtype", "tolerance"), [("fp32", 1e-3), ("bf16", 5e-2)])
def test_compiled_blocks_equal_eager_on_cuda(tiny_llama_path, dtype, tolerance) -> None:
    import torch._dynamo.utils

    assert compiler_works(CUDA) is None
    loss_fn = _nf4_loss(tiny_llama_path, dtype, dropout=0.0, checkpointing=True)
    batches = [packed_batch(random_items(lengths, answer=3, seed=i), CUDA)
               for i, lengths in enumerate([[40, 70], [100, 30, 55, 20], [64, 64, 64]])]
    eager = [loss_and_grads(loss_fn, batch, n) for batch, n in batches]

    torch._dynamo.utils.counters.clear()
    layers = loss_fn.model.get_base_model().model.layers
    assert compile_decoder_layers(loss_fn.model) == 4 * len(layers)  # attention, MLP, 2 norms
    compiled = [loss_and_grads(loss_fn, batch, n) for batch, n in batches]
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0
    assert not torch._dynamo.utils.counters["graph_break"], dict(
        torch._dynamo.utils.counters["graph_break"])
    for (eager_loss, eager_grads), (loss, grads) in zip(eager, compiled, strict=True):
        assert loss == pytest.approx(eager_loss, rel=tolerance)
        assert relative_difference(grads, eager_grads) <= tolerance
    assert all(is_compiled(block) for layer in layers for block in layer.children())


@pytest.mark.parametrize("target", ["all-linear", "attention"])
def test_compiled_backward_keeps_no_dense_weight_on_cuda(tiny_llama_path, target) -> None:
    """No dense base weight (or its transpose) is saved from forward to backward, neither a
    fused LoRA layer's nor an untargeted nf4 layer's ('attention': o_proj and the MLP are
    plain bitsandbytes layers, traced): compared by value, not only by shape (a row padded to
    256 tokens gives activations of q_proj's (256, 256) shape)."""
    import bitsandbytes as bnb

    loss_fn = _nf4_loss(tiny_llama_path, "bf16", dropout=0.05, checkpointing=False,
                        target=target)
    layers = loss_fn.model.get_base_model().model.layers
    assert compile_decoder_layers(loss_fn.model) == 4 * len(layers)
    assert any(isinstance(m, FusedLora) for m in loss_fn.model.modules())
    dense = [bnb.functional.dequantize_4bit(m.weight.data, m.weight.quant_state).to(
        torch.bfloat16) for m in loss_fn.model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    shapes = {tuple(w.shape) for w in dense}
    # 300 tokens, one packed row of 304: no activation has a weight's shape
    batch, normalizer = packed_batch(random_items([130, 70, 100], answer=3, seed=9), CUDA)
    assert batch["input_ids"].shape[1] not in {d for shape in shapes for d in shape}
    saved: list[torch.Tensor] = []

    def keep(tensor: torch.Tensor) -> torch.Tensor:
        if tensor.dim() == 2 and (tuple(tensor.shape) in shapes
                                  or tuple(tensor.shape[::-1]) in shapes):
            saved.append(tensor.detach())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep, lambda tensor: tensor):
        loss_and_grads(loss_fn, batch, normalizer)
    assert shapes == {(256, 256), (128, 256), (512, 256), (256, 512)}
    dense_saved = [tuple(t.shape) for t in saved for w in dense
                   if t.shape == w.shape and torch.equal(t.to(w.dtype), w)
                   or t.shape == w.t().shape and torch.equal(t.to(w.dtype), w.t())]
    assert not dense_saved, (dense_saved, [tuple(t.shape) for t in saved])
