"""Stub schemas for standard taxonomies that are not available offline.

Without US-GAAP / DEI / SRT / ECD schemas Arelle drops every standard fact of a plain instance.
`plan_stubs` (stub_plan.py) collects, from the filing itself, every standard concept it uses
with its item type, period type and balance. `write_stubs` writes one small schema per missing
standard schema URL into a URL-mirrored folder, so Arelle, working offline, finds a declaration
for every concept; the filing's own label linkbase then supplies the labels.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.instance import LINK, XBRLI, XLINK
from finlora.xbrl.safe_xml import parse_xml, resolve_local
from finlora.xbrl.stub_plan import XS, ConceptUse, StubPlan, is_standard, plan_stubs

# Base specifications that Arelle ships in its own offline cache.
SPEC_HOSTS = ("www.xbrl.org", "xbrl.org", "www.w3.org")
DTR_TYPES_NS = "http://www.xbrl.org/dtr/type/2022-03-31"
DTR_TYPES_URL = "https://www.xbrl.org/dtr/type/2022-03-31/types.xsd"
__all__ = ["ConceptUse", "StubPlan", "check_href", "check_references", "find_schema_ref",
           "plan_stubs", "stub_schema", "write_stubs"]


def _prefix_for(url: str, namespace: str) -> str:
    """The standard prefix that ids in the schema at `url` use: us-gaap-2024.xsd → us-gaap."""
    name = re.sub(r"-\d{4}.*$", "", url.rsplit("/", 1)[-1]).removesuffix(".xsd")
    return name or namespace.rstrip("/").rsplit("/", 2)[-2]


def stub_schema(url: str, namespace: str, concepts: dict[str, ConceptUse],
                domain_names: dict[str, str]) -> str:
    """The text of one stub schema."""
    prefix = _prefix_for(url, namespace)
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<xs:schema xmlns:xs="{XS}" xmlns:xbrli="{XBRLI}" xmlns:link="{LINK}" '
        f'xmlns:xlink="{XLINK}" xmlns:xbrldt="http://xbrl.org/2005/xbrldt" '
        f'xmlns:dtr-types="{DTR_TYPES_NS}" xmlns:stub={quoteattr(namespace)} targetNamespace={quoteattr(namespace)} '
        'elementFormDefault="qualified">',
        f'  <xs:import namespace="{XBRLI}" '
        'schemaLocation="http://www.xbrl.org/2003/xbrl-instance-2003-12-31.xsd"/>',
        '  <xs:import namespace="http://xbrl.org/2005/xbrldt" '
        'schemaLocation="http://www.xbrl.org/2005/xbrldt-2005.xsd"/>',
    ]
    if any(c.item_type.startswith("dtr-types:") for c in concepts.values()):
        lines.append(f'  <xs:import namespace="{DTR_TYPES_NS}" schemaLocation="{DTR_TYPES_URL}"/>')
    for local, c in sorted(concepts.items()):
        ident = quoteattr(f"{prefix}_{local}")
        if c.role == "typed-domain":
            lines.append(f'  <xs:element name="{local}" id={ident} type="xs:string"/>')
            continue
        group = {"dimension": "xbrldt:dimensionItem", "hypercube": "xbrldt:hypercubeItem"}.get(
            c.role, "xbrli:item")
        abstract = ' abstract="true"' if c.role != "item" else ""
        item_type = "xbrli:stringItemType" if c.role != "item" else c.item_type
        typed = f' xbrli:balance="{c.balance}"' if c.balance and c.role == "item" else ""
        if c.typed_domain is not None:
            typed += f' xbrldt:typedDomainRef="{domain_names[c.typed_domain]}"'
        lines.append(
            f'  <xs:element name="{local}" id={ident} type="{item_type}" '
            f'substitutionGroup="{group}" xbrli:periodType="{c.period_type}" '
            f'nillable="true"{abstract}{typed}/>')
    lines.append("</xs:schema>")
    return "\n".join(lines) + "\n"


def write_stubs(plan: StubPlan, root: Path, cache_path: Callable[[str], str],
                available: Callable[[str], bool]) -> list[str]:
    """Write a stub for each planned URL that `available` says is missing; return the URLs.

    `cache_path(url)` is where Arelle's web cache looks for that URL under `root`.
    """
    url_of = {namespace: url for url, namespace in plan.namespaces.items()}
    domain_names: dict[str, str] = {}
    for concepts in plan.concepts.values():
        for c in concepts.values():
            if c.typed_domain is not None:
                namespace, _, local = c.typed_domain.partition("|")
                url = url_of.get(namespace, "")
                domain_names[c.typed_domain] = f"{url}#{_prefix_for(url, namespace)}_{local}"
    written = []
    for url, namespace in plan.namespaces.items():
        if available(url):
            continue
        target = Path(cache_path(url))
        if root not in target.parents:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(stub_schema(url, namespace, plan.concepts.get(namespace, {}),
                                      domain_names))
        written.append(url)
    return written


def check_href(document: Path, href: str) -> None:
    """Refuse a schema / linkbase reference that leaves the filing's folder for anything but
    a standard taxonomy URL (which is never fetched: it is stubbed or packaged)."""
    spec = any(f"//{host}/" in href for host in SPEC_HOSTS)
    if href and not (spec or is_standard(href)) and resolve_local(document, href) is None:
        raise FilingError(document, f"refers to {href!r}, outside the filing's folder; "
                          "finlora only reads the filing's own files")


def check_references(document: Path, root: etree._Element) -> None:
    """`check_href` for every schema / linkbase reference and schema import of a document."""
    hrefs = [ref.get(f"{{{XLINK}}}href", "") for ref in root.iter(
        f"{{{LINK}}}schemaRef", f"{{{LINK}}}linkbaseRef")]
    hrefs += [imp.get("schemaLocation", "") for imp in root.iter(f"{{{XS}}}import",
                                                                  f"{{{XS}}}include")]
    for href in hrefs:
        check_href(document, href)


def find_schema_ref(entry: Path, root: etree._Element) -> Path | None:
    """The extension schema referenced by an instance or inline document (inside its folder)."""
    check_references(entry, root)
    for ref in root.iter(f"{{{LINK}}}schemaRef"):
        target = resolve_local(entry, ref.get(f"{{{XLINK}}}href", ""))
        if target is not None and target.is_file():
            check_references(target, parse_xml(target))
            return target
    return None
