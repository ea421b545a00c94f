"""Several LoRA adapters on one base model: switching changes answers, never reloads the base."""

from __future__ import annotations

from pathlib import Path

import pytest

from finlora.errors import ModelError
from finlora.infer import Predictor

pytestmark = pytest.mark.slow

PROMPTS = ["Instruction: What is the sentiment of this news? Please choose an answer from "
           "{negative/neutral/positive}.\nInput: Operating profit rose to EUR 13.1 mn.\nAnswer: "]
LABELS = ["negative", "neutral", "positive"]


def _random_adapter(base_path: str, folder: Path, seed: int) -> Path:
    """A real PEFT LoRA adapter with non-zero random weights, saved the standard way."""
    import torch
    from peft import LoraConfig, get_peft_model

    from finlora.models import load_base_model

    torch.manual_seed(seed)
    config = LoraConfig(r=4, lora_alpha=16, target_modules=["q_proj", "v_proj"],
                        init_lora_weights=False)
    get_peft_model(load_base_model(base_path), config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def adapters(embedded_model_path: str, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return {name: _random_adapter(embedded_model_path, root / name, seed)
            for name, seed in (("a", 1), ("b", 2))}


def test_switching_adapters_on_one_base(embedded_model_path, adapters, predictor):
    multi = Predictor(embedded_model_path, adapters=adapters)
    base_model = multi.model.get_base_model()
    with_a = multi.score_labels(PROMPTS, LABELS, adapter="a")[0].scores
    with_b = multi.score_labels(PROMPTS, LABELS, adapter="b")[0].scores
    without = multi.score_labels(PROMPTS, LABELS, adapter="base")[0].scores
    assert multi.model.get_base_model() is base_model  # no reload
    assert multi.active_adapter == "a"  # the first adapter stays the default
    alone_b = Predictor(embedded_model_path, adapters=adapters["b"])
    assert with_b == pytest.approx(alone_b.score_labels(PROMPTS, LABELS)[0].scores, abs=1e-4)
    assert without == pytest.approx(predictor.score_labels(PROMPTS, LABELS)[0].scores, abs=1e-4)
    assert with_a != pytest.approx(with_b, abs=1e-3)
    assert with_a != pytest.approx(without, abs=1e-3)


def test_missing_adapter_is_a_model_error(embedded_model_path, tmp_path, predictor):
    with pytest.raises(ModelError, match="adapter_config.json"):
        Predictor(embedded_model_path, adapters=tmp_path)
    with pytest.raises(ModelError, match="not loaded"):
        predictor.score_labels(PROMPTS, LABELS, adapter="nope")
