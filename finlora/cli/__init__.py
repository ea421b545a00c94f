"""The `finlora` command line: a click group whose commands live in their own modules.

Commands are imported only when used, so `finlora --help` stays fast and torch-free. Every
`FinloraError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from finlora.errors import FinloraError

# command name -> "module:function"; each module holds one thin click command.
COMMANDS: dict[str, tuple[str, str]] = {
    "models": ("finlora.cli.models", "List the base models and adapters available offline."),
    "facts": ("finlora.cli.facts", "Read the facts of an XBRL filing (.xml, inline .htm, folder)."),
    "dataset": ("finlora.cli.dataset", "Write a training dataset of questions built from filings."),
    "train": ("finlora.cli.train", "Finetune a base model with (Q)LoRA on finlora tasks."),
    "extract": ("finlora.cli.extract", "Extract key financial facts from a filing, grounded."),
    "statements": ("finlora.cli.statements", "Balance sheet, income, cash flows of a filing."),
    "tag": ("finlora.cli.tag", "Tag numerals in financial text with US-GAAP XBRL tags."),
    "batch": ("finlora.cli.batch", "Extract from many filings; resumable, errors in a manifest."),
    "eval": ("finlora.cli.eval", "Evaluate a model (and adapter) on finlora tasks."),
}


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        return module.command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="finlora")
def cli() -> None:
    """finlora: QLoRA finetuning for financial NLP, and grounded XBRL extraction.

    \b
    Examples:
      finlora models
      finlora facts examples/filings/tesla-10q-2024-06-30/tsla-20240630_htm.xml --concept Assets
      finlora extract examples/filings/tesla-10q-2024-06-30/tsla-20240630_htm.xml
      finlora train --task fpb --steps 50 -o runs/fpb
      finlora eval --task fpb --limit 200
    """


def main() -> None:
    """Entry point: run the CLI, turning finlora errors into one line and exit code 2."""
    try:
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except FinloraError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    # a command that returns an int (or raises Exit, which click turns into its code here)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
