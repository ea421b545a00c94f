"""Extraction records and the rules' side of extraction: key lines and ratios from the
financial-statement layer, with their period kind, checks, notes and warnings."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from finlora.xbrl.financials import STANDARD_CONCEPTS


class Citation(BaseModel):
    """The filing fact a record's value comes from."""

    model_config = ConfigDict(frozen=True)

    concept: str
    period: str
    context_id: str
    fact_id: str | None
    value: str
    unit: str | None
    decimals: int | None = None


class ExtractionRecord(BaseModel):
    """One extracted figure: a standard line (rules), the model's choice, or a ratio."""

    model_config = ConfigDict(frozen=True)

    name: str                       # the key line, ratio or question asked
    kind: Literal["fact", "ratio"]
    method: Literal["rules", "model", "none"] = "rules"  # who decided the concept
    concept: str | None             # the chosen concept (facts only; "derived" if computed)
    label: str | None               # its label in the filing
    value: Decimal | None           # the fact's value, the ratio computed exactly; None: refused
    unit: str | None                # e.g. USD, USD/shares; "pure" or "%" for ratios
    period: str | None              # 2024-06-30, or 2024-04-01..2024-06-30
    period_kind: str | None = None  # FY, quarter, YTD, instant, transition, successor
    dimensions: dict[str, str] = {}
    formula: str | None = None      # ratios: over concepts, e.g. us-gaap:A / us-gaap:B
    calculation: str | None = None  # ratios: the same over the reported values
    confidence: float               # rules: 1.0 (exact lookup; the model's view is in
    # model_check); model: its probability for its choice among the offered concepts
    alternatives: dict[str, float] = {}  # the next most likely concepts and their probability
    model_check: dict[str, Any] | None = None  # the model's own answer to a rules question
    checks_passed: list[str] = []   # accounting checks on this record's concepts
    checks_failed: list[str] = []
    notes: list[str] = []           # how the value was found (fallback tag, year to date ...)
    warnings: list[str] = []        # disagreement, failed check, model-only answer, refusal
    source: str
    citations: list[Citation]

    @classmethod
    def unresolved(cls, name: str, source: str, why: str) -> ExtractionRecord:
        return cls(name=name, kind="fact", method="none", concept=None, label=None, value=None,
                   unit=None, period=None, confidence=0.0, source=source, citations=[],
                   warnings=[f"unresolved: {why}"])

    def flat(self) -> dict[str, Any]:
        """A flat row for CSV / Parquet: nested fields as JSON text, value as text."""
        row = self.model_dump(mode="json")
        for key in ("dimensions", "alternatives", "model_check", "checks_passed",
                    "checks_failed", "notes", "warnings", "citations"):
            row[key] = json.dumps(row[key])
        return row


def cite(fact: Any) -> Citation:
    return Citation(concept=fact.concept, period=fact.period_label, context_id=fact.context_id,
                    fact_id=fact.id, value=fact.value, unit=fact.unit, decimals=fact.decimals)


def checks_for(checks: Sequence[Any], concepts: Sequence[str]) -> dict[str, Any]:
    """The checks whose relationship involves one of `concepts`, split passed / failed, and a
    warning per failed one."""
    passed, failed = [], []
    names = [re.compile(rf"(?<![\w:-]){re.escape(c)}(?![\w])") for c in concepts if c]
    for check in checks:
        text = f"{check.name} {check.detail}"
        if any(name.search(text) for name in names):
            (passed if check.passed else failed).append(f"{check.name} ({check.period})")
    return {"checks_passed": passed, "checks_failed": failed,
            "warnings": [f"failed check: {name}" for name in failed]}


def line_record(fin: Any, name: str, key: str, checks: Sequence[Any]) -> ExtractionRecord | None:
    """A standard line from the layer, or None when the filing does not report it. The
    filing's period notes (missing dei facts, splits, no presentation linkbase) come first in
    `notes`."""
    line = fin.get(key)
    if line is None:
        return None
    citations = [Citation(concept=c.concept, period=c.period, context_id=c.context_id,
                          fact_id=c.fact_id, value=c.value, unit=c.unit, decimals=c.decimals)
                 for c in line.citations]
    concepts = [line.concept] + [c.concept for c in citations]
    found = checks_for(checks, concepts)
    warnings = list(found.pop("warnings"))
    if line.source in ("fallback", "derived"):
        warnings.append(next(n for n in reversed(line.notes) if n))
    return ExtractionRecord(
        name=name, kind="fact", method="rules", concept=line.concept,
        label=line.filing_label or fin.filing.label(line.concept), value=line.value,
        unit=line.unit, period=line.period.label, period_kind=line.period_kind,
        confidence=1.0, source=fin.filing.path.name, citations=citations,
        notes=[*fin.notes, *line.notes], warnings=warnings, **found)


def ratio_records(fin: Any, names: Sequence[str], checks: Sequence[Any], source: str
                  ) -> list[ExtractionRecord]:
    """A record per ratio; refused ratios have no value and say why in `warnings`."""
    records = []
    for name in names:
        ratio = fin.ratio(name)
        concepts = [p.concept for p in ratio.parts.values()]
        found = checks_for(checks, concepts)
        warnings = list(found.pop("warnings")) + [n for n in ratio.notes if n.startswith(
            "refused")]
        records.append(ExtractionRecord(
            name=ratio.name, kind="ratio", method="rules", concept=None, label=ratio.name,
            value=ratio.value, unit=ratio.unit, period=ratio.period,
            period_kind=ratio.period_kind, formula=ratio.formula,
            calculation=ratio.calculation, confidence=1.0, source=source,
            citations=[cite(p.fact) if p.fact is not None else Citation(
                concept=c.concept, period=c.period, context_id=c.context_id, fact_id=c.fact_id,
                value=c.value, unit=c.unit, decimals=c.decimals)
                for p in ratio.parts.values() for c in p.citations[:1 if p.fact else None]],
            notes=[ratio.definition, *fin.notes,
                   *(n for n in ratio.notes if not n.startswith("refused"))],
            warnings=warnings, **found))
    return records


def match_line(question: str, words: Callable[[str], set[str]]) -> str | None:
    """The standard line a question names ("What were total assets?" → total_assets): the
    line whose label words are exactly the question's content words, the most specific one;
    None when the question asks for anything else ("content assets" is not total assets)."""
    generic = words(" ".join(_GENERIC))
    asked = words(question) - generic
    best, size = None, 0
    for line in STANDARD_CONCEPTS:
        needed = words(line.label) - generic
        if needed and needed <= asked and not asked - needed and len(needed) > size:
            best, size = line.key, len(needed)
    return best


# words that do not change which line a question names
_GENERIC = {"what", "was", "were", "the", "amount", "value", "total", "net", "company", "how",
            "much", "did", "its", "for", "during", "period", "quarter", "year", "fiscal", "and",
            "provided", "used", "from", "reported", "expense", "expenses", "cost", "costs"}


def summary(records: Sequence[ExtractionRecord]) -> dict[str, Any]:
    """Where the model was needed, where it disagreed, which checks failed."""
    return {
        "records": len(records),
        "model_needed_for": [r.name for r in records if r.method == "model"],
        "model_cross_checked": sum(r.model_check is not None for r in records),
        "model_disagrees_on": [r.name for r in records
                               if r.model_check is not None and not r.model_check["agrees"]],
        "unresolved": [r.name for r in records if r.method == "none"],
        "refused_ratios": [r.name for r in records if r.kind == "ratio" and r.value is None],
        "checks_failed": sorted({c for r in records for c in r.checks_failed}),
    }
