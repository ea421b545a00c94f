"""The label scoring an adapter's tasks were chosen on dev to use, applied by `evaluate()`.

Plain label scoring or calibrated scoring (`finlora.infer.calibrated_answers`: each label's
log-probability relative to a content-free "N/A" prompt) is picked per task on its dev split
(`scripts/calibration_dev_select.py`). The adapter's finlora_metadata.json records the tasks
that chose calibrated as `calibrated_tasks` (a list of task names); an adapter without the key
uses plain scoring everywhere.
"""

from __future__ import annotations

from pathlib import Path

from finlora.errors import DataError
from finlora.tasks.adapter_metadata import METADATA, read_adapter_metadata

KEY = "calibrated_tasks"


def adapter_calibrated_tasks(adapter_dir: str | Path) -> frozenset[str]:
    """The task names the adapter's metadata says to score calibrated (empty when none)."""
    names = read_adapter_metadata(adapter_dir).get(KEY, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(f"{Path(adapter_dir) / METADATA}: {KEY} must be a list of task "
                        f"names, not {names!r}")
    return frozenset(names)
