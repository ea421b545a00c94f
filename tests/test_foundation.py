"""The foundation: CLI, model resolution and the real embedded model, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from finlora.errors import ModelError
from finlora.models import embedded_model_dir, prepare_embedded_model, resolve_model


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finlora", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=600)


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ["models", "facts", "train", "extract", "batch", "eval", "tag", "dataset"]:
        assert name in result.stdout


def test_every_command_has_help_with_examples() -> None:
    from finlora.cli import COMMANDS

    for name in COMMANDS:
        result = run_cli(name, "--help")
        assert result.returncode == 0, (name, result.stderr)
        assert "Example" in result.stdout, name


def test_models_lists_embedded_model() -> None:
    result = run_cli("models")
    assert result.returncode == 0
    assert "SmolLM2-135M-Instruct" in result.stdout


def test_embedded_model_is_converted_once(embedded_model_path: str) -> None:
    folder = embedded_model_dir()
    assert Path(embedded_model_path) == folder
    assert (folder / "model.safetensors").is_file()
    before = (folder / "model.safetensors").stat().st_mtime_ns
    assert prepare_embedded_model() == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == before


def test_missing_local_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model(tmp_path)
    with pytest.raises(ModelError, match="not .*in the local Hugging Face cache|neither"):
        resolve_model("nobody/no-such-model-xyz")


def test_missing_model_in_cli_exits_4(tmp_path: Path) -> None:
    """A model that is not there is a model error (4, see finlora/errors.py), not usage (2)."""
    listing = run_cli("models", env={"FINLORA_CACHE": str(tmp_path / "cache")})
    assert listing.returncode == 0  # listing works even with nothing converted
    for model, says in [("nobody/no-such-model-xyz", "nobody/no-such-model-xyz"),
                        (str(tmp_path), "no config.json")]:
        result = run_cli("train", "--task", "fpb", "--model", model, "-o", str(tmp_path / "r"))
        assert result.returncode == 4, result.stderr
        assert result.stderr.startswith("error: ") and says in result.stderr
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_embedded_model_generates_financial_text_offline(embedded_model_path: str) -> None:
    from finlora.models import load_base_model, load_tokenizer

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    tokenizer = load_tokenizer(embedded_model_path)
    model = load_base_model(embedded_model_path, device="cpu")
    messages = [{"role": "user", "content": "In one sentence, what does a company's balance "
                 "sheet report?"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                           return_tensors="pt", return_dict=True)
    output = model.generate(**inputs, max_new_tokens=24, do_sample=False)
    text = tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert len(text.split()) >= 4
    assert any(word in text.lower() for word in ["asset", "liabilit", "equity", "financial"])
