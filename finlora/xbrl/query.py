"""A fluent, chainable query over a filing's facts, exportable to records, JSONL, CSV, pandas.

    filing.facts.query().concept("Assets").period("2024-06-30").without_dimensions().first()
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO, overload

from finlora.atomic import write_atomically
from finlora.errors import FinloraError
from finlora.xbrl.types import Fact

RECORD_FIELDS = ["concept", "label", "value", "numeric", "unit", "decimals", "period_start",
                 "period_end", "instant", "dimensions", "is_nil", "id", "context_id", "entity",
                 "source"]


def fact_record(fact: Fact) -> dict[str, Any]:
    """A flat, JSON-ready record of a fact."""
    record = fact.model_dump(include=set(RECORD_FIELDS))
    for key in ("period_start", "period_end", "instant"):
        record[key] = record[key].isoformat() if record[key] else None
    record["numeric"] = str(record["numeric"]) if record["numeric"] is not None else None
    return {key: record[key] for key in RECORD_FIELDS}


def _as_date(value: str | date) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


class FactQuery:
    """An immutable chain of filters over facts; each method returns a new query."""

    def __init__(self, facts: Sequence[Fact], filters: tuple[Callable[[Fact], bool], ...] = ()):
        self._facts = facts
        self._filters = filters

    def where(self, predicate: Callable[[Fact], bool]) -> FactQuery:
        return FactQuery(self._facts, (*self._filters, predicate))

    def concept(self, name: str) -> FactQuery:
        """Facts of a concept, by local name (`Assets`) or QName (`us-gaap:Assets`), exactly."""
        if ":" in name:
            return self.where(lambda f: f.concept == name)
        return self.where(lambda f: f.name == name)

    def concepts(self, names: Sequence[str]) -> FactQuery:
        wanted = set(names)
        return self.where(lambda f: f.concept in wanted or f.name in wanted)

    def prefix(self, prefix: str) -> FactQuery:
        return self.where(lambda f: f.prefix == prefix)

    def period(self, day: str | date) -> FactQuery:
        """Facts at an instant, or durations ending on that day."""
        target = _as_date(day)
        return self.where(lambda f: f.instant == target or
                          (f.instant is None and f.period_end == target))

    def duration(self, start: str | date, end: str | date) -> FactQuery:
        s, e = _as_date(start), _as_date(end)
        return self.where(lambda f: f.period_start == s and f.period_end == e)

    def instant(self) -> FactQuery:
        return self.where(lambda f: f.instant is not None)

    def without_dimensions(self) -> FactQuery:
        return self.where(lambda f: not f.dimensions)

    def dimension(self, axis: str, member: str | None = None) -> FactQuery:
        def match(f: Fact) -> bool:
            for key, value in f.dimensions.items():
                if key == axis or key.endswith(f":{axis}"):
                    return member is None or value == member or value.endswith(f":{member}")
            return False

        return self.where(match)

    def numeric(self) -> FactQuery:
        return self.where(lambda f: f.numeric is not None)

    def __iter__(self) -> Iterator[Fact]:
        return (f for f in self._facts if all(p(f) for p in self._filters))

    def all(self) -> list[Fact]:
        return list(self)

    def first(self) -> Fact | None:
        return next(iter(self), None)

    def count(self) -> int:
        return sum(1 for _ in self)

    def to_records(self) -> list[dict[str, Any]]:
        return [fact_record(f) for f in self]

    def write_jsonl(self, handle: TextIO) -> None:
        for record in self.to_records():
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    def write_csv(self, handle: TextIO) -> None:
        writer = csv.DictWriter(handle, fieldnames=RECORD_FIELDS)
        writer.writeheader()
        for record in self.to_records():
            writer.writerow({**record, "dimensions": json.dumps(record["dimensions"])})

    def to_jsonl(self, path: str | Path) -> Path:
        def write(tmp: Path) -> None:
            with tmp.open("w") as handle:
                self.write_jsonl(handle)

        return write_atomically(path, write)

    def to_csv(self, path: str | Path) -> Path:
        def write(tmp: Path) -> None:
            with tmp.open("w", newline="") as handle:
                self.write_csv(handle)

        return write_atomically(path, write)

    def to_dataframe(self) -> Any:
        try:
            import pandas as pd
        except ImportError as exc:
            raise FinloraError("to_dataframe needs pandas: pip install 'finlora[data]'") from exc
        return pd.DataFrame(self.to_records(), columns=RECORD_FIELDS)

    def to_parquet(self, path: str | Path) -> Path:
        frame = self.to_dataframe()
        frame["dimensions"] = frame["dimensions"].map(json.dumps)
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise FinloraError("to_parquet needs pyarrow: pip install 'finlora[data]'") from exc
        return write_atomically(path, lambda tmp: frame.to_parquet(tmp, index=False))


class FactSet(Sequence[Fact]):
    """The facts of a filing, in document order."""

    def __init__(self, facts: Sequence[Fact]):
        self._facts = tuple(facts)

    @overload
    def __getitem__(self, index: int) -> Fact: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Fact]: ...

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        return self._facts[index]

    def __len__(self) -> int:
        return len(self._facts)

    def query(self) -> FactQuery:
        return FactQuery(self._facts)

    def deduplicated(self) -> list[Fact]:
        """Facts with repeats (same concept, context, unit and value) removed, order kept."""
        seen: set[tuple[str, str, str | None, str]] = set()
        unique = []
        for fact in self._facts:
            if fact.key() not in seen:
                seen.add(fact.key())
                unique.append(fact)
        return unique
