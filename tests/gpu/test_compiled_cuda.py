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
    uncompile_decoder_layers,
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


def _nf4_loss(model_path: str, dtype: str, dropout: float, checkpointing: bool) -> AnswerLoss:
    config = TrainConfig(quantization="nf4", dtype=dtype, rank=8, dropout=dropout,
                         target_modules="all-linear", compile_layers=False, seed=5,
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
    uncompile_decoder_layers(loss_fn.model)
    assert not any(is_compiled(block) for layer in layers for block in layer.children())


def test_compiled_backward_keeps_no_dense_weight_on_cuda(tiny_llama_path) -> None:
    """With AOTAutograd's CSE on, the backward's nf4 dequantization merges with the forward's
    and every dense weight is saved for the backward (+12 GiB on an 8B model)."""
    loss_fn = _nf4_loss(tiny_llama_path, "bf16", dropout=0.05, checkpointing=False)
    compile_decoder_layers(loss_fn.model)
    weights = {tuple(m.get_base_layer().weight.quant_state.shape)
               for m in loss_fn.model.modules() if isinstance(m, FusedLora)}
    # 220 tokens, one packed row of 224: no activation has a weight's shape by chance
    batch, normalizer = packed_batch(random_items([70, 50, 100], answer=3, seed=9), CUDA)
    saved = []

    def keep_shape(tensor: torch.Tensor) -> torch.Tensor:
        saved.append(tuple(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep_shape, lambda tensor: tensor):
        loss_and_grads(loss_fn, batch, normalizer)
    uncompile_decoder_layers(loss_fn.model)
    assert weights == {(256, 256), (128, 256), (512, 256), (256, 512)} and saved
    assert not weights & set(saved), sorted(weights & set(saved))
