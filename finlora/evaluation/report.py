"""The results folder of `finlora eval`: JSON, a markdown table in FinLoRA's shape, and plots."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from finlora.atomic import write_text_atomically
from finlora.evaluation.harness import TaskResult
from finlora.evaluation.summary import detail_table, task_summaries

# FinLoRA's published Llama-3.1-8B numbers (8-bit, rank-8 LoRA; accuracy %, their scoring),
# shown beside ours for reference: (base, finetuned).
FINLORA_PUBLISHED: dict[str, tuple[float | None, float]] = {
    "fpb": (68.73, 85.64),
    "finer": (21.28, 74.10),
    "xbrl_tags": (None, 89.13),
    "xbrl_formula": (None, 98.68),
}


def _pct(value: object) -> str:
    return f"{100 * float(value):.2f}" if isinstance(value, int | float) else "–"


def markdown_table(base: Sequence[TaskResult], tuned: Sequence[TaskResult]) -> str:
    """Base vs finetuned per task, with FinLoRA's published 8B numbers for reference."""
    tuned_by_task = {r.task: r for r in tuned}
    base_by_task = {r.task: r for r in base}
    names = list(dict.fromkeys([r.task for r in base] + [r.task for r in tuned]))
    lines = [
        "| task | n | base acc | finetuned acc | base F1 (w) | finetuned F1 (w) "
        "| parse failures base / ft | FinLoRA 8B base / LoRA |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        b, t = base_by_task.get(name), tuned_by_task.get(name)
        n = (b or t).n  # type: ignore[union-attr]
        pub = FINLORA_PUBLISHED.get(name)
        pub_text = f"{pub[0] if pub[0] is not None else '–'} / {pub[1]}" if pub else "–"
        fails = " / ".join(f"{100 * r.parse_failure_rate:.1f}%" if r else "–" for r in (b, t))
        lines.append(
            f"| {name} | {n} | {_pct(b.metrics.get('accuracy')) if b else '–'} "
            f"| {_pct(t.metrics.get('accuracy')) if t else '–'} "
            f"| {_pct(b.metrics.get('f1_weighted')) if b else '–'} "
            f"| {_pct(t.metrics.get('f1_weighted')) if t else '–'} | {fails} | {pub_text} |"
        )
    return "\n".join(lines) + "\n"


def _plot_confusion(result: TaskResult, path: Path) -> bool:
    confusion = result.metrics.get("confusion")
    if not confusion or not confusion.get("labels"):
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = confusion["labels"], confusion["matrix"]
    columns = confusion.get("columns", labels)
    size = max(4.0, 0.7 * len(columns) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    peak = max((max(row) for row in matrix), default=0) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(j, i, str(value), ha="center", va="center",
                    color="white" if value > peak / 2 else "black")
    title = f"{result.task} — {'adapter' if result.adapter else 'base'}"
    ax.set_title(f"{title}\naccuracy {_pct(result.metrics.get('accuracy'))}%")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _plot_bars(base: Sequence[TaskResult], tuned: Sequence[TaskResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(dict.fromkeys([r.task for r in base] + [r.task for r in tuned]))
    series = {"base": {r.task: r for r in base}, "finetuned": {r.task: r for r in tuned}}
    series = {k: v for k, v in series.items() if v}
    fig, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(names) + 2), 4))
    width = 0.8 / max(1, len(series))
    for k, (label, by_task) in enumerate(series.items()):
        values = [100 * float(by_task[n].metrics.get("accuracy", 0)) if n in by_task else 0
                  for n in names]
        xs = [i + k * width for i in range(len(names))]
        bars = ax.bar(xs, values, width, label=label)
        ax.bar_label(bars, fmt="%.1f", fontsize=8)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(names))], names)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 105)
    ax.legend()
    ax.set_title("finlora: base vs finetuned")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_results(out_dir: str | Path, base: Sequence[TaskResult],
                  tuned: Sequence[TaskResult]) -> Path:
    """Write results.json, results.md, per-task predictions and plots into `out_dir`.

    results.json: `tasks` (per task: majority baseline, base, finetuned and the class
    distribution; see `task_summaries`) and the full `base` / `finetuned` results."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "tasks": task_summaries(base, tuned),
        "base": [r.model_dump(exclude={"predictions", "targets"}) for r in base],
        "finetuned": [r.model_dump(exclude={"predictions", "targets"}) for r in tuned],
    }
    write_text_atomically(out / "results.json", json.dumps(payload, indent=2, default=str) + "\n")
    write_text_atomically(out / "results.md", markdown_table(base, tuned) + "\n"
                          + detail_table(base, tuned))
    for variant, results in (("base", base), ("finetuned", tuned)):
        for result in results:
            rows = [json.dumps({"prediction": p, "target": t})
                    for p, t in zip(result.predictions, result.targets, strict=True)]
            write_text_atomically(out / f"predictions_{result.task}_{variant}.jsonl",
                                  "\n".join(rows) + "\n")
            _plot_confusion(result, out / f"confusion_{result.task}_{variant}.png")
    _plot_bars(base, tuned, out / "accuracy.png")
    return out
