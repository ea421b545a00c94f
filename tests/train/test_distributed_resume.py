"""Real processes: 2-process DDP (torchrun, gloo) equals one process with the same global
batch, and a run killed with SIGKILL then resumed ends with the same adapter as an
uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from safetensors.torch import load_file

from finlora.errors import ConfigError
from finlora.train import TrainConfig, finetune

pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]

BASE = dict(quantization="none", dtype="fp32", grad_accum=1, limit=8, max_seq_len=128,
            learning_rate=1e-3, warmup_ratio=0.0, seed=5)


def cli_args(config: dict, output: Path) -> list[str]:
    flags = {"quantization": "-q", "dtype": "--dtype", "grad_accum": "--grad-accum",
             "limit": "--limit", "max_seq_len": "--max-seq-len", "learning_rate": "--lr",
             "seed": "--seed", "batch_size": "--batch-size", "max_steps": "--steps",
             "dropout": "--dropout", "save_every": "--save-every",
             "warmup_ratio": "--warmup-ratio", "gradient_checkpointing": "--gradient-checkpointing"}
    args = ["--task", "fpb", "-o", str(output)]
    for key, value in config.items():
        args += [flags[key]] if value is True else [flags[key], str(value)]
    return args


def env() -> dict[str, str]:
    return dict(os.environ, OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1")


def adapter(folder: Path) -> dict:
    return load_file(str(folder / "adapter_model.safetensors"))


def assert_same_adapter(a: Path, b: Path, rel: float) -> None:
    """The adapters differ by at most `rel` in relative norm (over all their weights).

    Adam turns float noise on near-zero gradient entries into whole lr-sized steps, so an
    entry-wise comparison is not meaningful across different float summation orders.
    """
    first, second = adapter(a), adapter(b)
    assert first.keys() == second.keys() and first
    assert all(float(v.abs().max()) > 0 for k, v in first.items() if "lora_B" in k)
    diff = sum(float((first[k] - second[k]).pow(2).sum()) for k in first) ** 0.5
    norm = sum(float(first[k].pow(2).sum()) for k in first) ** 0.5
    assert diff <= rel * norm, (diff, norm)


def test_ddp_two_processes_equal_one_process(tmp_path) -> None:
    steps = 3
    single = finetune("fpb", config=TrainConfig(batch_size=4, max_steps=steps, dropout=0.0,
                                                 **BASE),
                      output_dir=tmp_path / "single", progress=False)
    ddp_dir = tmp_path / "ddp"
    # gradient checkpointing (non-reentrant) under DDP too: it must not change the result
    config = dict(BASE, batch_size=2, max_steps=steps, dropout=0.0, gradient_checkpointing=True)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node",
           "2", "-m", "finlora", "train", *cli_args(config, ddp_dir)]
    done = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    import json

    meta = json.loads((ddp_dir / "finlora_metadata.json").read_text())
    assert meta["world_size"] == 2
    assert meta["metrics"]["final_loss"] == pytest.approx(single.metrics["final_loss"], rel=1e-4)
    assert_same_adapter(single.adapter_dir, ddp_dir, rel=1e-3)  # 2 vs 1 threads: float sums differ


def test_kill_then_resume_equals_uninterrupted(tmp_path) -> None:
    config = dict(BASE, batch_size=4, max_steps=6, dropout=0.05, save_every=2)
    killed = tmp_path / "killed"
    args = [sys.executable, "-m", "finlora", "train", *cli_args(config, killed)]
    process = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (killed / "checkpoints" / "step-0000002" / "state.json").is_file():
        assert process.poll() is None, process.stderr.read()[-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    assert not (killed / "adapter_model.safetensors").exists()  # it really died mid-run

    with pytest.raises(ConfigError, match="--resume"):
        finetune("fpb", config=TrainConfig(**config), output_dir=killed, progress=False)
    resumed = subprocess.run(args + ["--resume"], env=env(), capture_output=True, text=True,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    straight = tmp_path / "straight"
    done = subprocess.run([sys.executable, "-m", "finlora", "train", *cli_args(config, straight)],
                          env=env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_same_adapter(straight, killed, rel=1e-7)
    lines = (killed / "metrics.jsonl").read_text().splitlines()
    assert [int(line.split('"step": ')[1].split(",")[0]) for line in lines] == [1, 2, 3, 4, 5, 6]
