"""The bundled task data is FinLoRA's files, byte for byte, and the tasks load all of it.

tests/data/bundled_sources.json records the sha256, size and line count of each shared FinLoRA
file that finlora/tasks/data/ bundles gzipped (taken from those files and the shared data's
README). In CI the bundled copies are checked against that record; where the shared files
are beside the repo, the record is checked against them too.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from finlora import tasks

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "finlora" / "tasks" / "data"
RECORD = json.loads((REPO / "tests" / "data" / "bundled_sources.json").read_text())["files"]
SHARED = REPO.parent / "shared" / "data" / "finlora"


def _bundled(name: str) -> bytes:
    return gzip.decompress((BUNDLED / f"{name}.gz").read_bytes())


@pytest.mark.parametrize("name", sorted(RECORD))
def test_bundled_file_is_the_finlora_file(name: str) -> None:
    data = _bundled(name)
    want = RECORD[name]
    assert (len(data), data.count(b"\n")) == (want["bytes"], want["lines"])
    assert hashlib.sha256(data).hexdigest() == want["sha256"], f"{name} differs from its source"


@pytest.mark.parametrize("name", sorted(n for n, r in RECORD.items() if r["task"]))
def test_every_split_together_is_the_whole_file(name: str) -> None:
    """train + dev + test (test only where the file is only a test set) load exactly the
    file's prompts: the splits lose and invent nothing (FiNER / FNXL without the retrieved
    candidate tags, which rewrite the prompt)."""
    task_name = RECORD[name]["task"]
    options = {"retrieval_k": None} if task_name in ("finer", "fnxl") else {}
    task = tasks.get(task_name, **options)
    splits = ("test",) if task.name in ("fpb", "xbrl_value") else ("train", "dev", "test")
    ours = [ex.prompt for split in splits for ex in task.load(split)]
    lines = _bundled(name).decode().split("\n")  # not splitlines(): prompts hold U+2028
    theirs = [json.loads(line)["context"] for line in lines if line]
    assert sorted(set(ours)) == sorted(set(theirs))


@pytest.mark.skipif(not SHARED.is_dir(), reason="the shared FinLoRA files are not beside the repo")
@pytest.mark.parametrize("name", sorted(RECORD))
def test_the_record_matches_the_shared_files(name: str) -> None:
    data = (SHARED / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == RECORD[name]["sha256"]
