"""The filing's own schema and linkbases, read with lxml: labels and calculation relationships.

Only files inside the filing's folder are read; references to other places are ignored.
Both can be read on first use instead (`read_linkbases_lazily`): a label linkbase is often the
largest file of a filing after its document.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from pathlib import Path

from lxml import etree

from finlora.xbrl.deferred import Deferred
from finlora.xbrl.instance import LINK, XLINK
from finlora.xbrl.safe_xml import check_size, max_filing_bytes, parse_xml, resolve_local
from finlora.xbrl.types import Calculation, PendingLabel

XS = "http://www.w3.org/2001/XMLSchema"
STANDARD_LABEL = "http://www.xbrl.org/2003/role/label"
TERSE_LABEL = "http://www.xbrl.org/2003/role/terseLabel"
SUMMATION = ("http://www.xbrl.org/2003/arcrole/summation-item",
             "https://xbrl.org/2023/arcrole/summation-item")


def concept_from_href(href: str) -> str:
    """`...us-gaap-2023.xsd#us-gaap_Assets` → `us-gaap:Assets` (SEC's `prefix_Name` ids)."""
    fragment = href.rpartition("#")[2]
    prefix, _, name = fragment.partition("_")
    return f"{prefix}:{name}" if name else fragment


def linkbase_files(schema: Path, root: etree._Element | None = None) -> list[tuple[str, Path]]:
    """(role, path) of each linkbase an extension schema (`root`: already parsed) references,
    inside its folder."""
    if root is None:
        root = parse_xml(schema, blank_text=False)
    files = []
    for ref in root.iter(f"{{{LINK}}}linkbaseRef"):
        target = resolve_local(schema, ref.get(f"{{{XLINK}}}href", ""))
        if target is not None and target.is_file():
            files.append((ref.get(f"{{{XLINK}}}role", ""), target))
    return files


def _locators(link) -> dict[str, str]:
    return {loc.get(f"{{{XLINK}}}label"): concept_from_href(loc.get(f"{{{XLINK}}}href", ""))
            for loc in link.iter(f"{{{LINK}}}loc")}


_LOC, _LABEL, _LABEL_ARC = f"{{{LINK}}}loc", f"{{{LINK}}}label", f"{{{LINK}}}labelArc"
_XL_LABEL, _XL_ROLE, _XL_HREF = f"{{{XLINK}}}label", f"{{{XLINK}}}role", f"{{{XLINK}}}href"
_XL_FROM, _XL_TO = f"{{{XLINK}}}from", f"{{{XLINK}}}to"


def read_labels(linkbase: Path) -> dict[str, str]:
    """Concept → standard label (terse label where no standard label exists)."""
    root = parse_xml(linkbase, blank_text=False)
    standard: dict[str, str] = {}
    terse: dict[str, str] = {}
    for link in root.iter(f"{{{LINK}}}labelLink"):
        locators: dict[str | None, str] = {}
        resources: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
        arcs = []
        for child in link.iter(_LOC, _LABEL, _LABEL_ARC):  # one pass; other roles skipped
            tag = child.tag
            if tag == _LABEL:
                role = child.get(_XL_ROLE, STANDARD_LABEL)
                if role in (STANDARD_LABEL, TERSE_LABEL):
                    resources[child.get(_XL_LABEL)].append((role, (child.text or "").strip()))
            elif tag == _LOC:
                locators[child.get(_XL_LABEL)] = child.get(_XL_HREF, "")
            else:
                arcs.append((child.get(_XL_FROM), child.get(_XL_TO)))
        for source, target in arcs:
            hits = resources.get(target)
            href = locators.get(source)
            if not hits or href is None:
                continue
            concept = concept_from_href(href)
            for role, text in hits:
                if role == STANDARD_LABEL:
                    standard.setdefault(concept, text)
                else:
                    terse.setdefault(concept, text)
    return {**terse, **standard}


def read_calculations(linkbase: Path) -> list[Calculation]:
    """Summation relationships, one `Calculation` per (role, parent)."""
    root = parse_xml(linkbase, blank_text=False)
    calculations = []
    for link in root.iter(f"{{{LINK}}}calculationLink"):
        role = link.get(f"{{{XLINK}}}role", "")
        locators = _locators(link)
        children: dict[str, list[tuple[float, str, float]]] = defaultdict(list)
        for arc in link.iter(f"{{{LINK}}}calculationArc"):
            if arc.get(f"{{{XLINK}}}arcrole") not in SUMMATION:
                continue
            parent = locators.get(arc.get(f"{{{XLINK}}}from"))
            child = locators.get(arc.get(f"{{{XLINK}}}to"))
            if parent and child:
                order = float(arc.get("order", "0") or 0)
                children[parent].append((order, child, float(arc.get("weight", "1"))))
        for parent, items in children.items():
            items.sort(key=lambda item: item[0])
            calculations.append(Calculation(parent=parent, role=role,
                                            children=[(c, w) for _, c, w in items]))
    return calculations


class LazyLabels(Deferred[dict[str, str]]):
    """Concept → label of some label linkbases, read on the first `get()`."""

    def __init__(self, files: list[Path]):
        super().__init__(partial(_read_label_files, files))
        self.files = files
        self._pending: dict[str, PendingLabel] = {}

    def pending(self, concept: str) -> PendingLabel:
        """The concept's label as a fact holds it until it is read (one per concept)."""
        label = self._pending.get(concept)
        if label is None:
            label = self._pending[concept] = PendingLabel(concept, self.get)
        return label


def _read_label_files(files: list[Path]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for path in files:
        labels.update(read_labels(path))
    return labels


def _read_calculation_files(files: list[Path]) -> list[Calculation]:
    return [calculation for path in files for calculation in read_calculations(path)]


def _is_labels(role: str, linkbase: Path) -> bool:
    return role.endswith("labelLinkbaseRef") or (not role and linkbase.stem.endswith("_lab"))


def _is_calculations(role: str, linkbase: Path) -> bool:
    return role.endswith("calculationLinkbaseRef") or (not role and
                                                       linkbase.stem.endswith("_cal"))


def read_linkbases(schema: Path | None, root: etree._Element | None = None,
                   ) -> tuple[dict[str, str], list[Calculation]]:
    """Labels and calculations of the filing's own linkbases (empty without a schema; `root`:
    the schema's parsed root, if the caller has it), read now."""
    labels, calculations = read_linkbases_lazily(schema, root)
    return (labels.get() if labels else {}), (calculations.get() if calculations else [])


def read_linkbases_lazily(schema: Path | None, root: etree._Element | None = None,
                          ) -> tuple[LazyLabels | None, Deferred[list[Calculation]] | None]:
    """As `read_linkbases`, but labels and calculations are read on first use (None: no such
    linkbase); each file's size is checked now, as a read would."""
    label_files: list[Path] = []
    calculation_files: list[Path] = []
    if schema is not None:
        limit = max_filing_bytes()
        for role, linkbase in linkbase_files(schema, root):
            if _is_labels(role, linkbase):
                check_size(linkbase, limit)
                label_files.append(linkbase)
            elif _is_calculations(role, linkbase):
                check_size(linkbase, limit)
                calculation_files.append(linkbase)
    return (LazyLabels(label_files) if label_files else None,
            Deferred(partial(_read_calculation_files, calculation_files))
            if calculation_files else None)
