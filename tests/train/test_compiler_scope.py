"""Compiling the decoder blocks leaves no trace on torch's global settings or on other
libraries' objects: the recompile limit is raised only inside `compiler_settings()`, and
nothing of another library is wrapped: blocks that call its layers stay eager. (Nothing is compiled here: torch.compile
compiles at the first call, which these checks never make.)"""

from __future__ import annotations

import torch

from finlora.train.compiled_layers import (
    RECOMPILE_LIMIT,
    compile_decoder_layers,
    compiler_settings,
    is_compiled,
)
from finlora.train.config import TrainConfig
from finlora.train.fused_layers import FusedLora
from finlora.train.trainable import lora_config


def _tiny_peft_llama(variant: str):
    from peft import get_peft_model
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=128, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    return get_peft_model(model, lora_config(TrainConfig(quantization="none", variant=variant)))


def _limit() -> int:
    config = torch._dynamo.config
    return getattr(config, "recompile_limit", None) or config.cache_size_limit


def test_the_recompile_limit_is_raised_only_inside_compiler_settings() -> None:
    before = _limit()
    model = _tiny_peft_llama("lora")
    layers = model.get_base_model().model.layers
    assert compile_decoder_layers(model) == 4 * len(layers)
    assert _limit() == before
    with compiler_settings():
        assert _limit() >= RECOMPILE_LIMIT
    assert _limit() == before
    assert all(is_compiled(block) for layer in layers for block in layer.children())
    fused = [m for m in model.modules() if isinstance(m, FusedLora)]
    assert len(fused) == 3 * len(layers)  # q, k, v: finlora's layers, built by PEFT


def test_other_libraries_layers_are_left_as_they_are() -> None:
    model = _tiny_peft_llama("dora")  # PEFT's own DoRA layers: their blocks stay eager
    dora = [m for m in model.modules() if type(m).__name__ == "Linear" and hasattr(m, "lora_A")]
    assert dora and not any(isinstance(m, FusedLora) for m in dora)
    before = [dict(vars(m)) for m in model.modules()]
    layers = model.get_base_model().model.layers
    assert compile_decoder_layers(model) == 3 * len(layers)  # 2 norms and the MLP
    assert not any(is_compiled(layer.self_attn) for layer in layers)
    assert not any("forward" in vars(m) for m in model.modules())
    assert [set(vars(m)) for m in model.modules() if m not in set(layers)
            and not any(m is b for layer in layers for b in layer.children())] == [
        set(v) for m, v in zip(model.modules(), before, strict=True) if m not in set(layers)
        and not any(m is b for layer in layers for b in layer.children())]
    names = {name for m in model.modules() for name in vars(m) if name.startswith("_finlora")}
    assert not names
