"""Training data: answer-only labels, length and emptiness checks, packing, the data plan."""

from __future__ import annotations

import pytest

from finlora import tasks
from finlora.errors import DataError
from finlora.models import load_tokenizer
from finlora.tasks import Example
from finlora.train.data import IGNORE_INDEX, collate, make_plan, tokenize_examples


@pytest.fixture(scope="module")
def tokenizer(embedded_model_path):
    return load_tokenizer(embedded_model_path)


@pytest.fixture(scope="module")
def fpb():
    return tasks.get("fpb")


def test_labels_cover_only_the_answer_and_eos(tokenizer, fpb) -> None:
    example = fpb.load("train", limit=1)[0]
    [item] = tokenize_examples([(fpb, [example])], tokenizer, chat=False, max_seq_len=256)
    answer = [t for t in item.labels if t != IGNORE_INDEX]
    # the prompt's trailing space joins the answer, tokenized as in running text (" neutral")
    assert example.prompt.endswith("Answer: ")
    assert answer == tokenizer(" " + example.target, add_special_tokens=False)["input_ids"] + [
        tokenizer.eos_token_id]
    whole = tokenizer(example.prompt + example.target, add_special_tokens=False)["input_ids"]
    assert item.input_ids == whole + [tokenizer.eos_token_id]
    # shifted labels: the token at position i + 1 is the label of position i
    for i, label in enumerate(item.labels):
        if label != IGNORE_INDEX:
            assert item.input_ids[i + 1] == label
    prompt_len = len(tokenizer(example.prompt.rstrip(), add_special_tokens=False)["input_ids"])
    assert item.labels[prompt_len - 1] != IGNORE_INDEX
    assert item.labels[prompt_len - 2] == IGNORE_INDEX


def test_chat_template_renders_through_the_task(tokenizer, fpb) -> None:
    example = fpb.load("train", limit=1)[0]
    [item] = tokenize_examples([(fpb, [example])], tokenizer, chat=True, max_seq_len=512)
    assert tokenizer.decode(item.input_ids).startswith(
        fpb.render(example, tokenizer, chat=True)[:20])


def test_too_long_and_empty_are_clear_errors(tokenizer, fpb) -> None:
    examples = fpb.load("train", limit=2)
    with pytest.raises(DataError, match=r"longer than max_seq_len=16.*--max-seq-len"):
        tokenize_examples([(fpb, examples)], tokenizer, chat=False, max_seq_len=16)
    with pytest.raises(DataError, match="fpb.*no training examples"):
        tokenize_examples([(fpb, [])], tokenizer, chat=False, max_seq_len=256)
    with pytest.raises(DataError, match="empty target"):
        tokenize_examples([(fpb, [Example("Q: ", " ")])], tokenizer, chat=False, max_seq_len=64)


def test_packing_restarts_positions_and_keeps_every_token(tokenizer, fpb) -> None:
    items = tokenize_examples([(fpb, fpb.load("train", limit=6))], tokenizer, chat=False,
                              max_seq_len=256)
    packed = collate(items, max_seq_len=256, packing=True, pad_id=tokenizer.pad_token_id)
    plain = collate(items, max_seq_len=256, packing=False, pad_id=tokenizer.pad_token_id)
    assert packed["input_ids"].shape[0] < plain["input_ids"].shape[0] == 6
    assert packed["input_ids"].shape[1] <= 256
    # every example starts a new position-id run; label counts are identical
    assert int((packed["position_ids"] == 0).sum()) >= 6
    answers = [int((batch["labels"] != IGNORE_INDEX).sum()) for batch in (packed, plain)]
    assert answers[0] == answers[1]
    assert int(packed["n_tokens"]) == sum(len(it.input_ids) for it in items)


def test_plan_is_deterministic_and_shards_the_same_global_batch() -> None:
    single = make_plan(10, batch_size=4, grad_accum=1, world_size=1, seed=3, epochs=2,
                       max_steps=None)
    double = make_plan(10, batch_size=2, grad_accum=1, world_size=2, seed=3, epochs=2,
                       max_steps=None)
    assert single.total_steps == double.total_steps == 5
    for step in range(single.total_steps):
        one = sorted(single.step(step)[0][0])
        two = sorted(double.step(step)[0][0] + double.step(step)[0][1])
        assert one == two
    # each epoch is a permutation: two epochs use every example exactly twice
    seen = [i for s in range(5) for i in single.step(s)[0][0]]
    assert sorted(seen) == sorted(list(range(10)) * 2)
    assert seen != sorted(seen)
    again = make_plan(10, batch_size=4, grad_accum=1, world_size=1, seed=3, epochs=2,
                      max_steps=None)
    assert [again.step(s) for s in range(5)] == [single.step(s) for s in range(5)]


