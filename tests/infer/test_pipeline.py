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
         "--master-port", port, "-m", "finlora", "pipeline", "--task", "nwgi", "--limit", "5",
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


@pytest.mark.parametrize("stage", [0, 1, 2])
def test_a_stage_loads_only_its_own_weights(embedded_model_path, stage):
    import torch

    from finlora.infer.pipeline import build_stage_module, load_stage_model
    from finlora.models import load_base_model

    full = build_stage_module(load_base_model(embedded_model_path, device="cpu"), stage, 3)
    model = load_stage_model(embedded_model_path, stage, 3, torch.float32)
    part = build_stage_module(model, stage, 3)
    want = dict(full.named_parameters())
    got = dict(part.named_parameters())
    assert got.keys() == want.keys()
    assert all(torch.equal(got[name], want[name]) for name in want)
    assert not any(t.is_meta for t in [*part.parameters(), *part.buffers()])
    kept = {id(p): p for p in part.parameters()}
    if stage == 2:  # the last stage also applies the LM head: the tied embedding, loaded once
        assert model.lm_head.weight is model.model.embed_tokens.weight
        kept[id(model.lm_head.weight)] = model.lm_head.weight
    loaded = sum(p.numel() for p in model.parameters() if not p.is_meta)
    assert loaded == sum(p.numel() for p in kept.values())  # nothing beyond the stage


def test_a_stage_needs_a_safetensors_checkpoint(embedded_model_path, tmp_path):
    import shutil

    import torch

    from finlora.errors import ModelError
    from finlora.infer.pipeline import load_stage_model

    shutil.copy(os.path.join(embedded_model_path, "config.json"), tmp_path / "config.json")
    with pytest.raises(ModelError, match="no safetensors checkpoint"):
        load_stage_model(str(tmp_path), 0, 2, torch.float32)
