"""`finlora pipeline`: label scoring with the model's layers split over torchrun's processes."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("pipeline")
@click.option("--task", "task_name", default="fpb", show_default=True)
@click.option("--limit", default=8, show_default=True, help="Score the first N test examples.")
@click.option("--model", default=None, help="Base model (default: the embedded one).")
@click.option("--batch-size", default=8, show_default=True)
@click.option("--microbatches", default=2, show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="JSON file of scores, written by the last stage.")
def command(task_name: str, limit: int, model: str | None, batch_size: int, microbatches: int,
            output: Path) -> None:
    """Score a task's allowed answers with the model split over the torchrun ranks.

    Each rank loads only its own layers' weights, so a model too large for one device runs
    when split over enough of them.

    \b
    Example:
      torchrun --nproc-per-node 2 -m finlora pipeline --task fpb --limit 8 -o scores.json
    """
    import torch.distributed as dist

    from finlora import tasks, torchrun
    from finlora.atomic import write_text_atomically
    from finlora.infer.pipeline import load_stage_model, pipeline_score_labels
    from finlora.models import default_dtype, load_tokenizer, resolve_model

    task = tasks.get(task_name)
    path = resolve_model(model)
    world = torchrun.setup(join_alone=True)
    try:
        examples = task.load("test", limit=limit)
        tokenizer = load_tokenizer(path)
        lm = load_stage_model(path, dist.get_rank(), dist.get_world_size(),
                              default_dtype(world.device))
        scores = pipeline_score_labels(lm, tokenizer, [ex.prompt for ex in examples],
                                       [list(task.candidates(ex) or []) for ex in examples],
                                       batch_size=batch_size, microbatches=microbatches,
                                       device=world.device)
        if scores is not None:
            rows = [{"best": s.best, "labels": s.labels, "scores": s.scores} for s in scores]
            write_text_atomically(output, json.dumps(rows, indent=1))
    finally:
        torchrun.teardown(world)
