"""Peer training paths beside finlora's in `bench_train.py`, and how their rows are compared.

Peers, on the same nf4 model, LoRA config and examples as the bench's own paths (`SETUPS`):
`hf-packed` (stock transformers + peft, the step's examples as one row whose position ids
restart per example: transformers' packed-sequence mask under sdpa, no padding),
`hf-packed-liger` (the same with Liger's Llama kernels, applied per row as transformers'
Trainer applies them to a PEFT model, undone after it), `unsloth` (when importable, in a
process of its own: `unsloth_peer.py`; never a finlora dependency).

Loss parity: every path starts from one shared LoRA init, takes `--parity-steps` AdamW steps at
dropout 0, a new batch of 8 FPB-length examples each step; per-step losses further than
`--parity-tol` from stock's (HF, padded) flag the path. Headline: each finlora path against a
case's fastest peer."""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from collections.abc import Callable, Iterator

import torch
from torch import nn

from finlora.train.data import IGNORE_INDEX

PEERS = ("hf-packed", "hf-packed-liger", "unsloth")
PARITY_REFERENCE = "stock"
SETUPS = {  # what each path runs, recorded in the results JSON
    "finlora": "packed rows, fused LoRA traced into compiled blocks, answer-only head, fused AdamW",
    "finlora-fp8": "finlora, base matmuls in fp8 (e4m3 weights and tokens, e5m2 input grads)",
    "finlora-static": "finlora, each step one row of a fixed token budget, CUDA-graph captured",
    "stock": "transformers + peft, right-padded micro-batches, model(...).loss, AdamW",
    "stock-qlora": "stock after peft's prepare_model_for_kbit_training (fp32 norms / head)",
    "hf-packed": "transformers + peft, the step as one row (position ids restart), model(...).loss",
    "hf-packed-liger": "hf-packed + Liger kernels: RoPE, RMSNorm, SwiGLU, fused linear CE",
    "unsloth": "Unsloth nf4 LoRA, no checkpointing, best of packed row / padded batches per case",
}


def packed_row(examples: list[tuple[list[int], int]], device) -> dict[str, torch.Tensor]:
    """The examples as one row: ids end to end, position ids restarting at 0 for each example,
    labels = the answer tokens (the model shifts them), no attention mask."""
    ids: list[int] = []
    positions: list[int] = []
    labels: list[int] = []
    for tokens, answer in examples:
        ids += tokens
        positions += range(len(tokens))
        labels += [IGNORE_INDEX] * (len(tokens) - answer) + tokens[len(tokens) - answer:]

    def row(values: list[int]) -> torch.Tensor:
        return torch.tensor([values], dtype=torch.long, device=device)

    return {"input_ids": row(ids), "position_ids": row(positions), "labels": row(labels)}


def set_dropout(model: nn.Module, p: float) -> None:
    """LoRA dropout `p` in every LoRA layer, as PEFT builds it (nn.Identity when 0); modules
    that already match stay (a compiled block need not recompile for a new object)."""
    for module in model.modules():
        dropouts = getattr(module, "lora_dropout", None)
        if not isinstance(dropouts, nn.ModuleDict):
            continue
        for name, current in list(dropouts.items()):
            if p > 0 and isinstance(current, nn.Dropout):
                current.p = p
            elif p > 0:
                dropouts[name] = nn.Dropout(p)
            elif not isinstance(current, nn.Identity):
                dropouts[name] = nn.Identity()


def lora_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the trainable (LoRA) weights by name: the shared init of the parity check."""
    return {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters()
            if p.requires_grad}


def load_lora(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy `state` into the model's trainable weights; the names must match one to one."""
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    if params.keys() != state.keys():
        missing = sorted(set(state) ^ set(params))[:3]
        raise KeyError(f"LoRA weights differ by name from the shared init, e.g. {missing}")
    with torch.no_grad():
        for name, param in params.items():
            param.copy_(state[name])


@contextlib.contextmanager
def restored_afterwards(modules: list[nn.Module], namespaces: list) -> Iterator[None]:
    """Undo on exit whatever is set, inside, on the instances of `modules` (their `__dict__`)
    and in the module `namespaces`: the way to run a monkey-patching library for one row."""
    objects = [*modules, *namespaces]
    before = [dict(vars(obj)) for obj in objects]
    try:
        yield
    finally:
        for obj, saved in zip(objects, before, strict=True):
            for key in set(vars(obj)) - set(saved):
                delattr(obj, key)
            vars(obj).update(saved)


