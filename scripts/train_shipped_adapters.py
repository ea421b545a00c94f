"""Train (and evaluate) the adapters finlora ships for the embedded SmolLM2-135M-Instruct, and
the adapters behind the other rows of docs/results.md.

    python scripts/train_shipped_adapters.py --out runs/shipped            # GPU or CPU
    python scripts/train_shipped_adapters.py --out runs/shipped --only sentiment,xbrl
    python scripts/train_shipped_adapters.py --out runs/more --only ner,tagging,finlora-xbrl
    python scripts/train_shipped_adapters.py --out runs/shipped --ship   # and install them

With --ship, each shipped adapter (sentiment, xbrl-extraction) is installed into
finlora/adapters/<name>/ once trained: weights cast to bf16, finlora_metadata.json (with the
tokenizer fingerprint that loading checks), metrics.jsonl, and a "Training record" section at
the end of its README.md (metadata and the command that produced it; the text above it is kept).

Groups (each writes OUT/<adapter> and OUT/results-<group>/, a `finlora eval` results folder
with base vs finetuned, as soon as it finishes):
  sentiment     adapter `sentiment` (shipped): FPB + FiQA + TFNS + NWGI train splits mixed;
                evaluated on the four test splits.
  xbrl          adapter `xbrl-extraction` (shipped): questions built from four bundled filings;
                evaluated on the two filings it never saw.
  ner           adapter `ner`: FinLoRA's NER train split; evaluated on its test split.
  tagging       adapter `xbrl-tagging`: FiNER-139 train split (FNXL's train prompts are longer
                than the model's context); evaluated on FiNER and FNXL.
  finlora-xbrl  no training: the shipped `xbrl-extraction` adapter against the base model on
                FinLoRA's xbrl_tags / xbrl_value / xbrl_formula sets.
"""

from __future__ import annotations

import argparse
import json
import shutil
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


NER = dict(SENTIMENT, max_seq_len=1024)
TAGGING = dict(XBRL, learning_rate=3e-4, epochs=4, batch_size=4, max_seq_len=3456)
SHIPPED = Path(__file__).resolve().parents[1] / "finlora" / "adapters"
FINLORA_XBRL = ["xbrl_tags", "xbrl_value", "xbrl_formula"]
GROUPS = ["sentiment", "xbrl", "ner", "tagging", "finlora-xbrl"]


def compare(adapter_dir: Path, task_list: list, out: Path, *, batch_size: int,
            limit: int | None) -> None:
    """Base vs adapter on each task (one model in memory), written to `out` after each task."""
    predictor = Predictor(adapters={"finetuned": adapter_dir}, batch_size=batch_size)
    base, tuned = [], []
    for task in task_list:
        base.append(evaluate(task, predictor=predictor, use_adapter="base", limit=limit))
        tuned.append(evaluate(task, adapter=str(adapter_dir), predictor=predictor,
                              use_adapter="finetuned", limit=limit))
        write_results(out, base, tuned)
        print(markdown_table(base[-1:], tuned[-1:]), flush=True)


def train(task, config: dict, out: Path, timings: dict) -> Path:
    start = time.perf_counter()
    result = finetune(task, config=TrainConfig.build(**config), output_dir=out)
    timings[f"train_{out.name}_s"] = round(time.perf_counter() - start, 1)
    return result.adapter_dir


RECORD = "## Training record"


