"""Typed errors. Each says which file, field or model is wrong and what to do about it.

The CLI turns any `FinloraError` into one line on stderr and exit code 2.
"""

from __future__ import annotations


class FinloraError(Exception):
    """Base class of every error finlora raises on purpose (bad input, missing model...)."""


class FilingError(FinloraError):
    """A filing could not be read: names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class ConfigError(FinloraError):
    """A configuration value is invalid: names the field."""


class ModelError(FinloraError):
    """A model or adapter cannot be found or loaded: says how to get it."""


class DataError(FinloraError):
    """A dataset or task input is missing, empty or malformed."""
