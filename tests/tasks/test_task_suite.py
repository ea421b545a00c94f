"""One suite over every task: prompts round-trip, gold answers score 100%, garbage is wrong,
splits do not leak, and no torch is imported (parsing and metrics: test_parsing.py)."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest

from finlora import tasks
from finlora.errors import DataError
from finlora.tasks.base import input_text
from finlora.tasks.datafiles import bundled as bundled_path
from finlora.tasks.datafiles import read_csv
from finlora.tasks.sentiment import _key as ascii_key
from finlora.tasks.xbrl_extraction import question_prompt as xbrl_prompt
from finlora.tasks.xbrl_tagging import finer_prompt, tag_options

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
DATA_TASKS = [n for n in tasks.names() if n != "headline"]


@pytest.mark.parametrize("name", DATA_TASKS)
def test_the_model_sees_finlora_s_line_unchanged(name: str) -> None:
    """`render` of every example of a FinLoRA file is one of the file's `context` lines, the
    file read raw (gzip + json, not the task's reader) and pinned to FinLoRA's sha256 by
    tests/test_data_provenance.py. The templates themselves are checked by rebuilding the
    prompts from their parts (the tests below)."""
    task = as_finlora_wrote_it(name)
    raw = gzip.decompress(bundled_path(task_file(task)).read_bytes()).decode().split("\n")
    theirs = {json.loads(line)["context"] for line in raw if line}
    test_only = name == "fpb" or name.startswith("xbrl_")  # fpb's train / dev are the CSV's
    splits = ("test",) if test_only else ("train", "dev", "test")
    rendered = [task.render(ex) for split in splits for ex in task.load(split)]
    assert rendered and set(rendered) <= theirs


def as_finlora_wrote_it(name: str) -> tasks.Task:
    """The task with FinLoRA's prompts unchanged (no candidate-tag retrieval)."""
    return tasks.get(name, retrieval_k=None) if name in ("finer", "fnxl") else tasks.get(name)


def task_file(task: tasks.Task) -> str:
    from finlora.tasks import sentiment, xbrl_extraction, xbrl_tagging

    return {**{k: v.file for k, v in sentiment.VARIANTS.items()}, "ner": "ner_test.jsonl.gz",
            **xbrl_tagging.FILES, **{k: v[0] for k, v in xbrl_extraction.FILES.items()}}[task.name]


@pytest.mark.parametrize("name", ["fpb", "fiqa", "tfns", "nwgi"])
def test_sentiment_prompt_is_rebuilt_byte_for_byte(name: str) -> None:
    """Every FinLoRA line's `context` equals our template applied to its input text."""
    task = tasks.get(name)
    examples = [ex for split in ("train", "dev", "test") for ex in task.load(split)
                if name != "fpb" or split == "test"]
    sources = {ex.prompt.split("sentiment of this ", 1)[1].split("?", 1)[0] for ex in examples}
    assert sources <= {"news", "tweet"}
    assert all(task.prompt_for(input_text(ex.prompt), source) == ex.prompt
               for ex in examples
               for source in [ex.prompt.split("sentiment of this ", 1)[1].split("?", 1)[0]])


def test_finer_prompt_is_rebuilt_byte_for_byte() -> None:
    finer = tasks.get("finer")
    question = re.compile(r'^\d+\. What is best tag for entity "(.*?)" in sentence: "(.*)\?"$')
    miscounted = 0  # FinLoRA quirk: one prompt says "the following 4 questions" but asks 2
    for example in finer.load("test"):
        items = [question.match(line) for line in example.prompt.split("\n")[1:-1]]
        assert all(items)
        prompt = finer_prompt(tag_options(example.prompt, "finer"),
                              [m.groups() for m in items])  # type: ignore[union-attr]
        if f"following {len(items)} independent" not in example.prompt:
            miscounted += 1
            continue
        assert prompt == example.prompt
    assert miscounted <= 1


def test_xbrl_extraction_prompt_layout_is_finlora_s() -> None:
    """Facts parsed out of FinLoRA's tag-extraction prompts, laid out again by the from_filing
    prompt builder, give FinLoRA's prompt byte for byte (lines with nil facts are skipped)."""
    fact_line = re.compile(r"<(\S+) >(.*)</> ")
    rebuilt = 0
    for example in tasks.get("xbrl_tags").load("test"):
        body = example.prompt.split(" ```xml\n ", 1)[1].split("\n\n ```", 1)[0]
        matches = [fact_line.fullmatch(line) for line in body.split("\n")]
        if not all(matches):
            continue
        facts = [SimpleNamespace(concept=m[1], value=m[2]) for m in matches]  # type: ignore
        question = example.prompt.rsplit("\nQuestion: ", 1)[1].rsplit(" \n            \n", 1)[0]
        assert xbrl_prompt(facts, "tag", question) == example.prompt
        rebuilt += 1
    assert rebuilt >= 30


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared FinLoRA files are not beside the repo")
@pytest.mark.parametrize("name", ["fpb", "fiqa", "nwgi", "ner", "finer", "fnxl", "xbrl_value"])
def test_bundled_data_equals_finlora_files(name: str) -> None:
    task = as_finlora_wrote_it(name)
    splits = ("test",) if name in ("fpb", "xbrl_value") else ("train", "dev", "test")
    ours = {ex.prompt for split in splits for ex in task.load(split)}
    source = task_file(task).replace(".gz", "")
    theirs = {json.loads(line)["context"] for line in (SHARED / "finlora" / source).open()}
    assert ours == theirs


@pytest.mark.parametrize("name", DATA_TASKS)
def test_gold_answers_score_100_percent(name: str) -> None:
    task = tasks.get(name)
    examples = task.load("test", limit=40)
    parsed = [task.parse_answer(ex.target, ex) for ex in examples]
    assert task.score(parsed, examples)["accuracy"] == 1.0


def decorated(task: tasks.Task, example: tasks.Example) -> str:
    """The gold answer as a chatty model might write it."""
    target = example.target
    if task.kind == "classification":
        return f"Answer: {target.upper()}.\nThe input sounds {target}."
    if task.kind == "tagging":
        return ", ".join(f"us-gaap:{tag}" for tag in target.split(",")) + "\nDone."
    kind = example.meta["kind"]
    if kind == "tag":
        return f"The tag is {target.rpartition(':')[2]}."
    if kind == "value":
        return f"The value for FY 2022 is ${Decimal(target):,}."
    return f"Answer: {target.replace('(', '( ')} = the result"


@pytest.mark.parametrize("name", DATA_TASKS)
def test_decorated_gold_answers_score_100_percent(name: str) -> None:
    task = tasks.get(name)
    examples = task.load("test", limit=40)
    parsed = [task.parse_answer(decorated(task, ex), ex) for ex in examples]
    result = task.score(parsed, examples)
    assert result["accuracy"] == 1.0 and result["parse_failures"] == 0


@pytest.mark.parametrize("name", DATA_TASKS)
def test_garbage_is_unparsed_and_wrong(name: str) -> None:
    task = tasks.get(name)
    examples = task.load("test", limit=5)
    parsed = [task.parse_answer("¯\\_(ツ)_/¯ lorem", ex) for ex in examples]
    assert all(p is None for p in parsed)
    result = task.score(parsed, examples)
    assert result["accuracy"] == 0.0 and result["parse_failures"] == len(examples)


def test_ner_sentence_never_straddles_splits() -> None:
    ner = tasks.get("ner")
    sentences = {s: {input_text(ex.prompt) for ex in ner.load(s)} for s in ("train", "dev",
                                                                              "test")}
    assert not sentences["train"] & sentences["test"]
    assert not sentences["dev"] & sentences["test"] and not sentences["train"] & sentences["dev"]
    assert len(sentences["test"]) >= 8


def test_xbrl_extraction_sets_are_test_only_but_accept_filing_data(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="finlora dataset"):
        tasks.get("xbrl_tags").load("train")
    rows = [{"context": f"Question {i}?", "target": "us-gaap:Assets",
             "meta": {"kind": "tag", "candidates": ["us-gaap:Assets", "us-gaap:AssetsCurrent"]}}
            for i in range(40)]
    path = tmp_path / "filings.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    task = tasks.get("xbrl_tags", data=path)
    loaded = {s: task.load(s) for s in ("train", "dev", "test")}
    assert sum(map(len, loaded.values())) == 40
    example = loaded["train"][0]
    assert example.meta["kind"] == "tag" and task.candidates(example) == rows[0]["meta"][
        "candidates"]
    assert task.parse_answer("The tag is us-gaap:AssetsCurrent.", example) == \
        "us-gaap:AssetsCurrent"
    # a well-formed tag outside the context is a (wrong) answer, not a parse failure
    assert task.parse_answer("us-gaap:Liabilities", example) == "us-gaap:Liabilities"
    assert task.score([task.parse_answer("us-gaap:Liabilities", example)], [example])[
        "parse_failures"] == 0


def test_tagging_answers_are_lists_not_single_labels() -> None:
    finer = tasks.get("finer")
    example = finer.load("test", limit=1)[0]
    assert finer.candidates(example) is None  # inference generates, never label-scores
    assert len(finer.tag_set(example)) >= 139


def test_splits_are_disjoint_and_deterministic() -> None:
    for name in ["fpb", "fiqa", "tfns", "nwgi", "ner", "finer", "fnxl"]:
        task = tasks.get(name)
        splits = {s: [ex.prompt for ex in task.load(s)] for s in ("train", "dev", "test")}
        assert not set(splits["train"]) & set(splits["test"]), name
        assert not set(splits["dev"]) & set(splits["test"]), name
        assert splits["train"] == [ex.prompt for ex in tasks.get(name).load("train")]


def test_fpb_train_excludes_every_test_sentence() -> None:
    fpb = tasks.get("fpb")
    test = {ascii_key(input_text(ex.prompt)) for ex in fpb.load("test")}
    train = fpb.load("train") + fpb.load("dev")
    assert len(train) > 3000
    # ASCII letters and digits only, so mojibake in the Phrasebank CSV cannot hide a test line
    assert not test & {ascii_key(input_text(ex.prompt)) for ex in train}
    assert train[0].prompt == fpb.prompt_for(input_text(train[0].prompt))


def test_fpb_csv_rows_of_the_test_give_finlora_s_prompt() -> None:
    """The Phrasebank rows FinLoRA's test was drawn from, in our template, are FinLoRA's
    prompts — except the rows whose accents the CSV garbled (documented in docs/tasks.md)."""
    fpb = tasks.get("fpb")
    test = {ex.prompt: ex.target for ex in fpb.load("test")}
    same = garbled = 0
    for row in read_csv(bundled_path("fpb_50agree_minus_holdout.csv.gz")):
        if row["in_finlora_fpb_test"] == "yes":
            prompt = fpb.prompt_for(row["sentence"])
            if prompt in test:
                same += 1
                assert test[prompt] == row["label"]
            else:
                garbled += 1
    assert same >= 940 and garbled <= 25


def test_tfns_labels_are_corrected() -> None:
    fixed = tasks.get("tfns").load("test")
    raw = tasks.Sentiment("tfns", fix_tfns_labels=False).load("test")
    pairs = {(a.target, b.target) for a, b in zip(raw, fixed, strict=True)}
    assert pairs == {("negative", "negative"), ("positive", "neutral"), ("neutral", "positive")}


def test_unknown_task_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match="fpb"):
        tasks.get("nope")
    with pytest.raises(DataError, match="no data bundled"):
        tasks.get("headline").load("test")
    assert [t.name for t in tasks.get_many("sentiment,ner")] == ["fpb", "fiqa", "tfns", "nwgi",
                                                                  "ner"]


