"""Classification inference: finlora's packed label scorer beside the strongest stock paths.

One run, same model, same prompts (8 batches' worth of prompts with the token lengths of FPB's
prompts, 33-119 tokens; the first 25 — FinLoRA's instruction — shared; 3 one-token labels) on a
Llama-3.1-8B-shaped model with random weights, bf16 and then bitsandbytes nf4 (double quant,
bf16 compute). Per precision and batch size, prompts/s of:
  stock-gen16     `model.generate`, 16 new tokens, prompts in given order, left-padded
  stock-gen1      the same with 1 new token (a user who asks only for the label token)
  stock-fwd       one forward pass per batch, right-padded, LM head at each prompt's last token,
                  argmax over the 3 label ids (what a careful user writes); given order
  stock-fwd-sort  the same, prompts sorted by length first
  finlora         `score_sorted_batches` with a `PrefixCache` (what `Predictor` runs): packed
                  rows, instruction KV once, CUDA graphs for small passes; for nf4 its default
                  bf16 copy of the weights (it fits on the H200)
                  (glue between projections uncompiled: `fused=False`)
  finlora-fused   the same with the glue compiled (`fused=True`, the default on CUDA)
  finlora-eager   the same as finlora without CUDA graphs
  finlora-nf4     nf4 only: finlora without the bf16 copy (`dense_base=False`), and
  finlora-nf4-fused  the same with `fused=True`
stock-gen16 is timed at --gen16-batches only, one call after the warm-up (it is ~10x slower).
Also: the prefill roofline (2·N FLOPs per prompt token at the bf16 matmul rate measured here),
the batch-1 bandwidth floor (the weights read once per prompt at the copy rate measured here),
finlora's per-phase timing, padding, graph use, peak memory and top CUDA kernels, and parity:
finlora's labels against stock-fwd's argmax (disagreements with stock's logit margin).
Results are written after every row to benchmarks/results/infer_<gpu>_<tag>.json.

    python benchmarks/bench_infer.py --tag fused   # H200: bf16 + nf4, batches 1,4,16,32,64
    python benchmarks/bench_infer.py --tiny --batches 1,4 --repeats 1   # CPU smoke test
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import time
from pathlib import Path

import torch
from infer_figures import (
    DEVICE,
    STOCK,
    measure_rates,
    profile_top,
    sync,
    table,
    timed,
    weight_bytes,
)
from llama8b import llama_config, quantize_nf4, random_llama

from finlora.atomic import write_text_atomically
from finlora.infer.scoring import PrefixCache, score_sorted_batches

FPB_SHARED_TOKENS, FPB_BATCHES = 25, 8
HERE = Path(__file__).parent


def build_model(layers: int | None, tiny: bool) -> torch.nn.Module:
    return random_llama(llama_config(tiny, layers), DEVICE, torch.bfloat16).eval()


def to_nf4(model: torch.nn.Module) -> torch.nn.Module:
    """Every decoder linear layer to bitsandbytes nf4 (the LM head stays bf16)."""
    return quantize_nf4(model, torch.bfloat16)


def fpb_prompts(n: int, vocab: int, seed: int) -> list[list[int]]:
    """Random ids with the token lengths of FPB's prompts; the instruction is shared."""
    lengths = [p for p, _ in json.loads((HERE / "fpb_lengths.json").read_text())["lengths"]]
    g = torch.Generator().manual_seed(seed)
    shared = torch.randint(1000, vocab, (FPB_SHARED_TOKENS,), generator=g).tolist()
    picks = torch.randint(0, len(lengths), (n,), generator=g).tolist()
    return [shared + torch.randint(1000, vocab, (lengths[i] - FPB_SHARED_TOKENS,),
                                   generator=g).tolist() for i in picks]


def label_sets(vocab: int) -> dict[str, list[list[int]]]:
    g = torch.Generator().manual_seed(7)
    return {"classification (3 labels)": torch.randint(1000, vocab, (3, 1), generator=g).tolist()}