def test_prompts_start_as_inference_feeds_them_with_a_bos_tokenizer(embedded_model_path,
                                                                      fpb) -> None:
    """With a tokenizer that adds a BOS (as Llama's does), training prompts start with it,
    exactly as inference tokenizes them, and a chat-rendered prompt gets no second BOS."""
    from tokenizers.processors import TemplateProcessing

    from finlora.tasks.base import prompt_token_ids, split_trailing_space

    bos_tokenizer = load_tokenizer(embedded_model_path)
    bos, bos_id = bos_tokenizer.bos_token, bos_tokenizer.bos_token_id
    bos_tokenizer._tokenizer.post_processor = TemplateProcessing(
        single=f"{bos} $A", special_tokens=[(bos, bos_id)])
    example = fpb.load("train", limit=1)[0]
    [item] = tokenize_examples([(fpb, [example])], bos_tokenizer, chat=False, max_seq_len=256)
    fed = prompt_token_ids(bos_tokenizer, split_trailing_space(example.prompt)[0])
    assert fed[0] == bos_id and fed[1] != bos_id
    assert item.input_ids[:len(fed)] == fed
    assert prompt_token_ids(bos_tokenizer, bos + "Hello") == [bos_id] + bos_tokenizer(
        "Hello", add_special_tokens=False)["input_ids"]
    # what label scoring feeds the model for the same prompt
    from finlora.infer.scoring import score_labels
    from finlora.models import load_base_model

    model = load_base_model(embedded_model_path, quantization="none")
    seen = []
    hook = model.get_input_embeddings().register_forward_hook(
        lambda _module, args, _out: seen.append(args[0][0].tolist()))
    score_labels(model, bos_tokenizer, [example.prompt], ["negative", "neutral", "positive"])
    hook.remove()
    assert seen[-1][:len(fed)] == fed


def test_micro_batches_merge_only_within_the_token_budget() -> None:
    from finlora.train.data import Tokenized, merge_micro_batches

    def part(*lengths: int) -> list[Tokenized]:
        return [Tokenized([1] * n, [IGNORE_INDEX] * n, "") for n in lengths]

    merged = merge_micro_batches([part(60, 70), part(65), part(500), part(10), part(20)],
                                 token_budget=512)
    assert [[len(it.input_ids) for it in group] for group in merged] == [[60, 70, 65],
                                                                          [500, 10], [20]]
    assert merge_micro_batches([part(600), part(5)], token_budget=512) == [part(600), part(5)]


def test_first_fit_fills_the_first_bin_with_room_in_order() -> None:
    from finlora.train.data import Tokenized, first_fit, pack_rows

    # by hand: 5 -> bin 0 (3 left), 4 -> bin 1 (4 left), 3 -> bin 0 (full), 2 -> bin 1, 6 -> new
    assert first_fit([5, 4, 3, 2, 6], lambda n: n, 8) == [[5, 3], [4, 2], [6]]
    assert first_fit([9, 1], lambda n: n, 8) == [[9], [1]]  # too large: a bin of its own
    # pack_rows sorts by decreasing length first: 6, 5, 4, 3 (-> 5's row), 2 (-> 6's row)
    items = [Tokenized([1] * n, [IGNORE_INDEX] * n, "") for n in (3, 6, 2, 5, 4)]
    rows = pack_rows(items, max_seq_len=8, packing=True)
    assert [[len(it.input_ids) for it in row] for row in rows] == [[6, 2], [5, 3], [4]]
    assert pack_rows(items, max_seq_len=8, packing=False) == [[it] for it in items]


def test_shipped_adapters_are_packed_first_fit_into_tars(tmp_path, monkeypatch) -> None:
    import sys
    import tarfile
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "scripts"))
    sys.modules.pop("shipped_helpers", None)
    import shipped_helpers

    for name, kib in (("a", 100), ("b", 30), ("c", 10)):
        (tmp_path / name / "checkpoints").mkdir(parents=True)
        (tmp_path / name / "adapter_model.safetensors").write_bytes(b"x" * kib * 1024)
        (tmp_path / name / "checkpoints" / "step-1.pt").write_bytes(b"left out")
    out = tmp_path / "out"
    out.mkdir()
    # each folder needs its size + 64 KiB: a 164 KiB, b 94 KiB, c 74 KiB; in 200 KiB tars,
    # b does not fit beside a, c fits beside b
    tars = shipped_helpers.pack([tmp_path / n for n in "abc"], out, "adapters",
                                limit=200 * 1024)
    names = []
    for path in tars:
        with tarfile.open(path) as tar:
            names.append(sorted(tar.getnames()))
    assert [t.name for t in tars] == ["adapters-0.tar", "adapters-1.tar"]
    assert names == [["a/adapter_model.safetensors"],
                     ["b/adapter_model.safetensors", "c/adapter_model.safetensors"]]
