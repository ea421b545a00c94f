"""Atomic training checkpoints: adapter weights, optimizer, scheduler, RNG and data position.

A checkpoint is written into a hidden temporary folder and renamed into place only when every
file is on disk, so a crash (even kill -9) leaves either the previous checkpoint or the new
one, never half of one. Resuming restores all of it, so the run continues with the same data
order and random numbers and ends with the same adapter as an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from finlora.errors import ConfigError
from finlora.torchrun import Dist

KEEP = 2  # checkpoints kept on disk


def checkpoint_root(output_dir: Path) -> Path:
    return output_dir / "checkpoints"


def latest_checkpoint(output_dir: Path) -> Path | None:
    """The newest complete checkpoint folder, or None."""
    root = checkpoint_root(output_dir)
    if not root.is_dir():
        return None
    done = sorted(p for p in root.glob("step-*") if (p / "state.json").is_file())
    return done[-1] if done else None


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def save_checkpoint(output_dir: Path, step: int, *, model: torch.nn.Module,
                    optimizer: torch.optim.Optimizer, scheduler: Any, fingerprint: str,
                    dist: Dist) -> Path:
    """Write checkpoint `step` (the number of optimizer steps done) atomically."""
    root = checkpoint_root(output_dir)
    final = root / f"step-{step:07d}"
    tmp = root / f".tmp-step-{step:07d}"
    if dist.is_main:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
    dist.barrier()
    torch.save(_rng_state(), tmp / f"rng-rank{dist.rank}.pt")  # each rank its own RNG
    if dist.is_main:
        weights = {n: p.detach().contiguous().cpu()
                   for n, p in model.named_parameters() if p.requires_grad}
        save_file(weights, str(tmp / "trainable.safetensors"))
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
                   tmp / "optimizer.pt")
    dist.barrier()
    if dist.is_main:
        state = {"step": step, "fingerprint": fingerprint, "world_size": dist.world_size}
        (tmp / "state.json").write_text(json.dumps(state))
        for path in tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        for old in sorted(p for p in root.glob("step-*"))[:-KEEP]:
            shutil.rmtree(old, ignore_errors=True)
    dist.barrier()
    return final


def load_checkpoint(folder: Path, *, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    scheduler: Any, fingerprint: str, dist: Dist) -> int:
    """Restore everything from `folder`; return the number of optimizer steps already done."""
    state = json.loads((folder / "state.json").read_text())
    if state["fingerprint"] != fingerprint:
        raise ConfigError(
            f"{folder}: this checkpoint was written with a different config, data or model; "
            "resume with the same settings, or train into a new output directory")
    if state["world_size"] != dist.world_size:
        raise ConfigError(f"{folder}: written by {state['world_size']} processes; resume with "
                          f"the same number (got {dist.world_size})")
    weights = load_file(str(folder / "trainable.safetensors"))
    params = dict(model.named_parameters())
    missing = [n for n, p in params.items() if p.requires_grad and n not in weights]
    if missing:
        raise ConfigError(f"{folder}: checkpoint lacks adapter weights {missing[:3]}...")
    with torch.no_grad():
        for name, value in weights.items():
            params[name].copy_(value)
    blob = torch.load(folder / "optimizer.pt", map_location=dist.device, weights_only=False)
    optimizer.load_state_dict(blob["optimizer"])
    scheduler.load_state_dict(blob["scheduler"])
    rng = torch.load(folder / f"rng-rank{dist.rank}.pt", weights_only=False)
    torch.set_rng_state(rng["cpu"])
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state(rng["cuda"])
    return int(state["step"])
