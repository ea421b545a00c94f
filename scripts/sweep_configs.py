"""The named runs of scripts/sweep_adapters.py: each one process of
scripts/train_shipped_adapters.py (its arguments below), all on one GPU at once.

Chosen for what most likely lifts each task below its target (docs/results.md):
- sentiment (FPB / TFNS / NWGI / FiQA): more epochs with dev-split epoch selection (the last
  session's dev curve still rose at epoch 3), higher rank, label smoothing, FiQA (141 train
  rows, 3% of the mixture) repeated 8x, sqrt class balance, single-task adapters, and
  calibrated scoring at evaluation (a test row beside the plain one);
- FiNER / FNXL: many more epochs (dev still rose at epoch 5), and the candidate-tag
  retrieval k (5 / 10 / 20 tags per numeral);
- NER: already 99%; one run with dev selection for the record;
- XBRL extraction: the shipped adapter scored grounded and by free generation, side by side.
"""

from __future__ import annotations

SENTIMENT = ["--only", "sentiment", "--calibrate"]
TAGGING = ["--only", "tagging"]

CONFIGS: dict[str, list[str]] = {
    # sentiment, one mixed adapter
    "sent-r8-e6": [*SENTIMENT, "--rank", "8", "--epochs", "6"],
    "sent-r32-e6-ls-fiqa8": [*SENTIMENT, "--rank", "32", "--alpha", "64", "--epochs", "6",
                             "--label-smoothing", "0.1", "--fiqa-weight", "8"],
    "sent-r16-e6-fiqa8-cb": [*SENTIMENT, "--rank", "16", "--alpha", "32", "--epochs", "6",
                             "--fiqa-weight", "8", "--class-balance", "0.5"],
    "sent-r16-e8-lr2e-4-lin": [*SENTIMENT, "--rank", "16", "--alpha", "32", "--epochs", "8",
                               "--lr", "2e-4", "--schedule", "linear", "--fiqa-weight", "4"],
    # sentiment, one adapter per task
    "sent-single-fpb": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "fpb",
                        "--rank", "16", "--alpha", "32", "--epochs", "6"],
    "sent-single-tfns": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "tfns",
                         "--rank", "16", "--alpha", "32", "--epochs", "8"],
    "sent-single-nwgi": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "nwgi",
                         "--rank", "16", "--alpha", "32", "--epochs", "6"],
    "sent-single-nwgi-e12": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "nwgi",
                             "--rank", "16", "--alpha", "32", "--epochs", "12"],
    "sent-single-fiqa": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "fiqa",
                         "--rank", "16", "--alpha", "32", "--epochs", "30", "--lr", "3e-4"],
    # fourth GPU run: rank 32 at a higher lr, single-task
    "sent-single-fpb-r32-lr5e-4": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "fpb",
                                   "--rank", "32", "--alpha", "64", "--epochs", "10",
                                   "--lr", "5e-4"],
    "sent-single-tfns-r32-lr5e-4": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks",
                                    "tfns", "--rank", "32", "--alpha", "64", "--epochs", "12",
                                    "--lr", "5e-4"],
    "sent-single-nwgi-r32-cb": [*SENTIMENT, "--sentiment", "single", "--sentiment-tasks", "nwgi",
                                "--rank", "32", "--alpha", "64", "--epochs", "8", "--lr", "5e-4",
                                "--class-balance", "0.5"],
    "sent-r32-e8-lr5e-4": [*SENTIMENT, "--rank", "32", "--alpha", "64", "--epochs", "8",
                           "--lr", "5e-4"],
    # FiNER (scored on FiNER and FNXL), candidate tags per numeral
    "finer-k10-e20": [*TAGGING, "--rank", "16", "--alpha", "32", "--epochs", "20"],
    "finer-k5-e20-lr5e-4": [*TAGGING, "--rank", "16", "--alpha", "32", "--epochs", "20",
                            "--lr", "5e-4", "--retrieval-k", "5"],
    "finer-k5-e20-lr1e-3": [*TAGGING, "--rank", "16", "--alpha", "32", "--epochs", "20",
                            "--lr", "1e-3", "--retrieval-k", "5"],
    "finer-k10-e20-lr5e-4": [*TAGGING, "--rank", "16", "--alpha", "32", "--epochs", "20",
                             "--lr", "5e-4", "--retrieval-k", "10"],
    "finer-k5-e30-lr1e-3-r32": [*TAGGING, "--rank", "32", "--alpha", "64", "--epochs", "30",
                                "--lr", "1e-3", "--retrieval-k", "5"],
    "finer-k5-e30-lr2e-3": [*TAGGING, "--rank", "16", "--alpha", "32", "--epochs", "30",
                            "--lr", "2e-3", "--retrieval-k", "5"],
    # k=20 lists ~60 tags per prompt: FiNER's longest train prompt is 2129 tokens
    "finer-k20-e20": [*TAGGING, "--rank", "16", "--alpha", "32", "--epochs", "20",
                      "--retrieval-k", "20", "--max-seq-len", "2560"],
    # NER
    "ner-r8-e4": ["--only", "ner", "--epochs", "4"],
    # XBRL extraction: the shipped adapter, grounded and free generation (no training)
    "xbrl-shipped-eval": ["--only", "xbrl", "--adapter", "finlora/adapters/xbrl-extraction"],
    # the same without the base model's rows (measured in the first GPU run)
    "xbrl-shipped-eval-nobase": ["--only", "xbrl", "--adapter", "finlora/adapters/xbrl-extraction",
                                 "--no-base"],
}

# a CPU check of the sweep itself: two tiny runs, a few steps and examples each
SMOKE: dict[str, list[str]] = {
    "smoke-sent": ["--only", "sentiment", "--sentiment-tasks", "fiqa,fpb", "--calibrate",
                   "--rank", "4", "--fiqa-weight", "2", "--smoke"],
    "smoke-finer": ["--only", "tagging", "--retrieval-k", "5", "--smoke"],
}
