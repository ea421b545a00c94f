"""The summary of scripts/sweep_adapters.py: every run's test rows beside their dev scores, and
per task the run chosen on dev (never on test)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _dev_at_best(training: dict[str, Any], task: str) -> tuple[float | None, int | None]:
    """The dev accuracy of `task` at the run's best dev epoch (the run's mean dev accuracy
    when the task was not on dev), and that epoch."""
    curve = training.get("dev_curve") or []
    if not curve:
        return None, None
    best = max(range(len(curve)), key=lambda i: (curve[i]["dev"], -i))  # first maximum
    per_task = training.get("dev_per_task") or []
    values = per_task[best] if best < len(per_task) else {}
    return values.get(task, curve[best]["dev"]), curve[best]["epoch"]


def collect_rows(work: Path, names: list[str]) -> list[dict[str, Any]]:
    """One row per (config, adapter, test task) from each run's results JSON."""
    rows: list[dict[str, Any]] = []
    for name in names:
        path = work / name / f"results-{name}.json"
        if not path.is_file():
            continue
        results = json.loads(path.read_text())
        for group in results.get("groups", {}).values():
            training = group.get("training", {})
            for test in group.get("test", []):
                trained = training.get(test["adapter"], {})
                dev, epoch = _dev_at_best(trained, test["task"])
                tuned = test.get("finetuned", {})
                calibrated = test.get("calibrated") or {}
                majority = test.get("majority") or {}
                rows.append({
                    "config": name, "adapter": test["adapter"], "task": test["task"],
                    "n": test.get("n"), "dev": dev, "best_epoch": epoch,
                    "epochs_run": len(trained.get("dev_curve") or []),
                    "stopped": trained.get("metrics", {}).get("stopped"),
                    "accuracy": tuned.get("accuracy"), "f1_macro": tuned.get("f1_macro"),
                    "mcc": tuned.get("mcc"), "calibrated_accuracy": calibrated.get("accuracy"),
                    "calibrated_f1_macro": calibrated.get("f1_macro"),
                    "calibrated_mcc": calibrated.get("mcc"),
                    "majority_accuracy": majority.get("accuracy"),
                    "majority_f1_macro": majority.get("f1_macro")})
    return rows


def best_per_task(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per task, the row with the highest dev score (rows without dev take no part)."""
    best: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["dev"] is None:
            continue
        if row["task"] not in best or row["dev"] > best[row["task"]]["dev"]:
            best[row["task"]] = row
    return best


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def markdown(rows: list[dict[str, Any]], best: dict[str, dict[str, Any]],
             status: dict[str, dict[str, Any]]) -> str:
    lines = ["# Adapter sweep", "", "Test scores of every run; `*` marks the run chosen on dev "
             "for that task (dev accuracy at its best epoch; selection never looks at test).",
             "", "| task | config | adapter | n | dev | epoch (run) | acc | macro F1 | MCC | "
             "calibrated acc / F1 | majority acc / F1 |", "|" + "---|" * 11]
    for row in sorted(rows, key=lambda r: (r["task"], -(r["dev"] or 0))):
        mark = "*" if best.get(row["task"]) is row else ""
        lines.append(
            f"| {row['task']} | {mark}{row['config']} | {row['adapter']} | {row['n']} | "
            f"{_pct(row['dev'])} | {row['best_epoch'] or '—'} ({row['epochs_run']}) | "
            f"{_pct(row['accuracy'])} | {_pct(row['f1_macro'])} | {_num(row['mcc'])} | "
            f"{_pct(row['calibrated_accuracy'])} / {_pct(row['calibrated_f1_macro'])} | "
            f"{_pct(row['majority_accuracy'])} / {_pct(row['majority_f1_macro'])} |")
    lines += ["", "| config | exit | seconds |", "|---|---|---|"]
    lines += [f"| {name} | {s['rc']} | {s['seconds']} |" for name, s in status.items()]
    return "\n".join(lines) + "\n"
