"""The one place that reads torchrun's environment and joins its process group.

torchrun (or any launcher that sets RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR) starts one
process per device; without those variables the run is a single process. nccl on GPUs, gloo
on CPU. Rank 0 writes every file. Training (DDP), batch extraction (sharding) and pipeline
inference (one stage per rank) all start here.

`launch()` only reads the environment (no torch import); `setup()` picks the device and
joins the group.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class Launch:
    """This process's place in the launch: rank, number of processes, rank on this host."""

    rank: int
    world_size: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """More than one process."""
        return self.world_size > 1


def launch() -> Launch:
    """The launch torchrun describes in the environment; one process when it says nothing."""
    return Launch(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")),
                  int(os.environ.get("LOCAL_RANK", "0")))


def local_device(where: Launch, device: str | None = None) -> torch.device:
    """`device` if given, else this process's GPU (cuda:LOCAL_RANK), else the CPU."""
    import torch

    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda", where.local_rank)
    return torch.device("cpu")


@dataclass(frozen=True)
class Dist(Launch):
    """A joined launch: the process group is up (when there is more than one process)."""

    device: torch.device
    joined: bool = False  # this `setup` started the process group (`teardown` ends it)

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def sum(self, value: float) -> float:
        """The sum of a float over all processes."""
        if not self.enabled:
            return value
        import torch
        import torch.distributed as dist

        on_gpu = self.device.type == "cuda"
        tensor = torch.tensor([value], dtype=torch.float64, device=self.device if on_gpu else "cpu")
        dist.all_reduce(tensor)
        return float(tensor.item())


def setup(device: str | None = None, *, join_alone: bool = False) -> Dist:
    """Join the process group torchrun describes (if any) and pick this process's device.

    A single process joins no group unless `join_alone` (code that always talks to a group,
    such as pipeline stages, run under `torchrun --nproc-per-node 1`)."""
    import torch
    import torch.distributed as dist

    where = launch()
    chosen = local_device(where, device)
    if chosen.type == "cuda":
        torch.cuda.set_device(chosen)
    joined = (where.enabled or join_alone) and not dist.is_initialized()
    if joined:
        dist.init_process_group("nccl" if chosen.type == "cuda" else "gloo")
    return Dist(where.rank, where.world_size, where.local_rank, chosen, joined)


def teardown(info: Dist) -> None:
    """Leave the process group, if `setup` started it."""
    import torch.distributed as dist

    if info.joined and dist.is_initialized():
        dist.destroy_process_group()
