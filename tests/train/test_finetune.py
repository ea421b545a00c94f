"""Real finetuning runs on the embedded SmolLM2-135M (CPU): nf4 QLoRA and fp32 LoRA.

Each run must lower its loss, write a standard PEFT adapter folder (safetensors only) with its
model card, and the adapter, reloaded with plain PEFT, must raise the likelihood of the gold
answers on the training examples.
"""

from __future__ import annotations

import json

import pytest
import torch

from finlora import tasks
from finlora.models import load_base_model, load_tokenizer
from finlora.train import TrainConfig, finetune, merge_adapter
from finlora.train.data import IGNORE_INDEX, collate, tokenize_examples

pytestmark = pytest.mark.slow

N_EXAMPLES = 6
COMMON = dict(max_steps=5, batch_size=N_EXAMPLES, grad_accum=1, limit=N_EXAMPLES,
              max_seq_len=128, learning_rate=3e-3, warmup_ratio=0.0, seed=0)


def gold_log_likelihood(model, tokenizer) -> float:
    """Mean log-probability of each gold answer token (answer + EOS) on the training examples."""
    fpb = tasks.get("fpb")
    items = tokenize_examples([(fpb, fpb.load("train", limit=N_EXAMPLES))], tokenizer,
                              chat=False, max_seq_len=128)
    batch = collate(items, max_seq_len=128, packing=False, pad_id=tokenizer.pad_token_id)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits
    keep = batch["labels"] != IGNORE_INDEX
    logp = torch.log_softmax(logits[keep].float(), dim=-1)
    return float(logp.gather(1, batch["labels"][keep][:, None]).mean())


@pytest.fixture(scope="module")
def runs(tmp_path_factory, embedded_model_path):
    out = {}
    for quantization in ("nf4", "none"):
        folder = tmp_path_factory.mktemp(f"run-{quantization}")
        config = TrainConfig(quantization=quantization, rank=8, **COMMON)
        out[quantization] = finetune("fpb", base_model=embedded_model_path, config=config,
                                     output_dir=folder, progress=False)
    return out


@pytest.mark.parametrize("quantization", ["nf4", "none"])
def test_loss_falls_and_output_is_a_peft_adapter(runs, quantization) -> None:
    result = runs[quantization]
    assert result.metrics["final_loss"] < 0.7 * result.metrics["first_loss"]
    folder = result.adapter_dir
    names = {p.name for p in folder.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "finlora_metadata.json",
            "README.md", "metrics.jsonl"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt"))]
    assert "checkpoints" not in names
    meta = json.loads((folder / "finlora_metadata.json").read_text())
    assert meta["tasks"] == ["fpb"] and meta["n_examples"] == N_EXAMPLES
    assert meta["config"]["quantization"] == quantization and len(meta["data_hash"]) == 64
    lines = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2, 3, 4, 5]
    assert all(r["tokens_per_s"] > 0 for r in lines)


@pytest.mark.parametrize("quantization", ["nf4", "none"])
def test_plain_peft_reload_moves_answers_to_gold(runs, quantization, embedded_model_path):
    from peft import PeftModel

    tokenizer = load_tokenizer(embedded_model_path)
    base = load_base_model(embedded_model_path, quantization=quantization).eval()
    before = gold_log_likelihood(base, tokenizer)
    tuned = PeftModel.from_pretrained(base, runs[quantization].adapter_dir).eval()
    after = gold_log_likelihood(tuned, tokenizer)
    assert after > before + 1.0, (before, after)


def test_merge_into_dequantized_base(runs, tmp_path, embedded_model_path) -> None:
    from transformers import AutoModelForCausalLM

    merged_dir = merge_adapter(runs["nf4"].adapter_dir, tmp_path / "merged",
                               dtype=torch.float32)
    config = json.loads((merged_dir / "config.json").read_text())
    assert "quantization_config" not in config
    assert list(merged_dir.glob("*.safetensors"))
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
    tokenizer = load_tokenizer(str(merged_dir))
    base = load_base_model(embedded_model_path, quantization="none").eval()
    assert gold_log_likelihood(merged, tokenizer) > gold_log_likelihood(base, tokenizer) + 1.0
