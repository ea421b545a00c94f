"""GPU tests: the CUDA paths, on a small random Llama built here (no model download, no
embedded model). Every test is marked `gpu` and skips cleanly without CUDA.

    python3 -m pytest -q -m gpu tests/gpu
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import VOCAB


@pytest.fixture(scope="session")
def tiny_llama_path(tmp_path_factory) -> str:
    """A 2-layer random Llama (GQA, untied head) saved as safetensors, loaded through
    finlora's own model loading (plain or nf4) by the tests."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=VOCAB, hidden_size=256, intermediate_size=512,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, tie_word_embeddings=False,
                         pad_token_id=0, eos_token_id=1, bos_token_id=2)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    with torch.no_grad():  # visible logits: random init at this size is near-uniform
        for param in model.parameters():
            if param.dim() == 2:
                param.mul_(2.0)
    path = Path(tmp_path_factory.mktemp("tiny-llama"))
    model.save_pretrained(path)  # safetensors
    return str(path)
