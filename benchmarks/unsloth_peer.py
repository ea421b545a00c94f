"""The Unsloth peer of `bench_train.py`, in a process of its own (Unsloth patches transformers
and peft when imported, which would change every other path of the bench).

The parent (`rows`) writes a spec and the shared LoRA init, and starts
`python -c "import unsloth; ..."` once per dropout (Unsloth picks its fast LoRA path when the
PEFT model is made, at dropout 0). The worker saves the bench's random Llama once as bf16
safetensors with a WordLevel tokenizer, loads it with `FastLanguageModel.from_pretrained(
load_in_4bit=True)` (bitsandbytes nf4, double quant, blocksize 64: the bench's own nf4 bytes),
adds LoRA r8 / alpha 16 on all linear layers without gradient checkpointing, loads the shared
init, and times every case with `bench_train.run_case` twice: a packed row per step (as for
`hf-packed`) and right-padded micro-batches (as for `stock`). Unsloth's packing is fast with
flash-attn or xformers (variable-length kernels); without them a packed row of many short
examples goes through masked sdpa, and padded batches (causal sdpa per example) can be its
better set-up. Its best supported set-up on the machine is the one that gives it most: each
case's row is the faster of the two (`batching` says which, `alternatives` has the other).
With `parity` it also runs the loss-parity steps, on padded batches like the reference's.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path

import torch

HERE = Path(__file__).parent
WEIGHTS = Path(tempfile.gettempdir()) / "finlora-bench-llama8b-bf16"
# where scripts/device_unsloth.sh installs Unsloth and its extra wheels: only the Unsloth
# process gets it on its path (its datasets, trl, torchao... would change the other paths)
SITE = Path(os.environ.get("FINLORA_UNSLOTH_SITE", "/tmp/site-unsloth"))
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def available() -> bool:
    return importlib.util.find_spec("unsloth") is not None or (SITE / "unsloth").is_dir()


def rows(cases: list[str], dropouts: list[float], args: Namespace,
         init: dict[str, torch.Tensor], parity: dict, seconds_left: float) -> list[dict]:
    """Rows of the unsloth path for every case and dropout (error rows if it cannot run);
    puts its parity losses into `parity` (a {path: losses} dict)."""
    import train_peers

    if not available() or seconds_left <= 0:
        why = "not importable" if not available() else "--time-budget spent"
        return [{"path": "unsloth", "case": c, "dropout": d, "error": f"skipped: unsloth {why}"}
                for d in dropouts for c in cases]
    out_rows: list[dict] = []
    deadline = time.monotonic() + seconds_left
    with tempfile.TemporaryDirectory() as tmp:
        init_path = Path(tmp) / "lora_init.pt"
        torch.save(init, init_path)
        for i, dropout in enumerate(dropouts):
            spec = {"cases": cases, "dropout": dropout, "init": str(init_path),
                    "parity": i == len(dropouts) - 1, "out": str(Path(tmp) / f"rows{i}.json"),
                    "settings": {k: getattr(args, k) for k in (
                        "steps", "warmup", "short_batch", "parity_steps", "parity_lr")}}
            spec_path = Path(tmp) / f"spec{i}.json"
            spec_path.write_text(json.dumps(spec))
            code = (f"import unsloth, sys; sys.path.insert(0, {str(HERE)!r}); import unsloth_peer;"
                    " sys.exit(unsloth_peer.worker(sys.argv[1]))")
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "UNSLOTH_DISABLE_STATISTICS": "1",
                   "PYTHONPATH": os.pathsep.join([str(SITE), os.environ.get("PYTHONPATH", "")])}
            try:
                subprocess.run([sys.executable, "-c", code, str(spec_path)], env=env, check=True,
                               timeout=max(deadline - time.monotonic(), 1))
                out = json.loads(Path(spec["out"]).read_text())
            except (subprocess.SubprocessError, OSError, ValueError) as exc:
                out_rows += [train_peers.error_row("unsloth", c, dropout, exc) for c in cases]
                continue
            out_rows += out["rows"]
            if out.get("parity_losses"):
                parity["unsloth"] = out["parity_losses"]
    return out_rows


def _save_weights(config) -> None:
    """The bench's random Llama (same seed) as bf16 safetensors, with a WordLevel tokenizer."""
    from llama8b import random_llama
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    model = random_llama(config, "cuda", torch.bfloat16)
    model.save_pretrained(WEIGHTS, safe_serialization=True)
    del model
    gc.collect()
    torch.cuda.empty_cache()
    vocab = {f"t{i}": i for i in range(config.vocab_size)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="t0"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, bos_token="t1", eos_token="t2",
                            pad_token="t3").save_pretrained(WEIGHTS)


