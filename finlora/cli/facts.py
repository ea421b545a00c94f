"""`finlora facts`: the facts of a filing as JSONL, CSV or Parquet."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("facts")
@click.argument("filing", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl",
              show_default=True)
@click.option("--concept", "concepts", multiple=True,
              help="Keep facts of this concept (local name or QName); repeatable.")
@click.option("--period", default=None, help="Keep facts at this instant / ending this day.")
@click.option("--no-dimensions", is_flag=True, help="Keep only facts without dimensions.")
@click.option("--engine", type=click.Choice(["auto", "arelle", "lxml"]), default="auto",
              show_default=True)
@click.option("--taxonomy-package", "packages", multiple=True, type=click.Path(exists=True),
              help="An official taxonomy package (zip); repeatable.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Output file (required for parquet; stdout otherwise).")
def command(filing: Path, fmt: str, concepts: tuple[str, ...], period: str | None,
            no_dimensions: bool, engine: str, packages: tuple[str, ...],
            output: Path | None) -> None:
    """Read the facts of an XBRL filing: instance .xml, inline .htm, a filing folder (as
    downloaded from EDGAR), an EDGAR complete-submission .txt or a .zip.

    \b
    Examples:
      finlora facts examples/filings/tesla-10q-2024-06-30 --concept Assets --no-dimensions
      finlora facts examples/filings/apple-10q-2025-03-29/aapl-20250329.htm --format csv -o f.csv
      finlora facts examples/filings/netflix-10k-2023-12-31 --period 2023-12-31 -o n.parquet \\
          --format parquet
      finlora facts 0000320193-25-000057.txt --concept Assets
    """
    from finlora.errors import FinloraError
    from finlora.xbrl import load_filing

    loaded = load_filing(filing, engine=engine, taxonomy_packages=packages)  # type: ignore[arg-type]
    query = loaded.facts.query()
    if concepts:
        query = query.concepts(concepts)
    if period:
        query = query.period(period)
    if no_dimensions:
        query = query.without_dimensions()
    if output is None:
        if fmt == "parquet":
            raise FinloraError("--format parquet needs -o/--output")
        query.write_jsonl(sys.stdout) if fmt == "jsonl" else query.write_csv(sys.stdout)
        return
    {"jsonl": query.to_jsonl, "csv": query.to_csv, "parquet": query.to_parquet}[fmt](output)
    click.echo(f"{query.count()} facts written to {output}", err=True)
