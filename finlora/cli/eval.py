"""`finlora eval`: score a model and adapter on tasks (or on your own data file) and write a
results folder."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("eval")
@click.option("--task", "task_names", default="fpb",
              help="Comma-separated task names or suites (finlora, sentiment).")
@click.option("--suite", default=None, help="A suite name; same as --task SUITE.")
@click.option("--data", default=None, type=click.Path(exists=True, path_type=Path),
              help="Score this FinLoRA-format JSONL file (context, target) or saved HF dataset "
                   "instead of the task's bundled split; needs exactly one --task.")
@click.option("--model", default=None, help="Base model: folder, HF id or 'default'.")
@click.option("--adapter", default=None,
              help="A PEFT adapter folder to compare with the base, or 'shipped': finlora's "
                   "shipped adapter for each task.")
@click.option("--no-base", is_flag=True, help="With --adapter: skip the base-model run.")
@click.option("--split", default="test", type=click.Choice(["train", "dev", "test"]))
@click.option("--limit", type=int, default=None, help="At most this many examples per task.")
@click.option("--batch-size", type=int, default=16)
@click.option("-o", "--output", "output", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Results folder.")
def command(task_names: str, suite: str | None, data: Path | None, model: str | None,
            adapter: str | None, no_base: bool, split: str, limit: int | None,
            batch_size: int, output: str) -> None:
    """Evaluate a model (and adapter) on finlora tasks; write JSON, markdown tables and plots.

    Per task: accuracy, weighted and macro F1, MCC and parse failures of the base model and the
    finetuned one, next to the majority-class baseline and the class distribution of the
    evaluated set. The tables go to stdout and OUTPUT/results.md; OUTPUT/results.json has all.

    \b
    Examples:
      finlora eval --task fpb --limit 200
      finlora eval --task fpb --data my.jsonl --adapter shipped
      finlora eval --suite sentiment --adapter finlora/adapters/sentiment -o results/sentiment
      finlora eval --suite finlora --model meta-llama/Llama-3.1-8B --adapter runs/llama/adapter
    """
    from finlora import tasks
    from finlora.errors import DataError
    from finlora.evaluation import (
        detail_table,
        evaluate,
        expand_task_names,
        markdown_table,
        write_results,
    )
    from finlora.evaluation.harness import SHIPPED, load_examples
    from finlora.evaluation.shipped import shipped_adapter_for
    from finlora.infer import Predictor
    from finlora.tasks.xbrl_tagging_adapter import use_adapter_retrieval_k

    names = expand_task_names([suite] if suite else task_names.split(","))
    if data is not None and len(names) != 1:
        raise click.UsageError(f"--data scores one task; got {len(names)}: {', '.join(names)}")
    task_objects = [tasks.get(name) for name in names]
    if data is not None:  # bad data fails before any model is loaded
        load_examples(task_objects[0], data, split, limit)
    # adapter name per task: "finetuned" for a folder, the shipped adapter's own name otherwise
    folders: dict[str, str] = {}
    use: dict[str, str] = {}
    for task in task_objects if adapter else []:
        folder = shipped_adapter_for(task) if adapter == SHIPPED else Path(adapter)
        use_adapter_retrieval_k(task, folder)  # FiNER / FNXL: the k the adapter trained with
        key = folder.name if adapter == SHIPPED else "finetuned"
        folders[key], use[task.name] = str(folder), key
    variants = ["finetuned"] if adapter else []
    if not (adapter and no_base):
        variants.insert(0, "base")
    # one base model in memory; adapters are switched on and off, never reloaded
    predictor = Predictor(base_model=model, adapters=folders or None, batch_size=batch_size)
    runs: dict[str, list] = {"base": [], "finetuned": []}
    for variant in variants:
        for task in task_objects:
            on = use[task.name] if variant == "finetuned" else ("base" if adapter else None)
            try:
                result = evaluate(task, model, folders[on] if variant == "finetuned" else None,
                                  split, data=data, limit=limit, predictor=predictor,
                                  use_adapter=on)
            except DataError as exc:  # e.g. a task whose data is not bundled
                if data is not None:
                    raise
                click.echo(f"finlora: {variant} {task.name}: skipped: {exc}", err=True)
                continue
            runs[variant].append(result)
            click.echo(f"finlora: {variant:9} {task.name:12} n={result.n:5} "
                       f"accuracy={result.metrics.get('accuracy', float('nan')):.4f} "
                       f"parse_failures={result.parse_failure_rate:.1%} "
                       + ("calibrated " if result.calibrated else "")
                       + ", ".join(f"{kind} {n}" for kind, n in result.answered.items())
                       + f" ({result.examples_per_second:.1f} ex/s)", err=True)
    out = write_results(output, runs["base"], runs["finetuned"])
    click.echo(markdown_table(runs["base"], runs["finetuned"]))
    click.echo(detail_table(runs["base"], runs["finetuned"]), nl=False)
    click.echo(f"finlora: results written to {out}/", err=True)
