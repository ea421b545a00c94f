"""Train and evaluate the adapters for the embedded SmolLM2-135M-Instruct (one GPU, minutes).

    python scripts/train_shipped_adapters.py --out runs/shipped                # every group
    python scripts/train_shipped_adapters.py --out runs/s --only sentiment --sentiment single
    python scripts/train_shipped_adapters.py --out runs/x --smoke              # CPU check

Groups (adapter folders under OUT/adapters/, one results JSON OUT/results-<tag>.json):
  sentiment     FPB + FiQA + TFNS + NWGI train splits, one mixed adapter `sentiment`
                (`--sentiment single`: one adapter per task; `both`: the two side by side).
  ner           adapter `ner`: FinLoRA's NER train split.
  tagging       adapter `xbrl-tagging`: FiNER train split with retrieved candidate tags
                (top-10 per numeral), evaluated on FiNER and FNXL (retrieved tags too).
  xbrl          adapter `xbrl-extraction`: questions built from four bundled filings
                (finlora's own, and FinLoRA-shaped tag questions over ~60 facts); evaluated on
                the two held-out filings and on FinLoRA's xbrl_tags / xbrl_value /
                xbrl_formula sets, grounded and by free generation.

Every test split is scored for the base model (unless --no-base), the adapter and the
majority class of the train split, with accuracy, macro F1 and MCC. With --dev-select (the
default) the adapter is scored on the dev split after each epoch and the best epoch's weights
are kept: model selection on dev, never on test. The XBRL group has no dev split (fixed epochs).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import shipped_helpers as helpers

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.evaluation import evaluate
from finlora.infer import Predictor
from finlora.models import load_tokenizer, resolve_model
from finlora.tasks import Example, XBRLExtraction
from finlora.tasks.finlora_xbrl_questions import tag_questions
from finlora.train import TrainConfig, finetune
from finlora.train.class_balance import Rebalanced
from finlora.train.recipe_options import BestOnDev
from finlora.xbrl import load_filing

FILINGS = Path(__file__).resolve().parents[1] / "examples" / "filings"
TRAIN_FILINGS = ["amazon-10k-2022-12-31", "microsoft-10k-2015-06-30", "netflix-10k-2023-12-31",
                 "globalarena-10q-2024-09-30"]
HELD_OUT_FILINGS = ["tesla-10q-2024-06-30", "apple-10q-2025-03-29"]
SENTIMENT_TASKS = ["fpb", "fiqa", "tfns", "nwgi"]
GROUPS = ["sentiment", "ner", "xbrl", "tagging"]

RECIPES: dict[str, dict[str, Any]] = {  # per group; command-line levers override these
    "sentiment": dict(rank=8, alpha=16, target_modules="all-linear", learning_rate=5e-4,
                      epochs=3, batch_size=64, max_seq_len=256),
    "ner": dict(rank=8, alpha=16, target_modules="all-linear", learning_rate=5e-4, epochs=2,
                batch_size=64, max_seq_len=1024),
    "tagging": dict(rank=8, alpha=16, target_modules="all-linear", learning_rate=3e-4,
                    epochs=5, batch_size=4, max_seq_len=2048),
    "xbrl": dict(rank=8, alpha=16, target_modules="all-linear", learning_rate=3e-4, epochs=3,
                 batch_size=4, max_seq_len=2560),
}
EVAL_BATCH = {"sentiment": 64, "ner": 64, "xbrl": 8, "tagging": 8}  # long XBRL prompts: 8
COMMON = dict(quantization="none", dropout=0.05, grad_accum=1, seed=42, compile_layers=False)


class FilingQuestions(XBRLExtraction):
    """XBRL extraction questions built from a fixed list of filings (all of them, any split)."""

    def __init__(self, folders: list[str], name: str) -> None:
        super().__init__("xbrl_tags")
        self.name = name
        self.examples = [ex for folder in folders
                         for ex in XBRLExtraction.from_filing(load_filing(FILINGS / folder))]

    def load(self, split="test", limit=None) -> list[Example]:  # noqa: ARG002 - one set
        return self.examples[:limit] if limit else self.examples


class FinLoRAStyleQuestions(XBRLExtraction):
    """FinLoRA-shaped tag questions (`finlora_xbrl_questions.tag_questions`) over filings."""

    def __init__(self, folders: list[str], name: str, per_label: int = 3) -> None:
        super().__init__("xbrl_tags")
        self.name = name
        self.examples = [ex for seed, folder in enumerate(folders)
                         for ex in tag_questions(load_filing(FILINGS / folder),
                                                 per_label=per_label, seed=seed)]

    def load(self, split="test", limit=None) -> list[Example]:  # noqa: ARG002 - one set
        return self.examples[:limit] if limit else self.examples


class Run:
    """One invocation: the levers, the time budget, and the results JSON written as it goes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.began = time.perf_counter()
        self.tokenizer = load_tokenizer(resolve_model(None))
        self.adapters: list[Path] = []
        self.results: dict[str, Any] = {
            "command": args.command_line, "host": platform.node(), "levers": self.levers(),
            "groups": {}, "skipped": [], "timings": {}}

    def levers(self) -> dict[str, Any]:
        a = self.args
        return {"rank": a.rank, "targets": a.targets, "epochs": a.epochs, "lr": a.lr,
                "schedule": a.schedule, "label_smoothing": a.label_smoothing,
                "class_balance": a.class_balance, "sentiment": a.sentiment,
                "dev_select": a.dev_select}

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def config(self, group: str) -> TrainConfig:
        a = self.args
        values = {**COMMON, **RECIPES[group], "lr_schedule": a.schedule,
                  "label_smoothing": a.label_smoothing}
        for key, value in (("rank", a.rank), ("target_modules", a.targets),
                           ("epochs", a.epochs), ("learning_rate", a.lr)):
            if value is not None:
                values[key] = value
        if a.smoke:
            values.update(max_steps=2, batch_size=2, limit=4)
        return TrainConfig.build(**values)

    def train(self, name: str, group: str, task_list: list, dev: bool) -> Path:
        """Train adapter `name` on `task_list`, selecting the epoch on dev when `dev`."""
        folder = self.args.out / "adapters" / name
        wrapped = [Rebalanced(t, self.args.class_balance) if self.args.class_balance and
                   t.kind == "classification" else t for t in task_list]
        hook = None
        if dev and self.args.dev_select:
            hook = BestOnDev(helpers.dev_scorer(task_list, self.tokenizer, EVAL_BATCH[group],
                                                4 if self.args.smoke else None))
        start = time.perf_counter()
        result = finetune(wrapped, config=self.config(group), output_dir=folder,
                          on_epoch_end=hook, progress=False)
        self.results["timings"][f"train_{name}_s"] = round(time.perf_counter() - start, 1)
        self.results["groups"].setdefault(group, {}).setdefault("training", {})[name] = {
            "config": self.config(group).model_dump(mode="json"), "metrics": result.metrics,
            "tasks": [t.name for t in task_list],
            "n_train": sum(len(t.load("train", 4 if self.args.smoke else None))
                           for t in wrapped if not isinstance(t, FilingQuestions)) or None,
            "dev_curve": hook.history if hook else None,
            "best_epoch": hook.best_epoch if hook else None}
        helpers.to_bf16(folder)
        self.adapters.append(folder)
        self.save()
        return folder

    def evaluate(self, group: str, adapter: Path, task_list: list, *, base: bool) -> None:
        """Base (optional), adapter and majority baseline on each task's test split."""
        predictor = Predictor(adapters={"finetuned": adapter},
                              batch_size=self.args.batch_size or EVAL_BATCH[group])
        rows = self.results["groups"].setdefault(group, {}).setdefault("test", [])
        limit = 2 if self.args.smoke else self.args.eval_limit
        for task in task_list:
            task = tasks.get(task) if isinstance(task, str) else task
            name = getattr(task, "report_name", task.name)
            row: dict[str, Any] = {"task": name, "adapter": adapter.name}
            with_base = base and not name.endswith("_free")  # base free text: known 0%
            for use in (["base"] if with_base else []) + ["finetuned"]:
                result = evaluate(task, predictor=predictor, use_adapter=use, limit=limit)
                preds, gold = helpers.flat_answers(task, result.predictions,
                                                   task.load("test", limit))
                metrics = {k: v for k, v in result.metrics.items()
                           if k not in ("confusion", "per_class")}
                row[use] = {**metrics, "mcc": helpers.mcc(preds, gold)
                            if task.kind != "extraction" else None,
                            "parse_failure_rate": result.parse_failure_rate,
                            "seconds": round(result.seconds, 1)}
            examples = task.load("test", limit)
            row["n"] = len(examples)
            row["majority"] = helpers.majority_baseline(task, examples)
            row["test_classes"] = (helpers.class_distribution(task, examples)
                                   if task.kind != "extraction" else None)
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("task", "n")} | {
                u: row[u].get("accuracy") for u in ("base", "finetuned") if u in row}),
                flush=True)
            self.save()

    def save(self) -> None:
        self.results["timings"]["elapsed_s"] = round(self.elapsed(), 1)
        self.args.out.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.args.out / f"results-{self.args.tag}.json",
                              json.dumps(self.results, indent=1, default=str) + "\n")


