"""The filing's own schema and linkbases, read with lxml: labels and calculation relationships.

Only files inside the filing's folder are read; references to other places are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from finlora.xbrl.instance import LINK, XLINK
from finlora.xbrl.model import Calculation
from finlora.xbrl.safe_xml import parse_xml, resolve_local

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


def linkbase_files(schema: Path) -> list[tuple[str, Path]]:
    """(role, path) of each linkbase an extension schema references, inside its folder."""
    root = parse_xml(schema)
    files = []
    for ref in root.iter(f"{{{LINK}}}linkbaseRef"):
        target = resolve_local(schema, ref.get(f"{{{XLINK}}}href", ""))
        if target is not None and target.is_file():
            files.append((ref.get(f"{{{XLINK}}}role", ""), target))
    return files


def _locators(link) -> dict[str, str]:
    return {loc.get(f"{{{XLINK}}}label"): concept_from_href(loc.get(f"{{{XLINK}}}href", ""))
            for loc in link.iter(f"{{{LINK}}}loc")}


def read_labels(linkbase: Path) -> dict[str, str]:
    """Concept → standard label (terse label where no standard label exists)."""
    root = parse_xml(linkbase)
    standard: dict[str, str] = {}
    terse: dict[str, str] = {}
    for link in root.iter(f"{{{LINK}}}labelLink"):
        locators = _locators(link)
        resources: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for label in link.iter(f"{{{LINK}}}label"):
            resources[label.get(f"{{{XLINK}}}label")].append(
                (label.get(f"{{{XLINK}}}role", STANDARD_LABEL), (label.text or "").strip()))
        for arc in link.iter(f"{{{LINK}}}labelArc"):
            concept = locators.get(arc.get(f"{{{XLINK}}}from"))
            if concept is None:
                continue
            for role, text in resources.get(arc.get(f"{{{XLINK}}}to"), []):
                if role == STANDARD_LABEL:
                    standard.setdefault(concept, text)
                elif role == TERSE_LABEL:
                    terse.setdefault(concept, text)
    return {**terse, **standard}


def read_calculations(linkbase: Path) -> list[Calculation]:
    """Summation relationships, one `Calculation` per (role, parent)."""
    root = parse_xml(linkbase)
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


def read_linkbases(schema: Path | None) -> tuple[dict[str, str], list[Calculation]]:
    """Labels and calculations of the filing's own linkbases (empty without a schema)."""
    labels: dict[str, str] = {}
    calculations: list[Calculation] = []
    if schema is None:
        return labels, calculations
    for role, linkbase in linkbase_files(schema):
        if role.endswith("labelLinkbaseRef") or (not role and linkbase.stem.endswith("_lab")):
            labels.update(read_labels(linkbase))
        elif role.endswith("calculationLinkbaseRef") or (not role and
                                                         linkbase.stem.endswith("_cal")):
            calculations.extend(read_calculations(linkbase))
    return labels, calculations
