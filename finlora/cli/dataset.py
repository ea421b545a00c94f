"""`finlora dataset`: write XBRL questions with gold answers built from filings (JSONL)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("dataset")
@click.argument("filings", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="JSONL file to write (FinLoRA format: context, target, meta).")
@click.option("--kind", "kinds", multiple=True,
              type=click.Choice(["tag", "value", "formula", "calculation", "tagging"]),
              help="Question kinds (default: tag, value, formula, calculation). 'tagging' "
                   "builds FiNER-style examples from inline .htm filings.")
def command(filings: tuple[Path, ...], output: Path, kinds: tuple[str, ...]) -> None:
    """Write a training dataset of questions built from filings.

    Questions and gold answers come from the financial-statement layer: the report period
    (fiscal year of a 10-K, quarter of a 10-Q, year to date where only that is reported), the
    standard lines (key facts plus R&D, income tax, operating cash flow, capex, SG&A, interest
    expense, also asked as free questions) and FinLoRA's ratio definitions.

    \b
    Examples:
      finlora dataset examples/filings/tesla-10q-2024-06-30 -o tesla.jsonl
      finlora dataset examples/filings/*/ -o xbrl.jsonl --kind tag --kind value
      finlora dataset examples/filings/apple-10q-2025-03-29/aapl-20250329.htm --kind tagging \\
          -o finer_apple.jsonl
    """
    from finlora.atomic import write_atomically
    from finlora.tasks import XBRLExtraction, XBRLTagging
    from finlora.xbrl import load_filing

    extraction = [k for k in kinds if k != "tagging"] or (
        [] if kinds else ["tag", "value", "formula", "calculation"])
    rows = []
    for path in filings:
        filing = load_filing(path)
        examples = XBRLExtraction.from_filing(filing, extraction) if extraction else []
        if "tagging" in kinds:
            examples += XBRLTagging.from_filing(filing)
        rows += [{"context": ex.prompt, "target": ex.target, "meta": ex.meta} for ex in examples]

    def write(tmp: Path) -> None:
        tmp.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))

    write_atomically(output, write)
    click.echo(f"{len(rows)} examples from {len(filings)} filing(s) written to {output}", err=True)
