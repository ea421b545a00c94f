"""What a filing tells about the standard concepts it uses: the plan of its stub schemas.

From the filing itself we know every standard concept it uses (facts, dimension axes and
members, linkbase locators), with its item type (from the unit) and period type (from the
context), refined by the filing's `MetaLinks.json` when EDGAR ships one (real item types such
as `perShareItemType`, and debit/credit balances). `stubs.write_stubs` turns the plan into
schemas.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.instance import LINK, XBRLDI, XBRLI, XLINK, parse_unit
from finlora.xbrl.safe_xml import parse_xml, read_bytes

XS = "http://www.w3.org/2001/XMLSchema"
IX = ("http://www.xbrl.org/2013/inlineXBRL", "http://www.xbrl.org/2008/inlineXBRL")
STANDARD_HOSTS = ("xbrl.fasb.org", "xbrl.sec.gov", "taxonomies.xbrl.us", "xbrl.us")
# Item types a stub may take from MetaLinks.json: XBRL 2.1's own, and the DTR types schema that
# Arelle ships in its offline cache. Any other type (dei's, us-gaap's own) keeps the unit's.
_XBRLI_BASES = """decimal float double monetary shares pure integer nonPositiveInteger
    negativeInteger long int short byte nonNegativeInteger unsignedLong unsignedInt unsignedShort
    unsignedByte positiveInteger string boolean hexBinary base64Binary anyURI QName duration
    dateTime time date gYearMonth gYear gMonthDay gDay gMonth normalizedString token language
    Name NCName"""
XBRLI_TYPES = frozenset(f"{base}ItemType" for base in _XBRLI_BASES.split())
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


def is_standard(url: str) -> bool:
    return any(f"//{host}/" in url for host in STANDARD_HOSTS)


def plan_stubs(entry: Path, entry_root: etree._Element, schema: Path | None) -> StubPlan:
    """Collect every standard concept the filing uses, from its documents alone: the
    standard schemas its extension schema imports, then what its contexts, facts and
    linkbase locators say of their concepts, then its MetaLinks.json."""
    namespaces = {} if schema is None else _standard_imports(schema)
    planner = _Planner(StubPlan(namespaces=namespaces))
    period_of = planner.note_contexts(entry_root)
    planner.note_facts(entry_root, period_of)
    if schema is not None:
        planner.note_locators(schema)
    _apply_metalinks(entry, planner.plan)
    return planner.plan


def _standard_imports(schema: Path) -> dict[str, str]:
    """URL → namespace of the standard schemas the extension schema imports."""
    found = {}
    for imp in parse_xml(schema).iter(f"{{{XS}}}import"):
        url, namespace = imp.get("schemaLocation", ""), imp.get("namespace", "")
        if is_standard(url):
            found[url] = namespace
    return found


class _Planner:
    """Fills a plan: each `note_*` reads one kind of evidence about the standard concepts."""

    def __init__(self, plan: StubPlan) -> None:
        self.plan = plan
        self.wanted = set(plan.namespaces.values())

    def use(self, namespace: str | None, local: str) -> ConceptUse | None:
        """The concept's entry (made on first use), None when it is not a standard one."""
        if namespace not in self.wanted or not local:
            return None
        return self.plan.concepts[namespace].setdefault(local, ConceptUse())

    def note_contexts(self, root: etree._Element) -> dict[str, str]:
        """Axes and members of the contexts (in an instance, or in ix:resources); returns
        each context id's period type."""
        period_of: dict[str, str] = {}
        for context in root.iter(f"{{{XBRLI}}}context"):
            period = context.find(f"{{{XBRLI}}}period")
            instant = period is not None and period.find(f"{{{XBRLI}}}instant") is not None
            period_of[context.get("id", "")] = "instant" if instant else "duration"
            for member in context.iter(f"{{{XBRLDI}}}explicitMember",
                                       f"{{{XBRLDI}}}typedMember"):
                self._note_member(member)
        return period_of

    def _note_member(self, member: etree._Element) -> None:
        axis = self.use(*_resolve(member, member.get("dimension", "")))
        if axis is None:
            return
        axis.role = "dimension"
        if member.tag == f"{{{XBRLDI}}}explicitMember":
            value = self.use(*_resolve(member, member.text or ""))
            if value is not None and value.role == "item":
                value.role = "abstract"
        elif len(member):
            namespace, _, local = member[0].tag[1:].partition("}")
            axis.typed_domain = f"{namespace}|{local}"
            domain = self.use(namespace, local)
            if domain is not None:
                domain.role = "typed-domain"

    def note_facts(self, root: etree._Element, period_of: dict[str, str]) -> None:
        """Item type (from the unit) and period type (from the context) of each fact's
        concept."""
        measures = {u.get("id", ""): parse_unit(u).measure for u in root.iter(f"{{{XBRLI}}}unit")}
        for namespace, local, context_ref, unit_ref in _facts(root):
            concept = self.use(namespace, local)
            if concept is None:
                continue
            concept.role = "item"
            concept.item_type = _item_type(measures.get(unit_ref) if unit_ref else None)
            concept.period_type = period_of.get(context_ref, "duration")

    def note_locators(self, schema: Path) -> None:
        """Linkbase locators that point into standard schemas (abstracts, tables, calculation
        parents...) that no fact or context named."""
        from finlora.xbrl.linkbases import linkbase_files

        concepts = self.plan.concepts
        for _, linkbase in linkbase_files(schema):
            for loc in parse_xml(linkbase).iter(f"{{{LINK}}}loc"):
                url, _, fragment = loc.get(f"{{{XLINK}}}href", "").partition("#")
                namespace = self.plan.namespaces.get(url)
                local = fragment.partition("_")[2]
                if namespace is None or not local:
                    continue
                if local not in concepts[namespace]:
                    role = ("hypercube" if local.endswith("Table") else
                            "dimension" if local.endswith("Axis") else "abstract")
                    concepts[namespace][local] = ConceptUse(item_type="xbrli:monetaryItemType",
                                                            role=role)


def _facts(root: etree._Element) -> Iterator[tuple[str | None, str, str, str | None]]:
    """(namespace, local name, contextRef, unitRef) of each fact of an instance or inline
    document."""
    if root.tag == f"{{{XBRLI}}}xbrl":
        for element in root:
            if isinstance(element.tag, str) and element.get("contextRef"):
                namespace, _, local = element.tag[1:].partition("}")
                yield namespace, local, element.get("contextRef", ""), element.get("unitRef")
        return
    for ix in IX:
        for tag in ("nonFraction", "nonNumeric", "fraction"):
            for element in root.iter(f"{{{ix}}}{tag}"):
                namespace, local = _resolve(element, element.get("name", ""))
                unit = element.get("unitRef") if tag != "nonNumeric" else None
                yield namespace, local, element.get("contextRef", ""), unit


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
