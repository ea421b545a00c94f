"""Converting the embedded GGUF once into a bf16 safetensors Hugging Face folder.

The tokenizer's special tokens (bos / eos / pad / unk) are pinned from the GGUF's own
metadata (`tokenizer.ggml.*_token_id`), not left to whatever a transformers version's GGUF
converter guesses (5.17 made `<|im_start|>` the end of text, 5.24 `<|im_end|>`). The pinned ids
are written to `finlora_tokenizer.json` in the folder and checked after the conversion and on
every later load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from finlora.atomic import write_directory_atomically
from finlora.cache import cache_dir
from finlora.errors import ModelError
from finlora.models.embedded import EMBEDDED_MODEL, HOW_TO_GET_EMBEDDED, find_embedded_gguf

# Bump when the conversion's output changes, so an older folder in the cache is not reused.
# 2: special tokens pinned from the GGUF metadata (1 left them to transformers).
CONVERSION_VERSION = 2
PINNED_FILE = "finlora_tokenizer.json"
_COMPLETE_MARKER = ".finlora-complete"
# GGUF metadata key -> tokenizer attribute
GGUF_SPECIAL_TOKENS = {
    "tokenizer.ggml.bos_token_id": "bos_token",
    "tokenizer.ggml.eos_token_id": "eos_token",
    "tokenizer.ggml.padding_token_id": "pad_token",
    "tokenizer.ggml.unknown_token_id": "unk_token",
}


def embedded_model_dir() -> Path:
    """Where the converted embedded model lives (it may not exist yet); the folder name carries
    the conversion version."""
    return cache_dir("models") / f"{EMBEDDED_MODEL}-v{CONVERSION_VERSION}"


def is_converted(folder: Path) -> bool:
    """True when `folder` holds a finished conversion of the current version."""
    return ((folder / _COMPLETE_MARKER).is_file() and (folder / "config.json").is_file()
            and (folder / PINNED_FILE).is_file())


def gguf_special_tokens(gguf: Path) -> dict[str, tuple[int, str]]:
    """{"bos_token": (id, text), ...} as the GGUF's metadata defines them."""
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf))
    tokens = reader.fields.get("tokenizer.ggml.tokens")
    if tokens is None:
        raise ModelError(f"{gguf}: no tokenizer.ggml.tokens in the GGUF metadata")
    special: dict[str, tuple[int, str]] = {}
    for key, attribute in GGUF_SPECIAL_TOKENS.items():
        field = reader.fields.get(key)
        if field is None or not field.data:
            continue
        token_id = int(field.parts[field.data[0]][0])
        text = bytes(tokens.parts[tokens.data[token_id]]).decode("utf-8")
        special[attribute] = (token_id, text)
    for needed in ("bos_token", "eos_token"):
        if needed not in special:
            raise ModelError(f"{gguf}: the GGUF metadata has no {needed} id")
    special.setdefault("pad_token", special["eos_token"])
    return special


def special_token_ids(tokenizer: Any) -> dict[str, int | None]:
    """{"bos_token_id": ..., "eos_token_id": ..., "pad_token_id": ..., "unk_token_id": ...}."""
    return {f"{name}_id": getattr(tokenizer, f"{name}_id", None)
            for name in GGUF_SPECIAL_TOKENS.values()}


def pin_special_tokens(tokenizer: Any, special: dict[str, tuple[int, str]]) -> None:
    """Set each special token to the GGUF's, checking the text maps back to the GGUF's id."""
    for attribute, (token_id, text) in special.items():
        if tokenizer.convert_tokens_to_ids(text) != token_id:
            raise ModelError(f"tokenizer converted from the GGUF maps {text!r} to "
                             f"{tokenizer.convert_tokens_to_ids(text)}, the GGUF says {token_id}")
        setattr(tokenizer, attribute, text)


def check_special_tokens(tokenizer: Any, expected: dict[str, int], where: str) -> None:
    """Raise ModelError naming both sides when the tokenizer's special ids differ."""
    actual = special_token_ids(tokenizer)
    wrong = {k: (actual.get(k), v) for k, v in expected.items() if actual.get(k) != v}
    if wrong:
        detail = ", ".join(f"{k} {got} (expected {want})" for k, (got, want) in wrong.items())
        raise ModelError(f"{where}: tokenizer special tokens differ from the GGUF's: {detail}; "
                         "convert again with `finlora models --prepare --force`")


def check_pinned_special_tokens(model_path: str, tokenizer: Any) -> None:
    """For a folder finlora converted, check the loaded tokenizer against the pinned ids."""
    pinned = Path(model_path) / PINNED_FILE
    if pinned.is_file():
        expected = json.loads(pinned.read_text())["special_token_ids"]
        check_special_tokens(tokenizer, expected, str(model_path))


def prepare_embedded_model(force: bool = False) -> Path:
    """Convert the embedded GGUF once into a bf16 safetensors HF folder and return its path.

    A second call returns the existing folder without converting again. The conversion writes
    into a temporary folder that is renamed into place only when complete and checked.
    """
    folder = embedded_model_dir()
    if is_converted(folder) and not force:
        return folder
    gguf = find_embedded_gguf()
    if gguf is None:
        raise ModelError(HOW_TO_GET_EMBEDDED)

    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    special = gguf_special_tokens(gguf)
    expected = {f"{name}_id": token_id for name, (token_id, _) in special.items()}

    def convert(tmp: Path) -> None:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        pin_special_tokens(tokenizer, special)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16
        )
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        for config in (model.config, model.generation_config):
            for name, token_id in expected.items():
                if name != "unk_token_id":
                    setattr(config, name, token_id)
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        check_special_tokens(AutoTokenizer.from_pretrained(tmp), expected, f"converted {gguf}")
        record = {"source": gguf.name, "conversion_version": CONVERSION_VERSION,
                  "transformers": transformers.__version__, "special_token_ids": expected}
        (tmp / PINNED_FILE).write_text(json.dumps(record, indent=2) + "\n")
        (tmp / _COMPLETE_MARKER).write_text(f"converted from {gguf.name}\n")

    write_directory_atomically(folder, convert)
    return folder
