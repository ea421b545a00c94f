"""Evaluation: `evaluate()` one task (its bundled split or any data file), and the results
folder of `finlora eval`."""

from finlora.evaluation.harness import TaskResult, evaluate, expand_task_names
from finlora.evaluation.report import markdown_table, write_results
from finlora.evaluation.stats import class_distribution, majority_baseline, mcc
from finlora.evaluation.summary import detail_table, task_summaries

__all__ = ["TaskResult", "class_distribution", "detail_table", "evaluate",
           "expand_task_names", "majority_baseline", "markdown_table", "mcc", "task_summaries",
           "write_results"]
