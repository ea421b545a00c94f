"""Inference throughput: finlora's label scoring vs stock `model.generate`, side by side.

Same model, same prompts, in one run: a Llama-3.1-8B-shaped model with random weights (speed
does not depend on the values), bf16 and then bitsandbytes nf4 (double quant, bf16 compute).
Two workloads:

`uniform256`: one batch of 256-token prompts (a 32-token instruction shared by all, as FinLoRA
prompts share theirs, then 224 tokens of their own). Per batch size (1, 16, 64), prompts/s for
  - stock: `model.generate`, greedy, exactly 16 new tokens;
  - finlora classification: `score_batch` over 3 one-token labels (FPB-like) and over 7
    multi-token labels (NWGI-like) — one forward pass with the answers in a token trie;
  - finlora extraction: `score_batch` choosing one of 24 multi-token concept names (an XBRL tag
    question); the value is then read from the filing, no generation.

`fpb`: the sentiment task as users run it: 8 batches' worth of prompts with the token lengths
of FPB's prompts (33-119 tokens, mean 63; the first 25 tokens — FinLoRA's instruction — shared),
3 one-token labels. stock: `model.generate` over the prompts in their order, `batch` at a time,
left-padded, exactly 16 new tokens; finlora: `score_sorted_batches` (what `Predictor` runs:
prompts grouped by length, then `score_batch`).

    python benchmarks/bench_infer.py --out results/        # on a CUDA machine
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from llama8b import llama_config, quantize_nf4, random_llama

from finlora.infer.scoring import score_batch, score_sorted_batches

PROMPT_TOKENS, SHARED_TOKENS, NEW_TOKENS = 256, 32, 16
FPB_SHARED_TOKENS, FPB_BATCHES = 25, 8
HERE = Path(__file__).parent
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


def build_model(layers: int | None, tiny: bool) -> torch.nn.Module:
    return random_llama(llama_config(tiny, layers), DEVICE, torch.bfloat16).eval()


def to_nf4(model: torch.nn.Module) -> torch.nn.Module:
    """Every decoder linear layer to bitsandbytes nf4 (the LM head stays bf16)."""
    return quantize_nf4(model, torch.bfloat16)


def make_prompts(n: int, vocab: int, seed: int) -> list[list[int]]:
    g = torch.Generator().manual_seed(seed)
    shared = torch.randint(1000, vocab, (SHARED_TOKENS,), generator=g).tolist()
    return [shared + torch.randint(1000, vocab, (PROMPT_TOKENS - SHARED_TOKENS,),
                                   generator=g).tolist() for _ in range(n)]


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
    ids = lambda k: torch.randint(1000, vocab, (k,), generator=g).tolist()  # noqa: E731
    prefix = ids(3)  # "us-gaap:" shared by every concept
    return {
        "classification (3 labels)": [ids(1) for _ in range(3)],
        "classification (7 labels)": [ids(1 + i % 3) for i in range(7)],
        "extraction (24 concepts)": [prefix + ids(3 + i % 6) for i in range(24)],
    }


def timed(fn, repeats: int) -> float:
    fn()  # warm-up
    if DEVICE == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    if DEVICE == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def stock_generate(model, prompts: list[list[int]]) -> None:
    """One `generate` call; prompts of unequal length are left-padded."""
    width = max(len(p) for p in prompts)
    ids = torch.zeros((len(prompts), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, p in enumerate(prompts):
        ids[row, width - len(p):] = torch.tensor(p)
        mask[row, width - len(p):] = 1
    model.generate(input_ids=ids.to(DEVICE), attention_mask=mask.to(DEVICE), do_sample=False,
                   max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS, pad_token_id=0)


def run_fpb(model, precision: str, batches: list[int], repeats: int) -> list[dict]:
    vocab = model.config.vocab_size
    labels = label_sets(vocab)["classification (3 labels)"]
    rows = []
    for batch in batches:
        prompts = fpb_prompts(FPB_BATCHES * batch, vocab, seed=batch)
        chunks = [prompts[i:i + batch] for i in range(0, len(prompts), batch)]
        with torch.inference_mode():
            seconds = timed(lambda chunks=chunks: [stock_generate(model, c) for c in chunks],
                            repeats)
            stock = len(prompts) / seconds
            seconds = timed(lambda prompts=prompts, batch=batch: score_sorted_batches(
                model, prompts, [labels] * len(prompts), batch_size=batch, pad_id=0), repeats)
        rows.append(dict(precision=precision, batch=batch,
                         workload="fpb: stock generate (16 tokens)", prompts_per_s=stock,
                         speedup=1.0))
        rows.append(dict(precision=precision, batch=batch,
                         workload="fpb: finlora classification (3 labels)",
                         prompts_per_s=len(prompts) / seconds,
                         speedup=len(prompts) / seconds / stock))
        print(json.dumps(rows[-2:]), flush=True)
    return rows


def run(model, precision: str, batches: list[int], repeats: int) -> list[dict]:
    vocab = model.config.vocab_size
    rows = []
    for batch in batches:
        prompts = make_prompts(batch, vocab, seed=batch)
        with torch.inference_mode():
            seconds = timed(lambda prompts=prompts: stock_generate(model, prompts), repeats)
        stock = batch / seconds
        rows.append(dict(precision=precision, batch=batch, workload="stock generate (16 tokens)",
                         prompts_per_s=stock, speedup=1.0))
        for workload, labels in label_sets(vocab).items():
            with torch.inference_mode():
                seconds = timed(lambda labels=labels, prompts=prompts: score_batch(
                    model, prompts, [labels] * len(prompts), pad_id=0), repeats)
            rows.append(dict(precision=precision, batch=batch, workload=f"finlora {workload}",
                             prompts_per_s=batch / seconds, speedup=batch / seconds / stock))
        print(json.dumps(rows[-4:]), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", default="1,16,64")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layers", type=int, default=None, help="fewer layers (smoke test)")
    parser.add_argument("--tiny", action="store_true", help="a tiny model (CPU smoke test)")
    parser.add_argument("--precision", default="bf16,nf4")
    parser.add_argument("--workloads", default="uniform256,fpb")
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    model = build_model(args.layers, args.tiny)
    rows = []
    for precision in args.precision.split(","):
        if precision == "nf4":
            model = to_nf4(model)
        if "uniform256" in args.workloads:
            rows += run(model, precision, batches, args.repeats)
        if "fpb" in args.workloads:
            rows += run_fpb(model, precision, batches, args.repeats)
    gpu = torch.cuda.get_device_name() if DEVICE == "cuda" else "cpu"
    lines = [f"GPU: {gpu}; torch {torch.__version__}", "",
             "| precision | batch | workload | prompts/s | vs stock |", "|---|---|---|---|---|"]
    lines += [f"| {r['precision']} | {r['batch']} | {r['workload']} | {r['prompts_per_s']:.1f} | "
              f"{r['speedup']:.1f}× |" for r in rows]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_infer.json").write_text(json.dumps({"gpu": gpu, "rows": rows}, indent=1))
    (args.out / "bench_infer.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
