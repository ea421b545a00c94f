"""Figures beside bench_infer.py's timings: the GPU's measured rates, the bytes one forward
reads, the profiler's top kernels and the issue's table."""

from __future__ import annotations

import time

import torch

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"
STOCK = ("stock-gen16", "stock-gen1", "stock-fwd", "stock-fwd-sort")
FINLORA = ("finlora", "finlora-fused", "finlora-eager", "finlora-nf4", "finlora-nf4-fused")


def sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def timed(fn, repeats: int) -> float:
    """Seconds per call, after one warm-up call."""
    fn()
    sync()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    sync()
    return (time.perf_counter() - start) / repeats


def measure_rates() -> dict[str, float]:
    """bf16 matmul FLOP/s and device copy bytes/s (read + write), measured here."""
    n, reps = (8192, 10) if DEVICE == "cuda" else (512, 3)
    a = torch.randn(n, n, device=DEVICE, dtype=torch.bfloat16)
    b = torch.randn(n, n, device=DEVICE, dtype=torch.bfloat16)
    seconds = timed(lambda: [a @ b for _ in range(reps)], 3) / reps
    src = torch.empty(2 ** 31 if DEVICE == "cuda" else 2 ** 24, dtype=torch.uint8, device=DEVICE)
    dst = torch.empty_like(src)
    copy_s = timed(lambda: dst.copy_(src), 5)
    return {"bf16_flops": 2 * n ** 3 / seconds, "copy_bytes_per_s": 2 * src.numel() / copy_s}


def weight_bytes(model) -> int:
    """Bytes one forward reads of the weights (all but the input embedding; nf4 as stored)."""
    total = 0
    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        if "embed_tokens" not in name:
            total += p.numel() * p.element_size()
    for m in model.modules():  # nf4 quantisation statistics live beside the weights
        state = getattr(getattr(m, "weight", None), "quant_state", None)
        if state is not None:
            total += state.absmax.numel() * state.absmax.element_size()
    return total


def profile_top(fn, rows: int = 12) -> str:
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        fn()
        sync()
    return prof.key_averages().table(sort_by="self_cuda_time_total", row_limit=rows)


def table(rows: list[dict]) -> str:
    """The issue's table: prompts/s per path, finlora's paths against the best stock path and
    the prefill roofline."""
    ours = [k for k in FINLORA if any(k in r for r in rows)]
    head = [*STOCK, *ours, *[f"{k} ÷ best stock" for k in ours],
            *[f"{k} ÷ roofline" for k in ours]]
    lines = ["| precision, batch | " + " | ".join([*head, "roofline"]) + " |",
             "|---" * (len(head) + 2) + "|"]
    for r in rows:
        cells = [f"{r[k]:.1f}" if k in r else "" for k in (*STOCK, *ours)]
        cells += [f"{r[k] / r['best_stock']:.2f}" if k in r else "" for k in ours]
        cells += [f"{r[k] / r['roofline']:.0%}" if k in r else "" for k in ours]
        lines.append(f"| {r['precision']}, {r['batch']} | " + " | ".join(cells)
                     + f" | {r['roofline']:.1f} |")
    return "\n".join(lines)
