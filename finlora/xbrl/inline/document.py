"""An inline XBRL document set (one or more .htm files): its ix elements, gathered in one pass.

Contexts and units come from `ix:resources`, the schema from `ix:references`; facts
(`ix:nonFraction`, `ix:nonNumeric`, `ix:fraction`) are kept in document order, document by
document; `ix:continuation`, `ix:footnote` and `ix:relationship` are indexed for the value and
footnote steps. Local names of ix elements are matched without regard to case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.inline.markup import Serialiser, serialiser
from finlora.xbrl.inline.text import IX_NAMESPACES, split_tag
from finlora.xbrl.instance import LINK, XBRLI, XLINK, parse_context, parse_unit
from finlora.xbrl.safe_xml import parse_document
from finlora.xbrl.stubs import XS, check_href
from finlora.xbrl.types import Context, Unit

FACT_TAGS = {"nonfraction": "nonFraction", "nonnumeric": "nonNumeric", "fraction": "fraction"}


@dataclass
class InlineSet:
    """The parsed documents of one inline XBRL document set."""

    documents: list[tuple[Path, etree._Element]]
    facts: list[tuple[Path, str, etree._Element]] = field(default_factory=list)  # kind
    contexts: dict[str, Context] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    continuations: dict[str, tuple[Path, etree._Element]] = field(default_factory=dict)
    footnotes: dict[str, tuple[Path, etree._Element]] = field(default_factory=dict)
    relationships: list[tuple[Path, etree._Element]] = field(default_factory=list)
    schema_refs: list[tuple[Path, str]] = field(default_factory=list)
    base: dict[Path, str] = field(default_factory=dict)  # html <base href>: escaped URIs
    # each document's namespace map when only its root declares namespaces (the rule in
    # filings): a prefix then means the same everywhere and needs no lookup per element
    flat_namespaces: dict[Path, dict[str | None, str]] = field(default_factory=dict)
    excludes: dict[Path, list[etree._Element]] = field(default_factory=dict)
    has_entities: set[Path] = field(default_factory=set)  # entity nodes (undeclared, kept)
    serialisers: dict[Path, Serialiser] = field(default_factory=dict)  # escaped markup in C
    formats: dict[tuple[Path, str], Callable[[str], str]] = field(default_factory=dict)

    def namespace(self, path: Path, element: etree._Element, prefix: str | None) -> str | None:
        """The namespace `prefix` (None: the default one) is bound to at `element`."""
        flat = self.flat_namespaces.get(path)
        return flat.get(prefix) if flat is not None else element.nsmap.get(prefix)


def is_inline_root(root: etree._Element) -> bool:
    return any(namespace in IX_NAMESPACES for namespace in root.nsmap.values())


def read_inline_set(paths: list[Path]) -> InlineSet:
    """Parse every document (safely) and index its ix elements."""
    documents = []
    flat = {}
    for path in paths:
        data, root = parse_document(path)
        if not is_inline_root(root) and not any(True for _ in root.iter(*_IX_ANY)):
            raise FilingError(path, "not an inline XBRL document (no ix namespace)")
        documents.append((path, root))
        # every declaration is written `xmlns`: as many as the root has means none elsewhere
        if data.count(b"xmlns") == len(root.nsmap):
            flat[path] = root.nsmap
    found = InlineSet(documents=documents, flat_namespaces=flat)
    for path, root in documents:
        _index(found, path, root)
        if path in flat and path not in found.has_entities:
            fast = serialiser(root, IX_NAMESPACES, found.excludes.get(path, []))
            if fast is not None:
                found.serialisers[path] = fast
    if not found.facts and not found.contexts:
        raise FilingError(paths[0], "inline XBRL document without ix:header or facts")
    return found


_IX_ANY = tuple(f"{{{namespace}}}*" for namespace in IX_NAMESPACES)
_XHTML_BASE = "{http://www.w3.org/1999/xhtml}base"
_REFERENCES = {f"{{{LINK}}}schemaRef": f"{{{XLINK}}}href",
               f"{{{LINK}}}linkbaseRef": f"{{{XLINK}}}href",
               f"{{{XS}}}import": "schemaLocation", f"{{{XS}}}include": "schemaLocation"}
_CONTEXT, _UNIT = f"{{{XBRLI}}}context", f"{{{XBRLI}}}unit"
_LOCALS: dict[str, str] = {}  # ix tag → its local name in lower case


def _index(found: InlineSet, path: Path, root: etree._Element) -> None:
    """One pass over the document (in C: only the elements asked for reach Python): ix
    elements in document order, references checked (none may leave the folder), xhtml base."""
    facts = found.facts
    for element in root.iter(*_IX_ANY, *_REFERENCES, _XHTML_BASE, etree.Entity):
        tag = element.tag
        local = _LOCALS.get(tag)
        if local is None:
            if tag is etree.Entity:
                found.has_entities.add(path)
                continue
            attribute = _REFERENCES.get(tag)
            if attribute is not None:
                check_href(path, element.get(attribute, ""))
                continue
            if tag == _XHTML_BASE:  # the last one counts, as in Arelle
                found.base[path] = element.get("href") or ""
                continue
            local = split_tag(tag)[1].lower()
            if len(_LOCALS) < 1000:  # bounded, whatever names a document uses
                _LOCALS[tag] = local
        kind = FACT_TAGS.get(local)
        if kind is not None:
            facts.append((path, kind, element))
        elif local == "continuation":
            _unique(found.continuations, element, path, "ix:continuation")
        elif local == "footnote":
            _unique(found.footnotes, element, path, "ix:footnote")
        elif local == "relationship":
            found.relationships.append((path, element))
        elif local == "exclude":
            found.excludes.setdefault(path, []).append(element)
        elif local == "references":
            for ref in element.iter(f"{{{LINK}}}schemaRef"):
                found.schema_refs.append((path, ref.get(f"{{{XLINK}}}href", "")))
        elif local == "resources":
            for child in element:
                if child.tag == _CONTEXT:
                    context = parse_context(child, path)
                    found.contexts[context.id] = context
                elif child.tag == _UNIT:
                    unit = parse_unit(child)
                    found.units[unit.id] = unit


def _unique(index: dict[str, tuple[Path, etree._Element]], element: etree._Element, path: Path,
            what: str) -> None:
    ident = element.get("id")
    if not ident:
        raise FilingError(path, f"{what} without an id (line {element.sourceline})")
    if ident in index:
        raise FilingError(path, f"{what} id {ident!r} is used twice (line {element.sourceline})")
    index[ident] = (path, element)
