"""An inline XBRL document set (one or more .htm files): its ix elements, gathered in one pass.

Contexts and units come from `ix:resources`, the schema from `ix:references`; facts
(`ix:nonFraction`, `ix:nonNumeric`, `ix:fraction`) are kept in document order, document by
document; `ix:continuation`, `ix:footnote` and `ix:relationship` are indexed for the value and
footnote steps. Local names of ix elements are matched without regard to case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.inline.text import IX_NAMESPACES, split_tag
from finlora.xbrl.instance import LINK, XBRLI, XLINK, parse_context, parse_unit
from finlora.xbrl.safe_xml import parse_xml
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
    base: dict[Path, str] = field(default_factory=dict)


def is_inline_root(root: etree._Element) -> bool:
    return any(namespace in IX_NAMESPACES for namespace in root.nsmap.values())


def read_inline_set(paths: list[Path]) -> InlineSet:
    """Parse every document (safely) and index its ix elements."""
    documents = []
    for path in paths:
        root = parse_xml(path)
        if not is_inline_root(root) and not any(True for _ in _ix_elements(root)):
            raise FilingError(path, "not an inline XBRL document (no ix namespace)")
        documents.append((path, root))
    found = InlineSet(documents=documents)
    for path, root in documents:
        _index(found, path, root)
    if not found.facts and not found.contexts:
        raise FilingError(paths[0], "inline XBRL document without ix:header or facts")
    return found


def _ix_elements(root: etree._Element):  # noqa: ANN202 - an iterator of elements
    for namespace in IX_NAMESPACES:
        yield from root.iter(f"{{{namespace}}}*")


def _index(found: InlineSet, path: Path, root: etree._Element) -> None:
    for base in root.iter("{http://www.w3.org/1999/xhtml}base"):
        if base.get("href"):
            found.base[path] = base.get("href", "")
            break
    for element in _ix_elements(root):
        local = split_tag(element.tag)[1].lower()
        if local in FACT_TAGS:
            found.facts.append((path, FACT_TAGS[local], element))
        elif local == "continuation":
            _unique(found.continuations, element, path, "ix:continuation")
        elif local == "footnote":
            _unique(found.footnotes, element, path, "ix:footnote")
        elif local == "relationship":
            found.relationships.append((path, element))
        elif local == "references":
            for ref in element.iter(f"{{{LINK}}}schemaRef"):
                found.schema_refs.append((path, ref.get(f"{{{XLINK}}}href", "")))
        elif local == "resources":
            for child in element:
                if child.tag == f"{{{XBRLI}}}context":
                    context = parse_context(child, path)
                    found.contexts[context.id] = context
                elif child.tag == f"{{{XBRLI}}}unit":
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
