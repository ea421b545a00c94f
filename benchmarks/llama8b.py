"""The model both GPU benchmarks run: Llama-3.1-8B's shape with random weights (speed and
memory do not depend on the values), optionally with every decoder linear layer in
bitsandbytes nf4 (double quant, blocksize 64), as transformers' `load_in_4bit` would make it.
A tiny shape of the same architecture serves CPU smoke tests."""

from __future__ import annotations

import gc

import torch


def llama_config(tiny: bool = False, layers: int | None = None):
    from transformers import LlamaConfig

    if tiny:
        config = LlamaConfig(hidden_size=256, intermediate_size=688, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, vocab_size=4096,
                             rope_theta=500000.0, max_position_embeddings=2048)
    else:
        config = LlamaConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                             num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                             rope_theta=500000.0, max_position_embeddings=8192,
                             tie_word_embeddings=False)
    if layers:
        config.num_hidden_layers = layers
    config._attn_implementation = "sdpa"
    return config


def random_llama(config, device: torch.device | str, dtype: torch.dtype):
    """A LlamaForCausalLM with random weights in `dtype`, built directly on `device`."""
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            return LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)


def quantize_nf4(model, dtype: torch.dtype):
    """Replace every decoder linear layer of `model` by a bnb nf4 Linear4bit, in place."""
    import bitsandbytes as bnb
    import bitsandbytes.functional as bnbf

    for layer in model.model.layers:
        for parent in (layer.self_attn, layer.mlp):
            for name, linear in list(parent.named_children()):
                if type(linear) is not torch.nn.Linear:
                    continue
                q = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=False,
                                      compute_dtype=dtype, compress_statistics=True,
                                      quant_type="nf4", device="meta")
                packed, state = bnbf.quantize_4bit(linear.weight.data, blocksize=64,
                                                   compress_statistics=True, quant_type="nf4")
                q.weight = bnb.nn.Params4bit(packed, requires_grad=False, quant_state=state,
                                             blocksize=64, compress_statistics=True,
                                             quant_type="nf4", module=q, bnb_quantized=True)
                setattr(parent, name, q)
                del linear
    model.is_loaded_in_4bit = True  # what transformers sets; PEFT then uses its bnb layers
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return model
