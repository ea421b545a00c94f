"""The command line of scripts/train_shipped_adapters.py (its levers and budgets)."""

from __future__ import annotations

import argparse
from pathlib import Path


def build_parser(description: str, groups: list[str], sentiment_tasks: list[str]
                 ) -> argparse.ArgumentParser:
    """The argument parser; `groups` and `sentiment_tasks` are the script's defaults."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", default=",".join(groups), help=f"groups among {groups}")
    parser.add_argument("--tag", default="run", help="names the results file")
    parser.add_argument("--pack", type=Path, default=None,
                        help="also tar the adapters (bf16) into ≤15 MiB tars in this folder")
    parser.add_argument("--rank", type=int, default=None)
    parser.add_argument("--alpha", type=float, default=None)
    parser.add_argument("--targets", choices=["attention", "all-linear"], default=None)
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--max-seq-len", type=int, default=None,
                        help="training sequence limit (default 2048; FiNER at k=20 needs 2560)")
    parser.add_argument("--schedule", choices=["cosine", "linear", "constant"], default="cosine")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--class-balance", type=float, default=0.0,
                        help="resample classes towards balance: 0 off, 0.5 sqrt, 1 full")
    parser.add_argument("--sentiment", choices=["multi", "single", "both"], default="multi")
    parser.add_argument("--sentiment-tasks", default=",".join(sentiment_tasks),
                        help="the sentiment tasks to train and score")
    parser.add_argument("--fiqa-weight", type=int, default=1,
                        help="repeat FiQA's train split this many times (141 rows)")
    parser.add_argument("--retrieval-k", type=int, default=None,
                        help="FiNER / FNXL candidate tags per numeral (0: every tag; "
                             "default: the registry's 10)")
    parser.add_argument("--calibrate", action="store_true",
                        help="also score label tasks with calibrated scoring (content-free)")
    parser.add_argument("--adapter", type=Path, default=None,
                        help="xbrl group: evaluate this adapter instead of training one")
    parser.add_argument("--train-budget-s", type=float, default=None,
                        help="stop training at the first epoch end after this many seconds "
                             "(the best dev epoch so far is kept and scored)")
    parser.add_argument("--dev-limit", type=int, default=None,
                        help="score at most this many dev examples per task per epoch")
    parser.add_argument("--no-dev-select", dest="dev_select", action="store_false")
    parser.add_argument("--no-base", action="store_true", help="skip the base-model scores")
    parser.add_argument("--no-free", dest="free", action="store_false",
                        help="skip free generation on FinLoRA's xbrl_value / xbrl_formula")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no further group after this many seconds")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="evaluation batch size (default: 64 sentiment / NER, 8 XBRL)")
    parser.add_argument("--eval-limit", type=int, default=None)
    parser.add_argument("--finlora-limit", type=int, default=None,
                        help="xbrl group: score only the first N examples of FinLoRA's "
                             "xbrl_tags / value / formula sets (CPU runs)")
    parser.add_argument("--smoke", action="store_true", help="2 steps, 4 examples, 2 to score")
    return parser
