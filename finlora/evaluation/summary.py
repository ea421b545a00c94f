"""Per task, side by side: the majority-class baseline, the base model and the finetuned one
(accuracy, weighted and macro F1, MCC, parse failures), with the gold class distribution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from finlora.evaluation.harness import TaskResult

COLUMNS = ("accuracy", "f1_weighted", "f1_macro", "mcc")


def _scores(result: TaskResult) -> dict[str, Any]:
    row: dict[str, Any] = {key: result.metrics.get(key) for key in COLUMNS}
    row["parse_failures"] = sum(p is None for p in result.predictions)
    row["parse_failure_rate"] = result.parse_failure_rate
    row["adapter"] = result.adapter
    return row


def task_summaries(base: Sequence[TaskResult], tuned: Sequence[TaskResult]
                   ) -> dict[str, dict[str, Any]]:
    """{task: {n, data, distribution, majority_baseline, base, finetuned}} (None where absent)."""
    by_task: dict[str, dict[str, TaskResult]] = {}
    for variant, results in (("base", base), ("finetuned", tuned)):
        for result in results:
            by_task.setdefault(result.task, {})[variant] = result
    summaries = {}
    for name, runs in by_task.items():
        first = runs.get("base") or runs["finetuned"]
        summaries[name] = {
            "n": first.n,
            "data": first.data,
            "split": first.split,
            "distribution": first.distribution,
            "majority_baseline": first.baseline,
            "base": _scores(runs["base"]) if "base" in runs else None,
            "finetuned": _scores(runs["finetuned"]) if "finetuned" in runs else None,
        }
    return summaries


def _pct(value: object) -> str:
    return f"{100 * float(value):.2f}" if isinstance(value, int | float) else "–"


def _mcc(value: object) -> str:
    return f"{float(value):.3f}" if isinstance(value, int | float) else "–"


def detail_table(base: Sequence[TaskResult], tuned: Sequence[TaskResult]) -> str:
    """One markdown table per task: majority baseline, base and finetuned rows, then the
    class distribution of the evaluated set."""
    parts = []
    for name, summary in task_summaries(base, tuned).items():
        source = summary["data"] or f"{summary['split']} split"
        lines = [f"### {name} (n={summary['n']}, {source})", "",
                 "| model | accuracy | F1 weighted | F1 macro | MCC | parse failures |",
                 "|---|---|---|---|---|---|"]
        majority = summary["majority_baseline"]
        if majority:
            lines.append(f"| majority class (`{majority['label']}`) | "
                         f"{_pct(majority['accuracy'])} | {_pct(majority['f1_weighted'])} | "
                         f"{_pct(majority['f1_macro'])} | {_mcc(majority['mcc'])} | – |")
        for variant in ("base", "finetuned"):
            row = summary[variant]
            if row:
                label = variant + (f" (`{row['adapter']}`)" if variant == "finetuned" else "")
                lines.append(f"| {label} | {_pct(row['accuracy'])} | {_pct(row['f1_weighted'])}"
                             f" | {_pct(row['f1_macro'])} | {_mcc(row['mcc'])} | "
                             f"{row['parse_failures']} ({100 * row['parse_failure_rate']:.1f}%) |")
        if summary["distribution"]:
            total = sum(summary["distribution"].values()) or 1
            shares = ", ".join(f"{label} {count} ({100 * count / total:.1f}%)"
                               for label, count in summary["distribution"].items())
            lines += ["", f"Class distribution: {shares}."]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n" if parts else ""
