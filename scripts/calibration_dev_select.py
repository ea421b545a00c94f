"""Plain vs calibrated label scoring of a sentiment adapter, chosen per task on dev.

    python scripts/calibration_dev_select.py --out docs/results/cpu-2026-12-02c/calibration.json

For each task: the adapter scores its dev split plain (label scoring) and calibrated
(content-free "N/A" prompt, `finlora.infer.calibrated_answers`); the scoring with the higher
dev accuracy (ties: plain) is the task's choice. Then the test split is scored both ways and
the dev-chosen one is reported beside them, with the train-majority baseline. Test never
takes part in the choice.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import shipped_helpers as helpers
import torch

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.infer import Predictor
from finlora.infer.calibrated_answers import calibrated_answers

ADAPTER = Path(__file__).resolve().parents[1] / "finlora" / "adapters" / "sentiment"


def scores(task: Any, answers: list, examples: list) -> dict[str, Any]:
    report = task.score(answers, examples)
    return {"accuracy": report["accuracy"], "f1_macro": report.get("f1_macro"),
            "mcc": helpers.mcc(answers, [ex.target for ex in examples])}


def both(predictor: Predictor, task: Any, examples: list) -> dict[str, Any]:
    """Plain and calibrated scores of the adapter on `examples`, with their CPU seconds."""
    row: dict[str, Any] = {"n": len(examples)}
    start = time.process_time()
    plain = [out.answer for out in predictor.predict(task, examples, adapter="finetuned")]
    row["plain"] = scores(task, plain, examples) | {"cpu_s": round(time.process_time() - start)}
    start = time.process_time()
    calib = calibrated_answers(predictor, task, examples, adapter="finetuned")
    row["calibrated"] = scores(task, calib, examples) | {
        "cpu_s": round(time.process_time() - start)}
    row["answers"] = {"plain": plain, "calibrated": calib}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="results JSON")
    parser.add_argument("--adapter", type=Path, default=ADAPTER)
    parser.add_argument("--tasks", default="fpb,fiqa,tfns,nwgi")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--limit", type=int, default=None, help="examples per split (checks)")
    args = parser.parse_args()
    predictor = Predictor(adapters={"finetuned": args.adapter}, batch_size=args.batch_size)
    results: dict[str, Any] = {
        "command": "python " + " ".join(sys.argv), "host": platform.node(),
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "adapter": str(args.adapter), "selection": "dev accuracy, ties to plain", "tasks": {}}
    for name in args.tasks.split(","):
        task = tasks.get(name)
        dev = both(predictor, task, task.load("dev", args.limit))
        choice = "calibrated" if (dev["calibrated"]["accuracy"]
                                  > dev["plain"]["accuracy"]) else "plain"
        examples = task.load("test", args.limit)
        test = both(predictor, task, examples)
        test["chosen"] = test[choice]
        test["majority"] = helpers.majority_baseline(task, examples)
        results["tasks"][name] = {"dev": dev, "choice": choice, "test": test}
        print(json.dumps({"task": name, "choice": choice,
                          "dev": [dev[k]["accuracy"] for k in ("plain", "calibrated")],
                          "test": [test[k]["accuracy"] for k in ("plain", "calibrated")]}),
              flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(args.out, json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
