"""Stub schemas for standard taxonomies that are not available offline.

Without US-GAAP / DEI / SRT / ECD schemas Arelle drops every standard fact of a plain instance.
From the filing itself we know every standard concept it uses (facts, dimension axes and
members, linkbase locators), with its item type (from the unit) and period type (from the
context), refined by the filing's `MetaLinks.json` when EDGAR ships one (real item types
such as `perShareItemType`, and debit/credit balances). `write_stubs` writes one small schema per missing standard schema URL into a
URL-mirrored folder, so Arelle, working offline, finds a declaration for every concept; the
filing's own label linkbase then supplies the labels.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.instance import LINK, XBRLDI, XBRLI, XLINK, parse_unit
from finlora.xbrl.safe_xml import parse_xml, read_bytes, resolve_local

XS = "http://www.w3.org/2001/XMLSchema"
IX = ("http://www.xbrl.org/2013/inlineXBRL", "http://www.xbrl.org/2008/inlineXBRL")
STANDARD_HOSTS = ("xbrl.fasb.org", "xbrl.sec.gov", "taxonomies.xbrl.us", "xbrl.us")
# Base specifications that Arelle ships in its own offline cache.
SPEC_HOSTS = ("www.xbrl.org", "xbrl.org", "www.w3.org")
# Item types a stub may take from MetaLinks.json: XBRL 2.1's own, and the DTR types schema that
# Arelle ships in its offline cache. Any other type (dei's, us-gaap's own) keeps the unit's.
_XBRLI_BASES = """decimal float double monetary shares pure integer nonPositiveInteger
    negativeInteger long int short byte nonNegativeInteger unsignedLong unsignedInt unsignedShort
    unsignedByte positiveInteger string boolean hexBinary base64Binary anyURI QName duration
    dateTime time date gYearMonth gYear gMonthDay gDay gMonth normalizedString token language
    Name NCName"""
XBRLI_TYPES = frozenset(f"{base}ItemType" for base in _XBRLI_BASES.split())
DTR_TYPES_NS = "http://www.xbrl.org/dtr/type/2022-03-31"
DTR_TYPES_URL = "https://www.xbrl.org/dtr/type/2022-03-31/types.xsd"
DTR_TYPES = frozenset(("textBlockItemType", "percentItemType", "perShareItemType",
                       "areaItemType", "volumeItemType", "massItemType", "energyItemType",
                       "powerItemType", "lengthItemType", "noDecimalsMonetaryItemType",
                       "nonNegativeMonetaryItemType", "nonNegativeNoDecimalsMonetaryItemType",
                       "flowItemType", "dateTimeItemType"))


@dataclass
class ConceptUse:
    """What the filing tells about one concept."""

    item_type: str = "xbrli:stringItemType"
    period_type: str = "duration"
    role: str = "item"  # item | dimension | hypercube | abstract
    balance: str | None = None  # debit | credit (from MetaLinks.json)
    typed_domain: str | None = None  # QName of a typed dimension's domain element


@dataclass
class StubPlan:
    """Standard schema URL → namespace, and per namespace the concepts to declare."""

    namespaces: dict[str, str] = field(default_factory=dict)  # url -> namespace
    concepts: dict[str, dict[str, ConceptUse]] = field(
        default_factory=lambda: defaultdict(dict))  # namespace -> local name -> use


def _item_type(measure: str | None) -> str:
    if measure is None:
        return "xbrli:stringItemType"
    if "/" in measure:
        return "xbrli:decimalItemType"
    if measure == "shares":
        return "xbrli:sharesItemType"
    if measure == "pure":
        return "xbrli:pureItemType"
    if len(measure) == 3 and measure.isupper():
        return "xbrli:monetaryItemType"
    return "xbrli:decimalItemType"


def _resolve(element: etree._Element, qname: str) -> tuple[str | None, str]:
    prefix, _, local = qname.strip().rpartition(":")
    return element.nsmap.get(prefix or None), local


def _is_standard(url: str) -> bool:
    return any(f"//{host}/" in url for host in STANDARD_HOSTS)


def plan_stubs(entry: Path, entry_root: etree._Element, schema: Path | None) -> StubPlan:
    """Collect every standard concept the filing uses, from its documents alone."""
    plan = StubPlan()
    if schema is not None:
        for imp in parse_xml(schema).iter(f"{{{XS}}}import"):
            url, namespace = imp.get("schemaLocation", ""), imp.get("namespace", "")
            if _is_standard(url):
                plan.namespaces[url] = namespace
    wanted = set(plan.namespaces.values())

    def use(namespace: str | None, local: str) -> ConceptUse | None:
        if namespace not in wanted or not local:
            return None
        return plan.concepts[namespace].setdefault(local, ConceptUse())

    # contexts and units (in an instance, or inside ix:resources of an inline document)
    period_of: dict[str, str] = {}
    for context in entry_root.iter(f"{{{XBRLI}}}context"):
        period = context.find(f"{{{XBRLI}}}period")
        instant = period is not None and period.find(f"{{{XBRLI}}}instant") is not None
        period_of[context.get("id", "")] = "instant" if instant else "duration"
        for member in context.iter(f"{{{XBRLDI}}}explicitMember", f"{{{XBRLDI}}}typedMember"):
            axis = use(*_resolve(member, member.get("dimension", "")))
            if axis is None:
                continue
            axis.role = "dimension"
            if member.tag == f"{{{XBRLDI}}}explicitMember":
                value = use(*_resolve(member, member.text or ""))
                if value is not None and value.role == "item":
                    value.role = "abstract"
            elif len(member):
                child = member[0]
                namespace, _, local = child.tag[1:].partition("}")
                axis.typed_domain = f"{namespace}|{local}"
                domain = use(namespace, local)
                if domain is not None:
                    domain.role = "typed-domain"
    measures = {u.get("id", ""): parse_unit(u).measure for u in entry_root.iter(f"{{{XBRLI}}}unit")}

    def note_fact(namespace: str | None, local: str, context_ref: str, unit_ref: str | None,
                  ) -> None:
        concept = use(namespace, local)
        if concept is None:
            return
        concept.role = "item"
        concept.item_type = _item_type(measures.get(unit_ref) if unit_ref else None)
        concept.period_type = period_of.get(context_ref, "duration")

    if entry_root.tag == f"{{{XBRLI}}}xbrl":
        for element in entry_root:
            if isinstance(element.tag, str) and element.get("contextRef"):
                namespace, _, local = element.tag[1:].partition("}")
                note_fact(namespace, local, element.get("contextRef", ""), element.get("unitRef"))
    else:
        for ix in IX:
            for tag in ("nonFraction", "nonNumeric", "fraction"):
                for element in entry_root.iter(f"{{{ix}}}{tag}"):
                    namespace, local = _resolve(element, element.get("name", ""))
                    unit = element.get("unitRef") if tag != "nonNumeric" else None
                    note_fact(namespace, local, element.get("contextRef", ""), unit)
    # linkbase locators that point into standard schemas (abstracts, tables, calc parents...)
    if schema is not None:
        from finlora.xbrl.linkbases import linkbase_files

        for _, linkbase in linkbase_files(schema):
            for loc in parse_xml(linkbase).iter(f"{{{LINK}}}loc"):
                url, _, fragment = loc.get(f"{{{XLINK}}}href", "").partition("#")
                namespace = plan.namespaces.get(url)
                local = fragment.partition("_")[2]
                if namespace is None or not local:
                    continue
                if local not in plan.concepts[namespace]:
                    role = ("hypercube" if local.endswith("Table") else
                            "dimension" if local.endswith("Axis") else "abstract")
                    plan.concepts[namespace][local] = ConceptUse(
                        item_type="xbrli:monetaryItemType", role=role)
    _apply_metalinks(entry, plan)
    return plan


def _apply_metalinks(entry: Path, plan: StubPlan) -> None:
    """Take item types and balances from the filing's MetaLinks.json, when it has one.

    A missing, unreadable or odd MetaLinks.json changes nothing: the unit-derived types stay.
    """
    path = entry.parent / "MetaLinks.json"
    if not path.is_file():
        return
    try:
        data = json.loads(read_bytes(path))
        tags = [tag for document in data["instance"].values()
                for tag in document.get("tag", {}).values()]
    except (FilingError, ValueError, KeyError, TypeError, AttributeError):
        return
    for tag in tags:
        if not isinstance(tag, dict):
            continue
        concept = plan.concepts.get(tag.get("nsuri", ""), {}).get(tag.get("localname", ""))
        if concept is None or concept.role != "item":
            continue
        xbrl_type = tag.get("xbrltype", "")
        if xbrl_type in XBRLI_TYPES:
            concept.item_type = f"xbrli:{xbrl_type}"
        elif xbrl_type in DTR_TYPES:
            concept.item_type = f"dtr-types:{xbrl_type}"
        if tag.get("crdr") in ("debit", "credit"):
            concept.balance = tag["crdr"]


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
    if href and not (spec or _is_standard(href)) and resolve_local(document, href) is None:
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
