"""QLoRA training throughput: finlora's path against the stock transformers + peft +
bitsandbytes path, side by side, on the same quantized model, LoRA config and data.

Model: a Llama-3.1-8B-shaped LlamaForCausalLM with random weights (same speed and memory as
the real one), linear layers quantized to bitsandbytes nf4 (double quant, bf16 compute).
LoRA: rank 8, alpha 16, dropout 0.05, all linear layers, for every path (one LoraConfig).

Stock path: PEFT's LoRA layers, right-padded batches, `model(..., labels=...).loss` (full
logits, cross-entropy masked to the answer), torch AdamW, model in training mode. Two variants:
`stock` = that on the bf16 model as built; `stock-qlora` = PEFT's QLoRA recipe,
`prepare_model_for_kbit_training` before `get_peft_model` (norms, embeddings and LM head cast
to fp32, as the QLoRA and PEFT docs do it), on a second model built after the other paths.
finlora path: `finlora.train` — packed rows (position-id restarts), the fused LoRA layer,
compiled norm / attention / MLP blocks with the fused LoRA layers traced in (`compile_layers`),
answer-only LM head (`AnswerLoss`), fused AdamW. finlora-static: the same, each step one row
of a fixed token budget (the largest step of the row's data), forward + backward captured
once as a CUDA graph and replayed (static_step.py). Peers (`train_peers.py`): `hf-packed`,
`hf-packed-liger` and `unsloth` (when importable), one packed row a step. Each row: --warmup
steps, the timed batches once untimed (every batch shape compiled), then the timed batches;
rows count the graphs compiled while timed. A loss-parity check from one shared LoRA init
follows the rows; the headline of each case is finlora against its fastest other path.

Cases: `short` = FPB-length examples (prompt / answer lengths of FPB's train split, random
token ids), 64 a step; `short8` = 8 a step; `short8x2` = 2 micro-batches of 8 a step (FinLoRA's
batch and accumulation: stock runs two passes, finlora merges them into one packed pass);
`long` = 8 × 512-token examples (504 prompt + 8 answer), `lean` = 4 × 512 with gradient
checkpointing. Reported: non-padding tokens/s, peak GPU memory, MFU against a bf16
peak of 790 TFLOP/s (the rate measured on an H200 here) counting 4 FLOPs per linear weight
per token (forward + input gradient; LoRA trains no base-weight gradient), the LM head at
answer tokens only and causal attention per example — the same useful work for every path.

    python benchmarks/bench_train.py                       # GPU: full table, 3 paths
    python benchmarks/bench_train.py --paths finlora,stock,hf-packed,hf-packed-liger,unsloth \
        --cases long,short,short8x2,short8 --dropout 0.05,0    # GPU: against the peers
    python benchmarks/bench_train.py --paths finlora,finlora-static,hf-packed-liger \
        --cases short8,short8x2,short,long                # GPU: the static, captured step
    python benchmarks/bench_train.py --tiny --steps 2      # CPU smoke test, tiny model
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from functools import partial
from pathlib import Path

import torch
import train_peers
import unsloth_peer
from llama8b import llama_config, quantize_nf4, random_llama
from torch._dynamo.utils import counters
from train_paths import StaticRunner, prepare_path, profile_step, train_step

from finlora.atomic import write_text_atomically
from finlora.models import default_dtype
from finlora.train import TrainConfig
from finlora.train.compiled_layers import compiler_works
from finlora.train.fused_layers import set_fused
from finlora.train.trainable import AnswerLoss, lora_config

HERE = Path(__file__).parent
PEAK_TFLOPS = 790.0


def build_lora_model(config, device: torch.device, dtype: torch.dtype, dropout: float,
                     qlora_recipe: bool = False):
    """Random-weight Llama, every decoder linear layer bnb nf4 and frozen, no KV cache, with
    LoRA r8 all-linear; `qlora_recipe`: PEFT's `prepare_model_for_kbit_training` first."""
    from peft import get_peft_model, prepare_model_for_kbit_training

    model = quantize_nf4(random_llama(config, device, dtype), dtype)
    model.config.use_cache = False
    for param in model.parameters():
        param.requires_grad_(False)
    if qlora_recipe:  # gradient checkpointing is switched per case, as for the other paths
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    lora = lora_config(TrainConfig(quantization="nf4", rank=8, alpha=16, dropout=dropout,
                                   target_modules="all-linear"))
    model = get_peft_model(model, lora)
    model.train()
    return model


def make_examples(case: str, n: int, vocab: int, seed: int) -> list[tuple[list[int], int]]:
    """(token ids, answer length) per example; ids are random, lengths are realistic."""
    rng = random.Random(seed)
    if case == "short":
        lengths = json.loads((HERE / "fpb_lengths.json").read_text())["lengths"]
        shapes = [lengths[rng.randrange(len(lengths))] for _ in range(n)]
    else:
        shapes = [[504, 8]] * n
    return [([rng.randrange(100, vocab) for _ in range(p + a)], a) for p, a in shapes]


