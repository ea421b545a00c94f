"""An adapter folder's finlora_metadata.json: what training recorded beside the weights
(tasks, tokenizer fingerprint, retrieval k, scoring choices). No torch here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from finlora.errors import DataError

METADATA = "finlora_metadata.json"


def read_adapter_metadata(adapter_dir: str | Path) -> dict[str, Any]:
    """The adapter's metadata ({} when the folder has none); a DataError naming the file when
    it cannot be read."""
    path = Path(adapter_dir) / METADATA
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: unreadable adapter metadata ({exc})") from exc
