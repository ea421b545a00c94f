"""Compiled decoder blocks (torch.compile, fused LoRA layers traced in) compute what eager
does: same loss and gradients on the real embedded model, nf4 base, with gradient
checkpointing, over batches of changing shape (the recompile to dynamic shapes included);
and they keep 4-bit memory (no dense weight saved for the backward)."""

from __future__ import annotations

import pytest
import torch

from finlora.models import load_tokenizer
from finlora.train import TrainConfig
from finlora.train.compiled_layers import (
    compile_decoder_layers,
    is_compiled,
)
from finlora.train.data import collate
from finlora.train.fused_layers import FusedLora

from .helpers import answer_loss_with_random_b, fpb_items, loss_and_grads

pytestmark = pytest.mark.slow


def _nf4_loss_and_batches(model_path: str, parts: list[slice], dropout: float,
                          gradient_checkpointing: bool) -> tuple:
    """The embedded model in nf4 with fused LoRA (eager), and packed FPB batches."""
    config = TrainConfig(quantization="nf4", dropout=dropout, target_modules="all-linear",
                         rank=8, seed=5, gradient_checkpointing=gradient_checkpointing,
                         compile_layers=False)
    loss_fn = answer_loss_with_random_b(model_path, config, std=0.05)
    tokenizer = load_tokenizer(model_path)
    items = fpb_items(tokenizer, max(part.stop for part in parts), max_seq_len=128)
    return loss_fn, [collate(items[part], max_seq_len=128, packing=True,
                             pad_id=tokenizer.pad_token_id) for part in parts]


def test_compiled_blocks_equal_eager(embedded_model_path) -> None:
    import torch._dynamo.utils  # noqa: F401 - counters

    loss_fn, batches = _nf4_loss_and_batches(embedded_model_path, [slice(0, 2), slice(2, 7)],
                                             dropout=0.0, gradient_checkpointing=True)
    assert batches[0]["input_ids"].shape != batches[1]["input_ids"].shape
    normalizers = [2.0, 5.0]
    eager = [loss_and_grads(loss_fn, b, n) for b, n in zip(batches, normalizers, strict=True)]

    torch._dynamo.utils.counters.clear()
    layers = loss_fn.model.get_base_model().model.layers
    assert compile_decoder_layers(loss_fn.model) == 4 * len(layers)  # attention, MLP, 2 norms
    compiled = [loss_and_grads(loss_fn, b, n) for b, n in zip(batches, normalizers, strict=True)]
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] > 0  # really compiled
    # the fused LoRA layers are traced into the blocks' graphs: nothing breaks them
    assert not torch._dynamo.utils.counters["graph_break"], dict(
        torch._dynamo.utils.counters["graph_break"])
    for (eager_loss, eager_grads), (loss, grads) in zip(eager, compiled, strict=True):
        assert loss == pytest.approx(eager_loss, rel=1e-4)
        assert grads.keys() == eager_grads.keys()
        diff = sum(float((grads[k] - eager_grads[k]).pow(2).sum()) for k in grads) ** 0.5
        norm = sum(float(eager_grads[k].pow(2).sum()) for k in grads) ** 0.5
        assert diff <= 1e-3 * norm, (diff, norm)

    assert all(is_compiled(block) for layer in layers for block in layer.children())


def test_compiled_backward_dequantizes_nf4_weights_again(embedded_model_path) -> None:
    """The traced LoRA layers keep no dense weight from forward to backward (4-bit memory)."""
    loss_fn, (batch,) = _nf4_loss_and_batches(embedded_model_path, [slice(0, 3)], dropout=0.05,
                                              gradient_checkpointing=False)
    compile_decoder_layers(loss_fn.model)
    weight_shapes = {tuple(m.get_base_layer().weight.quant_state.shape)
                     for m in loss_fn.model.modules() if isinstance(m, FusedLora)}
    saved_shapes = []

    def keep_shape(tensor: torch.Tensor) -> torch.Tensor:
        saved_shapes.append(tuple(tensor.shape))
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(keep_shape, lambda tensor: tensor):
        loss_and_grads(loss_fn, batch, 3.0)
    assert len(weight_shapes) == 4 and saved_shapes
    assert not weight_shapes & set(saved_shapes)
