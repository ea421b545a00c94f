"""Sweep adapter recipes for the embedded model: many training processes at once on one GPU.

    python scripts/sweep_adapters.py --out $OUT                       # every config, 480 s wall
    python scripts/sweep_adapters.py --out /tmp/s --smoke --device cpu  # CPU check, 2 tiny runs
    python scripts/sweep_adapters.py --out $OUT --only finer-k10-e20,sent-r8-e6

Each named config (scripts/sweep_configs.py) is one `scripts/train_shipped_adapters.py`
process with its own folder under --work: it selects its epoch on the dev split (stopping at an
epoch end after --train-budget-s, the best epoch so far kept), then scores test (adapter,
majority baseline, macro F1, MCC; calibrated scoring beside plain for label tasks). Runs still
going at --wall-s are killed; what they wrote is kept. Then, per task, the run with the best
dev accuracy on that task (never test) is picked, its adapter copied to OUT/adapters/, and
OUT/summary.json + OUT/summary.md list every run's test row beside its dev score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sweep_configs import CONFIGS, SMOKE
from sweep_summary import best_per_task, collect_rows, markdown

ROOT = Path(__file__).resolve().parents[1]
TRAIN = ROOT / "scripts" / "train_shipped_adapters.py"


def launch(name: str, extra: list[str], work: Path, args: argparse.Namespace
           ) -> tuple[subprocess.Popen, Any]:
    """Start config `name` as its own process group, its output in work/name.log."""
    out = work / name
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(TRAIN), "--out", str(out), "--tag", name, "--no-base",
               "--train-budget-s", str(args.train_budget_s), *extra]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    if args.device == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
    log = (work / f"{name}.log").open("w")
    log.write(" ".join(command) + "\n")
    log.flush()
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def run_all(configs: dict[str, list[str]], work: Path, args: argparse.Namespace
            ) -> dict[str, dict[str, Any]]:
    """Run `configs`, at most --parallel at once; kill what still runs at --wall-s."""
    began = time.monotonic()
    waiting = list(configs)
    running: dict[str, tuple[subprocess.Popen, Any, float]] = {}
    status: dict[str, dict[str, Any]] = {}
    while waiting or running:
        while waiting and len(running) < args.parallel and time.monotonic() - began < args.wall_s:
            name = waiting.pop(0)
            proc, log = launch(name, configs[name], work, args)
            running[name] = (proc, log, time.monotonic())
            print(f"[{time.monotonic() - began:6.1f}s] started {name} (pid {proc.pid})", flush=True)
        for name, (proc, log, start) in list(running.items()):
            if proc.poll() is not None:
                status[name] = {"rc": proc.returncode, "seconds": round(time.monotonic() - start, 1)}
            elif time.monotonic() - began > args.wall_s:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the run and its children
                proc.wait()
                status[name] = {"rc": "killed at wall budget",
                                "seconds": round(time.monotonic() - start, 1)}
            else:
                continue
            log.close()
            del running[name]
            print(f"[{time.monotonic() - began:6.1f}s] {name}: {status[name]}", flush=True)
        if waiting and time.monotonic() - began >= args.wall_s:
            for name in waiting:
                status[name] = {"rc": "not started (wall budget)", "seconds": 0}
            waiting = []
        time.sleep(1)
    return status


def keep_best(best: dict[str, dict[str, Any]], work: Path, out: Path, limit_mb: float
              ) -> list[str]:
    """Copy each task's chosen adapter (weights, config, metadata) to out/adapters/ once."""
    kept: list[str] = []
    total = 0
    for task, choice in sorted(best.items()):
        source = work / choice["config"] / "adapters" / choice["adapter"]
        target_name = f"{choice['config']}--{choice['adapter']}"
        target = out / "adapters" / target_name
        if target_name in kept or not (source / "adapter_model.safetensors").is_file():
            continue
        files = [f for f in source.iterdir() if f.is_file()]
        size = sum(f.stat().st_size for f in files)
        if (total + size) / 2**20 > limit_mb:
            print(f"{task}: {target_name} left out ({size / 2**20:.1f} MB over the limit)")
            continue
        target.mkdir(parents=True, exist_ok=True)
        for file in files:
            shutil.copy2(file, target / file.name)
        total += size
        kept.append(target_name)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="summary, logs, best adapters")
    parser.add_argument("--work", type=Path, default=Path("/tmp/sweep"),
                        help="every run's folder (all adapters; not brought back)")
    parser.add_argument("--only", default=None, help="comma-separated config names")
    parser.add_argument("--smoke", action="store_true", help="the two tiny CPU configs")
    parser.add_argument("--parallel", type=int, default=12)
    parser.add_argument("--wall-s", type=float, default=480.0)
    parser.add_argument("--train-budget-s", type=float, default=300.0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads per run")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--adapters-mb", type=float, default=60.0)
    args = parser.parse_args()
    configs = SMOKE if args.smoke else CONFIGS
    if args.only:
        wanted = args.only.split(",")
        if unknown := [n for n in wanted if n not in configs]:
            parser.error(f"unknown configs {unknown}; choose among {sorted(configs)}")
        configs = {n: configs[n] for n in wanted}
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    args.out.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    status = run_all(configs, args.work, args)
    (args.out / "runs").mkdir(exist_ok=True)
    for name in configs:
        for file in [args.work / f"{name}.log", args.work / name / f"results-{name}.json"]:
            if file.is_file():
                shutil.copy2(file, args.out / "runs" / file.name)
    rows = collect_rows(args.work, list(configs))
    best = best_per_task(rows)
    kept = keep_best(best, args.work, args.out, args.adapters_mb)
    summary = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
               "wall_s": round(time.monotonic() - began, 1), "configs": configs,
               "status": status, "rows": rows, "best_per_task_by_dev": best,
               "adapters_kept": kept}
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    (args.out / "summary.md").write_text(markdown(rows, best, status))
    print((args.out / "summary.md").read_text(), flush=True)


if __name__ == "__main__":
    main()
