"""`--adapter shipped`: the adapter finlora ships for a task."""

from __future__ import annotations

from pathlib import Path

from finlora.errors import ModelError
from finlora.models import shipped_adapters
from finlora.tasks import Task
from finlora.tasks.adapter_metadata import read_adapter_metadata

# an adapter that serves every task of a kind, beyond the tasks its metadata lists
FOR_KIND = {"xbrl-extraction": "extraction"}


def shipped_adapter_for(task: Task) -> Path:
    """The shipped adapter trained for `task` (by the task names in its metadata, or for
    the task's kind); a ModelError listing what ships when there is none."""
    offered = []
    for folder in shipped_adapters():
        meta = read_adapter_metadata(folder)
        trained = list(meta.get("tasks", []))
        if task.name in trained or FOR_KIND.get(folder.name) == task.kind:
            return folder
        kind = FOR_KIND.get(folder.name)
        offered.append(f"{folder.name} (tasks {', '.join(trained)}"
                       + (f"; any {kind} task" if kind else "") + ")")
    raise ModelError(f"no shipped adapter for task {task.name!r}; finlora ships: "
                     f"{'; '.join(offered) or 'none'}. Pass an adapter folder instead")
