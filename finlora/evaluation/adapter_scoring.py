"""The label scoring an adapter's tasks were chosen on dev to use, applied by `evaluate()`.

Plain label scoring or calibrated scoring (`finlora.infer.calibrated_answers`: each label's
log-probability relative to a content-free "N/A" prompt) is picked per task on its dev split
(`scripts/calibration_dev_select.py`). The adapter's finlora_metadata.json records the tasks
that chose calibrated as `calibrated_tasks` (a list of task names); an adapter without the key
uses plain scoring everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

from finlora.errors import DataError

METADATA = "finlora_metadata.json"
KEY = "calibrated_tasks"


def adapter_calibrated_tasks(adapter_dir: str | Path) -> frozenset[str]:
    """The task names the adapter's metadata says to score calibrated (empty when none)."""
    path = Path(adapter_dir) / METADATA
    if not path.is_file():
        return frozenset()
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: unreadable adapter metadata ({exc})") from exc
    names = meta.get(KEY, [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DataError(f"{path}: {KEY} must be a list of task names, not {names!r}")
    return frozenset(names)
