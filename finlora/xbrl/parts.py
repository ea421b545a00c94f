"""What an engine hands back to `load_filing`: the parts of a `Filing`, before it is built.

Engines return `FilingParts` instead of a `Filing`, so they never import `finlora.xbrl.filing`
(which imports them): no import cycle. The fields live here only: `Filing` is a `FilingParts`
whose facts are a queryable `FactSet`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from finlora.xbrl.deferred import Deferred
from finlora.xbrl.linkbases import LazyLabels
from finlora.xbrl.types import Calculation, Context, Fact, Unit


@dataclass
class FilingParts:
    """Facts, contexts, units, labels and calculations read by one engine."""

    path: Path
    facts: Sequence[Fact]
    contexts: dict[str, Context]
    units: dict[str, Unit]
    # concept → label; labels and calculations may be `Deferred`: read on first use
    labels: dict[str, str] | LazyLabels = field(default_factory=dict)
    calculations: list[Calculation] | Deferred[list[Calculation]] = field(default_factory=list)
    engine: str = "lxml"
    # standard schema URLs the Arelle engine replaced with generated stubs (none for lxml)
    stub_schemas: list[str] = field(default_factory=list)
    # fact id → footnote texts (inline ix:footnote / instance link:footnote relationships)
    footnotes: dict[str, list[str]] = field(default_factory=dict)
    # per-fact problems the engine reported and went past (as Arelle does with warnings)
    warnings: list[str] = field(default_factory=list)
