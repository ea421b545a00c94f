"""`load_filing`: a filing on disk (instance, inline document or folder) → a typed `Filing`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from finlora.errors import FilingError
from finlora.xbrl.instance import XBRLI, parse_instance
from finlora.xbrl.linkbases import read_linkbases
from finlora.xbrl.model import Calculation, Context, Fact, Unit
from finlora.xbrl.query import FactSet
from finlora.xbrl.safe_xml import parse_xml
from finlora.xbrl.stubs import find_schema_ref

Engine = Literal["auto", "arelle", "lxml"]
INLINE_SUFFIXES = (".htm", ".html", ".xhtml")
_LINKBASE_STEMS = ("_cal", "_def", "_lab", "_pre", "_ref")


@dataclass
class Filing:
    """A loaded filing: its facts, contexts, units, labels and calculation relationships."""

    path: Path
    facts: FactSet
    contexts: dict[str, Context]
    units: dict[str, Unit]
    labels: dict[str, str] = field(default_factory=dict)
    calculations: list[Calculation] = field(default_factory=list)
    engine: str = "lxml"
    # standard schema URLs the Arelle engine replaced with generated stubs (none for lxml)
    stub_schemas: list[str] = field(default_factory=list)

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


def find_entry_point(folder: Path) -> Path:
    """The instance (preferred) or inline document of a filing folder."""
    candidates = sorted(p for p in folder.iterdir() if p.is_file())
    instances = [p for p in candidates if p.suffix == ".xml"
                 and not p.stem.endswith(_LINKBASE_STEMS) and p.stem != "FilingSummary"]
    for path in instances:
        head = path.read_bytes()[:4096]
        if b"xbrl" in head and b"linkbase" not in head.split(b">", 2)[-1][:200]:
            return path
    inline = [p for p in candidates if p.suffix in INLINE_SUFFIXES]
    if inline:
        return inline[0]
    raise FilingError(folder, "no XBRL instance (.xml) or inline XBRL document (.htm) found")


def load_filing(path: str | Path, *, engine: Engine = "auto",
                taxonomy_packages: tuple[str | Path, ...] | list[str | Path] = ()) -> Filing:
    """Load a filing: an XBRL instance (.xml), an inline XBRL document (.htm) or a folder.

    `engine="auto"` reads plain instances with lxml (fast, no taxonomy needed) and inline
    documents with Arelle; `"arelle"` or `"lxml"` force one. Arelle always works offline, with
    stub schemas generated for standard taxonomies that are not available, and uses any
    `taxonomy_packages` (zip files) given. Bad input raises `FilingError`.
    """
    source = Path(path)
    if not source.exists():
        raise FilingError(source, "no such file or folder")
    if source.is_dir():
        source = find_entry_point(source)
    inline = source.suffix.lower() in INLINE_SUFFIXES
    chosen = engine
    if engine == "auto":
        chosen = "arelle" if inline or taxonomy_packages else "lxml"
    if chosen == "lxml":
        if inline:
            raise FilingError(source, "the lxml engine reads plain instances only; use "
                              "engine='arelle' (or 'auto') for inline XBRL")
        return _load_with_lxml(source)
    if chosen == "arelle":
        from finlora.xbrl.arelle_engine import load_with_arelle

        return load_with_arelle(source, taxonomy_packages=tuple(taxonomy_packages))
    raise FilingError(source, f"unknown engine {engine!r}: choose auto, arelle or lxml")


def _load_with_lxml(source: Path) -> Filing:
    root = parse_xml(source)
    if root.tag != f"{{{XBRLI}}}xbrl":
        raise FilingError(source, f"not an XBRL instance (root element is {root.tag!r})")
    schema = find_schema_ref(source, root)
    labels, calculations = read_linkbases(schema)
    facts, contexts, units = parse_instance(root, source, labels)
    return Filing(path=source, facts=FactSet(facts), contexts=contexts, units=units,
                  labels=labels, calculations=calculations, engine="lxml")