def run_group(run: Run, group: str) -> None:
    args, base = run.args, not run.args.no_base
    if group == "sentiment":
        modes = ["multi", "single"] if args.sentiment == "both" else [args.sentiment]
        for mode in modes:
            if mode == "multi":
                adapter = run.train("sentiment", group, tasks.get_many(SENTIMENT_TASKS), True)
                run.evaluate(group, adapter, SENTIMENT_TASKS, base=base)
            else:
                for name in SENTIMENT_TASKS:
                    adapter = run.train(f"sentiment-{name}", group, [tasks.get(name)], True)
                    run.evaluate(group, adapter, [name], base=base and mode == modes[0])
    elif group == "ner":
        adapter = run.train("ner", group, [tasks.get("ner")], True)
        run.evaluate(group, adapter, ["ner"], base=base)
    elif group == "tagging":
        adapter = run.train("xbrl-tagging", group, [tasks.get("finer")], True)
        run.evaluate(group, adapter, ["finer", "fnxl"], base=base)
    else:
        adapter = run.train("xbrl-extraction", group,
                            [FilingQuestions(TRAIN_FILINGS, "xbrl_filings_train"),
                             FinLoRAStyleQuestions(TRAIN_FILINGS, "finlora_style_train")], False)
        finlora_sets = [tasks.get(n) for n in ("xbrl_tags", "xbrl_value", "xbrl_formula")]
        if args.free:
            for name in ("xbrl_value", "xbrl_formula"):
                free = tasks.get(name, grounded=False)
                free.report_name = f"{name}_free"  # task.name still picks the data file
                finlora_sets.append(free)
        run.evaluate(group, adapter, [
            FilingQuestions(HELD_OUT_FILINGS, "xbrl_filings_heldout"),
            FinLoRAStyleQuestions(HELD_OUT_FILINGS, "finlora_style_heldout", per_label=1),
            *finlora_sets], base=base)


