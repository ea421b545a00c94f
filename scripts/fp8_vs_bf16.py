"""The fp8 base path against bf16 on a real finetune: the embedded SmolLM2-135M-Instruct on FPB.

Two runs with the same data, seed, steps and LoRA init, differing only in `base_precision`
(compute = bf16 base matmuls, fp8 = train/fp8_base.py). Recorded per run: the loss of every
step, dev accuracy after every epoch (label scoring, as the shipped adapters are selected),
the final dev accuracy — for the fp8 run both through the fp8 base it was trained with and
with the same adapter on the bf16 base — tokens/s and peak memory. One JSON (written after
every epoch of every run, and with the error when a run fails).

The fp8 run goes first (the one not yet measured), one epoch by default: on the H200 the bf16
run took 90 s for 3 epochs (2026-12-02), and a 200 s limit killed the fp8 run after it.
`--budget-s` skips the second run when the first one's time would not fit again.

    timeout 200 python scripts/fp8_vs_bf16.py --out $OUT/fp8_vs_bf16.json --budget-s 190
    python scripts/fp8_vs_bf16.py --out /tmp/fp8.json --smoke            # CPU: fp8 run errors
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import torch

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.models import load_tokenizer, resolve_model
from finlora.train import TrainConfig, finetune
from finlora.train.recipe_options import EpochEnd

# the shipped sentiment adapter's recipe (scripts/train_shipped_adapters.py), FPB only
RECIPE = dict(quantization="none", rank=8, alpha=16, target_modules="all-linear",
              learning_rate=5e-4, batch_size=64, grad_accum=1, max_seq_len=256, dropout=0.05,
              seed=42)


class DevCurve:
    """Epoch hook: FPB dev accuracy after each epoch (the weights are left as they are)."""

    def __init__(self, limit: int | None, on_epoch=None) -> None:
        self.on_epoch = on_epoch  # called with the history after each epoch (partial JSON)
        self.task = tasks.get("fpb")
        self.dev = self.task.load("dev", limit)
        self.tokenizer = load_tokenizer(resolve_model(None))
        self.history: list[dict[str, Any]] = []

    def accuracy(self, model: torch.nn.Module) -> float:
        from finlora.infer import Predictor

        was_training = model.training
        model.eval()
        with torch.no_grad():
            predictor = Predictor(model=model, tokenizer=self.tokenizer, batch_size=64)
            answers = [p.answer for p in predictor.predict(self.task, self.dev)]
        model.train(was_training)
        return float(self.task.score(answers, self.dev)["accuracy"])

    def __call__(self, end: EpochEnd, model: torch.nn.Module) -> None:
        self.history.append({"epoch": end.epoch, "step": end.step, "dev": self.accuracy(model)})
        if self.on_epoch is not None:
            self.on_epoch(self.history)
        if end.final:
            self.model = model  # kept for the final scoring on the bf16 base


def on_bf16_base(model: torch.nn.Module) -> dict:
    """Take the fp8 weights out of the fused layers (they run the bf16 base again); the
    returned mapping puts them back (`restore`)."""
    from finlora.train.fused_layers import FusedLora

    saved = {}
    for layer in model.modules():
        if isinstance(layer, FusedLora) and getattr(layer, "_fp8", None) is not None:
            saved[layer] = layer._fp8
            layer._fp8 = None
    return saved


def run(precision: str, args: argparse.Namespace, root: Path, on_epoch=None) -> dict[str, Any]:
    values = {**RECIPE, "base_precision": precision, "compile_layers": args.compile,
              "epochs": args.epochs}
    if args.smoke:
        values.update(max_steps=2, batch_size=4, limit=8)
    config = TrainConfig.build(**values)
    began = time.perf_counter()
    curve = DevCurve(8 if args.smoke else None, None if on_epoch is None else (
        lambda history: on_epoch({"partial": True, "dev_curve": list(history),
                                  "elapsed_s": round(time.perf_counter() - began, 1)})))
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    result = finetune("fpb", config=config, output_dir=root / precision, progress=False,
                      on_epoch_end=curve, device=args.device)
    out: dict[str, Any] = {"config": config.model_dump(mode="json"),
                           "wall_s": round(time.perf_counter() - began, 1),
                           "metrics": result.metrics, "dev_curve": curve.history,
                           "dev_accuracy": curve.history[-1]["dev"] if curve.history else None}
    records = [json.loads(line) for line in
               (root / precision / "metrics.jsonl").read_text().splitlines() if line.strip()]
    out["loss_curve"] = [round(r["loss"], 5) for r in records]
    out["tokens_per_s_curve"] = [r.get("tokens_per_s") for r in records]
    if precision == "fp8" and getattr(curve, "model", None) is not None:
        saved = on_bf16_base(curve.model)
        out["fp8_layers"] = len(saved)
        out["dev_accuracy_on_bf16_base"] = curve.accuracy(curve.model)
        for layer, fp8 in saved.items():
            layer._fp8 = fp8
    return out


def summary(runs: dict[str, Any]) -> dict[str, Any]:
    bf16, fp8 = runs.get("compute", {}), runs.get("fp8", {})
    if "loss_curve" not in bf16 or "loss_curve" not in fp8:
        return {}
    gaps = [abs(a - b) for a, b in zip(bf16["loss_curve"], fp8["loss_curve"], strict=False)]
    tail = max(1, len(gaps) // 10)
    return {"dev_accuracy_delta_fp8_minus_bf16": round(fp8["dev_accuracy"] - bf16["dev_accuracy"], 4),
            "final_loss_bf16": bf16["metrics"]["final_loss"],
            "final_loss_fp8": fp8["metrics"]["final_loss"],
            "mean_abs_loss_gap": round(sum(gaps) / len(gaps), 5),
            "mean_abs_loss_gap_last_10pct": round(sum(gaps[-tail:]) / tail, 5),
            "tokens_per_s_ratio_fp8_over_bf16": round(
                fp8["metrics"]["tokens_per_s"] / bf16["metrics"]["tokens_per_s"], 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="results JSON")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--budget-s", type=float, default=None,
                        help="skip the second run when the first run's wall time would not fit "
                             "in what is left of this many seconds")
    parser.add_argument("--compile", action="store_true",
                        help="compile_layers on for both runs (default off, as for the shipped "
                             "adapters)")
    parser.add_argument("--device", default=None)
    parser.add_argument("--smoke", action="store_true", help="2 steps on 8 examples (CPU check)")
    args = parser.parse_args(argv)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    results: dict[str, Any] = {"command": " ".join(sys.argv), "host": platform.node(),
                               "device": gpu, "torch": torch.__version__, "runs": {}}

    def save() -> None:
        results["summary"] = summary(results["runs"])
        write_text_atomically(args.out, json.dumps(results, indent=1, default=str) + "\n")

    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for precision in ("fp8", "compute"):
            spent = time.perf_counter() - began
            if args.budget_s is not None and results["runs"] and 2 * spent > args.budget_s:
                results["runs"][precision] = {"error": f"skipped: {spent:.0f}s of the "
                                              f"{args.budget_s:.0f}s budget spent by the first run"}
                save()
                continue

            def partial(state: dict, precision: str = precision) -> None:
                results["runs"][precision] = state
                save()

            try:
                results["runs"][precision] = run(precision, args, Path(tmp), partial)
            except Exception as exc:  # noqa: BLE001 - a failed run is recorded, the other kept
                results["runs"][precision] = {"error": f"{type(exc).__name__}: {exc}",
                                              "traceback": traceback.format_exc()[-3000:]}
            print(json.dumps({precision: {k: v for k, v in results["runs"][precision].items()
                                          if k in ("dev_accuracy", "error", "wall_s",
                                                   "dev_accuracy_on_bf16_base")}}), flush=True)
            save()
    print(json.dumps(results["summary"]), flush=True)
    return 0 if all("error" not in r for r in results["runs"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
