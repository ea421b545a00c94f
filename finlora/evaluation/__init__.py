"""Evaluation: `evaluate()` one task, and the results folder of `finlora eval`."""

from finlora.evaluation.harness import SUITES, TaskResult, evaluate, expand_task_names
from finlora.evaluation.report import markdown_table, write_results

__all__ = ["SUITES", "TaskResult", "evaluate", "expand_task_names", "markdown_table",
           "write_results"]
