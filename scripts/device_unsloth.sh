#!/usr/bin/env bash
# On the GPU machine (no internet), for bench_train.py's `unsloth` peer: install the carried
# Unsloth wheel set (.whl-unsloth/, made by `pip download --no-deps` for CPython 3.12
# manylinux; the unsloth wheel is rebuilt without its 80 MB `studio/` web UI, which
# `import unsloth` does not use) and bitsandbytes from .whl/ into /tmp/site-unsloth (apart from
# /tmp/site: only bench_train's Unsloth process puts it on its path, see unsloth_peer.SITE),
# without dependencies (torch, transformers, peft, accelerate stay the machine's own), then probe
# `import unsloth` and `from unsloth import FastLanguageModel` in a fresh process. Writes
# $OUT/unsloth_probe.json (or ./unsloth_probe.json) whatever happens: the version, or the
# error and the first missing module. Under 2 minutes.
#   export PYTHONPATH=/tmp/site:$PWD:$PWD/scripts HF_HUB_OFFLINE=1
#   bash scripts/device_unsloth.sh
set -uo pipefail
cd "$(dirname "$0")/.."
SITE="${FINLORA_UNSLOTH_SITE:-/tmp/site-unsloth}"
RESULT="${OUT:-.}/unsloth_probe.json"
export HF_HUB_OFFLINE=1 UNSLOTH_DISABLE_STATISTICS=1 PYTHONPATH="$SITE:$PWD:${PYTHONPATH:-}"
mkdir -p "$SITE"
wheels=(.whl-unsloth/*.whl)
python3 -c "import bitsandbytes" 2>/dev/null || wheels+=(.whl/bitsandbytes-*.whl)
# all at once (one pip start-up); if that fails, one by one, so one bad wheel costs only itself
install_log=$(timeout 40 python3 -m pip install -q --no-index --no-deps --no-compile \
    --no-cache-dir --upgrade --target "$SITE" "${wheels[@]}" 2>&1)
install_rc=$?
if [ "$install_rc" != 0 ]; then
    install_log="$install_log"$'\n'"one by one:"
    for wheel in "${wheels[@]}"; do
        timeout 15 python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir \
            --upgrade --target "$SITE" "$wheel" >/dev/null 2>&1 \
            || install_log="$install_log"$'\n'"FAILED $wheel"
    done
fi
INSTALL_RC=$install_rc INSTALL_LOG="$install_log" RESULT="$RESULT" timeout 100 python3 - <<'EOF'
import json
import os
import subprocess
import sys
import time
from importlib import metadata

NAMES = ("unsloth", "unsloth_zoo", "torch", "transformers", "peft", "accelerate", "trl",
         "bitsandbytes", "triton", "datasets", "pyarrow", "pandas", "torchvision", "xformers",
         "flash_attn", "torchao", "cut_cross_entropy", "tyro", "sentencepiece", "protobuf")


def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


PROBE = r"""
import json, sys, traceback
out = {}
try:
    import unsloth
    out["unsloth"] = getattr(unsloth, "__version__", "?")
    from unsloth import FastLanguageModel  # noqa: F401
    out["fast_language_model"] = True
except BaseException as exc:
    out["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    out["missing_module"] = getattr(exc, "name", None)
    out["traceback"] = traceback.format_exc()[-4000:]
print("PROBE" + json.dumps(out))
"""
result = {"install_rc": int(os.environ["INSTALL_RC"]),
          "install_log": os.environ["INSTALL_LOG"][-3000:],
          "python": sys.version.split()[0], "versions": {n: version(n) for n in NAMES}}
began = time.perf_counter()
try:
    run = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         timeout=90)
    lines = [l for l in run.stdout.splitlines() if l.startswith("PROBE")]
    result.update(json.loads(lines[-1][5:]) if lines else {"error": "no probe output"})
    result["probe_rc"] = run.returncode
    result["probe_stderr_tail"] = run.stderr[-3000:]
except subprocess.TimeoutExpired:
    result["error"] = "import unsloth took longer than 90 s"
result["probe_s"] = round(time.perf_counter() - began, 1)
with open(os.environ["RESULT"], "w") as handle:
    json.dump(result, handle, indent=1)
print(json.dumps({k: result.get(k) for k in ("unsloth", "error", "missing_module", "install_rc",
                                             "probe_s")}))
EOF
