"""Ratios: one exact `Decimal` definition each over standard lines of the same period, with
FinLoRA's formulas where its formula data has one. A ratio is refused (value None, the reason
in `notes`) when a part is missing, parts are of different periods, a denominator is zero, or
a sign makes it meaningless (e.g. equity ≤ 0 for the equity multiplier)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from finlora.errors import DataError
from finlora.xbrl.financials.values import FactCitation, LineValue


@dataclass(frozen=True)
class RatioDefinition:
    numerator: tuple[tuple[str, int], ...]  # (line key, +1 / -1), summed
    denominator: str
    percent: bool = False
    positive: tuple[str, ...] = ()          # lines that must be > 0 for the ratio to mean much
    text: str = ""


RATIOS: dict[str, RatioDefinition] = {
    "current ratio": RatioDefinition((("current_assets", 1),), "current_liabilities",
                                     positive=("current_liabilities",),
                                     text="current assets / current liabilities"),
    "quick ratio": RatioDefinition((("current_assets", 1), ("inventory", -1)),
                                   "current_liabilities", positive=("current_liabilities",),
                                   text="(current assets − inventory) / current liabilities"),
    "cash ratio": RatioDefinition((("cash", 1),), "current_liabilities",
                                  positive=("current_liabilities",),
                                  text="cash and cash equivalents / current liabilities"),
    "equity multiplier": RatioDefinition((("total_assets", 1),), "equity", positive=("equity",),
                                         text="total assets / stockholders' equity"),
    "debt-to-equity ratio": RatioDefinition((("total_liabilities", 1),), "equity",
                                            positive=("equity",),
                                            text="total liabilities / stockholders' equity"),
    "gross margin": RatioDefinition((("gross_profit", 1),), "revenue", True, ("revenue",),
                                    "gross profit / revenue × 100"),
    "operating margin": RatioDefinition((("operating_income", 1),), "revenue", True,
                                        ("revenue",), "operating income / revenue × 100"),
    "net profit margin": RatioDefinition((("net_income", 1),), "revenue", True, ("revenue",),
                                         "net income / revenue × 100"),
}


@dataclass(frozen=True)
class RatioValue:
    name: str
    value: Decimal | None            # None: refused (see notes)
    unit: str                        # "pure" or "%"
    period: str | None
    period_kind: str | None
    formula: str | None = None       # over concepts
    calculation: str | None = None   # over the cited values
    parts: dict[str, LineValue] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    definition: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None

    @property
    def citations(self) -> list[FactCitation]:
        return [c for part in self.parts.values() for c in part.citations]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": None if self.value is None else str(self.value),
                "unit": self.unit, "period": self.period, "period_kind": self.period_kind,
                "formula": self.formula, "calculation": self.calculation,
                "definition": self.definition, "notes": list(self.notes),
                "citations": [c.to_dict() for c in self.citations]}


def ratio_name(name: str) -> str:
    text = name.strip().lower().replace("_", " ")
    for full in RATIOS:
        if text in (full, full.removesuffix(" ratio"), full.replace("-", " ")):
            return full
    raise DataError(f"unknown ratio {name!r}: choose from {', '.join(RATIOS)}")


def compute_ratio(fin: Any, name: str, period: str | date | None = None) -> RatioValue:
    """The ratio `name` of a `Financials`, exactly, or refused with the reason."""
    full = ratio_name(name)
    definition = RATIOS[full]
    unit = "%" if definition.percent else "pure"
    keys = [k for k, _ in definition.numerator] + [definition.denominator]
    parts = {k: fin.get(k, period) for k in keys}
    found = {k: v for k, v in parts.items() if v is not None}

    def refuse(reason: str) -> RatioValue:
        anchor = found.get(definition.denominator) or next(iter(found.values()), None)
        return RatioValue(full, None, unit, anchor.period.label if anchor else None,
                          anchor.period_kind if anchor else None, parts=found,
                          notes=(reason,), definition=definition.text)

    missing = [k for k, v in parts.items() if v is None]
    if missing:
        return refuse(f"refused: {', '.join(missing)} not reported"
                      f" ({'; '.join(fin.missing.get(k, '') for k in missing)})")
    durations = {v.period for v in found.values() if not v.period.is_instant}
    ends = {v.period.end for v in found.values()}
    if len(durations) > 1 or len(ends) > 1:
        return refuse("refused: parts are of different periods ("
                      + ", ".join(f"{k} {v.period.label}" for k, v in found.items()) + ")")
    for key in definition.positive:
        if found[key].value <= 0:
            return refuse(f"refused: {key} is {found[key].value}; the ratio is meaningless "
                          "unless it is positive")
    denominator = found[definition.denominator]
    with localcontext() as ctx:
        ctx.prec = 40  # as finlora.tasks.parsing
        numerator = sum((found[k].value * sign for k, sign in definition.numerator), Decimal(0))
        value = numerator / denominator.value * (100 if definition.percent else 1)
    terms = [(("- " if s < 0 else "+ ") if i else ("-" if s < 0 else ""), found[k])
             for i, (k, s) in enumerate(definition.numerator)]
    tags = " ".join(f"{sign}{part.concept}" for sign, part in terms)
    values = " ".join(f"{sign}{part.value}" for sign, part in terms)
    if len(terms) > 1:
        tags, values = f"({tags})", f"({values})"
    tags, values = f"{tags} / {denominator.concept}", f"{values} / {denominator.value}"
    if definition.percent:
        tags, values = f"({tags}) * 100", f"({values}) * 100"
    notes = tuple(n for v in found.values() for n in v.notes)
    period_of = next((v.period for v in found.values() if not v.period.is_instant),
                     denominator.period)
    return RatioValue(full, value, unit, period_of.label, period_of.kind, tags, values, found,
                      notes, definition.text)
