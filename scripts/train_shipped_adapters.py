"""Train (and evaluate) the adapters finlora ships for the embedded SmolLM2-135M-Instruct.

    python scripts/train_shipped_adapters.py --out runs/shipped            # GPU or CPU
    python scripts/train_shipped_adapters.py --out runs/shipped --only sentiment

Writes OUT/sentiment and OUT/xbrl-extraction (PEFT adapter folders), and OUT/results-*/ (the
`finlora eval` results folders: base vs finetuned). The XBRL adapter is trained on questions
built from four bundled filings and evaluated on the two it never saw.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from finlora.evaluation import evaluate, markdown_table, write_results
from finlora.infer import Predictor
from finlora.tasks import Example, XBRLExtraction
from finlora.train import TrainConfig, finetune
from finlora.xbrl import load_filing

FILINGS = Path(__file__).resolve().parents[1] / "examples" / "filings"
TRAIN_FILINGS = ["amazon-10k-2022-12-31", "microsoft-10k-2015-06-30", "netflix-10k-2023-12-31",
                 "globalarena-10q-2024-09-30"]
HELD_OUT_FILINGS = ["tesla-10q-2024-06-30", "apple-10q-2025-03-29"]

SENTIMENT = dict(quantization="none", rank=8, alpha=16, dropout=0.05, target_modules="all-linear",
                 learning_rate=5e-4, epochs=3, batch_size=32, grad_accum=1, max_seq_len=256,
                 seed=42)
XBRL = dict(quantization="none", rank=8, alpha=16, dropout=0.05, target_modules="all-linear",
            learning_rate=3e-4, epochs=6, batch_size=4, grad_accum=1, max_seq_len=1536, seed=42)


class FilingQuestions(XBRLExtraction):
    """XBRL extraction questions built from a fixed list of filings (all of them, any split)."""

    def __init__(self, folders: list[str], name: str) -> None:
        super().__init__("xbrl_tags")
        self.name = name
        self.examples = [ex for folder in folders
                         for ex in XBRLExtraction.from_filing(load_filing(FILINGS / folder))]

    def load(self, split="test", limit=None) -> list[Example]:  # noqa: ARG002 - one set
        return self.examples[:limit] if limit else self.examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", choices=["sentiment", "xbrl"], default=None)
    parser.add_argument("--eval-limit", type=int, default=None)
    parser.add_argument("--smoke", action="store_true",
                        help="A few steps on a few examples: checks the recipe runs end to end.")
    args = parser.parse_args()
    if args.smoke:
        for config in (SENTIMENT, XBRL):
            config.update(max_steps=1, batch_size=2, limit=2)
        args.eval_limit = 2
    timings = {}
    if args.only in (None, "sentiment"):
        start = time.perf_counter()
        result = finetune("sentiment", config=TrainConfig.build(**SENTIMENT),
                          output_dir=args.out / "sentiment")
        timings["train_sentiment_s"] = time.perf_counter() - start
        predictor = Predictor(adapters={"finetuned": result.adapter_dir}, batch_size=64)
        base, tuned = [], []
        for name in ["fpb", "fiqa", "tfns", "nwgi"]:
            base.append(evaluate(name, predictor=predictor, use_adapter="base",
                                 limit=args.eval_limit))
            tuned.append(evaluate(name, adapter=str(result.adapter_dir), predictor=predictor,
                                  use_adapter="finetuned", limit=args.eval_limit))
        write_results(args.out / "results-sentiment", base, tuned)
        print(markdown_table(base, tuned))
    if args.only in (None, "xbrl"):
        train_set = FilingQuestions(TRAIN_FILINGS, "xbrl_filings_train")
        held_out = FilingQuestions(HELD_OUT_FILINGS, "xbrl_filings_heldout")
        start = time.perf_counter()
        result = finetune(train_set, config=TrainConfig.build(**XBRL),
                          output_dir=args.out / "xbrl-extraction")
        timings["train_xbrl_s"] = time.perf_counter() - start
        predictor = Predictor(adapters={"finetuned": result.adapter_dir}, batch_size=8)
        base = [evaluate(held_out, predictor=predictor, use_adapter="base",
                         limit=args.eval_limit)]
        tuned = [evaluate(held_out, adapter=str(result.adapter_dir), predictor=predictor,
                          use_adapter="finetuned", limit=args.eval_limit)]
        write_results(args.out / "results-xbrl", base, tuned)
        print(markdown_table(base, tuned))
        print(json.dumps({"base": base[0].metrics, "finetuned": tuned[0].metrics}, indent=1))
    (args.out / "timings.json").write_text(json.dumps(timings, indent=1))
    print(timings)


if __name__ == "__main__":
    main()
