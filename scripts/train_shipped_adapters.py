"""Train and evaluate the adapters for the embedded SmolLM2-135M-Instruct (one GPU, minutes).

    python scripts/train_shipped_adapters.py --out runs/shipped                # every group
    python scripts/train_shipped_adapters.py --out runs/s --only sentiment --sentiment single
    python scripts/train_shipped_adapters.py --out runs/x --smoke              # CPU check

Groups (adapter folders under OUT/adapters/, one results JSON OUT/results-<tag>.json):
  sentiment     FPB + FiQA + TFNS + NWGI train splits, one mixed adapter `sentiment`
                (`--sentiment single`: one adapter per task; `both`: the two side by side).
  ner           adapter `ner`: FinLoRA's NER train split.
  tagging       adapter `xbrl-tagging`: FiNER train split with retrieved candidate tags
                (top-k per numeral, --retrieval-k, default 10; the k goes into the
                adapter's metadata, which `finlora eval` reads), evaluated on FiNER and FNXL.
  xbrl          adapter `xbrl-extraction`: questions built from four bundled filings
                (finlora's own, and FinLoRA-shaped tag questions over ~60 facts); evaluated on
                the two held-out filings and on FinLoRA's xbrl_tags / xbrl_value /
                xbrl_formula sets, grounded and by free generation.

Test splits: base (unless --no-base), adapter and train-majority class; accuracy, macro F1,
MCC. Dev selection (default): the best dev epoch's weights are kept, never chosen on test
(the XBRL group has no dev split: fixed epochs).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

import shipped_helpers as helpers
from shipped_xbrl_sets import HELD_OUT_FILINGS, TRAIN_FILINGS, FilingQuestions, check_filings
from shipped_xbrl_sets import FinLoRAStyleQuestions as StyleQuestions
from train_levers import Deadline, SavingBestOnDev, Upweighted, record_metadata
from train_shipped_args import build_parser

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.evaluation import evaluate
from finlora.infer import Predictor
from finlora.infer.calibrated_answers import calibrated_answers
from finlora.models import load_tokenizer, resolve_model
from finlora.train import TrainConfig, finetune
from finlora.train.class_balance import Rebalanced

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
        return {"rank": a.rank, "alpha": a.alpha, "targets": a.targets, "epochs": a.epochs,
                "lr": a.lr, "schedule": a.schedule, "label_smoothing": a.label_smoothing,
                "class_balance": a.class_balance, "sentiment": a.sentiment,
                "sentiment_tasks": a.sentiment_tasks, "fiqa_weight": a.fiqa_weight,
                "retrieval_k": a.retrieval_k, "calibrate": a.calibrate,
                "dev_select": a.dev_select}

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def config(self, group: str) -> TrainConfig:
        a = self.args
        values = {**COMMON, **RECIPES[group], "lr_schedule": a.schedule,
                  "label_smoothing": a.label_smoothing}
        for key, value in (("rank", a.rank), ("alpha", a.alpha), ("target_modules", a.targets),
                           ("epochs", a.epochs), ("learning_rate", a.lr),
                           ("max_seq_len", a.max_seq_len)):
            if value is not None:
                values[key] = value
        if a.smoke:
            values.update(max_steps=2, batch_size=2, limit=4)
        return TrainConfig.build(**values)

    def train(self, name: str, group: str, task_list: list, dev: bool) -> Path:
        """Train adapter `name` on `task_list`, selecting the epoch on dev when `dev`."""
        a = self.args
        folder = a.out / "adapters" / name
        wrapped = [Rebalanced(t, a.class_balance) if a.class_balance and
                   t.kind == "classification" else t for t in task_list]
        wrapped = [Upweighted(t, a.fiqa_weight) if t.name == "fiqa" and a.fiqa_weight > 1
                   else t for t in wrapped]
        hook, scorer = None, None
        if dev and a.dev_select:
            scorer = helpers.dev_scorer(task_list, self.tokenizer, EVAL_BATCH[group],
                                        4 if a.smoke else a.dev_limit)
            deadline = self.began + a.train_budget_s if a.train_budget_s else None
            hook = SavingBestOnDev(scorer, folder, deadline)
        start = time.perf_counter()
        try:
            result = finetune(wrapped, config=self.config(group), output_dir=folder,
                              on_epoch_end=hook, progress=False)
            metrics = result.metrics
        except Deadline as stop:  # the best epoch so far is in `folder` already
            metrics = {"stopped": str(stop)}
        self.results["timings"][f"train_{name}_s"] = round(time.perf_counter() - start, 1)
        self.results["groups"].setdefault(group, {}).setdefault("training", {})[name] = {
            "config": self.config(group).model_dump(mode="json"), "metrics": metrics,
            "tasks": [t.name for t in task_list],
            "n_train": sum(len(t.load("train", 4 if a.smoke else None))
                           for t in wrapped if not isinstance(t, FilingQuestions)) or None,
            "dev_curve": hook.history if hook else None,
            "dev_per_task": scorer.per_task if scorer else None,
            "best_epoch": hook.best_epoch if hook else None}
        helpers.to_bf16(folder)
        extra: dict[str, Any] = {"command": a.command_line, **({"dev_curve": hook.history,
                                 "best_epoch": hook.best_epoch} if hook else {})}
        if group == "tagging":  # inference reads it (finlora.tasks.xbrl_tagging_adapter)
            extra["retrieval_k"] = task_list[0].retrieval_k
        record_metadata(folder, wrapped, self.config(group), extra, metrics)
        self.adapters.append(folder)
        self.save()
        return folder

    def evaluate(self, group: str, adapter: Path, task_list: list, *, base: bool) -> None:
        """Base (optional), adapter and majority baseline on each task's test split."""
        predictor = Predictor(adapters={"finetuned": adapter},
                              batch_size=self.args.batch_size or EVAL_BATCH[group])
        rows = self.results["groups"].setdefault(group, {}).setdefault("test", [])
        for task in task_list:
            task = tasks.get(task) if isinstance(task, str) else task
            limit = 2 if self.args.smoke else getattr(task, "eval_limit", self.args.eval_limit)
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
            if self.args.calibrate and task.kind == "classification":
                row["calibrated"] = self.calibrated(predictor, task, examples)
            row["n"] = len(examples)
            row["majority"] = helpers.majority_baseline(task, examples)
            row["test_classes"] = (helpers.class_distribution(task, examples)
                                   if task.kind != "extraction" else None)
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("task", "n")} | {
                u: row[u].get("accuracy") for u in ("base", "finetuned") if u in row}),
                flush=True)
            self.save()

    def calibrated(self, predictor: Predictor, task: Any, examples: list) -> dict[str, Any]:
        """The adapter's test scores with calibrated label scoring (content-free "N/A")."""
        answers = calibrated_answers(predictor, task, examples, adapter="finetuned")
        report = task.score(answers, examples)
        gold = [ex.target for ex in examples]
        return {"accuracy": report["accuracy"], "f1_macro": report.get("f1_macro"),
                "mcc": helpers.mcc(answers, gold)}

    def save(self) -> None:
        self.results["timings"]["elapsed_s"] = round(self.elapsed(), 1)
        self.args.out.mkdir(parents=True, exist_ok=True)
        write_text_atomically(self.args.out / f"results-{self.args.tag}.json",
                              json.dumps(self.results, indent=1, default=str) + "\n")


