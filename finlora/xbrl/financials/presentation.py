"""The filing's presentation linkbase: statements as ordered trees of concepts, with the
filing's own labels (including the preferred label role of each line, e.g. a total label)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finlora.xbrl.instance import LINK, XLINK
from finlora.xbrl.linkbases import concept_from_href, linkbase_files
from finlora.xbrl.safe_xml import parse_xml

STANDARD_LABEL = "http://www.xbrl.org/2003/role/label"
_STATEMENT_WORDS = {
    "balance": re.compile(r"balance sheets?|financial (position|condition)", re.I),
    "income": re.compile(r"\b(operations|income|earnings|loss)\b", re.I),
    "cashflow": re.compile(r"cash flows?", re.I),
}
_SKIP = re.compile(r"parenthetical|details|tables|policies", re.I)
_SECOND_CHOICE = re.compile(r"comprehensive|equity|deficit\b|parent company|condensed "
                            r"financial information of", re.I)


@dataclass
class Line:
    concept: str
    depth: int
    preferred_label: str | None = None
    abstract: bool = False


@dataclass
class Presentation:
    """Statements (role → ordered lines), role definitions and the filing's labels by role."""

    roles: dict[str, list[Line]] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    source: Path | None = None
    label_files: list[Path] = field(default_factory=list)
    _labels: dict[str, dict[str, str]] | None = None

    @property
    def labels(self) -> dict[str, dict[str, str]]:
        """Concept → label role → text, read on first use (statements need them)."""
        if self._labels is None:
            self._labels = {}
            for path in self.label_files:
                self._labels.update(_labels(path))
        return self._labels

    def label(self, concept: str, role: str | None = None) -> str | None:
        by_role = self.labels.get(concept, {})
        return by_role.get(role or STANDARD_LABEL) or by_role.get(STANDARD_LABEL)

    def members(self, role: str) -> set[str]:
        """The axes and members a statement presents (its face's dimensional lines)."""
        return {line.concept for line in self.roles.get(role, [])
                if line.concept.endswith(("Axis", "Member"))}

    def statement_role(self, statement: str) -> str | None:
        """The role of the balance sheet, income statement or cash-flow statement."""
        words = _STATEMENT_WORDS[statement]
        found = []
        for role, definition in sorted(self.definitions.items(), key=lambda kv: kv[1]):
            text = definition.rpartition(" - ")[2] if " - " in definition else definition
            if "statement" not in definition.lower() and " - " in definition:
                continue
            if words.search(text) and not _SKIP.search(text) and self.roles.get(role):
                found.append((bool(_SECOND_CHOICE.search(text)), role))
        # an income statement combined with comprehensive income ("Statements of Operations
        # and Comprehensive Loss") is the income statement when there is no other
        if found:
            return min(found, key=lambda item: item[0])[1]
        for role in self.roles:  # no definitions: the role URI's words
            spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", role.rpartition("/")[2])
            if words.search(spaced) and not _SKIP.search(spaced) and \
                    not _SECOND_CHOICE.search(spaced):
                return role
        return None


def _schema(filing: Any) -> Path | None:
    folder = Path(filing.path).parent
    schemas = sorted(folder.glob("*.xsd"))
    stem = Path(filing.path).stem.removesuffix("_htm")
    return next((s for s in schemas if s.stem == stem), schemas[0] if schemas else None)


def _definitions(schema: Path) -> dict[str, str]:
    root = parse_xml(schema)
    return {element.get("roleURI", ""): (element.findtext(f"{{{LINK}}}definition") or "").strip()
            for element in root.iter(f"{{{LINK}}}roleType")}


def _labels(path: Path) -> dict[str, dict[str, str]]:
    root = parse_xml(path)
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for link in root.iter(f"{{{LINK}}}labelLink"):
        locators = {loc.get(f"{{{XLINK}}}label"): concept_from_href(loc.get(f"{{{XLINK}}}href", ""))
                    for loc in link.iter(f"{{{LINK}}}loc")}
        resources: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for label in link.iter(f"{{{LINK}}}label"):
            resources[label.get(f"{{{XLINK}}}label")].append(
                (label.get(f"{{{XLINK}}}role", STANDARD_LABEL), (label.text or "").strip()))
        for arc in link.iter(f"{{{LINK}}}labelArc"):
            concept = locators.get(arc.get(f"{{{XLINK}}}from"))
            for role, text in resources.get(arc.get(f"{{{XLINK}}}to"), []):
                if concept:
                    found[concept].setdefault(role, text)
    return dict(found)


def _walk(children: dict[str, list[tuple[float, str, str | None]]], concept: str, depth: int,
          preferred: str | None, seen: frozenset, lines: list[Line]) -> None:
    kids = sorted(children.get(concept, []), key=lambda item: item[0])
    lines.append(Line(concept, depth, preferred, abstract=bool(kids) and (
        concept.endswith("Abstract") or "LineItems" in concept or "Table" in concept)))
    for _, child, label_role in kids:
        if child not in seen:
            _walk(children, child, depth + 1, label_role, seen | {child}, lines)


def _trees(path: Path, wanted: set[str] | None) -> dict[str, list[Line]]:
    root = parse_xml(path)
    roles: dict[str, list[Line]] = {}
    for link in root.iter(f"{{{LINK}}}presentationLink"):
        if wanted is not None and link.get(f"{{{XLINK}}}role", "") not in wanted:
            continue
        locators = {loc.get(f"{{{XLINK}}}label"): concept_from_href(loc.get(f"{{{XLINK}}}href", ""))
                    for loc in link.iter(f"{{{LINK}}}loc")}
        children: dict[str, list[tuple[float, str, str | None]]] = defaultdict(list)
        has_parent: set[str] = set()
        for arc in link.iter(f"{{{LINK}}}presentationArc"):
            parent = locators.get(arc.get(f"{{{XLINK}}}from"))
            child = locators.get(arc.get(f"{{{XLINK}}}to"))
            if parent and child:
                children[parent].append((float(arc.get("order", "0") or 0), child,
                                         arc.get("preferredLabel")))
                has_parent.add(child)
        lines: list[Line] = []
        for top in [c for c in children if c not in has_parent]:
            _walk(children, top, 0, None, frozenset({top}), lines)
        role = link.get(f"{{{XLINK}}}role", "")
        roles[role] = roles.get(role, []) + lines
    return roles


def read_presentation(filing: Any) -> Presentation:
    """The filing's presentation trees, role definitions and labels (empty when the filing has
    no schema or presentation linkbase next to it)."""
    schema = _schema(filing)
    if schema is None:
        return Presentation()
    definitions = _definitions(schema)
    # statement roles only (SEC definitions read "NNNN - Statement - ..."); all without them
    wanted = {r for r, d in definitions.items() if " - statement - " in d.lower()} or None
    presentation = Presentation(definitions=definitions, source=schema)
    for role, path in linkbase_files(schema):
        if role.endswith("presentationLinkbaseRef") or path.stem.endswith("_pre"):
            presentation.roles.update(_trees(path, wanted))
        elif role.endswith("labelLinkbaseRef") or path.stem.endswith("_lab"):
            presentation.label_files.append(path)
    return presentation
