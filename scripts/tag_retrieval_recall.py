"""Recall@k of the gold tag among the retrieved candidate tags, FiNER and FNXL, per split.

    python scripts/tag_retrieval_recall.py --out docs/results/tag_retrieval_recall.json

For each numeral of each prompt: is its gold tag among the top k tags that `TagRetriever`
ranks for the numeral's sentence? Tag documents are the label words, or the label words plus
the words of the train split's sentences (never dev / test ones). Settings are chosen on dev.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from finlora.atomic import write_text_atomically
from finlora.tasks import data as task_data
from finlora.tasks.tag_retrieval import TagRetriever, recall_at_k
from finlora.tasks.xbrl_tagging import FILES, RETRIEVAL, XBRLTagging, tag_options

KS = [1, 5, 10, 20, 40]


def pairs(task: XBRLTagging, split: str, window: int | None) -> list[tuple[str, str]]:
    """(query, gold tag) for every numeral of the split's prompts."""
    out = []
    for ex in task.prompts(split):
        for (numeral, sentence), gold in zip(task.numeral_sentences(ex), ex.target.split(","),
                                             strict=False):
            out.append((task.query(numeral, sentence) if window else sentence, gold.strip()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    report: dict = {"command": "python scripts/tag_retrieval_recall.py --out " + str(args.out),
                    "defaults": copy.deepcopy(RETRIEVAL), "rows": []}
    for fmt in FILES:
        task = XBRLTagging(fmt)
        first = task_data.examples_from_rows(
            task_data.read_jsonl(task_data.bundled(FILES[fmt])), fmt)[0]
        tags = tag_options(first.prompt, fmt)
        for window in (None, 20):
            RETRIEVAL[fmt]["window"] = window
            train = pairs(task, "train", window)
            for docs in ("labels", "labels+train"):
                retriever = TagRetriever(tags) if docs == "labels" else \
                    TagRetriever.from_pairs(tags, train)
                for split in ("dev", "test"):
                    evaluated = pairs(task, split, window)
                    recall = recall_at_k(retriever, evaluated, KS)
                    row = {"task": fmt, "split": split, "docs": docs, "window": window,
                           "n_tags": len(tags), "n_numerals": len(evaluated),
                           "recall": {str(k): round(v, 4) for k, v in recall.items()}}
                    report["rows"].append(row)
                    print(json.dumps(row), flush=True)
        RETRIEVAL[fmt].update(report["defaults"][fmt])
    write_text_atomically(args.out, json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