def main() -> None:
    import sys

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--only", default=",".join(GROUPS), help=f"groups among {GROUPS}")
    parser.add_argument("--tag", default="run", help="names the results file")
    parser.add_argument("--pack", type=Path, default=None,
                        help="also tar the adapters (bf16) into ≤15 MiB tars in this folder")
    parser.add_argument("--rank", type=int, default=None)
    parser.add_argument("--targets", choices=["attention", "all-linear"], default=None)
    parser.add_argument("--epochs", type=float, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--schedule", choices=["cosine", "linear", "constant"], default="cosine")
    parser.add_argument("--label-smoothing", type=float, default=0.0)
    parser.add_argument("--class-balance", type=float, default=0.0,
                        help="resample classes towards balance: 0 off, 0.5 sqrt, 1 full")
    parser.add_argument("--sentiment", choices=["multi", "single", "both"], default="multi")
    parser.add_argument("--no-dev-select", dest="dev_select", action="store_false")
    parser.add_argument("--no-base", action="store_true", help="skip the base-model scores")
    parser.add_argument("--no-free", dest="free", action="store_false",
                        help="skip free generation on FinLoRA's xbrl_value / xbrl_formula")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="start no further group after this many seconds")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="evaluation batch size (default: 64 sentiment / NER, 8 XBRL)")
    parser.add_argument("--eval-limit", type=int, default=None)
    parser.add_argument("--smoke", action="store_true", help="2 steps, 4 examples, 2 to score")
    args = parser.parse_args()
    args.command_line = "python " + " ".join(sys.argv)
    groups = args.only.split(",")
    if unknown := set(groups) - set(GROUPS):
        parser.error(f"unknown groups {sorted(unknown)}; choose among {GROUPS}")
    run = Run(args)
    for group in groups:
        if args.budget_s is not None and run.elapsed() > args.budget_s:
            run.results["skipped"].append(group)
            continue
        try:
            run_group(run, group)
        except RuntimeError as exc:  # e.g. a CUDA path that dislikes a mid-training eval pass
            if not args.dev_select:
                raise
            run.results.setdefault("errors", []).append({"group": group, "error": repr(exc)})
            print(f"{group}: {exc!r}; again without dev selection", flush=True)
            args.dev_select = False
            run_group(run, group)
            args.dev_select = True
        if args.pack:
            args.pack.mkdir(parents=True, exist_ok=True)
            for old in args.pack.glob(f"adapters-{args.tag}-*.tar"):
                old.unlink()
            unique = list(dict.fromkeys(run.adapters))
            run.results["tars"] = [p.name for p in helpers.pack(unique, args.pack,
                                                                f"adapters-{args.tag}")]
        run.save()
    print(json.dumps(run.results["timings"]), flush=True)


if __name__ == "__main__":
    main()
