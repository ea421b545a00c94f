"""The training bench's peer paths on the CPU: the packed HF path (one row, position ids
restarting per example) must train exactly like stock HF on padded rows, and a row-wise
kernel patch (as Liger's) must be undone after its row. Liger and Unsloth need a GPU."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_train  # noqa: E402
import train_peers  # noqa: E402
from llama8b import llama_config, random_llama  # noqa: E402
from train_paths import StaticRunner, train_step  # noqa: E402

from finlora.train.trainable import AnswerLoss  # noqa: E402


@pytest.fixture(scope="module")
def tiny_lora():
    """A tiny random Llama (2 layers, sdpa) in fp32 with LoRA r8 on every linear layer."""
    from peft import LoraConfig, get_peft_model

    config = llama_config(tiny=True)
    model = random_llama(config, "cpu", torch.float32)
    model.config.use_cache = False
    torch.manual_seed(0)
    model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05,
                                             target_modules="all-linear"))
    model.train()
    return model, config


def test_packed_row_trains_like_padded_rows(tiny_lora):
    model, config = tiny_lora
    # FPB's real prompt / answer lengths, a different batch each step
    batches = [batch[:4] for batch in bench_train.parity_examples(config, steps=3)]
    assert batches[0] != batches[1]
    init = train_peers.lora_state(model)
    cpu = torch.device("cpu")
    loss_fn = AnswerLoss(model)
    step = partial(train_step, model=model, loss_fn=loss_fn, device=cpu)
    stock = train_peers.parity_losses("stock", model, init, step, batches, steps=3, lr=1e-3)
    packed = train_peers.parity_losses("hf-packed", model, init, step, batches, steps=3, lr=1e-3)
    assert packed == pytest.approx(stock, abs=1e-4)
    static = partial(step, static=StaticRunner(loss_fn, batches, cpu))  # eager on CPU
    fixed = train_peers.parity_losses("finlora-static", model, init, static, batches, steps=3,
                                      lr=1e-3)
    assert fixed == pytest.approx(stock, abs=1e-4)
    same_batch = train_peers.parity_losses("stock", model, init, step, batches[:1], steps=3,
                                           lr=1e-3)
    assert same_batch[0] - same_batch[2] > 0.01  # the steps move the loss: gradients count
    assert abs(same_batch[1] - stock[1]) > 1e-3  # and so do the per-step batches


def test_packing_without_position_restarts_would_be_caught(tiny_lora):
    """The same row read as one long sequence attends across examples: another loss."""
    model, config = tiny_lora
    row = train_peers.packed_row(bench_train.parity_examples(config)[0][:4], "cpu")
    with torch.no_grad():
        restarting = float(model(**row).loss)
        one_sequence = float(model(input_ids=row["input_ids"], labels=row["labels"]).loss)
    assert abs(restarting - one_sequence) > 1e-3


def test_packed_row_layout():
    row = train_peers.packed_row([([5, 6, 7], 1), ([8, 9], 2)], "cpu")
    assert row["input_ids"].tolist() == [[5, 6, 7, 8, 9]]
    assert row["position_ids"].tolist() == [[0, 1, 2, 0, 1]]
    assert row["labels"].tolist() == [[-100, -100, 7, 8, 9]]


def test_row_patches_are_undone(tiny_lora):
    """What Liger does to a loaded model (bind forwards on instances, replace a module-level
    function) is gone after the row; the model computes as before."""
    from transformers.models.llama import modeling_llama

    model, config = tiny_lora
    base = model.get_base_model()
    row = train_peers.packed_row(bench_train.parity_examples(config)[0][:2], "cpu")
    with torch.no_grad():
        before = float(model(**row).loss)
        rope = modeling_llama.apply_rotary_pos_emb
        with train_peers.restored_afterwards(list(base.modules()), [modeling_llama]):
            norm = base.model.norm
            norm.forward = lambda hidden: hidden * 0
            norm.in_place = True
            modeling_llama.apply_rotary_pos_emb = lambda q, k, *a, **kw: (q, k)
            modeling_llama.liger_marker = True
            assert float(model(**row).loss) != pytest.approx(before)
        assert "forward" not in vars(norm) and not hasattr(norm, "in_place")
        assert modeling_llama.apply_rotary_pos_emb is rope
        assert not hasattr(modeling_llama, "liger_marker")
        assert float(model(**row).loss) == pytest.approx(before)


def test_headline_is_against_the_fastest_peer():
    rows = [{"path": "finlora", "case": "long", "dropout": 0.0, "tokens_per_s": 300.0,
             "peak_gib": 20.0},
            {"path": "stock", "case": "long", "dropout": 0.0, "tokens_per_s": 100.0,
             "peak_gib": 50.0},
            {"path": "hf-packed-liger", "case": "long", "dropout": 0.0, "tokens_per_s": 150.0,
             "peak_gib": 40.0, "parity": "disagrees"},
            {"path": "unsloth", "case": "long", "dropout": 0.0, "error": "skipped"}]
    (line,) = train_peers.headline(rows)
    assert line["fastest_peer"] == "hf-packed-liger"
    assert line["speedup"] == 2.0 and line["memory_ratio"] == 0.5
    assert line["peer_parity"] == "disagrees"


def test_parity_report_flags_the_path_that_disagrees():
    losses = {"stock": [10.0, 9.0], "hf-packed": [10.0, 9.01], "odd": [10.0, 9.5],
              "broken": "ImportError: no module"}
    report = train_peers.parity_report(losses, tol=0.05, settings={})
    assert report["agrees"] == {"hf-packed": True, "odd": False}
    rows = [{"path": p, "case": "long"} for p in losses]
    train_peers.flag_rows(rows, report)
    assert [r["parity"] for r in rows] == ["reference", "agrees", "disagrees", "error"]


def test_set_dropout_switches_peft_dropout_modules(tiny_lora):
    model, _ = tiny_lora
    layer = next(m for m in model.modules() if hasattr(m, "lora_dropout"))
    train_peers.set_dropout(model, 0.05)
    kept = layer.lora_dropout["default"]
    train_peers.set_dropout(model, 0.1)
    assert layer.lora_dropout["default"] is kept and kept.p == 0.1  # no new object to recompile
    train_peers.set_dropout(model, 0.0)
    assert isinstance(layer.lora_dropout["default"], torch.nn.Identity)  # as PEFT builds p = 0
