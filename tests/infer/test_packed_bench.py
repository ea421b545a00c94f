"""CPU smoke test of benchmarks/bench_infer.py: every path runs on a tiny model, the results
JSON has every row, and finlora's chosen labels agree with the stock forward pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a subprocess, a model, every path: about a minute here

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_infer.py"


def test_bench_infer_tiny_runs_every_path(tmp_path: Path) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(BENCH.parents[1]), os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, str(BENCH), "--tiny", "--layers", "1", "--batches", "1,3",
                    "--gen16-batches", "1,3", "--repeats", "1", "--no-profile", "--tag", "smoke", "--out", str(tmp_path)],
                   check=True, env=env, cwd=BENCH.parent, capture_output=True, timeout=600)
    result = json.loads((tmp_path / "infer_cpu_smoke.json").read_text())
    assert [(r["precision"], r["batch"]) for r in result["rows"]] == [("bf16", 1), ("bf16", 3)]
    for row in result["rows"]:
        for path in ("stock-gen16", "stock-gen1", "stock-fwd", "stock-fwd-sort", "finlora",
                     "finlora-fused", "finlora-eager"):
            assert row[path] > 0
        assert row["roofline"] > 0 and row["phases"]["finlora"]["prefix_tokens"] == 25
        # bf16 on two paths: only near-ties may differ
        assert all(abs(margin) < 0.05
                   for _, margin in row["finlora_parity"]["disagreements (prompt, stock margin)"])
    assert "| bf16, 3 |" in result["table"]
