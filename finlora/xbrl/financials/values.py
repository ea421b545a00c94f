"""Values the layer returns: a standard line's value citing its fact, and the fact citation."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from finlora.xbrl.financials.periods import Period

Source = Literal["standard", "fallback", "extension", "derived"]


@dataclass(frozen=True)
class FactCitation:
    """The filing fact a value comes from."""

    fact_id: str | None
    concept: str
    context_id: str
    period: str
    unit: str | None
    decimals: int | None
    value: str

    @classmethod
    def of(cls, fact: Any) -> FactCitation:
        return cls(fact.id, fact.concept, fact.context_id, fact.period_label, fact.unit,
                   fact.decimals, fact.value)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LineValue:
    """A standard line's value for one period: the filing's fact, cited, with how it was found
    (`standard` candidate tag, `fallback` tag of a neighbouring line, company `extension`, or
    `derived` from other lines) and notes on anything the user should know."""

    key: str
    label: str
    concept: str
    value: Decimal
    unit: str | None
    decimals: int | None
    period: Period
    source: Source
    citations: tuple[FactCitation, ...]
    filing_label: str | None = None
    notes: tuple[str, ...] = field(default=())
    fact: Any = field(default=None, compare=False, repr=False)  # the cited Fact (None: derived)

    @property
    def period_kind(self) -> str:
        return self.period.kind

    @property
    def tolerance(self) -> Decimal:
        """Half a unit of the last reported digit (0 for exact values)."""
        return half_unit(self.decimals)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "concept": self.concept,
                "filing_label": self.filing_label, "value": str(self.value), "unit": self.unit,
                "decimals": self.decimals, "period": self.period.label,
                "period_kind": self.period.kind, "source": self.source,
                "notes": list(self.notes), "citations": [c.to_dict() for c in self.citations]}


def half_unit(decimals: int | None) -> Decimal:
    return Decimal(0) if decimals is None else Decimal(5) * Decimal(10) ** (-decimals - 1)