def useful_flops(examples, config) -> float:
    d, layers, vocab = config.hidden_size, config.num_hidden_layers, config.vocab_size
    kv = d * config.num_key_value_heads // config.num_attention_heads
    linear_params = layers * (2 * d * d + 2 * d * kv + 3 * d * config.intermediate_size)
    total = 0.0
    for ids, answer in examples:
        n = len(ids)
        total += 4 * linear_params * n + 4 * vocab * d * answer + 6 * layers * d * n * n
    return total


def parity_examples(config, steps: int = 8) -> list[list[tuple[list[int], int]]]:
    """The batches every path trains on in the loss-parity check, one per step: 8 FPB-length
    examples each, different every step (a path that trained on the wrong rows would drift)."""
    return [make_examples("short", 8, config.vocab_size, seed=4242 + i) for i in range(steps)]


def run_case(path: str, case: str, model, loss_fn, config, device, args) -> dict:
    per_micro = {"short": args.short_batch, "short8": 8, "short8x2": 8, "long": 8, "lean": 4}[case]
    accum = 2 if case == "short8x2" else 1  # FinLoRA's default: batch 8, accumulation 2
    per_step = per_micro * accum
    if case == "lean":
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.gradient_checkpointing_disable()
    prepare_path(path, model, args)
    params = [p for p in model.parameters() if p.requires_grad]
    ours = path.startswith("finlora")
    optimizer = torch.optim.AdamW(params, lr=1e-4, fused=ours and device.type == "cuda")
    kind = "short" if case.startswith("short") else "long"
    timed = [make_examples(kind, per_step, config.vocab_size, seed=1000 * step)
             for step in range(args.steps)]
    warmup = [make_examples(kind, per_step, config.vocab_size, seed=1000 * (args.steps + step))
              for step in range(args.warmup)]
    # The timed batches run once untimed too: every batch shape they bring has been compiled.
    data = warmup + timed + timed
    warm_steps = len(warmup) + len(timed)
    static = StaticRunner(loss_fn, data, device) if path == "finlora-static" else None
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    tokens = flops = 0.0
    began = 0.0
    for step, examples in enumerate(data):
        if step == warm_steps:
            if device.type == "cuda":
                torch.cuda.synchronize()
            began = time.perf_counter()
            graphs_before = counters["stats"]["unique_graphs"]
        micro = [examples[m * per_micro:(m + 1) * per_micro] for m in range(accum)]
        loss = train_step(path, micro, model, loss_fn, device, static)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= warm_steps:
            tokens += sum(len(ids) for ids, _ in examples)
            flops += useful_flops(examples, config)
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - began
    result = {"path": path, "case": case, "examples_per_step": per_step,
              "compiled": ours and args.compile,
              "lora_traced": ours and args.compile and args.trace_lora,
              "gradient_checkpointing": case == "lean", "steps_timed": args.steps,
              "graphs_compiled_while_timed": counters["stats"]["unique_graphs"] - graphs_before,
              "tokens_per_s": round(tokens / elapsed, 1),
              "final_loss": round(float(loss.detach()), 4),
              "mfu": round(flops / elapsed / (PEAK_TFLOPS * 1e12), 4)}
    if static is not None:
        result.update(static.describe())
    if device.type == "cuda":
        result["peak_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        result["peak_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)
    del optimizer, loss, static
    model.zero_grad(set_to_none=True)  # a captured step's gradients live in its graph's pool
    gc.collect()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny model (CPU smoke test)")
    parser.add_argument("--cases", default="short8,short,long,lean",
                        help="short8 = FPB-length, 8 examples a step (FinLoRA's batch); short8x2 "
                             "= 2 micro-batches of 8 a step (FinLoRA's accumulation); short = "
                             "FPB-length, --short-batch a step; long = 8 x 512; lean = 4 x 512 "
                             "with gradient checkpointing")
    parser.add_argument("--paths", default="finlora,stock,stock-qlora",
                        help="finlora; finlora-fp8 = finlora with fp8 base matmuls (Hopper); "
                             "stock = transformers + peft + bitsandbytes on the bf16 "
                             "model; stock-qlora = the same after PEFT's "
                             "prepare_model_for_kbit_training (fp32 norms, embeddings, LM "
                             "head); peers: hf-packed, hf-packed-liger, unsloth (train_peers.py); "
                             "finlora-static = finlora at a fixed token budget, CUDA-graph "
                             "captured step")
    parser.add_argument("--short-batch", type=int, default=64,
                        help="examples per step in the short case (every path)")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=10,
                        help="untimed steps per row before the timed steps run once untimed: "
                             "the finlora path compiles in these, once per new family of batch "
                             "shapes (FPB-length batches vary a lot)")
    parser.add_argument("--no-compile", dest="compile", action="store_false",
                        help="finlora path without compiled layer blocks (compile_layers=False)")
    parser.add_argument("--opaque-lora", dest="trace_lora", action="store_false",
                        help="compiled blocks break around the fused LoRA layers (as before "
                             "they were traced into the blocks' graphs)")
    parser.add_argument("--dropout", default="0.05",
                        help="LoRA dropout of every path; several, comma-separated, run in turn")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one finlora step of the long case (top CUDA ops)")
    parser.add_argument("--dtype", choices=("bfloat16", "float32"), default=None,
                        help="compute dtype of every path (default: bf16 on a GPU, fp32 on the "
                             "CPU); fp32 tells kernel rounding apart from a real parity gap")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    train_peers.add_arguments(parser)
    args = parser.parse_args(argv)

    began_run = time.perf_counter()
    device = torch.device("cuda" if torch.cuda.is_available() and not args.tiny else "cpu")
    if args.compile:
        problem = compiler_works(device)
        print(f"torch.compile on {device}: {problem or 'works'}", flush=True)
        args.compile = problem is None
    dtype = getattr(torch, args.dtype) if args.dtype else default_dtype(device)
    config = llama_config(args.tiny)
    paths, cases = args.paths.split(","), args.cases.split(",")
    dropouts = [float(d) for d in args.dropout.split(",")]
    results, losses, init, profile = [], {}, None, None

    def write_results() -> None:
        parity = train_peers.finish(results, losses, args)
        if args.out:
            gpu = torch.cuda.get_device_name() if device.type == "cuda" else "cpu"
            write_text_atomically(args.out, json.dumps({
                "device": gpu, "torch": torch.__version__, "dtype": str(dtype).split(".")[-1],
                "dropout": dropouts,
                "versions": train_peers.versions(),
                "paths": {p: train_peers.SETUPS.get(p, "") for p in paths},
                "results": results, "parity": parity, "headline": train_peers.headline(results),
                "profile_long_finlora": profile}, indent=2))

    for qlora_recipe in (False, True):  # the QLoRA recipe changes the model: a model of its own
        model_paths = [p for p in paths if (p == "stock-qlora") == qlora_recipe and p != "unsloth"]
        if not model_paths:
            continue
        began = time.perf_counter()
        model = build_lora_model(config, device, dtype, dropouts[0], qlora_recipe)
        loss_fn = AnswerLoss(model)
        init = init or train_peers.lora_state(model)  # every path's LoRA init for the parity check
        kinds = {type(m.get_base_layer()).__name__ for m in model.modules() if hasattr(m, "lora_A")}
        print(f"{'/'.join(model_paths)}: LoRA layers {set_fused(model)} fused-eligible, "
              f"base layers {kinds}, ready in {time.perf_counter() - began:.0f}s on {device} "
              f"({torch.cuda.get_device_name() if device.type == 'cuda' else 'cpu'})", flush=True)
        set_fused(model, on=False)
        for dropout in dropouts:
            train_peers.set_dropout(model, dropout)
            for case in cases:  # a case starts with every path or none (a whole headline)
                out_of_time = time.perf_counter() - began_run > args.time_budget
                for path in model_paths:
                    if out_of_time:
                        result = {"path": path, "case": case, "dropout": dropout,
                                  "error": "skipped: --time-budget spent"}
                    else:
                        prepare_path(path, model, args)
                        result = train_peers.run_row(path, case, dropout, model, partial(
                            run_case, path, case, model, loss_fn, config, device, args))
                    print(json.dumps(result), flush=True)
                    results.append(result)
                write_results()
        parity_paths = ([] if qlora_recipe else [train_peers.PARITY_REFERENCE]) + model_paths
        batches = parity_examples(config, args.parity_steps)
        for path in dict.fromkeys(parity_paths):
            static = StaticRunner(loss_fn, batches, device) if path == "finlora-static" else None
            losses[path] = train_peers.run_parity(
                path, model, init, partial(prepare_path, model=model, args=args),
                partial(train_step, model=model, loss_fn=loss_fn, device=device, static=static),
                batches, args)
            del static
            model.zero_grad(set_to_none=True)
        if args.profile and device.type == "cuda" and "finlora" in model_paths:
            profile = profile_step(model, loss_fn, make_examples("long", 8, config.vocab_size, 7),
                                   args.compile, args.trace_lora)
        model = loss_fn = None
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    if "unsloth" in paths:
        results += unsloth_peer.rows(cases, dropouts, args, init, losses,
                                     args.time_budget - (time.perf_counter() - began_run))
    write_results()
    train_peers.print_report(results, train_peers.headline(results), train_peers.finish(
        results, losses, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
