"""Balance sheet, income statement and cash-flow statement from the presentation linkbase:
the filing's line order and labels, the current and prior periods as columns, consolidated
(non-dimensional) values as reported (XBRL signs), as a pandas DataFrame, text or records."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from finlora.errors import DataError, FinloraError
from finlora.xbrl.financials.checks import Check, calculation_checks
from finlora.xbrl.financials.lookup import face_facts
from finlora.xbrl.financials.periods import Period

KINDS = {"balance": "balance", "income": "income", "cashflow": "cashflow", "cash": "cashflow",
         "balance-sheet": "balance", "cash-flow": "cashflow"}
_STRUCTURE = ("Axis", "Member", "Domain", "Table", "LineItems")


@dataclass
class Row:
    concept: str
    label: str
    depth: int
    values: list[Decimal | None]
    unit: str | None = None
    abstract: bool = False


@dataclass
class Statement:
    kind: str
    title: str
    role: str
    columns: list[Period]
    rows: list[Row]
    source: str
    notes: list[str] = field(default_factory=list)
    ties: list[Check] = field(default_factory=list)

    def to_records(self) -> list[dict[str, Any]]:
        return [{"concept": r.concept, "label": r.label, "depth": r.depth, "unit": r.unit,
                 **{p.label: (None if v is None else str(v))
                    for p, v in zip(self.columns, r.values, strict=True)}}
                for r in self.rows]

    def to_dataframe(self) -> Any:
        try:
            import pandas as pd
        except ImportError as exc:
            raise FinloraError("statements as DataFrames need pandas: "
                               "pip install 'finlora[data]'") from exc
        frame = pd.DataFrame(self.to_records())
        return frame.set_index("label") if not frame.empty else frame

    def to_text(self, fmt: str = "md") -> str:
        """Markdown table (`md`), CSV or JSON."""
        heads = [f"{p.label} ({p.kind})" for p in self.columns]
        if fmt == "json":
            return json.dumps({"statement": self.kind, "title": self.title, "role": self.role,
                               "source": self.source, "notes": self.notes,
                               "columns": [{"period": p.label, "kind": p.kind}
                                           for p in self.columns],
                               "rows": self.to_records(),
                               "ties": [c.to_dict() for c in self.ties]}, indent=2) + "\n"
        if fmt == "csv":
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(["label", "concept", *heads])
            for r in self.rows:
                writer.writerow([r.label, r.concept, *("" if v is None else v for v in r.values)])
            return buffer.getvalue()
        lines = [f"## {self.title}", "", f"source: {self.source}; periods: "
                 + ", ".join(heads), ""]
        lines += ["| line | concept | " + " | ".join(heads) + " |",
                  "|---|---|" + "---:|" * len(heads)]
        for r in self.rows:
            label = "&nbsp;" * 2 * r.depth + (f"**{r.label}**" if r.abstract else r.label)
            cells = ["" if v is None else f"{v:,}" for v in r.values]
            lines.append(f"| {label} | {r.concept} | " + " | ".join(cells) + " |")
        failed = [c for c in self.ties if not c.passed]
        lines += ["", f"totals tie: {len(self.ties) - len(failed)} of {len(self.ties)} "
                  "calculation relationships"]
        lines += [f"- FAILED {c.name} ({c.period}): {c.detail}" for c in failed]
        lines += [f"- note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _columns(fin: Any, kind: str, period: str | date | None) -> tuple[list[Period], list[str]]:
    periods, notes = fin.periods, []
    instant = kind == "balance"
    spec = period
    if kind == "cashflow" and not periods.annual and periods.ytd is not None and \
            period in (None, "current", "prior"):
        spec = "prior-ytd" if period == "prior" else "ytd"
        notes.append("cash flows of a 10-Q: year to date")
    first, note = periods.resolve(spec, instant, ytd=spec in ("ytd", "prior-ytd"))
    if first is None:
        raise DataError(f"{fin.filing.path}: {note or 'no report period'}")
    prior = periods.prior(first)
    return [first] + ([prior] if prior else []), notes


def build_statement(fin: Any, kind: str, period: str | date | None = None) -> Statement:
    """One statement (`balance`, `income`, `cashflow`) for `period` and its comparative."""
    name = KINDS.get(kind.lower())
    if name is None:
        raise DataError(f"unknown statement {kind!r}: choose balance, income or cashflow")
    presentation = fin.presentation
    source = fin.filing.path.name
    if not presentation.roles:
        raise DataError(f"{fin.filing.path}: no presentation linkbase next to the filing, so no "
                        "statements (facts, key facts and ratios still work)")
    role = presentation.statement_role(name)
    if role is None:
        raise DataError(f"{fin.filing.path}: the presentation linkbase has no {name} statement")
    columns, notes = _columns(fin, name, period)
    rows = []
    members = presentation.members(role)
    for line in presentation.roles[role]:
        if line.concept.endswith(_STRUCTURE):
            continue
        facts = [face_facts(fin.index, line.concept, p, members) for p in columns]
        values = [sum((x.numeric for x in f), Decimal(0)) if f else None for f in facts]
        unit = next((f[0].unit for f in facts if f), None)
        abstract = line.abstract or line.concept.endswith("Abstract")
        if not abstract and all(v is None for v in values):
            continue
        label = presentation.label(line.concept, line.preferred_label) or \
            fin.filing.label(line.concept)
        rows.append(Row(line.concept, label, line.depth, values, unit, abstract))
    rows = [r for i, r in enumerate(rows) if not r.abstract or
            any(not x.abstract for x in rows[i + 1:i + 2])]
    top = min((r.depth for r in rows), default=0)
    for r in rows:
        r.depth -= top
    title = presentation.definitions.get(role, role).rpartition(" - ")[2] or name
    statement = Statement(name, title, role, columns, rows, source, notes)
    concepts = {r.concept for r in rows if not r.abstract}
    statement.ties = calculation_checks(fin, concepts, columns, {role})
    return statement
