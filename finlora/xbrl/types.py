"""Typed XBRL data: facts, contexts, units, calculation relationships.

Dates are the dates written in the filing (no end-of-day shift). Units are normalised by
namespace: ISO 4217 currencies become their code ("USD"), the XBRL instance namespace's
`shares` / `pure` their local name, divisions "USD/shares"; company units keep their prefix.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class Unit(BaseModel):
    """A unit of measure, e.g. USD, shares, USD/shares."""

    model_config = ConfigDict(frozen=True)

    id: str
    measure: str


class Context(BaseModel):
    """Entity, period and dimensions a fact is reported for."""

    model_config = ConfigDict(frozen=True)

    id: str
    entity: str
    scheme: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    instant: date | None = None
    forever: bool = False
    dimensions: dict[str, str] = {}


class Fact(BaseModel):
    """One reported fact, with its context and unit resolved."""

    model_config = ConfigDict(frozen=True)

    concept: str
    name: str
    prefix: str
    namespace: str
    label: str | None = None
    value: str
    numeric: Decimal | None = None
    unit: str | None = None
    decimals: int | None = None
    period_start: date | None = None
    period_end: date | None = None
    instant: date | None = None
    entity: str = ""
    dimensions: dict[str, str] = {}
    is_nil: bool = False
    id: str | None = None
    context_id: str
    source: str

    @property
    def is_numeric(self) -> bool:
        return self.numeric is not None

    @property
    def has_dimensions(self) -> bool:
        return bool(self.dimensions)

    @property
    def period_label(self) -> str:
        """`2024-06-30` for an instant, `2024-01-01..2024-06-30` for a duration."""
        if self.instant is not None:
            return self.instant.isoformat()
        start = self.period_start.isoformat() if self.period_start else ""
        end = self.period_end.isoformat() if self.period_end else ""
        return f"{start}..{end}" if start or end else "forever"

    def key(self) -> tuple[str, str, str | None, str]:
        """What makes two facts the same report: concept, context, unit and value."""
        return (self.concept, self.context_id, self.unit, self.value)


class Calculation(BaseModel):
    """A summation relationship from the calculation linkbase: parent = Σ weight × child."""

    model_config = ConfigDict(frozen=True)

    parent: str
    children: list[tuple[str, float]]
    role: str
