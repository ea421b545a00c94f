"""The tag-retrieval k of an XBRL tagging adapter is the one used at inference."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from finlora import tasks
from finlora.errors import DataError
from finlora.evaluation.shipped import shipped_adapter_for
from finlora.tasks.xbrl_tagging_adapter import adapter_retrieval_k, use_adapter_retrieval_k


def adapter(tmp_path: Path, meta: dict) -> Path:
    (tmp_path / "finlora_metadata.json").write_text(json.dumps(meta))
    return tmp_path


def test_recorded_k_sets_the_candidates_per_numeral(tmp_path: Path) -> None:
    task = tasks.get("finer")
    use_adapter_retrieval_k(task, adapter(tmp_path, {"tasks": ["finer"], "retrieval_k": 5}))
    example = task.load("test", limit=1)[0]
    # a FiNER prompt asks about 4 numerals; each is offered its top 5 tags, not the default 10
    assert [len(slot) for slot in example.meta["slot_tags"]] == [5, 5, 5, 5]


def test_no_recorded_k_keeps_the_task_default(tmp_path: Path) -> None:
    task = tasks.get("fnxl")
    before = task.retrieval_k
    use_adapter_retrieval_k(task, adapter(tmp_path, {"tasks": ["finer"]}))
    assert task.retrieval_k == before
    assert adapter_retrieval_k(tmp_path / "no-such-adapter") == (False, None)


def test_null_means_every_tag_and_bad_values_are_refused(tmp_path: Path) -> None:
    task = tasks.get("finer")
    use_adapter_retrieval_k(task, adapter(tmp_path, {"retrieval_k": None}))
    assert task.retrieval_k is None
    with pytest.raises(DataError, match="retrieval_k"):
        adapter_retrieval_k(adapter(tmp_path, {"retrieval_k": "5"}))


def test_shipped_tagging_adapter_records_the_k_of_its_training_command() -> None:
    folder = shipped_adapter_for(tasks.get("finer"))
    meta = json.loads((folder / "finlora_metadata.json").read_text())
    trained = re.search(r"--retrieval-k (\d+)", meta["command"])
    expected = int(trained.group(1)) if trained else 10  # the script's default is 10
    assert adapter_retrieval_k(folder) == (True, expected)
