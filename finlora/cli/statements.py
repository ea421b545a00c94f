"""`finlora statements`: balance sheet, income statement and cash flows of a filing, from its
presentation linkbase, with the calculation checks that show the totals tie."""

from __future__ import annotations

import json
from pathlib import Path

import click

STATEMENTS = ("balance", "income", "cashflow")


@click.command("statements")
@click.argument("filing", type=click.Path(path_type=Path))
@click.option("--statement", "kinds", multiple=True, type=click.Choice(STATEMENTS),
              help="Which statement (repeatable; default: all three).")
@click.option("--period", default=None,
              help="current (default), prior, ytd, a date (2023-12-31) or a fiscal year "
                   "(FY2022); the comparative period is added as a second column.")
@click.option("--format", "fmt", type=click.Choice(["md", "csv", "json", "parquet"]),
              default="md", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Output file (required for parquet; stdout otherwise). Written atomically.")
def command(filing: Path, kinds: tuple[str, ...], period: str | None, fmt: str,
            output: Path | None) -> None:
    """Print a filing's financial statements (.xml instance, inline .htm or folder).

    Line order and labels are the filing's (presentation linkbase); values are its
    consolidated facts as reported (XBRL signs); columns are the report period (fiscal year
    of a 10-K, quarter of a 10-Q; year to date for a 10-Q's cash flows) and its comparative.
    Each statement ends with its calculation checks ("totals tie: N of N").

    \b
    Examples:
      finlora statements examples/filings/microsoft-10k-2015-06-30 --statement income
      finlora statements examples/filings/tesla-10q-2024-06-30 --period ytd --format csv
      finlora statements examples/filings/amazon-10k-2022-12-31 --period FY2021 --format json
    """
    from finlora.atomic import write_atomically, write_text_atomically
    from finlora.errors import ConfigError
    from finlora.xbrl import load_filing
    from finlora.xbrl.financials import financials

    if fmt == "parquet" and output is None:
        raise ConfigError("--format parquet needs -o/--output")
    fin = financials(load_filing(filing))
    statements = [fin.statement(kind, period) for kind in (kinds or STATEMENTS)]
    notes = fin.notes
    if fmt == "parquet":
        import pandas as pd

        frames = []
        for statement in statements:
            frame = statement.to_dataframe().reset_index()
            frame.insert(0, "statement", statement.kind)
            frames.append(frame)
        table = pd.concat(frames, ignore_index=True).astype(str)
        write_atomically(output, lambda tmp: table.to_parquet(tmp, index=False))  # type: ignore[arg-type]
    else:
        if fmt == "json":
            text = json.dumps({"filing": fin.filing.path.name, "notes": notes, "statements": [
                json.loads(s.to_text("json")) for s in statements]}, indent=2) + "\n"
        else:
            text = "\n".join(s.to_text(fmt) for s in statements)
            if fmt == "md" and notes:
                text += "".join(f"\nnote: {n}" for n in notes) + "\n"
        if output is None:
            click.echo(text, nl=False)
        else:
            write_text_atomically(output, text)
    failed = sum(not c.passed for s in statements for c in s.ties)
    total = sum(len(s.ties) for s in statements)
    click.echo(f"{fin.filing.path.name}: {len(statements)} statement(s); totals tie: "
               f"{total - failed} of {total} calculation relationships", err=True)
