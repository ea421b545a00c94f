"""The tag-retrieval k an XBRL tagging adapter was trained with, applied at inference.

An adapter trained on prompts listing each numeral's top-5 retrieved tags should be scored on
prompts listing the top 5, not the registry's default 10. Training records the k it used as
`retrieval_k` in the adapter's finlora_metadata.json (null: every tag listed); an adapter
without the key was trained at the registry's default (`RETRIEVAL_K`).
"""

from __future__ import annotations

from pathlib import Path

from finlora.errors import DataError
from finlora.tasks.adapter_metadata import METADATA, read_adapter_metadata
from finlora.tasks.base import Task
from finlora.tasks.xbrl_tagging import XBRLTagging

KEY = "retrieval_k"


def adapter_retrieval_k(adapter_dir: str | Path) -> tuple[bool, int | None]:
    """(recorded, k): whether the adapter's metadata records a retrieval k, and that k."""
    meta = read_adapter_metadata(adapter_dir)
    if KEY not in meta:
        return False, None
    k = meta[KEY]
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise DataError(f"{Path(adapter_dir) / METADATA}: {KEY} must be a positive integer or "
                        f"null, not {k!r}")
    return True, k


def use_adapter_retrieval_k(task: Task, adapter_dir: str | Path) -> None:
    """Give an XBRL tagging `task` the retrieval k its adapter was trained with; other tasks,
    and adapters that record no k, are left as they are."""
    if not isinstance(task, XBRLTagging):
        return
    recorded, k = adapter_retrieval_k(adapter_dir)
    if recorded:
        task.retrieval_k = k
