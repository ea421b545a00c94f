"""Near duplicates between train (+ dev) and test, per task, before and after deduplicating.

    python scripts/near_duplicates.py --out docs/results/near_duplicates.json

"before": the splits as finlora made them until now (a hash of the raw input text; FPB's
train = Phrasebank minus the exact test sentences); "after": the splits the tasks load now
(deduplicated, near duplicates split together; FPB's train also without near duplicates of a
test sentence). A test input counts once, as `exact_normalized` (equal after lower-casing and
stripping URLs, mentions and punctuation) or `fuzzy_only` (word-set Jaccard ≥ 0.8, numbers
masked). FiNER / FNXL are checked per numeral sentence (prompts linked by a shared near
duplicate split together).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.tasks import data as task_data
from finlora.tasks.base import input_text
from finlora.tasks.dedup import THRESHOLD, near_duplicates
from finlora.tasks.sentiment import VARIANTS, _key
from finlora.tasks.xbrl_tagging import FILES, XBRLTagging


def rows(file: str) -> list[tasks.Example]:
    return task_data.examples_from_rows(task_data.read_jsonl(task_data.bundled(file)), file)


def before(name: str) -> tuple[list[str], list[str]]:
    """(train + dev inputs, test inputs) as split before deduplication."""
    if name == "fpb":
        test = [input_text(ex.prompt) for ex in rows(VARIANTS["fpb"].file)]
        keys = {_key(t) for t in test}
        train = [r["sentence"] for r in task_data.read_csv(
            task_data.bundled("fpb_50agree_minus_holdout.csv.gz"))
            if _key(r["sentence"]) not in keys and r["in_finlora_fpb_test"] != "yes"]
        return train, test
    if name == "ner":
        texts = [input_text(ex.prompt) for ex in rows("ner_test.jsonl.gz")]
    else:
        texts = [input_text(ex.prompt) for ex in rows(VARIANTS[name].file)]
    train = [t for t in texts if task_data.split_of(t) != "test"]
    return train, [t for t in texts if task_data.split_of(t) == "test"]


def after(name: str) -> tuple[list[str], list[str]]:
    task = tasks.get(name)
    text = input_text
    train = [text(ex.prompt) for split in ("train", "dev") for ex in task.load(split)]
    return train, [text(ex.prompt) for ex in task.load("test")]


def tagging(fmt: str, linked: bool) -> tuple[list[str], list[str]]:
    """Numeral sentences of the train + dev prompts and of the test prompts: split by a hash
    of the prompt (before), or with prompts that share a near-duplicate sentence together."""
    task = XBRLTagging(fmt)
    out: dict[bool, list[str]] = {True: [], False: []}
    if linked:
        split = {ex.prompt: s for s in ("train", "dev", "test") for ex in task.prompts(s)}
    for ex in rows(FILES[fmt]):
        is_test = (split[ex.prompt] if linked else task_data.split_of(ex.prompt)) == "test"
        out[is_test] += list(dict.fromkeys(s for _, s in task.numeral_sentences(ex)))
    return out[False], out[True]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    report: dict = {"command": f"python scripts/near_duplicates.py --out {args.out}",
                    "threshold": THRESHOLD, "tasks": {}}
    for name in ("fpb", "fiqa", "tfns", "nwgi", "ner"):
        report["tasks"][name] = {"before": near_duplicates(*before(name)),
                                 "after": near_duplicates(*after(name))}
        print(name, json.dumps(report["tasks"][name]), flush=True)
    for fmt in FILES:
        report["tasks"][fmt] = {"before": near_duplicates(*tagging(fmt, False)),
                                "after": near_duplicates(*tagging(fmt, True)),
                                "prompts_per_split": {s: len(XBRLTagging(fmt).prompts(s))
                                                      for s in ("train", "dev", "test")}}
        print(fmt, json.dumps(report["tasks"][fmt]), flush=True)
    write_text_atomically(args.out, json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
