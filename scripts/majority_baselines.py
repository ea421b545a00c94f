"""Class distribution of every test split and the majority-class baseline (the train split's
most frequent label, always answered): accuracy, macro F1, MCC. No model.

    python scripts/majority_baselines.py --out docs/results/majority_baselines.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import shipped_helpers as helpers

from finlora import tasks
from finlora.atomic import write_text_atomically

NAMES = ["fpb", "fiqa", "tfns", "nwgi", "ner", "finer", "fnxl"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    report: dict = {"command": f"python scripts/majority_baselines.py --out {args.out}",
                    "tasks": {}}
    for name in NAMES:
        task = tasks.get(name)
        test = task.load("test")
        report["tasks"][name] = {"majority": helpers.majority_baseline(task, test),
                                 "test_classes": helpers.class_distribution(task, test)}
        print(name, json.dumps(report["tasks"][name]["majority"]), flush=True)
    write_text_atomically(args.out, json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
