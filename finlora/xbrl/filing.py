"""`load_filing`: a filing on disk (instance, inline document or folder) → a typed `Filing`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from finlora.errors import FilingError
from finlora.xbrl.deferred import Deferred
from finlora.xbrl.parts import FilingParts
from finlora.xbrl.query import FactSet
from finlora.xbrl.sources import INLINE_SUFFIXES, filing_documents, find_entry_point
from finlora.xbrl.types import Fact

Engine = Literal["auto", "arelle", "lxml"]
__all__ = ["INLINE_SUFFIXES", "Engine", "Filing", "find_entry_point", "load_filing"]


class _OnFirstUse:
    """A `Filing` field an engine may give as a `Deferred`: read on first access (a broken
    linkbase raises its `FilingError` then), and kept."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, filing: Filing | None, owner: type | None = None) -> Any:
        if filing is None:
            return self
        value = filing.__dict__[self.name]
        if isinstance(value, Deferred):
            value = filing.__dict__[self.name] = value.get()
        return value

    def __set__(self, filing: Filing, value: Any) -> None:
        filing.__dict__[self.name] = value


@dataclass
class Filing(FilingParts):
    """A loaded filing: its facts, contexts, units, labels and calculation relationships (the
    fields of `FilingParts`, with the facts queryable)."""

    facts: FactSet

    # the fields `labels` (dict) and `calculations` (list): read on first access where the
    # engine left them `Deferred` (not annotated here: they stay FilingParts' fields)
    labels = _OnFirstUse()
    calculations = _OnFirstUse()

    def _dei(self, name: str) -> Fact | None:
        return self.facts.query().concept(f"dei:{name}").without_dimensions().first()

    def _dei_text(self, name: str) -> str | None:
        fact = self._dei(name)
        return fact.value if fact is not None and fact.value else None

    @property
    def entity_name(self) -> str | None:
        return self._dei_text("EntityRegistrantName")

    @property
    def cik(self) -> str | None:
        cik = self._dei_text("EntityCentralIndexKey")
        if cik is None and self.contexts:
            cik = next(iter(self.contexts.values())).entity or None
        return cik

    @property
    def document_type(self) -> str | None:
        return self._dei_text("DocumentType")

    @property
    def fiscal_year_focus(self) -> int | None:
        text = self._dei_text("DocumentFiscalYearFocus")
        return int(text[:4]) if text and text[:4].isdigit() else None

    @property
    def fiscal_period_focus(self) -> str | None:
        return self._dei_text("DocumentFiscalPeriodFocus")

    @property
    def period_end(self) -> date | None:
        text = self._dei_text("DocumentPeriodEndDate")
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    def label(self, concept: str) -> str:
        """The concept's label from the filing, or its local name split into words."""
        if concept in self.labels:
            return self.labels[concept]
        name = concept.rpartition(":")[2]
        return "".join(f" {c}" if c.isupper() else c for c in name).strip()

    @property
    def financials(self) -> Any:
        """Standard lines, ratios, checks and statements (`finlora.xbrl.financials`)."""
        from finlora.xbrl.financials import financials

        return financials(self)

    def __repr__(self) -> str:
        return (f"Filing({self.entity_name!r}, {self.document_type}, period_end={self.period_end},"
                f" facts={len(self.facts)}, engine={self.engine!r})")


def load_filing(path: str | Path, *, engine: Engine = "auto",
                taxonomy_packages: tuple[str | Path, ...] | list[str | Path] = ()) -> Filing:
    """Load a filing: an XBRL instance (.xml), an inline XBRL document (.htm), a folder (as
    downloaded from EDGAR, or a few files), an EDGAR complete-submission .txt or a .zip.

    `engine="auto"` reads plain instances and inline documents with lxml (fast, no taxonomy
    needed; a folder with several inline documents is read as one inline document set), or
    with Arelle when `taxonomy_packages` are given; `"arelle"` or `"lxml"` force one. Arelle
    always works offline, with stub schemas generated for standard taxonomies that are not
    available, and uses any `taxonomy_packages` (zip files) given. Bad input raises
    `FilingError`.
    """
    source = Path(path)
    if not source.exists():
        raise FilingError(source, "no such file or folder")
    if engine not in ("auto", "arelle", "lxml"):
        raise FilingError(source, f"unknown engine {engine!r}: choose auto, arelle or lxml")
    documents = filing_documents(source)
    entry = documents[0]
    inline = entry.suffix.lower() in INLINE_SUFFIXES
    chosen = engine
    if engine == "auto":
        chosen = "arelle" if taxonomy_packages else "lxml"
    if chosen == "arelle":
        from finlora.xbrl.arelle_engine import load_with_arelle

        if len(documents) > 1:
            raise FilingError(source, f"an inline document set of {len(documents)} documents; "
                              "the lxml engine reads sets (engine='lxml' or 'auto')")
        return _build(load_with_arelle(entry, taxonomy_packages=tuple(taxonomy_packages)))
    if inline:
        from finlora.xbrl.inline import load_inline

        return _build(load_inline(documents))
    from finlora.xbrl.instance_stream import load_instance

    return _build(load_instance(entry))


def _build(parts: FilingParts) -> Filing:
    return Filing(**{**vars(parts), "facts": FactSet(parts.facts)})
