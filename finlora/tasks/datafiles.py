"""Task data: the bundled FinLoRA files, deterministic splits, and user-supplied data.

The bundled FinLoRA files are test splits only (see data/README.md). finlora splits each one
deterministically into train / dev / test by a hash of the example's input text, so a split
never changes between runs or machines, and an input never sits in two splits.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from finlora.errors import DataError
from finlora.tasks.base import Example, Split
from finlora.tasks.dedup import normalized, split_keys

DATA_DIR = Path(__file__).parent / "data"
# fractions of train / dev; the rest is test
SPLIT_FRACTIONS = (0.7, 0.1)


def split_of(key: str, fractions: tuple[float, float] = SPLIT_FRACTIONS) -> Split:
    """The split an example belongs to, from a hash of its key (normally the input text)."""
    bucket = int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big") / 2**64
    if bucket < fractions[0]:
        return "train"
    if bucket < fractions[0] + fractions[1]:
        return "dev"
    return "test"


def split_deduplicated(examples: list[Example], text_of: Callable[[Example], str],
                       fractions: tuple[float, float] = SPLIT_FRACTIONS,
                       ) -> dict[Split, list[Example]]:
    """Examples by split, deduplicated before splitting: a later example whose input text
    equals an earlier one once normalized (URLs stripped...) is dropped, and near duplicates
    (`finlora.tasks.dedup`) share their group's split, so none straddles train and test."""
    seen: set[str] = set()
    kept: list[tuple[Example, str]] = []
    for example in examples:
        text = text_of(example)
        key = normalized(text)
        if key not in seen:
            seen.add(key)
            kept.append((example, text))
    out: dict[Split, list[Example]] = {"train": [], "dev": [], "test": []}
    for (example, _), key in zip(kept, split_keys([t for _, t in kept]), strict=True):
        out[split_of(key, fractions)].append(example)
    return out


def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    return path.open(encoding="utf-8")


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a (optionally gzipped) JSONL file; a bad line is a DataError naming it."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    with _open_text(path) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from exc


def read_csv(path: str | Path) -> Iterator[dict[str, str]]:
    path = Path(path)
    with _open_text(path) as handle:
        yield from csv.DictReader(handle)


def bundled(name: str) -> Path:
    """A data file shipped in finlora/tasks/data."""
    return DATA_DIR / name


def examples_from_rows(rows: Iterator[dict[str, Any]], source: str,
                       prompt_field: str = "context", target_field: str = "target",
                       ) -> list[Example]:
    """FinLoRA-format rows (`context`, `target`, extras) → Examples; extras (and the entries of
    a `meta` object, as `finlora dataset` writes) go to `meta`. Rows in the FinGPT layout
    (`instruction`, `input`, `output`) become FinLoRA's prompt, as FinLoRA's conversion does:
    `Instruction: {instruction}\nInput: {input}\nAnswer: `."""
    examples = []
    for number, row in enumerate(rows, 1):
        if prompt_field not in row and {"instruction", "input", "output"} <= set(row):
            row = {**row, prompt_field: f"Instruction: {row['instruction']}\nInput: "
                   f"{row['input']}\nAnswer: ", target_field: row["output"]}
            row = {k: v for k, v in row.items() if k not in ("instruction", "input", "output")}
        if prompt_field not in row or target_field not in row:
            raise DataError(f"{source}: row {number} lacks '{prompt_field}' or '{target_field}' "
                            "(or FinGPT's 'instruction', 'input', 'output')")
        meta = {k: v for k, v in row.items() if k not in (prompt_field, target_field, "meta")}
        if isinstance(row.get("meta"), dict):  # rows written by `finlora dataset`
            meta.update(row["meta"])
        examples.append(Example(prompt=str(row[prompt_field]), target=str(row[target_field]),
                                meta=meta))
    return examples


def load_split(source: str | Path, split: Split) -> list[Example]:
    """One split of user data: the named split of a Hugging Face `DatasetDict`, or else (a JSONL
    file, a single `Dataset`) the examples whose prompt hashes into `split` (70/10/20)."""
    examples, named = _load_user_data(source, split)
    return examples if named else [ex for ex in examples if split_of(ex.prompt) == split]


def load_user_data(source: str | Path, split: str = "test", prompt_field: str = "context",
                   target_field: str = "target") -> list[Example]:
    """All examples of a FinLoRA-format JSONL file or a Hugging Face dataset (for a
    `DatasetDict`: those of `split`). See `load_split` for a deterministic split."""
    return _load_user_data(source, split, prompt_field, target_field)[0]


def _load_user_data(source: str | Path, split: str = "test", prompt_field: str = "context",
                    target_field: str = "target") -> tuple[list[Example], bool]:
    """Examples from a FinLoRA-format JSONL file or a Hugging Face dataset (local or cached).

    `source` is a `.jsonl` / `.jsonl.gz` path, a folder saved with `datasets.save_to_disk`, or
    a dataset id already in the local HF cache.
    """
    path = Path(source)
    if path.suffix in (".jsonl", ".gz") or path.name.endswith(".jsonl.gz"):
        return examples_from_rows(read_jsonl(path), str(path), prompt_field, target_field), False
    if not path.exists() and (path.suffix or str(source).startswith((".", "/", "~"))):
        # a local path that is not there (a bare "owner/name" is tried as a cached HF dataset)
        raise DataError(f"{source}: no such data file or folder")
    import datasets

    try:
        if path.is_dir():
            loaded = datasets.load_from_disk(str(path))
        else:
            loaded = datasets.load_dataset(str(source))
    except Exception as exc:  # datasets raises many types; name the source
        raise DataError(f"{source}: cannot load as a Hugging Face dataset ({exc})") from exc
    named = isinstance(loaded, datasets.DatasetDict)
    if named:
        if split not in loaded:
            raise DataError(f"{source}: no split {split!r} (has {sorted(loaded)})")
        loaded = loaded[split]
    return examples_from_rows(iter(loaded), str(source), prompt_field, target_field), named
