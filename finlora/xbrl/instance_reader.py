"""The children of a plain instance's root, read one by one into contexts, units and facts
(`instance_stream` feeds them): the hot loop of a plain load.

A fact's `__dict__` is copied from one made per concept (its names and label, a split-table
dict: `instance.concept_fields`) and updated from one made per context (period, entity,
dimensions): two C-level copies instead of an 18-field dict built item by item. Anything
unusual (an unknown context or unit, odd decimals, a value that is not a number) goes
through `make_fact`, which has the rules and the error messages.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.instance import (
    DECIMALS,
    LINK,
    NIL_TRUE,
    XBRLI,
    XLINK,
    XSI_NIL,
    concept_fields,
    context_fields,
    make_fact,
    new_fact,
    parse_context,
    parse_decimal,
    parse_unit,
)
from finlora.xbrl.linkbases import read_linkbases
from finlora.xbrl.safe_xml import parse_xml, resolve_local
from finlora.xbrl.stubs import check_href, check_references
from finlora.xbrl.types import Calculation, Context, Fact, Unit

_MISSING = object()
_NUMBERS = 100_000  # distinct numeric strings whose Decimal is kept for reuse (bounded)
_CONTEXT, _UNIT = f"{{{XBRLI}}}context", f"{{{XBRLI}}}unit"
_SCHEMA_REF, _LINKBASE_REF = f"{{{LINK}}}schemaRef", f"{{{LINK}}}linkbaseRef"
_HREF = f"{{{XLINK}}}href"


class Reader:
    """Collects contexts, units, facts and the schema while the document streams by."""

    def __init__(self, path: Path):
        self.path = path
        self.contexts: dict[str, Context] = {}
        self.units: dict[str, Unit] = {}
        self.facts: list[Fact | None] = []
        self.waiting: list[tuple[int, tuple]] = []  # facts read before their context / unit
        self.name = path.name
        self.concepts: dict[str, dict] = {}  # tag → a fact's fields, its concept's filled in
        self.periods: dict[str, dict] = {}  # context id → a fact's fields from its context
        self.numbers: dict[str, Decimal] = {}  # value text → its Decimal (immutable: shared)
        self.schema: Path | None = None
        self.labels: dict[str, str] = {}
        self.unlabelled = 0  # facts read before the labels (at the head of `facts`)
        self.calculations: list[Calculation] = []

    def read(self, elements: list[etree._Element], top: bool = True) -> None:
        """Complete elements in document order: children of the root (`top`), or the items
        of a tuple (facts only). A fact is built at once if its context and unit are known
        (the common case: the hot loop of a load); else its fields are kept."""
        concepts, periods, units, numbers = self.concepts, self.periods, self.units, self.numbers
        append = self.facts.append
        for element in elements:
            tag = element.tag
            if top and tag in (_CONTEXT, _UNIT):
                self.context_or_unit(element, tag)
                continue
            attributes = dict(element.items())  # one call for all: cheaper than get()s
            context_ref = attributes.get("contextRef")
            if context_ref is None:
                if top:
                    self.other(element, tag)
                continue
            fields = concepts.get(tag)
            if fields is None:
                fields = self.concept(element)
            is_nil = attributes.get(XSI_NIL) in NIL_TRUE
            value = "" if is_nil else ("".join(element.itertext()) if len(element) else
                                       (element.text or "")).strip()
            period = periods.get(context_ref)
            unit_ref = attributes.get("unitRef")
            decimals = attributes.get("decimals")
            dec = DECIMALS.get(decimals, _MISSING)
            measure = numeric = None
            if unit_ref:
                unit = units.get(unit_ref)
                if unit is None:
                    period = None  # waits for its unit
                else:
                    measure = unit.measure
                    if not is_nil:
                        numeric = numbers.get(value)
                        if numeric is None:
                            numeric = self.number(value)
            if period is None or dec is _MISSING or numeric is _MISSING:
                self.unusual((fields["concept"], fields["namespace"], value, context_ref,
                              unit_ref, decimals, is_nil, attributes.get("id"),
                              element.sourceline))
                continue
            values = fields.copy()
            values.update(period)
            values["value"] = value
            values["numeric"] = numeric
            values["unit"] = measure
            values["decimals"] = dec
            values["is_nil"] = is_nil
            values["id"] = attributes.get("id")
            append(new_fact(values))  # typed above: no validation

    def context_or_unit(self, element: etree._Element, tag: str) -> None:
        if tag == _CONTEXT:
            context = parse_context(element, self.path)
            self.contexts[context.id] = context
            self.periods[context.id] = context_fields(context)
        else:
            unit = parse_unit(element)
            self.units[unit.id] = unit

    def other(self, element: etree._Element, tag: str) -> None:
        """A child of the root that is not a context, unit or fact."""
        if tag in (_SCHEMA_REF, _LINKBASE_REF):
            href = element.get(_HREF, "")
            check_href(self.path, href)
            if tag == _SCHEMA_REF and self.schema is None:
                target = resolve_local(self.path, href)
                if target is not None and target.is_file():
                    schema = parse_xml(target, blank_text=False)
                    check_references(target, schema)
                    self.schema = target
                    self.labels, self.calculations = read_linkbases(target, schema)
                    self.unlabelled = len(self.facts)
                    self.concepts.clear()  # made without labels
        elif isinstance(tag, str) and len(element):  # a tuple: its items are facts
            self.read([item for item in element.iter() if item is not element], top=False)

    def concept(self, element: etree._Element) -> dict:
        """Every field of a fact in declaration order, those of its concept filled in."""
        tag = element.tag
        namespace, _, local = tag[1:].partition("}")
        prefix = element.prefix
        concept = f"{prefix}:{local}" if prefix else local
        fields = self.concepts[tag] = concept_fields(concept, namespace,
                                                     self.labels.get(concept), self.name)
        return fields

    def number(self, value: str) -> Decimal | object:
        """The value's Decimal as make_fact reads it, kept for reuse; `_MISSING` if it is not
        a finite number (make_fact then says so)."""
        numeric = parse_decimal(value)
        if numeric is None:
            return _MISSING
        if len(self.numbers) < _NUMBERS:
            self.numbers[value] = numeric
        return numeric

    def unusual(self, fields: tuple) -> None:
        """A fact whose context or unit is not known yet waits; others go to make_fact."""
        context = self.contexts.get(fields[3])
        if context is None or (fields[4] and fields[4] not in self.units):
            self.waiting.append((len(self.facts), fields))
            self.facts.append(None)
        else:
            self.facts.append(self.build(fields, context))

    def build(self, fields: tuple, context: Context) -> Fact:
        concept, namespace, value, _, unit_ref, decimals, is_nil, fact_id, line = fields
        unit = self.units.get(unit_ref) if unit_ref else None
        if unit_ref and unit is None:
            raise FilingError(self.path, f"fact {fact_id or concept} (line {line}) refers to "
                              f"unknown unit {unit_ref!r}")
        return make_fact(concept=concept, namespace=namespace, value=value, context=context,
                         unit=unit, decimals=decimals, is_nil=is_nil, fact_id=fact_id,
                         source=self.name, path=self.path, label=self.labels.get(concept),
                         line=line)

    def waited(self, fields: tuple) -> Fact:
        """A fact that waited for the end of the document: its context must exist now."""
        context = self.contexts.get(fields[3])
        if context is None:
            raise FilingError(self.path, f"fact {fields[7] or fields[0]} (line {fields[8]}) "
                              f"refers to unknown context {fields[3]!r}")
        return self.build(fields, context)

    def finish(self) -> list[Fact]:
        for index, fields in self.waiting:
            self.facts[index] = self.waited(fields)
        self.waiting = []
        facts: list[Fact] = self.facts  # type: ignore[assignment]
        if self.labels:
            for fact in facts[:self.unlabelled]:  # read before the schema reference
                fact.__dict__["label"] = self.labels.get(fact.concept)
        return facts