def ship(adapter_dir: Path, name: str) -> Path:
    """Install a trained adapter as finlora/adapters/<name> (see the module docstring)."""
    import torch
    from safetensors.torch import load_file, save_file

    target = SHIPPED / name
    target.mkdir(parents=True, exist_ok=True)
    weights = load_file(adapter_dir / "adapter_model.safetensors")
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in weights.items()},
              target / "adapter_model.safetensors", metadata={"format": "pt"})
    for file in ("adapter_config.json", "finlora_metadata.json", "metrics.jsonl"):
        shutil.copy(adapter_dir / file, target / file)
    meta = json.loads((adapter_dir / "finlora_metadata.json").read_text())
    readme = target / "README.md"
    text = readme.read_text().split(RECORD)[0].rstrip() if readme.is_file() else f"# {name}"
    metrics, tokenizer = meta.get("metrics", {}), meta.get("tokenizer", {})
    rows = [("base model", meta["base_model"]), ("tasks", ", ".join(meta["tasks"])),
            ("examples", f"{meta['n_examples']} ({meta['split']} split)"),
            ("data sha256", meta["data_hash"]),
            ("tokenizer", ", ".join(f"{k} {v}" for k, v in tokenizer.items())),
            ("steps / final loss", f"{metrics.get('steps')} / {metrics.get('final_loss')}"),
            ("versions", ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())),
            ("finlora", meta["finlora_version"]), ("weights", "cast to bf16 for shipping")]
    table = "\n".join(f"| {key} | `{value}` |" for key, value in rows)
    readme.write_text(f"{text}\n\n{RECORD}\n\nWritten by `scripts/train_shipped_adapters.py "
                      f"--ship` from `{METADATA_NAME}`.\n\n| | |\n|---|---|\n{table}\n\n"
                      f"Reproduced by: `{meta.get('command', 'unknown')}`\n")
    return target


METADATA_NAME = "finlora_metadata.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", default="sentiment,xbrl",
                        help=f"comma-separated groups among {GROUPS}")
    parser.add_argument("--eval-limit", type=int, default=None)
    parser.add_argument("--smoke", action="store_true",
                        help="A few steps on a few examples: checks the recipe runs end to end.")
    parser.add_argument("--ship", action="store_true",
                        help="Install the trained shipped adapters into finlora/adapters/.")
    args = parser.parse_args()
    if args.ship and args.smoke:
        parser.error("--ship installs real adapters; it does not go with --smoke")
    groups = args.only.split(",")
    if unknown := set(groups) - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; choose among {GROUPS}")
    if args.smoke:
        for config in (SENTIMENT, XBRL, NER, TAGGING):
            config.update(max_steps=1, batch_size=2, limit=2)
        args.eval_limit = 2
    timings: dict[str, float] = {}
    out, limit = args.out, args.eval_limit
    for group in groups:  # in the order given
        if group == "sentiment":
            adapter = train("sentiment", SENTIMENT, out / "sentiment", timings)
            if args.ship:
                ship(adapter, "sentiment")
            compare(adapter, ["fpb", "fiqa", "tfns", "nwgi"], out / "results-sentiment",
                    batch_size=64, limit=limit)
        elif group == "xbrl":
            adapter = train(FilingQuestions(TRAIN_FILINGS, "xbrl_filings_train"), XBRL,
                            out / "xbrl-extraction", timings)
            if args.ship:
                ship(adapter, "xbrl-extraction")
            compare(adapter, [FilingQuestions(HELD_OUT_FILINGS, "xbrl_filings_heldout")],
                    out / "results-xbrl", batch_size=8, limit=limit)
        elif group == "ner":
            adapter = train("ner", NER, out / "ner", timings)
            compare(adapter, ["ner"], out / "results-ner", batch_size=64, limit=limit)
        elif group == "tagging":
            adapter = train("finer", TAGGING, out / "xbrl-tagging", timings)
            compare(adapter, ["finer", "fnxl"], out / "results-tagging", batch_size=8,
                    limit=limit)
        else:  # finlora-xbrl
            compare(SHIPPED / "xbrl-extraction", FINLORA_XBRL,
                    out / "results-finlora-xbrl", batch_size=8, limit=limit)
        out.mkdir(parents=True, exist_ok=True)
        (out / "timings.json").write_text(json.dumps(timings, indent=1))
    print(timings)


if __name__ == "__main__":
    main()
