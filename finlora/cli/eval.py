"""`finlora eval`: score a model and adapter on tasks and write a results folder."""

from __future__ import annotations

import click


@click.command("eval")
@click.option("--task", "task_names", default="fpb",
              help="Comma-separated task names or suites (finlora, sentiment).")
@click.option("--suite", default=None, help="A suite name; same as --task SUITE.")
@click.option("--model", default=None, help="Base model: folder, HF id or 'default'.")
@click.option("--adapter", default=None, help="A PEFT adapter folder to compare with the base.")
@click.option("--no-base", is_flag=True, help="With --adapter: skip the base-model run.")
@click.option("--split", default="test", type=click.Choice(["train", "dev", "test"]))
@click.option("--limit", type=int, default=None, help="At most this many examples per task.")
@click.option("--batch-size", type=int, default=16)
@click.option("-o", "--output", "output", default="results", show_default=True,
              type=click.Path(file_okay=False), help="Results folder.")
def command(task_names: str, suite: str | None, model: str | None, adapter: str | None,
            no_base: bool, split: str, limit: int | None, batch_size: int, output: str) -> None:
    """Evaluate a model (and adapter) on finlora tasks; write JSON, a markdown table and plots.

    \b
    Examples:
      finlora eval --task fpb --limit 200
      finlora eval --suite sentiment --adapter finlora/adapters/sentiment -o results/sentiment
      finlora eval --suite finlora --model meta-llama/Llama-3.1-8B --adapter runs/llama/adapter
    """
    from finlora.errors import DataError
    from finlora.evaluation import evaluate, expand_task_names, markdown_table, write_results
    from finlora.infer import Predictor

    names = expand_task_names([suite] if suite else task_names.split(","))
    runs: dict[str, list] = {"base": [], "finetuned": []}
    variants = [("finetuned", "finetuned")] if adapter else []
    if not (adapter and no_base):
        variants.insert(0, ("base", "base" if adapter else None))
    # one base model in memory; the adapter is switched on and off, never reloaded
    predictor = Predictor(base_model=model, adapters={"finetuned": adapter} if adapter else None,
                          batch_size=batch_size)
    for variant, use_adapter in variants:
        for name in names:
            try:
                result = evaluate(name, model, adapter if variant == "finetuned" else None,
                                  split, limit=limit, predictor=predictor,
                                  use_adapter=use_adapter)
            except DataError as exc:  # e.g. a task whose data is not bundled
                click.echo(f"{variant:9} {name:12} skipped: {exc}", err=True)
                continue
            runs[variant].append(result)
            click.echo(f"{variant:9} {name:12} n={result.n:5} "
                       f"accuracy={result.metrics.get('accuracy', float('nan')):.4f} "
                       f"parse_failures={result.parse_failure_rate:.1%} "
                       f"({result.examples_per_second:.1f} ex/s)")
    out = write_results(output, runs["base"], runs["finetuned"])
    click.echo(markdown_table(runs["base"], runs["finetuned"]))
    click.echo(f"results written to {out}/")