def worker(spec_path: str) -> int:
    """Entry point of the Unsloth process (unsloth imported first); writes its rows as JSON."""
    from unsloth import FastLanguageModel  # noqa: I001 - already imported before transformers

    import bench_train
    import train_peers
    from llama8b import llama_config

    spec = json.loads(Path(spec_path).read_text())
    config = llama_config(False)
    if not (WEIGHTS / "config.json").exists():
        _save_weights(config)
    model, _ = FastLanguageModel.from_pretrained(model_name=str(WEIGHTS), max_seq_length=8192,
                                                 dtype=torch.bfloat16, load_in_4bit=True,
                                                 local_files_only=True)
    model = FastLanguageModel.get_peft_model(model, r=8, lora_alpha=16,
                                             lora_dropout=spec["dropout"], target_modules=TARGETS,
                                             bias="none", use_gradient_checkpointing=False,
                                             random_state=0)
    model.train()
    init = torch.load(spec["init"])
    train_peers.load_lora(model, init)
    args = Namespace(**spec["settings"], compile=False, trace_lora=False)
    device = torch.device("cuda")
    setup = {"setup": "FastLanguageModel nf4, no gradient checkpointing; the faster of a packed "
                      "row and padded micro-batches per case",
             "flash_attn": importlib.util.find_spec("flash_attn") is not None,
             "xformers": importlib.util.find_spec("xformers") is not None}
    rows = [best_row(case, model, config, device, args, spec["dropout"], setup)
            for case in spec["cases"]]
    losses = None
    if spec["parity"]:
        def step(path: str, micro: list) -> torch.Tensor:
            return bench_train.train_step(f"{path}-padded", micro, model, None, device)

        losses = train_peers.parity_losses("unsloth", model, init, step,
                                           bench_train.parity_examples(config),
                                           args.parity_steps, args.parity_lr)
    Path(spec["out"]).write_text(json.dumps({"rows": rows, "parity_losses": losses}))
    return 0


BATCHINGS = {"packed": "unsloth", "padded": "unsloth-padded"}  # train_paths.train_step's names


def best_row(case: str, model, config, device, args: Namespace, dropout: float,
             setup: dict) -> dict:
    """The case timed with each batching; the faster row, the other under `alternatives`."""
    import bench_train
    import train_peers

    tried = {}
    for batching, path in BATCHINGS.items():
        try:
            row = bench_train.run_case(path, case, model, None, config, device, args)
        except Exception as exc:  # noqa: BLE001 - a peer that fails is a row, not a crash
            row = train_peers.error_row("unsloth", case, dropout, exc)
            gc.collect()
            torch.cuda.empty_cache()
        tried[batching] = {**row, "path": "unsloth", "batching": batching}
        print(json.dumps({**tried[batching], "dropout": dropout}), flush=True)
    ok = [r for r in tried.values() if "error" not in r]
    best = max(ok, key=lambda r: r["tokens_per_s"]) if ok else tried["packed"]
    others = {b: {k: r.get(k) for k in ("tokens_per_s", "peak_gib", "final_loss", "error")
                  if k in r} for b, r in tried.items() if r is not best}
    return {**best, "dropout": dropout, **setup, "alternatives": others}
