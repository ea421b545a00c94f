"""`finlora tag`: US-GAAP tags for the numerals of financial text (FiNER style)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("tag")
@click.argument("text_or_file")
@click.option("--tags", default=None,
              help="Comma-separated tags to choose from (default: FiNER-139's tag set).")
@click.option("--model", default=None, help="Base model: folder, HF id or 'default'.")
@click.option("--adapter", default=None, type=click.Path(exists=True), help="A PEFT adapter folder.")
@click.option("--quantization", type=click.Choice(["none", "nf4", "int8"]), default="none",
              show_default=True)
def command(text_or_file: str, tags: str | None, model: str | None, adapter: str | None,
            quantization: str) -> None:
    """Tag every numeral of a text (or a text file) with a US-GAAP tag; one JSON line each.

    Each numeral gets exactly one allowed tag (constrained decoding), its probability and the
    runners-up. Bare years are not tagged.

    \b
    Examples:
      finlora tag "Revenue was $ 25.5 billion, up 2 % from last year."
      finlora tag notes.txt --tags Revenues,NetIncomeLoss,ConcentrationRiskPercentage1
    """
    from finlora.infer import XBRLTagger

    path = Path(text_or_file)
    text = path.read_text() if len(text_or_file) < 4096 and path.is_file() else text_or_file
    tagger = XBRLTagger.from_pretrained(model, adapter, quantization=quantization)  # type: ignore[arg-type]
    options = [t.strip() for t in tags.split(",") if t.strip()] if tags else None
    for numeral in tagger.tag(text, tags=options):
        click.echo(json.dumps(numeral.model_dump(mode="json")))