def run_group(run: Run, group: str) -> None:
    args, base = run.args, not run.args.no_base
    if group == "sentiment":
        names = args.sentiment_tasks.split(",")
        modes = ["multi", "single"] if args.sentiment == "both" else [args.sentiment]
        for mode in modes:
            if mode == "multi":
                adapter = run.train("sentiment", group, tasks.get_many(names), True)
                run.evaluate(group, adapter, names, base=base)
            else:
                for name in names:
                    adapter = run.train(f"sentiment-{name}", group, [tasks.get(name)], True)
                    run.evaluate(group, adapter, [name], base=base and mode == modes[0])
    elif group == "ner":
        adapter = run.train("ner", group, [tasks.get("ner")], True)
        run.evaluate(group, adapter, ["ner"], base=base)
    elif group == "tagging":
        k = {} if args.retrieval_k is None else {"retrieval_k": args.retrieval_k or None}
        adapter = run.train("xbrl-tagging", group, [tasks.get("finer", **k)], True)
        run.evaluate(group, adapter, [tasks.get("finer", **k), tasks.get("fnxl", **k)],
                     base=base)
    else:  # FinLoRA's sets need no filing; training and the held-out sets do
        if args.adapter is None:
            check_filings(TRAIN_FILINGS + HELD_OUT_FILINGS, need=True)
        own = check_filings(HELD_OUT_FILINGS, need=False)
        if not own:
            run.results["skipped"].append("xbrl_filings_heldout, finlora_style_heldout")
        adapter = args.adapter or run.train(
            "xbrl-extraction", group, [FilingQuestions(TRAIN_FILINGS, "xbrl_filings_train"),
                                       StyleQuestions(TRAIN_FILINGS, "finlora_style_train")], False)
        finlora_sets = [tasks.get(n) for n in ("xbrl_tags", "xbrl_value", "xbrl_formula")]
        for name in ("xbrl_tags", "xbrl_value", "xbrl_formula"):  # the model alone chooses
            every = tasks.get(name, standard_tags=False)
            every.report_name = f"{name}_all_concepts"
            finlora_sets.append(every)
        if args.free:
            for name in ("xbrl_value", "xbrl_formula"):
                free = tasks.get(name, grounded=False)
                free.report_name = f"{name}_free"  # task.name still picks the data file
                finlora_sets.append(free)
        if args.finlora_limit is not None:  # CPU runs: their 6k-token prompts take 17-99 s each
            for task in finlora_sets:
                task.eval_limit = args.finlora_limit
        run.evaluate(group, adapter, [
            FilingQuestions(HELD_OUT_FILINGS, "xbrl_filings_heldout"),
            StyleQuestions(HELD_OUT_FILINGS, "finlora_style_heldout", per_label=1),
        ] * own + finlora_sets, base=base)


def main() -> None:
    import sys

    parser = build_parser(__doc__, list(GROUPS), list(SENTIMENT_TASKS))
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