def _rows(prompts: list[list[int]], left: bool) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(map(len, prompts))
    ids = torch.zeros((len(prompts), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, p in enumerate(prompts):
        cols = slice(width - len(p), width) if left else slice(0, len(p))
        ids[r, cols], mask[r, cols] = torch.tensor(p), 1
    return ids.to(DEVICE), mask.to(DEVICE)


def stock_generate(model, prompts: list[list[int]], new: int) -> None:
    ids, mask = _rows(prompts, left=True)
    model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=new,
                   min_new_tokens=new, pad_token_id=0)


def stock_forward(model, prompts: list[list[int]], label_ids: list[int]) -> torch.Tensor:
    """Label logits [batch, labels] at each prompt's last token, one right-padded forward."""
    ids, mask = _rows(prompts, left=False)
    last = torch.tensor([len(p) - 1 for p in prompts], device=DEVICE)
    hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
    return model.lm_head(hidden[torch.arange(len(prompts), device=DEVICE), last])[:, label_ids]


def measure(fn, repeats: int, prompts: int, cache: PrefixCache | None) -> tuple[float, dict]:
    """prompts/s of `fn`; for finlora (`cache` given) a cold call first and its phases."""
    if cache is None:
        return prompts / timed(fn, repeats), {}
    if DEVICE == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    fn()  # the cold call: prefix, graph captures, dense copy
    sync()
    cold = time.perf_counter() - start
    cache.packed.reset_stats()
    rate = prompts / timed(fn, repeats)  # one more warm call, then the timed ones
    stats, calls = cache.packed.reset_stats(), repeats + 1
    cumulative = ("prefix_tokens", "dense_bytes", "dense_layers", "graph_captures",
                  "dense_base", "graph_tokens", "fused_failure",
                  "graph_failure")
    phase = {"cold_s": round(cold, 3),  # per call, except `cumulative`
             **{k: (v if k in cumulative else round(v / calls, 5)) for k, v in stats.items()},
             "padding": round(1 - stats["tokens"] / max(stats["slots"], 1), 4)}
    if DEVICE == "cuda":
        phase["peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    return rate, phase


def run_row(model, precision: str, batch: int, repeats: int, nparams: int, rates: dict,
            profile: bool, gen16_batches: set[int]) -> dict:
    vocab = model.config.vocab_size
    labels = label_sets(vocab)["classification (3 labels)"]
    first = [label[0] for label in labels]
    prompts = fpb_prompts(FPB_BATCHES * batch, vocab, seed=batch)
    chunks = [prompts[i:i + batch] for i in range(0, len(prompts), batch)]
    ordered = sorted(prompts, key=len)
    sorted_chunks = [ordered[i:i + batch] for i in range(0, len(ordered), batch)]
    finlora_paths = {"finlora": {"fused": False}, "finlora-fused": {"fused": True},
                     "finlora-eager": {"cuda_graphs": False, "fused": False}}
    if precision == "nf4":  # the default multiplies by a bf16 copy when it fits: without it
        finlora_paths |= {"finlora-nf4": {"dense_base": False, "fused": False},
                          "finlora-nf4-fused": {"dense_base": False, "fused": True}}
    caches = {name: PrefixCache() for name in finlora_paths}
    chosen: dict[str, list[int]] = {}

    def finlora(name: str) -> None:
        scored = score_sorted_batches(model, prompts, [labels] * len(prompts), batch_size=batch,
                                      pad_id=0, prefix_cache=caches[name],
                                      **finlora_paths[name])
        chosen[name] = [max(range(3), key=lambda i, s=s: (s[0][i], -i)) for s in scored]

    paths = {
        **({"stock-gen16": lambda: [stock_generate(model, c, 16) for c in chunks]}
           if batch in gen16_batches else {}),
        "stock-gen1": lambda: [stock_generate(model, c, 1) for c in chunks],
        "stock-fwd": lambda: [stock_forward(model, c, first) for c in chunks],
        "stock-fwd-sort": lambda: [stock_forward(model, c, first) for c in sorted_chunks],
        **{name: (lambda name=name: finlora(name)) for name in finlora_paths},
    }
    row: dict = {"precision": precision, "batch": batch, "prompts": len(prompts),
                 "prompt_tokens": sum(map(len, prompts))}
    phases, errors = {}, {}
    with torch.inference_mode():
        for name, fn in paths.items():
            try:
                row[name], phase = measure(fn, 1 if name == "stock-gen16" else repeats,
                                           len(prompts), caches.get(name))
            except Exception as exc:  # noqa: BLE001 - one failing path must not lose the run
                errors[name] = f"{type(exc).__name__}: {str(exc)[:500]}"
                print(f"  {precision} b{batch} {name}: FAILED {errors[name]}", flush=True)
                with contextlib.suppress(Exception):
                    sync()
                continue
            if phase:
                phases[name] = phase
            print(f"  {precision} b{batch} {name}: {row[name]:.1f} prompts/s", flush=True)
        logits = torch.cat([stock_forward(model, c, first) for c in chunks]).float().cpu()
    best_stock = max([row.get(k, 0.0) for k in STOCK] + [1e-9])
    roof = len(prompts) / (2 * nparams * row["prompt_tokens"] / rates["bf16_flops"])
    row.update(best_stock=best_stock, roofline=roof, phases=phases, errors=errors)
    for name in finlora_paths:
        if name in row:
            row[f"{name}_x_best_stock"] = row[name] / best_stock
            row[f"{name}_of_roofline"] = row[name] / roof
    stock_choice = logits.argmax(-1).tolist()
    for name, got in chosen.items():
        bad = [(i, round(float(logits[i, s] - logits[i, g]), 4))
               for i, (s, g) in enumerate(zip(stock_choice, got, strict=True)) if s != g]
        row[f"{name}_parity"] = {"agree": 1 - len(bad) / len(prompts),
                                 "disagreements (prompt, stock margin)": bad[:20]}
    for name in ("finlora", "finlora-fused") if profile and DEVICE == "cuda" else ():
        if name != "finlora" and batch != 1:
            continue  # the fused path's kernels at batch 1 only (where the glue matters)
        try:
            row[f"profile_{name}"] = profile_top(paths[name])
        except Exception as exc:  # noqa: BLE001 - a profiler failure must not lose the row
            row[f"profile_{name}"] = f"profiler failed: {exc}"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", default="1,4,16,32,64")
    parser.add_argument("--gen16-batches", default="1,16,64",
                        help="batches that also time stock-gen16 (one timed call: it is slow)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", type=int, default=None, help="fewer layers (smoke test)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model (CPU smoke test)")
    parser.add_argument("--precision", default=None, help="default bf16,nf4 (tiny: bf16)")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--tag", default="packed")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    gen16 = {int(b) for b in args.gen16_batches.split(",") if b}
    precisions = (args.precision or ("bf16" if args.tiny else "bf16,nf4")).split(",")
    gpu = torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu"
    slug = "h200" if "H200" in gpu else gpu.split()[-1].lower()
    path = args.out / f"infer_{slug}_{args.tag}.json"
    rates = measure_rates()
    print(f"{gpu}: bf16 matmul {rates['bf16_flops'] / 1e12:.0f} TFLOP/s, copy "
          f"{rates['copy_bytes_per_s'] / 1e12:.2f} TB/s", flush=True)
    model = build_model(args.layers, args.tiny)
    nparams = sum(p.numel() for n, p in model.named_parameters() if "embed_tokens" not in n)
    versions = {}
    for package in ("torch", "transformers", "bitsandbytes"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    result = {"gpu": gpu, "versions": versions, "command": vars(args) | {"out": str(path)},
              "rates": rates, "params_without_embedding": nparams, "rows": [], "floors": {}}
    for precision in precisions:
        if precision == "nf4":
            model = to_nf4(model)
        floor = rates["copy_bytes_per_s"] / weight_bytes(model)
        result["floors"][f"{precision} batch-1 bandwidth floor (prompts/s)"] = floor
        print(f"{precision}: batch-1 bandwidth floor {floor:.1f} prompts/s", flush=True)
        for batch in batches:
            try:
                row = run_row(model, precision, batch, args.repeats, nparams, rates,
                              args.profile, gen16)
            except Exception as exc:  # noqa: BLE001 - record it, go on with the next row
                result["failed_rows"] = [*result.get("failed_rows", []), {
                    "precision": precision, "batch": batch,
                    "error": f"{type(exc).__name__}: {str(exc)[:500]}"}]
                print(f"  {precision} b{batch}: ROW FAILED {exc}", flush=True)
                continue
            finally:
                gc.collect()
                if DEVICE == "cuda":
                    torch.cuda.empty_cache()  # the row's graphs and dense copies are gone
            result["rows"].append(row)
            print(json.dumps({k: v for k, v in row.items() if not k.startswith("profile_")},
                             default=str), flush=True)
            write_text_atomically(path, json.dumps(result, indent=1, default=str))
    result["table"] = table(result["rows"])
    write_text_atomically(path, json.dumps(result, indent=1, default=str))
    print(result["table"])
    for row in result["rows"]:
        for key in (k for k in row if k.startswith("profile_")):
            print(f"\n{row['precision']} b{row['batch']} {key[8:]} kernels:\n{row[key]}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
