"""Writing extraction records: JSON, JSONL, CSV or Parquet, always atomically."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from finlora.atomic import write_atomically, write_text_atomically
from finlora.errors import ConfigError
from finlora.infer.extraction import ExtractionRecord

Format = Literal["json", "jsonl", "csv", "parquet"]
FORMATS: tuple[str, ...] = ("json", "jsonl", "csv", "parquet")


def records_text(records: Sequence[ExtractionRecord], fmt: Format) -> str:
    """The records as text in a text format (json, jsonl, csv)."""
    if fmt == "json":
        return json.dumps([r.model_dump(mode="json") for r in records], indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(r.model_dump(mode="json")) + "\n" for r in records)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(ExtractionRecord.model_fields))
        writer.writeheader()
        writer.writerows(r.flat() for r in records)
        return buffer.getvalue()
    raise ConfigError(f"format {fmt!r} is not a text format; choose json, jsonl or csv")


def write_records(records: Sequence[ExtractionRecord], path: str | Path, fmt: Format) -> Path:
    """Write the records to `path` through a temporary file, so a reader never sees half."""
    if fmt not in FORMATS:
        raise ConfigError(f"format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt != "parquet":
        text = records_text(records, fmt)
        return write_text_atomically(path, text)
    try:
        import pandas as pd
    except ImportError as exc:
        raise ConfigError("--format parquet needs pandas and pyarrow: "
                          "pip install 'finlora[data]'") from exc
    frame = pd.DataFrame([r.flat() for r in records], columns=list(ExtractionRecord.model_fields))
    return write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))
