"""The `finlora` command line: a click group whose commands live in their own modules.

Commands are imported only when used, so `finlora --help` stays fast and torch-free. Every
`FinloraError` becomes one line on stderr and its class's exit code (see finlora/errors.py).
Third-party logs, warnings and progress bars are silenced unless -v/--verbose is given.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from finlora.errors import EXIT_CODES_HELP, EXIT_UNEXPECTED, FinloraError
from finlora.models.fingerprint import ALLOW_MISMATCH_ENV
from finlora.models.load import bitsandbytes_visible
from finlora.quiet import bitsandbytes_wanted, quiet_libraries

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
    "pipeline": ("finlora.cli.pipeline", "Score labels with the model split over torchrun ranks."),
}


def _set_verbose(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        os.environ["FINLORA_VERBOSE"] = "1"


def _set_allow_mismatch(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        os.environ[ALLOW_MISMATCH_ENV] = "1"


def _shared_options() -> list[click.Option]:
    """Options every command accepts, before or after its name (`finlora -v extract ...` and
    `finlora extract -v ...`)."""
    return [
        click.Option(["-v", "--verbose"], is_flag=True, expose_value=False, is_eager=True,
                     callback=_set_verbose,
                     help="Show the libraries' logs, warnings and progress bars."),
        click.Option(["--allow-tokenizer-mismatch"], is_flag=True, expose_value=False,
                     is_eager=True, callback=_set_allow_mismatch,
                     help="Load an adapter trained with another tokenizer anyway."),
    ]


class LazyGroup(click.Group):
    """A click group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        command = importlib.import_module(COMMANDS[cmd_name][0]).command
        names = {name for param in command.params for name in param.opts}
        command.params.extend(o for o in _shared_options() if not names & set(o.opts))
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             params=_shared_options(), epilog="\b\n" + EXIT_CODES_HELP)
@click.version_option(package_name="finlora")
def cli() -> None:
    """finlora: QLoRA finetuning for financial NLP, and grounded XBRL extraction.

    \b
    Examples:
      finlora models
      finlora facts examples/filings/tesla-10q-2024-06-30/tsla-20240630_htm.xml --concept Assets
      finlora extract examples/filings/tesla-10q-2024-06-30/tsla-20240630_htm.xml
      finlora train --task fpb --steps 50 -o runs/fpb
      finlora eval --task fpb --data my.jsonl --adapter shipped
    """


def main() -> None:
    """Entry point: run the CLI, turning a finlora error into one line and its exit code."""
    verbose = any(arg in ("-v", "--verbose") for arg in sys.argv[1:])
    quiet_libraries(verbose or os.environ.get("FINLORA_VERBOSE") == "1")
    if not bitsandbytes_wanted(sys.argv[1:]):
        bitsandbytes_visible(False)
    try:
        code = cli.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Aborted.", err=True)
        sys.exit(EXIT_UNEXPECTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except FinloraError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    # a command that returns an int (or raises Exit, which click turns into its code here)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
