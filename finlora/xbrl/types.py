"""Typed XBRL data: facts, contexts, units, calculation relationships.

Dates are the dates written in the filing (no end-of-day shift). Units are normalised by
namespace: ISO 4217 currencies become their code ("USD"), the XBRL instance namespace's
`shares` / `pure` their local name, divisions "USD/shares"; company units keep their prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, field_serializer


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


class PendingLabel:
    """A label not read yet: a concept and the reader of its filing's label table (read once,
    on first use). A fact's `__dict__` may hold one in place of its `label`; it compares,
    hashes, prints and pickles as the label it stands for."""

    __slots__ = ("concept", "table")

    def __init__(self, concept: str, table: Callable[[], dict[str, str]]):
        self.concept, self.table = concept, table

    def value(self) -> str | None:
        return self.table().get(self.concept)

    def __eq__(self, other: object) -> bool:
        return self.value() == (other.value() if isinstance(other, PendingLabel) else other)

    def __hash__(self) -> int:
        return hash(self.value())

    def __repr__(self) -> str:
        return repr(self.value())

    def __reduce__(self) -> tuple[Callable[[Any], Any], tuple[str | None]]:
        return _same, (self.value(),)


def _same(value: Any) -> Any:
    return value


class _LabelAttribute:
    """`Fact.label`: the fact's label, a `PendingLabel` read (and kept) on first access. A data
    descriptor, so it comes before the instance's `__dict__`; set on the class after pydantic
    built it (pydantic still sees `label` as the declared field: on the class it is absent)."""

    def __get__(self, fact: Fact | None, owner: type | None = None) -> str | None:
        if fact is None:
            raise AttributeError("label")
        values = fact.__dict__
        label = values["label"]
        if label.__class__ is PendingLabel:
            label = values["label"] = label.value()
        return label

    def __set__(self, fact: Fact, label: str | None) -> None:  # pydantic's own setters only
        fact.__dict__["label"] = label


class Fact(BaseModel):
    """One reported fact, with its context and unit resolved. Its `label` may be read from the
    filing's label linkbase on first use (the lxml inline engine defers it); `label`,
    `model_dump`, `dict(fact)`, `==` and pickling all see the text."""

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

    # A pending label is read before a dump (an unreadable label file then raises its own
    # FilingError: inside the serializer pydantic would wrap it) and before dict(fact).
    def model_dump(self, **options: Any) -> dict[str, Any]:
        self.label  # noqa: B018
        return super().model_dump(**options)

    def model_dump_json(self, **options: Any) -> str:
        self.label  # noqa: B018
        return super().model_dump_json(**options)

    def __iter__(self):  # type: ignore[no-untyped-def]  # BaseModel's TupleGenerator
        self.label  # noqa: B018
        return super().__iter__()

    @field_serializer("label")
    def _read_label(self, label: str | None) -> str | None:  # a Fact inside another model
        return self.label if label.__class__ is PendingLabel else label


setattr(Fact, "label", _LabelAttribute())  # noqa: B010 - after pydantic built the class


class Calculation(BaseModel):
    """A summation relationship from the calculation linkbase: parent = Σ weight × child."""

    model_config = ConfigDict(frozen=True)

    parent: str
    children: list[tuple[str, float]]
    role: str