@contextlib.contextmanager
def liger_kernels(model: nn.Module) -> Iterator[None]:
    """Liger's Llama kernels on the base model of PEFT model `model` while inside (what
    transformers' Trainer does for `use_liger_kernel`); on exit, all Liger set is undone."""
    from liger_kernel.transformers import apply_liger_kernel_to_llama
    from transformers.models.llama import modeling_llama

    base = model.get_base_model()
    with restored_afterwards(list(base.modules()), [modeling_llama]):
        apply_liger_kernel_to_llama(rope=True, rms_norm=True, swiglu=True, cross_entropy=False,
                                    fused_linear_cross_entropy=True, model=base)
        yield


def kernels(path: str, model: nn.Module) -> contextlib.AbstractContextManager:
    """The path's kernel patches (Liger's for hf-packed-liger; none for the others)."""
    return liger_kernels(model) if path == "hf-packed-liger" else contextlib.nullcontext()


def parity_losses(path: str, model: nn.Module, init: dict[str, torch.Tensor],
                  step: Callable[[str, list], torch.Tensor], examples: list, steps: int,
                  lr: float) -> list[float]:
    """Per-step losses of `steps` AdamW steps from `init` at dropout 0, a batch of `examples`
    per step (cycled); `step(path, micro)` runs the path's forward + backward: its loss."""
    set_dropout(model, 0.0)
    load_lora(model, init)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer, losses = torch.optim.AdamW(params, lr=lr), []
    for i in range(steps):
        with kernels(path, model):
            loss = step(path, [examples[i % len(examples)]])
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(round(float(loss.detach()), 5))
    del optimizer
    return losses


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The bench's options for the peers' protocol: loss parity and a time budget."""
    parser.add_argument("--parity-steps", type=int, default=5,
                        help="AdamW steps of the loss-parity check (a new batch each, dropout 0)")
    parser.add_argument("--parity-lr", type=float, default=1e-3,
                        help="learning rate of the parity steps (high enough to move the loss)")
    parser.add_argument("--parity-tol", type=float, default=0.05,
                        help="largest per-step loss difference from stock that counts as parity")
    parser.add_argument("--time-budget", type=float, default=float("inf"),
                        help="seconds: cases not started by then are recorded as skipped "
                             "(the parity check and the JSON still follow)")


def run_row(path: str, case: str, dropout: float, model: nn.Module,
            run: Callable[[], dict]) -> dict:
    """`run()` (one timed row) under the path's kernels; an out-of-memory row, or any failure of
    a peer, becomes an error row instead of ending the bench."""
    try:
        with kernels(path, model):
            return {**run(), "dropout": dropout}
    except Exception as exc:
        if path not in (*PEERS, "finlora-fp8") and not isinstance(exc, torch.OutOfMemoryError):
            raise
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        return error_row(path, case, dropout, exc)


def run_parity(path: str, model: nn.Module, init: dict[str, torch.Tensor],
               prepare: Callable[[str], None], step: Callable[[str, list], torch.Tensor],
               examples: list, args: argparse.Namespace) -> list[float] | str:
    """The path's parity losses (`prepare(path)` first, outside its kernels), or why not."""
    try:
        prepare(path)
        return parity_losses(path, model, init, step, examples, args.parity_steps, args.parity_lr)
    except Exception as exc:  # noqa: BLE001 - reported in the parity section
        return error_row(path, "parity", 0.0, exc)["error"]


def finish(results: list[dict], losses: dict, args: argparse.Namespace) -> dict:
    """The parity section of the results, with each row flagged by its path's outcome."""
    settings = {"steps": args.parity_steps, "lr": args.parity_lr, "dropout": 0.0,
                "batch": "8 FPB-length examples a step, a different batch each step (seeds 4242 + step)"}
    parity = parity_report(losses, args.parity_tol, settings)
    flag_rows(results, parity)
    return parity


def parity_report(losses: dict[str, list[float]], tol: float, settings: dict) -> dict:
    """Each path's largest per-step loss difference from the reference, and whether it is
    within `tol`; the reference's own loss drop says how much the check can tell apart."""
    errors = {p: v for p, v in losses.items() if isinstance(v, str)}
    losses = {p: v for p, v in losses.items() if not isinstance(v, str)}
    ref = losses.get(PARITY_REFERENCE)
    report = {"reference": PARITY_REFERENCE, "tolerance": tol, **settings, "losses": losses,
              "errors": errors, "max_abs_diff": {}, "agrees": {}}
    if ref is None:
        return report
    report["reference_drop"] = round(ref[0] - ref[-1], 5)
    for path, curve in losses.items():
        if path == PARITY_REFERENCE or len(curve) != len(ref):
            continue
        diff = max(abs(a - b) for a, b in zip(curve, ref, strict=True))
        report["max_abs_diff"][path] = round(diff, 5)
        report["agrees"][path] = diff <= tol
    return report


