"""The sweep's levers and its choice on dev (scripts/train_levers.py, scripts/sweep_summary.py)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from sweep_summary import best_per_task  # noqa: E402
from train_levers import Deadline, SavingBestOnDev, Upweighted  # noqa: E402

from finlora import tasks  # noqa: E402
from finlora.train.recipe_options import EpochEnd  # noqa: E402


def test_upweighted_repeats_train_only() -> None:
    fiqa = tasks.get("fiqa")
    heavy = Upweighted(fiqa, 3)
    assert len(heavy.load("train")) == 3 * len(fiqa.load("train"))
    assert heavy.load("test") == fiqa.load("test")


class _Tiny(torch.nn.Linear):
    def save_pretrained(self, folder: str, safe_serialization: bool = True) -> None:
        (Path(folder) / "adapter_model.safetensors").write_text(str(float(self.weight.sum())))


def test_saving_best_on_dev_saves_improvements_and_stops_at_deadline(tmp_path: Path) -> None:
    model = _Tiny(2, 2)
    devs = iter([0.5, 0.4, 0.9])
    hook = SavingBestOnDev(lambda _m: next(devs), tmp_path, deadline=time.perf_counter() + 3600)
    hook(EpochEnd(1, 10, False), model)
    saved = (tmp_path / "adapter_model.safetensors").read_text()
    with torch.no_grad():
        model.weight.add_(1.0)
    hook(EpochEnd(2, 20, False), model)  # worse on dev: the epoch-1 weights stay on disk
    assert (tmp_path / "adapter_model.safetensors").read_text() == saved
    hook.deadline = time.perf_counter() - 1
    with pytest.raises(Deadline):
        hook(EpochEnd(3, 30, False), model)  # better, saved, then past the deadline
    assert (tmp_path / "adapter_model.safetensors").read_text() != saved
    assert hook.best_epoch == 3 and hook.stopped_at == 3


def test_best_per_task_chooses_on_dev_not_test() -> None:
    rows = [{"task": "fpb", "config": "a", "dev": 0.80, "accuracy": 0.90},
            {"task": "fpb", "config": "b", "dev": 0.85, "accuracy": 0.70},
            {"task": "xbrl_tags", "config": "c", "dev": None, "accuracy": 0.80}]
    best = best_per_task(rows)
    assert best["fpb"]["config"] == "b"
    assert "xbrl_tags" not in best


def test_rebuilt_metadata_matches_what_the_gpu_run_wrote(tmp_path: Path) -> None:
    # a run stopped at its deadline has no metadata; the rebuilt one must agree with finetune's
    from train_levers import record_metadata

    from finlora import tasks
    from finlora.models import shipped_adapters
    from finlora.train import TrainConfig

    shipped = {p.name: p for p in shipped_adapters()}["ner"]
    written = json.loads((shipped / "finlora_metadata.json").read_text())  # by the H200 run
    config = TrainConfig.build(**{k: v for k, v in written["config"].items()
                                  if k in TrainConfig.model_fields})
    path = record_metadata(tmp_path, [tasks.get("ner")], config, {"retrieval_k": None})
    rebuilt = json.loads(path.read_text())
    assert rebuilt["data_hash"] == written["data_hash"]
    assert rebuilt["tokenizer"] == written["tokenizer"]
    assert rebuilt["n_examples"] == written["n_examples"] and rebuilt["retrieval_k"] is None


def test_missing_filings_fail_early_or_are_skipped(tmp_path: Path, monkeypatch) -> None:
    import shipped_xbrl_sets

    (tmp_path / "present").mkdir()
    (tmp_path / "present" / "filing.htm").write_text("<html/>")
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(shipped_xbrl_sets, "FILINGS", tmp_path)
    assert shipped_xbrl_sets.missing_filings(["present", "empty", "absent"]) == ["empty", "absent"]
    assert shipped_xbrl_sets.check_filings(["present"], need=True)
    assert not shipped_xbrl_sets.check_filings(["present", "absent"], need=False)
    with pytest.raises(SystemExit, match="absent"):
        shipped_xbrl_sets.check_filings(["absent"], need=True)
