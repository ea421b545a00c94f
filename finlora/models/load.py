"""Loading a base model (optionally quantized) and its tokenizer."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Literal

from finlora.errors import ModelError

if TYPE_CHECKING:  # torch stays out of import time
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

Quantization = Literal["nf4", "int8", "none"]


def bitsandbytes_visible(visible: bool) -> None:
    """Let (or keep) bitsandbytes be imported. finlora loads it only for nf4 / int8 models:
    PEFT imports it whenever it is installed, and on a CPU with AVX512-BF16 its import looks
    for a Hub kernel. Hidden means `sys.modules["bitsandbytes"] = None`, so PEFT and
    transformers see it as not installed; a copy already imported is left alone."""
    if visible:
        if "bitsandbytes" not in sys.modules or sys.modules["bitsandbytes"] is not None:
            return
        del sys.modules["bitsandbytes"]
    elif "bitsandbytes" in sys.modules:
        return
    else:
        sys.modules["bitsandbytes"] = None  # type: ignore[assignment]
    for module, name in [("peft.import_utils", "is_bnb_available"),
                         ("peft.import_utils", "is_bnb_4bit_available"),
                         ("transformers.utils.import_utils", "is_bitsandbytes_available")]:
        cached = getattr(sys.modules.get(module), name, None)
        if hasattr(cached, "cache_clear"):
            cached.cache_clear()


def load_tokenizer(model_path: str) -> PreTrainedTokenizerBase:
    """The model's tokenizer, with a pad token (the EOS token when the model has none).

    For a folder finlora converted, the special-token ids are checked against the ones pinned
    at conversion (from the GGUF metadata): a tokenizer that loads differently is an error.
    """
    from transformers import AutoTokenizer

    from finlora.models.convert import check_pinned_special_tokens

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    check_pinned_special_tokens(model_path, tokenizer)
    return tokenizer


def split_causal_lm(model: PreTrainedModel) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The decoder body (embeddings → final norm) and the LM head of a causal LM, PEFT or not.

    PEFT injects its adapter layers in place, so the body still applies the active adapter.
    """
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.get_decoder(), base.get_output_embeddings()


def default_dtype(device: str | torch.device) -> torch.dtype:
    """finlora's compute dtype when none is given: bf16 on a GPU, fp32 on the CPU."""
    import torch

    return torch.bfloat16 if torch.device(device).type == "cuda" else torch.float32


def load_base_model(model_path: str, *, quantization: Quantization = "none",
                    dtype: torch.dtype | None = None,
                    device: str | torch.device | None = None) -> PreTrainedModel:
    """Load a causal LM, optionally with bitsandbytes nf4 (double quant) or int8 weights.

    `dtype` is the compute / storage dtype of the unquantized parts (bf16 on GPU by default,
    fp32 on CPU). The model is placed on `device` as one whole copy (never `device_map="auto"`).
    bitsandbytes is imported only for nf4 / int8 (see `bitsandbytes_visible`).
    """
    import torch
    from transformers import AutoModelForCausalLM

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if dtype is None:
        dtype = default_dtype(device)
    kwargs: dict[str, object] = {"dtype": dtype}
    bitsandbytes_visible(quantization in ("nf4", "int8"))
    if quantization in ("nf4", "int8"):
        from transformers import BitsAndBytesConfig

        if quantization == "nf4":
            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=dtype,
            )
        else:
            kwargs["quantization_config"] = BitsAndBytesConfig(load_in_8bit=True)
        kwargs["device_map"] = {"": device}
    elif quantization != "none":
        raise ModelError(f"quantization {quantization!r}: choose nf4, int8 or none")
    try:
        model = AutoModelForCausalLM.from_pretrained(model_path, **kwargs)
    except OSError as exc:
        raise ModelError(f"cannot load model {model_path!r}: {exc}") from exc
    if quantization == "none":
        model.to(device)
    return model
