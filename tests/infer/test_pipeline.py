"""Pipeline parallelism: the model split over 2 CPU processes (gloo, torchrun) answers exactly
as one process does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from finlora import tasks

pytestmark = [pytest.mark.slow, pytest.mark.multiprocess]


def test_two_stage_cpu_pipeline_matches_one_process(predictor, tmp_path):
    out = tmp_path / "scores.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    run = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2",
         "--master-port", port, "-m", "finlora.infer.pipeline", "--task", "nwgi", "--limit", "5",
         "--batch-size", "4", "--microbatches", "2", "-o", str(out)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    piped = json.loads(out.read_text())

    nwgi = tasks.get("nwgi")  # 7 multi-token labels: real tries, not just one token each
    examples = nwgi.load("test", limit=5)
    alone = predictor.score_labels([ex.prompt for ex in examples],
                                   [list(nwgi.candidates(ex)) for ex in examples])
    assert len(piped) == len(alone) == 5
    for got, want in zip(piped, alone, strict=True):
        assert got["best"] == want.best
        assert got["scores"] == pytest.approx(list(want.scores), abs=1e-3)
