"""The adapters shipped in finlora/adapters load with plain PEFT and answer real examples."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from finlora import tasks
from finlora.models import shipped_adapters

ADAPTERS = Path(__file__).resolve().parents[2] / "finlora" / "adapters"


def test_shipped_adapters_are_small_standard_peft_folders() -> None:
    names = {p.name for p in shipped_adapters()}
    assert {"sentiment", "xbrl-extraction"} <= names
    for folder in shipped_adapters():
        files = {p.name for p in folder.iterdir()}
        assert {"adapter_config.json", "adapter_model.safetensors", "finlora_metadata.json",
                "README.md"} <= files
        assert not any(name.endswith((".bin", ".pt")) for name in files)
        # rank 8 bf16 on all linear layers: 4.7 MiB; xbrl-tagging is rank 16 (9.4 MiB)
        assert (folder / "adapter_model.safetensors").stat().st_size < 10 * 2**20
        meta = json.loads((folder / "finlora_metadata.json").read_text())
        peft_config = json.loads((folder / "adapter_config.json").read_text())
        assert meta["config"]["rank"] == peft_config["r"] in (8, 16)
        assert meta["base_model"].startswith("embedded:")


@pytest.mark.slow
def test_sentiment_adapter_answers_real_fpb_sentences(embedded_model_path: str) -> None:
    from peft import PeftModel

    from finlora.infer import Predictor
    from finlora.models import load_base_model, load_tokenizer

    model = PeftModel.from_pretrained(load_base_model(embedded_model_path, device="cpu"),
                                      str(ADAPTERS / "sentiment"))  # plain PEFT loading
    predictor = Predictor(model=model, tokenizer=load_tokenizer(embedded_model_path),
                          base_model=embedded_model_path)
    fpb = tasks.get("fpb")
    examples = fpb.load("test")[:120]  # FinLoRA's FPB test lines, annotators' labels as gold
    answers = [p.answer for p in predictor.predict(fpb, examples)]
    accuracy = sum(a == ex.target for a, ex in zip(answers, examples, strict=True)) / 120
    counts = Counter(ex.target for ex in examples)
    majority = max(counts.values()) / 120
    # the adapter scored 82.1% on the whole test split on the GPU (docs/results.md); on these
    # 120 lines it must stay well above always answering their most frequent label
    assert accuracy >= max(0.72, majority + 0.1), (accuracy, counts)
