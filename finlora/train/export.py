"""What a finished run leaves behind: a standard PEFT adapter folder with its model card, and
(on request) the adapter merged into a dequantized copy of the base model.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

from finlora.atomic import write_directory_atomically
from finlora.errors import ModelError
from finlora.models import (
    check_adapter_tokenizer,
    load_base_model,
    load_tokenizer,
    resolve_model,
)
from finlora.tasks.adapter_metadata import METADATA


def save_adapter(model: Any, adapter_dir: Path, metadata: dict[str, Any]) -> None:
    """Save the adapter (safetensors), finlora_metadata.json and a README model card.

    Files are written into a temporary folder first and then moved into `adapter_dir`. The
    command line that ran the training is recorded too (`command`), unless given.
    """
    metadata = {**metadata}
    metadata.setdefault("command", shlex.join([Path(sys.executable).name, *sys.argv]))
    adapter_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".adapter-", dir=adapter_dir))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        (tmp / METADATA).write_text(json.dumps(metadata, indent=2, default=str) + "\n")
        (tmp / "README.md").write_text(model_card(metadata))
        for path in tmp.iterdir():
            os.replace(path, adapter_dir / path.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def model_card(meta: dict[str, Any]) -> str:
    cfg = meta["config"]
    metrics = meta.get("metrics", {})
    lines = [
        "---",
        "library_name: peft",
        f"base_model: {meta['base_model']}",
        "tags: [finlora, lora, finance" + (", qlora" if cfg["quantization"] != "none" else "")
        + "]",
        "---",
        "",
        f"# finlora adapter: {', '.join(meta['tasks'])}",
        "",
        f"A {cfg['variant']} adapter (rank {cfg['rank']}, alpha {cfg['alpha']}, targets "
        f"{cfg['target_modules']}) trained by finlora {meta['finlora_version']} on "
        f"{meta['n_examples']} examples ({meta['split']} split) of {', '.join(meta['tasks'])}, "
        f"with base weights quantized as `{cfg['quantization']}`.",
        "",
        "| | |", "|---|---|",
        f"| base model | `{meta['base_model']}` |",
        f"| data sha256 | `{meta['data_hash'][:16]}…` |",
        f"| steps | {metrics.get('steps')} |",
        f"| first / final loss | {metrics.get('first_loss')} / {metrics.get('final_loss')} |",
        f"| tokens/s | {metrics.get('tokens_per_s')} |",
        *_tokenizer_rows(meta.get("tokenizer")),
        "",
        f"Trained with: `{meta.get('command', 'finlora train')}`",
        "",
        "Load it with plain PEFT:",
        "",
        "```python",
        "from peft import PeftModel",
        "from transformers import AutoModelForCausalLM",
        f"base = AutoModelForCausalLM.from_pretrained({meta['base_model_path']!r})",
        "model = PeftModel.from_pretrained(base, 'path/to/this/folder')",
        "```",
        "",
        f"The full training config is in `{METADATA}`.",
        "",
    ]
    return "\n".join(lines)


def _tokenizer_rows(fingerprint: dict[str, Any] | None) -> list[str]:
    if not fingerprint:
        return []
    ids = ", ".join(f"{k.removesuffix('_token_id')} {v}" for k, v in fingerprint.items()
                    if k.endswith("_token_id"))
    return [f"| tokenizer special ids | {ids} |",
            f"| tokenizer vocab | {fingerprint.get('vocab_size')} tokens, sha256 "
            f"`{str(fingerprint.get('vocab_sha256'))[:16]}…` |"]


def merge_adapter(adapter_dir: str | Path, output_dir: str | Path, *,
                  base_model: str | None = None, dtype: torch.dtype = torch.bfloat16) -> Path:
    """Merge an adapter into a full-precision copy of its base and save it (safetensors).

    When the adapter was trained on a quantized base (nf4 / int8), the base is loaded the same
    way and dequantized to `dtype` before merging, so the merged weights are the ones the
    adapter was trained against. The result is a plain model folder (no bitsandbytes needed).
    """
    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise ModelError(f"{adapter_dir}: not an adapter folder (no adapter_config.json)")
    meta_path = adapter_dir / METADATA
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if base_model is None:
        base_model = meta.get("base_model_path") or json.loads(
            (adapter_dir / "adapter_config.json").read_text())["base_model_name_or_path"]
    model_path = resolve_model(base_model)
    quantization = meta.get("config", {}).get("quantization", "none")
    device = "cuda" if torch.cuda.is_available() else "cpu"
    base = load_base_model(model_path, quantization=quantization, dtype=dtype, device=device)
    if quantization != "none":
        base = base.dequantize()
        base.to(dtype)
    tokenizer = load_tokenizer(model_path)
    check_adapter_tokenizer(adapter_dir, tokenizer, base=model_path)
    merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()

    def fill(tmp: Path) -> None:
        merged.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)

    return write_directory_atomically(output_dir, fill)