def flag_rows(results: list[dict], parity: dict) -> None:
    """Mark each row with its path's parity outcome: 'agrees', 'disagrees', 'reference' or
    'error' (the check could not run on that path)."""
    for row in results:
        if row["path"] == parity.get("reference") and parity.get("losses", {}).get(row["path"]):
            row["parity"] = "reference"
        elif row["path"] in parity.get("agrees", {}):
            row["parity"] = "agrees" if parity["agrees"][row["path"]] else "disagrees"
        elif row["path"] in parity.get("errors", {}):
            row["parity"] = "error"


def headline(results: list[dict]) -> list[dict]:
    """Per (dropout, case): finlora against the fastest other path that ran in it."""
    lines = []
    for row in results:
        if not row["path"].startswith("finlora") or "error" in row:
            continue
        others = [r for r in results if not r["path"].startswith("finlora") and "error" not in r
                  and r["case"] == row["case"] and r.get("dropout") == row.get("dropout")]
        if not others:
            continue
        peer = max(others, key=lambda r: r["tokens_per_s"])
        line = {"case": row["case"], "dropout": row.get("dropout"), "finlora_path": row["path"],
                "finlora_tokens_per_s": row["tokens_per_s"], "fastest_peer": peer["path"],
                "peer_tokens_per_s": peer["tokens_per_s"],
                "speedup": round(row["tokens_per_s"] / peer["tokens_per_s"], 3),
                "peer_parity": peer.get("parity", "not checked")}
        if "peak_gib" in row and "peak_gib" in peer:
            line.update(finlora_peak_gib=row["peak_gib"], peer_peak_gib=peer["peak_gib"],
                        memory_ratio=round(row["peak_gib"] / peer["peak_gib"], 3))
        lines.append(line)
    return lines


def print_report(results: list[dict], heads: list[dict], parity: dict) -> None:
    """The rows as a markdown table, the parity check and the headline per case."""
    print("\n| dropout | case | path | examples/step | tokens/s | peak GiB | MFU | parity |"
          " finlora × |\n|---|---|---|---|---|---|---|---|---|")
    finlora = {(r["case"], r.get("dropout")): r for r in results
               if r["path"] == "finlora" and "error" not in r}
    for r in results:
        lead = f"| {r.get('dropout', '')} | {r['case']} | {r['path']} |"
        if "error" in r:
            print(f"{lead} | {r['error'][:80]} | | | | |")
            continue
        ours = finlora.get((r["case"], r.get("dropout")))
        ratio = (f"{ours['tokens_per_s'] / r['tokens_per_s']:.2f}"
                 if ours and r["path"] != "finlora" else "")
        print(f"{lead} {r['examples_per_step']} | {r['tokens_per_s']:,.0f} | "
              f"{r.get('peak_gib', '-')} | {r['mfu']:.1%} | {r.get('parity', '')} | {ratio} |")
    if parity.get("losses"):
        print(f"\nloss parity ({parity['steps']} steps, lr {parity['lr']}, dropout 0, tolerance "
              f"{parity['tolerance']} against {parity['reference']}; its drop "
              f"{parity.get('reference_drop')}):")
        for path, curve in parity["losses"].items():
            verdict = parity["agrees"].get(path)
            mark = "" if verdict is None else ("  agrees" if verdict else "  DISAGREES")
            print(f"  {path:16} {curve}  max |diff| {parity['max_abs_diff'].get(path, 0)}{mark}")
    own = parity.get("agrees", {})
    for h in heads:
        memory = (f"; peak {h['finlora_peak_gib']} vs {h['peer_peak_gib']} GiB "
                  f"({h['memory_ratio']:.2f}×)" if "memory_ratio" in h else "")
        print(f"headline {h['case']} dropout {h['dropout']}: {h['finlora_path']} "
              f"{h['finlora_tokens_per_s']:,.0f} tokens/s (parity {own.get(h['finlora_path'])}) = "
              f"{h['speedup']:.2f}× the fastest peer, {h['fastest_peer']} "
              f"({h['peer_tokens_per_s']:,.0f}, parity {h['peer_parity']}){memory}", flush=True)


def versions() -> dict[str, str | None]:
    """Installed versions of the libraries the paths run on (None: not installed)."""
    from importlib import metadata

    def version(name: str) -> str | None:
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(name)
        return None

    names = ("transformers", "peft", "bitsandbytes", "liger-kernel", "unsloth", "triton")
    return {name: version(name) for name in names}


def error_row(path: str, case: str, dropout: float, exc: BaseException) -> dict:
    """A row for a path that could not run, saying why."""
    print(f"{path} / {case}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
    return {"path": path, "case": case, "dropout": dropout,
            "error": f"{type(exc).__name__}: {str(exc)[:300]}"}
