"""Typed errors. Each says which file, field or model is wrong and what to do about it.

The CLI turns any `FinloraError` into one line on stderr and the class's `exit_code`:

    0  ok
    1  unexpected error (a bug: please report it) or aborted
    2  usage error (bad option or argument; click's own code)
    3  bad input: a filing, dataset or task input that cannot be used (FilingError, DataError)
    4  model or adapter problem: missing, unloadable, or trained with another tokenizer
       (ModelError)
    5  configuration error: an invalid setting (ConfigError)
    6  batch partial failure: some filings failed, see the manifest (`finlora batch`)
    7  other finlora error, e.g. a missing optional dependency (FinloraError)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_BATCH_PARTIAL = 6

EXIT_CODES_HELP = """\
Exit codes:
  0  ok
  1  unexpected error (a bug) or aborted
  2  usage error (bad option or argument)
  3  bad input data or filing
  4  model or adapter problem
  5  configuration error
  6  batch: some filings failed (see the manifest)
  7  other finlora error (e.g. a missing optional dependency)"""


class FinloraError(Exception):
    """Base class of every error finlora raises on purpose (bad input, missing model...)."""

    exit_code = 7


class FilingError(FinloraError):
    """A filing could not be read: names the file and the problem."""

    exit_code = 3

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ConfigError(FinloraError):
    """A configuration value is invalid: names the field."""

    exit_code = 5


class ModelError(FinloraError):
    """A model or adapter cannot be found or loaded: says how to get it."""

    exit_code = 4


class DataError(FinloraError):
    """A dataset or task input is missing, empty or malformed."""

    exit_code = 3
