"""`finlora extract`: key financial facts of a filing as exact, cited records; the model
cross-checks them, resolves what the rules cannot, and answers free questions."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("extract")
@click.argument("filing", type=click.Path(path_type=Path))
@click.option("--ask", "questions", multiple=True,
              help="A question (e.g. 'What was total revenue?') or a ratio name ('current "
                   "ratio'); repeatable. Default: the key concepts and ratios.")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "csv", "parquet"]),
              default="json", show_default=True)
@click.option("--model", default=None, help="Base model: folder, HF id or 'default'.")
@click.option("--adapter", default=None, type=click.Path(exists=True),
              help="A PEFT adapter folder (default: finlora's xbrl-extraction adapter if shipped).")
@click.option("--quantization", type=click.Choice(["none", "nf4", "int8"]), default="none",
              show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Output file (required for parquet; stdout otherwise). Written atomically.")
@click.option("--rules-only", is_flag=True,
              help="No model: key facts, ratios and checks from the rules only (fast).")
def command(filing: Path, questions: tuple[str, ...], fmt: str, model: str | None,
            adapter: str | None, quantization: str, output: Path | None,
            rules_only: bool) -> None:
    """Extract key financial facts from a filing (.xml instance, inline .htm or folder).

    Key facts and ratios come from the financial-statement layer: the filing's own facts for
    the report period (fiscal year of a 10-K, quarter of a 10-Q, year to date where only that
    is reported), ratios computed exactly, accounting checks run. The finetuned model
    cross-checks each key fact, resolves lines the standard mapping cannot and answers free
    questions; every record says which (`method`), its period kind and checks, and warns on
    disagreement or a failed check. A summary on stderr says where the model was needed.

    \b
    Examples:
      finlora extract examples/filings/tesla-10q-2024-06-30/tsla-20240630_htm.xml
      finlora extract examples/filings/netflix-10k-2023-12-31 --format csv -o netflix.csv
      finlora extract examples/filings/microsoft-10k-2015-06-30 --rules-only
      finlora extract examples/filings/apple-10q-2025-03-29 --ask "What was net sales?" \\
          --ask "current ratio" --format jsonl
    """
    from finlora.errors import ConfigError
    from finlora.infer.extraction import extract, summary
    from finlora.infer.output import records_text, write_records
    from finlora.xbrl import load_filing

    if fmt == "parquet" and output is None:
        raise ConfigError("--format parquet needs -o/--output")
    loaded = load_filing(filing)  # bad input fails before the model loads
    if rules_only:
        records = extract(None, loaded, list(questions) or None)
    else:
        from finlora.infer import XBRLTagger

        tagger = XBRLTagger.from_pretrained(model, adapter, quantization=quantization)  # type: ignore[arg-type]
        records = tagger.extract(loaded, list(questions) or None)
    facts = summary(records)
    needed = ", ".join(facts["model_needed_for"]) or (
        "nothing" if facts["unresolved"] else "nothing (the rules found every line)")
    click.echo(f"finlora: {loaded.path.name}: model needed for: {needed}; cross-checked "
               f"{facts['model_cross_checked']} rules records, disagrees on "
               f"{', '.join(facts['model_disagrees_on']) or 'none'}; failed checks: "
               f"{', '.join(facts['checks_failed']) or 'none'}; unresolved: "
               f"{', '.join(facts['unresolved']) or 'none'}", err=True)
    if output is None:
        sys.stdout.write(records_text(records, fmt))  # type: ignore[arg-type]
        return
    write_records(records, output, fmt)  # type: ignore[arg-type]
    click.echo(f"{len(records)} records written to {output}", err=True)