def test_headline_loads_user_jsonl(tmp_path: Path) -> None:
    prompt = tasks.Headline.prompt_for("Gold prices soar to record", "Does the news headline "
                                       "talk about price going up?")
    rows = [{"context": prompt.replace("soar", f"soar {i}"), "target": "Yes"} for i in range(50)]
    path = tmp_path / "headline.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    task = tasks.Headline(data=path)
    loaded = sum(len(task.load(s)) for s in ("train", "dev", "test"))
    assert loaded == 50
    assert task.parse_answer("yes, it does") == "Yes"


def test_headline_loads_a_saved_hugging_face_dataset_in_fingpt_layout(tmp_path: Path) -> None:
    import datasets

    question = "Does the news headline talk about price going up?"
    rows = {"instruction": [f"{question} Please choose an answer from {{Yes/No}}."] * 4,
            "input": [f"Gold futures edge up {i}" for i in range(4)],
            "output": ["Yes", "No", "Yes", "Yes"]}
    datasets.DatasetDict({"train": datasets.Dataset.from_dict(rows),
                          "test": datasets.Dataset.from_dict(rows)}).save_to_disk(tmp_path / "hl")
    task = tasks.get("headline", data=tmp_path / "hl")
    examples = task.load("test")
    assert examples[0].prompt == tasks.Headline.prompt_for("Gold futures edge up 0", question)
    assert [ex.target for ex in examples] == rows["output"]
    with pytest.raises(DataError, match="no split 'dev'"):
        task.load("dev")


def test_chat_rendering_uses_the_model_s_template() -> None:
    from transformers import AutoTokenizer

    from finlora.errors import ModelError
    from finlora.models import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(str(resolve_model(None)))
    fpb = tasks.get("fpb")
    example = fpb.load("test", limit=1)[0]
    chat = fpb.render(example, tokenizer, chat=True)
    assert example.prompt in chat and chat != example.prompt
    assert chat.rstrip().endswith("assistant")  # generation prompt added (SmolLM2 template)
    tokenizer.chat_template = None
    with pytest.raises(ModelError, match="no chat template"):
        fpb.render(example, tokenizer, chat=True)


def test_tasks_layer_imports_no_torch() -> None:
    code = "import sys, finlora.tasks, finlora.xbrl; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
