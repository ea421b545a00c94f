"""`finlora batch`: grounded extraction over many filings, resumable, sharded under torchrun."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from finlora.errors import EXIT_BATCH_PARTIAL


@click.command("batch")
@click.argument("filings")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Output folder: one file per filing plus manifest.jsonl.")
@click.option("--ask", "questions", multiple=True,
              help="Questions or ratio names to answer for every filing (default: key facts).")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv", "parquet"]),
              default="jsonl", show_default=True)
@click.option("--model", default=None, help="Base model: folder, HF id or 'default'.")
@click.option("--adapter", default=None, type=click.Path(exists=True), help="A PEFT adapter folder.")
@click.option("--quantization", type=click.Choice(["none", "nf4", "int8"]), default="none",
              show_default=True)
@click.option("--force", is_flag=True, help="Redo filings whose output already exists.")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Processes parsing filings while the model runs (default: one per spare "
                   "core; 0: parse in the main process).")
def command(filings: str, out_dir: Path, questions: tuple[str, ...], fmt: str,
            model: str | None, adapter: str | None, quantization: str, force: bool,
            workers: int | None) -> None:
    """Extract from many filings: a folder of filings (sub-folders, instances, inline .htm,
    EDGAR .txt submissions, .zip files) or a glob pattern.

    Filings are parsed in worker processes while the model runs in the main one. Finished
    filings (their output exists) are skipped, so an interrupted batch resumes. A bad
    filing is recorded in OUT/manifest.jsonl and the batch goes on; the exit code is 0 only if
    every filing succeeded (6 otherwise). Under torchrun each rank takes its share.

    \b
    Examples:
      finlora batch examples/filings -o out/
      finlora batch 'examples/filings/*/*_htm.xml' -o out/ --format csv --ask "current ratio"
      torchrun --nproc-per-node 2 -m finlora batch examples/filings -o out/
    """
    from finlora.infer import XBRLTagger
    from finlora.infer.batch import find_filings, run_batch, shard

    paths = find_filings(filings)
    rank, world_size = shard()
    device = None
    if world_size > 1:
        from finlora.torchrun import launch, local_device

        gpu = local_device(launch())
        device = str(gpu) if gpu.type == "cuda" else None
    tagger = XBRLTagger.from_pretrained(model, adapter, quantization=quantization,  # type: ignore[arg-type]
                                        device=device)
    result = run_batch(paths, out_dir, tagger, questions=list(questions) or None,
                       fmt=fmt, rank=rank, world_size=world_size, force=force,  # type: ignore[arg-type]
                       workers=workers)
    click.echo(f"rank {rank}: {len(result.ok)} done, {len(result.skipped)} skipped, "
               f"{len(result.failed)} failed (see {out_dir / 'manifest.jsonl'})", err=True)
    for path, error in result.failed.items():
        click.echo(f"  failed: {path}: {error}", err=True)
    if not result.all_succeeded:
        sys.exit(EXIT_BATCH_PARTIAL)
